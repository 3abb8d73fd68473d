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
        .with_writer(Lines(progress.clone()))
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
struct Lines(Progress);

impl<'a> MakeWriter<'a> for Lines {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line {
            buf: Vec::with_capacity(256),
            progress: self.0.clone(),
        }
    }
}

/// One event's text, written on drop.
struct Line {
    buf: Vec<u8>,
    progress: Progress,
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
        if !self.buf.is_empty() {
            self.progress.print_above(&self.buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_follow_the_flag_then_the_terminal() {
        assert!(colour(ColorWhen::Always, false));
        assert!(!colour(ColorWhen::Never, true));
        assert!(!colour(ColorWhen::Auto, false));
    }
}
