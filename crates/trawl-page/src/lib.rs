//! trawl's page engine: what is read out of one HTML page (its title,
//! `-s` fields, links, meta tags and whether it meets `--expect`), with no
//! network, no async runtime and no command line in its dependencies.
//!
//! One entry: a [`Plan`] fixed before a run, and [`extract`], which takes
//! a fetched body and gives an [`Extracted`]. Everything is synchronous
//! and CPU-bound; trawl calls it on its parsing threads, never on the
//! async reactor. scraper's `Html` cannot cross an `.await`, and keeping
//! it inside plain functions makes that structural.
//!
//! A page is read by the first of these that can answer it exactly:
//! * [`title`]: the title without building a tree, when only the title is
//!   asked for;
//! * `fast`: trawl's own tokenizer and tree builder, which makes the calls
//!   html5ever's tree builder makes, and gives up on what it does not
//!   follow;
//! * `stream`: html5ever's tree builder into a sink that keeps no tree;
//! * the tree: html5ever into scraper's DOM ([`dom`]).
//!
//! And around them:
//! * [`content`]: whether a body is HTML, and its text encoding;
//! * [`select`]: `-s` and `--expect` selectors;
//! * [`meta`]: `--meta` and JSON-LD.
//!
//! A title-only run takes the tokenizer's fast path; the Python
//! documentation pages parse many times faster that way, with the same
//! titles (see `bench/README.md`).

#[cfg(test)]
mod conformance;
pub mod content;
pub mod dom;
mod fast;
pub mod meta;
mod reuse;
pub mod select;
mod stream;
mod tags;
#[cfg(test)]
mod testing;
mod title;

use content::{looks_like_html, may_be_html, sniff_encoding};
use dom::Base;
use html5ever::local_name;
use html5ever::tendril::StrTendril;
use meta::{MetaScan, PageMeta};
use scraper::{ElementRef, Html};
use select::{Expect, Fields, Selection};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};
use title::{Scan, scan_title, title_in};
use url::Url;

/// What to take from each page besides the title, fixed before the run.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// `-s` flags, in the order given.
    pub selections: Vec<Selection>,
    /// `--links`.
    pub links: bool,
    /// `--meta`.
    pub meta: bool,
    /// How long a page may take to parse; `None`: no limit.
    pub parse_timeout: Option<Duration>,
    /// `--expect`: selectors the page must match.
    pub expect: Vec<Expect>,
    /// `--expect-text`: text the page must contain.
    pub expect_text: Vec<String>,
}

impl Plan {
    /// Tells whether anything beyond the title is asked for, which needs
    /// the whole page parsed into a tree.
    pub fn needs_dom(&self) -> bool {
        !self.selections.is_empty()
            || self.links
            || self.meta
            || !self.expect.is_empty()
            || !self.expect_text.is_empty()
    }

    /// Why this run's pages are parsed into a tree rather than streamed
    /// (`None`: they are streamed, each falling back to the tree only when
    /// the stream cannot be exact on it): a selector that looks at more
    /// than an element and its ancestors, or `@html`.
    pub fn tree_only_because(&self) -> Option<String> {
        if !self.needs_dom() {
            return Some("only the title is asked for (the title scan)".into());
        }
        self.selections
            .iter()
            .find_map(|s| {
                s.not_streamable()
                    .map(|why| format!("field '{}' ({}) uses {why}", s.name, s.css))
            })
            .or_else(|| {
                self.expect.iter().find_map(|e| {
                    e.not_streamable()
                        .map(|why| format!("--expect '{}' uses {why}", e.css))
                })
            })
    }

    /// Tells whether pages are checked against expectations.
    pub fn has_expectations(&self) -> bool {
        !self.expect.is_empty() || !self.expect_text.is_empty()
    }
}

/// What extraction found on one page. The optional parts are `None` when
/// they were not asked for.
#[derive(Debug, Default, PartialEq)]
pub struct Extracted {
    /// The document's title, whitespace collapsed; `None` when it has none.
    pub title: Option<String>,
    /// `-s` fields.
    pub fields: Option<Fields>,
    /// `--links`.
    pub links: Option<Vec<String>>,
    /// `--meta`.
    pub meta: Option<PageMeta>,
    /// The first `--expect` or `--expect-text` the page did not meet, said
    /// for humans.
    pub unmet: Option<String>,
}

/// The page took longer than [`Plan::parse_timeout`] to parse.
#[derive(Debug, PartialEq, Eq)]
pub struct ParseTimeout;

/// Extracts from a body fetched from `url`, or returns `None` when it is
/// not HTML (then the record's `title` is null). A body with no
/// `Content-Type` counts as HTML when it starts like HTML.
///
/// # Errors
/// Parsing the page outlived `plan.parse_timeout`.
pub fn extract(
    body: &[u8],
    content_type: Option<&str>,
    url: &Url,
    plan: &Plan,
) -> Result<Option<Extracted>, ParseTimeout> {
    extract_via(body, content_type, url, plan, Via::Fast)
}

