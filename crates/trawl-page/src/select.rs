//! `-s/--select`: named CSS selectors, parsed and compiled once from
//! `NAME=CSS`, `NAME[]=CSS` and the suffixes `@attr`, `@text`, `@html`,
//! and the `fields` object they fill on each page.

use super::dom::{self, Base};
use scraper::ElementRef;
use scraper::selector::{CssLocalName, Parser, Simple};
use selectors::Element;
use selectors::attr::CaseSensitivity;
use selectors::matching::{
    self, MatchingContext, MatchingForInvalidation, MatchingMode, NeedsSelectorFlags, QuirksMode,
    SelectorCaches,
};
use selectors::parser::{Combinator, Component, NthType, ParseRelative, Selector, SelectorList};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::str::FromStr;

/// One `-s` flag, checked and compiled.
#[derive(Debug, Clone)]
pub struct Selection {
    /// The key in `fields`.
    pub name: String,
    /// `NAME[]=…`: every match, as an array.
    pub many: bool,
    /// What is taken from a match.
    pub want: Want,
    /// The selector as written, for messages.
    pub css: String,
    selector: SelectorList<Simple>,
    /// The only element names it can match, when it names them.
    subjects: Option<Vec<CssLocalName>>,
    /// The attributes it can look at (and the one `@attr` takes), on which
    /// elements; `None`: it may look at any.
    uses: Option<Vec<AttributeUse>>,
}

/// What a selection takes from a matching element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Want {
    /// Its text, whitespace collapsed (`@text`, the default).
    Text,
    /// Its outer HTML (`@html`).
    Html,
    /// An attribute, by lower-case name (`@href`); URL attributes come
    /// back absolute. Matches without the attribute are passed over.
    Attr(String),
}

impl FromStr for Selection {
    type Err = String;

    fn from_str(spec: &str) -> Result<Selection, String> {
        let Some((head, rest)) = spec.split_once('=') else {
            return Err(format!(
                "'{spec}' is not NAME=CSS (e.g. 'price=.price', 'img[]=img@src')"
            ));
        };
        let (name, many) = match head.trim().strip_suffix("[]") {
            Some(name) => (name, true),
            None => (head.trim(), false),
        };
        if name.is_empty() || name.contains(|c: char| c.is_whitespace() || "[]\"'@=".contains(c)) {
            return Err(format!(
                "'{spec}' does not start with a field name: write NAME=CSS \
                 (e.g. 'link={spec}'); a name has no spaces, brackets, quotes or '@'"
            ));
        }
        let (css, want) = split_suffix(rest)?;
        let css = css.trim();
        if css.is_empty() {
            return Err(format!("the selector of field '{name}' is empty"));
        }
        let selector = compile(css)?;
        let taken = match &want {
            Want::Attr(a) => Some(a.as_str()),
            _ => None,
        };
        Ok(Selection {
            name: name.to_owned(),
            many,
            uses: attribute_uses(&selector, taken),
            want,
            css: css.to_owned(),
            subjects: subjects(&selector),
            selector,
        })
    }
}

