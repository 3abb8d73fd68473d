use super::super::select::Field;
use super::super::{from_dom, parse};
use super::*;
use crate::content::sniff_encoding;

/// Selectors of every kind the stream answers, over the elements the
/// broken pages break.
pub(crate) const SELECTIONS: &[&str] = &[
    "h1=h1",
    "headings[]=h2",
    "refs[]=a.reference@href",
    "p[]=p",
    "li[]=li",
    "cells[]=td",
    "rows[]=table > tbody > tr",
    "b[]=b",
    "pi[]=p i",
    "svg[]=svg *",
    "titles[]=title",
    "noscript[]=noscript",
    "divs[]=div",
    "body=body",
    "body_class=body@class",
    "hrefs[]=[href]@href",
    "imgs[]=img@src",
    "x[]=.x",
    "lang=:root@lang",
    "not[]=a:not(.reference)@href",
    "is[]=:is(h1, h2, h3) > *",
    "where[]=:where(dd, dt, option)",
    "ids[]=[id]@id",
    "scripts[]=script",
    "deep[]=html body div p",
    "upper[]=P",
    "any[]=*|p",
    "first[]=li:first-child",
    "second[]=tr:nth-child(2) > td",
    "oftype[]=p:first-of-type",
    "odd[]=li:nth-of-type(2n+1)",
    "notfirst[]=:not(:first-child) > b",
    // Subjects the matcher's short cut decides: ids and classes are
    // case-sensitive, element names are not in HTML but are in SVG.
    "idlower[]=#main",
    "idmixed[]=#Main",
    "classupper[]=.X",
    "svgname[]=linearGradient",
    "mixedcase[]=A.Reference@href",
];

pub(crate) fn plan(selections: &[&str]) -> Plan {
    Plan {
        selections: selections.iter().map(|s| s.parse().unwrap()).collect(),
        links: true,
        meta: true,
        parse_timeout: None,
        expect: ["body", "p b", "svg a"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect(),
        expect_text: vec!["the".into()],
        content: None,
    }
}

fn page_url() -> Url {
    Url::parse("http://h.test/dir/page.html").unwrap()
}

/// The stream's answer (`Err`: it gave up) and the tree's.
fn both(page: &str, plan: &Plan) -> (Result<Extracted, GaveUp>, Extracted) {
    let url = page_url();
    let stream = extract(page, &url, plan, None).unwrap();
    let tree = from_dom(&parse(page, None).unwrap(), &url, plan, None).unwrap();
    (stream, tree)
}

/// The HTML pages of `fixtures/DIR`: their names and decoded text.
pub(crate) fn pages(dir: &str) -> Vec<(String, String)> {
    let dir = format!("{}/../../fixtures/{dir}", env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "html") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let text = sniff_encoding(&bytes, None).decode(&bytes).0.into_owned();
        out.push((path.display().to_string(), text));
    }
    out
}

/// The differential check: on every fixture page and every deliberately
/// broken one, the stream either gives up or says exactly what the
/// tree says.
#[test]
fn the_stream_agrees_with_the_tree_or_gives_up() {
    let mut all = pages("pages");
    all.extend(pages("broken"));
    let plan = plan(SELECTIONS);
    let (mut streamed, mut gave_up) = (0, Vec::new());
    for (name, page) in &all {
        match both(page, &plan) {
            (Ok(stream), tree) => {
                assert_eq!(stream, tree, "{name}");
                streamed += 1;
            }
            (Err(why), _) => gave_up.push((name, why)),
        }
    }
    // Most pages stream; the ones that cannot are the broken ones the
    // tree builder rearranges.
    assert!(
        streamed * 2 > all.len(),
        "{streamed} of {}: {gave_up:?}",
        all.len()
    );
    eprintln!("streamed {streamed}: gave up {gave_up:?}");
    for (name, _) in &gave_up {
        assert!(
            name.contains("/broken/") || name.contains("malformed"),
            "{name}"
        );
    }
}

