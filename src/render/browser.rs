//! Finding, launching and stopping the browser.
//!
//! The browser runs under a small `sh` wrapper, in a process group of its
//! own (a Ctrl-C at the terminal reaches trawl, which then closes the
//! browser, rather than the browser mid-render):
//!
//! ```text
//!  trawl ──stdin/stdout pipes──▶ sh ──fd 3 / fd 4──▶ chromium --remote-debugging-pipe
//! ```
//!
//! The wrapper hands the two pipes to the browser as fds 3 and 4, closes
//! its own copies, waits for the browser and then removes the profile
//! directory. trawl holds the only write end of the browser's command
//! pipe, so however trawl ends (even by SIGKILL) the browser reads end of
//! file and exits, and the wrapper removes the profile after it. A
//! browser driven over a debugging *port* would outlive a killed trawl.

use super::cdp::Conn;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Names looked for on `PATH` when neither `--browser` nor `$CHROME` is
/// given, in order.
const NAMES: &[&str] = &["chromium", "chromium-browser", "google-chrome"];

/// How long a launched browser may take to answer its first command.
const LAUNCH: Duration = Duration::from_secs(30);

/// How long a browser asked to close may take before it is killed.
const CLOSE: Duration = Duration::from_secs(5);

/// The wrapper: `$1` is the profile directory, the rest the browser's
/// command line. Its stdin and stdout are the two pipes.
const WRAPPER: &str = r#"dir=$1; shift
exec 3<&0 4>&1 </dev/null >/dev/null
"$@" &
exec 3<&- 4>&-
wait $!
rm -rf -- "$dir"
"#;

/// The browser to run: `given` (`--browser`), else `$CHROME`, else the
/// first of chromium, chromium-browser and google-chrome on `PATH`.
///
/// # Errors
/// None found, said for a human, with how to install one.
pub fn find(given: Option<&Path>, chrome: Option<OsString>) -> Result<PathBuf, String> {
    if let Some(p) = given {
        return executable(p.as_os_str())
            .ok_or_else(|| format!("--browser {}: no such executable", p.display()));
    }
    if let Some(c) = chrome.filter(|c| !c.is_empty()) {
        return executable(&c).ok_or_else(|| {
            format!(
                "$CHROME is {}, which is not an executable",
                Path::new(&c).display()
            )
        });
    }
    NAMES
        .iter()
        .find_map(|n| executable(n.as_ref()))
        .ok_or_else(|| {
            "--render needs Chromium or Chrome, and none was found ($CHROME is unset; \
             no chromium, chromium-browser or google-chrome on PATH). Install one \
             (Debian/Ubuntu: apt-get install chromium), or name it with --browser PATH"
                .to_owned()
        })
}

/// `name` as an executable file: a path when it holds a `/`, else looked
/// up on `PATH`.
fn executable(name: &std::ffi::OsStr) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let is_exe = |p: &Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    let p = Path::new(name);
    if p.components().count() > 1 || name.to_string_lossy().contains('/') {
        return is_exe(p).then(|| p.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(p))
        .find(|c| is_exe(c))
}

/// The browser's command line after its path: headless, driven over the
/// pipe, with a fresh profile and nothing running in the background.
fn flags(profile: &Path) -> Vec<OsString> {
    let mut flags: Vec<OsString> = [
        "--headless",
        "--remote-debugging-pipe",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--disable-extensions",
        "--disable-default-apps",
        "--disable-breakpad",
        "--disable-crash-reporter",
        "--disable-features=Translate,MediaRouter,OptimizationHints,BackForwardCache",
        "--metrics-recording-only",
        "--password-store=basic",
        "--use-mock-keychain",
        "--mute-audio",
        "--hide-scrollbars",
    ]
    .iter()
    .map(OsString::from)
    .collect();
    // Chromium refuses to run as root with its sandbox on.
    if rustix::process::geteuid().is_root() {
        flags.push("--no-sandbox".into());
    }
    let mut dir = OsString::from("--user-data-dir=");
    dir.push(profile);
    flags.push(dir);
    flags
}

