//! The single writer: the only code that writes records, and the keeper of
//! the run's tallies.
//!
//! It runs on its own blocking thread, since a slow reader on the other
//! end of a pipe may block `write`, and that must never stall the reactor.
//! It writes each record as one line through a buffer and flushes whenever
//! no other record is waiting, so `| jq` sees records as they finish while
//! bulk runs still write in large blocks. With `--ordered` it holds
//! finished records until those before them are written. A closed pipe
//! (`| head -3`) is not an error: it stops the run quietly.

use crate::progress::Progress;
use crate::record::{Part, Record};
use crate::report::Reports;
use crate::summary::Tally;
use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Semaphore;
use tokio::sync::mpsc::{self, error::TryRecvError};
use tokio_util::sync::CancellationToken;

/// How the writer behaves, beyond where it writes.
pub struct WriterOptions {
    /// Write in input order (by `seq`).
    pub ordered: bool,
    /// The reorder window to give permits back to, one per record written.
    pub window: Option<Arc<Semaphore>>,
    /// Told of every record written.
    pub progress: Progress,
    /// Cancelled when the writer ends (done, or its output closed or
    /// failed): the run stops feeding it.
    pub writer_gone: CancellationToken,
    /// `--max-failures`: cancel `failures_reached` once this many records
    /// are not ok.
    pub max_failures: Option<u64>,
    /// Stops new URLs from starting; those in flight finish.
    pub failures_reached: CancellationToken,
    /// CI reports, told of every record written; handed back at the end.
    pub reports: Option<Reports>,
    /// `--changed-only`: an ok record whose content did not change is
    /// counted (and reported) but not written.
    pub changed_only: bool,
    /// Set by [`watch_stdout`] when the reader of stdout has gone: the
    /// output is closed, as a failed write would have found.
    pub hung_up: Arc<AtomicBool>,
}

/// Writes every record received on `rx` to `out` until all senders are
/// gone, then flushes; returns what it counted and the CI reports it fed.
///
/// # Errors
/// A write error other than a closed pipe (a full disk, say).
pub fn write_all<W: Write>(
    mut rx: mpsc::Receiver<(u64, Record)>,
    out: W,
    opts: WriterOptions,
) -> io::Result<(Tally, Option<Reports>)> {
    // However the writer ends (done, failed, or a panic), the run must
    // stop feeding it: nothing else would wake a reader waiting on the
    // --ordered window.
    let _gone_on_exit = opts.writer_gone.clone().drop_guard();
    let mut w = Writer {
        out: io::BufWriter::with_capacity(64 * 1024, out),
        line: Vec::with_capacity(1024),
        tally: Tally {
            unchanged_unwritten: opts.changed_only,
            ..Tally::default()
        },
        opts,
    };
    let mut held: HashMap<u64, Record> = HashMap::new();
    let mut next_seq = 0u64;
    loop {
        let (seq, rec) = match rx.try_recv() {
            Ok(item) => item,
            Err(TryRecvError::Disconnected) => break,
            Err(TryRecvError::Empty) => {
                // Nothing else is ready: make what we have visible now.
                w.flush()?;
                match rx.blocking_recv() {
                    Some(item) => item,
                    None => break,
                }
            }
        };
        if w.tally.closed {
            continue;
        }
        if !w.opts.ordered {
            w.write(&rec)?;
            continue;
        }
        held.insert(seq, rec);
        while let Some(rec) = held.remove(&next_seq) {
            w.write(&rec)?;
            next_seq += 1;
        }
    }
    // After an interrupt, in-flight URLs leave gaps; the records behind them
    // are finished and still owed to the user, in order.
    let mut rest: Vec<_> = held.into_iter().collect();
    rest.sort_unstable_by_key(|(seq, _)| *seq);
    for (_, rec) in rest {
        if w.tally.closed {
            break;
        }
        w.write(&rec)?;
    }
    w.flush()?;
    if w.opts.hung_up.load(Ordering::Relaxed) {
        w.tally.closed = true;
    }
    Ok((w.tally, w.opts.reports))
}

/// Watches standard output for its reader leaving (`trawl … | head -1`
/// once `head` has its line) while no record is being written: a run whose
/// next record is minutes away would otherwise go on until it tried to
/// write it. On a hang-up or error of the pipe it sets `hung_up` and
/// cancels `gone`, which stops the run as a failed write does. Ends when
/// `gone` is cancelled, by it or by the writer ending.
#[cfg(unix)]
pub fn watch_stdout(gone: CancellationToken, hung_up: Arc<AtomicBool>) {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let watch = move || {
        let stdout = io::stdout();
        // Checked five times a second: within a second of the reader leaving.
        let tick = Timespec {
            tv_sec: 0,
            tv_nsec: 200_000_000,
        };
        while !gone.is_cancelled() {
            // No events asked for: poll reports only errors, hang-ups and a
            // descriptor it cannot watch (closed, say: nothing to do).
            let mut fds = [PollFd::new(&stdout, PollFlags::empty())];
            match poll(&mut fds, Some(&tick)) {
                Ok(0) | Err(rustix::io::Errno::INTR) => {}
                Ok(_) if fds[0].revents().intersects(PollFlags::ERR | PollFlags::HUP) => {
                    hung_up.store(true, Ordering::Relaxed);
                    gone.cancel();
                    return;
                }
                Ok(_) | Err(_) => return,
            }
        }
    };
    if let Err(e) = std::thread::Builder::new()
        .name("stdout-watch".into())
        .spawn(watch)
    {
        tracing::debug!("cannot watch stdout for its reader leaving: {e}");
    }
}

