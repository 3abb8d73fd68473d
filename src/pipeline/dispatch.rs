//! The dispatcher: starts URLs as the global bound (`--concurrency`) and
//! their hosts' slots (`--per-host`) allow, in input order among the hosts
//! with room.
//!
//! Everything comes back to it by one path each: a URL that redirected to
//! another host or waits out a retry returns as its task's result; a freed
//! host slot arrives on the `freed` channel (a slot is freed as soon as
//! its request ends, before the page is parsed). The dispatcher never
//! awaits the writer: a record it makes itself (a line that is not a URL)
//! goes to a small forwarding task through a channel of [`BACKLOG`]
//! places; when that is full, the record is held and no more input is read
//! until there is room, so freed slots are served even when the writer is
//! slow. (The forwarder waits in the
//! writer channel's queue like any task, so it is served in turn.)

use super::Shared;
use crate::fetch::{Chain, Fetched, Step};
use crate::hosts::{HostSlot, Hosts};
use crate::input::{Entry, Job};
use crate::record::{ErrorKind, Record};
use crate::revalidate::Prior;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use url::Url;

/// Records of lines that need no fetch that may wait for the writer before
/// the dispatcher stops reading input.
const BACKLOG: usize = 64;

/// A URL waiting for a slot of its host: a fresh job, one that a redirect
/// sent on from another host, or one back from a retry's wait.
pub(super) struct Pending {
    job: Job,
    chain: Option<Chain>,
    /// Its record in the `--revalidate` file, once looked up (`None`: not
    /// yet), kept through retries and redirects.
    prior: Option<Option<Arc<Prior>>>,
}

/// How a task ended.
enum Then {
    /// Its record was sent to the writer.
    Recorded,
    /// Redirected to another host: queue it there.
    Moved(Pending),
    /// Try again after the wait, holding no slot meanwhile.
    Retry(Pending, Duration),
}

/// Starts URLs as global and per-host slots allow.
pub(super) struct Dispatcher {
    pub(super) shared: Arc<Shared>,
    pub(super) hosts: Arc<Hosts>,
    pub(super) freed: mpsc::UnboundedReceiver<Arc<str>>,
    pub(super) entries: mpsc::Receiver<Entry>,
    pub(super) records: mpsc::Sender<(u64, Record)>,
    /// `--max-failures` was reached: start nothing new.
    pub(super) failures_reached: CancellationToken,
    pub(super) concurrency: usize,
    /// URLs that may wait in the host queues.
    pub(super) lookahead: usize,
}

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
    pub(super) async fn run(mut self) {
        let mut queues = Queues::default();
        let mut input_open = true;
        let mut tasks: JoinSet<Then> = JoinSet::new();
        // URLs waiting out a retry's backoff: they hold no slot, and the
        // run is not over while any sleeps.
        let mut sleepers: JoinSet<Pending> = JoinSet::new();
        // Records of lines that need no fetch, on their way to the writer.
        let (backlog, mut forward) = mpsc::channel::<(u64, Record)>(BACKLOG);
        // A record that found the backlog full waits here.
        let mut held: Option<(u64, Record)> = None;
        let records = self.records.clone();
        tokio::spawn(async move {
            while let Some(rec) = forward.recv().await {
                if records.send(rec).await.is_err() {
                    return;
                }
            }
        });
        let mut halted = false;

        loop {
            if !halted && self.failures_reached.is_cancelled() {
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
                tasks.spawn(task(
                    self.shared.clone(),
                    self.records.clone(),
                    pending,
                    slot,
                ));
            }
            if !input_open
                && queues.waiting == 0
                && tasks.is_empty()
                && sleepers.is_empty()
                && held.is_none()
            {
                return;
            }
            let reading = input_open && queues.waiting < self.lookahead && held.is_none();
            tokio::select! {
                // Freed slots first: they are what lets waiting URLs start.
                biased;
                Some(host) = self.freed.recv() => queues.freed(host),
                () = self.failures_reached.cancelled(), if !halted => {}
                Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                    match done {
                        Ok(Then::Recorded) => {}
                        Ok(Then::Moved(p)) => queues.push(p, &self.hosts),
                        Ok(Then::Retry(p, wait)) => {
                            sleepers.spawn(async move {
                                tokio::time::sleep(wait).await;
                                p
                            });
                        }
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
                permit = backlog.reserve(), if held.is_some() => {
                    // Closed means the writer is gone: the run is stopping.
                    let Ok(permit) = permit else { return };
                    if let Some(rec) = held.take() {
                        permit.send(rec);
                    }
                }
                entry = self.entries.recv(), if reading => {
                    match entry {
                        None => input_open = false,
                        Some(Entry::Record(seq, mut rec)) => {
                            self.shared.judge.blank_asked(&mut rec);
                            match backlog.try_send((seq, *rec)) {
                                Ok(()) => {}
                                Err(mpsc::error::TrySendError::Full(rec)) => held = Some(rec),
                                Err(mpsc::error::TrySendError::Closed(_)) => return,
                            }
                        }
                        Some(Entry::Fetch(job)) => {
                            let fresh = Pending { job, chain: None, prior: None };
                            queues.push(fresh, &self.hosts);
                        }
                    }
                }
            }
        }
    }
}

