//! End-to-end tests: the real binary against real HTTP servers on loopback.
//!
//! Each test states a promise of the contract and checks it through what
//! the user sees (records, exit status, stderr, timing bounds with generous
//! slack) and what the server saw (requests in flight).

use crate::support;

use crate::support::{Server, by_url, kind, records, run, signal, trawl, wait_exit};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Starts trawl with piped stdout; a thread forwards each line with the
/// time it arrived.
fn spawn(args: &[&str], stdin: &str) -> (Child, mpsc::Receiver<(Instant, String)>) {
    let mut child = trawl()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn trawl");
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_owned();
    std::thread::spawn(move || {
        let _ = input.write_all(data.as_bytes());
    });
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send((Instant::now(), line)).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

fn stderr_of(child: &mut Child) -> String {
    let mut s = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut s);
    }
    s
}

/// A port on 127.0.0.1 with nothing listening.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

#[test]
fn one_record_per_distinct_url_over_a_mixed_list() {
    let s = Server::start();
    let dead = format!("http://127.0.0.1:{}/", closed_port());
    let list = [
        "# a comment line",
        &s.url("/page/simple.html"),
        "",
        &s.url("/page/other.html"),
        &s.url("/status/404"),
        &s.url("/status/500"),
        &s.url("/text"),
        "not a url",
        "ftp://example.com/file",
        &format!("  {}  ", s.url("/page/simple.html")),
        &dead,
        &s.url("/redirect/2"),
        &s.url("/hang"),
        &s.url("/big/3000000"),
    ]
    .join("\n");
    let (recs, stderr, code) = run(&["-t", "1s", "--max-body", "1MiB"], &list);
    let m = by_url(&recs);
    assert_eq!(recs.len(), 11, "{recs:#?}");
    assert_eq!(code, 1);
    let k = |path: &str| kind(&m[&s.url(path)]).to_owned();
    assert_eq!(k("/page/simple.html"), "");
    assert_eq!(m[&s.url("/page/simple.html")]["title"], "A simple page");
    assert_eq!(m[&s.url("/page/simple.html")]["ok"], true);
    assert_eq!(k("/page/other.html"), "");
    assert_eq!(k("/status/404"), "http_status");
    assert_eq!(m[&s.url("/status/404")]["status"], 404);
    assert_eq!(m[&s.url("/status/404")]["title"], "status 404");
    assert_eq!(k("/status/500"), "http_status");
    assert_eq!(k("/text"), "");
    assert_eq!(m[&s.url("/text")]["title"], Value::Null);
    assert_eq!(kind(&m["not a url"]), "invalid_url");
    assert_eq!(kind(&m["ftp://example.com/file"]), "unsupported_scheme");
    assert_eq!(kind(&m[dead.as_str()]), "connect");
    assert_eq!(m[dead.as_str()]["final_url"], Value::Null);
    assert_eq!(k("/redirect/2"), "");
    assert_eq!(k("/hang"), "timeout");
    assert_eq!(k("/big/3000000"), "body_too_large");
    for r in &recs {
        assert!(
            r["fetched_at"].as_str().is_some_and(|t| t.ends_with('Z')),
            "{r}"
        );
        assert_eq!(r["ok"], Value::Bool(kind(r).is_empty()), "{r}");
    }
    assert!(stderr.contains("12 URLs read: 4 ok, 7 failed"), "{stderr}");
    assert!(stderr.contains("1 duplicate skipped"), "{stderr}");
}

#[test]
fn concurrency_ceiling_is_reached_and_not_exceeded() {
    let s = Server::start();
    let list: Vec<String> = (0..30)
        .map(|i| s.url(&format!("/delay/300?i={i}")))
        .collect();
    let (recs, _, code) = run(&["-c", "5", "--per-host", "100", "-q"], &list.join("\n"));
    assert_eq!((recs.len(), code), (30, 0));
    assert_eq!(s.max_inflight(), 5);
}

