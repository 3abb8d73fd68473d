//! `--revalidate FILE` and `--changed-only`: a re-run that sends the
//! earlier run's validators back, against a server that honours them
//! (`/cache/{name}`: strong, weak and `-gzip` ETags, Last-Modified), and
//! what the server saw: which conditional headers came, and how many 304s
//! and 200s went back.

use crate::support;

use crate::support::{Server, by_url, records, trawl};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Runs trawl with `args`; returns (records written to `out`, stderr, exit).
fn run_to(args: &[&str], out: &Path) -> (Vec<Value>, String, i32) {
    let o = trawl()
        .args(args)
        .arg("-o")
        .arg(out)
        .output()
        .expect("run trawl");
    let text = std::fs::read(out).unwrap_or_default();
    (
        records(&text),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        o.status.code().unwrap_or(-1),
    )
}

/// A first run into `first`, then a re-run with `--revalidate first` into
/// `second`, with the same `args`; returns the two runs' records by URL,
/// the re-run's stderr, and the spans of the re-run's requests only.
struct Rerun {
    first: HashMap<String, Value>,
    second: HashMap<String, Value>,
    stderr: String,
    seen: Vec<support::Span>,
}

fn paths(dir: &tempfile::TempDir) -> (PathBuf, PathBuf) {
    (
        dir.path().join("first.jsonl"),
        dir.path().join("second.jsonl"),
    )
}

fn twice(s: &Server, args: &[&str], urls: &[String]) -> Rerun {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = paths(&dir);
    let mut full: Vec<&str> = args.to_vec();
    full.extend(urls.iter().map(String::as_str));
    let (first, _, code) = run_to(&full, &a);
    assert_eq!(code, 0, "first run");
    let before = s.spans().len();
    let mut again = full.clone();
    again.extend(["--revalidate", a.to_str().expect("utf-8 path"), "-vv"]);
    let (second, stderr, code) = run_to(&again, &b);
    assert_eq!(code, 0, "second run: {stderr}");
    Rerun {
        first: by_url(&first),
        second: by_url(&second),
        stderr,
        seen: s.spans()[before..].to_vec(),
    }
}

/// The request the re-run sent for the URL whose path is `path`.
fn sent<'a>(seen: &'a [support::Span], path: &str) -> &'a support::Span {
    let hits: Vec<_> = seen.iter().filter(|sp| sp.path == path).collect();
    assert_eq!(hits.len(), 1, "{path} requested {} times", hits.len());
    hits[0]
}

fn header<'a>(span: &'a support::Span, name: &str) -> Option<&'a str> {
    span.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Keys that may differ between a record and its revalidated copy.
const VOLATILE: [&str; 6] = [
    "fetched_at",
    "elapsed_ms",
    "status",
    "bytes",
    "changed",
    "not_modified",
];

fn stable(rec: &Value) -> Value {
    let mut rec = rec.clone();
    let map = rec.as_object_mut().expect("object");
    for k in VOLATILE {
        map.remove(k);
    }
    rec
}

const FULL: [&str; 6] = ["-s", "h=title", "-s", "hrefs[]=a@href", "--links", "--meta"];

#[test]
fn every_record_carries_validators_and_the_hash_of_the_body() {
    let s = Server::start();
    let strong = s.url("/cache/p?etag=strong&lm=1");
    let plain = s.url("/page/simple.html");
    let text = s.url("/text");
    let missing = s.url("/status/404");
    let (recs, _, _) = support::run(&["-q", &strong, &plain, &text, &missing, "nope"], "");
    let m = by_url(&recs);
    let st = &m[&strong];
    assert!(
        st["etag"].as_str().is_some_and(|e| e.starts_with('"')),
        "{st}"
    );
    assert!(
        st["last_modified"]
            .as_str()
            .is_some_and(|d| d.ends_with("GMT"))
    );
    assert_eq!(m[&plain]["etag"], Value::Null);
    assert_eq!(m[&plain]["last_modified"], Value::Null);
    // The hash is the body's, as sha256sum prints it.
    let body = std::fs::read(support::fixture("pages/simple.html")).expect("fixture");
    assert_eq!(m[&plain]["content_hash"], sha256(&body));
    // A body that is not HTML is hashed too, and an error page's.
    assert_eq!(m[&text]["content_hash"], sha256(b"<title>not html</title>"));
    assert_eq!(
        m[&missing]["content_hash"],
        sha256(b"<title>status 404</title>")
    );
    assert_eq!(m["nope"]["content_hash"], Value::Null);
    // No --revalidate, no changed / not_modified.
    assert!(recs.iter().all(|r| r.get("changed").is_none()));
    assert!(recs.iter().all(|r| r.get("not_modified").is_none()));
}

