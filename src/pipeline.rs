//! The run: the only module that spawns tasks.
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
//!   URL back to the dispatcher, to wait in that host's queue likewise. The dispatcher starts, among the hosts
//!   with room, the URL that came first in the input. Its look-ahead is
//!   bounded ([`lookahead`]), which keeps memory flat for any input length;
//!   a list with more than that many URLs of one saturated host in a row
//!   waits for that host once the look-ahead is full.
//! * Parsing runs on the parsing pool ([`ParsePool`]), one thread per
//!   core, never on the reactor; a fetch task keeps its global slot while
//!   it waits to parse, so bodies in memory stay within `--concurrency`.
//! * Shutdown is by dropping: an interrupt or a closed output drops the
//!   dispatcher and its JoinSet, which aborts in-flight requests; their
//!   record senders go with them and the writer drains and returns.
//!
//! We use a JoinSet and a dispatcher rather than `buffer_unordered`, which
//! polls every future on one task (one core) and cannot skip a busy host.

use crate::config::Config;
use crate::extract::{self, Plan};
use crate::fetch::{Chain, Fetched, Fetcher, Step};
use crate::hosts::{HostSlot, Hosts};
use crate::input::Source;
use crate::input::{self, Entry, InputStats, Job, Seen, Skip};
use crate::output::{self, WriterOptions};
use crate::parsing::ParsePool;
use crate::progress::Progress;
use crate::record::{ErrorKind, Record, RecordError};
use crate::report::Reports;
use crate::sitemap::SitemapClient;
use crate::summary::Summary;
use crate::units::StatusSet;
use anyhow::Context;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use url::Url;

/// How a run ended.
pub struct Outcome {
    /// CI reports to finish once the exit status is known.
    pub reports: Option<Reports>,
    /// Counts for the closing summary and the exit status.
    pub summary: Summary,
    /// The output was closed by its reader (`| head`).
    pub closed: bool,
}

/// URLs the dispatcher may hold waiting for their hosts.
pub fn lookahead(concurrency: usize) -> usize {
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
/// Returns once every record is written, or soon after `shutdown`
/// completes; in-flight requests are then dropped, not awaited.
///
/// # Errors
/// An unreadable input file, a failed write, or a client that cannot be
/// built. Per-URL failures are records, not errors.
pub async fn run<W>(
    cfg: Config,
    out: W,
    progress: Progress,
    shutdown: impl Future<Output = ()>,
    done: Seen,
) -> anyhow::Result<Outcome>
where
    W: Write + Send + 'static,
{
    let started = Instant::now();
    let stop = CancellationToken::new();
    let halt = CancellationToken::new();
    let wants_reports = cfg.reports.github.is_some()
        || cfg.reports.junit.is_some()
        || cfg.reports.summary_json.is_some();
    let reports = if wants_reports {
        let r = Reports::new(cfg.reports.clone()).context("cannot start the JUnit report")?;
        Some(Arc::new(std::sync::Mutex::new(r)))
    } else {
        None
    };
    let (hosts, freed) = Hosts::new(cfg.per_host.get());
    let fetcher = Arc::new(Fetcher::new(cfg.fetch_options())?);
    let c = cfg.concurrency.get();
    let cfg_max_failures = cfg.max_failures;
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
        stop: stop.clone(),
        max_failures: cfg.max_failures,
        halt: halt.clone(),
        reports: reports.clone(),
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
        Skip {
            shard: cfg.shard,
            done,
        },
        sitemaps,
    ));

    let (moved_tx, moved) = mpsc::unbounded_channel();
    let dispatcher = Dispatcher {
        fetcher,
        hosts,
        freed,
        entries: entry_rx,
        moved_tx,
        moved,
        records: rec_tx,
        parser: ParsePool::new(parse_threads()).context("cannot start the parsing threads")?,
        ok_status: Arc::new(cfg.ok_status.clone()),
        plan: Arc::new(cfg.plan.clone()),
        concurrency: c,
        lookahead: lookahead(c),
        halt: halt.clone(),
        retry: RetryPolicy {
            retries: cfg.retries,
            max_time: cfg.max_time,
            timeout: cfg.timeout,
        },
    };
    let mut interrupted = false;
    let mut read_error = None;
    tokio::select! {
        res = dispatcher.run() => res?,
        // Dropping the dispatcher (and its JoinSet) aborts in-flight tasks.
        () = shutdown => interrupted = true,
        () = stop.cancelled() => {}
    }
    if interrupted || stop.is_cancelled() || halt.is_cancelled() {
        reader.abort();
    }
    match (&mut reader).await {
        Ok(Err(e)) => read_error = Some(e),
        Ok(Ok(())) => {}
        Err(e) if e.is_cancelled() => {}
        Err(e) => return Err(e).context("the input reader failed"),
    }
    let tally = writer
        .await
        .context("the writer thread failed")?
        .context("cannot write records")?;
    if let Some(e) = read_error {
        return Err(e.into());
    }
    let reports = reports.and_then(|r| Arc::try_unwrap(r).ok()).map(|m| {
        m.into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    });
    Ok(Outcome {
        reports,
        closed: tally.closed,
        summary: Summary {
            read: stats.read.load(Ordering::Relaxed),
            duplicates: stats.duplicates.load(Ordering::Relaxed),
            resumed: stats.resumed.load(Ordering::Relaxed),
            elsewhere: stats.elsewhere.load(Ordering::Relaxed),
            tally,
            elapsed: started.elapsed(),
            interrupted,
            halted_at: halt.is_cancelled().then_some(cfg_max_failures).flatten(),
        },
    })
}

