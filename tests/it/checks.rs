//! End-to-end tests of the CI checks: `--expect`, `--expect-text`,
//! `--max-latency`, `--max-failures` and `--allow-failures`.

use crate::support;

use crate::support::{Server, by_url, kind, run};

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

    // --expect alone fails a body that is not HTML too.
    let (recs, _, _) = run(&["--expect", "h1"], &text);
    assert_eq!(kind(&recs[0]), "expectation", "{}", recs[0]);

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
    assert_eq!(failed, 2, "{recs:?}");
    // With one URL at a time, the second failure is counted before the
    // next URL could start, however far behind the writer is.
    assert_eq!(recs.len(), 2, "{recs:?}");
    assert_eq!(s.hits(), 2, "{} requests", s.hits());
    assert!(stderr.contains("stopped at 2 failures"), "{stderr}");
}

#[test]
fn max_failures_still_finishes_a_redirect_in_flight() {
    // The failure halts the run while the other URL is between hops of a
    // redirect to another host: that URL is in flight and gets its record.
    let (a, b, c) = (
        Server::start_on("127.0.0.1"),
        Server::start_on("127.0.0.2"),
        Server::start_on("127.0.0.3"),
    );
    let target = c.url("/page/simple.html");
    let moving = b.url(&format!("/later/300?url={target}"));
    // Fails after 100 ms, so that both URLs have started by then.
    let failing = a.url("/later/100?url=/status/500");
    let (recs, stderr, code) = run(
        &["-c", "2", "--max-failures", "1"],
        &[failing.as_str(), moving.as_str()].join("\n"),
    );
    assert_eq!(code, 1, "{stderr}");
    let m = by_url(&recs);
    assert_eq!(kind(&m[&failing]), "http_status");
    assert_eq!(m[&moving]["ok"], true, "{recs:?}");
    assert_eq!(m[&moving]["final_url"], target.as_str());
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

#[test]
fn ci_reports_annotate_summarise_and_write_junit_and_json() {
    let s = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let step = dir.path().join("step-summary.md");
    let junit = dir.path().join("junit.xml");
    let json = dir.path().join("summary.json");
    let good = s.url("/page/simple.html?a=1&b=2");
    let mut list = vec![good.clone(), "::error::forged".to_owned()];
    list.extend((0..60).map(|i| s.url(&format!("/status/404?i={i}"))));
    let out = assert_cmd::Command::from_std(support::trawl())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &step)
        .args(["--junit"])
        .arg(&junit)
        .arg("--summary-json")
        .arg(&json)
        .write_stdin(list.join("\n"))
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("trawl");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let commands: Vec<&str> = stderr.lines().filter(|l| l.starts_with("::")).collect();
    // 50 annotations, then one that counts the rest; none forged.
    assert_eq!(commands.len(), 51, "{stderr}");
    assert!(
        commands
            .iter()
            .all(|l| l.starts_with("::error title=trawl"))
    );
    assert!(!stderr.lines().any(|l| l.starts_with("::error::forged")));
    assert!(
        commands[50].contains("11 more URLs failed"),
        "{}",
        commands[50]
    );
    // The records on stdout stay JSON Lines.
    assert_eq!(support::records(&out.stdout).len(), 62);

    let md = std::fs::read_to_string(&step).expect("step summary");
    assert!(
        md.contains("## trawl") && md.contains("### Failures"),
        "{md}"
    );
    assert!(md.contains("### Slowest pages"));
    assert!(md.contains("**61 failed**"), "{md}");

    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert!(xml.starts_with("<?xml"));
    assert!(xml.contains("<testsuites name=\"trawl\" tests=\"62\" failures=\"61\""));
    assert_eq!(xml.matches("<testcase ").count(), 62);
    assert_eq!(xml.matches("<failure ").count(), 61);
    assert_eq!(xml.matches("</testsuite>").count(), 1);
    assert!(xml.contains("a=1&amp;b=2") && !xml.contains("a=1&b=2"));
    assert!(xml.trim_end().ends_with("</testsuites>"));
    assert!(!dir.path().join("junit.xml.cases.tmp").exists());

    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("JSON");
    assert_eq!(summary["ok"], 1);
    assert_eq!(summary["failed"], 61);
    assert_eq!(summary["failed_by_kind"]["http_status"], 60);
    assert_eq!(summary["exit_code"], 1);
}

#[test]
fn sitemaps_and_indexes_feed_urls_and_report_their_own_failures() {
    let s = Server::start();
    // A plain sitemap: its three URLs, each with a record.
    let (recs, _, code) = run(&["--sitemap", &s.url("/sitemap.xml")], "");
    assert_eq!(code, 1, "the 404 in it is not ok");
    let m = by_url(&recs);
    assert_eq!(recs.len(), 3, "{recs:?}");
    assert_eq!(m[&s.url("/page/simple.html")]["ok"], true);
    assert!(
        m.contains_key(&s.url("/page/other.html?a=1&b=2")),
        "entities decoded"
    );
    assert_eq!(kind(&m[&s.url("/status/404")]), "http_status");

    // An index: followed to both sitemaps (one gzip); the broken child and
    // the page that is not a sitemap get records of kind `sitemap`.
    let (recs, _, _) = run(&["--sitemap", &s.url("/sitemap-index.xml")], "");
    let m = by_url(&recs);
    assert_eq!(recs.len(), 5, "{recs:?}");
    assert_eq!(
        m[&s.url("/page/no-title.html")]["ok"],
        true,
        "from the gzip sitemap"
    );
    assert_eq!(kind(&m[&s.url("/status/500")]), "sitemap");
    let not_sitemap = &m[&s.url("/page/simple.html")];
    // The page is listed in a sitemap and also (wrongly) as a sitemap: one
    // URL, one record, the page's, which came first.
    assert_eq!(not_sitemap["ok"], true);

    // A sitemap that cannot be fetched is a record, not the end of the run.
    let (recs, _, code) = run(
        &[
            "--sitemap",
            "http://127.0.0.1:9/sitemap.xml",
            &s.url("/page/simple.html"),
        ],
        "",
    );
    assert_eq!(code, 1);
    let m = by_url(&recs);
    assert_eq!(kind(&m["http://127.0.0.1:9/sitemap.xml"]), "sitemap");
    assert_eq!(m[&s.url("/page/simple.html")]["ok"], true);
}
