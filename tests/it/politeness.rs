//! End-to-end tests of politeness: `--rate`, `--host-rate`, `--burst`,
//! as the server saw the requests arrive.

use crate::support;

use crate::support::{Server, run};
use std::time::{Duration, Instant};

/// Asserts that no `n + 1` consecutive arrivals fall within `window`. The
/// server sees arrivals, not sends: a request the OS delayed (a new
/// connection on a loaded 2-core machine) can land closer to the next one
/// than their tokens were, so 20 % slack. A limiter that does not hold
/// lets them land together, far inside it.
fn no_window_exceeds(starts: &[Instant], n: usize, window: Duration) {
    for w in starts.windows(n + 1) {
        let span = w[n] - w[0];
        assert!(
            span >= window.mul_f64(0.8),
            "{} requests within {span:?}, more than {n} per {window:?}",
            n + 1
        );
    }
}

#[test]
fn rate_holds_over_all_hosts_from_the_first_second() {
    let (a, b) = (Server::start_on("127.0.0.1"), Server::start_on("127.0.0.2"));
    let mut list = Vec::new();
    for i in 0..12 {
        list.push(a.url(&format!("/page/simple.html?i={i}")));
        list.push(b.url(&format!("/page/simple.html?i={i}")));
    }
    let t = Instant::now();
    let (recs, _, code) = run(&["--rate", "10/s", "-c", "50"], &list.join("\n"));
    let took = t.elapsed();
    assert_eq!((code, recs.len()), (0, 24));
    let mut starts = a.starts();
    starts.extend(b.starts());
    starts.sort();
    assert_eq!(starts.len(), 24);
    // 10/s with a burst of 1: one request per 100 ms, the first second too.
    no_window_exceeds(&starts, 10, Duration::from_secs(1));
    // And the rate is reached: 24 requests take about 2.3 s, not much more.
    assert!(took < Duration::from_secs(6), "took {took:?}");
}

#[test]
fn host_rate_holds_per_host_and_hosts_go_in_parallel() {
    let (a, b) = (Server::start_on("127.0.0.1"), Server::start_on("127.0.0.2"));
    let mut list = Vec::new();
    for i in 0..8 {
        list.push(a.url(&format!("/page/simple.html?i={i}")));
        list.push(b.url(&format!("/page/simple.html?i={i}")));
    }
    let t = Instant::now();
    let (recs, _, code) = run(&["--host-rate", "5/s", "-c", "50"], &list.join("\n"));
    let took = t.elapsed();
    assert_eq!((code, recs.len()), (0, 16));
    for s in [&a, &b] {
        let starts = s.starts();
        assert_eq!(starts.len(), 8);
        no_window_exceeds(&starts, 5, Duration::from_secs(1));
    }
    // Each host needs 1.4 s; together they would need 3 s if the limit
    // were global.
    assert!(took < Duration::from_millis(2800), "took {took:?}");
}

#[test]
fn burst_lets_that_many_go_at_once() {
    let s = Server::start();
    let list: Vec<String> = (0..6)
        .map(|i| s.url(&format!("/page/simple.html?i={i}")))
        .collect();
    let (recs, _, _) = run(
        &["--rate", "2/s", "--burst", "4", "-c", "10"],
        &list.join("\n"),
    );
    assert_eq!(recs.len(), 6);
    let starts = s.starts();
    // Four at once, then one per 500 ms.
    assert!(
        starts[3] - starts[0] < Duration::from_millis(300),
        "{starts:?}"
    );
    assert!(
        starts[4] - starts[0] >= Duration::from_millis(400),
        "{starts:?}"
    );
}

#[test]
fn bad_rates_are_usage_errors() {
    for args in [
        &["--rate", "fast", "u"][..],
        &["--host-rate", "0/s", "u"][..],
        &["--burst", "0", "u"][..],
    ] {
        let (_, stderr, code) = run(args, "");
        assert_eq!(code, 2, "{args:?}: {stderr}");
    }
}