/// Threads that may parse at once: one per core.
fn parse_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// A URL waiting for a slot of its host: a fresh job, or one that a
/// redirect sent on from another host.
struct Pending {
    job: Job,
    chain: Option<Chain>,
}

/// Starts URLs as global and per-host slots allow.
struct Dispatcher {
    fetcher: Arc<Fetcher>,
    hosts: Arc<Hosts>,
    freed: mpsc::UnboundedReceiver<Arc<str>>,
    entries: mpsc::Receiver<Entry>,
    /// Redirects to another host come back here; at most one message per
    /// running task, so the channel needs no bound of its own.
    moved_tx: mpsc::UnboundedSender<Pending>,
    moved: mpsc::UnboundedReceiver<Pending>,
    records: mpsc::Sender<(u64, Record)>,
    parser: ParsePool,
    /// `--max-failures` was reached: start nothing new.
    halt: CancellationToken,
    /// What to extract from each page.
    plan: Arc<Plan>,
    ok_status: Arc<StatusSet>,
    /// `--retries`, `--max-time`, `--timeout`.
    retry: RetryPolicy,
    /// URLs waiting out a backoff before their next attempt: they hold no
    /// slot, and come back through `moved`.
    concurrency: usize,
    lookahead: usize,
}

/// When to try a URL again, and how long to wait first.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Extra attempts at most.
    pub retries: u32,
    /// Deadline for one URL over all attempts and waits.
    pub max_time: Option<Duration>,
    /// `--timeout`: also the cap of a `Retry-After` wait.
    pub timeout: Duration,
}

/// The backoff before attempt `n + 1` starts at this, doubles, and stops
/// growing at [`BACKOFF_CAP`]; the wait is a uniform draw below it (full
/// jitter).
pub const BACKOFF_BASE: Duration = Duration::from_millis(500);
/// The most a backoff waits.
pub const BACKOFF_CAP: Duration = Duration::from_secs(8);