/// How a page that needs more than its title is read.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Via {
    /// trawl's own tokenizer and tree builder ([`fast`]), handing a page it
    /// does not follow to html5ever's stream, and that to the tree: what
    /// trawl does.
    Fast,
    /// html5ever's tree builder into the stream ([`stream`]), then the tree.
    #[cfg(test)]
    Stream,
    /// Every page parsed into a tree.
    Tree,
}

/// As [`extract`], by the way `via` says (the benchmarks and the
/// differential check compare them).
fn extract_via(
    body: &[u8],
    content_type: Option<&str>,
    url: &Url,
    plan: &Plan,
    via: Via,
) -> Result<Option<Extracted>, ParseTimeout> {
    if !may_be_html(content_type) || (content_type.is_none() && !looks_like_html(body)) {
        return Ok(None);
    }
    // Past what an Instant can hold is no deadline at all.
    let deadline = plan
        .parse_timeout
        .and_then(|t| Instant::now().checked_add(t));
    let encoding = sniff_encoding(body, content_type);
    // `decode` also honours and strips a byte-order mark, and replaces
    // malformed sequences with U+FFFD instead of failing.
    let (text, _, _) = encoding.decode(body);
    if !plan.needs_dom() {
        let title = match scan_title(&text) {
            Scan::Found(text) => Some(text),
            Scan::Absent => None,
            Scan::Unsure => title_in(&parse(&text, deadline)?),
        };
        return Ok(Some(Extracted {
            title,
            ..Extracted::default()
        }));
    }
    if via != Via::Tree && plan.tree_only_because().is_none() {
        if via == Via::Fast {
            match fast::extract(&text, url, plan, deadline)? {
                Ok(found) => return Ok(Some(found)),
                Err(why) => {
                    tracing::debug!(%url, "the fast reader gave up ({why}): reading with html5ever");
                }
            }
        }
        match stream::extract(&text, url, plan, deadline)? {
            Ok(found) => return Ok(Some(found)),
            Err(why) => tracing::debug!(%url, "the stream gave up ({why}): parsing a tree"),
        }
    }
    Ok(Some(from_dom(
        &parse(&text, deadline)?,
        url,
        plan,
        deadline,
    )?))
}

/// Input handed to the parser at a time, between checks of the deadline.
const PARSE_CHUNK: usize = 4096;

/// Parses a document as a user agent with scripting disabled does (trawl
/// runs no scripts, so `<noscript>` content is markup like any other), in
/// chunks, giving up once `deadline` has passed. The HTML tree builder is linear on
/// ordinary pages but quadratic on hostile ones (a million nested `<div>`s
/// make every start tag scan the whole stack of open elements); without a
/// deadline such a page would hold a parsing thread for hours.
fn parse(html: &str, deadline: Option<Instant>) -> Result<Html, ParseTimeout> {
    use html5ever::driver;
    use html5ever::tendril::TendrilSink;
    use scraper::HtmlTreeSink;
    let mut parser = driver::parse_document(HtmlTreeSink::new(Html::new_document()), parse_opts());
    let mut rest = html;
    while !rest.is_empty() {
        let mut cut = rest.len().min(PARSE_CHUNK);
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let (chunk, tail) = rest.split_at(cut);
        parser.process(StrTendril::from_slice(chunk));
        rest = tail;
        if !rest.is_empty() && deadline.is_some_and(|d| Instant::now() > d) {
            return Err(ParseTimeout);
        }
    }
    Ok(parser.finish())
}

/// How trawl's tree builder runs: as a user agent with scripting disabled.
fn parse_opts() -> html5ever::driver::ParseOpts {
    use html5ever::tree_builder::TreeBuilderOpts;
    html5ever::driver::ParseOpts {
        tree_builder: TreeBuilderOpts {
            scripting_enabled: false,
            ..TreeBuilderOpts::default()
        },
        ..html5ever::driver::ParseOpts::default()
    }
}

