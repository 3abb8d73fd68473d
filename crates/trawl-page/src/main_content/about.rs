//! What the page says about its content: the headline, the author, the
//! date it was published and its language, from JSON-LD, meta tags
//! (Open Graph, Dublin Core, `article:*`, `citation_*`), microdata and the
//! page itself (its `<h1>`, a byline, a `<time>`).

use super::built::{Nodes, children};
use crate::dom;
use scraper::Html;
use serde_json::Value;

/// The metadata of [`super::Content`].
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct About {
    pub title: Option<String>,
    pub author: Option<String>,
    pub published: Option<String>,
    pub lang: Option<String>,
    /// The page says it is a discussion (schema.org's
    /// `DiscussionForumPosting`, Open Graph's `forum`): its comments are
    /// its content.
    pub discussion: bool,
    /// A product's description as its JSON-LD gives it: on a page that a
    /// script fills in, the only copy of it.
    pub product_description: Option<String>,
}

/// What one walk of the document collects.
#[derive(Default)]
struct Found {
    /// `<meta>` contents by lower-case name, property or itemprop; the
    /// first of each.
    meta: Vec<(String, String)>,
    json_ld: Vec<Value>,
    h1: Option<String>,
    title: Option<String>,
    html_lang: Option<String>,
    time: Option<String>,
    byline: Option<String>,
    /// A microdata `itemtype` of a discussion.
    discussion: bool,
}

impl Found {
    fn meta(&self, keys: &[&str]) -> Option<&str> {
        keys.iter().find_map(|k| {
            self.meta
                .iter()
                .find(|(name, v)| name == k && !v.trim().is_empty())
                .map(|(_, v)| v.trim())
        })
    }
}

/// Reads the metadata of `doc`.
pub(super) fn about(doc: &Html) -> About {
    let mut f = Found::default();
    dom::walk(doc, |el| {
        let e = el.value();
        visit(
            &mut f,
            e.name(),
            |a| e.attr(a),
            || el.text().collect(),
            || dom::text(el),
        );
    });
    finish(f)
}

/// As [`about`], for the fast reader's tree.
pub(super) fn about_built(built: &Nodes) -> About {
    let mut f = Found::default();
    // The fast reader only appends, so the nodes are in document order as
    // they stand: one pass along them, no walk of the links.
    for (i, n) in built.iter().enumerate().skip(1) {
        let Some(name) = &n.name else { continue };
        // Most of a page's elements say nothing `visit` reads: passed over
        // by comparing atoms, before any string.
        if says_something(name, built.attrs(n)) {
            visit_built(&mut f, built, i, &name.local);
        }
    }
    finish(f)
}

/// [`visit`] for node `i` of the fast reader's tree, an element named
/// `name`.
fn visit_built(f: &mut Found, built: &Nodes, i: usize, name: &str) {
    let attr = |a: &str| {
        built
            .attrs(&built[i])
            .iter()
            .find(|x| x.name.ns == html5ever::ns!() && &*x.name.local == a)
            .map(|x| &*x.value)
    };
    visit(
        f,
        name,
        attr,
        || all_text(built, i),
        || block_text(built, i),
    );
}

/// Tells whether a class list holds a class of a byline.
fn names_byline(class: &str) -> bool {
    class
        .split_ascii_whitespace()
        .any(|c| matches!(c, "author" | "byline" | "author-name"))
}

/// Tells whether `visit` may read anything from an element: one of the
/// elements it reads by name, or an attribute it looks at (a class only
/// when it may name a byline).
fn says_something(name: &html5ever::QualName, attrs: &[html5ever::Attribute]) -> bool {
    use html5ever::local_name as l;
    matches!(
        name.local,
        l!("meta") | l!("script") | l!("title") | l!("h1") | l!("html") | l!("time")
    ) || attrs.iter().any(|a| match a.name.local {
        l!("itemtype") | l!("rel") | l!("itemprop") => true,
        l!("class") => names_byline(&a.value),
        _ => false,
    })
}

