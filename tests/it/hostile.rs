//! A hostile HTTP server: raw sockets that send what no framework would
//! (no status line, 100,000 headers, lying lengths, broken chunking,
//! corrupt compression, poisoned redirects). Each URL must get exactly one
//! record of a documented kind, within `--timeout`, and the run goes on.

use crate::support;

use crate::support::{by_url, kind, run};
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What the connection does after a route has answered.
enum Then {
    /// Close it (FIN).
    Close,
    /// Keep it open for another request.
    KeepAlive,
}

/// A running hostile server and what it saw.
struct Hostile {
    addr: SocketAddr,
    /// Connections accepted.
    conns: Arc<AtomicUsize>,
}

impl Hostile {
    fn start() -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let conns = Arc::new(AtomicUsize::new(0));
        let seen = conns.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                seen.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || serve(conn, addr));
            }
        });
        Hostile { addr, conns }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// Reads one request head; returns its path, or `None` when the client
/// closed or sent nothing for a while.
fn read_head(conn: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = conn.read(&mut buf).ok().filter(|&n| n > 0)?;
        head.extend_from_slice(&buf[..n]);
        if head.len() > 4 << 20 {
            return None;
        }
    }
    let line = head.split(|&b| b == b'\r').next()?;
    let line = String::from_utf8_lossy(line);
    line.split(' ').nth(1).map(str::to_owned)
}

fn serve(mut conn: TcpStream, addr: SocketAddr) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let mut served = 0;
    while let Some(path) = read_head(&mut conn) {
        match answer(&mut conn, &path, served, addr) {
            Then::KeepAlive => served += 1,
            Then::Close => break,
        }
    }
    // FIN, then wait for the client's close: dropping a socket with unread
    // data would reset the connection and could destroy the reply.
    let _ = conn.shutdown(Shutdown::Write);
    let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
    let mut sink = [0u8; 4096];
    while matches!(conn.read(&mut sink), Ok(n) if n > 0) {}
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}

const PAGE: &[u8] = b"<!doctype html><title>hostile</title><p>a page";

