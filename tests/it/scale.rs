//! End-to-end tests of runs that outgrow one sitting or one machine:
//! `--resume` after an interrupt or a crash, and `--shard`.

use crate::support::{Server, by_url, records, run, signal, trawl, wait_exit};
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// Starts trawl writing to `out`, reading `list` from a file.
fn start(list: &Path, out: &Path, extra: &[&str]) -> Child {
    trawl()
        .args(["-i"])
        .arg(list)
        .arg("-o")
        .arg(out)
        .args(["-q", "-c", "8", "--per-host", "8"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn trawl")
}

/// Waits until `out` holds at least `n` complete lines.
fn wait_for_lines(out: &Path, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let have = std::fs::read(out)
            .map(|b| b.iter().filter(|&&c| c == b'\n').count())
            .unwrap_or(0);
        if have >= n {
            return;
        }
        assert!(Instant::now() < deadline, "only {have} of {n} lines");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn wait_or_kill(child: &mut Child) -> std::process::ExitStatus {
    wait_exit(child, Duration::from_secs(10)).unwrap_or_else(|| {
        let _ = child.kill();
        panic!("trawl did not exit")
    })
}

/// A list of 20 quick URLs and 12 that take 1.5 s, plus a bad line.
fn mixed_list(s: &Server, dir: &Path) -> (std::path::PathBuf, Vec<String>) {
    let mut urls: Vec<String> = (0..20)
        .map(|i| s.url(&format!("/page/simple.html?i={i}")))
        .collect();
    urls.extend((0..12).map(|i| s.url(&format!("/delay/1500?i={i}"))));
    urls.push("not a url".into());
    let path = dir.join("urls.txt");
    std::fs::write(&path, urls.join("\n")).expect("write list");
    (path, urls)
}

/// Resumes until the run completes and checks the file holds exactly one
/// record per URL; then resumes once more and checks nothing is fetched
/// and nothing changes.
fn resume_to_the_end(s: &Server, list: &Path, out: &Path, urls: &[String]) {
    let status = trawl()
        .args(["-i"])
        .arg(list)
        .arg("-o")
        .arg(out)
        .args(["-q", "--resume", "-c", "16", "--per-host", "16"])
        .status()
        .expect("resume");
    // The bad line's record makes the run as a whole not ok.
    assert_eq!(status.code(), Some(1));
    let bytes = std::fs::read(out).expect("output");
    let recs = records(&bytes);
    assert_eq!(recs.len(), urls.len(), "one record per URL");
    let m = by_url(&recs);
    for u in urls {
        assert!(m.contains_key(u), "no record for {u}");
    }
    let hits = s.hits();
    let status = trawl()
        .args(["-i"])
        .arg(list)
        .arg("-o")
        .arg(out)
        .args(["-q", "--resume"])
        .status()
        .expect("resume again");
    assert_eq!(status.code(), Some(1));
    assert_eq!(s.hits(), hits, "a finished run fetches nothing");
    assert_eq!(
        std::fs::read(out).expect("output"),
        bytes,
        "and changes nothing"
    );
}

/// A run over the mixed list, stopped with `sig` once 15 records are out.
struct Stopped {
    server: Server,
    _dir: tempfile::TempDir,
    list: std::path::PathBuf,
    urls: Vec<String>,
    out: std::path::PathBuf,
    status: std::process::ExitStatus,
}

fn run_and_stop(sig: &str) -> Stopped {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let (list, urls) = mixed_list(&server, dir.path());
    let out = dir.path().join("out.jsonl");
    let mut child = start(&list, &out, &[]);
    wait_for_lines(&out, 15);
    signal(&child, sig);
    let status = wait_or_kill(&mut child);
    Stopped {
        server,
        _dir: dir,
        list,
        urls,
        out,
        status,
    }
}

/// Stops a run with `sig` once 15 records are out, then resumes it.
fn interrupt_then_resume(sig: &str) {
    let run = run_and_stop(sig);
    assert_eq!(run.status.code(), Some(130));
    let before = records(&std::fs::read(&run.out).expect("output")).len();
    assert!(
        before < run.urls.len(),
        "the interrupt came too late to test"
    );
    resume_to_the_end(&run.server, &run.list, &run.out, &run.urls);
}

#[test]
fn sigint_then_resume_gives_one_record_per_url() {
    interrupt_then_resume("-INT");
}

#[test]
fn sigterm_then_resume_gives_one_record_per_url() {
    // A pod being evicted gets SIGTERM: only in-flight URLs are lost, and
    // --resume fetches them.
    interrupt_then_resume("-TERM");
}

#[test]
fn sigkill_and_a_torn_line_then_resume_gives_one_record_per_url() {
    let run = run_and_stop("-KILL");
    let (s, list, urls, out) = (&run.server, &run.list, &run.urls, &run.out);
    // A kill rarely lands inside a write; make the torn line a crash can
    // leave: the first half of a record of a URL not yet done.
    let done = by_url(&records(&std::fs::read(out).expect("output")));
    let missing = urls
        .iter()
        .find(|u| !done.contains_key(*u))
        .expect("a URL left");
    let torn = format!("{{\"url\":\"{missing}\",\"final_url\":\"{missing}\",\"ok\":tr");
    let mut bytes = std::fs::read(out).expect("output");
    bytes.extend_from_slice(torn.as_bytes());
    std::fs::write(out, &bytes).expect("tear");

    let res = trawl()
        .args(["-i"])
        .arg(list)
        .arg("-o")
        .arg(out)
        .args(["--resume", "-c", "16", "--per-host", "16"])
        .output()
        .expect("resume");
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(stderr.contains("torn last line"), "{stderr}");
    assert!(
        stderr.contains("\\\"ok\\\":tr"),
        "the torn bytes are shown: {stderr}"
    );
    assert!(stderr.contains("already in the output file"), "{stderr}");
    let after = std::fs::read_to_string(out).expect("output");
    assert!(!after.contains("\"ok\":tr\n") && !after.contains("\"ok\":tr{"));
    resume_to_the_end(s, list, out, urls);
}

#[test]
fn resume_skips_over_long_lines_and_comments_as_it_wrote_them() {
    let s = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let long = format!("https://example.com/{}", "a".repeat(70_000));
    let comment = format!("# {}", "c".repeat(70_000));
    let good = s.url("/page/simple.html");
    let list = dir.path().join("urls.txt");
    std::fs::write(
        &list,
        [long.as_str(), comment.as_str(), good.as_str()].join("\n"),
    )
    .expect("list");
    let out = dir.path().join("out.jsonl");
    let args = |resume: bool| {
        let mut cmd = trawl();
        cmd.arg("-i").arg(&list).arg("-o").arg(&out).arg("-q");
        if resume {
            cmd.arg("--resume");
        }
        cmd.status().expect("trawl")
    };
    assert_eq!(args(false).code(), Some(1));
    let first = std::fs::read(&out).expect("output");
    let recs = records(&first);
    assert_eq!(recs.len(), 2, "the long comment is a comment: {recs:?}");
    assert_eq!(args(true).code(), Some(1));
    assert_eq!(
        std::fs::read(&out).expect("output"),
        first,
        "nothing written twice"
    );
}

#[test]
fn resume_needs_an_output_file_and_refuses_a_foreign_one() {
    let (_, stderr, code) = run(&["--resume", "http://127.0.0.1:9/"], "");
    assert_eq!(code, 2);
    assert!(stderr.contains("--output"), "{stderr}");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("notes.txt");
    std::fs::write(&out, "my notes\n").expect("write");
    let out_s = out.to_string_lossy().into_owned();
    let (_, stderr, code) = run(&["--resume", "-o", &out_s, "http://127.0.0.1:9/"], "");
    assert_eq!(code, 2);
    assert!(
        stderr.contains("line 1") && stderr.contains("not a trawl record"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&out).expect("notes"), "my notes\n");
}

/// The URLs of each shard's records.
fn shard_urls(list: &str, n: u64, by: &str) -> Vec<Vec<String>> {
    (1..=n)
        .map(|k| {
            let shard = format!("{k}/{n}");
            let (recs, stderr, _) = run(&["--shard", &shard, "--shard-by", by], list);
            assert!(
                stderr.is_empty() || stderr.contains("left to other shards"),
                "{stderr}"
            );
            recs.iter()
                .map(|r| r["url"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .collect()
}

#[test]
fn shards_are_disjoint_and_cover_the_list() {
    let servers = [
        Server::start_on("127.0.0.1"),
        Server::start_on("127.0.0.2"),
        Server::start_on("127.0.0.3"),
    ];
    let mut urls = Vec::new();
    for s in &servers {
        urls.extend((0..12).map(|i| s.url(&format!("/page/simple.html?i={i}"))));
    }
    urls.push("not a url".into());
    let list = urls.join("\n");
    for by in ["url", "host"] {
        let shards = shard_urls(&list, 3, by);
        let mut all: Vec<String> = shards.concat();
        all.sort();
        let mut want = urls.clone();
        want.sort();
        assert_eq!(all, want, "by {by}: every URL in exactly one shard");
        if by == "host" {
            for s in &servers {
                let host = s.url("");
                let holding = shards
                    .iter()
                    .filter(|sh| sh.iter().any(|u| u.starts_with(&host)))
                    .count();
                assert_eq!(holding, 1, "{host} is split");
            }
        } else {
            assert!(shards.iter().filter(|s| !s.is_empty()).count() >= 2);
        }
    }
    let hits: usize = servers.iter().map(Server::hits).sum();
    assert_eq!(hits, 2 * 36, "each URL fetched once per split");
}

#[test]
fn shard_and_resume_combine() {
    let s = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let urls: Vec<String> = (0..40)
        .map(|i| s.url(&format!("/page/simple.html?i={i}")))
        .collect();
    let list = dir.path().join("urls.txt");
    std::fs::write(&list, urls.join("\n")).expect("list");
    let mut got = Vec::new();
    for k in 1..=2 {
        let out = dir.path().join(format!("shard-{k}.jsonl"));
        let shard = format!("{k}/2");
        // Half the shard's file first (as an interrupted run would leave it),
        // then --resume.
        let (first, _, _) = run(&["--shard", &shard, "-q"], &urls[..20].join("\n"));
        let head: Vec<String> = first.iter().map(Value::to_string).collect();
        std::fs::write(
            &out,
            head.join("\n") + if head.is_empty() { "" } else { "\n" },
        )
        .expect("head");
        let status = trawl()
            .args(["-i"])
            .arg(&list)
            .arg("-o")
            .arg(&out)
            .args(["--resume", "-q", "--shard", &shard])
            .status()
            .expect("resume shard");
        assert!(status.success());
        let recs = records(&std::fs::read(&out).expect("shard output"));
        by_url(&recs);
        got.extend(
            recs.iter()
                .map(|r| r["url"].as_str().unwrap_or_default().to_owned()),
        );
    }
    got.sort();
    let mut want = urls.clone();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(
        s.hits(),
        40,
        "each URL fetched once: the first half, then the rest"
    );
}

#[test]
fn bad_shard_flags_are_usage_errors() {
    for (args, needle) in [
        (&["--shard", "0/4", "u"][..], "K/N"),
        (&["--shard", "5/4", "u"][..], "K/N"),
        (&["--shard", "x", "u"][..], "K/N"),
        (&["--shard-by", "host", "u"][..], "--shard"),
        (
            &["--shard", "1/2", "--shard-by", "path", "u"][..],
            "--shard-by",
        ),
    ] {
        let (_, stderr, code) = run(args, "");
        assert_eq!(code, 2, "{args:?}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}

/// A reader that falls behind holds the writer up; the lines that need no
/// fetch (their records are made by the dispatcher itself) must neither
/// stall the URLs around them nor be lost, and the run must end.
#[test]
fn a_slow_reader_of_many_unfetchable_lines_loses_nothing_and_ends() {
    use std::io::{Read, Write};
    let s = Server::start();
    let mut list = String::new();
    let mut urls = Vec::new();
    // URLs before and after a long stretch of lines with none: in the
    // middle, no fetch is in flight to wake the dispatcher.
    for i in 0..3040 {
        let line = if (20..3020).contains(&i) {
            // Long enough that the records overflow the pipe and every channel.
            format!("not a url {i} {}", "x".repeat(200))
        } else {
            s.url(&format!("/page/simple.html?i={i}"))
        };
        list.push_str(&line);
        list.push('\n');
        urls.push(line);
    }
    let mut child = trawl()
        .args(["-c", "4", "-q"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn trawl");
    let mut stdin = child.stdin.take().expect("stdin");
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(list.as_bytes());
    });
    // Nobody reads for a while: the pipe, the writer's channel and the
    // dispatcher's backlog all fill up.
    std::thread::sleep(Duration::from_millis(1500));
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        out
    });
    let status = wait_exit(&mut child, Duration::from_secs(60));
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let _ = feeder.join();
    let out = reader.join().expect("reader");
    let status = status.expect("trawl hung with a slow reader");
    assert_eq!(status.code(), Some(1), "invalid lines fail the run");
    let recs = records(&out);
    assert_eq!(recs.len(), urls.len(), "one record per line");
    let got = by_url(&recs);
    for u in &urls {
        assert!(got.contains_key(u.as_str()), "no record for {u}");
    }
}

#[test]
fn resume_and_revalidate_refuse_a_file_that_is_not_trawls_and_leave_it_be() {
    let s = Server::start();
    let url = s.url("/page/simple.html");
    let dir = tempfile::tempdir().expect("tempdir");
    let record = {
        let (recs, _, _) = run(&[&url], "");
        recs[0].to_string()
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("note.txt", b"precious data, no trailing newline".to_vec()),
        (
            "config.json",
            br#"{"name":"app","url":"https://x.test","debug":true}"#.to_vec(),
        ),
        ("records-then-note", format!("{record}\nnote").into_bytes()),
        ("binary", vec![0u8; 1 << 20]),
        ("no-newline.bin", vec![b'x'; 100 << 20]),
    ];
    for (name, bytes) in &cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        let p = path.to_str().expect("path");
        for args in [
            vec!["-o", p, "--resume", &url],
            vec!["--revalidate", p, &url],
        ] {
            let out = trawl()
                .args(&args)
                .stdin(Stdio::null())
                .output()
                .expect("trawl");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{name} {args:?}: {stderr}");
            assert!(stderr.contains("not"), "{name} {args:?}: {stderr}");
            assert!(out.stdout.is_empty(), "{name} {args:?}");
            let after = std::fs::read(&path).expect("read");
            assert!(after == *bytes, "{name} {args:?}: the file was changed");
        }
    }
    assert!(s.hits() <= 1, "nothing fetched for a refused file");
}

#[test]
fn resume_cuts_a_torn_tail_only_when_it_begins_a_record() {
    let s = Server::start();
    let url = s.url("/page/simple.html");
    let other = s.url("/page/other.html");
    let dir = tempfile::tempdir().expect("tempdir");
    let (recs, _, _) = run(&[&url], "");
    let record = recs[0].to_string();
    // Down to a lone brace, a record's beginning is a torn line.
    for torn in ["{", "{\"ur", "{\"url\":\"http://a.test/x\",\"ok\":tr"] {
        let path = dir.path().join("out.jsonl");
        std::fs::write(&path, format!("{record}\n{torn}")).expect("write");
        let p = path.to_str().expect("path");
        let (_, stderr, code) = run(&["-o", p, "--resume", &url, &other], "");
        assert_eq!(code, 0, "{torn}: {stderr}");
        assert!(stderr.contains("torn last line"), "{torn}: {stderr}");
        let lines: Vec<Value> = records(&std::fs::read(&path).expect("read"));
        assert_eq!(lines.len(), 2, "{torn}");
        assert_eq!(lines[1]["url"], other.as_str());
    }
}