/// As [`about_built`], walking the links (the order the tree gives).
#[cfg(test)]
pub(super) fn about_built_by_links(built: &Nodes) -> About {
    let mut f = Found::default();
    let mut stack: Vec<usize> = children(built, 0).rev().collect();
    while let Some(i) = stack.pop() {
        let n = &built[i];
        let Some(name) = &n.name else { continue };
        if !built.attrs(n).is_empty() || matches!(&*name.local, "title" | "h1") {
            visit_built(&mut f, built, i, &name.local);
        }
        stack.extend(children(built, i).rev());
    }
    finish(f)
}

/// Every text under node `i`, as scraper's `ElementRef::text` gives it.
fn all_text(built: &Nodes, i: usize) -> String {
    let mut out = String::new();
    let mut stack = vec![i];
    while let Some(j) = stack.pop() {
        let n = &built[j];
        if n.name.is_none() {
            out.push_str(built.text(n));
        }
        stack.extend(children(built, j).rev());
    }
    out
}

/// The text under node `i` as [`dom::text`] reads it from scraper's tree:
/// scripts, styles and the like left out, block edges read as spaces.
fn block_text(built: &Nodes, i: usize) -> String {
    let mut out = String::new();
    let mut gap = false;
    // (node, entering): a block's edge is a gap on the way in and out.
    let mut stack: Vec<(usize, bool)> = children(built, i).rev().map(|c| (c, true)).collect();
    while let Some((j, entering)) = stack.pop() {
        let n = &built[j];
        let Some(name) = &n.name else {
            dom::push_words(&mut out, &mut gap, built.text(n));
            continue;
        };
        let name: &str = &name.local;
        if !entering {
            gap = true;
            continue;
        }
        if dom::HIDDEN.contains(&name) {
            continue;
        }
        let block = dom::BLOCKS.contains(&name);
        if block {
            gap = true;
            stack.push((j, false));
        }
        stack.extend(children(built, j).rev().map(|c| (c, true)));
    }
    out
}

fn finish(f: Found) -> About {
    let ld = |key: &str| f.json_ld.iter().find_map(|v| ld_find(v, key, 0));
    let title = ld("headline")
        .and_then(ld_text)
        .or_else(|| f.h1.clone())
        .or_else(|| {
            f.meta(&["og:title", "twitter:title", "dc.title"])
                .map(str::to_owned)
        })
        .or_else(|| f.title.clone())
        .map(|t| dom::collapse(std::iter::once(t.as_str())))
        .filter(|t| !t.is_empty());
    let author = ld("author")
        .and_then(ld_person)
        .or_else(|| {
            f.meta(&[
                "author",
                "article:author",
                "dc.creator",
                "citation_author",
                "parsely-author",
                "byl",
            ])
            .filter(|a| !a.starts_with("http"))
            .map(str::to_owned)
        })
        .or_else(|| f.byline.clone())
        .map(|a| {
            let a = dom::collapse(std::iter::once(a.as_str()));
            a.strip_prefix("By ")
                .or_else(|| a.strip_prefix("by "))
                .unwrap_or(&a)
                .to_owned()
        })
        .filter(|a| !a.is_empty() && a.chars().count() <= 100);
    let published = ld("datePublished")
        .and_then(ld_text)
        .and_then(|d| iso_date(&d))
        .or_else(|| {
            f.meta(&[
                "article:published_time",
                "datepublished",
                "og:published_time",
                "publishdate",
                "pubdate",
                "date",
                "dc.date",
                "dc.date.issued",
                "dcterms.created",
                "citation_publication_date",
                "citation_date",
                "sailthru.date",
                "parsely-pub-date",
            ])
            .and_then(iso_date)
        })
        .or_else(|| f.time.as_deref().and_then(iso_date));
    let lang = f
        .html_lang
        .clone()
        .or_else(|| {
            f.meta(&["content-language", "og:locale", "dc.language"])
                .map(str::to_owned)
        })
        .map(|l| l.trim().replace('_', "-"))
        .filter(|l| !l.is_empty() && l.len() <= 35);
    let discussion = f.discussion
        || f.json_ld
            .iter()
            .any(|v| ld_typed(v, names_discussion, 0).is_some())
        || f.meta(&["og:type"])
            .is_some_and(|t| t.eq_ignore_ascii_case("forum"));
    let product_description = f
        .json_ld
        .iter()
        .find_map(|v| ld_typed(v, |t| t == "Product", 0))
        .and_then(|product| product.get("description"))
        .and_then(ld_text)
        .map(|d| as_text(&d))
        .filter(|d| !d.is_empty());
    About {
        title,
        author,
        published,
        lang,
        discussion,
        product_description,
    }
}