/// A response with a body of `body` and extra header lines `extra`.
fn reply(extra: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

fn redirect(location: &[u8]) -> Vec<u8> {
    let mut out = b"HTTP/1.1 302 Found\r\nLocation: ".to_vec();
    out.extend_from_slice(location);
    out.extend_from_slice(b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    out
}

fn answer(conn: &mut TcpStream, path: &str, served: usize, _addr: SocketAddr) -> Then {
    let route = path.split('?').next().unwrap_or(path);
    let bytes: Vec<u8> = match route {
        "/not-http" => b"SSH-2.0-OpenSSH_9.6\r\n\r\nnot http at all".to_vec(),
        "/http09" => PAGE.to_vec(),
        "/many-headers" => {
            let mut out = b"HTTP/1.1 200 OK\r\n".to_vec();
            for i in 0..100_000 {
                out.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
            }
            out.extend_from_slice(b"Content-Length: 0\r\n\r\n");
            out
        }
        "/huge-header" => {
            let mut out = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
            out.resize(out.len() + (1 << 20), b'a');
            out.extend_from_slice(b"\r\nContent-Length: 0\r\n\r\n");
            out
        }
        "/header-flood" => {
            let _ = conn.write_all(b"HTTP/1.1 200 OK\r\n");
            let line = b"X-Flood: and it never ends\r\n".repeat(1000);
            // Until the client gives up; 1 GiB at most.
            for _ in 0..(1 << 30) / line.len() {
                if conn.write_all(&line).is_err() {
                    break;
                }
            }
            return Then::Close;
        }
        "/cl-short" => {
            // Promises 1,000 bytes, sends the page and closes.
            let mut out = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n"
                .to_vec();
            out.extend_from_slice(PAGE);
            out
        }
        "/cl-long" => {
            // Promises 37 bytes, sends more: the rest is not the body.
            let mut out = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 37\r\n\r\n"
                .to_vec();
            out.extend_from_slice(PAGE);
            out.extend_from_slice(&[b'x'; 5000]);
            out
        }
        "/cl-two" => {
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello!!"
                .to_vec()
        }
        "/chunk-overflow" => b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n\
              1FFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n"
            .to_vec(),
        "/chunk-ext" => {
            let chunk = "<!doctype html><title>ext</title>";
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
                 {:x};name=value;q=\"x\"\r\n{chunk}\r\n0;last\r\n\r\n",
                chunk.len()
            )
            .into_bytes()
        }
        "/trailers" => {
            let chunk = "<!doctype html><title>trl</title>";
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\nConnection: close\r\n\r\n\
                 {:x}\r\n{chunk}\r\n0\r\nX-Sum: 42\r\nX-More: 1\r\n\r\n",
                chunk.len()
            )
            .into_bytes()
        }
        "/gzip-cut" => {
            let z = gzip(&PAGE.repeat(50));
            reply("Content-Encoding: gzip\r\n", &z[..z.len() / 2])
        }
        "/gzip-corrupt" => {
            let mut z = gzip(&PAGE.repeat(50));
            for b in &mut z[12..40] {
                *b ^= 0x5a;
            }
            reply("Content-Encoding: gzip\r\n", &z)
        }
        "/br-corrupt" => reply("Content-Encoding: br\r\n", &[0xffu8; 64]),
        "/zstd-cut" => reply(
            "Content-Encoding: zstd\r\n",
            // A frame header, then nothing.
            &[0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x2e, 0x71, 0x01, 0x00],
        ),
        "/zstd-corrupt" => {
            let mut z = vec![0x28, 0xb5, 0x2f, 0xfd];
            z.extend_from_slice(&[0xa5; 60]);
            reply("Content-Encoding: zstd\r\n", &z)
        }
        "/gzip-gzip" => reply("Content-Encoding: gzip, gzip\r\n", &gzip(&gzip(PAGE))),
        "/early-hints-flood" => {
            let mut out = b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n".repeat(20_000);
            out.extend_from_slice(&reply("", PAGE));
            out
        }
        "/redirect-huge" => {
            let mut loc = b"/ok?".to_vec();
            loc.resize(100 * 1024, b'a');
            redirect(&loc)
        }
        "/redirect-space" => redirect(b"/ok/two words"),
        "/redirect-bare-cr" => redirect(b"/ok\rX-Injected: 1"),
        "/redirect-fold" => redirect(b"/ok\r\n /folded"),
        "/redirect-utf8" => redirect("/ok/café".as_bytes()),
        "/redirect-latin1" => redirect(b"/ok/caf\xe9"),
        "/redirect-file" => redirect(b"file:///etc/passwd"),
        "/redirect-v6" => redirect(b"http://[::1]:0/"),
        // The first request on a connection is answered and the
        // connection kept; a later one on it is read and the connection
        // closed with no answer, as when a server's idle timer fires just
        // as the request arrives.
        "/stale" if served > 0 => return Then::Close,
        "/stale" => {
            let _ = conn.write_all(&reply_keep(PAGE));
            return Then::KeepAlive;
        }
        // Kept alive, then closed by the server while idle.
        "/idle" => {
            let _ = conn.write_all(&reply_keep(PAGE));
            let _ = conn.set_read_timeout(Some(Duration::from_millis(100)));
            return Then::KeepAlive;
        }
        // Text meant to break lines, drive a terminal or command a CI log.
        "/nasty" => reply(
            "",
            "<!doctype html><title>T\u{0}\u{1b}[2J\u{85}a\u{2028}b\u{2029}c\r\n::error::forged ##[group]g &#xD800;&#0;</title>\
             <div id=x>\u{1b}]0;owned\u{7}<b>\u{2028}::warning::w</b></div>"
                .as_bytes(),
        ),
        "/nasty-coding" => reply(
            "Content-Encoding: gzip, \u{85}\u{2028}::error::coding\r\n",
            PAGE,
        ),
        _ if route.starts_with("/ok") => reply("", PAGE),
        _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
    };
    let _ = conn.write_all(&bytes);
    Then::Close
}