#[test]
fn the_stream_agrees_on_small_tricky_pages() {
    let plan = plan(SELECTIONS);
    let mut streamed = 0;
    let cases = [
        "<p><b>x<p>y",
        "<p>a<div>b</div>c",
        "<ul><li>a<li>b</ul><p>the end",
        "<div><b>bold</div>text",
        "<svg><title>t</title><a href=x>y</a></svg><title>real</title>",
        "<template><title>no</title></template><title>yes</title>",
        "<title>a</title><title>b</title>",
        "<base href=/b/><a href=x>x</a><base href=/c/>",
        "<a href=x>x</a><base href=/late/>",
        "<html lang=de><body><p>the text</p><script>the script</script>",
        "<p>one<noscript>two</noscript>three</p>",
        "<dl><dt>a<dd>b</dl>",
        "<h1>a<h2>b</h2></h1>",
        "<select><option>a<option>b</select><p>x",
        "<math><mi>x</mi></math><p>y",
        "<body><p>x</p></body><!-- c --><p>late</p>",
        "<pre>\nline</pre>",
        "",
        "just text, the end",
        "<div id=Main class='a X'><p id=main class=x>p</p><a class='reference Reference' \
         href=r>r</a><A CLASS=Reference href=s>s</A><svg><linearGradient class=X id=main />\
         <lineargradient/></svg></div>",
    ];
    for page in cases {
        if let (Ok(stream), tree) = both(page, &plan) {
            assert_eq!(stream, tree, "{page}");
            streamed += 1;
        }
    }
    assert!(streamed >= cases.len() - 2, "{streamed}");
    // The page for the subject short cut streams, and its selectors
    // find what the case rules say they find.
    let subjects = cases[cases.len() - 1];
    let (Ok(stream), _) = both(subjects, &plan) else {
        panic!("the stream gave up on {subjects}");
    };
    let fields = stream.fields.expect("fields");
    let count = |name: &str| match fields.0.iter().find(|(n, _)| n == name) {
        Some((_, Field::Many(values))) => values.len(),
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(
        ["idlower", "idmixed", "classupper", "svgname", "mixedcase"].map(count),
        [2, 1, 2, 2, 2]
    );
}

#[test]
fn the_stream_gives_up_where_the_tree_builder_moves_nodes() {
    let plan = plan(&["b[]=b"]);
    for (page, why) in [
        ("<table><a href=x>x</a><tr><td>y</table>", "foster"),
        ("<table>text<tr><td>y</table>", "foster"),
        ("<p><b>x<i>y</b>z</i></p>", ""),
        ("<b>x<div>y</b>z</div>", "adoption"),
        ("<a href=1>x<div><a href=2>y</a></div>", ""),
        ("<body><p>x<body class=b>", "attributes"),
        ("<p>x<frameset>", ""),
    ] {
        match both(page, &plan) {
            (Err(got), _) => assert!(got.contains(why), "{page}: {got}"),
            (Ok(stream), tree) => assert_eq!(stream, tree, "{page}"),
        }
    }
    // The clearest cases always give up.
    assert!(both("<b>x<div>y</b>z</div>", &plan).0.is_err());
    assert!(both("<table><a href=x>x</a></table>", &plan).0.is_err());
    assert!(both("<body><body class=b>", &plan).0.is_err());
    // A repeated <body> that adds nothing changes nothing.
    assert!(both("<body class=a><body class=b>", &plan).0.is_ok());
}

#[test]
fn the_atom_lists_agree_with_the_text_reader() {
    let others = [
        "span", "a", "body", "html", "noscript", "svg", "textarea", "menu", "dir",
    ];
    for name in dom::BLOCKS.iter().chain(&dom::HIDDEN).chain(&others) {
        let atom = LocalName::from(*name);
        assert_eq!(is_block(&atom), dom::BLOCKS.contains(name), "{name}");
        assert_eq!(is_hidden(&atom), dom::HIDDEN.contains(name), "{name}");
    }
}

#[test]
fn runs_with_selectors_the_stream_cannot_answer_take_the_tree() {
    for (sel, why) in [
        ("x=h1 + p", "sibling"),
        ("x=h1 ~ p", "sibling"),
        ("x=li:last-child", "child-index"),
        ("x=li:nth-last-child(2)", "child-index"),
        ("x=li:only-child", "child-index"),
        ("x=div:has(p)", ":has"),
        ("x=p:empty", ":empty"),
        ("x=p@html", "@html"),
        ("x=:not(h1 + p)", "sibling"),
        ("x=li:last-of-type", "child-index"),
    ] {
        let got = plan(&[sel]).tree_only_because().unwrap_or_default();
        assert!(got.contains(why), "{sel}: {got}");
    }
    let mut p = plan(&["x=h1", "y=li:first-child", "z=tr:nth-of-type(2n)"]);
    assert_eq!(p.tree_only_because(), None);
    p.expect = vec!["h1 + p".parse().unwrap()];
    assert!(p.tree_only_because().unwrap().contains("--expect"));
}