/// Runs `per_host_urls` URLs of `path` on each of two hosts with `-c 50
/// --per-host 3` and checks each host saw exactly 3 in flight at most: the
/// ceiling is reached and never passed.
fn assert_per_host_ceiling(path: &str, per_host_urls: usize) -> Vec<Value> {
    let a = Server::start_on("127.0.0.1");
    let b = Server::start_on("127.0.0.2");
    let mut list = Vec::new();
    for i in 0..per_host_urls {
        list.push(a.url(&format!("{path}?i={i}")));
        list.push(b.url(&format!("{path}?i={i}")));
    }
    let (recs, _, code) = run(&["-c", "50", "--per-host", "3", "-q"], &list.join("\n"));
    assert_eq!((recs.len(), code), (2 * per_host_urls, 0));
    assert_eq!(a.max_inflight(), 3);
    assert_eq!(b.max_inflight(), 3);
    recs
}

#[test]
fn per_host_ceiling_is_reached_and_not_exceeded_on_each_host() {
    assert_per_host_ceiling("/delay/300", 24);
}

#[test]
fn ceilings_hold_while_bodies_are_still_arriving() {
    // The slots are held until the body is read, not only until the head:
    // here the head comes at once and the body 300 ms later.
    let recs = assert_per_host_ceiling("/slow-body/300", 12);
    assert!(recs.iter().all(|r| r["title"] == "slow body"));
}

#[test]
fn hanging_host_does_not_slow_a_fast_host() {
    // See STYLE.md, "Per-host fairness": 1,000 URLs of a hanging host
    // first must not hold the global slots the fast host needs.
    let slow = Server::start_on("127.0.0.1");
    let fast = Server::start_on("127.0.0.2");
    let mut list: Vec<String> = (0..1000)
        .map(|i| slow.url(&format!("/hang?i={i}")))
        .collect();
    list.extend((0..100).map(|i| fast.url(&format!("/delay/20?i={i}"))));
    let start = Instant::now();
    let (mut child, lines) = spawn(
        &["-c", "50", "--per-host", "8", "-t", "60s", "-q"],
        &list.join("\n"),
    );
    let mut fast_done = 0;
    let mut last = start;
    while fast_done < 100 {
        let Ok((at, line)) = lines.recv_timeout(Duration::from_secs(20)) else {
            break;
        };
        let rec = support::record(&line);
        assert_eq!(rec["ok"], true, "{rec}");
        fast_done += 1;
        last = at;
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(fast_done, 100, "the fast host's records did not all arrive");
    // Ideal: 100 × 20 ms / 8 per host = 0.25 s. Slack for a busy machine.
    let took = last - start;
    assert!(took < Duration::from_secs(5), "fast host took {took:?}");
    assert_eq!(slow.max_inflight(), 8);
}

/// Fetches `path` with `-t 1s` and checks it ends as a timeout well under
/// 3 s; returns the record. One attempt: this is the deadline of an
/// attempt (retries are tested in tests/it/politeness.rs).
fn timed_out_record(path: &str) -> Value {
    let s = Server::start();
    let start = Instant::now();
    let (recs, _, code) = run(&["-t", "1s", "--retries", "0"], &s.url(path));
    let took = start.elapsed();
    assert_eq!((recs.len(), code), (1, 1));
    assert_eq!(kind(&recs[0]), "timeout", "{}", recs[0]);
    assert!(took < Duration::from_secs(3), "took {took:?}");
    recs[0].clone()
}

#[test]
fn timeout_cuts_off_a_hanging_server() {
    let rec = timed_out_record("/hang");
    assert_eq!(rec["status"], Value::Null);
    assert_eq!(rec["error"]["message"], "no response within the 1s timeout");
}

#[test]
fn timeout_cuts_off_a_dripping_body() {
    let rec = timed_out_record("/drip");
    assert_eq!(rec["status"], 200, "the head arrived before the deadline");
    assert_eq!(
        rec["error"]["message"],
        "the body did not arrive within the 1s timeout"
    );
    let ms = rec["elapsed_ms"].as_u64().expect("elapsed_ms");
    assert!((900..3000).contains(&ms), "elapsed_ms {ms}");
}

#[test]
fn max_body_cuts_off_a_big_body() {
    let s = Server::start();
    let list = [s.url("/big/5000000"), s.url("/big/100000")].join("\n");
    let (recs, _, code) = run(&["--max-body", "1MiB"], &list);
    let m = by_url(&recs);
    assert_eq!(code, 1);
    let big = &m[&s.url("/big/5000000")];
    assert_eq!(kind(big), "body_too_large");
    assert_eq!(big["bytes"], 1 << 20);
    let small = &m[&s.url("/big/100000")];
    assert_eq!(
        (small["ok"].clone(), small["bytes"].clone()),
        (Value::Bool(true), 100_000.into())
    );
    assert_eq!(small["title"], "big");
}

/// Reads a process's peak resident set (VmHWM) in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM");
    line.split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("VmHWM number")
}