/// A running browser and the connection to it.
pub struct Browser {
    pub conn: Conn,
    /// The wrapper, until the browser is closed. Held across the close, so
    /// a second close waits for the first.
    child: tokio::sync::Mutex<Option<tokio::process::Child>>,
    /// The wrapper's process group: the wrapper and the browser.
    group: Option<rustix::process::Pid>,
    /// Removed by the wrapper once the browser exits; by us if the wrapper
    /// was killed first.
    _profile: tempfile::TempDir,
    /// The end of what the browser wrote on stderr, to say why it failed.
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Browser {
    /// Starts the browser at `exe` and waits until it answers.
    ///
    /// # Errors
    /// It could not be started, or did not answer in time; said for a
    /// human.
    pub async fn launch(exe: &Path) -> Result<Browser, String> {
        let profile = tempfile::Builder::new()
            .prefix("trawl-render-")
            .tempdir()
            .map_err(|e| format!("cannot make a profile directory: {e}"))?;
        // The browser's own temporary files (a killed browser leaves its
        // org.chromium.Chromium.* directory behind) go inside it too.
        let tmp = profile.path().join("tmp");
        std::fs::create_dir(&tmp).map_err(|e| format!("cannot make a temporary directory: {e}"))?;
        let mut cmd = tokio::process::Command::new("/bin/sh");
        cmd.arg("-c")
            .arg(WRAPPER)
            .arg("trawl-browser")
            .arg(profile.path())
            .arg(exe)
            .args(flags(&profile.path().join("profile")))
            .env("TMPDIR", &tmp)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
        let group = child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .and_then(rustix::process::Pid::from_raw);
        let (Some(to), Some(from), Some(err)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err("cannot connect to the browser's pipes".into());
        };
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let tail = stderr.clone();
        // The browser's log is drained always, or a full pipe would stop it.
        tokio::spawn(async move {
            use tokio::io::AsyncReadExt;
            let mut err = err;
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = err.read(&mut buf).await {
                if let Ok(mut t) = tail.lock() {
                    t.extend_from_slice(&buf[..n]);
                    let over = t.len().saturating_sub(4096);
                    t.drain(..over);
                }
            }
        });
        let browser = Browser {
            conn: Conn::start(from, to),
            child: tokio::sync::Mutex::new(Some(child)),
            group,
            _profile: profile,
            stderr,
        };
        let answer = tokio::time::timeout(
            LAUNCH,
            browser
                .conn
                .call(None, "Browser.getVersion", serde_json::json!({})),
        )
        .await;
        match answer {
            Ok(Ok(_)) => {
                // A page's script may start a download: not onto this disk.
                let deny = browser.conn.call(
                    None,
                    "Browser.setDownloadBehavior",
                    serde_json::json!({"behavior": "deny"}),
                );
                let _ = tokio::time::timeout(LAUNCH, deny).await;
                Ok(browser)
            }
            Ok(Err(e)) => {
                // Let the last of its stderr arrive.
                tokio::time::sleep(Duration::from_millis(100)).await;
                Err(format!("{e} at start{}", browser.last_words()))
            }
            Err(_) => Err(format!(
                "it did not answer within {} s{}",
                LAUNCH.as_secs(),
                browser.last_words()
            )),
        }
    }

    /// The last line the browser wrote on stderr, if any, as `: LINE`.
    fn last_words(&self) -> String {
        let Ok(tail) = self.stderr.lock() else {
            return String::new();
        };
        let text = String::from_utf8_lossy(&tail);
        text.lines()
            .rev()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(|l| format!(": {}", l.chars().take(300).collect::<String>()))
            .unwrap_or_default()
    }

    /// Closes the browser: asks it, closes the pipe, and kills it if it is
    /// still there after [`CLOSE`]. Returns once it has exited.
    pub async fn close(&self) {
        let mut held = self.child.lock().await;
        let Some(child) = held.as_mut() else { return };
        if !self.conn.is_gone() {
            let bye = self.conn.call(None, "Browser.close", serde_json::json!({}));
            let _ = tokio::time::timeout(Duration::from_secs(2), bye).await;
        }
        self.conn.close();
        if tokio::time::timeout(CLOSE, child.wait()).await.is_err() {
            self.kill();
            let _ = child.wait().await;
        }
        *held = None;
    }

    /// Kills the wrapper and the browser at once (a stopped or hung browser
    /// too), and closes the connection.
    pub fn kill(&self) {
        if let Some(group) = self.group {
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        }
        self.conn.close();
    }
}

impl Drop for Browser {
    /// A browser not closed by [`Browser::close`] (a panic, an early
    /// return) is killed; the profile directory goes with `_profile`.
    fn drop(&mut self) {
        let running = self
            .child
            .get_mut()
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)));
        if running {
            self.kill();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_given_path_and_refuses_a_missing_one() {
        assert_eq!(
            find(Some(Path::new("/bin/sh")), None),
            Ok(PathBuf::from("/bin/sh"))
        );
        let e = find(Some(Path::new("/nonexistent/chrome")), None).unwrap_err();
        assert!(e.contains("--browser /nonexistent/chrome"), "{e}");
        let e = find(None, Some("/nonexistent/chrome".into())).unwrap_err();
        assert!(e.contains("$CHROME"), "{e}");
    }
}
