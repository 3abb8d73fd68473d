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
//! * `title`: the title without building a tree, when only the title is
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
pub mod main_content;
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
    /// `--content`: the main content, and how.
    pub content: Option<main_content::ContentPlan>,
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
            // The main content is read by the fast reader where it can.
            return self
                .content
                .is_none()
                .then(|| "only the title is asked for (the title scan)".into());
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
    /// `--content`.
    pub content: Option<main_content::Content>,
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
            content: content_alone(&text, url, plan, deadline, via == Via::Fast)?,
            ..Extracted::default()
        }));
    }
    if via != Via::Tree && plan.tree_only_because().is_none() {
        if via == Via::Fast {
            match fast::extract(&text, url, plan, deadline)? {
                Ok(mut found) => {
                    found.content = content_alone(&text, url, plan, deadline, via == Via::Fast)?;
                    return Ok(Some(found));
                }
                Err(why) => {
                    tracing::debug!(%url, "the fast reader gave up ({why}): reading with html5ever");
                }
            }
        }
        match stream::extract(&text, url, plan, deadline)? {
            // The fast reader gave up on extracting, perhaps only because
            // the stream's sink did (a node appended out of order), which
            // the content's sink takes: it is tried again.
            Ok(mut found) => {
                found.content = content_alone(&text, url, plan, deadline, via == Via::Fast)?;
                return Ok(Some(found));
            }
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

/// The main content of a page whose other parts were read without a
/// tree: by the fast reader where it can (when `try_fast`), else from
/// html5ever's tree.
fn content_alone(
    text: &str,
    url: &Url,
    plan: &Plan,
    deadline: Option<Instant>,
    try_fast: bool,
) -> Result<Option<main_content::Content>, ParseTimeout> {
    let Some(want) = &plan.content else {
        return Ok(None);
    };
    if try_fast && let Some(found) = main_content::read_fast(text, url, want, deadline)? {
        return Ok(Some(found));
    }
    let doc = parse(text, deadline)?;
    let mut base_href = None;
    dom::walk_while(&doc, |el| {
        if dom::is_html(el, &local_name!("base"))
            && let Some(href) = el.attr("href")
        {
            base_href = Some(href);
            return false;
        }
        true
    });
    Ok(Some(main_content::read(
        &doc,
        &Base::new(url, base_href),
        want,
    )))
}

/// Input handed to the parser at a time, between checks of the deadline.
const PARSE_CHUNK: usize = 4096;

/// A page cut into the pieces html5ever is fed, about [`PARSE_CHUNK`]
/// bytes each. html5ever's tokenizer drops a U+FEFF at the start of every
/// piece it is fed, not only of the page, so no piece starts with one: a
/// cut there moves past it, and the page reads as if fed whole.
fn chunks(html: &str) -> impl Iterator<Item = &str> {
    let mut rest = html;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut cut = rest.len().min(PARSE_CHUNK);
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        while rest[cut..].starts_with('\u{feff}') {
            cut += '\u{feff}'.len_utf8();
        }
        let (chunk, tail) = rest.split_at(cut);
        rest = tail;
        Some(chunk)
    })
}

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
    let mut chunks = chunks(html).peekable();
    while let Some(chunk) = chunks.next() {
        parser.process(StrTendril::from_slice(chunk));
        if chunks.peek().is_some() && deadline.is_some_and(|d| Instant::now() > d) {
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
            .or_else(|| {
                (!plan.expect_text.is_empty())
                    .then(|| missing_text(&dom::text(doc.root_element()), plan))
                    .flatten()
            }),
        content: plan
            .content
            .as_ref()
            .map(|c| main_content::read(doc, &base, c)),
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
mod tests;

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
            content: None,
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
            content in 0..4u8,
        ) {
            let url = Url::parse("https://a.test/dir/page?q=1#top").map_err(|e| TestCaseError::fail(e.to_string()))?;
            use crate::main_content::{ContentPlan, Format};
            let mut plan = if title_only {
                crate::Plan { parse_timeout: Some(Duration::from_secs(5)), ..Default::default() }
            } else {
                plan_for_everything()
            };
            plan.content = [Format::Markdown, Format::Text, Format::Html]
                .get(usize::from(content))
                .map(|&format| ContentPlan { format, select: vec![], exclude: vec![] });
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
                // The main content: its word count is its text's, and
                // Markdown and text have no runs of blank lines.
                prop_assert_eq!(got.content.is_some(), plan.content.is_some());
                if let Some(c) = &got.content {
                    prop_assert_eq!(c.words, crate::main_content::words(&c.text));
                    if c.format != Format::Html {
                        prop_assert!(!c.text.contains("\n\n\n"), "{:?}", c.text);
                    }
                }
            }
        }
    }
}