impl RetryPolicy {
    /// How long to wait before trying again after attempt `attempts` ended
    /// as `f`, or `None` when it is not worth another attempt.
    fn delay(
        &self,
        f: &Fetched,
        attempts: u32,
        first: Instant,
        ok: &StatusSet,
        key: &str,
    ) -> Option<Duration> {
        if attempts > self.retries {
            return None;
        }
        let transient = match (&f.error, f.status) {
            (Some((kind, _)), _) => {
                matches!(
                    kind,
                    ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::Io
                )
            }
            (None, Some(status)) => {
                !ok.contains(status) && matches!(status, 408 | 429 | 502 | 503 | 504)
            }
            (None, None) => false,
        };
        if !transient {
            return None;
        }
        let delay = match f.retry_after {
            Some(wait) => wait.min(self.timeout),
            None => {
                let ceiling = BACKOFF_BASE
                    .saturating_mul(1 << (attempts - 1).min(16))
                    .min(BACKOFF_CAP);
                // A uniform draw from a hash of the URL, the attempt and
                // the clock: jitter needs no cryptographic randomness.
                let nanos = first.elapsed().as_nanos() as u64;
                let h = xxhash_rust::xxh3::xxh3_64_with_seed(
                    key.as_bytes(),
                    nanos ^ u64::from(attempts),
                );
                ceiling.mul_f64((h >> 11) as f64 / (1u64 << 53) as f64)
            }
        };
        if let Some(max) = self.max_time
            && first.elapsed() + delay >= max
        {
            return None;
        }
        Some(delay)
    }
}

/// A URL to try again after a wait, without a slot meanwhile.
struct Sleep(Pending, Duration);

/// Jobs waiting for their host, per host, plus the hosts that may start
/// one.
#[derive(Default)]
struct Queues {
    /// Per host, in the order they came (a redirected job goes first: it is
    /// already under way).
    by_host: HashMap<Arc<str>, VecDeque<Pending>>,
    /// Hosts that have waiting jobs and may have room, keyed by the input
    /// position of their first waiting job. Entries can be stale (checked
    /// when popped) or name a full host (dropped when popped; the host
    /// comes back when one of its slots is freed).
    ready: BinaryHeap<Reverse<(u64, Arc<str>)>>,
    /// Jobs in all queues.
    waiting: usize,
}

impl Queues {
    fn push(&mut self, p: Pending, hosts: &Hosts) {
        let host: Arc<str> = Arc::from(p.job.url.host_str().unwrap_or_default());
        let seq = p.job.seq;
        let queue = self.by_host.entry(host.clone()).or_default();
        let first = p.chain.is_some() || queue.is_empty();
        if p.chain.is_some() {
            queue.push_front(p);
        } else {
            queue.push_back(p);
        }
        if first && hosts.has_room(&host) {
            self.ready.push(Reverse((seq, host)));
        }
        self.waiting += 1;
    }

    /// Takes the first waiting job, in input order, whose host has a free
    /// slot, with that slot.
    fn pop(&mut self, hosts: &Arc<Hosts>) -> Option<(Pending, HostSlot)> {
        while let Some(Reverse((seq, host))) = self.ready.pop() {
            let Some(queue) = self.by_host.get_mut(&host) else {
                continue;
            };
            if queue.front().is_none_or(|p| p.job.seq != seq) {
                continue;
            }
            let Some(slot) = hosts.try_acquire(&host) else {
                continue;
            };
            let Some(p) = queue.pop_front() else {
                continue;
            };
            self.waiting -= 1;
            match queue.front() {
                Some(next) => self.ready.push(Reverse((next.job.seq, host))),
                None => {
                    self.by_host.remove(&host);
                }
            }
            return Some((p, slot));
        }
        None
    }

    /// Drops the fresh jobs, keeping those on their way through a redirect.
    fn keep_redirects(&mut self, hosts: &Arc<Hosts>) {
        let old = std::mem::take(self);
        for (_, queue) in old.by_host {
            for p in queue.into_iter().filter(|p| p.chain.is_some()) {
                self.push(p, hosts);
            }
        }
    }

    /// A slot of `host` was freed: its first job may start.
    fn freed(&mut self, host: Arc<str>) {
        if let Some(next) = self.by_host.get(&host).and_then(|q| q.front()) {
            self.ready.push(Reverse((next.job.seq, host)));
        }
    }
}

