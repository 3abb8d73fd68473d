//! Reading a parsed page: elements in document order, an element's text,
//! and URLs resolved against the page's base.
//!
//! Walks are iterative (a page of a million nested `<div>`s must not
//! overflow the parsing thread's stack) and never enter a `<template>`'s
//! contents, which are not part of the document, as in a browser's
//! `querySelectorAll`.

use ego_tree::NodeId;
use ego_tree::iter::Edge;
use html5ever::{LocalName, ns};
use scraper::{ElementRef, Html, Node};
use url::Url;

/// Calls `visit` on every element of the document, in document order,
/// outside `<template>` contents.
pub fn walk<'a>(doc: &'a Html, mut visit: impl FnMut(ElementRef<'a>)) {
    walk_while(doc, |el| {
        visit(el);
        true
    });
}

/// As [`walk`], until `visit` returns false; returns whether it got to
/// the end.
pub fn walk_while<'a>(doc: &'a Html, mut visit: impl FnMut(ElementRef<'a>) -> bool) -> bool {
    let mut skip: Option<NodeId> = None;
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(node) if skip.is_none() => match node.value() {
                Node::Fragment => skip = Some(node.id()),
                Node::Element(_) => {
                    if let Some(el) = ElementRef::wrap(node)
                        && !visit(el)
                    {
                        return false;
                    }
                }
                _ => {}
            },
            Edge::Close(node) if skip == Some(node.id()) => skip = None,
            _ => {}
        }
    }
    true
}

/// Tells whether `el` is the HTML element `name` (not an SVG `<a>` or a
/// MathML `<title>`).
pub fn is_html(el: ElementRef<'_>, name: &LocalName) -> bool {
    let q = &el.value().name;
    q.local == *name && q.ns == ns!(html)
}

/// Elements whose text is not content: code, styles, fallbacks.
/// `<noscript>` is not among them: trawl runs no scripts, so a reader of
/// its pages sees what `<noscript>` holds.
pub(super) const HIDDEN: [&str; 4] = ["script", "style", "template", "head"];

/// Elements that break a line when rendered: their edges separate words,
/// so `<p>a</p><p>b</p>` reads "a b", not "ab".
pub(super) const BLOCKS: [&str; 43] = [
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "caption",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "legend",
    "li",
    "main",
    "nav",
    "ol",
    "option",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];

/// The text of `el` as a reader sees it: descendants' text with script,
/// style and template contents left out, block edges read as
/// spaces, and whitespace collapsed. Selecting a `<script>` itself still
/// gives its text.
pub fn text(el: ElementRef<'_>) -> String {
    let mut out = String::new();
    let mut gap = false;
    let mut skip: Option<NodeId> = None;
    for edge in el.traverse() {
        match edge {
            Edge::Open(node) if skip.is_none() => match node.value() {
                Node::Text(t) => push_words(&mut out, &mut gap, t),
                Node::Fragment => skip = Some(node.id()),
                Node::Element(e) if node.id() != el.id() => {
                    if HIDDEN.contains(&e.name()) {
                        skip = Some(node.id());
                    } else if BLOCKS.contains(&e.name()) {
                        gap = true;
                    }
                }
                _ => {}
            },
            Edge::Close(node) if skip.is_none() => {
                if let Node::Element(e) = node.value()
                    && BLOCKS.contains(&e.name())
                {
                    gap = true;
                }
            }
            Edge::Close(node) if skip == Some(node.id()) => skip = None,
            _ => {}
        }
    }
    out
}

/// Joins text pieces with runs of whitespace collapsed to one space and
/// the ends trimmed.
pub fn collapse<'a>(pieces: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    let mut gap = false;
    for piece in pieces {
        push_words(&mut out, &mut gap, piece);
    }
    out
}

/// Appends `piece` to `out` with whitespace collapsed. `gap` says that
/// whitespace (or a block edge) came since the last word, across pieces:
/// text split over nodes without a space stays one word.
pub(super) fn push_words(out: &mut String, gap: &mut bool, piece: &str) {
    for c in piece.chars() {
        if c.is_whitespace() {
            *gap = true;
        } else {
            if *gap && !out.is_empty() {
                out.push(' ');
            }
            *gap = false;
            out.push(c);
        }
    }
}

/// Attributes whose value is a URL, resolved when selected with `@attr`.
const URL_ATTRS: [&str; 7] = [
    "href",
    "src",
    "action",
    "poster",
    "cite",
    "data",
    "formaction",
];

