//! `--render`: pages built by JavaScript, rendered in the real browser
//! (Debian's `chromium`), against pages of the test server.
//!
//! Each test skips, saying so on stderr, only when no browser can be found
//! (`$CHROME`, or chromium, chromium-browser, google-chrome on PATH);
//! `.ci/run` installs chromium first.
//!
//! The browser's processes are found two ways: while trawl runs, as its
//! descendants; after it has gone, by an environment variable set on trawl
//! that every process it starts inherits. Each test gives trawl its own
//! `TMPDIR`, where the browser's profile must not outlive it.

use crate::support::{Server, by_url, kind, records, signal, trawl, wait_exit};
use serde_json::Value;
use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Whether a browser is there to test with; says so when it is not.
fn browser_found() -> bool {
    let on_path = |name: &str| {
        std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
    };
    let found = std::env::var_os("CHROME").is_some_and(|c| !c.is_empty())
        || ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .any(|n| on_path(n));
    if !found {
        eprintln!(
            "SKIP: no Chromium found ($CHROME, or chromium on PATH; apt-get install chromium): \
             the --render tests did not run"
        );
    }
    found
}

/// A trawl run of its own: a `TMPDIR` and a mark in the environment of
/// every process it starts.
struct Run {
    tmp: tempfile::TempDir,
    mark: String,
}