/// A JSON-LD text as a reader reads it: some stores write HTML there
/// (`<p>Soft cotton &amp; wool</p>`), which is read as a fragment of a
/// page; plain text only has its whitespace collapsed. A text longer than
/// [`MAX_LD_HTML`] is no product's blurb, and is read as nothing: parsed
/// outside the page's deadline, a hostile one (100,000 nested `<div>`s in
/// 500 KB) took html5ever 54 s.
fn as_text(value: &str) -> String {
    if value.len() > MAX_LD_HTML {
        return String::new();
    }
    if value.contains(['<', '&']) {
        dom::text(Html::parse_fragment(value).root_element())
    } else {
        dom::collapse(std::iter::once(value))
    }
}

/// The longest JSON-LD text [`as_text`] reads.
const MAX_LD_HTML: usize = 16 * 1024;

/// The first object of a JSON-LD document (inside `@graph` and arrays too)
/// whose `@type` `is` accepts, depth-limited.
fn ld_typed(
    v: &Value,
    is: fn(&str) -> bool,
    depth: u32,
) -> Option<&serde_json::Map<String, Value>> {
    if depth > 6 {
        return None;
    }
    match v {
        Value::Object(map) => {
            let here = match map.get("@type") {
                Some(Value::String(t)) => is(t),
                Some(Value::Array(ts)) => ts.iter().any(|t| t.as_str().is_some_and(is)),
                _ => false,
            };
            if here {
                return Some(map);
            }
            map.values()
                .filter(|v| v.is_array() || v.is_object())
                .find_map(|v| ld_typed(v, is, depth + 1))
        }
        Value::Array(items) => items.iter().find_map(|v| ld_typed(v, is, depth + 1)),
        _ => None,
    }
}

/// Tells whether a schema.org type is a discussion's. A `QAPage` is not:
/// its answers are its content, the remarks under them (Stack Exchange's
/// comments) are not.
fn names_discussion(t: &str) -> bool {
    t == "DiscussionForumPosting"
}

