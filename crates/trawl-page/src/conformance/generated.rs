//! Pages nobody wrote: documents built from a grammar of the constructs
//! that steer the HTML algorithm, and real pages mutated (cut, spliced,
//! a tag duplicated, a `>` dropped). On each, the fast reader gives up or
//! makes html5ever's calls, call by call.
//!
//! `cargo test` runs sixteen times the configured cases (4,096 by
//! default); `bench/conformance-long.sh` runs a million. A document that
//! once disagreed is kept in `fixtures/conformance/regressions.jsonl` (one
//! JSON string a line) and read by a plain test, so it is checked on every
//! run whatever the generator draws.

use super::{fast_reader, first_difference, html5ever};
use crate::testing::html5lib_tests;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// The rule: the fast reader gives up (`Ok(false)`), or its calls are
/// html5ever's (`Ok(true)`).
fn agrees(doc: &str) -> Result<bool, String> {
    let Ok(ours) = fast_reader(doc) else {
        return Ok(false);
    };
    let (theirs, ours) = (html5ever(doc).calls(), ours.calls());
    if theirs == ours {
        Ok(true)
    } else {
        Err(format!("{doc:?}\n  {}", first_difference(&theirs, &ours)))
    }
}

/// Runs `check` on every case; fails on a disagreement, and unless the
/// fast reader took on at least `floor` of the cases (a property it always
/// gives up on proves nothing).
fn run_counted<S: Strategy>(
    what: &str,
    strategy: &S,
    floor: f64,
    check: impl Fn(S::Value) -> Result<bool, String>,
) {
    let (cases, taken) = (std::cell::Cell::new(0u64), std::cell::Cell::new(0u64));
    runner()
        .run(strategy, |v| {
            cases.set(cases.get() + 1);
            let took = check(v).map_err(TestCaseError::fail)?;
            taken.set(taken.get() + u64::from(took));
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let share = taken.get() as f64 / cases.get().max(1) as f64;
    eprintln!(
        "{what}: {} cases, the fast reader took on {:.0} %",
        cases.get(),
        share * 100.0
    );
    assert!(
        share >= floor,
        "{what}: the fast reader took on only {:.1} %",
        share * 100.0
    );
}

/// Tag names the algorithm treats each in its own way.
const TAGS: &[&str] = &[
    "html",
    "head",
    "body",
    "title",
    "meta",
    "link",
    "base",
    "style",
    "script",
    "noscript",
    "template",
    "p",
    "div",
    "span",
    "a",
    "b",
    "i",
    "em",
    "strong",
    "code",
    "nobr",
    "u",
    "font",
    "h1",
    "h2",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "pre",
    "listing",
    "textarea",
    "xmp",
    "iframe",
    "noembed",
    "form",
    "button",
    "input",
    "select",
    "option",
    "optgroup",
    "table",
    "caption",
    "colgroup",
    "col",
    "tbody",
    "thead",
    "tfoot",
    "tr",
    "td",
    "th",
    "img",
    "image",
    "br",
    "hr",
    "svg",
    "math",
    "foreignObject",
    "desc",
    "mi",
    "mtext",
    "annotation-xml",
    "clipPath",
    "frameset",
    "frame",
    "applet",
    "marquee",
    "object",
    "ruby",
    "rt",
    "rp",
    "plaintext",
    "address",
    "section",
    "main",
    "menu",
    "search",
    "wbr",
    "param",
    "x-y",
];

fn name() -> impl Strategy<Value = String> {
    (prop::sample::select(TAGS), any::<bool>()).prop_map(|(t, upper)| {
        if upper {
            t.to_ascii_uppercase()
        } else {
            t.to_owned()
        }
    })
}

/// One attribute, quoted any way, with the names foreign content adjusts
/// and values with character references.
fn attribute() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec![
        "class",
        "id",
        "href",
        "src",
        "CLASS",
        "title",
        "xlink:href",
        "xml:lang",
        "xmlns",
        "xmlns:xlink",
        "definitionURL",
        "viewbox",
        "encoding",
        "type",
        "a",
        "=x",
        "data-v",
    ]);
    let value = prop::sample::select(vec![
        "",
        "x",
        "a b",
        "text/html",
        "hidden",
        "&amp;",
        "&amp",
        "&notin;",
        "&noti",
        "&#x41;",
        "&#0;",
        "a&b",
        "&lt;p&gt;",
        "\"",
        "'",
        "`",
        "a=b",
        "/",
    ]);
    let quote = prop::sample::select(vec!["", "'", "\"", "none"]);
    (name, value, quote).prop_map(|(n, v, q)| match q {
        "none" => n.to_owned(),
        "" if v.is_empty() || v.contains([' ', '"', '\'', '`', '=']) => format!("{n}=x"),
        "" => format!("{n}={v}"),
        "'" => format!("{n}='{}'", v.replace('\'', "")),
        _ => format!("{n}=\"{}\"", v.replace('"', "")),
    })
}

