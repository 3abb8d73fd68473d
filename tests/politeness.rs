//! End-to-end tests of politeness: `--rate`, `--host-rate`, `--burst`,
//! as the server saw the requests arrive.

mod support;

use std::time::{Duration, Instant};
use support::{Server, run};

/// Asserts that no `n + 1` consecutive arrivals fall within `window`. The
/// server sees arrivals, not sends: a request the OS delayed can land
/// closer to the next one than their tokens were, so 10 % slack.
fn no_window_exceeds(starts: &[Instant], n: usize, window: Duration) {
    for w in starts.windows(n + 1) {
        let span = w[n] - w[0];
        assert!(
            span >= window.mul_f64(0.9),
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
