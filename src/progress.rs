//! The progress display on stderr: an indicatif bar on a terminal, a plain
//! line every few seconds with `--progress always` elsewhere (CI logs), or
//! nothing.
//!
//! Only the writer reports to it, once per record written, so the counts
//! shown are exactly the records the user has.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// When the progress bar is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressWhen {
    /// Only when stderr is a terminal.
    Auto,
    /// Always: a bar on a terminal, a plain line every few seconds elsewhere.
    Always,
    /// Never.
    Never,
}

/// A cheap handle to the run's progress display.
#[derive(Clone)]
pub struct Progress {
    inner: Arc<Inner>,
}

struct Inner {
    mode: Mode,
    done: AtomicU64,
    failed: AtomicU64,
    total: AtomicU64,
    start: Instant,
}

enum Mode {
    Hidden,
    Bar(ProgressBar),
    Lines(Mutex<Instant>),
}

/// How often the plain-line display prints.
const LINE_EVERY: Duration = Duration::from_secs(2);

impl Progress {
    /// Chooses the display for `when`, looking at whether stderr is a
    /// terminal.
    pub fn new(when: ProgressWhen, quiet: bool) -> Progress {
        let tty = std::io::stderr().is_terminal();
        let mode = match (when, quiet, tty) {
            (_, true, _) | (ProgressWhen::Never, ..) | (ProgressWhen::Auto, _, false) => {
                Mode::Hidden
            }
            (_, _, true) => {
                let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                bar.set_style(style(false));
                bar.enable_steady_tick(Duration::from_millis(200));
                Mode::Bar(bar)
            }
            (ProgressWhen::Always, _, false) => Mode::Lines(Mutex::new(Instant::now())),
        };
        Progress::with_mode(mode)
    }

    /// A display that shows nothing.
    pub fn hidden() -> Progress {
        Progress::with_mode(Mode::Hidden)
    }

    fn with_mode(mode: Mode) -> Progress {
        Progress {
            inner: Arc::new(Inner {
                mode,
                done: AtomicU64::new(0),
                failed: AtomicU64::new(0),
                total: AtomicU64::new(0),
                start: Instant::now(),
            }),
        }
    }

    /// Tells whether anything is drawn (so callers can skip work).
    pub fn is_shown(&self) -> bool {
        !matches!(self.inner.mode, Mode::Hidden)
    }

    /// Sets the number of records expected, once it is known.
    pub fn set_total(&self, total: u64) {
        self.inner.total.store(total, Ordering::Relaxed);
        if let Mode::Bar(bar) = &self.inner.mode {
            bar.set_length(total);
            bar.set_style(style(true));
        }
    }

    /// Counts one record written.
    pub fn record(&self, ok: bool) {
        let inner = &self.inner;
        let done = inner.done.fetch_add(1, Ordering::Relaxed) + 1;
        let failed = inner.failed.fetch_add(u64::from(!ok), Ordering::Relaxed) + u64::from(!ok);
        match &inner.mode {
            Mode::Hidden => {}
            Mode::Bar(bar) => {
                bar.inc(1);
                bar.set_message(format!("ok {} · failed {failed}", done - failed));
            }
            Mode::Lines(last) => {
                let mut last = last.lock().unwrap_or_else(PoisonError::into_inner);
                if last.elapsed() >= LINE_EVERY {
                    *last = Instant::now();
                    // A closed stderr must not stop the writer thread.
                    let _ = writeln!(std::io::stderr(), "trawl: {}", self.line(done, failed));
                }
            }
        }
    }

    fn line(&self, done: u64, failed: u64) -> String {
        let total = self.inner.total.load(Ordering::Relaxed);
        let secs = self.inner.start.elapsed().as_secs_f64().max(1e-3);
        let of = if total > 0 {
            format!("/{total}")
        } else {
            String::new()
        };
        format!(
            "{done}{of} done, {} ok, {failed} failed, {:.1}/s",
            done - failed,
            done as f64 / secs
        )
    }

    /// Counts an input line that gets no record (a repeat), so the bar
    /// still reaches its total.
    pub fn skipped(&self) {
        if let Mode::Bar(bar) = &self.inner.mode {
            bar.inc(1);
        }
    }

    /// Writes `text` (whole lines) on stderr above the bar, which is
    /// cleared first and drawn again after, so neither tears the other.
    /// A closed stderr is ignored: logs must not stop a run.
    pub fn print_above(&self, text: &[u8]) {
        let write = || {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(text);
            let _ = err.flush();
        };
        match &self.inner.mode {
            Mode::Bar(bar) => bar.suspend(write),
            Mode::Hidden | Mode::Lines(_) => write(),
        }
    }

    /// Removes the bar so the summary prints on a clean line.
    pub fn finish(&self) {
        if let Mode::Bar(bar) = &self.inner.mode {
            bar.finish_and_clear();
        }
    }
}

const WITH_TOTAL: &str =
    "{spinner} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} {rate} {msg}";
const WITHOUT_TOTAL: &str = "{spinner} [{elapsed_precise}] {human_pos} done {rate} {msg}";

fn style(with_total: bool) -> ProgressStyle {
    let template = if with_total {
        WITH_TOTAL
    } else {
        WITHOUT_TOTAL
    };
    // The templates are constants, checked by a test below.
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .with_key(
            "rate",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", state.per_sec());
            },
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_parse() {
        for t in [WITH_TOTAL, WITHOUT_TOTAL] {
            assert!(ProgressStyle::with_template(t).is_ok(), "{t}");
        }
    }

    #[test]
    fn hidden_progress_still_counts() {
        let p = Progress::hidden();
        p.record(true);
        p.record(false);
        p.set_total(4);
        assert!(!p.is_shown());
        assert!(p.line(2, 1).starts_with("2/4 done, 1 ok, 1 failed"));
    }
}