/// One URL's step: a fetch, then its record, a move to another host's
/// queue, or a retry to wait for.
async fn task(
    shared: Arc<Shared>,
    records: mpsc::Sender<(u64, Record)>,
    pending: Pending,
    slot: HostSlot,
) -> Then {
    let Pending {
        mut job,
        chain,
        prior,
    } = pending;
    let prior = match prior {
        Some(known) => known,
        None => look_up(&shared, &job.line).await,
    };
    let fresh = chain.is_none();
    let chain = chain.unwrap_or_else(|| {
        let conditional = prior
            .as_deref()
            .and_then(|p| match p.conditional(&shared.judge.plan) {
                Ok(c) => Some(c),
                Err(why) => {
                    tracing::debug!("{}: full fetch: {why}", job.line);
                    None
                }
            });
        Chain::new(&job.url, conditional)
    });
    let first = *job.first_start.get_or_insert_with(Instant::now);
    if fresh {
        job.attempts += 1;
    }
    let fetch = shared.fetcher.fetch(&job.url, chain, slot);
    let step = match shared.retry.max_time {
        None => fetch.await,
        Some(max) => {
            let left = max.saturating_sub(first.elapsed());
            tokio::time::timeout(left, fetch).await.unwrap_or_else(|_| {
                Step::Done(Fetched {
                    error: Some((
                        ErrorKind::Timeout,
                        format!(
                            "the URL outlived --max-time ({}) over {} attempts",
                            humantime::format_duration(max),
                            job.attempts
                        ),
                    )),
                    ..Fetched::default()
                })
            })
        }
    };
    let fetched = match step {
        Step::Done(fetched) => fetched,
        Step::Elsewhere(next, chain) => {
            job.url = next;
            return Then::Moved(Pending {
                job,
                chain: Some(chain),
                prior: Some(prior),
            });
        }
    };
    if let Some(wait) = shared.retry.delay(
        &fetched,
        job.attempts,
        first,
        &shared.judge.ok_status,
        &job.line,
    ) && let Ok(url) = Url::parse(&job.line)
    {
        // Start over at the URL as given (not where a redirect had led).
        log_retry(&job, &fetched, wait);
        job.url = url;
        return Then::Retry(
            Pending {
                job,
                chain: None,
                prior: Some(prior),
            },
            wait,
        );
    }
    let record = shared
        .judge
        .record(
            job.line,
            fetched,
            first,
            job.attempts,
            &shared.parser,
            prior.as_deref(),
        )
        .await;
    // The writer only goes away when the run is stopping.
    let _ = records.send((job.seq, record)).await;
    Then::Recorded
}

/// The record `line` has in the `--revalidate` file, if any, read off the
/// reactor. A file that cannot be read back costs the URL its conditional
/// request, not its record.
async fn look_up(shared: &Arc<Shared>, line: &str) -> Option<Arc<Prior>> {
    shared.previous.as_ref()?;
    let key = crate::resume::key_of(line)?;
    let shared = shared.clone();
    let found = tokio::task::spawn_blocking(move || {
        let previous = shared.previous.as_ref()?;
        previous
            .get(&key)
            .map_err(|e| {
                tracing::warn!(
                    "cannot read {} back: {e}; fetching {key} in full",
                    previous.path().display()
                );
            })
            .ok()
            .flatten()
    })
    .await
    .ok()
    .flatten();
    if found.is_none() {
        tracing::debug!("{line}: no earlier record");
    }
    found.map(Arc::new)
}

/// `-vv`: why a URL is tried again, and when.
fn log_retry(job: &Job, fetched: &Fetched, wait: Duration) {
    if !tracing::enabled!(tracing::Level::DEBUG) {
        return;
    }
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
