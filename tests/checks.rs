//! End-to-end tests of the CI checks: `--expect`, `--expect-text`,
//! `--max-latency`, `--max-failures` and `--allow-failures`.

mod support;

use support::{Server, by_url, kind, run};

#[test]
fn expectations_pass_and_fail_by_selector_and_text() {
    let s = Server::start();
    let page = s.url("/page/simple.html");
    let text = s.url("/text");
    let missing = s.url("/status/404");
    let list = [page.as_str(), text.as_str(), missing.as_str()].join("\n");

    // Met on the page; the text body has no HTML to match a selector.
    let (recs, _, code) = run(
        &[
            "--expect",
            "h1",
            "--expect",
            "p > a[href]",
            "--expect-text",
            "Nothing  to see",
        ],
        &list,
    );
    assert_eq!(code, 1);
    let m = by_url(&recs);
    assert_eq!(m[&page]["ok"], true, "{}", m[&page]);
    assert_eq!(kind(&m[&text]), "expectation");
    assert!(
        m[&text]["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("not HTML")
    );
    // A 404 is a 404 before it is an unmet expectation.
    assert_eq!(kind(&m[&missing]), "http_status");

    // Not met: the message names what was missing.
    let (recs, _, _) = run(&["--expect", "h1", "--expect", ".price"], &page);
    assert_eq!(kind(&recs[0]), "expectation");
    let msg = recs[0]["error"]["message"].as_str().unwrap_or("");
    assert!(msg.contains("'.price'"), "{msg}");
    let (recs, _, _) = run(&["--expect-text", "Welcome back"], &page);
    assert_eq!(kind(&recs[0]), "expectation");
    assert!(
        recs[0]["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("'Welcome back'")
    );

    // A body that is not HTML is searched as text.
    let (recs, _, code) = run(&["--expect-text", "not html"], &text);
    assert_eq!(
        (code, &recs[0]["ok"]),
        (0, &serde_json::json!(true)),
        "{}",
        recs[0]
    );
    let (recs, _, _) = run(&["--expect-text", "absent"], &text);
    assert_eq!(kind(&recs[0]), "expectation");

    // A bad selector is a usage error.
    let (_, stderr, code) = run(&["--expect", "div >", "u"], "");
    assert_eq!(code, 2);
    assert!(stderr.contains("'div >'"), "{stderr}");
}

#[test]
fn slow_pages_fail_as_slow() {
    let s = Server::start();
    let slow = s.url("/delay/400");
    let fast = s.url("/page/simple.html");
    let (recs, _, code) = run(
        &["--max-latency", "200ms"],
        &[slow.as_str(), fast.as_str()].join("\n"),
    );
    assert_eq!(code, 1);
    let m = by_url(&recs);
    assert_eq!(kind(&m[&slow]), "slow");
    assert!(
        m[&slow]["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("200ms")
    );
    assert_eq!(m[&fast]["ok"], true);
    assert!(m[&slow]["elapsed_ms"].as_u64().unwrap_or(0) >= 400);
}

#[test]
fn max_failures_stops_starting_new_urls() {
    let s = Server::start();
    let mut list: Vec<String> = (0..3)
        .map(|i| s.url(&format!("/status/500?i={i}")))
        .collect();
    list.extend((0..40).map(|i| s.url(&format!("/page/simple.html?i={i}"))));
    let (recs, stderr, code) = run(&["-c", "1", "--max-failures", "2"], &list.join("\n"));
    assert_eq!(code, 1, "{stderr}");
    let failed = recs.iter().filter(|r| r["ok"] == false).count();
    assert!(failed >= 2, "{recs:?}");
    // One URL may have started while the second failure was being written.
    assert!(recs.len() <= 3, "{} records", recs.len());
    assert!(s.hits() <= 3, "{} requests", s.hits());
    assert!(stderr.contains("stopped at 2 failures"), "{stderr}");
}

#[test]
fn allow_failures_sets_the_exit_status_by_count_or_share() {
    let s = Server::start();
    let mut list: Vec<String> = (0..3)
        .map(|i| s.url(&format!("/page/simple.html?i={i}")))
        .collect();
    list.push(s.url("/status/503"));
    let list = list.join("\n");
    for (allow, want) in [("1", 0), ("0", 1), ("25%", 0), ("20%", 1), ("100%", 0)] {
        let (recs, stderr, code) = run(&["--allow-failures", allow], &list);
        assert_eq!(code, want, "--allow-failures {allow}: {stderr}");
        assert_eq!(recs.len(), 4);
        // The summary still counts the failure.
        assert!(stderr.contains("1 failed"), "{stderr}");
    }
    for bad in ["x", "5x%", "101%", "-1"] {
        let (_, stderr, code) = run(&["--allow-failures", bad, "u"], "");
        assert_eq!(code, 2, "{bad}: {stderr}");
    }
}