#[test]
fn transient_failures_are_retried_and_attempts_counted() {
    let s = Server::start();
    let twice = s.url("/flaky/2?id=twice");
    let thrice = s.url("/flaky/3?id=thrice");
    let fatal = s.url("/status/500?id=fatal");
    let (recs, _, code) = run(
        &["--retries", "2"],
        &[twice.as_str(), thrice.as_str(), fatal.as_str()].join("\n"),
    );
    assert_eq!(code, 1);
    let m = support::by_url(&recs);
    // 503, 503, then 200: three attempts, ok.
    assert_eq!(
        (m[&twice]["ok"].clone(), m[&twice]["attempts"].clone()),
        (true.into(), 3.into())
    );
    // 503 three times: the retries run out; the last answer is the record.
    assert_eq!(m[&thrice]["attempts"], 3);
    assert_eq!(m[&thrice]["status"], 503);
    // 500 is a bug, not a hiccup: not retried.
    assert_eq!(m[&fatal]["attempts"], 1);
    // With --retries 0, one attempt.
    let (recs, _, _) = run(&["--retries", "0"], &s.url("/flaky/1?id=once"));
    assert_eq!(
        (recs[0]["attempts"].clone(), recs[0]["status"].clone()),
        (1.into(), 503.into())
    );
}

#[test]
fn retry_after_is_honoured_in_seconds_and_as_a_date() {
    for (path, want) in [
        ("/retry-after/1?id=secs", Duration::from_millis(950)),
        ("/retry-after/2?id=date&date=1", Duration::from_millis(950)),
    ] {
        let s = Server::start();
        let (recs, _, code) = run(&[], &s.url(path));
        assert_eq!(code, 0, "{}", recs[0]);
        assert_eq!(recs[0]["attempts"], 2);
        let starts = s.starts();
        assert_eq!(starts.len(), 2);
        // An HTTP date has whole seconds: "2 s from now" is at least 1 s.
        assert!(
            starts[1] - starts[0] >= want,
            "{path}: waited {:?}",
            starts[1] - starts[0]
        );
    }
}

#[test]
fn a_url_waiting_to_retry_holds_no_slot() {
    // -c 1: while the flaky URL waits out Retry-After (2 s), the other URLs
    // take the only slot and finish.
    let s = Server::start();
    let mut list = vec![s.url("/retry-after/2?id=slotless")];
    list.extend((0..5).map(|i| s.url(&format!("/page/simple.html?i={i}"))));
    let (child, lines) = {
        let mut c = support::trawl()
            .args(["-c", "1", "-q"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("trawl");
        {
            use std::io::Write;
            let mut stdin = c.stdin.take().expect("stdin");
            stdin.write_all(list.join("\n").as_bytes()).expect("write");
        }
        let out = c.stdout.take().expect("stdout");
        (c, std::io::BufRead::lines(std::io::BufReader::new(out)))
    };
    // A hang must fail the test, not stall the suite: kill trawl after 30 s
    // (the lines then end and the asserts below report it).
    let pid = child.id().to_string();
    let over = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watch = over.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(30));
        // Only while the child is ours: once reaped, its pid may be reused.
        if !watch.load(std::sync::atomic::Ordering::SeqCst) {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid])
                .status();
        }
    });
    let t = Instant::now();
    let mut order = Vec::new();
    for line in lines {
        let rec = support::record(&line.expect("line"));
        order.push((
            rec["url"].as_str().unwrap_or_default().to_owned(),
            t.elapsed(),
        ));
    }
    let mut child = child;
    let status = child.wait().expect("wait");
    over.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(status.success(), "{status:?}");
    assert_eq!(order.len(), 6);
    // Had the sleeping URL kept the only slot, the others would have
    // waited for it and finished after it.
    assert_eq!(order[5].0, list[0], "the retried URL finishes last");
    assert!(
        order[5].1 - order[4].1 >= Duration::from_secs(1),
        "the fast pages did not wait out the Retry-After: {order:?}"
    );
}