/// Attributes whose value is one URL, resolved against the page (not
/// `srcset`, a list of them).
pub(super) fn is_url_attr(attr: &str) -> bool {
    URL_ATTRS.contains(&attr)
}

/// What relative URLs on a page are resolved against: the first
/// `<base href>` (itself resolved against the page's URL), else the
/// page's URL after redirects.
#[derive(Debug, Clone)]
pub struct Base(Url);

impl Base {
    /// The base for a page fetched from `page`, whose first `<base>` with
    /// an `href` says `base_href`. An unparsable `<base href>` is ignored,
    /// as browsers do.
    pub fn new(page: &Url, base_href: Option<&str>) -> Base {
        let url = base_href
            .and_then(|h| page.join(h.trim_matches(is_ascii_ws)).ok())
            .unwrap_or_else(|| page.clone());
        Base(url)
    }

    /// Resolves a URL as written in the page; `None` when it cannot be.
    pub fn join(&self, raw: &str) -> Option<Url> {
        self.0.join(raw.trim_matches(is_ascii_ws)).ok()
    }

    /// `raw` resolved by string work alone, as [`Base::join`] would
    /// serialize it, when it is a relative reference that the URL parser
    /// would not change: a path of ASCII letters, digits and `-._~/` (not
    /// starting `//`), a query and a fragment of those and `=&`, against
    /// an http(s) base without credentials. `None` leaves it to
    /// [`Base::join`]. `fragment: false` leaves the fragment off. Most
    /// links on real pages are this simple, and the URL parser is a good
    /// part of a page's extraction time.
    pub fn join_simple<'r>(&self, raw: &'r str, fragment: bool) -> Option<String> {
        use url::Position;
        let base = &self.0;
        if !matches!(base.scheme(), "http" | "https")
            || !base.username().is_empty()
            || base.password().is_some()
        {
            return None;
        }
        let raw = raw.trim_matches(is_ascii_ws);
        let path_char = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
        let rest_char = |b: u8| path_char(b) || matches!(b, b'/' | b'=' | b'&');
        let cut = |s: &'r str, at: u8| match memchr::memchr(at, s.as_bytes()) {
            Some(i) => (&s[..i], Some(&s[i + 1..])),
            None => (s, None),
        };
        let (before, frag) = cut(raw, b'#');
        let (path, query) = cut(before, b'?');
        if path.starts_with("//")
            || !path.bytes().all(|b| path_char(b) || b == b'/')
            || query.is_some_and(|q| !q.bytes().all(rest_char))
            || frag.is_some_and(|f| !f.bytes().all(rest_char))
        {
            return None;
        }
        let mut out = String::with_capacity(base.as_str().len() + raw.len());
        if path.is_empty() {
            // The base's path, and its query unless there is a new one.
            match query {
                Some(q) => {
                    out.push_str(&base[..Position::AfterPath]);
                    out.push('?');
                    out.push_str(q);
                }
                None => out.push_str(&base[..Position::AfterQuery]),
            }
        } else {
            out.push_str(&base[..Position::BeforePath]);
            // The path is written segment by segment into `out`; `..`
            // takes the last one off again.
            let root = out.len();
            let relative = match path.strip_prefix('/') {
                Some(rest) => rest,
                None => {
                    // The base's directory (its path is never empty).
                    let dir = base.path();
                    out.push_str(&dir[..dir.rfind('/').unwrap_or(0)]);
                    path
                }
            };
            let mut parts = relative.split('/').peekable();
            while let Some(seg) = parts.next() {
                let last = parts.peek().is_none();
                match seg {
                    ".." => {
                        let up = out[root..].rfind('/').map_or(root, |i| root + i);
                        out.truncate(up);
                        if last {
                            out.push('/');
                        }
                    }
                    "." => {
                        if last {
                            out.push('/');
                        }
                    }
                    seg => {
                        out.push('/');
                        out.push_str(seg);
                    }
                }
            }
            if let Some(q) = query {
                out.push('?');
                out.push_str(q);
            }
        }
        if fragment && let Some(f) = frag {
            out.push('#');
            out.push_str(f);
        }
        Some(out)
    }

    /// The value of attribute `attr` as a user wants it: URL attributes
    /// absolute (each URL of a `srcset`), others as written. A URL that
    /// cannot be resolved is kept as written.
    pub fn attr_value(&self, attr: &str, raw: &str) -> String {
        if attr == "srcset" || attr == "imagesrcset" {
            return self.srcset(raw);
        }
        if is_url_attr(attr) {
            if let Some(url) = self.join_simple(raw, true) {
                return url;
            }
            return self.join(raw).map_or_else(|| raw.to_owned(), String::from);
        }
        raw.to_owned()
    }

    /// Resolves each URL of a `srcset` ("a.png 1x, b.png 2x"), keeping the
    /// descriptors, following the shape of the WHATWG srcset parser: a URL
    /// runs to whitespace (trailing commas end the candidate), descriptors
    /// run to a comma outside parentheses.
    pub fn srcset(&self, raw: &str) -> String {
        let mut out: Vec<String> = Vec::new();
        let mut rest = raw;
        loop {
            rest = rest.trim_start_matches(|c: char| is_ascii_ws(c) || c == ',');
            if rest.is_empty() {
                break;
            }
            let url_end = rest.find(is_ascii_ws).unwrap_or(rest.len());
            let (url, after) = rest.split_at(url_end);
            let mut descriptors = "";
            rest = after;
            let url = if url.ends_with(',') {
                url.trim_end_matches(',')
            } else {
                let mut depth = 0u32;
                let end = after
                    .char_indices()
                    .find(|&(_, c)| {
                        match c {
                            '(' => depth += 1,
                            ')' => depth = depth.saturating_sub(1),
                            ',' if depth == 0 => return true,
                            _ => {}
                        }
                        false
                    })
                    .map_or(after.len(), |(i, _)| i);
                descriptors = after[..end].trim_matches(is_ascii_ws);
                rest = &after[end..];
                url
            };
            let abs = self.join(url).map_or_else(|| url.to_owned(), String::from);
            out.push(if descriptors.is_empty() {
                abs
            } else {
                format!("{abs} {descriptors}")
            });
        }
        out.join(", ")
    }
}

