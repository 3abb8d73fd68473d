//! Running the trawl binary: in an environment that cannot reach a proxy,
//! its output decoded into validated records; waiting for it to exit, and
//! signalling it.

use super::records::records;
use serde_json::Value;
use std::time::{Duration, Instant};

/// The binary under test, with an environment that cannot reach a proxy.
pub fn trawl() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_trawl"));
    isolate(&mut cmd);
    cmd
}

/// Clears from `cmd`'s environment what would make a trawl it runs behave
/// otherwise than the tests expect: proxies, RUST_LOG, colours, and
/// GitHub Actions' variables.
pub fn isolate(cmd: &mut std::process::Command) {
    for var in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("NO_PROXY", "*").env("NO_COLOR", "1");
    // A developer's RUST_LOG must not change what the tests see on stderr.
    cmd.env_remove("RUST_LOG");
    // The tests may themselves run under GitHub Actions: trawl must not
    // annotate their runs unless a test asks for it.
    cmd.env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY");
}

/// Runs trawl with `args`, feeding `stdin`, and returns (records, stderr,
/// exit code).
pub fn run(args: &[&str], stdin: &str) -> (Vec<Value>, String, i32) {
    let out = assert_cmd::Command::from_std(trawl())
        .args(args)
        .write_stdin(stdin.to_owned())
        .timeout(Duration::from_secs(60))
        .output()
        .expect("run trawl");
    let code = out.status.code().unwrap_or(-1);
    (
        records(&out.stdout),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        code,
    )
}

/// Waits for the child to exit, at most `limit`.
pub fn wait_exit(
    child: &mut std::process::Child,
    limit: Duration,
) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// Sends `sig` (as `kill` spells it: `-INT`, `-TERM`, `-KILL`) to the child.
pub fn signal(child: &std::process::Child, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .expect("kill")
        .success();
    assert!(ok, "kill {sig} failed");
}