/// Everything asked for, read from the tree in one walk, which also stops
/// at the deadline (selectors on a huge tree take time too).
fn from_dom(
    doc: &Html,
    url: &Url,
    plan: &Plan,
    deadline: Option<Instant>,
) -> Result<Extracted, ParseTimeout> {
    let mut title = None;
    let mut base_href = None;
    let mut hrefs: Vec<&str> = Vec::new();
    let mut hits: Vec<Vec<ElementRef<'_>>> = vec![Vec::new(); plan.selections.len()];
    let mut meta = plan.meta.then(MetaScan::default);
    let mut met = vec![false; plan.expect.len()];
    let mut visited = 0u32;
    let finished = dom::walk_while(doc, |el| {
        visited = visited.wrapping_add(1);
        if visited.is_multiple_of(1024) && deadline.is_some_and(|d| Instant::now() > d) {
            return false;
        }
        for (e, met) in plan.expect.iter().zip(met.iter_mut()) {
            *met = *met || e.matches(el);
        }
        if title.is_none() && dom::is_html(el, &local_name!("title")) {
            title = Some(dom::collapse(el.text()));
        } else if base_href.is_none() && dom::is_html(el, &local_name!("base")) {
            base_href = el.attr("href");
        } else if plan.links
            && (dom::is_html(el, &local_name!("a")) || dom::is_html(el, &local_name!("area")))
        {
            hrefs.extend(el.attr("href"));
        }
        if let Some(m) = meta.as_mut() {
            m.visit(el);
        }
        for (sel, hits) in plan.selections.iter().zip(hits.iter_mut()) {
            if sel.takes(el, hits.len()) {
                hits.push(el);
            }
        }
        true
    });
    if !finished {
        return Err(ParseTimeout);
    }
    let base = Base::new(url, base_href);
    Ok(Extracted {
        title,
        fields: (!plan.selections.is_empty()).then(|| {
            Fields(
                plan.selections
                    .iter()
                    .zip(&hits)
                    .map(|(sel, hits)| (sel.name.clone(), sel.value(hits, &base)))
                    .collect(),
            )
        }),
        links: plan.links.then(|| links(&hrefs, &base)),
        meta: meta.map(|m| m.finish(&base)),
        unmet: plan
            .expect
            .iter()
            .zip(&met)
            .find(|(_, met)| !**met)
            .map(|(e, _)| format!("nothing on the page matches --expect '{}'", e.css))
            .or_else(|| missing_text(&dom::text(doc.root_element()), plan)),
    })
}

/// The first `--expect-text` that `text` (whitespace collapsed) lacks.
fn missing_text(text: &str, plan: &Plan) -> Option<String> {
    plan.expect_text.iter().find_map(|want| {
        let want = dom::collapse(std::iter::once(want.as_str()));
        (!text.contains(&want)).then(|| format!("the page does not contain --expect-text '{want}'"))
    })
}

/// Checks the expectations on a body that is not HTML (a JSON API, a text
/// file): its decoded text must contain each `--expect-text`, and no
/// `--expect` selector can match.
pub fn unmet_without_html(body: &[u8], content_type: Option<&str>, plan: &Plan) -> Option<String> {
    if let Some(e) = plan.expect.first() {
        let what = content_type.unwrap_or("no Content-Type");
        return Some(format!(
            "the response is not HTML ({what}), so --expect '{}' cannot match",
            e.css
        ));
    }
    if plan.expect_text.is_empty() {
        return None;
    }
    let (text, _, _) = sniff_encoding(body, content_type).decode(body);
    missing_text(&dom::collapse(std::iter::once(&*text)), plan)
}

/// `--links`: absolute, without fragments, first occurrence kept; only
/// `http` and `https` URLs, the pages a crawl can follow: `javascript:`,
/// `mailto:`, `whatsapp:`, `ftp:`, `#fragment` and hrefs that do not
/// resolve are left out.
fn links(hrefs: &[&str], base: &Base) -> Vec<String> {
    Joined::new(hrefs, base).into_links()
}

type FastSet<T> = HashSet<T, foldhash::fast::RandomState>;

/// A page's hrefs joined to URLs, for `--links`. The same href joins to
/// the same URL, and so do hrefs that differ only after a `#` (what comes
/// before it is read the same whatever follows: the URL parser trims only
/// the ends of the whole href, and a `#` is not trimmed): each is resolved
/// once. A page of the Python docs has some 310 hrefs, 188 different and
/// 42 before their `#`.
struct Joined<'h> {
    /// By what comes before an href's `#` (and whether it has one): where
    /// its URL is in `urls`; `None` when it lists none (a fragment of the
    /// page itself, another scheme, no URL at all).
    by_key: HashMap<(&'h str, bool), Option<usize>, foldhash::fast::RandomState>,
    /// In the order first found, without fragments; repeats possible.
    urls: Vec<String>,
}