/// Splits `CSS@what` at the last `@` outside brackets, parentheses and
/// quotes, so `a[href="x@y"]` keeps its `@`.
fn split_suffix(rest: &str) -> Result<(&str, Want), String> {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut at = None;
    for (i, c) in rest.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match (quote, c) {
            (_, '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '(') => depth += 1,
            (None, ']' | ')') => depth -= 1,
            (None, '@') if depth == 0 => at = Some(i),
            _ => {}
        }
    }
    let Some(at) = at else {
        return Ok((rest, Want::Text));
    };
    let what = rest[at + 1..].trim();
    let want = match what {
        "text" => Want::Text,
        "html" => Want::Html,
        "" => {
            return Err(format!(
                "nothing after '@' in '{rest}': give an attribute name, 'text' or 'html'"
            ));
        }
        attr if attr.contains(|c: char| c.is_whitespace() || "\"'=<>/@[]".contains(c)) => {
            return Err(format!("'{attr}' after '@' is not an attribute name"));
        }
        attr => Want::Attr(attr.to_ascii_lowercase()),
    };
    Ok((&rest[..at], want))
}

/// Parses a selector list as scraper's `Selector::parse` does (the same
/// parser, the same dialect), keeping the parsed form, which both the tree
/// and the stream match against.
fn compile(css: &str) -> Result<SelectorList<Simple>, String> {
    let mut parser = cssparser::Parser::new(css);
    SelectorList::parse(&Parser, &mut parser, ParseRelative::No).map_err(|e| {
        let e = scraper::error::SelectorErrorKind::from(e);
        format!("invalid CSS selector '{css}': {}", describe(&e))
    })
}

/// The element names `list` can match (each selector's type selector in
/// its rightmost compound, as written and in lower case); `None` when a
/// selector there has none, and can match any element.
fn subjects(list: &SelectorList<Simple>) -> Option<Vec<CssLocalName>> {
    let mut out = Vec::new();
    for sel in list.slice() {
        let [name, lower] = subject(sel)?;
        out.extend([name.clone(), lower.clone()]);
    }
    Some(out)
}

/// The type selector of `sel`'s rightmost compound (the element it
/// matches), as written and in lower case; `None` when it has none.
fn subject(sel: &Selector<Simple>) -> Option<[&CssLocalName; 2]> {
    sel.iter().find_map(|c| match c {
        Component::LocalName(n) => Some([&n.name, &n.lower_name]),
        _ => None,
    })
}

/// Whether `el` can be matched at all by a list whose subjects are
/// `subjects`: a cheap test before the matcher's own.
fn may_match<E: Element<Impl = Simple>>(subjects: &Option<Vec<CssLocalName>>, el: &E) -> bool {
    subjects
        .as_ref()
        .is_none_or(|names| names.iter().any(|n| el.has_local_name(n)))
}

/// Tells whether `el` matches `list`, as scraper's `Selector::matches`
/// does, for a tree's element or the stream's.
fn matches<E: Element<Impl = Simple>>(list: &SelectorList<Simple>, el: &E) -> bool {
    let mut undecided = false;
    for sel in list.slice() {
        match rightmost_match(sel, el) {
            Some(true) => return true,
            Some(false) => {}
            None => undecided = true,
        }
    }
    undecided && matches_in_context(list, el)
}

/// What the type, class and id selectors that begin `sel`'s rightmost
/// compound (its subject) say of `el`, read as the general matcher reads
/// them (no quirks mode: classes and ids case-sensitive) but without
/// setting up its context: `Some(false)` once one fails (the selector
/// cannot match), `Some(true)` when they are the whole selector and all
/// hold (`a.reference`, `h2`, `#main`), `None` when something else comes
/// first (a combinator, an attribute, a pseudo-class), for the general
/// matcher to decide.
fn rightmost_match<E: Element<Impl = Simple>>(sel: &Selector<Simple>, el: &E) -> Option<bool> {
    for part in sel.iter_raw_match_order() {
        let holds = match part {
            Component::LocalName(n) => {
                el.has_local_name(matching::select_name(el, &n.name, &n.lower_name))
            }
            Component::Class(class) => el.has_class(class, CaseSensitivity::CaseSensitive),
            Component::ID(id) => el.has_id(id, CaseSensitivity::CaseSensitive),
            _ => return None,
        };
        if !holds {
            return Some(false);
        }
    }
    Some(true)
}

/// [`matches()`] by the selectors crate's general matcher.
fn matches_in_context<E: Element<Impl = Simple>>(list: &SelectorList<Simple>, el: &E) -> bool {
    let mut caches = SelectorCaches::default();
    let mut context = MatchingContext::new(
        MatchingMode::Normal,
        None,
        &mut caches,
        QuirksMode::NoQuirks,
        NeedsSelectorFlags::No,
        MatchingForInvalidation::No,
    );
    list.slice()
        .iter()
        .any(|s| matching::matches_selector(s, 0, None, el, &mut context))
}

/// Why the stream cannot answer `list` exactly, or `None` when it can:
/// it matches an element when the element enters the document, knowing
/// its attributes and its ancestors but nothing that comes later, so only
/// selectors that look at an element and its ancestors are streamed
/// and its earlier siblings (type, class, id, attribute, `*`, `:root`,
/// `:first-child`, `:nth-child(An+B)`, `:first-of-type`,
/// `:nth-of-type(An+B)`, descendant and child combinators, and
/// `:not`/`:is`/`:where` of those).
pub(super) fn not_streamable(list: &SelectorList<Simple>) -> Option<&'static str> {
    list.slice().iter().find_map(selector_not_streamable)
}