/// A keep-alive response.
fn reply_keep(body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

#[test]
fn every_hostile_response_gets_one_record_of_a_documented_kind() {
    let h = Hostile::start();
    // Path → the error kind of its record ("" for ok).
    let cases: &[(&str, &str)] = &[
        ("/not-http", "protocol"),
        ("/http09", "protocol"),
        ("/many-headers", "protocol"),
        ("/huge-header", "protocol"),
        ("/header-flood", "protocol"),
        ("/cl-short", "io"),
        ("/cl-long", ""),
        ("/cl-two", "protocol"),
        ("/chunk-overflow", "protocol"),
        ("/chunk-ext", ""),
        ("/trailers", ""),
        ("/gzip-cut", "decode"),
        ("/gzip-corrupt", "decode"),
        ("/br-corrupt", "decode"),
        ("/zstd-cut", "decode"),
        ("/zstd-corrupt", "decode"),
        ("/gzip-gzip", "decode"),
        ("/early-hints-flood", ""),
        ("/redirect-huge", "invalid_url"),
        ("/redirect-space", ""),
        ("/redirect-bare-cr", "protocol"),
        ("/redirect-fold", "protocol"),
        ("/redirect-utf8", ""),
        ("/redirect-latin1", ""),
        ("/redirect-file", "unsupported_scheme"),
        ("/redirect-v6", "connect"),
        ("/ok", ""),
    ];
    let urls: Vec<String> = cases.iter().map(|(p, _)| h.url(p)).collect();
    let began = Instant::now();
    let (recs, stderr, code) = run(&["-t", "5s", "--retries", "0"], &urls.join("\n"));
    let took = began.elapsed();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(recs.len(), cases.len(), "one record per URL");
    let m = by_url(&recs);
    let mut wrong = Vec::new();
    for ((path, want), url) in cases.iter().zip(&urls) {
        let rec = &m[url];
        if kind(rec) != *want {
            wrong.push(format!("{path}: want {want:?}, got {rec}"));
        }
        assert!(
            rec["elapsed_ms"].as_u64().unwrap_or(u64::MAX) < 6_000,
            "{rec}"
        );
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Everything ran side by side: well under one timeout each.
    assert!(took < Duration::from_secs(30), "{took:?}");

    let final_url = |p: &str| m[&h.url(p)]["final_url"].as_str().unwrap_or("").to_owned();
    assert!(final_url("/redirect-utf8").ends_with("/ok/caf%C3%A9"));
    assert!(final_url("/redirect-latin1").ends_with("/ok/caf%E9"));
    assert!(final_url("/redirect-space").ends_with("/ok/two%20words"));
    assert_eq!(m[&h.url("/cl-long")]["bytes"], 37);
    assert_eq!(m[&h.url("/trailers")]["title"], "trl");
    assert_eq!(m[&h.url("/chunk-ext")]["title"], "ext");
    let file = &m[&h.url("/redirect-file")];
    assert_eq!(file["status"], 302, "{file}");
    assert_eq!(file["ok"], false, "{file}");
}

#[test]
fn a_request_on_a_connection_the_server_closed_is_sent_again_on_a_fresh_one() {
    let h = Hostile::start();
    let urls: Vec<String> = (0..4).map(|i| h.url(&format!("/stale?{i}"))).collect();
    // One at a time, so each request after the first finds the pooled
    // connection; --retries 0: this once-more is not a retry.
    let (recs, stderr, code) = run(
        &["-c", "1", "--per-host", "1", "--retries", "0", "-t", "5s"],
        &urls.join("\n"),
    );
    assert_eq!(code, 0, "{stderr}\n{recs:?}");
    for r in &recs {
        assert_eq!(r["attempts"], 1, "{r}");
        assert_eq!(r["title"], "hostile", "{r}");
    }
    assert_eq!(recs.len(), 4);
    assert!(h.conns.load(Ordering::SeqCst) >= 4);
}

#[test]
fn a_keep_alive_connection_closed_while_idle_is_not_an_error() {
    let h = Hostile::start();
    let urls: Vec<String> = (0..3).map(|i| h.url(&format!("/idle?{i}"))).collect();
    // Paced so that the server's 100 ms idle timer fires between requests.
    let (recs, stderr, code) = run(
        &[
            "-c",
            "1",
            "--retries",
            "0",
            "--host-rate",
            "4/s",
            "-t",
            "5s",
        ],
        &urls.join("\n"),
    );
    assert_eq!(code, 0, "{stderr}\n{recs:?}");
    assert_eq!(recs.len(), 3);
    assert!(recs.iter().all(|r: &Value| r["ok"] == true));
}

/// Characters that some line splitter takes for a line end (Python's
/// `str.splitlines`).
fn splits_lines(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\u{b}'
            | '\u{c}'
            | '\u{1c}'
            | '\u{1d}'
            | '\u{1e}'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// Text that would reach a terminal or a CI log raw: control characters
/// (a tab and the line's own newline aside) and line separators.
fn raw_controls(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| {
            l.chars()
                .any(|c| (c.is_control() && c != '\t') || matches!(c, '\u{2028}' | '\u{2029}'))
        })
        .map(|l| format!("{l:?}"))
        .collect()
}

#[test]
fn hostile_text_stays_inside_its_record_and_out_of_terminals_and_ci_logs() {
    let h = Hostile::start();
    let nasty = h.url("/nasty");
    let coding = h.url("/nasty-coding");
    // Input lines are outside text too: they come back in `url`.
    let bad_line = "not a url \u{1b}[31m\u{85}\u{2028}\u{0}::error::line ##[error]x";
    let list = format!("{nasty}\n{coding}\n{bad_line}\n");
    let dir = tempfile::tempdir().expect("tempdir");
    let step = dir.path().join("step.md");
    let junit = dir.path().join("junit.xml");
    let out = assert_cmd::Command::from_std(support::trawl())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &step)
        .args(["-v", "-s", "raw=div@html", "-s", "t=title", "--junit"])
        .arg(&junit)
        .write_stdin(list)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("trawl");
    assert_eq!(out.status.code(), Some(1));

    // stdout: one JSON record a line, by any splitter's count.
    let stdout = String::from_utf8(out.stdout.clone()).expect("UTF-8");
    let recs = support::records(&out.stdout);
    assert_eq!(recs.len(), 3);
    assert_eq!(
        stdout.split(splits_lines).filter(|l| !l.is_empty()).count(),
        3,
        "{stdout}"
    );
    assert!(
        raw_controls(&stdout).is_empty(),
        "{:?}",
        raw_controls(&stdout)
    );
    let m = by_url(&recs);
    let title = m[&nasty]["title"].as_str().expect("title");
    // The title's whitespace is collapsed (U+2028 with it); @html keeps all.
    assert!(title.contains("::error::forged"), "{title:?}");
    let raw = m[&nasty]["fields"]["raw"].as_str().expect("raw");
    assert!(
        raw.contains("\u{1b}]0;owned\u{7}") && raw.contains("\u{2028}::warning::w"),
        "{raw:?}"
    );
    assert_eq!(kind(&m[&coding]), "decode", "{}", m[&coding]);
    assert_eq!(m[bad_line]["url"], bad_line);

    // stderr (-v logs and annotations): nothing raw, no forged command.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        raw_controls(&stderr).is_empty(),
        "{:?}",
        raw_controls(&stderr)
    );
    for line in stderr.lines() {
        assert!(!line.contains("##["), "{line}");
        assert!(
            !line.starts_with("::") || line.starts_with("::error title=trawl"),
            "{line}"
        );
    }
    assert!(
        stderr.lines().filter(|l| l.starts_with("::error")).count() >= 2,
        "{stderr}"
    );
    assert!(
        stderr.contains("not a url"),
        "-v logs the bad line: {stderr}"
    );

    let md = std::fs::read_to_string(&step).expect("step summary");
    assert!(raw_controls(&md).is_empty(), "{:?}", raw_controls(&md));
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert!(
        !xml.chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')),
        "{xml:?}"
    );
}