impl<'h> Joined<'h> {
    fn new(hrefs: &[&'h str], base: &Base) -> Joined<'h> {
        let mut by_key: HashMap<(&str, bool), Option<usize>, _> =
            HashMap::with_capacity_and_hasher(hrefs.len(), Default::default());
        let mut urls = Vec::new();
        for href in hrefs {
            let key = match memchr::memchr(b'#', href.as_bytes()) {
                Some(at) => (&href[..at], true),
                None => (*href, false),
            };
            let std::collections::hash_map::Entry::Vacant(slot) = by_key.entry(key) else {
                continue;
            };
            let url = Self::join(href, base);
            slot.insert(url.map(|u| {
                urls.push(u);
                urls.len() - 1
            }));
        }
        Joined { by_key, urls }
    }

    /// The URL `href` lists, without its fragment.
    fn join(href: &str, base: &Base) -> Option<String> {
        // What the URL parser strips (C0 controls and space) comes off
        // first; a no-break space does not, so "&nbsp;#x" is a path.
        if href.trim_start_matches(|c: char| c <= ' ').starts_with('#') {
            return None;
        }
        if let Some(url) = base.join_simple(href, false) {
            return Some(url);
        }
        let mut url = base.join(href)?;
        if !matches!(url.scheme(), "http" | "https") {
            return None;
        }
        url.set_fragment(None);
        Some(String::from(url))
    }

    /// The value of a URL attribute written `raw` (an `-s` field's
    /// `@href`), as [`Base::attr_value`] gives it, when a link resolved
    /// what comes before its `#` already and its fragment needs no
    /// escaping: most `a@href` fields of a page are its links.
    fn attr_value(&self, raw: &str) -> Option<String> {
        let (key, fragment) = match memchr::memchr(b'#', raw.as_bytes()) {
            Some(at) => ((&raw[..at], true), Some(&raw[at + 1..])),
            None => ((raw, false), None),
        };
        let url = self.urls.get((*self.by_key.get(&key)?)?)?;
        let Some(fragment) = fragment else {
            return Some(url.clone());
        };
        let plain = |b: u8| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/' | b'=' | b'&')
        };
        if !fragment.bytes().all(plain) {
            return None;
        }
        let mut out = String::with_capacity(url.len() + 1 + fragment.len());
        out.push_str(url);
        out.push('#');
        out.push_str(fragment);
        Some(out)
    }

    /// The links: different hrefs may join to one URL, and the first place
    /// it was found counts.
    fn into_links(self) -> Vec<String> {
        let out = self.urls;
        let mut seen: FastSet<&str> =
            FastSet::with_capacity_and_hasher(out.len(), Default::default());
        let first: Vec<bool> = out.iter().map(|u| seen.insert(u.as_str())).collect();
        drop(seen);
        out.into_iter()
            .zip(first)
            .filter_map(|(u, first)| first.then_some(u))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::title::{title, title_from_dom};
    use super::*;

    fn page_url() -> Url {
        Url::parse("http://h.test/dir/page.html").unwrap()
    }

    fn t(body: &[u8], ct: Option<&str>) -> Option<String> {
        extract(body, ct, &page_url(), &Plan::default())
            .unwrap()
            .and_then(|e| e.title)
    }

    fn full(page: &str, plan: &Plan) -> Extracted {
        extract(page.as_bytes(), Some("text/html"), &page_url(), plan)
            .unwrap()
            .unwrap()
    }

    fn links_of(page: &str) -> Vec<String> {
        let plan = Plan {
            links: true,
            ..Plan::default()
        };
        full(page, &plan).links.unwrap()
    }

    /// Resolving hrefs once by what comes before their `#` lists the
    /// same URLs, in the same order, as resolving every href; and a URL
    /// field's value taken from them is the one it has on its own.
    #[test]
    fn links_resolved_once_a_fragment_are_every_hrefs_links() {
        use proptest::prelude::*;
        use proptest::test_runner::{Config, TestRunner};
        let naive = |hrefs: &[&str], base: &Base| {
            let mut out: Vec<String> = Vec::new();
            for href in hrefs {
                if href.trim_start_matches(|c: char| c <= ' ').starts_with('#') {
                    continue;
                }
                let Some(mut url) = base.join(href) else {
                    continue;
                };
                if !matches!(url.scheme(), "http" | "https") {
                    continue;
                }
                url.set_fragment(None);
                let url = String::from(url);
                if !out.contains(&url) {
                    out.push(url);
                }
            }
            out
        };
        let base = Base::new(&page_url(), None);
        let piece = prop::sample::select(vec![
            "a",
            "b/",
            "../",
            "#",
            "#x",
            "#x y",
            "=&",
            "?q",
            " ",
            "\t",
            "\n",
            "%20",
            "é",
            "mailto:x",
            "//h.test/",
            "http://o.test/",
            "\u{1}",
            "..",
        ]);
        let href = prop::collection::vec(piece, 0..6).prop_map(|v| v.concat());
        // Cheap cases: eight times the configured count.
        let config = crate::testing::config();
        let mut runner = TestRunner::new(Config {
            cases: config.cases * 8,
            ..config
        });
        runner
            .run(&prop::collection::vec(href, 0..12), |hrefs| {
                let hrefs: Vec<&str> = hrefs.iter().map(String::as_str).collect();
                prop_assert_eq!(links(&hrefs, &base), naive(&hrefs, &base), "{:?}", hrefs);
                // An `a@href` field that takes a link's resolution gets what
                // joining it on its own gives.
                let joined = Joined::new(&hrefs, &base);
                for href in &hrefs {
                    if let Some(value) = joined.attr_value(href) {
                        prop_assert_eq!(value, base.attr_value("href", href), "{:?}", href);
                    }
                }
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn chunked_parse_builds_the_same_tree() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/pages");
        let mut pages: Vec<String> = TRICKY.iter().map(|p| p.to_string()).collect();
        for entry in std::fs::read_dir(dir).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            pages.push(sniff_encoding(&bytes, None).decode(&bytes).0.into_owned());
        }
        // Chunk edges inside a tag, an entity and a multi-byte character.
        pages.push(format!(
            "{}<a href='x'>caf&eacute; 日本</a>",
            "é".repeat(2047)
        ));
        for page in &pages {
            use html5ever::tendril::TendrilSink;
            let chunked = parse(page, None).unwrap();
            let whole = html5ever::driver::parse_document(
                scraper::HtmlTreeSink::new(Html::new_document()),
                parse_opts(),
            )
            .one(page.as_str());
            assert_eq!(chunked.html(), whole.html());
        }
    }

    #[test]
    fn a_hostile_page_gives_up_at_the_deadline() {
        // Every <div> start tag scans the stack of open <div>s: quadratic.
        let page = "<div>".repeat(400_000);
        let plan = Plan {
            links: true,
            parse_timeout: Some(Duration::from_millis(200)),
            ..Plan::default()
        };
        let t = Instant::now();
        let got = extract(page.as_bytes(), Some("text/html"), &page_url(), &plan);
        assert_eq!(got.err(), Some(ParseTimeout));
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    }

    #[test]
    fn links_are_absolute_unique_and_fetchable() {
        let page = r##"<a href="a.html#top">a</a> <a href=" /b ">b</a>
            <a href="a.html">again</a> <a href="#frag">frag</a> <a href=" #x">frag2</a>
            <a href="JavaScript:void(0)">js</a> <a href="mailto:x@y.z">m</a>
            <a href="tel:+1">t</a> <a href="data:text/html,x">d</a>
            <a name="no-href">anchor</a> <A HREF=UPPER.html>u</A>
            <map><area href="area.html" alt=x></map> <a href="">self</a>
            <a href="http://[bad">bad</a> <a href="&nbsp;#x">nbsp</a> <a href="&#9;#y">tab</a> <a href="https://other.test/x?q=1#f">abs</a>
            <svg><a href="svg.html">svg</a></svg>
            <a href="file:///etc/passwd">f</a> <a href="ftp://h.test/f">ftp</a> <area href="a:">
            <a href="whatsapp://send">w</a> <a href="about:blank">about</a>
            <template><a href="tpl.html">t</a></template>"##;
        assert_eq!(
            links_of(page),
            [
                "http://h.test/dir/a.html",
                "http://h.test/b",
                "http://h.test/dir/UPPER.html",
                "http://h.test/dir/area.html",
                "http://h.test/dir/page.html",
                "http://h.test/dir/%C2%A0",
                "https://other.test/x?q=1",
            ]
        );
    }

    #[test]
    fn links_are_only_http_and_https() {
        let page = r#"<a href="whatsapp://send?text=hi">w</a> <a href="sms:+1">s</a>
            <a href="about:blank">a</a> <a href="ftp://f.test/x">f</a>
            <a href="file:///etc/passwd">file</a> <a href="ws://w.test/">ws</a>
            <a href="blob:http://h.test/1">blob</a> <a href="HTTPS://Up.TEST/P">up</a>
            <a href="//other.test/p">scheme-relative</a> <a href="intent://x">i</a>"#;
        assert_eq!(links_of(page), ["https://up.test/P", "http://other.test/p"]);
    }

    #[test]
    fn noscript_links_count_and_template_links_do_not() {
        let page = r#"<head><noscript><link rel=stylesheet href=x.css></noscript></head>
            <body><noscript><a href="no-js.html">plain</a></noscript>
            <template><a href="tpl.html">t</a></template><a href="last.html">l</a>"#;
        assert_eq!(
            links_of(page),
            [
                "http://h.test/dir/no-js.html",
                "http://h.test/dir/last.html"
            ]
        );
    }

    #[test]
    fn links_resolve_against_the_first_base_href() {
        let page = r#"<head><base target=_blank><base href="../up/"><base href="/ignored/">
            </head><a href="x.html">x</a><a href="//cdn.test/y">y</a>"#;
        assert_eq!(
            links_of(page),
            ["http://h.test/up/x.html", "http://cdn.test/y"]
        );
    }

    #[test]
    fn fields_follow_the_flags() {
        let plan = Plan {
            selections: [
                "price=.price",
                "none=.missing",
                "imgs[]=img@src",
                "srcset=img@srcset",
                "first_alt=img@alt",
                "nothing[]=.missing",
                "html=p.note@html",
                "rel=a@href",
            ]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect(),
            ..Plan::default()
        };
        let page = r#"<title>T</title><span class=price> $3
            <b>.50</b></span><span class=price>$9</span>
            <img alt="no src"><img src="a.png" srcset="a.png 1x, /b.png 2x" alt="A">
            <img src="//cdn.test/c.png"><p class=note>Hi <i>there</i></p>
            <a>no href</a><a href="?q=1#f">q</a>"#;
        let got = full(page, &plan);
        assert_eq!(got.title.as_deref(), Some("T"));
        assert_eq!(
            serde_json::to_value(got.fields.unwrap()).unwrap(),
            serde_json::json!({
                "price": "$3 .50",
                "none": null,
                "imgs": ["http://h.test/dir/a.png", "http://cdn.test/c.png"],
                "srcset": "http://h.test/dir/a.png 1x, http://h.test/b.png 2x",
                "first_alt": "no src",
                "nothing": [],
                "html": "<p class=\"note\">Hi <i>there</i></p>",
                "rel": "http://h.test/dir/page.html?q=1#f",
            })
        );
    }

    #[test]
    fn title_is_collapsed_and_decoded() {
        let html = b"<html><head><title>\n  Caf&eacute;   &amp; \t bar </title></head></html>";
        assert_eq!(t(html, Some("text/html")).as_deref(), Some("Café & bar"));
    }

    #[test]
    fn svg_title_is_not_the_page_title() {
        let html = b"<body><svg><title>icon</title></svg><title>Real</title></body>";
        assert_eq!(t(html, Some("text/html")).as_deref(), Some("Real"));
        let none = b"<body><svg><title>icon</title></svg></body>";
        assert_eq!(t(none, Some("text/html")), None);
    }

    #[test]
    fn first_of_duplicate_titles_wins() {
        let html = b"<TITLE>One</TITLE><title>Two</title>";
        assert_eq!(t(html, Some("text/html")).as_deref(), Some("One"));
    }

    /// Pages where a naive scan for `<title>` goes wrong; the fast path must
    /// agree with the full tree builder on every one.
    const TRICKY: &[&str] = &[
        "<title>plain</title>",
        "<title>\n a &amp; b &lt;c&gt; &eacute; </title>",
        "<TITLE>Upper</TITLE>",
        "<title>a<b>c</b></title><p>after",
        "<title>unclosed",
        "<title></title><title>second</title>",
        "<p>no title at all</p>",
        "",
        "<script>var s = '<title>no</title>';</script><title>yes</title>",
        "<script><!--<script>--></script><title>escaped</title>",
        "<style>/*<title>no</title>*/</style><title>yes</title>",
        "<textarea><title>no</title></textarea><title>yes</title>",
        "<noscript><title>no</title></noscript><title>yes</title>",
        "<xmp><title>no</title></xmp><title>yes</title>",
        "<iframe><title>no</title></iframe><title>yes</title>",
        "<noembed><title>no</title></noembed><title>yes</title>",
        "<!-- <title>no</title> --><title>yes</title>",
        "<plaintext><title>no</title>",
        "<svg><title>icon</title></svg><title>Real</title>",
        "<math><title>m</title></math>",
        "<template><title>t</title></template><title>r</title>",
        "<select><title>s</title></select><title>r</title>",
        "<table><title>t</title></table>",
        "<frameset><title>f</title></frameset>",
        "<body><p>x</p><title>late</title>",
        "<title>nul\0byte</title>",
        "<title/>self closed</title>",
        "<html><head><title>x</title></head><body><title>y</title></body></html>",
        "<p><title>x</title><frameset>",
        "text<title>x</title><FrameSet>",
        "<title>kept</title><FRAMESET cols=50%>",
        "<head><script>if (a < b) { x = '</title>'; }</script><title>after script</title>",
        "<noscript><p>no js</p></noscript><title>after noscript</title>",
        // Scripting off: <noscript> holds markup, in the head and the body.
        "<head><noscript><link rel=x><style>p{}</style></noscript><title>t</title>",
        "<head><noscript><meta name=a></noscript></head><title>after head</title>",
        "<noscript>text</noscript><title>x</title>",
        "<noscript><title>inside</title></noscript><title>outside</title>",
        "<body><noscript><title>in body</title></noscript><title>late</title>",
        "<noscript><noscript><title>nested</title></noscript></noscript>",
        "<noscript><script>'<title>no</title>'</script></noscript><title>yes</title>",
        "<noscript></title><title>a</title></noscript>",
    ];

    #[test]
    fn fast_path_is_taken_for_an_ordinary_head() {
        let page = "<!DOCTYPE html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n\
                    <link rel=stylesheet href=a.css>\n<script src=a.js></script>\n\
                    <script>var t = '<title>no</title>';</script>\n<style>p{}</style>\n\
                    <title>Ordinary</title></head><body><p>text</p></body></html>";
        assert!(matches!(scan_title(page), Scan::Found(t) if t == "Ordinary"));
        assert!(matches!(
            scan_title("<p>body first</p><title>x</title>"),
            Scan::Unsure
        ));
    }

    #[test]
    fn fast_title_agrees_with_the_tree_builder() {
        for page in TRICKY {
            assert_eq!(title(page), title_from_dom(page), "page: {page:?}");
        }
        assert_eq!(title(TRICKY[1]).as_deref(), Some("a & b <c> é"));
        assert_eq!(title(TRICKY[3]).as_deref(), Some("a<b>c</b>"));
        assert_eq!(title(TRICKY[6]), None);
        assert_eq!(title(TRICKY[8]).as_deref(), Some("yes"));
        assert_eq!(title(TRICKY[17]), None);
        // With scripting off, a title inside <noscript> is the page's title.
        assert_eq!(title(TRICKY[12]).as_deref(), Some("no"));
        assert_eq!(title(TRICKY[18]).as_deref(), Some("Real"));
    }

    #[test]
    fn fast_title_agrees_on_the_fixture_pages() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/pages");
        let mut n = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            let (text, _, _) = sniff_encoding(&bytes, None).decode(&bytes);
            assert_eq!(title(&text), title_from_dom(&text));
            n += 1;
        }
        assert!(n >= 5);
    }

    /// By hand: `TRAWL_CORPUS=/usr/share/doc/python3.11/html cargo test
    /// --release --lib -- --ignored --nocapture parse_corpus`. Over every
    /// `.html` file below the folder: checks that the title fast path agrees
    /// with the full parse, and prints the parse throughput of a title-only
    /// run, a full parse, and the extraction `bench/run.sh` measures (three
    /// selectors and the links).
    #[test]
    #[ignore = "needs a corpus of real pages; run by hand"]
    fn parse_corpus() {
        let root = std::env::var("TRAWL_CORPUS").expect("set TRAWL_CORPUS to a folder of HTML");
        let mut files = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(root)];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "html") {
                    files.push(p);
                }
            }
        }
        let pages: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
        let mb = pages.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
        let url = page_url();
        let time = |plan: &Plan| {
            let t = std::time::Instant::now();
            let out: Vec<_> = pages
                .iter()
                .map(|p| extract(p, Some("text/html"), &url, plan).unwrap().unwrap())
                .collect();
            (t.elapsed().as_secs_f64(), out)
        };
        let title_only = Plan::default();
        let full_parse = Plan {
            meta: true,
            ..Plan::default()
        };
        let bench = Plan {
            selections: ["h1=h1", "headings[]=h2", "refs[]=a.reference@href"]
                .iter()
                .map(|s| s.parse().unwrap())
                .collect(),
            links: true,
            ..Plan::default()
        };
        let (fast_s, fast) = time(&title_only);
        let (dom_s, dom) = time(&full_parse);
        let (ext_s, _) = time(&bench);
        let same = fast
            .iter()
            .zip(&dom)
            .filter(|(a, b)| a.title == b.title)
            .count();
        println!(
            "{} pages, {mb:.1} MB, one thread: title scan {fast_s:.3}s ({:.0} MB/s), \
             full parse {dom_s:.3}s ({:.0} MB/s), 3 selectors + links {ext_s:.3}s ({:.0} MB/s, \
             {:.2} ms/page); same title on {same}",
            pages.len(),
            mb / fast_s,
            mb / dom_s,
            mb / ext_s,
            1000.0 * ext_s / pages.len() as f64,
        );
        assert_eq!(same, pages.len());
    }

    #[test]
    fn untyped_bodies_are_sniffed() {
        assert_eq!(
            t(b"  <!DOCTYPE html><title>x</title>", None).as_deref(),
            Some("x")
        );
        assert!(
            extract(b"%PDF-1.4 ...", None, &page_url(), &Plan::default())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn shift_jis_and_utf16_bodies_decode() {
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("<title>日本語</title>");
        assert_eq!(
            t(&sjis, Some("text/html; charset=shift_jis")).as_deref(),
            Some("日本語")
        );
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "<title>ünï</title>".encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(t(&utf16, Some("text/html")).as_deref(), Some("ünï"));
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        assert_eq!(
            t(b"<title>a\xffb</title>", Some("text/html")).as_deref(),
            Some("a\u{FFFD}b")
        );
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;
    use std::time::{Duration, Instant};
    use url::Url;

    /// HTML, nested arbitrarily: the elements that change how a parser reads
    /// what follows (tables, templates, foreign content, raw text), links and
    /// `<base>`, meta and JSON-LD, entities such as lone surrogates, NUL.
    fn html() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            "[a-zA-Z &;<>\"'=/#\u{0}\u{85}\u{2028}]{0,16}",
            Just("&#xD800;&#0;&#x1b;[31m&nbsp;".to_owned()),
            Just("::error::forged\r\n".to_owned()),
            "<a href=\"[a-z:/.#?%@ \t\u{0}\\\\]{0,20}\">x</a>",
            "<area href='[a-z:/.#]{0,12}'>",
            "<base href=\"[a-z:/.#]{0,16}\">",
            "<meta (name|property)=\"(og:title|description|robots)\" content=\"[a-z &#;]{0,10}\">",
            "<meta charset=\"[a-z0-9-]{0,10}\">",
            Just("<script type=\"application/ld+json\">{\"@type\":\"Thing\",\"name\":\"\\u0000\"}</script>".to_owned()),
            Just("<script type=\"application/ld+json\">{{{{[[[[</script>".to_owned()),
            Just("<img src=x srcset=\"a.png 1x, ,, b.png 2x\">".to_owned()),
            Just("<title>t&#xD800;i\u{0}tle</title>".to_owned()),
            Just("<!--".to_owned()),
            Just("<![CDATA[".to_owned()),
            Just("</".to_owned()),
        ];
        let tag = prop_oneof![
            Just("div"),
            Just("p"),
            Just("a"),
            Just("table"),
            Just("tr"),
            Just("td"),
            Just("template"),
            Just("svg"),
            Just("math"),
            Just("title"),
            Just("noscript"),
            Just("select"),
            Just("option"),
            Just("textarea"),
            Just("style"),
            Just("script"),
            Just("head"),
            Just("body"),
            Just("html"),
            Just("frameset"),
            Just("b"),
            Just("i"),
            Just("form"),
            Just("button"),
            Just("li"),
            Just("h1"),
        ];
        leaf.prop_recursive(6, 200, 8, move |inner| {
            (
                tag.clone(),
                prop::collection::vec(inner, 0..8),
                any::<bool>(),
            )
                .prop_map(|(tag, kids, close)| {
                    let kids = kids.concat();
                    if close {
                        format!("<{tag} class=x id=\"y\">{kids}</{tag}>")
                    } else {
                        format!("<{tag}>{kids}")
                    }
                })
        })
    }

    /// A plan that asks for everything, `@html` included.
    fn plan_for_everything() -> crate::Plan {
        let spec = |s: &str| s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
        crate::Plan {
            selections: vec![
                spec("h=h1"),
                spec("all[]=a@href"),
                spec("raw=div@html"),
                spec("src[]=img@srcset"),
                spec("t[]=title@text"),
            ],
            links: true,
            meta: true,
            parse_timeout: Some(Duration::from_secs(5)),
            expect: vec!["body".parse().unwrap_or_else(|e| panic!("{e}"))],
            expect_text: vec!["forged".into()],
        }
    }

    proptest! {
        #![proptest_config(crate::testing::config())]

        /// The HTML path on arbitrary nesting and bytes: no panic, done within
        /// a deadline, every link an absolute http(s) URL without a fragment,
        /// a title on one line.
        #[test]
        fn the_html_path_holds_on_hostile_pages(
            page in html(),
            raw in prop::collection::vec(any::<u8>(), 0..1024),
            title_only in any::<bool>(),
        ) {
            let url = Url::parse("https://a.test/dir/page?q=1#top").map_err(|e| TestCaseError::fail(e.to_string()))?;
            let plan = if title_only {
                crate::Plan { parse_timeout: Some(Duration::from_secs(5)), ..Default::default() }
            } else {
                plan_for_everything()
            };
            for body in [page.as_bytes(), raw.as_slice()] {
                let began = Instant::now();
                let got = crate::extract(body, Some("text/html"), &url, &plan)
                    .map_err(|_| TestCaseError::fail("parse timeout"))?
                    .ok_or_else(|| TestCaseError::fail("not HTML"))?;
                prop_assert!(began.elapsed() < Duration::from_secs(5));
                for link in got.links.iter().flatten() {
                    let parsed = Url::parse(link).map_err(|e| TestCaseError::fail(format!("{link}: {e}")))?;
                    prop_assert!(matches!(parsed.scheme(), "http" | "https"), "{link}");
                    prop_assert!(parsed.fragment().is_none(), "{link}");
                    prop_assert_eq!(parsed.as_str(), link.as_str());
                }
                // Whitespace collapsed: a title is one line.
                if let Some(title) = &got.title {
                    prop_assert!(!title.contains(['\n', '\r', '\t']), "{title:?}");
                }
            }
        }
    }
}