fn selector_not_streamable(sel: &Selector<Simple>) -> Option<&'static str> {
    sel.iter_raw_match_order().find_map(|c| match c {
        Component::Combinator(Combinator::Child | Combinator::Descendant) => None,
        Component::Combinator(Combinator::NextSibling | Combinator::LaterSibling) => {
            Some("a sibling combinator")
        }
        Component::Combinator(_) => Some("a shadow-tree combinator"),
        Component::LocalName(_)
        | Component::ID(_)
        | Component::Class(_)
        | Component::AttributeInNoNamespaceExists { .. }
        | Component::AttributeInNoNamespace { .. }
        | Component::AttributeOther(_)
        | Component::ExplicitUniversalType
        | Component::ExplicitAnyNamespace
        | Component::ExplicitNoNamespace
        | Component::DefaultNamespace(_)
        | Component::Namespace(..)
        | Component::Root => None,
        Component::Negation(list) | Component::Is(list) | Component::Where(list) => {
            not_streamable(list)
        }
        Component::Has(_) => Some(":has()"),
        // Counted from the start, over siblings that have all arrived.
        Component::Nth(nth) if matches!(nth.ty, NthType::Child | NthType::OfType) => None,
        Component::Nth(_) | Component::NthOf(_) => {
            Some("a child-index pseudo-class counted from the end or of a selector")
        }
        Component::Empty => Some(":empty"),
        _ => Some("a pseudo-class the stream does not follow"),
    })
}

/// Attributes a selector can look at (lower case), and on which elements:
/// `elements` (lower case) when it looks at no other element than the one
/// it matches and names it, `None` for any element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AttributeUse {
    pub elements: Option<Vec<String>>,
    pub attributes: Vec<String>,
}

/// What each selector of `list` looks at (and `want`, the attribute a
/// field takes from its matches), worked out once when it is compiled;
/// `None` when a selector has a part this does not know, which may look
/// at anything.
fn attribute_uses(list: &SelectorList<Simple>, want: Option<&str>) -> Option<Vec<AttributeUse>> {
    let mut out = Vec::new();
    for sel in list.slice() {
        let mut attributes = Vec::new();
        if !attribute_names(std::slice::from_ref(sel), &mut attributes) {
            return None;
        }
        attributes.extend(want.map(str::to_ascii_lowercase));
        let elements = if has_combinator(sel) {
            None
        } else {
            subject(sel).map(|names| {
                names
                    .iter()
                    .map(|n| n.0.to_ascii_lowercase().to_string())
                    .collect()
            })
        };
        out.push(AttributeUse {
            elements,
            attributes,
        });
    }
    Some(out)
}

/// Whether `sel`, or a selector nested in it, looks past its element.
fn has_combinator(sel: &Selector<Simple>) -> bool {
    sel.iter_raw_match_order().any(|c| match c {
        Component::Combinator(_) => true,
        Component::Negation(list) | Component::Is(list) | Component::Where(list) => {
            list.slice().iter().any(has_combinator)
        }
        _ => false,
    })
}

/// Adds to `out` the name (lower case) of every attribute `list` can look
/// at; false when it has a part this does not know, which may look at any.
fn attribute_names(list: &[Selector<Simple>], out: &mut Vec<String>) -> bool {
    list.iter().all(|sel| {
        sel.iter_raw_match_order().all(|c| match c {
            Component::ID(_) => {
                out.push("id".into());
                true
            }
            Component::Class(_) => {
                out.push("class".into());
                true
            }
            Component::AttributeInNoNamespaceExists {
                local_name,
                local_name_lower,
            } => {
                out.push(local_name.0.to_ascii_lowercase().to_string());
                out.push(local_name_lower.0.to_ascii_lowercase().to_string());
                true
            }
            Component::AttributeInNoNamespace { local_name, .. } => {
                out.push(local_name.0.to_ascii_lowercase().to_string());
                true
            }
            Component::AttributeOther(a) => {
                out.push(a.local_name.0.to_ascii_lowercase().to_string());
                out.push(a.local_name_lower.0.to_ascii_lowercase().to_string());
                true
            }
            Component::Negation(list) | Component::Is(list) | Component::Where(list) => {
                attribute_names(list.slice(), out)
            }
            Component::Combinator(_)
            | Component::LocalName(_)
            | Component::ExplicitUniversalType
            | Component::ExplicitAnyNamespace
            | Component::ExplicitNoNamespace
            | Component::DefaultNamespace(_)
            | Component::Namespace(..)
            | Component::Root
            | Component::Nth(_) => true,
            _ => false,
        })
    })
}

