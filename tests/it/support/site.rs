//! A generated web site for the crawl tests, served under `/site/` by every
//! test server, and the model of it the tests check trawl against.
//!
//! * `/site/p/{n}`, `n < PAGES`: a binary tree (children `2n+1`, `2n+2`,
//!   linked relatively) with links back to the parent (`../p/…`) and the
//!   root: cycles everywhere. Some pages also link to a broken page, to a
//!   redirect that stays on the site, to one that leaves it, to pages of
//!   another host (the server's peer, a look-alike site; some of them
//!   broken), to a page with a
//!   `<base href>`, to a robots.txt-disallowed area and to a calendar.
//! * `/site/cal/{y}/{m}`: a calendar trap, each month linking to the next
//!   and the previous one, for ever.
//!
//! [`links`] is the one definition of what a page links to: the handler
//! writes it out as HTML (relative hrefs, `<base>`, fragments, `mailto:`),
//! and the tests resolve it to walk the site themselves.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Pages of the tree.
pub const PAGES: u32 = 3000;

/// What a path of the site answers.
#[derive(Debug, PartialEq)]
pub enum Answer {
    /// An HTML page with these links: (href as written, where it leads as
    /// an absolute path or URL).
    Page {
        base: Option<&'static str>,
        links: Vec<(String, String)>,
    },
    /// A 302 to this path or URL.
    Redirect(String),
    /// 404.
    Missing,
}

fn page_no(rest: &str) -> Option<u32> {
    rest.parse().ok()
}

/// What `path` (starting with `/site/`) answers; `peer` is the
/// `http://host:port` of the look-alike site, when there is one.
pub fn answer(path: &str, peer: Option<&str>) -> Answer {
    let Some(rest) = path.strip_prefix("/site/") else {
        return Answer::Missing;
    };
    let (kind, arg) = rest.split_once('/').unwrap_or((rest, ""));
    let leaf = |extra: Vec<(String, String)>| {
        let mut links = vec![("/site/p/0".to_owned(), "/site/p/0".to_owned())];
        links.extend(extra);
        Answer::Page { base: None, links }
    };
    match kind {
        "p" => match page_no(arg) {
            Some(n) if n < PAGES => Answer::Page {
                base: None,
                links: tree_links(n, peer),
            },
            _ => Answer::Missing,
        },
        "r" => match arg.split_once('/') {
            Some(("in", n)) if page_no(n).is_some() => {
                Answer::Redirect(format!("/site/landing/{n}"))
            }
            Some(("out", n)) if page_no(n).is_some() => match peer {
                Some(peer) => Answer::Redirect(format!("{peer}/site/landing/{n}")),
                None => Answer::Missing,
            },
            _ => Answer::Missing,
        },
        "landing" if page_no(arg).is_some() => leaf(vec![(
            format!("../landing-child/{arg}"),
            format!("/site/landing-child/{arg}"),
        )]),
        // `orphan`: linked from nowhere; only the site's sitemap lists it.
        "landing-child" | "b" | "private-child" | "orphan" | "w" => leaf(Vec::new()),
        // `wide/{n}`: a page that links to n pages at once.
        "wide" => match page_no(arg) {
            Some(n) => Answer::Page {
                base: None,
                links: (0..n)
                    .map(|i| (format!("../w/{i}"), format!("/site/w/{i}")))
                    .collect(),
            },
            None => Answer::Missing,
        },
        "private" if page_no(arg).is_some() => leaf(vec![(
            format!("/site/private-child/{arg}"),
            format!("/site/private-child/{arg}"),
        )]),
        "based" if page_no(arg).is_some() => Answer::Page {
            base: Some("/site/b/"),
            links: vec![
                (format!("x{arg}"), format!("/site/b/x{arg}")),
                ("/site/p/0".into(), "/site/p/0".into()),
            ],
        },
        "cal" => match arg.split_once('/').map(|(y, m)| (y.parse(), m.parse())) {
            Some((Ok(y), Ok(m))) if (1..=12).contains(&m) => {
                let (y, m): (i32, i32) = (y, m);
                let next = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                let prev = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
                let at = |(y, m): (i32, i32)| format!("/site/cal/{y}/{m}");
                Answer::Page {
                    base: None,
                    links: vec![(at(next), at(next)), (at(prev), at(prev))],
                }
            }
            _ => Answer::Missing,
        },
        _ => Answer::Missing,
    }
}

/// The links of tree page `n`.
fn tree_links(n: u32, peer: Option<&str>) -> Vec<(String, String)> {
    let p = |k: u32| format!("/site/p/{k}");
    let mut links = Vec::new();
    for c in [2 * n + 1, 2 * n + 2] {
        if c < PAGES {
            // Relative to /site/p/{n}; the first also with a fragment.
            links.push((format!("{c}"), p(c)));
            links.push((format!("{c}#top"), p(c)));
        }
    }
    if n > 0 {
        links.push((format!("../p/{}", (n - 1) / 2), p((n - 1) / 2)));
    }
    links.push(("/site/p/0".into(), p(0)));
    links.push(("mailto:web@site.test".into(), String::new()));
    if n % 10 == 3 {
        links.push((format!("/site/missing/{n}"), format!("/site/missing/{n}")));
    }
    if n % 50 == 7 {
        links.push((format!("/site/r/in/{n}"), format!("/site/r/in/{n}")));
    }
    if n % 25 == 4 {
        links.push((format!("../based/{n}"), format!("/site/based/{n}")));
    }
    if n % 40 == 9 {
        links.push((format!("/site/private/{n}"), format!("/site/private/{n}")));
    }
    if n == 5 {
        links.push(("/site/cal/2026/1".into(), "/site/cal/2026/1".into()));
    }
    if let Some(peer) = peer {
        if n % 50 == 8 {
            links.push((format!("/site/r/out/{n}"), format!("/site/r/out/{n}")));
        }
        if n % 100 == 11 {
            let u = format!("{peer}/site/p/{n}");
            links.push((u.clone(), u));
        }
        if n % 100 == 12 {
            // A broken link to another site.
            let u = format!("{peer}/site/missing/{n}");
            links.push((u.clone(), u));
        }
    }
    links
}

/// The handler: `path` with the server's `peer`.
pub(super) fn serve(path: &str, peer: Option<&str>) -> Response {
    match answer(path, peer) {
        Answer::Page { base, links } => {
            let mut html = format!("<!doctype html><html><head><title>{path}</title>");
            if let Some(b) = base {
                html.push_str(&format!("<base href=\"{b}\">"));
            }
            html.push_str("</head><body><ul>");
            for (href, _) in &links {
                html.push_str(&format!("<li><a href=\"{href}\">{href}</a></li>"));
            }
            html.push_str("</ul></body></html>");
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
        }
        Answer::Redirect(to) => (StatusCode::FOUND, [(header::LOCATION, to)]).into_response(),
        Answer::Missing => StatusCode::NOT_FOUND.into_response(),
    }
}
