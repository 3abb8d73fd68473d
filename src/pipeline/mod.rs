//! The run: reader, dispatcher, fetch tasks, parse pool and writer, tied
//! together. Tasks are spawned here and in [`dispatch`]; the sitemap reader
//! and the parse pool run their own threads.
//!
//! ```text
//!  sources ─▶ reader ──entries──▶ dispatcher ──jobs──▶ JoinSet of fetch tasks
//!            (input)  (bounded)   per-host queues      fetch ─▶ parse pool
//!                                      ▲                     │
//!                                      └── freed host slots  ▼
//!                                   writer thread ◀──records (bounded)
//! ```
//!
//! * The JoinSet's length is the global bound (`--concurrency`): a task
//!   lives from its request's start until its record is sent.
//! * A URL whose host is at `--per-host` waits in its host's queue in the
//!   dispatcher, holding no global slot, so one slow host cannot starve the
//!   others (head-of-line blocking). A redirect to another host sends the
//!   URL back to the dispatcher, to wait in that host's queue likewise. The
//!   dispatcher starts, among the hosts with room, the URL that came first
//!   in the input. Its look-ahead is bounded ([`lookahead`]), which keeps
//!   memory flat for any input length; a list with more than that many
//!   URLs of one saturated host in a row waits for that host once the
//!   look-ahead is full.
//! * Parsing runs on the parse pool, one thread per core, never on the
//!   reactor; a fetch task keeps its global slot while it waits to parse,
//!   so bodies in memory stay within `--concurrency`.
//! * Shutdown is by dropping: an interrupt or a closed output drops the
//!   dispatcher and its JoinSet, which aborts in-flight requests; their
//!   record senders go with them and the writer drains and returns.
//!
//! We use a JoinSet and a dispatcher rather than `buffer_unordered`, which
//! polls every future on one task (one core) and cannot skip a busy host.

mod dispatch;
mod judge;
mod retry;

use crate::config::Config;
use crate::fetch::Fetcher;
use crate::hosts::Hosts;
use crate::input::{self, Exclusions, InputStats, Seen, Source};
use crate::output::{self, WriterOptions};
use crate::page::pool::ParsePool;
use crate::progress::Progress;
use crate::report::Reports;
use crate::sitemap::SitemapClient;
use crate::summary::Summary;
use anyhow::Context;
use dispatch::Dispatcher;
use judge::Judge;
use retry::RetryPolicy;
use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

/// How a run ended.
pub struct Outcome {
    /// CI reports to finish once the exit status is known.
    pub reports: Option<Reports>,
    /// Counts for the closing summary and the exit status.
    pub summary: Summary,
    /// The output was closed by its reader (`| head`).
    pub closed: bool,
}

/// What every fetch task of a run shares.
struct Shared {
    fetcher: Fetcher,
    parser: ParsePool,
    judge: Judge,
    retry: RetryPolicy,
}

/// URLs the dispatcher may hold waiting for their hosts.
fn lookahead(concurrency: usize) -> usize {
    (concurrency * 4).max(10_000)
}

/// Records that may sit between reader and writer with `--ordered`.
fn reorder_window(concurrency: usize) -> usize {
    (concurrency * 8).max(1024)
}