/// A start tag with up to three attributes (a name may repeat), maybe
/// self-closing, maybe with whitespace or a slash in odd places.
fn start_tag() -> impl Strategy<Value = String> {
    (name(), prop::collection::vec(attribute(), 0..4), 0..4u8).prop_map(|(n, attrs, end)| {
        let attrs: String = attrs.iter().map(|a| format!(" {a}")).collect();
        let end = ["", "/", " ", "\n/ "][usize::from(end)];
        format!("<{n}{attrs}{end}>")
    })
}

/// Text with character references, whitespace, and what looks like markup.
fn text() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "x",
        " ",
        "\n",
        "\t \n",
        "a b",
        "&amp;",
        "&lt;",
        "&nbsp;",
        "&copy",
        "&notit;",
        "&#10;",
        "&#x1F600;",
        "&#xD800;",
        "&#128;",
        "&",
        "& ",
        "<",
        "< p",
        "</",
        "</ >",
        "a>b",
        "]]>",
        "\r\n",
        "\u{a0}",
        "é",
        "\u{feff}",
    ])
    .prop_map(str::to_owned)
}

/// Comments, doctypes and the like, well formed and not.
fn other() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "<!-- c -->", "<!---->", "<!-->", "<!--->", "<!-- a -- b -->", "<!--x--!>",
        "<!-- <!-- -->", "<!--", "<!x>", "<?xml version=1?>", "</ x>", "<![CDATA[c]]>",
        "<!DOCTYPE html>", "<!doctype HTML>", "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">",
        "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">",
        "<!DOCTYPE html SYSTEM \"about:legacy-compat\">", "<!DOCTYPE>", "<!DOCTYPE svg>",
        "<!DOCTYPE html PUBLIC 'x' 'y'>",
    ])
    .prop_map(str::to_owned)
}

/// A document from the grammar: a soup of start tags, end tags, text,
/// comments and doctypes, nested and misnested as they fall, sometimes
/// cut short.
fn document() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => start_tag(),
        3 => name().prop_map(|n| format!("</{n}>")),
        4 => text(),
        1 => other(),
    ];
    (
        prop::collection::vec(piece, 0..40),
        any::<prop::sample::Index>(),
        any::<bool>(),
    )
        .prop_map(|(pieces, cut, broken)| {
            let doc = pieces.concat();
            if broken && !doc.is_empty() {
                // A broken end: the page stops anywhere.
                let mut at = cut.index(doc.len());
                while !doc.is_char_boundary(at) {
                    at -= 1;
                }
                doc[..at].to_owned()
            } else {
                doc
            }
        })
}