/// Says what is wrong with a selector in words. scraper's own messages
/// are terse, and for most errors a debug dump of the parser's error.
fn describe(e: &scraper::error::SelectorErrorKind) -> String {
    use scraper::error::SelectorErrorKind as K;
    match e {
        K::UnexpectedToken => "unexpected token".into(),
        K::EndOfLine => "it ends too early (an unclosed bracket or quote?)".into(),
        K::UnexpectedSelectorParseError(inner) => {
            // The variant's name, in words: `EmptySelector` → "empty selector".
            let dump = format!("{inner:?}");
            let (variant, detail) = dump.split_once('(').unwrap_or((&dump, ""));
            let mut words = String::new();
            for c in variant.chars() {
                if c.is_uppercase() && !words.is_empty() {
                    words.push(' ');
                }
                words.push(c.to_ascii_lowercase());
            }
            let detail = detail.trim_end_matches(')');
            if detail.is_empty() {
                words
            } else {
                format!("{words}: {detail}")
            }
        }
        other => other.to_string().to_lowercase(),
    }
}

impl Selection {
    /// Tells whether `el` gives this selection a value it still wants.
    pub fn takes(&self, el: ElementRef<'_>, found: usize) -> bool {
        self.takes_with(&el, found, |a| el.value().attr(a).is_some())
    }

    /// As [`Selection::takes`], for any element: `has_attr` tells whether
    /// it has an attribute.
    pub(super) fn takes_with<E: Element<Impl = Simple>>(
        &self,
        el: &E,
        found: usize,
        has_attr: impl Fn(&str) -> bool,
    ) -> bool {
        (self.many || found == 0)
            && may_match(&self.subjects, el)
            && match &self.want {
                Want::Attr(a) => has_attr(a),
                _ => true,
            }
            && matches(&self.selector, el)
    }

    /// The only element names it can match (as written and in lower
    /// case); `None` when it may match any element.
    pub(super) fn subjects(&self) -> Option<&[CssLocalName]> {
        self.subjects.as_deref()
    }

    /// The attributes this field can look at, on which elements; `None`
    /// when it may look at any.
    pub(super) fn attribute_uses(&self) -> Option<&[AttributeUse]> {
        self.uses.as_deref()
    }

    /// Why the stream cannot fill this field exactly, or `None`.
    pub(super) fn not_streamable(&self) -> Option<&'static str> {
        match self.want {
            Want::Html => Some("@html"),
            _ => not_streamable(&self.selector),
        }
    }

    /// The field's value from the elements it took, in document order.
    pub fn value(&self, hits: &[ElementRef<'_>], base: &Base) -> Field {
        let get = |el: &ElementRef<'_>| match &self.want {
            Want::Text => dom::text(*el),
            Want::Html => el.html(),
            Want::Attr(a) => base.attr_value(a, el.value().attr(a).unwrap_or_default()),
        };
        self.field(hits.iter().map(get))
    }

    /// The field from the values of the elements it took.
    pub(super) fn field(&self, mut values: impl Iterator<Item = String>) -> Field {
        if self.many {
            Field::Many(values.collect())
        } else {
            Field::One(values.next())
        }
    }
}

/// One `--expect` flag: a selector the page must match.
#[derive(Debug, Clone)]
pub struct Expect {
    /// The selector as written, for messages.
    pub css: String,
    selector: SelectorList<Simple>,
    subjects: Option<Vec<CssLocalName>>,
    uses: Option<Vec<AttributeUse>>,
}

impl FromStr for Expect {
    type Err = String;

    fn from_str(css: &str) -> Result<Expect, String> {
        let css = css.trim();
        if css.is_empty() {
            return Err("the selector is empty".into());
        }
        let selector = compile(css)?;
        Ok(Expect {
            css: css.to_owned(),
            subjects: subjects(&selector),
            uses: attribute_uses(&selector, None),
            selector,
        })
    }
}

impl Expect {
    /// Tells whether `el` meets the expectation.
    pub fn matches(&self, el: ElementRef<'_>) -> bool {
        matches(&self.selector, &el)
    }