#[test]
fn max_time_bounds_a_url_over_all_its_attempts() {
    let s = Server::start();
    let t = Instant::now();
    let (recs, _, code) = run(
        &["--max-time", "1500ms", "--retries", "5", "-t", "1s"],
        &s.url("/hang?id=max-time"),
    );
    let took = t.elapsed();
    assert_eq!(code, 1);
    assert_eq!(support::kind(&recs[0]), "timeout");
    assert!(took < Duration::from_secs(4), "took {took:?}");
    assert!(
        recs[0]["attempts"].as_u64().unwrap_or(0) <= 2,
        "{}",
        recs[0]
    );
}

#[test]
fn robots_txt_is_fetched_once_per_origin_and_obeyed() {
    let s = Server::start();
    s.set_robots(
        200,
        "User-agent: *\nDisallow: /page/\nAllow: /page/simple.html\n\n\
         User-agent: otherbot\nDisallow: /\n",
    );
    let mut list: Vec<String> = (0..10)
        .map(|i| s.url(&format!("/page/simple.html?i={i}")))
        .collect();
    let private = s.url("/page/other.html");
    list.push(private.clone());
    let (recs, _, code) = run(&["--robots", "-c", "20"], &list.join("\n"));
    assert_eq!(code, 1);
    let m = support::by_url(&recs);
    assert_eq!(support::kind(&m[&private]), "robots_disallowed");
    assert!(m[&private]["status"].is_null());
    assert_eq!(m[&private]["attempts"], 0, "nothing was sent");
    assert_eq!(recs.iter().filter(|r| r["ok"] == true).count(), 10);
    let paths = s.paths();
    assert_eq!(
        paths.iter().filter(|p| *p == "/robots.txt").count(),
        1,
        "{paths:?}"
    );
    assert!(
        !paths.iter().any(|p| p.starts_with("/page/other")),
        "no request: {paths:?}"
    );
    // Without --robots, nothing is asked of robots.txt.
    let before = s.paths().len();
    let (recs, _, _) = run(&[], &private);
    assert_eq!(recs[0]["ok"], true);
    assert_eq!(s.paths()[before..], ["/page/other.html".to_owned()]);
}