/// The pages mutated: the html5lib documents and trawl's fixture pages.
fn seeds() -> Vec<String> {
    let mut seeds: Vec<String> = html5lib_tests().into_iter().map(|t| t.data).collect();
    for dir in ["pages", "broken"] {
        let dir = format!("{}/../../fixtures/{dir}", env!("CARGO_MANIFEST_DIR"));
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "html"))
            .collect();
        files.sort();
        for f in files {
            if let Ok(bytes) = std::fs::read(&f) {
                seeds.push(String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
    seeds
}

/// A change to a page.
#[derive(Debug, Clone)]
enum Mutation {
    /// The page ends here.
    Cut(prop::sample::Index),
    /// This page's start, then another's end.
    Splice(
        prop::sample::Index,
        prop::sample::Index,
        prop::sample::Index,
    ),
    /// A tag written twice.
    Duplicate(prop::sample::Index),
    /// A tag's `>` dropped.
    DropGt(prop::sample::Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    use prop::sample::Index;
    prop_oneof![
        any::<Index>().prop_map(Mutation::Cut),
        (any::<Index>(), any::<Index>(), any::<Index>())
            .prop_map(|(a, b, c)| Mutation::Splice(a, b, c)),
        any::<Index>().prop_map(Mutation::Duplicate),
        any::<Index>().prop_map(Mutation::DropGt),
    ]
}

/// The char boundary at or before `at`.
fn floor(s: &str, mut at: usize) -> usize {
    at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn mutate(seeds: &[String], page: &str, m: &Mutation) -> String {
    let tags: Vec<(usize, usize)> = page
        .match_indices('<')
        .filter_map(|(at, _)| page[at..].find('>').map(|k| (at, at + k + 1)))
        .collect();
    match m {
        Mutation::Cut(i) => page[..floor(page, i.index(page.len() + 1))].to_owned(),
        Mutation::Splice(other, a, b) => {
            let other = &seeds[other.index(seeds.len())];
            let a = floor(page, a.index(page.len() + 1));
            let b = floor(other, b.index(other.len() + 1));
            format!("{}{}", &page[..a], &other[b..])
        }
        Mutation::Duplicate(i) if !tags.is_empty() => {
            let (from, to) = tags[i.index(tags.len())];
            format!("{}{}{}", &page[..to], &page[from..to], &page[to..])
        }
        Mutation::DropGt(i) if !tags.is_empty() => {
            let (_, to) = tags[i.index(tags.len())];
            format!("{}{}", &page[..to - 1], &page[to..])
        }
        _ => page.to_owned(),
    }
}

/// Sixteen times the configured cases: each is cheap.
fn runner() -> TestRunner {
    let config = crate::testing::config();
    TestRunner::new(Config {
        cases: config.cases * 16,
        ..config
    })
}

#[test]
fn generated_documents_give_up_or_agree_with_html5ever_call_by_call() {
    run_counted("generated documents", &document(), 0.2, |doc| agrees(&doc));
}

#[test]
fn mutated_pages_give_up_or_agree_with_html5ever_call_by_call() {
    let seeds = seeds();
    assert!(seeds.len() > 1500, "{} seeds", seeds.len());
    let strategy = (
        any::<prop::sample::Index>(),
        prop::collection::vec(mutation(), 1..4),
    );
    run_counted("mutated pages", &strategy, 0.2, |(page, mutations)| {
        let mut doc = seeds[page.index(seeds.len())].clone();
        for m in &mutations {
            doc = mutate(&seeds, &doc, m);
        }
        agrees(&doc)
    });
}

/// Documents that once made the fast reader disagree, kept for good.
#[test]
fn the_kept_regressions_give_up_or_agree() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/conformance/regressions.jsonl"
    );
    let text = std::fs::read_to_string(path).expect("fixtures/conformance/regressions.jsonl");
    let mut n = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let doc: String = serde_json::from_str(line).expect("a JSON string");
        if let Err(why) = agrees(&doc) {
            panic!("{why}");
        }
        n += 1;
    }
    assert!(n > 0, "no regression case in {path}");
}