#[test]
fn c1_controls_and_del_are_escaped_in_records_and_logs() {
    let s = support::Server::start();
    let url = s.url("/c1");
    let out = assert_cmd::Command::from_std(support::trawl())
        .args(["-v", "-s", "t=title", &url])
        .timeout(Duration::from_secs(60))
        .output()
        .expect("trawl");
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout.clone()).expect("UTF-8");
    // Not a byte of DEL nor of a C1 control (C2 80 to C2 9F) is raw.
    assert!(!stdout.contains('\u{7f}'), "{stdout:?}");
    assert!(
        !stdout.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)),
        "{stdout:?}"
    );
    for escaped in [
        r"a\u009b2Jb\u007fc\u0080\u009fd",
        r"text/html; x=\u009b2J",
        r#"\"e\u009b31m\""#,
        r"2026 \u009b",
    ] {
        assert!(stdout.contains(escaped), "{escaped} in {stdout}");
    }
    // Decoded, the record holds the text as the page has it.
    let rec = &support::records(&out.stdout)[0];
    assert_eq!(rec["title"], "a\u{9b}2Jb\u{7f}c\u{80}\u{9f}d");
    assert_eq!(rec["fields"]["t"], "a\u{9b}2Jb\u{7f}c\u{80}\u{9f}d");
    assert_eq!(rec["etag"], "\"e\u{9b}31m\"");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        raw_controls(&stderr).is_empty(),
        "{:?}",
        raw_controls(&stderr)
    );
}
