//! End-to-end tests of extraction: `-s`, `--links`, `--meta` and charsets,
//! through the real binary against fixture pages on a loopback server.

use crate::support;

use crate::support::{Server, by_url, fixture, run, trawl};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// The flags the expected records of `fixtures/expected/tricky.json` were
/// made with.
const TRICKY_FLAGS: &[&str] = &[
    "-s",
    "h1=h1",
    "-s",
    "items[]=li",
    "-s",
    "imgs[]=img@src",
    "-s",
    "srcset=img@srcset",
    "-s",
    "note=.note@html",
    "-s",
    "action=form@action",
    "-s",
    r#"q=a[href="page?x=1"][data-k="a@b"]@href"#,
    "--links",
    "--meta",
];

/// The keys extraction fills.
const EXTRACTED: [&str; 6] = [
    "title",
    "fields",
    "links",
    "meta",
    "json_ld",
    "json_ld_invalid",
];

/// The fields extraction fills, out of a record.
fn extracted(rec: &Value) -> Value {
    EXTRACTED
        .iter()
        .map(|k| (k.to_string(), rec[*k].clone()))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

#[test]
fn tricky_pages_give_the_checked_in_records() {
    let s = Server::start();
    // `{host}` stands for the server, `{dir}` for the folder of the pages.
    let host = s.url("").trim_end_matches('/').to_owned();
    let expected_text = std::fs::read_to_string(fixture("expected/tricky.json"))
        .expect("fixtures/expected/tricky.json")
        .replace("{host}", &host)
        .replace("{dir}", &format!("{host}/page"));
    let expected: serde_json::Map<String, Value> =
        serde_json::from_str(&expected_text).expect("expected records are JSON");
    assert!(expected.len() >= 5);

    // windows-1252 carries no declaration: the header names it, and the
    // label iso-8859-1 means windows-1252 too (WHATWG Encoding).
    let url_of = |page: &str| match page {
        "tricky-windows-1252.html" => s.url(&format!(
            "/page/{page}?ct=text/html;%20charset=windows-1252"
        )),
        _ => s.url(&format!("/page/{page}")),
    };
    let latin1_label = s.url("/page/tricky-windows-1252.html?ct=text/html;%20charset=ISO-8859-1");
    let mut list: Vec<String> = expected.keys().map(|p| url_of(p)).collect();
    list.push(latin1_label.clone());
    let (recs, stderr, code) = run(TRICKY_FLAGS, &list.join("\n"));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(recs.len(), list.len());
    let m = by_url(&recs);
    for (page, want) in &expected {
        let got = extracted(&m[&url_of(page)]);
        // Field by field, so a failure names the field.
        for (k, v) in want.as_object().expect("an object per page") {
            assert_eq!(&got[k], v, "{page}: {k}");
        }
    }
    assert_eq!(
        extracted(&m[&latin1_label]),
        expected["tricky-windows-1252.html"]
    );
}

#[test]
fn title_only_runs_agree_with_full_parses_on_the_fixtures() {
    // Without -s/--links/--meta the title comes from the tokenizer's fast
    // path; it must say what the full parse says.
    let s = Server::start();
    let pages: Vec<String> = std::fs::read_dir(fixture("pages"))
        .expect("fixture pages")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(pages.len() >= 10);
    let list: Vec<String> = pages.iter().map(|p| s.url(&format!("/page/{p}"))).collect();
    let (fast, _, _) = run(&[], &list.join("\n"));
    let (full, _, _) = run(&["--links"], &list.join("\n"));
    let (fast, full) = (by_url(&fast), by_url(&full));
    for url in &list {
        assert_eq!(fast[url]["title"], full[url]["title"], "{url}");
        assert!(fast[url].get("links").is_none());
        assert!(full[url]["links"].is_array());
    }
}

#[test]
fn an_invalid_selector_is_a_usage_error_before_any_request() {
    let s = Server::start();
    let url = s.url("/page/simple.html");
    for (args, needle) in [
        (vec!["-s", "ok=h1", "-s", "bad=div >"], "'div >'"),
        (vec!["-s", r#"a[href="x=1"]@href"#], "field name"),
        (vec!["-s", "x=p:frobnicate"], "'p:frobnicate'"),
        (vec!["-s", "x=a@"], "after '@'"),
        (vec!["-s", "x=h1", "-s", "x=h2"], "'x' is given twice"),
    ] {
        let mut all = args.clone();
        all.push(&url);
        let (recs, stderr, code) = run(&all, "");
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(recs.is_empty(), "{args:?}");
    }
    assert_eq!(s.hits(), 0, "no request may be sent");
}

#[test]
fn every_record_has_the_asked_for_keys_null_when_there_is_no_page() {
    let s = Server::start();
    let html = s.url("/page/simple.html");
    let text = s.url("/text");
    let list = [html.as_str(), text.as_str(), "not a url"].join("\n");
    let (recs, _, code) = run(&["-s", "h=h1", "--links", "--meta"], &list);
    assert_eq!(code, 1);
    let m = by_url(&recs);
    assert!(m[&html]["fields"]["h"].is_string());
    assert!(m[&html]["links"].is_array());
    assert!(m[&html]["meta"].is_object());
    assert!(m[&html]["json_ld"].is_array());
    for url in [text.as_str(), "not a url"] {
        for key in EXTRACTED {
            assert_eq!(m[url].get(key), Some(&Value::Null), "{url}: {key}");
        }
    }
    // Not asked for: not there at all.
    let (recs, _, _) = run(&[], &html);
    for key in ["fields", "links", "meta", "json_ld", "json_ld_invalid"] {
        assert!(recs[0].get(key).is_none(), "{key}");
    }
}

#[test]
fn a_huge_page_does_not_hold_back_the_small_pages_records() {
    // The 20 MiB page is asked for first and its full parse takes a while;
    // the small pages, answered 300 ms later, must not wait behind it.
    let s = Server::start();
    let heavy = s.url("/heavy/20");
    let mut list = vec![heavy.clone()];
    for i in 0..30 {
        list.push(s.url(&format!("/delay/300?i={i}")));
    }
    let mut child = trawl()
        .args([
            "--links",
            "-s",
            "items[]=.item",
            "--max-body",
            "64MiB",
            "-c",
            "40",
            "-q",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn trawl");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(list.join("\n").as_bytes())
            .expect("write URLs");
    }
    let start = Instant::now();
    let mut order = Vec::new();
    for line in BufReader::new(child.stdout.take().expect("stdout")).lines() {
        let rec = support::record(&line.expect("line"));
        order.push((
            rec["url"].as_str().unwrap_or_default().to_owned(),
            start.elapsed(),
            rec,
        ));
    }
    assert!(child.wait().expect("wait").success());
    assert_eq!(order.len(), list.len());
    let (last_url, heavy_at, heavy_rec) = order.last().expect("records");
    assert_eq!(last_url, &heavy, "the big page's record came last");
    assert!(heavy_rec["ok"].as_bool().unwrap_or(false), "{heavy_rec}");
    assert!(
        heavy_rec["links"]
            .as_array()
            .is_some_and(|l| l.len() > 100_000)
    );
    let small_done = order[order.len() - 2].1;
    assert!(small_done < *heavy_at);
    assert!(
        small_done < Duration::from_secs(10),
        "small pages took {small_done:?}"
    );
}

#[test]
fn a_page_that_takes_too_long_to_parse_gets_a_record_in_time() {
    // 400,000 end tags, each looked for through 20,000 open <div>s, parse
    // in quadratic time (14 s in a release build); the parse gives up at
    // --timeout and the page gets a decode record.
    let s = Server::start();
    let nested = s.url("/unmatched/400000");
    let simple = s.url("/page/simple.html");
    let t = Instant::now();
    let (recs, _, code) = run(
        &["--links", "-t", "1s", "--max-body", "8MiB"],
        &[nested.as_str(), simple.as_str()].join("\n"),
    );
    let took = t.elapsed();
    assert_eq!(code, 1);
    let m = by_url(&recs);
    assert_eq!(m[&simple]["ok"], true);
    assert_eq!(m[&nested]["error"]["kind"], "decode", "{}", m[&nested]);
    assert!(
        m[&nested]["error"]["message"]
            .as_str()
            .is_some_and(|msg| msg.contains("longer than --timeout")),
        "{}",
        m[&nested]
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn noscript_content_is_part_of_the_page_and_template_content_is_not() {
    // trawl runs no scripts: it parses as a user agent with scripting
    // disabled, so what <noscript> holds is markup that selectors match,
    // text that counts and links that are listed.
    let s = Server::start();
    let url = s.url("/page/tricky-noscript.html");
    let (recs, stderr, code) = run(
        &[
            "-s",
            "fallback[]=.fallback",
            "-s",
            "mixed=#mixed",
            "-s",
            "in_noscript[]=noscript a@href",
            "-s",
            "pixel=noscript img@alt",
            "--links",
            "--expect-text",
            "or read the plain page",
            &url,
        ],
        "",
    );
    assert_eq!(code, 0, "{stderr}");
    let rec = &recs[0];
    let dir = url.rsplit_once('/').expect("a path").0;
    assert_eq!(
        rec["fields"],
        serde_json::json!({
            "fallback": ["Enable JavaScript, or read the plain page."],
            "mixed": "before inside after",
            "in_noscript": [format!("{dir}/no-js.html")],
            "pixel": "tracking pixel",
        })
    );
    assert_eq!(rec["error"], Value::Null, "{rec}");
    let links = rec["links"].as_array().expect("links");
    assert!(links.contains(&Value::from(format!("{dir}/no-js.html"))));
    assert!(!links.contains(&Value::from(format!("{dir}/template.html"))));
}

#[test]
fn streamed_and_tree_extraction_give_the_same_records_and_vv_says_which() {
    // The same selectors, once alone (streamed) and once beside a field
    // only the tree can answer (a sibling combinator): every record must be
    // the same but for that field.
    let s = Server::start();
    let mut pages: Vec<String> = std::fs::read_dir(fixture("pages"))
        .expect("fixture pages")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    let list: Vec<String> = pages.iter().map(|p| s.url(&format!("/page/{p}"))).collect();
    let flags = [
        "-s",
        "h1=h1",
        "-s",
        "items[]=li",
        "-s",
        "hrefs[]=a[href]@href",
        "-s",
        "imgs[]=img@src",
        "-s",
        "divs[]=body div",
        "--links",
        "--meta",
        "--expect-text",
        "the",
        "-vv",
    ];
    let (streamed, stream_log, stream_code) = run(&flags, &list.join("\n"));
    let mut tree_flags = flags.to_vec();
    tree_flags.extend(["-s", "sibling=h1 + p"]);
    let (tree, tree_log, tree_code) = run(&tree_flags, &list.join("\n"));
    // Some pages lack "the": the same ones fail either way.
    assert_eq!(stream_code, tree_code, "{stream_log}");
    assert!(
        stream_log.contains("extraction streams each page"),
        "{stream_log}"
    );
    assert!(
        tree_log.contains(
            "parses each page into a tree: field 'sibling' (h1 + p) uses a sibling combinator"
        ),
        "{tree_log}"
    );
    // A page whose table content the tree builder moves goes from the fast
    // reader to html5ever's stream, and from there to the tree.
    assert!(
        stream_log.contains("tricky-malformed.html")
            && stream_log.contains("the fast reader gave up (")
            && stream_log.contains("the stream gave up (foster parenting"),
        "{stream_log}"
    );
    let (streamed, tree) = (by_url(&streamed), by_url(&tree));
    for url in &list {
        let mut want = extracted(&tree[url]);
        if let Some(fields) = want["fields"].as_object_mut() {
            fields.remove("sibling");
        }
        assert_eq!(extracted(&streamed[url]), want, "{url}");
        assert_eq!(streamed[url]["error"], tree[url]["error"], "{url}");
    }
}