/// Fetches every URL of `cfg.inputs` (of this run's shard, and not in
/// `done`, the URLs an earlier run wrote to the output) and writes one
/// record per distinct URL to `out`.
///
/// Returns once every record is written, or soon after `interrupt`
/// completes; in-flight requests are then dropped, not awaited.
///
/// # Errors
/// An unreadable input file, a failed write, or a client that cannot be
/// built. Per-URL failures are records, not errors.
pub async fn run<W>(
    cfg: Config,
    out: W,
    progress: Progress,
    interrupt: impl Future<Output = ()>,
    done: Seen,
) -> anyhow::Result<Outcome>
where
    W: Write + Send + 'static,
{
    let started = Instant::now();
    match cfg.plan.tree_only_because() {
        None => tracing::debug!(
            "extraction streams each page (no tree), falling back to a tree on pages the \
             stream cannot answer exactly"
        ),
        Some(why) => tracing::debug!("extraction parses each page into a tree: {why}"),
    }
    let writer_gone = CancellationToken::new();
    let failures_reached = CancellationToken::new();
    let reports = if cfg.reports.wanted() {
        Some(Reports::new(cfg.reports.clone()).context("cannot start the JUnit report")?)
    } else {
        None
    };
    let (hosts, freed) = Hosts::new(cfg.per_host.get());
    let c = cfg.concurrency.get();
    let window = cfg
        .ordered
        .then(|| Arc::new(Semaphore::new(reorder_window(c))));

    if progress.is_shown() {
        let (sources, p) = (cfg.inputs.clone(), progress.clone());
        // Counting a big file takes a moment; the bar starts without it.
        tokio::task::spawn_blocking(move || {
            if let Some(n) = input::count_lines(&sources) {
                p.set_total(n);
            }
        });
    }

    let (rec_tx, rec_rx) = mpsc::channel(1024);
    let opts = WriterOptions {
        ordered: cfg.ordered,
        window: window.clone(),
        progress: progress.clone(),
        writer_gone: writer_gone.clone(),
        max_failures: cfg.max_failures,
        failures_reached: failures_reached.clone(),
        reports,
    };
    let writer = tokio::task::spawn_blocking(move || output::write_all(rec_rx, out, opts));

    let stats = Arc::new(InputStats::default());
    let sitemaps = if cfg.inputs.iter().any(|s| matches!(s, Source::Sitemap(_))) {
        let client = SitemapClient::new(&cfg.client(), cfg.headers.clone(), cfg.timeout)
            .context("cannot build the sitemap client")?;
        Some(Arc::new(client))
    } else {
        None
    };
    let (entry_tx, entry_rx) = mpsc::channel(1024);
    let mut reader = tokio::spawn(input::read_all(
        cfg.inputs.clone(),
        entry_tx,
        stats.clone(),
        window,
        progress.clone(),
        Exclusions {
            shard: cfg.shard,
            done,
        },
        sitemaps,
    ));

    let shared = Shared {
        fetcher: Fetcher::new(cfg.fetch_options())?,
        parser: ParsePool::new(parse_threads()).context("cannot start the parsing threads")?,
        judge: Judge {
            ok_status: cfg.ok_status.clone(),
            plan: Arc::new(cfg.plan.clone()),
            max_latency: cfg.max_latency,
        },
        retry: RetryPolicy {
            retries: cfg.retries,
            max_time: cfg.max_time,
            timeout: cfg.timeout,
        },
    };
    let dispatcher = Dispatcher {
        shared: Arc::new(shared),
        hosts,
        freed,
        entries: entry_rx,
        records: rec_tx,
        failures_reached: failures_reached.clone(),
        concurrency: c,
        lookahead: lookahead(c),
    };
    let mut interrupted = false;
    tokio::select! {
        () = dispatcher.run() => {}
        // Dropping the dispatcher (and its JoinSet) aborts in-flight tasks.
        () = interrupt => interrupted = true,
        () = writer_gone.cancelled() => {}
    }
    if interrupted || writer_gone.is_cancelled() || failures_reached.is_cancelled() {
        reader.abort();
    }
    let read_error = match (&mut reader).await {
        Ok(result) => result.err(),
        Err(e) if e.is_cancelled() => None,
        Err(e) => return Err(e).context("the input reader failed"),
    };
    let (tally, reports) = writer
        .await
        .context("the writer thread failed")?
        .context("cannot write records")?;
    if let Some(e) = read_error {
        return Err(e.into());
    }
    let halted_at = failures_reached
        .is_cancelled()
        .then_some(cfg.max_failures)
        .flatten();
    Ok(Outcome {
        reports,
        closed: tally.closed,
        summary: stats.summary(tally, started.elapsed(), interrupted, halted_at),
    })
}

/// Threads that may parse at once: one per core.
fn parse_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}