impl Dispatcher {
    async fn run(mut self) -> anyhow::Result<()> {
        let mut queues = Queues::default();
        let mut input_open = true;
        let mut tasks: JoinSet<Option<Sleep>> = JoinSet::new();
        // URLs waiting out a retry's backoff: they hold no slot, and the
        // run is not over while any sleeps.
        let mut sleepers: JoinSet<Pending> = JoinSet::new();
        let mut halted = false;

        loop {
            if !halted && self.halt.is_cancelled() {
                // Start nothing new; what is in flight finishes, and a URL
                // part-way through a redirect to a busy host is in flight.
                halted = true;
                input_open = false;
                queues.keep_redirects(&self.hosts);
            }
            while tasks.len() < self.concurrency {
                let Some((pending, slot)) = queues.pop(&self.hosts) else {
                    break;
                };
                tasks.spawn(self.task(pending, slot));
            }

            if !input_open && queues.waiting == 0 && tasks.is_empty() && sleepers.is_empty() {
                // A task that redirected elsewhere sent its job on before it
                // ended, so it is in the channel by now.
                match self.moved.try_recv() {
                    Ok(p) => {
                        queues.push(p, &self.hosts);
                        continue;
                    }
                    Err(_) => return Ok(()),
                }
            }
            tokio::select! {
                // Freed slots first: they are what lets waiting URLs start.
                biased;
                Some(host) = self.freed.recv() => queues.freed(host),
                Some(p) = self.moved.recv() => queues.push(p, &self.hosts),
                () = self.halt.cancelled(), if !halted => {}
                Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                    match done {
                        Ok(Some(Sleep(pending, wait))) => {
                            sleepers.spawn(async move {
                                tokio::time::sleep(wait).await;
                                pending
                            });
                        }
                        Ok(None) => {}
                        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                        Err(_) => {}
                    }
                }
                Some(woke) = sleepers.join_next(), if !sleepers.is_empty() => {
                    match woke {
                        Ok(p) => queues.push(p, &self.hosts),
                        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                        Err(_) => {}
                    }
                }
                entry = self.entries.recv(), if input_open && queues.waiting < self.lookahead => {
                    match entry {
                        None => input_open = false,
                        Some(Entry::Done(seq, mut rec)) => {
                            blank_asked(&self.plan, &mut rec);
                            if self.records.send((seq, *rec)).await.is_err() {
                                return Ok(());
                            }
                        }
                        Some(Entry::Fetch(job)) => queues.push(Pending { job, chain: None }, &self.hosts),
                    }
                }
            }
        }
    }

    /// One URL's step: a fetch, then its record, a move to another host's
    /// queue, or a retry to sleep for (returned to the dispatcher, which
    /// keeps the sleepers).
    fn task(
        &self,
        pending: Pending,
        slot: HostSlot,
    ) -> impl Future<Output = Option<Sleep>> + Send + 'static {
        let fetcher = self.fetcher.clone();
        let parser = self.parser.clone();
        let ok_status = self.ok_status.clone();
        let plan = self.plan.clone();
        let records = self.records.clone();
        let moved = self.moved_tx.clone();
        let retry = self.retry;
        async move {
            let Pending { mut job, chain } = pending;
            let fresh = chain.is_none();
            let chain = chain.unwrap_or_else(|| Chain::new(&job.url));
            let first = *job.first_start.get_or_insert_with(Instant::now);
            if fresh {
                job.attempts += 1;
            }
            let step = match retry.max_time {
                None => fetcher.fetch(&job.url, chain, slot).await,
                Some(max) => {
                    let left = max.saturating_sub(first.elapsed());
                    match tokio::time::timeout(left, fetcher.fetch(&job.url, chain, slot)).await {
                        Ok(step) => step,
                        Err(_) => Step::Done(
                            Fetched {
                                error: Some((
                                    ErrorKind::Timeout,
                                    format!(
                                        "the URL outlived --max-time ({}) over {} attempts",
                                        humantime::format_duration(max),
                                        job.attempts
                                    ),
                                )),
                                ..Fetched::default()
                            },
                            first,
                        ),
                    }
                }
            };
            match step {
                Step::Done(fetched, _) => {
                    if let Some(wait) =
                        retry.delay(&fetched, job.attempts, first, &ok_status, &job.line)
                        && let Ok(url) = Url::parse(&job.line)
                    {
                        // Wait without a slot, then start over at the URL
                        // as given (not where a redirect had led).
                        if tracing::enabled!(tracing::Level::DEBUG) {
                            let why = fetched.error.as_ref().map_or_else(
                                || format!("status {}", fetched.status.unwrap_or_default()),
                                |(kind, message)| format!("{}: {message}", kind.as_str()),
                            );
                            tracing::debug!(
                                "{}: attempt {} failed ({why}); attempt {} in {} ms{}",
                                job.line,
                                job.attempts,
                                job.attempts + 1,
                                wait.as_millis(),
                                if fetched.retry_after.is_some() {
                                    " (Retry-After)"
                                } else {
                                    ""
                                }
                            );
                        }
                        job.url = url;
                        return Some(Sleep(Pending { job, chain: None }, wait));
                    }
                    let record = finish(
                        job.line,
                        fetched,
                        first,
                        job.attempts,
                        &ok_status,
                        &plan,
                        &parser,
                    )
                    .await;
                    // The writer only goes away when the run is stopping.
                    let _ = records.send((job.seq, record)).await;
                }
                Step::Elsewhere(next, chain) => {
                    job.url = next;
                    // The dispatcher outlives its tasks.
                    let _ = moved.send(Pending {
                        job,
                        chain: Some(chain),
                    });
                }
            }
            None
        }
    }
}