/// Elsewhere, a closed stdout is found by the next write.
#[cfg(not(unix))]
pub fn watch_stdout(_gone: CancellationToken, _hung_up: Arc<AtomicBool>) {}

struct Writer<W: Write> {
    out: io::BufWriter<W>,
    line: Vec<u8>,
    tally: Tally,
    opts: WriterOptions,
}

/// `-v`: one line per record written.
fn log_record(rec: &Record) {
    if !tracing::enabled!(tracing::Level::INFO) {
        return;
    }
    let status = rec.status.map_or_else(|| "-".to_owned(), |s| s.to_string());
    match &rec.error {
        None => tracing::info!(
            "{} {status} {} ms, {} B, attempts {}, redirects {}",
            rec.url,
            rec.elapsed_ms,
            rec.bytes,
            rec.attempts,
            rec.redirects
        ),
        Some(e) => tracing::warn!(
            "{} {status} {} ms, attempts {}: {}: {}",
            rec.url,
            rec.elapsed_ms,
            rec.attempts,
            e.kind.as_str(),
            e.message
        ),
    }
}

impl<W: Write> Writer<W> {
    fn write(&mut self, rec: &Record) -> io::Result<()> {
        let unchanged = rec.ok && rec.changed == Part::Value(false);
        if !(unchanged && self.opts.changed_only) {
            self.line.clear();
            crate::record::write_json_line(rec, &mut self.line).map_err(io::Error::other)?;
            self.line.push(b'\n');
            let res = self.out.write_all(&self.line);
            self.check(res)?;
            if self.tally.closed {
                return Ok(());
            }
        }
        self.tally.count(rec);
        log_record(rec);
        if let Some(r) = &mut self.opts.reports {
            r.record(rec)?;
        }
        if self
            .opts
            .max_failures
            .is_some_and(|max| self.tally.failed_total() >= max)
        {
            self.opts.failures_reached.cancel();
        }
        self.opts.progress.record(rec.error.is_none());
        if let Some(window) = &self.opts.window {
            window.add_permits(1);
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.tally.closed {
            return Ok(());
        }
        let res = self.out.flush();
        self.check(res)
    }

    /// Turns a closed pipe into a quiet stop; other errors stop the run
    /// and pass, since nothing fetched from here on could be written.
    fn check(&mut self, res: io::Result<()>) -> io::Result<()> {
        match res {
            Ok(()) => Ok(()),
            Err(e) => {
                self.opts.writer_gone.cancel();
                if e.kind() == io::ErrorKind::BrokenPipe {
                    self.tally.closed = true;
                    return Ok(());
                }
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::ErrorKind;

    fn rec(url: &str, err: Option<ErrorKind>) -> Record {
        match err {
            Some(k) => Record::failed(url.into(), k, "x"),
            None => {
                let mut r = Record::failed(url.into(), ErrorKind::Io, "");
                r.ok = true;
                r.error = None;
                r
            }
        }
    }

    fn opts(ordered: bool) -> WriterOptions {
        WriterOptions {
            ordered,
            window: None,
            progress: Progress::hidden(),
            writer_gone: CancellationToken::new(),
            max_failures: None,
            failures_reached: CancellationToken::new(),
            reports: None,
            changed_only: false,
            hung_up: Arc::default(),
        }
    }

    fn urls(out: &[u8]) -> Vec<String> {
        String::from_utf8_lossy(out)
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["url"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }

    #[test]
    fn ordered_writer_restores_input_order_and_counts() {
        let (tx, rx) = mpsc::channel(8);
        for (seq, u) in [(2, "c"), (0, "a"), (1, "b")] {
            let err = (u == "b").then_some(ErrorKind::Timeout);
            tx.try_send((seq, rec(u, err))).unwrap();
        }
        drop(tx);
        let mut out = Vec::new();
        let (tally, _) = write_all(rx, &mut out, opts(true)).unwrap();
        assert_eq!(urls(&out), ["a", "b", "c"]);
        assert_eq!(tally.ok, 2);
        assert_eq!(tally.failed.get(&ErrorKind::Timeout), Some(&1));
        assert!(out.ends_with(b"\n"));
    }

    #[test]
    fn ordered_writer_flushes_what_is_behind_a_gap() {
        let (tx, rx) = mpsc::channel(8);
        tx.try_send((3, rec("d", None))).unwrap();
        tx.try_send((1, rec("b", None))).unwrap();
        drop(tx);
        let mut out = Vec::new();
        write_all(rx, &mut out, opts(true)).unwrap();
        assert_eq!(urls(&out), ["b", "d"]);
    }

    struct ClosedPipe;
    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
    }

    #[test]
    fn closed_pipe_stops_quietly_and_cancels() {
        let (tx, rx) = mpsc::channel(8);
        tx.try_send((0, rec("a", None))).unwrap();
        drop(tx);
        let o = opts(false);
        let gone = o.writer_gone.clone();
        let (tally, _) = write_all(rx, ClosedPipe, o).unwrap();
        assert!(tally.closed);
        assert!(gone.is_cancelled());
    }
}