#[test]
fn gzip_bomb_is_cut_off_at_the_cap_without_a_memory_spike() {
    let s = Server::start();
    // The hang keeps trawl alive after the bomb's record, so its peak
    // memory can be read while it runs.
    let list = [s.url("/bomb"), s.url("/hang")].join("\n");
    let (mut child, lines) = spawn(&["--max-body", "1MiB", "-t", "60s", "-q"], &list);
    let (_, line) = lines
        .recv_timeout(Duration::from_secs(30))
        .expect("the bomb's record");
    let peak_mib = peak_rss_kib(child.id()) / 1024;
    let _ = child.kill();
    let _ = child.wait();
    let rec = support::record(&line);
    assert_eq!(rec["url"], s.url("/bomb"));
    assert_eq!(kind(&rec), "body_too_large");
    assert_eq!(rec["bytes"], 1 << 20, "counted after decompression");
    // 1 GiB would have been read without the cap; the process stays small.
    assert!(peak_mib < 64, "peak RSS {peak_mib} MiB");
}

#[test]
fn redirect_chain_is_followed_and_counted() {
    let s = Server::start();
    let (recs, _, code) = run(&[], &s.url("/redirect/3"));
    assert_eq!((recs.len(), code), (1, 0));
    let r = &recs[0];
    assert_eq!(r["redirects"], 3);
    assert_eq!(r["final_url"], s.url("/redirect/0"));
    assert_eq!(r["title"], "redirect target");
    assert_eq!(r["url"], s.url("/redirect/3"));
}

