//! End-to-end tests of `-v`, `-vv`, `RUST_LOG` and `--color`: logs on
//! stderr only, one line per URL, decisions at `-vv`, colours only when
//! asked for or on a terminal, and lines that do not tear the progress bar.

use crate::support;

use crate::support::{Server, run};

/// The lines of `stderr` that mention `needle`.
fn lines_with<'a>(stderr: &'a str, needle: &str) -> Vec<&'a str> {
    stderr.lines().filter(|l| l.contains(needle)).collect()
}

#[test]
fn v_logs_one_line_per_url_on_stderr_and_vv_the_decisions() {
    let s = Server::start();
    let ok = s.url("/page/simple.html");
    let missing = s.url("/status/404");
    let flaky = s.url("/flaky/1?id=logs-v");
    let moved = s.url("/redirect/1");
    let list = [
        ok.as_str(),
        missing.as_str(),
        flaky.as_str(),
        moved.as_str(),
    ]
    .join("\n");

    // Without -v: no log lines at all.
    let (recs, stderr, _) = run(&["--retries", "1"], &list);
    assert_eq!(recs.len(), 4);
    assert!(lines_with(&stderr, &ok).is_empty(), "{stderr}");

    // -v: one line per URL, with status, time and attempts; stdout is
    // still nothing but records (run() parses every line as JSON).
    let flaky2 = s.url("/flaky/1?id=logs-v2");
    let list2 = list.replace(&flaky, &flaky2);
    let (recs, stderr, code) = run(&["-v", "--retries", "1"], &list2);
    assert_eq!(code, 1);
    assert_eq!(recs.len(), 4);
    let line = lines_with(&stderr, &ok);
    assert_eq!(line.len(), 1, "{stderr}");
    assert!(
        line[0].contains(" 200 ") && line[0].contains("attempts 1"),
        "{}",
        line[0]
    );
    let line = lines_with(&stderr, &missing);
    assert_eq!(line.len(), 1, "{stderr}");
    assert!(line[0].contains("http_status"), "{}", line[0]);
    let line = lines_with(&stderr, &flaky2);
    assert_eq!(line.len(), 1, "{stderr}");
    assert!(line[0].contains("attempts 2"), "{}", line[0]);
    assert!(!stderr.contains("GET "), "-v is not -vv: {stderr}");

    // -vv: each request, the redirect and the retry decision.
    let flaky3 = s.url("/flaky/1?id=logs-vv");
    let list3 = list.replace(&flaky, &flaky3);
    let (recs, stderr, _) = run(&["-vv", "--retries", "1"], &list3);
    assert_eq!(recs.len(), 4);
    assert!(stderr.contains(&format!("GET {ok}: 200")), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{flaky3}: attempt 1 failed (status 503); attempt 2 in"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("redirect 1 → "), "{stderr}");
}

#[test]
fn rust_log_works_without_v_and_colours_follow_the_flag() {
    let s = Server::start();
    let ok = s.url("/page/simple.html");
    let out = support::trawl()
        .env("RUST_LOG", "trawl=debug")
        .arg(&ok)
        .output()
        .expect("trawl");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("GET {ok}: 200")), "{stderr}");
    assert_eq!(support::records(&out.stdout).len(), 1);
    // -vvv adds reqwest's own lines (its `log` records reach tracing).
    let out = support::trawl()
        .args(["-vvv", &ok])
        .output()
        .expect("trawl");
    let verbose = String::from_utf8_lossy(&out.stderr);
    assert!(verbose.contains("reqwest::connect"), "{verbose}");
    assert_eq!(support::records(&out.stdout).len(), 1);
    // The test helper sets NO_COLOR and stderr is a pipe: no colours…
    assert!(!stderr.contains('\x1b'), "{stderr}");

    // …unless forced; and never when told never.
    let colour = |when: &str| {
        let out = support::trawl()
            .args(["-v", "--color", when, &ok])
            .output()
            .expect("trawl");
        assert_eq!(support::records(&out.stdout).len(), 1);
        String::from_utf8_lossy(&out.stderr).contains('\x1b')
    };
    assert!(colour("always"));
    assert!(!colour("never"));
    assert!(!colour("auto"));
}

/// Runs trawl with stderr on a terminal (util-linux `script` gives it a
/// pseudo-terminal), stdout to a file; returns what the terminal showed.
fn on_a_terminal(args: &str, env: &str) -> Option<(String, String)> {
    let script = std::path::Path::new("/usr/bin/script");
    if !script.exists() {
        eprintln!("no /usr/bin/script here: the terminal test is skipped");
        return None;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out.jsonl");
    let cmd = format!(
        "{env} {} {args} > {} < /dev/null",
        env!("CARGO_BIN_EXE_trawl"),
        out.display()
    );
    let res = std::process::Command::new(script)
        .args(["-q", "-e", "-c", &cmd, "/dev/null"])
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .env("NO_PROXY", "*")
        .env("TERM", "xterm-256color")
        .env("COLUMNS", "100")
        .output()
        .expect("script");
    Some((
        String::from_utf8_lossy(&res.stdout).into_owned(),
        std::fs::read_to_string(&out).unwrap_or_default(),
    ))
}

#[test]
fn on_a_terminal_log_lines_stay_whole_above_the_bar_and_are_coloured() {
    let s = Server::start();
    let urls: Vec<String> = (0..40)
        .map(|i| s.url(&format!("/delay/{}?i={i}", 20 + i * 5)))
        .collect();
    let Some((shown, out)) = on_a_terminal(&format!("-v -c 4 {}", urls.join(" ")), "") else {
        return;
    };
    assert_eq!(support::records(out.as_bytes()).len(), 40, "{shown}");
    // Every URL's line arrives whole: the bar is lifted before a line is
    // written and drawn again after, never in the middle of one.
    let plain = strip_ansi(&shown);
    for url in &urls {
        let whole = plain
            .split(['\r', '\n'])
            .filter(|seg| seg.contains(url.as_str()))
            .any(|seg| {
                // The line starts with its own timestamp (no bar before
                // it) and ends with its own last word (no bar after it).
                let rest = &seg[seg.find(url.as_str()).unwrap_or(0) + url.len()..];
                seg.trim_start().starts_with(|c: char| c.is_ascii_digit())
                    && seg.contains(" INFO ")
                    && rest.starts_with(" 200 ")
                    && rest.trim_end().ends_with("redirects 0")
            });
        assert!(whole, "{url} has no whole line in:\n{plain}");
    }
    // On a terminal, INFO is coloured; NO_COLOR turns that off.
    assert!(shown.contains("\x1b[32m"), "{shown}");
    let Some((shown, _)) = on_a_terminal(&format!("-v {}", urls[0]), "NO_COLOR=1") else {
        return;
    };
    assert!(strip_ansi(&shown).contains(&urls[0]), "{shown}");
    assert!(!shown.contains("\x1b[32m"), "{shown}");
}

/// `text` without ANSI escape sequences (CSI … letter).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}