/// ASCII whitespace as HTML defines it (no vertical tab).
fn is_ascii_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0C' | '\r')
}

#[cfg(test)]
mod tests {
    use super::*;
    use html5ever::local_name;
    use scraper::Selector;

    fn first<'a>(doc: &'a Html, css: &str) -> ElementRef<'a> {
        let sel = Selector::parse(css).unwrap();
        doc.select(&sel).next().unwrap()
    }

    #[test]
    fn text_reads_like_a_page() {
        let doc = crate::parse(
            "<div id=d><p>one  <b>two</b>three</p><p>four</p>\
             <script>var x = 1;</script><style>p{}</style><noscript>no <b>js</b></noscript>\
             <template><p>hidden</p></template> five<br>six &amp; <i>seven</i> </div>",
            None,
        )
        .unwrap();
        // Scripting is off: what <noscript> holds is read, as markup.
        assert_eq!(
            text(first(&doc, "#d")),
            "one twothree four no js five six & seven"
        );
        // Asked for directly, a script's text is what was asked for.
        let doc = Html::parse_document("<script id=s> var x = 1; </script>");
        assert_eq!(text(first(&doc, "#s")), "var x = 1;");
    }

    #[test]
    fn collapse_keeps_words_split_across_nodes_whole() {
        assert_eq!(collapse(["ab", "cd"].into_iter()), "abcd");
        assert_eq!(collapse(["ab ", "cd"].into_iter()), "ab cd");
        assert_eq!(collapse(["ab", " cd "].into_iter()), "ab cd");
        assert_eq!(collapse(["  ", "ab", "\n", "cd"].into_iter()), "ab cd");
        assert_eq!(collapse(["\u{a0}x\t y "].into_iter()), "x y");
        assert_eq!(collapse(std::iter::empty()), "");
    }

    #[test]
    fn walk_is_in_document_order_and_skips_templates() {
        let doc = Html::parse_document(
            "<table><tr><td>x</td></tr><a id=fostered></a></table>\
             <template><a id=t></a></template><svg><a id=s></a></svg><a id=last></a>",
        );
        let mut ids = Vec::new();
        walk(&doc, |el| {
            if let Some(id) = el.attr("id") {
                ids.push((id.to_owned(), is_html(el, &local_name!("a"))));
            }
        });
        let ids: Vec<(&str, bool)> = ids.iter().map(|(i, h)| (i.as_str(), *h)).collect();
        // The tree builder moves the `<a>` out of the table, before it.
        assert_eq!(ids, [("fostered", true), ("s", false), ("last", true)]);
    }

    #[test]
    fn walk_survives_deep_nesting() {
        // `<span>` nests without the tree builder's scope scans, so the page
        // parses in linear time.
        let page = "<span>".repeat(200_000);
        let doc = Html::parse_document(&page);
        let mut n = 0;
        walk(&doc, |_| n += 1);
        assert!(n > 1000);
        assert!(text(doc.root_element()).is_empty());
    }

    #[test]
    fn base_and_attribute_resolution() {
        let page = Url::parse("http://h.test/dir/page.html").unwrap();
        let base = Base::new(&page, Some(" ../other/ "));
        assert_eq!(base.0.as_str(), "http://h.test/other/");
        assert_eq!(
            base.attr_value("href", " x.html#f "),
            "http://h.test/other/x.html#f"
        );
        assert_eq!(base.attr_value("title", "x.html"), "x.html");
        assert_eq!(base.attr_value("src", "http://[bad"), "http://[bad");
        // An unusable <base href> leaves the page's URL.
        let base = Base::new(&page, Some("http://[bad"));
        assert_eq!(base.0, page);
    }

    #[test]
    fn srcset_urls_are_resolved_with_descriptors_kept() {
        let base = Base::new(&Url::parse("http://h.test/a/").unwrap(), None);
        assert_eq!(
            base.srcset("s.png 1x, /l.png 2x,x.png,, y.png"),
            "http://h.test/a/s.png 1x, http://h.test/l.png 2x, http://h.test/a/x.png, http://h.test/a/y.png"
        );
        assert_eq!(
            base.srcset(" img.jpg 100w (max-width: 50em), b.jpg"),
            "http://h.test/a/img.jpg 100w (max-width: 50em), http://h.test/a/b.jpg"
        );
        // A URL runs to whitespace, commas and all (as in the WHATWG parser).
        assert_eq!(base.srcset("x,y.png 2x"), "http://h.test/a/x,y.png 2x");
        assert_eq!(base.srcset(""), "");
    }

    /// The string join gives what the URL parser gives, wherever it
    /// answers, and it answers the common forms.
    #[test]
    fn the_simple_join_agrees_with_the_url_parser() {
        use proptest::prelude::*;
        use proptest::test_runner::{Config, TestRunner};
        let bases = [
            "http://h.test/dir/page.html",
            "https://h.test:8443/a/b/",
            "http://h.test/",
            "http://h.test",
            "http://h.test/x?q=1#frag",
            "https://u:p@h.test/a/b",
            "http://h.test/a//b/./c",
            "http://h.test/a/b/c/d.html",
        ];
        for (base, raw) in [
            ("http://h.test/library/os.html", "../genindex.html"),
            ("http://h.test/library/os.html", "os.path.html#os.path.join"),
            ("http://h.test/library/os.html", "#module-os"),
            ("http://h.test/library/os.html", "/3/index.html"),
            ("http://h.test/library/os.html", "?highlight=x"),
        ] {
            let b = Base::new(&Url::parse(base).unwrap(), None);
            assert!(b.join_simple(raw, true).is_some(), "{raw}");
        }
        // Cheap cases: sixteen times the configured count.
        let config = crate::testing::config();
        let mut runner = TestRunner::new(Config {
            cases: config.cases * 16,
            ..config
        });
        let raw = prop::collection::vec(
            prop::sample::select(vec![
                "a", "b", ".", "..", "/", "-", "_", "~", "?", "#", "=", "&", "%2e", " ", "\\", ":",
                "x:y", "\t",
            ]),
            0..10,
        )
        .prop_map(|v| v.concat());
        runner
            .run(
                &(prop::sample::select(bases.to_vec()), raw),
                |(base, raw)| {
                    let b = Base::new(&Url::parse(base).unwrap(), None);
                    if let Some(got) = b.join_simple(&raw, true) {
                        let want = b.join(&raw).map(String::from);
                        prop_assert_eq!(Some(got), want, "{} + {:?}", base, raw);
                        let mut bare = b.join(&raw).unwrap();
                        bare.set_fragment(None);
                        prop_assert_eq!(b.join_simple(&raw, false), Some(String::from(bare)));
                    }
                    Ok(())
                },
            )
            .unwrap();
    }
}