#[test]
fn redirect_loops_and_long_chains_fail_as_too_many_redirects() {
    let s = Server::start();
    let list = [s.url("/loop/a"), s.url("/redirect/5")].join("\n");
    let start = Instant::now();
    let (recs, _, code) = run(&["--max-redirects", "3"], &list);
    assert!(start.elapsed() < Duration::from_secs(5));
    let m = by_url(&recs);
    assert_eq!(code, 1);
    let lp = &m[&s.url("/loop/a")];
    assert_eq!(kind(lp), "too_many_redirects");
    assert!(
        lp["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("loop"),
        "{lp}"
    );
    let long = &m[&s.url("/redirect/5")];
    assert_eq!(kind(long), "too_many_redirects");
    assert_eq!(long["redirects"], 3);
}

#[test]
fn charsets_come_from_bom_header_or_meta() {
    let s = Server::start();
    let latin_header = s.url("/page/latin1-meta.html?ct=text/html;%20charset=iso-8859-1");
    let list = [
        s.url("/page/latin1-meta.html"),
        latin_header.clone(),
        s.url("/page/shift-jis.html"),
        s.url("/page/utf16-bom.html"),
        s.url("/page/no-title.html"),
    ]
    .join("\n");
    let (recs, _, code) = run(&[], &list);
    let m = by_url(&recs);
    assert_eq!(code, 0);
    assert_eq!(
        m[&s.url("/page/latin1-meta.html")]["title"],
        "Café crème à la française"
    );
    assert_eq!(m[&latin_header]["title"], "Café crème à la française");
    assert_eq!(m[&s.url("/page/shift-jis.html")]["title"], "日本語のページ");
    assert_eq!(m[&s.url("/page/utf16-bom.html")]["title"], "UTF-16 ünïcödé");
    assert_eq!(m[&s.url("/page/no-title.html")]["title"], Value::Null);
}

#[test]
fn tls_failures_are_classified_as_tls() {
    // An https URL to a plain-HTTP server: the handshake fails.
    let s = Server::start();
    let url = format!("https://{}/page/simple.html", s.addr);
    let (recs, _, code) = run(&["-t", "5s"], &url);
    assert_eq!((recs.len(), code), (1, 1));
    assert_eq!(kind(&recs[0]), "tls", "{}", recs[0]);
}

#[test]
fn user_agent_and_headers_are_sent_but_stay_on_their_host() {
    let a = Server::start_on("127.0.0.1");
    let b = Server::start_on("127.0.0.2");
    let cross = a.url(&format!("/to?url={}", b.url("/echo")));
    let list = [a.url("/echo"), cross.clone()].join("\n");
    let args = [
        "-A",
        "probe/1.0",
        "-H",
        "X-Test: yes",
        "-H",
        "Authorization: Bearer s3cret",
    ];
    let (recs, _, code) = run(&args, &list);
    let m = by_url(&recs);
    assert_eq!(code, 0);
    assert_eq!(
        m[&a.url("/echo")]["title"],
        "ua=probe/1.0 auth=Bearer s3cret x=yes"
    );
    // `-H` headers go to the input's hosts only, credentials or not
    // (the contract's "Sites" section).
    assert_eq!(m[&cross]["title"], "ua=probe/1.0 auth=none x=none");
    assert_eq!(m[&cross]["redirects"], 1);
}

#[test]
fn default_user_agent_names_trawl_and_its_version() {
    let s = Server::start();
    let (recs, _, _) = run(&[], &s.url("/echo"));
    let want = format!("ua=trawl/{} auth=none x=none", env!("CARGO_PKG_VERSION"));
    assert_eq!(recs[0]["title"], want.as_str());
}

#[test]
fn ordered_output_keeps_input_order() {
    let s = Server::start();
    let list: Vec<String> = [1200, 900, 600, 300, 0]
        .iter()
        .map(|ms| s.url(&format!("/delay/{ms}")))
        .chain(["bad line".to_owned()])
        .collect();
    let (recs, _, _) = run(
        &["--ordered", "-c", "10", "--per-host", "10"],
        &list.join("\n"),
    );
    let got: Vec<&str> = recs
        .iter()
        .map(|r| r["url"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(got, list.iter().map(String::as_str).collect::<Vec<_>>());
    // Without --ordered, records come as they finish.
    let (recs, _, _) = run(&["-c", "10", "--per-host", "10"], &list.join("\n"));
    assert_eq!(recs[0]["url"], "bad line");
    assert_eq!(
        recs.last().map(|r| r["url"].clone()),
        Some(Value::from(s.url("/delay/1200")))
    );
}

#[test]
fn output_file_receives_the_records() {
    let s = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out.jsonl");
    let mut cmd = trawl();
    let o = cmd
        .args([
            &s.url("/page/simple.html"),
            "-o",
            out.to_str().expect("path"),
        ])
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
    let recs = records(&std::fs::read(&out).expect("read out"));
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["title"], "A simple page");
}

#[test]
fn exit_status_follows_the_contract() {
    let s = Server::start();
    let ok = s.url("/page/simple.html");
    let missing = s.url("/status/404");
    assert_eq!(run(&[&ok], "").2, 0);
    assert_eq!(run(&[&ok, &missing], "").2, 1);
    assert_eq!(run(&[&ok, "nonsense"], "").2, 1);
    let (recs, _, code) = run(&["--ok-status", "200,404", &ok, &missing], "");
    assert_eq!(code, 0);
    assert!(recs.iter().all(|r| r["ok"] == true));
    let (recs, _, code) = run(&["--ok-status", "201", &ok], "");
    assert_eq!((code, kind(&recs[0])), (1, "http_status"));
}

#[test]
fn usage_errors_exit_2_and_name_the_flag() {
    for (args, needle) in [
        (&["-c", "0", "http://127.0.0.1/"][..], "--concurrency"),
        (&["-t", "10", "http://127.0.0.1/"][..], "--timeout"),
        (
            &["--max-body", "huge", "http://127.0.0.1/"][..],
            "--max-body",
        ),
        (&["--no-such-flag"][..], "--no-such-flag"),
        (
            &["-i", "/nonexistent/list.txt"][..],
            "/nonexistent/list.txt",
        ),
    ] {
        let (recs, stderr, code) = run(args, "");
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(recs.is_empty());
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

fn interrupt_test(sig: &str) {
    let s = Server::start();
    let mut list: Vec<String> = (0..3).map(|i| s.url(&format!("/delay/1?i={i}"))).collect();
    list.extend((0..5).map(|i| s.url(&format!("/hang?i={i}"))));
    let (mut child, lines) = spawn(
        &["-c", "10", "--per-host", "10", "-t", "60s"],
        &list.join("\n"),
    );
    let mut got = Vec::new();
    while got.len() < 3 {
        let (_, line) = lines
            .recv_timeout(Duration::from_secs(20))
            .expect("a fast record");
        got.push(line);
    }
    // Let the hanging requests reach the server, so they are in flight.
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.hits() < 8 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent = Instant::now();
    signal(&child, sig);
    let status = wait_exit(&mut child, Duration::from_secs(5));
    let took = sent.elapsed();
    let status = status.unwrap_or_else(|| {
        let _ = child.kill();
        panic!("trawl did not exit after {sig}")
    });
    assert_eq!(status.code(), Some(130));
    assert!(took < Duration::from_secs(3), "exit took {took:?}");
    // No record for the in-flight URLs, every finished one kept: read to
    // the end of the output, which the exit closed.
    got.extend(lines.iter().map(|(_, l)| l));
    assert_eq!(got.len(), 3, "{got:?}");
    let stderr = stderr_of(&mut child);
    assert!(
        stderr.contains("interrupted, 5 URLs unfinished"),
        "{stderr}"
    );
    assert!(stderr.contains("3 ok"), "{stderr}");
}

#[test]
fn sigint_flushes_finished_records_and_exits_130() {
    interrupt_test("-INT");
}

#[test]
fn sigterm_behaves_like_ctrl_c() {
    interrupt_test("-TERM");
}

#[test]
fn closed_stdout_ends_the_run_quietly_and_promptly() {
    let s = Server::start();
    let list: Vec<String> = (0..2000)
        .map(|i| s.url(&format!("/delay/10?i={i}")))
        .collect();
    let (mut child, lines) = spawn(&["-c", "20", "--per-host", "20"], &list.join("\n"));
    for _ in 0..3 {
        lines
            .recv_timeout(Duration::from_secs(20))
            .expect("a record");
    }
    // Closing our end of the pipe is what `| head -3` does.
    drop(lines);
    let status = wait_exit(&mut child, Duration::from_secs(10));
    let status = status.unwrap_or_else(|| {
        let _ = child.kill();
        panic!("trawl kept running after its stdout closed")
    });
    let stderr = stderr_of(&mut child);
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "no error spew: {stderr}");
    assert!(
        s.hits() < 2000,
        "it stopped fetching early ({} hits)",
        s.hits()
    );
}

#[test]
fn closed_connections_are_connect_or_io_errors_by_phase() {
    // Closed before any response: nothing came back.
    let silent = support::raw_server(b"");
    // A chunked body promised more than it sent before the close.
    let cut = support::raw_server(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ntransfer-encoding: chunked\r\n\r\n10\r\n<title>cut</tit",
    );
    // HTTP/1.0 style: the body ends when the connection closes, which is fine.
    let close_delimited = support::raw_server(
        b"HTTP/1.0 200 OK\r\ncontent-type: text/html\r\n\r\n<title>till close</title>",
    );
    let urls = [
        format!("http://{silent}/"),
        format!("http://{cut}/"),
        format!("http://{close_delimited}/"),
    ];
    let s = Server::start();
    let bad_gzip = s.url("/bad-gzip");
    let list = format!("{}\n{bad_gzip}", urls.join("\n"));
    let (recs, _, code) = run(&["-t", "5s"], &list);
    let m = by_url(&recs);
    assert_eq!(code, 1);
    assert_eq!(kind(&m[&bad_gzip]), "decode", "{}", m[&bad_gzip]);
    assert_eq!(kind(&m[&urls[0]]), "connect", "{}", m[&urls[0]]);
    assert_eq!(kind(&m[&urls[1]]), "io", "{}", m[&urls[1]]);
    assert_eq!(m[&urls[1]]["status"], 200);
    assert_eq!(kind(&m[&urls[2]]), "", "{}", m[&urls[2]]);
    assert_eq!(m[&urls[2]]["title"], "till close");
}

#[test]
fn a_failing_output_stops_the_run_with_exit_2() {
    let s = Server::start();
    let list: Vec<String> = (0..3000)
        .map(|i| s.url(&format!("/delay/5?i={i}")))
        .collect();
    // /dev/full accepts the open and fails every write with ENOSPC.
    let (recs, stderr, code) = run(
        &["-o", "/dev/full", "-c", "10", "--per-host", "10"],
        &list.join("\n"),
    );
    assert!(recs.is_empty());
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot write records"), "{stderr}");
    assert!(s.hits() < 3000, "it went on fetching ({} hits)", s.hits());
}

#[test]
fn too_low_an_open_file_limit_is_warned_about() {
    let s = Server::start();
    let script = format!(
        "ulimit -n 200 && exec \"$0\" -c 500 {}",
        s.url("/page/simple.html")
    );
    let out = std::process::Command::new("sh")
        .args(["-c", &script, env!("CARGO_BIN_EXE_trawl")])
        .env("NO_PROXY", "*")
        .stdin(Stdio::null())
        .output()
        .expect("sh");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("only 200 open files"), "{stderr}");
    assert_eq!(records(&out.stdout).len(), 1);
}

#[test]
fn a_redirect_to_a_busy_host_holds_no_global_slot_and_no_deadline() {
    // 12 URLs of A redirect to B, which answers each after 1 s, two at a
    // time; 20 URLs of C follow. Waiting for B's slot must neither block
    // C nor count against --timeout (only time in flight does).
    let a = Server::start_on("127.0.0.1");
    let b = Server::start_on("127.0.0.2");
    let c = Server::start_on("127.0.0.3");
    let mut list: Vec<String> = (0..12)
        .map(|i| a.url(&format!("/to?url={}", b.url(&format!("/delay/1000?i={i}")))))
        .collect();
    list.extend((0..20).map(|i| c.url(&format!("/delay/20?i={i}"))));
    let start = Instant::now();
    let (mut child, lines) = spawn(
        &["-c", "4", "--per-host", "2", "-t", "3s", "-q"],
        &list.join("\n"),
    );
    let mut fast_done_at = None;
    let mut recs = Vec::new();
    for (at, line) in lines.iter() {
        let rec = support::record(&line);
        let is_c = rec["url"].as_str().is_some_and(|u| u.contains("127.0.0.3"));
        recs.push(rec);
        if is_c
            && recs
                .iter()
                .filter(|r| r["url"].as_str().is_some_and(|u| u.contains("127.0.0.3")))
                .count()
                == 20
        {
            fast_done_at = Some(at - start);
        }
    }
    let status = wait_exit(&mut child, Duration::from_secs(30));
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{recs:#?}");
    assert_eq!(recs.len(), 32);
    let took = fast_done_at.expect("all of C's records");
    assert!(took < Duration::from_secs(3), "C's records took {took:?}");
    for r in recs.iter().filter(|r| r["redirects"] == 1) {
        assert!(
            r["final_url"]
                .as_str()
                .is_some_and(|u| u.contains("127.0.0.2")),
            "{r}"
        );
    }
    assert_eq!(b.max_inflight(), 2);
}

#[test]
fn a_closed_stderr_loses_no_record() {
    let s = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out.jsonl");
    let list: Vec<String> = (0..300)
        .map(|i| s.url(&format!("/delay/15?i={i}")))
        .collect();
    let mut child = trawl()
        .args([
            "--progress",
            "always",
            "--ordered",
            "-c",
            "2",
            "--per-host",
            "2",
        ])
        .args(["-o", out.to_str().expect("path"), "-i", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Close the read end of stderr before trawl writes anything to it.
    drop(child.stderr.take());
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(list.join("\n").as_bytes()).expect("write");
    drop(input);
    let status = wait_exit(&mut child, Duration::from_secs(60));
    let status = status.unwrap_or_else(|| {
        let _ = child.kill();
        panic!("trawl hung with a closed stderr")
    });
    assert_eq!(status.code(), Some(0));
    let recs = records(&std::fs::read(&out).expect("read"));
    assert_eq!(recs.len(), 300);
}

#[test]
fn connect_timeout_cuts_off_a_handshake_that_never_completes() {
    let (addr, _fillers) = support::blackhole();
    let url = format!("http://{addr}/");
    let start = Instant::now();
    let (recs, _, code) = run(
        &["--connect-timeout", "1s", "-t", "20s", "--retries", "0"],
        &url,
    );
    let took = start.elapsed();
    assert_eq!((recs.len(), code), (1, 1));
    assert_eq!(kind(&recs[0]), "timeout", "{}", recs[0]);
    let msg = recs[0]["error"]["message"].as_str().unwrap_or("");
    assert!(
        msg.contains("connect"),
        "the message names the phase: {}",
        recs[0]
    );
    assert!(took < Duration::from_secs(4), "took {took:?}");
}

/// The scheduling policy in a thread's `stat` file (field 41).
#[cfg(target_os = "linux")]
fn policy_in(stat: impl AsRef<std::path::Path>) -> u32 {
    let stat = std::fs::read_to_string(stat).expect("stat");
    // Fields after the command name, which is in parentheses and may hold
    // spaces: the first of them is field 3.
    let rest = &stat[stat.rfind(')').expect("comm") + 2..];
    let field = rest.split(' ').nth(41 - 3).expect("policy field");
    field.parse().expect("policy number")
}

/// Every thread of a running trawl is `SCHED_BATCH` (3) unless the user
/// chose another policy or set `TRAWL_SCHED=normal`.
#[cfg(target_os = "linux")]
#[test]
fn every_thread_runs_as_a_batch_job_unless_told_not_to() {
    // A child starts under the policy of the thread that spawns it.
    let ours = policy_in("/proc/thread-self/stat");
    let s = Server::start();
    for (normal, want) in [(false, if ours == 0 { 3 } else { ours }), (true, ours)] {
        let mut cmd = trawl();
        if normal {
            cmd.env("TRAWL_SCHED", "normal");
        }
        let before = s.hits();
        let mut child = cmd
            .args([
                "-q",
                "-c",
                "4",
                "-t",
                "60s",
                "-s",
                "h=h1",
                s.url("/hang").as_str(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn trawl");
        // Once the request is in, the reactor and the parsing pool run.
        let deadline = Instant::now() + Duration::from_secs(20);
        while s.hits() == before && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let reached = s.hits() > before;
        // Read before the kill, asserted after it: a failed read leaves no
        // trawl behind.
        let policies = std::panic::catch_unwind(|| {
            std::fs::read_dir(format!("/proc/{}/task", child.id()))
                .expect("task dir")
                .map(|task| policy_in(task.expect("task").path().join("stat")))
                .collect::<Vec<u32>>()
        });
        let _ = child.kill();
        let _ = child.wait();
        assert!(reached, "trawl never asked for /hang");
        let policies = policies.expect("the threads' policies");
        assert!(policies.len() >= 3, "threads: {policies:?}");
        assert!(
            policies.iter().all(|p| *p == want),
            "TRAWL_SCHED=normal: {normal}, want {want}: {policies:?}"
        );
    }
}

#[test]
fn a_closed_stdout_is_noticed_while_no_record_is_due() {
    // One fast URL, then twenty that answer after 20 s: `| head -1` has its
    // line at once, and trawl must not wait for the next record to find
    // the pipe closed.
    let s = Server::start();
    let mut list = vec![s.url("/page/simple.html")];
    list.extend((0..20).map(|i| s.url(&format!("/delay/20000?i={i}"))));
    let mut child = trawl()
        .args(["-c", "30", "--per-host", "30"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn trawl");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(list.join("\n").as_bytes())
        .expect("write the list");
    drop(input);
    // Read one line, then close our end of the pipe, as `head -1` does.
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("the fast record");
    assert!(line.contains("A simple page"), "{line}");
    drop(stdout);
    let closed = Instant::now();
    let status = wait_exit(&mut child, Duration::from_secs(8)).unwrap_or_else(|| {
        let _ = child.kill();
        panic!("trawl waited for its next record to find stdout closed")
    });
    let stderr = stderr_of(&mut child);
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "no error spew: {stderr}");
    assert!(closed.elapsed() < Duration::from_secs(8));
}

#[test]
fn extreme_durations_and_rates_are_usage_errors_not_panics() {
    let s = Server::start();
    let url = s.url("/page/simple.html");
    for args in [
        vec!["--rate", "1/99999999h"],
        vec!["--host-rate", "1/99999999h"],
        vec!["-t", "18446744073709551615s"],
        vec!["--connect-timeout", "99999999h"],
        vec!["--max-time", "400d"],
        vec!["--rate", "1/8760h", "--burst", "4294967295"],
    ] {
        let mut all = args.clone();
        all.push(&url);
        let (recs, stderr, code) = run(&all, "");
        assert_eq!((recs.len(), code), (0, 2), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(stderr.contains("365 days"), "{args:?}: {stderr}");
    }
    // The longest allowed deadline is a deadline, not an overflow.
    let (recs, stderr, code) = run(&["-t", "8760h", "--max-time", "8760h", &url], "");
    assert_eq!((recs.len(), code), (1, 0), "{stderr}");
    assert_eq!(recs[0]["title"], "A simple page");
}