impl Run {
    fn new() -> Run {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Run {
            tmp: tempfile::tempdir().expect("tempdir"),
            mark: format!("{}-{n}", std::process::id()),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = trawl();
        cmd.args(args)
            .env("TMPDIR", self.tmp.path())
            .env("TRAWL_RENDER_TEST", &self.mark)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Runs trawl to its end: records, stderr, exit code.
    fn run(&self, args: &[&str]) -> (Vec<Value>, String, i32) {
        let child = self.command(args).spawn().expect("run trawl");
        let out = child.wait_with_output().expect("wait for trawl");
        (
            records(&out.stdout),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            out.status.code().unwrap_or(-1),
        )
    }

    /// Processes other than trawl that carry this run's mark.
    fn leftovers(&self, trawl_pid: u32) -> Vec<String> {
        let needle = format!("TRAWL_RENDER_TEST={}\0", self.mark);
        let mut found = Vec::new();
        for pid in pids() {
            if pid == trawl_pid {
                continue;
            }
            let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else {
                continue;
            };
            if env.windows(needle.len()).any(|w| w == needle.as_bytes()) && !is_zombie(pid) {
                found.push(format!("{pid} {}", cmdline(pid)));
            }
        }
        found
    }

    /// Waits up to `limit` for no process of this run to be left and its
    /// profile directory to be gone; fails the test with what is left.
    fn assert_clean_within(&self, trawl_pid: u32, limit: Duration, when: &str) {
        let deadline = Instant::now() + limit;
        loop {
            let left = self.leftovers(trawl_pid);
            let dirs: Vec<_> = std::fs::read_dir(self.tmp.path())
                .expect("read TMPDIR")
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            if left.is_empty() && dirs.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{when}: {} browser processes and {dirs:?} in TMPDIR left {} s after trawl exited:\n{}",
                left.len(),
                limit.as_secs(),
                left.join("\n")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect()
}

/// Field `i` (0-based, after the command name) of /proc/PID/stat.
fn stat_field(pid: u32, i: usize) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split(' ').nth(i).map(str::to_owned)
}

fn is_zombie(pid: u32) -> bool {
    stat_field(pid, 0).is_none_or(|s| s == "Z" || s == "X")
}

fn cmdline(pid: u32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .unwrap_or_default()
}

/// The live descendants of `root`, with their command lines.
fn descendants(root: u32) -> Vec<(u32, String)> {
    let parents: Vec<(u32, u32)> = pids()
        .into_iter()
        .filter_map(|p| Some((p, stat_field(p, 1)?.parse().ok()?)))
        .collect();
    let mut family = HashSet::from([root]);
    loop {
        let before = family.len();
        for (p, pp) in &parents {
            if family.contains(pp) {
                family.insert(*p);
            }
        }
        if family.len() == before {
            break;
        }
    }
    family.remove(&root);
    family
        .into_iter()
        .filter(|p| !is_zombie(*p))
        .map(|p| (p, cmdline(p)))
        .collect()
}

/// Waits until the server has seen a request whose path starts with
/// `prefix`.
fn wait_for_request(server: &Server, prefix: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    while !server.paths().iter().any(|p| p.starts_with(prefix)) {
        assert!(
            Instant::now() < deadline,
            "no request for {prefix} within {limit:?}: {:?}",
            server.paths()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn paths_seen(server: &Server, path: &str) -> bool {
    server.paths().iter().any(|p| p == path)
}

fn kill(pid: u32, sig: &str) {
    let _ = Command::new("kill").args([sig, &pid.to_string()]).status();
}

fn spawn(run: &Run, args: &[&str]) -> Child {
    run.command(args).spawn().expect("start trawl")
}

#[test]
fn pages_built_by_scripts_are_read_from_the_rendered_dom() {
    if !browser_found() {
        return;
    }
    let server = Server::start();
    let (inline, external, fetched) = (
        server.url("/page/render-inline.html"),
        server.url("/page/render-external.html"),
        server.url("/page/render-fetch.html"),
    );
    let alert = server.url("/page/render-alert.html");
    // Not HTML: not rendered.
    let text = server.url("/text");
    let ua = server.url("/page/render-ua.html");
    // A script that moves the page on: the page it lands on is read.
    let moves = server.url("/page/render-moves.html");
    let run = Run::new();
    let (recs, stderr, code) = run.run(&[
        "--render",
        "--render-wait",
        "idle",
        "-s",
        "price=.price",
        "-t",
        "30s",
        &inline,
        &external,
        &fetched,
        &alert,
        &text,
        &ua,
        &moves,
        "-A",
        "render-test/1.0",
    ]);
    assert_eq!(code, 0, "{stderr}\n{recs:?}");
    let by = by_url(&recs);
    for (url, title, price) in [
        (&inline, "Built by an inline script", "$3"),
        (&external, "Built by an external script", "$4"),
        (&fetched, "Built from fetched JSON", "$5"),
    ] {
        let r = &by[url.as_str()];
        assert_eq!(r["title"], title, "{r}");
        assert_eq!(r["fields"]["price"], price, "{r}");
        assert!(r["render"]["ms"].as_u64().is_some(), "{r}");
        // What trawl fetched is what the record says of the response.
        assert_eq!(r["content_type"], "text/html", "{r}");
    }
    // The browser's own requests carry trawl's --user-agent.
    let echoed = &by[ua.as_str()];
    assert!(
        echoed["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("ua=render-test/1.0 ")),
        "{echoed}"
    );
    let moved = &by[moves.as_str()];
    assert_eq!(moved["title"], "Built by an inline script", "{moved}");
    assert!(paths_seen(&server, "/page/render-inline.html?moved"));
    let plain = &by[text.as_str()];
    assert_eq!(plain["ok"], true, "{plain}");
    assert!(plain["render"].is_null(), "{plain}");
    // alert() and confirm() are answered, or the page would stop there.
    let dialogs = &by[alert.as_str()];
    assert_eq!(dialogs["title"], "after the dialogs", "{dialogs}");
    assert!(by[external.as_str()]["render"]["requests"].as_u64() >= Some(1));
    assert!(by[fetched.as_str()]["render"]["requests"].as_u64() >= Some(1));
    // The browser got each document from trawl: fetched once, not twice.
    let paths = server.paths();
    for page in [
        "render-inline.html",
        "render-external.html",
        "render-fetch.html",
    ] {
        let n = paths.iter().filter(|p| p.ends_with(page)).count();
        assert_eq!(n, 1, "{page} requested {n} times: {paths:?}");
    }
    // The browser's own requests went to the network.
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with("/page/render-external.js"))
    );
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with("/page/render-data.json"))
    );
}

#[test]
fn render_wait_css_waits_for_a_selector_that_appears_later() {
    if !browser_found() {
        return;
    }
    let server = Server::start();
    let url = server.url("/page/render-late.html");
    let run = Run::new();
    let (recs, stderr, code) = run.run(&[
        "--render",
        "--render-wait",
        "#app .late",
        "-s",
        "late=.late",
        "--expect",
        "#app .late",
        &url,
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(recs[0]["title"], "Late", "{}", recs[0]);
    assert_eq!(recs[0]["fields"]["late"], "there");
    assert!(recs[0]["render"]["ms"].as_u64() >= Some(300), "{}", recs[0]);
    // What --expect sees without --render: the empty shell.
    let (recs, _, code) = run.run(&["--expect", "#app .late", &url]);
    assert_eq!(code, 1);
    assert_eq!(kind(&recs[0]), "expectation", "{}", recs[0]);
    assert!(recs[0].get("render").is_none(), "{}", recs[0]);
}

#[test]
fn renders_that_never_end_time_out_and_the_run_goes_on() {
    if !browser_found() {
        return;
    }
    let server = Server::start();
    let looping = server.url("/page/render-loop.html");
    let hanging = server.url("/page/render-hang.html");
    let never = server.url("/page/render-inline.html?never");
    let after = server.url("/page/render-inline.html");
    let run = Run::new();
    let started = Instant::now();
    // One tab: the page after them renders in a tab that replaced theirs.
    let (recs, stderr, code) = run.run(&[
        "--render",
        "--tabs",
        "1",
        "--ordered",
        "-t",
        "3s",
        &looping,
        &hanging,
        &after,
    ]);
    assert_eq!(code, 1, "{stderr}");
    let by = by_url(&recs);
    for url in [&looping, &hanging] {
        let r = &by[url.as_str()];
        assert_eq!(kind(r), "timeout", "{r}");
        assert!(
            r["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("render"),
            "{r}"
        );
        assert!(r["render"]["ms"].as_u64() >= Some(2900), "{r}");
    }
    assert_eq!(by[after.as_str()]["title"], "Built by an inline script");
    // A wait selector that never matches times out likewise.
    let (recs, stderr, _) = run.run(&["--render", "--render-wait", "#nothing", "-t", "2s", &never]);
    assert_eq!(kind(&recs[0]), "timeout", "{stderr}\n{}", recs[0]);
    assert!(
        started.elapsed() < Duration::from_secs(40),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_crashed_tab_or_browser_fails_its_page_and_the_next_page_renders() {
    if !browser_found() {
        return;
    }
    let server = Server::start();
    let run = Run::new();
    // Each case: which of the browser's processes to kill while the first
    // page renders.
    type Pick = fn(&str) -> bool;
    let cases: [(&str, Pick, &str, u32); 2] = [
        ("tab", |c| c.contains("--type=renderer"), "crashed", 30_001),
        (
            "browser",
            |c| {
                c.contains("--remote-debugging-pipe")
                    && !c.contains("--type=")
                    && !c.starts_with("/bin/sh")
            },
            "exited",
            30_002,
        ),
    ];
    for (what, pick, says, ms) in cases {
        let crashing = server.url(&format!("/page/render-slow.html?ms={ms}"));
        let after = server.url(&format!("/page/render-inline.html?after-{what}"));
        let mut child = spawn(
            &run,
            &[
                "--render",
                "--tabs",
                "1",
                "--ordered",
                "-t",
                "30s",
                &crashing,
                &after,
            ],
        );
        wait_for_request(&server, &format!("/delay/{ms}"), Duration::from_secs(30));
        let victims: Vec<_> = descendants(child.id())
            .into_iter()
            .filter(|(_, c)| pick(c))
            .collect();
        assert!(!victims.is_empty(), "no {what} process to kill");
        for (pid, _) in &victims {
            kill(*pid, "-KILL");
        }
        let status = wait_exit(&mut child, Duration::from_secs(60));
        let out = child.wait_with_output().expect("output");
        assert!(
            status.is_some(),
            "trawl did not finish after the {what} crash"
        );
        let recs = records(&out.stdout);
        let by = by_url(&recs);
        let r = &by[crashing.as_str()];
        assert_eq!(kind(r), "render", "{what}: {r}");
        assert!(
            r["error"]["message"].as_str().unwrap_or("").contains(says),
            "{what}: {r}"
        );
        assert!(
            r["elapsed_ms"].as_u64() < Some(25_000),
            "{what}: the crash was not noticed: {r}"
        );
        let next = &by[after.as_str()];
        assert_eq!(next["ok"], true, "{what}: {next}");
        assert_eq!(next["title"], "Built by an inline script", "{what}: {next}");
        run.assert_clean_within(0, Duration::from_secs(10), what);
    }
}

#[test]
fn tabs_bounds_the_pages_rendering_at_once() {
    if !browser_found() {
        return;
    }
    let server = Server::start();
    let urls: Vec<String> = (0..6)
        .map(|i| server.url(&format!("/page/render-slow.html?ms=1500&n={i}")))
        .collect();
    let mut args = vec!["--render", "--tabs", "2", "-c", "50"];
    args.extend(urls.iter().map(String::as_str));
    let run = Run::new();
    let (recs, stderr, code) = run.run(&args);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(recs.len(), 6);
    // Each render holds one /delay request of its page while it lasts.
    let spans: Vec<_> = server
        .spans()
        .into_iter()
        .filter(|s| s.path.starts_with("/delay/1500"))
        .collect();
    assert_eq!(spans.len(), 6, "{spans:?}");
    let mut most = 0;
    for s in &spans {
        let at_once = spans
            .iter()
            .filter(|o| o.start <= s.start && o.end.is_none_or(|e| e > s.start))
            .count();
        most = most.max(at_once);
    }
    assert_eq!(most, 2, "pages rendering at once with --tabs 2");
}

#[test]
fn no_browser_process_or_profile_outlives_trawl() {
    if !browser_found() {
        return;
    }
    let server = Server::start();
    // A normal end.
    let run = Run::new();
    let url = server.url("/page/render-inline.html");
    let child = spawn(&run, &["--render", &url]);
    let pid = child.id();
    let out = child.wait_with_output().expect("trawl");
    assert_eq!(out.status.code(), Some(0));
    run.assert_clean_within(pid, Duration::from_secs(10), "after a normal end");

    // Interrupted, terminated or killed while a page renders for ever.
    for (sig, ms) in [("-INT", 60_001), ("-TERM", 60_002), ("-KILL", 60_003)] {
        let run = Run::new();
        let url = server.url(&format!("/page/render-slow.html?ms={ms}"));
        let mut child = spawn(&run, &["--render", "-t", "60s", &url]);
        wait_for_request(&server, &format!("/delay/{ms}"), Duration::from_secs(30));
        assert!(
            descendants(child.id())
                .iter()
                .any(|(_, c)| c.contains("--type=renderer")),
            "the browser is not running"
        );
        signal(&child, sig);
        let status = wait_exit(&mut child, Duration::from_secs(15));
        assert!(status.is_some(), "trawl did not exit on {sig}");
        run.assert_clean_within(child.id(), Duration::from_secs(10), sig);
    }
}

#[test]
fn render_without_a_browser_is_a_usage_error_before_any_request() {
    let server = Server::start();
    let empty = tempfile::tempdir().expect("tempdir");
    let out = trawl()
        .args(["--render", &server.url("/page/simple.html")])
        .env("PATH", empty.path())
        .env_remove("CHROME")
        .stdin(Stdio::null())
        .output()
        .expect("run trawl");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("apt-get install chromium"), "{stderr}");
    assert!(stderr.contains("--browser"), "{stderr}");
    assert!(out.stdout.is_empty());
    assert_eq!(server.hits(), 0);
    // A --browser that is not there, and the render flags without --render.
    for args in [
        &["--render", "--browser", "/nonexistent/chrome"][..],
        &["--tabs", "2"],
        &["--render", "--tabs", "0"],
        &["--render", "--render-wait", "a["],
    ] {
        let out = trawl()
            .args(args)
            .arg(server.url("/page/simple.html"))
            .stdin(Stdio::null())
            .output()
            .expect("run trawl");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    assert_eq!(server.hits(), 0);
}

#[test]
fn a_browser_that_cannot_start_fails_each_page_as_render_and_is_not_retried_for_ever() {
    let server = Server::start();
    let urls: Vec<String> = (0..5)
        .map(|i| server.url(&format!("/page/simple.html?{i}")))
        .collect();
    let mut args = vec!["--render", "--browser", "/bin/false", "--tabs", "1"];
    args.extend(urls.iter().map(String::as_str));
    let run = Run::new();
    let (recs, stderr, code) = run.run(&args);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(recs.len(), 5);
    for r in &recs {
        assert_eq!(kind(r), "render", "{r}");
        assert!(
            r["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("cannot start the browser"),
            "{r}"
        );
    }
    let given_up = recs
        .iter()
        .filter(|r| {
            r["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("not trying again")
        })
        .count();
    assert_eq!(given_up, 2, "{recs:?}");
    run.assert_clean_within(0, Duration::from_secs(5), "after failed starts");
}

#[test]
fn a_hung_browser_is_replaced_after_a_timeout() {
    if !browser_found() {
        return;
    }
    let server = Server::start();
    let run = Run::new();
    let stuck = server.url("/page/render-slow.html?ms=30004");
    let after = server.url("/page/render-inline.html?after-hang");
    let mut child = spawn(
        &run,
        &[
            "--render",
            "--tabs",
            "1",
            "--ordered",
            "-t",
            "4s",
            &stuck,
            &after,
        ],
    );
    wait_for_request(&server, "/delay/30004", Duration::from_secs(30));
    // The whole browser stops answering: a stopped process reads nothing,
    // not even the end of its pipe.
    let browser: Vec<_> = descendants(child.id())
        .into_iter()
        .filter(|(_, c)| {
            c.contains("--remote-debugging-pipe")
                && !c.contains("--type=")
                && !c.starts_with("/bin/sh")
        })
        .collect();
    assert_eq!(browser.len(), 1, "{browser:?}");
    kill(browser[0].0, "-STOP");
    let status = wait_exit(&mut child, Duration::from_secs(60));
    let out = child.wait_with_output().expect("output");
    assert!(status.is_some(), "trawl did not finish with a hung browser");
    let by = by_url(&records(&out.stdout));
    assert_eq!(
        kind(&by[stuck.as_str()]),
        "timeout",
        "{}",
        by[stuck.as_str()]
    );
    let next = &by[after.as_str()];
    assert_eq!(next["title"], "Built by an inline script", "{next}");
    // The stopped browser was killed, not left behind.
    run.assert_clean_within(0, Duration::from_secs(10), "after a hung browser");
}

#[test]
fn an_archive_of_a_rendered_page_holds_its_dom_as_a_resource() {
    if !browser_found() {
        return;
    }
    let server = Server::start();
    let page = server.url("/page/render-inline.html");
    let dir = tempfile::tempdir().expect("tempdir");
    let warc = dir.path().join("r.warc.gz");
    let run = Run::new();
    let (recs, stderr, code) =
        run.run(&["--render", "--warc", warc.to_str().expect("path"), &page]);
    assert_eq!((recs.len(), code), (1, 0), "{stderr}");
    let archive = crate::archive::read_warc(&warc);
    let response = archive
        .iter()
        .find(|r| r.get("warc-type") == "response")
        .expect("the page as fetched");
    assert!(!String::from_utf8_lossy(&response.block).contains("<title>Built by"));
    let dom = archive
        .iter()
        .find(|r| r.get("warc-type") == "resource")
        .expect("the rendered DOM");
    assert_eq!(dom.get("warc-target-uri"), format!("urn:trawl:dom:{page}"));
    assert_eq!(
        dom.get("warc-concurrent-to"),
        response.get("warc-record-id")
    );
    let dom = String::from_utf8_lossy(&dom.block);
    assert!(
        dom.contains("<title>Built by an inline script</title>"),
        "{dom}"
    );
    assert!(
        dom.contains("<div id=\"app\"><p class=\"price\">$3</p></div>"),
        "{dom}"
    );
}