#[test]
fn robots_txt_4xx_allows_all_and_5xx_or_silence_disallows_all() {
    let allow = Server::start_on("127.0.0.1");
    allow.set_robots(404, "");
    let deny = Server::start_on("127.0.0.2");
    deny.set_robots(503, "");
    let a = allow.url("/page/simple.html");
    let d = deny.url("/page/simple.html");
    let (recs, _, _) = run(&["--robots"], &[a.as_str(), d.as_str()].join("\n"));
    let m = support::by_url(&recs);
    assert_eq!(m[&a]["ok"], true);
    assert_eq!(support::kind(&m[&d]), "robots_disallowed");
    assert!(
        m[&d]["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("503")
    );
    assert_eq!(deny.paths(), ["/robots.txt".to_owned()]);
}

#[test]
fn crawl_delay_paces_the_host_unless_host_rate_is_given() {
    let s = Server::start();
    s.set_robots(
        200,
        "User-agent: trawl\nCrawl-delay: 1\nDisallow: /private\n",
    );
    let list: Vec<String> = (0..4)
        .map(|i| s.url(&format!("/page/simple.html?i={i}")))
        .collect();
    let (recs, _, code) = run(&["--robots", "-c", "10"], &list.join("\n"));
    assert_eq!(code, 0, "{recs:?}");
    let pages: Vec<Instant> = s
        .spans()
        .iter()
        .filter(|x| x.path.starts_with("/page/"))
        .map(|x| x.start)
        .collect();
    assert_eq!(pages.len(), 4);
    // One page a second: 4 pages take at least 3 s.
    no_window_exceeds(&pages, 1, Duration::from_secs(1));

    // --host-rate wins over Crawl-delay; robots.txt itself takes a token.
    let s = Server::start();
    s.set_robots(200, "User-agent: *\nCrawl-delay: 5\n");
    let list: Vec<String> = (0..6)
        .map(|i| s.url(&format!("/page/simple.html?i={i}")))
        .collect();
    let (recs, _, code) = run(
        &["--robots", "-c", "10", "--host-rate", "4/s"],
        &list.join("\n"),
    );
    assert_eq!(code, 0, "{recs:?}");
    let spans = s.spans();
    assert_eq!(spans.len(), 7);
    assert_eq!(spans[0].path, "/robots.txt");
    let starts = s.starts();
    no_window_exceeds(&starts, 4, Duration::from_secs(1));
    // Seven requests at 4/s take about 1.5 s; a 5 s Crawl-delay would
    // have taken 25 s.
    let all = starts[6] - starts[0];
    assert!(all < Duration::from_secs(5), "{all:?}");
}

#[test]
fn a_redirect_hop_waits_for_its_crawl_delay_outside_the_timeout() {
    // Crawl-delay 2 s, -t 1s: the hop to /redirect/0 must wait 2 s for its
    // turn, which is not time in flight.
    let s = Server::start();
    s.set_robots(200, "User-agent: *\nCrawl-delay: 2\n");
    let url = s.url("/redirect/1");
    let (recs, _, code) = run(&["--robots", "-t", "1s", "--retries", "0"], &url);
    assert_eq!(code, 0, "{recs:?}");
    assert_eq!(recs[0]["redirects"], 1);
    assert_eq!(recs[0]["attempts"], 1);
    let hops: Vec<Instant> = s
        .spans()
        .iter()
        .filter(|x| x.path.starts_with("/redirect/"))
        .map(|x| x.start)
        .collect();
    assert_eq!(hops.len(), 2);
    assert!(
        hops[1] - hops[0] >= Duration::from_millis(1600),
        "{:?}",
        hops[1] - hops[0]
    );
}

/// The soak: 100,000 URLs over two hosts, 90 % fast pages and 10 % spread
/// over every fault the test server has, at -c 100. By hand (about a
/// minute): `bash bench/soak.sh`, or
/// `cargo test --release --test politeness -- --ignored --nocapture soak`.
#[test]
#[ignore = "a soak of 100,000 URLs; run by hand with bench/soak.sh"]
fn soak() {
    let n: usize = std::env::var("SOAK_URLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let hosts = [Server::start_on("127.0.0.1"), Server::start_on("127.0.0.2")];
    let faults = [
        "/status/503",
        "/status/500",
        "/status/404",
        "/flaky/1",
        "/retry-after/1",
        "/hang",
        "/drip",
        "/redirect/3",
        "/loop/a",
        "/big/20000000",
        "/bomb",
        "/bad-gzip",
        "/text",
        "/nested/50000",
        "/bad-utf8",
        "/reset/before",
        "/reset/during",
        "/http10",
        "/chunked-cut",
        "/slow-body/5000",
    ];
    let mut list = String::new();
    for i in 0..n {
        let host = &hosts[i % 2];
        let path = if i % 10 == 9 {
            format!("{}?id=soak{i}", faults[(i / 10) % faults.len()])
        } else {
            format!("/page/simple.html?i={i}")
        };
        list.push_str(&host.url(&path));
        list.push('\n');
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("urls.txt");
    std::fs::write(&input, list).expect("list");
    let t = Instant::now();
    let mut child = support::trawl()
        .arg("-i")
        .arg(&input)
        .args([
            "-c",
            "100",
            "--per-host",
            "50",
            "-t",
            "2s",
            "--retries",
            "1",
            "--max-body",
            "5MiB",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("trawl");
    let pid = child.id();
    let out = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        std::io::BufRead::lines(std::io::BufReader::new(out))
            .map(|l| l.expect("line"))
            .collect::<Vec<_>>()
    });
    let mut peak_kib = 0u64;
    while child.try_wait().expect("wait").is_none() {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status"))
            && let Some(kib) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak_kib = peak_kib.max(kib);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let lines = reader.join().expect("reader");
    let took = t.elapsed();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr)
        .expect("stderr");
    let recs: Vec<serde_json::Value> = lines.iter().map(|l| support::record(l)).collect();
    let urls: std::collections::HashSet<&str> =
        recs.iter().filter_map(|r| r["url"].as_str()).collect();
    println!(
        "soak: {n} URLs, {} records ({} distinct), {:.1}s, peak RSS {:.1} MB, {:.0} pages/s",
        recs.len(),
        urls.len(),
        took.as_secs_f64(),
        peak_kib as f64 / 1024.0,
        recs.len() as f64 / took.as_secs_f64()
    );
    println!("{}", stderr.lines().last().unwrap_or_default());
    assert_eq!(recs.len(), n, "one record per URL");
    assert_eq!(urls.len(), n);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Every fault the test server has, with the record each must give at
/// `-t 3s --retries 1 --max-body 1MiB`: (path, error kind or "" for ok,
/// attempts).
const FAULTS: &[(&str, &str, u32)] = &[
    ("/page/simple.html", "", 1),
    ("/status/503", "http_status", 2),
    ("/status/500", "http_status", 1),
    ("/status/404", "http_status", 1),
    ("/flaky/1", "", 2),
    ("/retry-after/1", "", 2),
    // A date has whole seconds: 2 s from now is at least 1 s away.
    ("/retry-after/2?date=1", "", 2),
    ("/hang", "timeout", 2),
    ("/drip", "timeout", 2),
    ("/slow-body/5000", "timeout", 2),
    ("/redirect/3", "", 1),
    ("/loop/a", "too_many_redirects", 1),
    ("/big/4000000", "body_too_large", 1),
    ("/bomb", "body_too_large", 1),
    ("/bad-gzip", "decode", 1),
    ("/text", "", 1),
    ("/page/simple.html?ct=image/png", "", 1),
    ("/bad-utf8", "", 1),
    ("/nested/5000", "", 1),
    ("/reset/before", "connect", 2),
    ("/reset/during", "io", 2),
    ("/http10", "", 1),
    ("/chunked-cut", "io", 2),
];

/// Adds a unique `id` to a fault path (flaky and Retry-After routes count
/// requests per id).
fn with_id(path: &str, id: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}id={id}")
}

#[test]
fn one_record_per_url_over_every_fault_at_c_100() {
    let hosts = [Server::start_on("127.0.0.1"), Server::start_on("127.0.0.2")];
    support::prepare_bomb();
    let mut list = Vec::new();
    let mut want = std::collections::HashMap::new();
    for rep in 0..8 {
        for (h, host) in hosts.iter().enumerate() {
            for (f, (path, kind, attempts)) in FAULTS.iter().enumerate() {
                let url = host.url(&with_id(path, &format!("all{rep}-{h}-{f}")));
                want.insert(url.clone(), (*kind, *attempts));
                list.push(url);
            }
            // Fast pages are most of a real list.
            for i in 0..20 {
                let url = host.url(&format!("/page/other.html?rep={rep}&i={i}"));
                want.insert(url.clone(), ("", 1));
                list.push(url);
            }
        }
    }
    let t = Instant::now();
    let (recs, stderr, code) = run(
        &[
            "-c",
            "100",
            "--per-host",
            "40",
            "-t",
            "3s",
            "--retries",
            "1",
            "--max-body",
            "1MiB",
        ],
        &list.join("\n"),
    );
    let took = t.elapsed();
    assert_eq!(code, 1);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(recs.len(), list.len(), "one record per URL");
    let m = support::by_url(&recs);
    let wrong: Vec<String> = want
        .iter()
        .filter(|(url, (kind, attempts))| {
            support::kind(&m[*url]) != *kind || m[*url]["attempts"] != *attempts
        })
        .map(|(url, (kind, attempts))| format!("want {kind:?} after {attempts}: {}", m[url]))
        .collect();
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    for rec in recs.iter().filter(|r| {
        let u = r["url"].as_str().unwrap_or("");
        u.contains("/bad-utf8")
    }) {
        assert!(
            rec["title"].as_str().unwrap_or("").contains('\u{fffd}'),
            "{rec}"
        );
    }
    for rec in recs.iter().filter(|r| {
        let u = r["url"].as_str().unwrap_or("");
        u.contains("/http10")
    }) {
        assert_eq!(rec["title"], "close-delimited", "{rec}");
    }

    for host in &hosts {
        assert!(host.max_inflight() <= 40, "{}", host.max_inflight());
        // What the server saw: every request over, none outliving -t.
        let deadline = Instant::now() + Duration::from_secs(5);
        let spans = loop {
            let spans = host.spans();
            if spans.iter().all(|s| s.end.is_some()) || Instant::now() > deadline {
                break spans;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        for s in &spans {
            let end = s.end.unwrap_or_else(|| panic!("{} never ended", s.path));
            assert!(
                end - s.start < Duration::from_secs(4),
                "{} lasted {:?}, past -t 3s",
                s.path,
                end - s.start
            );
        }
        // Retry-After (1 s, or a date at least 1 s away) was waited out
        // before the second request.
        for (f, (path, _, _)) in FAULTS.iter().enumerate() {
            if !path.starts_with("/retry-after") {
                continue;
            }
            for rep in 0..8 {
                let starts: Vec<Instant> = spans
                    .iter()
                    .filter(|s| s.path.contains(&format!("id=all{rep}-")))
                    .filter(|s| s.path.ends_with(&format!("-{f}")))
                    .map(|s| s.start)
                    .collect();
                assert_eq!(starts.len(), 2, "{path}");
                assert!(
                    starts[1] - starts[0] >= Duration::from_millis(900),
                    "{path}: {:?}",
                    starts[1] - starts[0]
                );
            }
        }
    }
    // Faults force about 2 × 3 s of timeouts plus backoff; a hang would
    // show as far more.
    assert!(took < Duration::from_secs(45), "{took:?}");
}

#[test]
fn a_retry_goes_before_new_urls_of_its_host() {
    // Every URL of one host hangs past -t: with --per-host 2 the first
    // attempts alone would take eight rounds. A URL's second attempt must
    // not wait behind all of them, so records flow from the start and a
    // Ctrl-C loses little.
    let s = Server::start();
    let urls: Vec<String> = (0..16).map(|i| s.url(&format!("/hang?i={i}"))).collect();
    let (recs, stderr, code) = run(
        &[
            "-t",
            "300ms",
            "--retries",
            "1",
            "--per-host",
            "2",
            "-c",
            "50",
        ],
        &urls.join("\n"),
    );
    assert_eq!((recs.len(), code), (16, 1), "{stderr}");
    let paths = s.paths();
    assert_eq!(paths.len(), 32, "two attempts each: {paths:?}");
    let retry_of_first = paths
        .iter()
        .enumerate()
        .filter(|(_, p)| p.as_str() == "/hang?i=0")
        .nth(1)
        .map(|(at, _)| at)
        .expect("a second attempt at the first URL");
    let first_of_last = paths
        .iter()
        .position(|p| p == "/hang?i=15")
        .expect("an attempt at the last URL");
    assert!(
        retry_of_first < first_of_last,
        "the first URL's retry waited behind the last URL's first attempt: {paths:?}"
    );
}
