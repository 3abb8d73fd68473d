//! `-v` logs through `tracing`, on stderr, never on stdout.
//!
//! `-v` gives one line per URL as its record is written (status, timings,
//! attempts, why it failed); `-vv` adds the decisions behind it: each
//! request sent and answered, redirects followed or queued for another
//! host, retries and their waits, robots.txt verdicts and rate waits.
//! `RUST_LOG`, when set, replaces the level `-v` picks (any target, so
//! `RUST_LOG=reqwest=debug` works too). Each line is written whole through
//! the progress display, which lifts its bar out of the way, so a line
//! never tears the bar.

use crate::progress::Progress;
use std::io::{self, Write};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Starts the logs: `verbose` is the count of `-v`, `ansi` whether to
/// colour them. Does nothing when neither `-v` nor `RUST_LOG` asks for
/// logs, so a run without them pays nothing.
pub fn init(verbose: u8, ansi: bool, progress: &Progress) {
    let from_env = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let filter = match (&from_env, verbose) {
        (Some(spec), _) => EnvFilter::builder().parse_lossy(spec),
        (None, 0) => return,
        (None, 1) => EnvFilter::new("trawl=info"),
        (None, 2) => EnvFilter::new("trawl=debug"),
        (None, _) => EnvFilter::new("trawl=trace,reqwest=debug"),
    };
    // Another subscriber already set (tests calling twice) is harmless.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_target(verbose >= 3 || from_env.is_some())
        .with_timer(tracing_subscriber::fmt::time::uptime())
        .with_writer(Lines {
            progress: progress.clone(),
            ansi,
        })
        .try_init();
}

/// Whether stderr's logs get colours: `--color always`, or `auto` on a
/// terminal when `NO_COLOR` is not set (<https://no-color.org>: any
/// non-empty value).
pub fn colour(when: ColorWhen, stderr_is_terminal: bool) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            stderr_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorWhen {
    /// Colours on a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    /// Always colours.
    Always,
    /// Never colours.
    Never,
}

/// Hands each event a buffer that goes to stderr whole when dropped.
struct Lines {
    progress: Progress,
    /// Colours on: the escape sequences in a line are tracing's own
    /// (it escapes those of the values it formats).
    ansi: bool,
}

impl<'a> MakeWriter<'a> for Lines {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line {
            buf: Vec::with_capacity(256),
            progress: self.progress.clone(),
            ansi: self.ansi,
        }
    }
}

/// One event's text, written on drop.
struct Line {
    buf: Vec<u8>,
    progress: Progress,
    ansi: bool,
}

impl Write for Line {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        // Logs quote URLs and servers' messages: one event stays one line,
        // with nothing a terminal or a CI log would act on.
        let text = String::from_utf8_lossy(&self.buf);
        // A URL's password never reaches a log.
        let text = crate::keys::redact(&text);
        let body = text.strip_suffix('\n').unwrap_or(&text);
        let mut line = String::with_capacity(body.len() + 1);
        defuse(body, self.ansi, &mut line);
        line.push('\n');
        self.progress.print_above(line.as_bytes());
    }
}

/// Appends `text` to `out` made harmless for a terminal and a CI log:
/// control characters (line breaks, NUL, escape sequences unless `keep_esc`),
/// U+0085, U+2028 and U+2029 are written as `\u{…}`, and `##[`, which
/// GitHub Actions takes for a command anywhere in a line, gets a
/// zero-width space after its first `#`.
pub fn defuse(text: &str, keep_esc: bool, out: &mut String) {
    let mut rest = text;
    while let Some(at) = rest.find("##[") {
        defuse_chars(&rest[..at], keep_esc, out);
        out.push_str("#\u{200B}#[");
        rest = &rest[at + 3..];
    }
    defuse_chars(rest, keep_esc, out);
}

fn defuse_chars(text: &str, keep_esc: bool, out: &mut String) {
    for c in text.chars() {
        let harmful = match c {
            '\t' => false,
            '\u{1b}' => !keep_esc,
            '\u{2028}' | '\u{2029}' => true,
            c => c.is_control(),
        };
        if harmful {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_text_cannot_break_a_log_line_or_command_a_ci_log() {
        let mut out = String::new();
        defuse(
            "a\r\n::error::x\u{0}\u{1b}[31m\u{85}\u{2028}\u{2029} ##[group]y\t",
            false,
            &mut out,
        );
        assert_eq!(
            out,
            "a\\u{d}\\u{a}::error::x\\u{0}\\u{1b}[31m\\u{85}\\u{2028}\\u{2029} #\u{200B}#[group]y\t"
        );
        let mut coloured = String::new();
        defuse("\u{1b}[1mINFO\u{1b}[0m", true, &mut coloured);
        assert_eq!(coloured, "\u{1b}[1mINFO\u{1b}[0m");
    }

    #[test]
    fn colours_follow_the_flag_then_the_terminal() {
        assert!(colour(ColorWhen::Always, false));
        assert!(!colour(ColorWhen::Never, true));
        assert!(!colour(ColorWhen::Auto, false));
    }
}