    /// As [`Expect::matches`], for any element.
    pub(super) fn matches_any<E: Element<Impl = Simple>>(&self, el: &E) -> bool {
        may_match(&self.subjects, el) && matches(&self.selector, el)
    }

    /// Why the stream cannot check this exactly, or `None`.
    pub(super) fn not_streamable(&self) -> Option<&'static str> {
        not_streamable(&self.selector)
    }

    /// The attributes this selector can look at, on which elements; `None`
    /// when it may look at any.
    pub(super) fn attribute_uses(&self) -> Option<&[AttributeUse]> {
        self.uses.as_deref()
    }
}

/// One field's value: the first match's (`null` when none), or every
/// match's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    One(Option<String>),
    Many(Vec<String>),
}

/// The `fields` object: field names in the order of the `-s` flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields(pub Vec<(String, Field)>);

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, field) in &self.0 {
            match field {
                Field::One(v) => map.serialize_entry(name, v)?,
                Field::Many(v) => map.serialize_entry(name, v)?,
            }
        }
        map.end()
    }
}

/// Reads a `fields` object back from an earlier record (`--revalidate`),
/// keeping its order: strings and nulls are [`Field::One`], arrays
/// [`Field::Many`].
impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(Option<String>),
            Many(Vec<String>),
        }
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = Fields;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a fields object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
                let mut out = Vec::new();
                while let Some((name, raw)) = map.next_entry::<String, Raw>()? {
                    out.push((
                        name,
                        match raw {
                            Raw::One(v) => Field::One(v),
                            Raw::Many(v) => Field::Many(v),
                        },
                    ));
                }
                Ok(Fields(out))
            }
        }
        d.deserialize_map(Visit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_back_as_written_in_order() {
        let fields = Fields(vec![
            ("z".into(), Field::One(Some("1".into()))),
            ("a".into(), Field::One(None)),
            ("m".into(), Field::Many(vec!["x".into(), "y".into()])),
            ("e".into(), Field::Many(vec![])),
        ]);
        let text = serde_json::to_string(&fields).unwrap();
        let back: Fields = serde_json::from_str(&text).unwrap();
        assert_eq!(back, fields);
        assert!(serde_json::from_str::<Fields>(r#"{"n": 3}"#).is_err());
    }

    fn sel(spec: &str) -> Selection {
        spec.parse().unwrap()
    }

    /// The short cut for a selector's subject (type, class, id) agrees
    /// with the general matcher on every element, in HTML and in foreign
    /// content, whatever the case, and decides the plain selectors itself.
    #[test]
    fn the_subject_short_cut_matches_as_the_general_matcher_does() {
        let page = scraper::Html::parse_document(
            r#"<!doctype html><html><body>
            <div id="Main" class="a B c"><a class="reference internal" href="x">x</a>
            <A CLASS="Reference">y</A><span class=" reference  other ">s</span>
            <svg><foreignObject class="f"><p id="p1" class="x">p</p></foreignObject>
            <linearGradient id="g" class="reference"/><clipPath/><a class="reference">l</a></svg>
            <math><mi class="reference">m</mi></math><p ID="main">q</p><h2 class="">h</h2></div>"#,
        );
        let elements: Vec<ElementRef> = page
            .root_element()
            .descendants()
            .filter_map(ElementRef::wrap)
            .collect();
        let plain = [
            "a",
            "A",
            "a.reference",
            "a.Reference",
            ".reference",
            ".REFERENCE",
            "#Main",
            "#main",
            "div#Main.a.B",
            "linearGradient",
            "lineargradient",
            "LINEARGRADIENT",
            "foreignObject.f",
            "clipPath",
            "mi.reference",
            "span.reference.other",
            "p.x",
            "a, h2",
            "h2, .nothing",
        ];
        let other = [
            "*",
            "*.reference",
            "div a",
            "svg > a",
            "a[href]",
            "a.reference[href]",
            ":root",
            "h2:first-child",
            "a:not(.internal)",
            "p, div a",
        ];
        let mut hits = 0;
        for css in plain.iter().chain(&other) {
            let list = compile(css).unwrap();
            for el in &elements {
                let short = matches(&list, el);
                assert_eq!(
                    short,
                    matches_in_context(&list, el),
                    "'{css}' on {:?}",
                    el.value()
                );
                hits += usize::from(short);
            }
        }
        assert!(hits > 30, "the selectors matched only {hits} times");
        for css in plain {
            let list = compile(css).unwrap();
            for el in &elements {
                for sel in list.slice() {
                    assert!(rightmost_match(sel, el).is_some(), "'{css}' left undecided");
                }
            }
        }
        // A selector that goes on past its subject is decided by the
        // general matcher, unless its subject already fails.
        let list = compile("div a").unwrap();
        let a = elements.iter().find(|e| e.value().name() == "a").unwrap();
        assert_eq!(rightmost_match(&list.slice()[0], a), None);
    }

    #[test]
    fn specs_split_into_name_selector_and_what() {
        let s = sel("price=span.price");
        assert_eq!(
            (s.name.as_str(), s.many, &s.want),
            ("price", false, &Want::Text)
        );
        let s = sel("img[]=img@SRC");
        assert_eq!((s.name.as_str(), s.many), ("img", true));
        assert_eq!(s.want, Want::Attr("src".into()));
        assert_eq!(sel("h=h1@html").want, Want::Html);
        assert_eq!(sel("h=h1 @text").want, Want::Text);
        // '=' and '@' inside brackets and quotes belong to the selector.
        let s = sel(r#"q=a[href="x=1"]@href"#);
        assert_eq!(s.css, r#"a[href="x=1"]"#);
        assert_eq!(s.want, Want::Attr("href".into()));
        let s = sel("m=a[href*='@']");
        assert_eq!((s.css.as_str(), &s.want), ("a[href*='@']", &Want::Text));
        let s = sel(r#"m=a[title="x]@y"]@title"#);
        assert_eq!(s.css, r#"a[title="x]@y"]"#);
        let s = sel("n=li:not([data-x='a@b'])");
        assert_eq!(s.want, Want::Text);
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        for (spec, needle) in [
            ("price", "not NAME=CSS"),
            (r#"a[href="x=1"]@href"#, "field name"),
            ("=h1", "field name"),
            ("x=", "empty"),
            ("x=@href", "empty"),
            ("x=a@", "nothing after '@'"),
            ("x=a@on click", "not an attribute name"),
            ("x=a[=href]", "a[=href]"),
            ("x=div >", "div >"),
            ("x=p:frobnicate", "frobnicate"),
            ("x=##", "##"),
        ] {
            let err = spec.parse::<Selection>().unwrap_err();
            assert!(err.contains(needle), "{spec}: {err}");
            assert!(!err.contains("report this"), "{spec}: {err}");
        }
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(crate::testing::config())]

        /// `NAME=CSS@what` splits at the first `=` and the last `@` outside
        /// brackets, parentheses and quotes: `=` and `@` inside them stay in
        /// the selector.
        #[test]
        fn selector_specs_keep_their_brackets_and_quotes(
            name in "[a-z_][a-z0-9_-]{0,8}",
            many in any::<bool>(),
            value in "[a-z0-9=@ ._-]{0,8}",
            quote in prop_oneof![Just('"'), Just('\'')],
            tag in prop_oneof![Just("a"), Just("img"), Just("div.x"), Just("*")],
            want in prop_oneof![
                Just(String::new()),
                Just("@text".to_owned()),
                Just("@html".to_owned()),
                "@[a-z][a-z0-9-]{0,6}",
            ],
        ) {
            use crate::select::{Selection, Want};
            let css = format!("{tag}[data-v={quote}{value}{quote}]:not([title={quote}@={quote}])");
            let spec = format!("{name}{}={css}{want}", if many { "[]" } else { "" });
            let sel: Selection = spec.parse().map_err(|e| TestCaseError::fail(format!("{spec}: {e}")))?;
            prop_assert_eq!(&sel.name, &name);
            prop_assert_eq!(sel.many, many);
            prop_assert_eq!(&sel.css, &css);
            let expected = match want.as_str() {
                "" | "@text" => Want::Text,
                "@html" => Want::Html,
                attr => Want::Attr(attr[1..].to_owned()),
            };
            prop_assert_eq!(sel.want, expected);
        }

        /// Any spec at all parses or is refused with a message; never a panic.
        #[test]
        fn any_selector_spec_parses_or_is_refused(spec in any::<String>()) {
            let _ = spec.parse::<crate::select::Selection>();
            let _ = spec.parse::<crate::select::Expect>();
        }
    }
}