/// Turns what a fetch got into the record: judges the status and, for
/// HTML, parses the body on the parsing pool.
async fn finish(
    line: String,
    f: Fetched,
    start: Instant,
    attempts: u32,
    ok_status: &StatusSet,
    plan: &Arc<Plan>,
    parser: &ParsePool,
) -> Record {
    let mut error = f.error.map(|(kind, message)| RecordError { kind, message });
    if error.is_none()
        && let Some(status) = f.status
        && !ok_status.contains(status)
    {
        let reason = reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        error = Some(RecordError {
            kind: ErrorKind::HttpStatus,
            message: format!("status {status} {reason}").trim_end().to_owned(),
        });
    }
    let mut found = None;
    let mut unmet = None;
    if let (Some(body), Some(url)) = (f.body, f.final_url.clone()) {
        let ct = f.content_type.clone();
        let job_plan = plan.clone();
        let parsed = parser
            .run(move || {
                let page = extract::extract(&body, ct.as_deref(), &url, &job_plan);
                let unmet = match &page {
                    Ok(None) if job_plan.has_expectations() => {
                        extract::unmet_without_html(&body, ct.as_deref(), &job_plan)
                    }
                    _ => None,
                };
                (page, unmet)
            })
            .await
            .map(|(page, other)| {
                unmet = other;
                page
            });
        match parsed {
            Ok(Ok(x)) => found = x,
            Ok(Err(extract::ParseTimeout)) => {
                let limit = plan
                    .parse_timeout
                    .map(|t| humantime::format_duration(t).to_string())
                    .unwrap_or_default();
                error.get_or_insert(RecordError {
                    kind: ErrorKind::Decode,
                    message: format!(
                        "parsing the page took longer than --timeout ({limit}); \
                         it is too large or too deeply nested"
                    ),
                });
            }
            // A parser bug on one hostile page must not cost the run: the
            // page gets a record that says so.
            Err(_) => {
                error.get_or_insert(RecordError {
                    kind: ErrorKind::Decode,
                    message: "the page could not be parsed (parser failure)".into(),
                });
            }
        }
    }
    let mut record = Record {
        final_url: f.final_url.map(String::from),
        ok: error.is_none(),
        status: f.status,
        content_type: f.content_type,
        bytes: f.bytes,
        elapsed_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
        // An attempt that sent nothing (robots.txt said no) is no attempt.
        attempts: attempts - u32::from(f.unsent && attempts > 0),
        redirects: f.redirects,
        error,
        ..Record::empty(line)
    };
    if let Some(x) = found {
        unmet = unmet.or(x.unmet);
        record.title = x.title;
        record.fields = x.fields.map(Some);
        record.links = x.links.map(Some);
        if let Some(m) = x.meta {
            record.meta = Some(Some(m.meta));
            record.json_ld = Some(Some(m.json_ld));
            record.json_ld_invalid = Some(Some(m.json_ld_invalid));
        }
    }
    // Checks count only on an otherwise good page: a 404 is a 404.
    if record.error.is_none() {
        if let Some(message) = unmet {
            record.error = Some(RecordError {
                kind: ErrorKind::Expectation,
                message,
            });
        } else if let Some(max) = plan.max_latency
            && record.elapsed_ms > u64::try_from(max.as_millis()).unwrap_or(u64::MAX)
        {
            record.error = Some(RecordError {
                kind: ErrorKind::Slow,
                message: format!(
                    "took {} ms, over --max-latency {}",
                    record.elapsed_ms,
                    humantime::format_duration(max)
                ),
            });
        }
        record.ok = record.error.is_none();
    }
    blank_asked(plan, &mut record);
    record
}

