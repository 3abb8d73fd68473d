//! Input: URLs from arguments, files and stdin, read lazily, their bytes
//! and line ends kept, FIFOs and pipes opened once, side files read in
//! bounded memory.

use crate::support::{self, Server, by_url, records, run, trawl, wait_exit};
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

#[test]
fn urls_come_from_arguments_files_and_stdin() {
    let s = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("urls.txt");
    std::fs::write(
        &file,
        format!(
            "{}\n# skip\n\n{}\n",
            s.url("/page/other.html"),
            s.url("/delay/1")
        ),
    )
    .expect("write");
    let args = [
        &s.url("/page/simple.html"),
        "-",
        "-i",
        file.to_str().expect("path"),
    ];
    let (recs, _, code) = run(&args, &s.url("/text"));
    let m = by_url(&recs);
    assert_eq!((recs.len(), code), (4, 0));
    for p in ["/page/simple.html", "/text", "/page/other.html", "/delay/1"] {
        assert!(m.contains_key(&s.url(p)), "{p}");
    }
    // With no URL argument, piped stdin is read.
    let (recs, _, code) = run(
        &["-q"],
        &format!("{}\n{}\n", s.url("/text"), s.url("/delay/1")),
    );
    assert_eq!((recs.len(), code), (2, 0));
}

#[test]
fn input_is_read_lazily_so_records_stream_before_stdin_ends() {
    let s = Server::start();
    let mut child = trawl()
        .args(["-q"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn trawl");
    let mut input = child.stdin.take().expect("stdin");
    writeln!(input, "{}", s.url("/page/simple.html")).expect("write");
    input.flush().expect("flush");
    // stdin stays open: a tool that reads its whole input first would
    // print nothing here.
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(10));
    drop(input);
    let status = wait_exit(&mut child, Duration::from_secs(10));
    let line = line.expect("a record while stdin was still open");
    let rec = support::record(&line);
    assert_eq!(rec["title"], "A simple page");
    assert_eq!(status.and_then(|s| s.code()), Some(0));
}

#[test]
fn a_pipe_given_with_i_is_read_once_even_with_progress_on() {
    // Counting lines for the progress total must not consume a FIFO.
    let s = Server::start();
    let list = [
        s.url("/delay/1?a"),
        s.url("/delay/1?b"),
        s.url("/delay/1?c"),
    ]
    .join("\n");
    let (recs, _, code) = run(&["--progress", "always", "-i", "/dev/stdin"], &list);
    assert_eq!((recs.len(), code), (3, 0));
}

#[test]
fn side_files_are_read_in_bounded_memory_or_refused() {
    let s = Server::start();
    let url = s.url("/page/simple.html");
    for args in [["--cacert", "/dev/zero"], ["--revalidate", "/dev/zero"]] {
        let out = assert_cmd::Command::from_std(trawl())
            .args(args)
            .arg(&url)
            .timeout(Duration::from_secs(30))
            .output()
            .expect("trawl");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("/dev/zero"), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }
    // A regular file of 20 MiB with no newline is no CA file either.
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big.pem");
    std::fs::write(&big, vec![b'A'; 20 << 20]).expect("write");
    let (recs, stderr, code) = run(&["--cacert", big.to_str().expect("path"), &url], "");
    assert_eq!((recs.len(), code), (0, 2), "{stderr}");
    assert!(stderr.contains("larger than 10 MiB"), "{stderr}");
}

#[test]
fn input_lines_keep_their_bytes_and_their_ends() {
    let s = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let base = s.url("/page/simple.html");
    // Latin-1 bytes are not UTF-8: two lines that differ in one stay two.
    let mut latin1 = Vec::new();
    for tail in [b"?caf\xe9".as_slice(), b"?caf\xe8"] {
        latin1.extend_from_slice(base.as_bytes());
        latin1.extend_from_slice(tail);
        latin1.push(b'\n');
    }
    // A byte-order mark, then old Mac line ends (a lone CR each).
    let mut mac = b"\xEF\xBB\xBF".to_vec();
    mac.extend_from_slice(format!("{base}?m=1\r{base}?m=2\r\r{base}?m=3\r").as_bytes());
    // Windows line ends, with a mark too.
    let mut dos = b"\xEF\xBB\xBF".to_vec();
    dos.extend_from_slice(format!("{base}?d=1\r\n# note\r\n{base}?d=2\r\n").as_bytes());
    let mut args = vec!["--progress".to_owned(), "always".to_owned()];
    for (name, bytes) in [("latin1", &latin1), ("mac", &mac), ("dos", &dos)] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        args.push("-i".into());
        args.push(path.to_str().expect("path").into());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (recs, stderr, code) = run(&args, "");
    let urls: Vec<&str> = recs.iter().filter_map(|r| r["url"].as_str()).collect();
    assert_eq!((recs.len(), code), (7, 0), "{urls:?}\n{stderr}");
    let by = by_url(&recs);
    for want in [
        format!("{base}?caf%E9"),
        format!("{base}?caf%E8"),
        format!("{base}?m=1"),
        format!("{base}?m=2"),
        format!("{base}?m=3"),
        format!("{base}?d=1"),
        format!("{base}?d=2"),
    ] {
        assert_eq!(by[&want]["ok"], true, "{want}: {urls:?}");
    }
    assert!(stderr.contains("0 duplicates skipped"), "{stderr}");
    let asked: std::collections::BTreeSet<String> = s.paths().into_iter().collect();
    assert!(asked.contains("/page/simple.html?caf%E9"), "{asked:?}");
    assert!(asked.contains("/page/simple.html?caf%E8"), "{asked:?}");
}

#[cfg(unix)]
#[test]
fn a_fifo_given_with_i_is_opened_once() {
    // A writer that opens the FIFO, writes and closes, as `-i <(cmd)` and
    // `mkfifo` users do. Opened twice, the first open takes its lines and
    // drops them, and the second waits for a writer that never comes.
    let s = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("urls");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    for round in 0..4 {
        let list = format!(
            "{}\n{}\n",
            s.url(&format!("/page/simple.html?r={round}")),
            s.url(&format!("/page/other.html?r={round}"))
        );
        let path = fifo.clone();
        let writer = std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .expect("open the FIFO");
            let _ = f.write_all(list.as_bytes());
        });
        let mut child = trawl()
            .args(["--progress", "always", "-i"])
            .arg(&fifo)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn trawl");
        let status = wait_exit(&mut child, Duration::from_secs(20));
        if status.is_none() {
            let _ = child.kill();
            panic!("round {round}: trawl hung on the FIFO");
        }
        let mut out = String::new();
        let _ = std::io::Read::read_to_string(&mut child.stdout.take().expect("stdout"), &mut out);
        assert_eq!(records(out.as_bytes()).len(), 2, "round {round}: {out}");
        writer.join().expect("writer");
    }
}