/// `sha256:<hex>` of `bytes`, by the system's sha256sum.
fn sha256(bytes: &[u8]) -> Value {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("body");
    std::fs::write(&f, bytes).expect("write");
    let out = std::process::Command::new("sha256sum")
        .arg(&f)
        .output()
        .expect("sha256sum");
    let text = String::from_utf8_lossy(&out.stdout);
    let hex = text.split_whitespace().next().expect("a hash");
    Value::String(format!("sha256:{hex}"))
}

#[test]
fn strong_weak_and_last_modified_validators_get_304s_that_carry_the_record_forward() {
    let s = Server::start();
    let urls: Vec<String> = [
        "/cache/strong?etag=strong",
        "/cache/weak?etag=weak",
        "/cache/lm?lm=1",
        "/cache/both?etag=strong&lm=1",
    ]
    .iter()
    .map(|p| s.url(p))
    .collect();
    let r = twice(&s, &FULL, &urls);
    for url in &urls {
        let (a, b) = (&r.first[url], &r.second[url]);
        assert_eq!(a["status"], 200, "{a}");
        assert_eq!(b["status"], 304, "{b}");
        assert_eq!(b["ok"], true);
        assert_eq!(b["not_modified"], true);
        assert_eq!(b["changed"], false);
        assert_eq!(b["bytes"], 0);
        assert_eq!(b["redirects"], 0, "a 304 is not a redirect");
        assert_eq!(b["attempts"], 1, "a 304 is not retried");
        // Complete on its own: equal to the first run's but for timing,
        // status and bytes.
        assert_eq!(stable(a), stable(b), "{url}");
        assert!(b["links"].as_array().is_some_and(|l| !l.is_empty()));
    }
    // What the server saw: each validator exactly as it sent it.
    let etag_of = |u: &str| r.first[&s.url(u)]["etag"].as_str().unwrap().to_owned();
    let strong = sent(&r.seen, "/cache/strong?etag=strong");
    assert_eq!(
        header(strong, "if-none-match"),
        Some(etag_of("/cache/strong?etag=strong").as_str())
    );
    assert_eq!(header(strong, "if-modified-since"), None);
    let weak = sent(&r.seen, "/cache/weak?etag=weak");
    let weak_tag = etag_of("/cache/weak?etag=weak");
    assert!(weak_tag.starts_with("W/\""));
    assert_eq!(header(weak, "if-none-match"), Some(weak_tag.as_str()));
    let lm = sent(&r.seen, "/cache/lm?lm=1");
    assert_eq!(header(lm, "if-none-match"), None);
    let date = r.first[&s.url("/cache/lm?lm=1")]["last_modified"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(header(lm, "if-modified-since"), Some(date.as_str()));
    let both = sent(&r.seen, "/cache/both?etag=strong&lm=1");
    assert!(header(both, "if-none-match").is_some());
    assert!(header(both, "if-modified-since").is_some());
    assert!(
        r.seen.iter().all(|sp| sp.status == Some(304)),
        "only 304s went back"
    );
}

#[test]
fn without_a_matching_validator_the_hash_decides() {
    let s = Server::start();
    let gzip = s.url("/cache/g?etag=gzip");
    let none = s.url("/cache/n");
    let r = twice(&s, &["--links"], &[gzip.clone(), none.clone()]);
    // A -gzip ETag goes back as received; the server never matches it.
    let g = sent(&r.seen, "/cache/g?etag=gzip");
    let tag = r.first[&gzip]["etag"].as_str().unwrap().to_owned();
    assert!(tag.ends_with("-gzip\""), "{tag}");
    assert_eq!(header(g, "if-none-match"), Some(tag.as_str()));
    assert_eq!(g.status, Some(200));
    // No validator at all: nothing conditional is sent.
    let n = sent(&r.seen, "/cache/n");
    assert_eq!(header(n, "if-none-match"), None);
    assert_eq!(header(n, "if-modified-since"), None);
    assert_eq!(n.status, Some(200));
    for url in [&gzip, &none] {
        let b = &r.second[url];
        assert_eq!(b["status"], 200);
        assert_eq!(b["changed"], false, "same body, same hash: {b}");
        assert_eq!(b["not_modified"], false);
        assert_eq!(b["content_hash"], r.first[url]["content_hash"]);
        assert_eq!(stable(&r.first[url]), stable(b));
    }
    assert!(
        r.stderr
            .contains("/cache/n: full fetch: the earlier record has no ETag"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_page_that_changed_is_fetched_and_says_so() {
    let s = Server::start();
    let urls = [
        s.url("/cache/c1?etag=strong"),
        s.url("/cache/c2?lm=1"),
        s.url("/cache/c3?etag=gzip"),
        s.url("/cache/c4"),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = paths(&dir);
    let mut args = vec!["--links"];
    args.extend(urls.iter().map(String::as_str));
    assert_eq!(run_to(&args, &a).2, 0);
    for name in ["c1", "c2", "c3", "c4"] {
        s.set_page(name, &format!("<title>{name} v2</title>"));
    }
    args.extend(["--revalidate", a.to_str().unwrap()]);
    let (second, _, code) = run_to(&args, &b);
    assert_eq!(code, 0);
    for rec in &second {
        assert_eq!(rec["status"], 200, "{rec}");
        assert_eq!(rec["changed"], true);
        assert_eq!(rec["not_modified"], false);
        assert!(rec["title"].as_str().is_some_and(|t| t.ends_with(" v2")));
        assert_eq!(rec["links"], serde_json::json!([]));
    }
}

#[test]
fn an_earlier_record_lacking_a_part_asked_for_now_means_a_full_fetch() {
    let s = Server::start();
    let url = s.url("/cache/f?etag=strong&lm=1");
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = paths(&dir);
    let prev = a.to_str().unwrap();
    assert_eq!(run_to(&["-s", "h=title", &url], &a).2, 0);
    // Each of these asks for something the earlier record does not hold.
    let cases: [&[&str]; 4] = [
        &["--links"],
        &["--meta"],
        &["-s", "h=title", "-s", "other=p"],
        &["-s", "h[]=title"],
    ];
    for extra in cases {
        let before = s.spans().len();
        let mut args = extra.to_vec();
        args.extend([url.as_str(), "--revalidate", prev, "-vv"]);
        let (recs, stderr, code) = run_to(&args, &b);
        assert_eq!(code, 0, "{extra:?}: {stderr}");
        let seen = &s.spans()[before..];
        assert_eq!(seen.len(), 1);
        assert_eq!(header(&seen[0], "if-none-match"), None, "{extra:?}");
        assert_eq!(header(&seen[0], "if-modified-since"), None, "{extra:?}");
        assert_eq!(seen[0].status, Some(200));
        assert_eq!(recs[0]["status"], 200);
        assert_eq!(recs[0]["changed"], false, "the hash still compares");
        assert!(
            stderr.contains("full fetch: the earlier record has no"),
            "{extra:?}: {stderr}"
        );
    }
    // Asking for less than it holds is fine: a 304, with only what is asked.
    let before = s.spans().len();
    let (recs, _, _) = run_to(&[url.as_str(), "--revalidate", prev], &b);
    assert_eq!(s.spans()[before].status, Some(304));
    assert_eq!(recs[0]["status"], 304);
    assert!(recs[0].get("fields").is_none(), "{}", recs[0]);
}

#[test]
fn a_failed_earlier_record_is_never_trusted() {
    let s = Server::start();
    let url = s.url("/cache/x?etag=strong");
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = paths(&dir);
    // 200 is not ok in the first run: the record fails, with an ETag.
    let (first, _, code) = run_to(&["--ok-status", "300", &url], &a);
    assert_eq!(code, 1);
    assert_eq!(first[0]["ok"], false);
    assert!(first[0]["etag"].is_string());
    let before = s.spans().len();
    let (second, stderr, code) = run_to(
        &[url.as_str(), "--revalidate", a.to_str().unwrap(), "-vv"],
        &b,
    );
    assert_eq!(code, 0);
    let seen = &s.spans()[before..];
    assert_eq!(header(&seen[0], "if-none-match"), None);
    assert_eq!(seen[0].status, Some(200));
    assert_eq!(
        second[0]["changed"],
        Value::Null,
        "nothing trusted to compare with"
    );
    assert_eq!(second[0]["not_modified"], false);
    assert!(
        stderr.contains("full fetch: the earlier record is not ok"),
        "{stderr}"
    );
}

#[test]
fn a_torn_last_line_is_left_out_and_its_url_fetched_in_full() {
    let s = Server::start();
    let urls = [
        s.url("/cache/t1?etag=strong"),
        s.url("/cache/t2?etag=strong"),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = paths(&dir);
    assert_eq!(run_to(&["--ordered", &urls[0], &urls[1]], &a).2, 0);
    let text = std::fs::read(&a).unwrap();
    let second_line = text[..text.len() - 1]
        .iter()
        .rposition(|&c| c == b'\n')
        .unwrap()
        + 1;
    std::fs::write(&a, &text[..second_line + 30]).unwrap();
    let before = s.spans().len();
    let (recs, stderr, code) = run_to(
        &[&urls[0], &urls[1], "--revalidate", a.to_str().unwrap()],
        &b,
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("torn last line"), "{stderr}");
    let m = by_url(&recs);
    assert_eq!(m[&urls[0]]["status"], 304);
    assert_eq!(m[&urls[1]]["status"], 200);
    assert_eq!(m[&urls[1]]["changed"], Value::Null);
    let seen = &s.spans()[before..];
    assert_eq!(
        header(sent(seen, "/cache/t2?etag=strong"), "if-none-match"),
        None
    );
    // The earlier file is only read, never repaired or written.
    assert_eq!(std::fs::read(&a).unwrap().len(), second_line + 30);
}

#[test]
fn output_to_the_revalidate_file_is_a_usage_error() {
    let s = Server::start();
    let url = s.url("/cache/o?etag=strong");
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, _) = paths(&dir);
    assert_eq!(run_to(&[&url], &a).2, 0);
    let kept = std::fs::read(&a).unwrap();
    let hits = s.hits();
    // The same file by another spelling, and by a hard link.
    let other = dir.path().join(".").join("first.jsonl");
    let linked = dir.path().join("linked.jsonl");
    std::fs::hard_link(&a, &linked).unwrap();
    for args in [
        vec!["--revalidate", a.to_str().unwrap()],
        vec!["--revalidate", other.to_str().unwrap(), "--resume"],
        vec!["--revalidate", linked.to_str().unwrap()],
    ] {
        let o = trawl()
            .args([url.as_str()])
            .args(&args)
            .arg("-o")
            .arg(&a)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("--revalidate"));
    }
    assert_eq!(std::fs::read(&a).unwrap(), kept, "the history is untouched");
    assert_eq!(s.hits(), hits, "no request");
    // A file that is not trawl's output is refused before any request.
    let list = dir.path().join("urls.txt");
    std::fs::write(&list, format!("{url}\n")).unwrap();
    let o = trawl()
        .args([url.as_str(), "--revalidate"])
        .arg(&list)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(s.hits(), hits);
}

#[test]
fn changed_only_writes_new_failed_and_changed_urls_and_counts_the_rest() {
    let s = Server::start();
    let same304 = s.url("/cache/s1?etag=strong");
    let same200 = s.url("/cache/s2");
    let changes = s.url("/cache/s3?etag=strong");
    let fails = s.url("/status/500");
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = paths(&dir);
    let (_, _, code) = run_to(&[&same304, &same200, &changes, &fails], &a);
    assert_eq!(code, 1);
    s.set_page("s3", "<title>new</title>");
    let new = s.url("/cache/s4?etag=strong");
    let summary = dir.path().join("summary.json");
    // --ok-status leaves 304 out: a 304 answering our validators is ok all
    // the same.
    let (recs, stderr, code) = run_to(
        &[
            &same304,
            &same200,
            &changes,
            &fails,
            &new,
            "--revalidate",
            a.to_str().unwrap(),
            "--changed-only",
            "--ok-status",
            "200",
            "--summary-json",
            summary.to_str().unwrap(),
        ],
        &b,
    );
    assert_eq!(code, 1, "{stderr}");
    let m = by_url(&recs);
    let mut written: Vec<&String> = m.keys().collect();
    written.sort();
    let mut want = vec![&changes, &fails, &new];
    want.sort();
    assert_eq!(written, want);
    assert_eq!(m[&changes]["changed"], true);
    assert_eq!(m[&new]["changed"], Value::Null);
    assert!(
        stderr.contains("5 URLs read: 4 ok, 1 failed")
            && stderr.contains("2 unchanged (1 not modified), not written"),
        "{stderr}"
    );
    let json: Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert_eq!(
        (json["ok"].clone(), json["unchanged"].clone()),
        (4.into(), 2.into())
    );
    assert_eq!(json["not_modified"], 1);
}

#[test]
fn revalidation_works_with_resume_and_shard() {
    let s = Server::start();
    let urls: Vec<String> = (0..8)
        .map(|i| s.url(&format!("/cache/r{i}?etag=strong")))
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = paths(&dir);
    let mut args: Vec<&str> = urls.iter().map(String::as_str).collect();
    assert_eq!(run_to(&args, &a).2, 0);
    args.extend(["--revalidate", a.to_str().unwrap()]);
    // Shard 1 of 2 first, then the rest by resuming with shard 2 of 2.
    let mut one = args.clone();
    one.extend(["--shard", "1/2"]);
    let (first_half, _, code) = run_to(&one, &b);
    assert_eq!(code, 0);
    assert!(!first_half.is_empty() && first_half.len() < 8);
    let mut two = args.clone();
    two.extend(["--shard", "2/2", "--resume"]);
    let (all, _, code) = run_to(&two, &b);
    assert_eq!(code, 0);
    assert_eq!(by_url(&all).len(), 8);
    assert!(
        all.iter()
            .all(|r| r["status"] == 304 && r["changed"] == false),
        "{all:?}"
    );
}

#[test]
fn validators_go_only_to_the_url_they_came_from_through_redirects() {
    let s = Server::start();
    let url = s.url("/to?url=%2Fcache%2Frd%3Fetag%3Dstrong");
    let r = twice(&s, &["--links"], std::slice::from_ref(&url));
    assert_eq!(r.first[&url]["final_url"], s.url("/cache/rd?etag=strong"));
    let hop = sent(&r.seen, "/to?url=%2Fcache%2Frd%3Fetag%3Dstrong");
    assert_eq!(
        header(hop, "if-none-match"),
        None,
        "not to the redirecting URL"
    );
    let last = sent(&r.seen, "/cache/rd?etag=strong");
    assert!(header(last, "if-none-match").is_some());
    assert_eq!(last.status, Some(304));
    let b = &r.second[&url];
    assert_eq!(
        (b["status"].clone(), b["redirects"].clone()),
        (304.into(), 1.into())
    );
    assert_eq!(stable(&r.first[&url]), stable(b));
}

#[test]
fn a_chain_of_re_runs_keeps_revalidating() {
    // Each re-run's file is complete and keeps the validators, so the
    // next one revalidates against it as well as against a full fetch.
    let s = Server::start();
    let url = s.url("/cache/chain?etag=weak&lm=1");
    let dir = tempfile::tempdir().expect("tempdir");
    let files: Vec<PathBuf> = (0..4)
        .map(|i| dir.path().join(format!("{i}.jsonl")))
        .collect();
    let (first, _, code) = run_to(
        &FULL
            .iter()
            .copied()
            .chain([url.as_str()])
            .collect::<Vec<_>>(),
        &files[0],
    );
    assert_eq!(code, 0);
    for i in 1..4 {
        let mut args: Vec<&str> = FULL.to_vec();
        args.extend([url.as_str(), "--revalidate", files[i - 1].to_str().unwrap()]);
        let (recs, stderr, code) = run_to(&args, &files[i]);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(recs[0]["status"], 304, "run {i}");
        assert_eq!(stable(&first[0]), stable(&recs[0]), "run {i}");
    }
    let statuses: Vec<_> = s.spans().iter().map(|sp| sp.status).collect();
    assert_eq!(statuses, [Some(200), Some(304), Some(304), Some(304)]);
}

#[test]
#[cfg(target_os = "linux")]
fn stdout_redirected_into_the_revalidate_file_is_a_usage_error() {
    let s = Server::start();
    let url = s.url("/cache/so?etag=strong");
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, _) = paths(&dir);
    assert_eq!(run_to(&[&url], &a).2, 0);
    let kept = std::fs::read(&a).unwrap();
    let hits = s.hits();
    // As `trawl … --revalidate a >> a` would.
    let append = std::fs::OpenOptions::new().append(true).open(&a).unwrap();
    let o = trawl()
        .args([url.as_str(), "--revalidate", a.to_str().unwrap()])
        .stdout(append)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("standard output is the --revalidate file")
    );
    assert_eq!(std::fs::read(&a).unwrap(), kept);
    assert_eq!(s.hits(), hits);
}