/// Gives a record that has no page to read (not HTML, or nothing fetched)
/// a `null` for each part that was asked for, so every record of a run
/// has the same keys.
fn blank_asked(plan: &Plan, rec: &mut Record) {
    if !plan.selections.is_empty() {
        rec.fields.get_or_insert(None);
    }
    if plan.links {
        rec.links.get_or_insert(None);
    }
    if plan.meta {
        rec.meta.get_or_insert(None);
        rec.json_ld.get_or_insert(None);
        rec.json_ld_invalid.get_or_insert(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(retries: u32, max_time: Option<Duration>) -> RetryPolicy {
        RetryPolicy {
            retries,
            max_time,
            timeout: Duration::from_secs(5),
        }
    }

    fn with_status(status: u16) -> Fetched {
        Fetched {
            status: Some(status),
            ..Fetched::default()
        }
    }

    fn with_error(kind: ErrorKind) -> Fetched {
        Fetched {
            error: Some((kind, String::new())),
            ..Fetched::default()
        }
    }

    #[test]
    fn only_transient_failures_are_retried() {
        let p = policy(2, None);
        let ok = StatusSet::default();
        let now = Instant::now();
        for f in [
            with_status(408),
            with_status(429),
            with_status(502),
            with_status(503),
            with_status(504),
            with_error(ErrorKind::Connect),
            with_error(ErrorKind::Timeout),
            with_error(ErrorKind::Io),
        ] {
            assert!(p.delay(&f, 1, now, &ok, "u").is_some(), "{f:?}");
        }
        for f in [
            with_status(200),
            with_status(404),
            with_status(500),
            with_error(ErrorKind::Dns),
            with_error(ErrorKind::Tls),
            with_error(ErrorKind::BodyTooLarge),
        ] {
            assert!(p.delay(&f, 1, now, &ok, "u").is_none(), "{f:?}");
        }
        // Attempts run out; a status the user counts as ok is not retried.
        assert!(p.delay(&with_status(503), 3, now, &ok, "u").is_none());
        let lenient: StatusSet = "200-599".parse().unwrap();
        assert!(p.delay(&with_status(503), 1, now, &lenient, "u").is_none());
    }

    #[test]
    fn backoff_is_jittered_below_a_doubling_ceiling_and_retry_after_is_capped() {
        let p = policy(20, None);
        let ok = StatusSet::default();
        let now = Instant::now();
        for attempts in 1..=10u32 {
            let ceiling = BACKOFF_BASE
                .saturating_mul(1 << (attempts - 1))
                .min(BACKOFF_CAP);
            for key in ["a", "b", "c", "d"] {
                let d = p.delay(&with_status(503), attempts, now, &ok, key).unwrap();
                assert!(d <= ceiling, "{attempts}: {d:?} > {ceiling:?}");
            }
        }
        let mut f = with_status(429);
        f.retry_after = Some(Duration::from_secs(3));
        assert_eq!(p.delay(&f, 1, now, &ok, "u"), Some(Duration::from_secs(3)));
        f.retry_after = Some(Duration::from_secs(3600));
        assert_eq!(
            p.delay(&f, 1, now, &ok, "u"),
            Some(Duration::from_secs(5)),
            "capped by -t"
        );
        // No retry that would end past --max-time.
        let short = policy(20, Some(Duration::from_secs(2)));
        assert!(short.delay(&f, 1, now, &ok, "u").is_none());
    }
}