/// Looks at one element, named `name`, whose attributes `attr` gives and
/// whose text the two functions give (all of it; as a reader sees it).
fn visit<'v>(
    f: &mut Found,
    name: &str,
    attr: impl Fn(&str) -> Option<&'v str>,
    all_text: impl Fn() -> String,
    block_text: impl Fn() -> String,
) {
    if attr("itemtype").is_some_and(|t| {
        t.split_ascii_whitespace()
            .any(|t| names_discussion(t.rsplit('/').next().unwrap_or(t)))
    }) {
        f.discussion = true;
    }
    match name {
        "meta" => {
            let Some(content) = attr("content") else {
                return;
            };
            for key in [
                attr("name"),
                attr("property"),
                attr("itemprop"),
                attr("http-equiv"),
            ]
            .into_iter()
            .flatten()
            {
                let key = key.trim().to_ascii_lowercase();
                if !f.meta.iter().any(|(k, _)| *k == key) {
                    f.meta.push((key, content.to_owned()));
                }
            }
        }
        "script" => {
            if crate::meta::is_json_ld(attr("type"))
                && f.json_ld.len() < 16
                && let Ok(v) = serde_json::from_str::<Value>(all_text().trim())
            {
                f.json_ld.push(v);
            }
        }
        "title" if f.title.is_none() => f.title = Some(all_text()),
        "h1" if f.h1.is_none() => {
            let t = block_text();
            if !t.is_empty() {
                f.h1 = Some(t);
            }
        }
        "html" if f.html_lang.is_none() => f.html_lang = attr("lang").map(str::to_owned),
        "time" if f.time.is_none() => {
            f.time = attr("datetime").map(str::to_owned);
        }
        _ => {
            if f.byline.is_none()
                && (attr("rel").is_some_and(|r| r.split_ascii_whitespace().any(|r| r == "author"))
                    || attr("itemprop") == Some("author")
                    || attr("class").is_some_and(names_byline))
            {
                let t = block_text();
                if !t.is_empty() && t.chars().count() <= 100 {
                    f.byline = Some(t);
                }
            }
            if f.time.is_none() && attr("itemprop") == Some("datePublished") {
                f.time = attr("datetime")
                    .or_else(|| attr("content"))
                    .map(str::to_owned);
            }
        }
    }
}

/// The first value of `key` in a JSON-LD document (inside `@graph` and
/// arrays too), depth-limited.
fn ld_find<'v>(v: &'v Value, key: &str, depth: u32) -> Option<&'v Value> {
    if depth > 6 {
        return None;
    }
    match v {
        Value::Object(map) => map.get(key).filter(|v| !v.is_null()).or_else(|| {
            map.values()
                .filter(|v| v.is_array() || v.is_object())
                .find_map(|v| ld_find(v, key, depth + 1))
        }),
        Value::Array(items) => items.iter().find_map(|v| ld_find(v, key, depth + 1)),
        _ => None,
    }
}

fn ld_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => items.iter().find_map(ld_text),
        _ => None,
    }
}

/// A JSON-LD author: a name, a Person, or a list of them (names joined).
fn ld_person(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.starts_with("http") => Some(s.clone()),
        Value::Object(map) => map.get("name").and_then(ld_text),
        Value::Array(items) => {
            let names: Vec<String> = items.iter().filter_map(ld_person).collect();
            (!names.is_empty()).then(|| names.join(", "))
        }
        _ => None,
    }
}

/// The date of an ISO 8601 timestamp or a date written `2026-11-30`,
/// `2026/11/30` or `20261130`: `YYYY-MM-DD`, or `None`.
pub(super) fn iso_date(s: &str) -> Option<String> {
    let s = s.trim();
    let digits: Vec<u32> = s
        .split(|c: char| !c.is_ascii_digit())
        .take(3)
        .map(|p| p.parse().unwrap_or(0))
        .collect();
    let (y, m, d) = match digits.as_slice() {
        [y, m, d] if s.len() >= 8 && s.as_bytes()[4].is_ascii_punctuation() => (*y, *m, *d),
        [_] if s.len() >= 8 && s.as_bytes()[..8].iter().all(u8::is_ascii_digit) => {
            let n: u32 = s.get(..8)?.parse().ok()?;
            (n / 10_000, n / 100 % 100, n % 100)
        }
        _ => return None,
    };
    ((1990..=2100).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d))
        .then(|| format!("{y:04}-{m:02}-{d:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_the_usual_shapes_become_iso() {
        assert_eq!(
            iso_date("2025-09-04T10:00:00+00:00").as_deref(),
            Some("2025-09-04")
        );
        assert_eq!(iso_date("2025/9/4").as_deref(), Some("2025-09-04"));
        assert_eq!(iso_date("20250904").as_deref(), Some("2025-09-04"));
        assert_eq!(iso_date("September 4, 2025"), None);
        assert_eq!(iso_date("2025-13-04"), None);
    }
}
