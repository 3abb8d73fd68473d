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

/// html5ever drops a U+FEFF at the start of every piece it is fed; the
/// pieces trawl feeds it never start with one, so the tree keeps the marks
/// the fast reader keeps.
#[test]
fn no_piece_fed_to_html5ever_starts_with_a_byte_order_mark() {
    let mut page = "<p>".to_owned() + &"a".repeat(PARSE_CHUNK - 3);
    page.push_str("\u{feff}\u{feff}b</p>");
    let pieces: Vec<&str> = chunks(&page).collect();
    assert_eq!(pieces.len(), 2);
    assert!(pieces.iter().all(|p| !p.starts_with('\u{feff}')));
    assert_eq!(pieces.concat(), page);
    let plan = Plan {
        selections: vec!["p=p".parse().unwrap()],
        ..Plan::default()
    };
    let read = |via| {
        extract_via(page.as_bytes(), Some("text/html"), &page_url(), &plan, via)
            .unwrap()
            .unwrap()
    };
    let tree = read(Via::Tree);
    assert_eq!(read(Via::Fast), tree);
    let text = format!("{:?}", tree.fields);
    assert!(text.contains("\\u{feff}\\u{feff}b"), "{text}");
}
