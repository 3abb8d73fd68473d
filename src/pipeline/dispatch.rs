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
//! slow. (The forwarder waits in the writer channel's queue like any task,
//! so it is served in turn.)
//!
//! In a crawl, the links a page found come back with its task's result and
//! go to the [`Frontier`]; once the input is read, the pages found are read
//! back from it, lowest depth first, into the same host queues, numbered
//! on from the input's last line, so they meet the same `--per-host`, rate
//! and robots.txt limits as listed URLs, and a host with many pages found
//! holds back no other.

use super::Shared;
use crate::crawl::frontier::{Found, Frontier};
use crate::crawl::{CrawlStats, Lineage};
use crate::fetch::{Chain, Fetched, Step};
use crate::hosts::{HostSlot, Hosts};
use crate::input::{Entry, Job, Seen};
use crate::record::{ErrorKind, Part, Record};
use crate::revalidate::Prior;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::io;
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
    /// In a crawl, where the page comes from.
    lineage: Option<Box<Lineage>>,
}

impl Pending {
    /// Started already: redirected from another host, or due for a retry.
    fn under_way(&self) -> bool {
        self.chain.is_some() || self.job.attempts > 0
    }
}

/// How a task ended.
enum Then {
    /// Its record was sent to the writer; in a crawl, with what the page
    /// found.
    Recorded(Option<Box<Found>>),
    /// A page the crawl found that robots.txt refuses: counted, no record.
    Refused,
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
    /// `--crawl`.
    pub(super) crawl: Option<Crawl>,
}

/// The state of a crawl.
pub(super) struct Crawl {
    frontier: Frontier,
    stats: Arc<CrawlStats>,
    /// `--max-pages`.
    max_pages: Option<u64>,
    /// Pages started (not counting those robots.txt refused).
    started: u64,
    /// `--max-pages` is reached and nothing is in flight: what is left is
    /// counted, not fetched.
    cut: bool,
    /// The `seq` of the next page found.
    next_seq: u64,
    /// Pages found that may wait in one host's queue: past that, the
    /// frontier is read past that host's pages.
    host_queue: usize,
}

impl Crawl {
    pub(super) fn new(
        frontier: Frontier,
        stats: Arc<CrawlStats>,
        max_pages: Option<u64>,
        per_host: usize,
    ) -> Crawl {
        Crawl {
            frontier,
            stats,
            max_pages,
            started: 0,
            cut: false,
            next_seq: 0,
            host_queue: (per_host * 4).max(64),
        }
    }

    /// `--max-pages` pages are started.
    fn full(&self) -> bool {
        self.max_pages.is_some_and(|n| self.started >= n)
    }

    /// Moves pages of the frontier into the host queues while they have
    /// room. Tells whether it queued any.
    fn feed(&mut self, queues: &mut Queues, hosts: &Hosts, lookahead: usize) -> io::Result<bool> {
        let mut fed = false;
        while queues.waiting < lookahead {
            let cap = self.host_queue;
            let room = |host: &str| queues.by_host.get(host).is_none_or(|q| q.len() < cap);
            let Some(d) = self.frontier.next_for(&room)? else {
                break;
            };
            let job = Job {
                seq: self.next_seq,
                line: d.line,
                url: d.url,
                attempts: 0,
                first_start: None,
                keys: d.lineage.keys.clone(),
                request: None,
            };
            self.next_seq += 1;
            CrawlStats::add(&self.stats.found);
            let lineage = Some(Box::new(d.lineage));
            queues.push(
                Pending {
                    job,
                    chain: None,
                    prior: None,
                    lineage,
                },
                hosts,
            );
            fed = true;
        }
        Ok(fed)
    }
}

/// Jobs waiting for their host, per host, plus the hosts that may start
/// one.
#[derive(Default)]
struct Queues {
    /// Per host, in the order they came, except that a job already under
    /// way (redirected here, or due for a retry) goes first: a host with a
    /// long list must not hold a URL's next attempt back behind every new
    /// URL of it.
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
        let under_way = p.under_way();
        let first = under_way || queue.is_empty();
        if under_way {
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

    /// Drops the fresh jobs, keeping those under way (through a redirect,
    /// or due for a retry).
    fn keep_under_way(&mut self, hosts: &Arc<Hosts>) {
        let old = std::mem::take(self);
        for (_, queue) in old.by_host {
            for p in queue.into_iter().filter(Pending::under_way) {
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
    pub(super) async fn run(mut self) -> io::Result<()> {
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
                queues.keep_under_way(&self.hosts);
            }
            loop {
                let mut fed = false;
                if let Some(c) = &mut self.crawl
                    && !halted
                {
                    if c.full() && tasks.is_empty() && sleepers.is_empty() {
                        c.cut = true;
                    }
                    // The seeds first: pages found wait for the input's end.
                    if !input_open {
                        c.frontier.input_done()?;
                        fed = c.feed(&mut queues, &self.hosts, self.lookahead)?;
                    }
                }
                self.start(&mut queues, &mut tasks);
                if !fed {
                    break;
                }
            }
            let crawled = halted || self.crawl.as_ref().is_none_or(|c| c.frontier.is_empty());
            if !input_open
                && queues.waiting == 0
                && tasks.is_empty()
                && sleepers.is_empty()
                && held.is_none()
                && crawled
            {
                return Ok(());
            }
            let reading = input_open && queues.waiting < self.lookahead && held.is_none();
            tokio::select! {
                // Freed slots first: they are what lets waiting URLs start.
                biased;
                Some(host) = self.freed.recv() => queues.freed(host),
                () = self.failures_reached.cancelled(), if !halted => {}
                Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                    match done {
                        Ok(Then::Recorded(found)) => {
                            if let (Some(c), Some(found)) = (&mut self.crawl, found) {
                                c.frontier.discover(*found)?;
                            }
                        }
                        Ok(Then::Refused) => {
                            if let Some(c) = &mut self.crawl {
                                c.started = c.started.saturating_sub(1);
                                CrawlStats::add(&c.stats.robots);
                            }
                        }
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
                    let Ok(permit) = permit else { return Ok(()) };
                    if let Some(rec) = held.take() {
                        permit.send(rec);
                    }
                }
                entry = self.entries.recv(), if reading => {
                    match entry {
                        None => input_open = false,
                        Some(Entry::Record(seq, mut rec)) => {
                            if let Some(c) = &mut self.crawl {
                                c.next_seq = c.next_seq.max(seq + 1);
                                rec.depth = Some(0);
                                rec.parent = Part::Null;
                            }
                            self.shared.judge.blank_asked(&mut rec);
                            match backlog.try_send((seq, *rec)) {
                                Ok(()) => {}
                                Err(mpsc::error::TrySendError::Full(rec)) => held = Some(rec),
                                Err(mpsc::error::TrySendError::Closed(_)) => return Ok(()),
                            }
                        }
                        Some(Entry::Fetch(job)) => {
                            let lineage = self.crawl.as_mut().map(|c| {
                                c.next_seq = c.next_seq.max(job.seq + 1);
                                Box::new(c.frontier.seed(&job.url, job.keys.clone()))
                            });
                            let fresh = Pending { job, chain: None, prior: None, lineage };
                            queues.push(fresh, &self.hosts);
                        }
                    }
                }
            }
        }
    }

    /// Starts waiting URLs while global and host slots allow, and
    /// `--max-pages`: past it, a crawl starts no new page, and once nothing
    /// is in flight it counts what is left instead.
    fn start(&mut self, queues: &mut Queues, tasks: &mut JoinSet<Then>) {
        while tasks.len() < self.concurrency {
            let (full, cut) = self
                .crawl
                .as_ref()
                .map_or((false, false), |c| (c.full(), c.cut));
            if full && !cut {
                break;
            }
            let Some((pending, slot)) = queues.pop(&self.hosts) else {
                break;
            };
            let fresh = pending.chain.is_none() && pending.job.attempts == 0;
            if let Some(c) = &mut self.crawl
                && fresh
            {
                if cut {
                    CrawlStats::add(&c.stats.cut);
                    continue;
                }
                c.started += 1;
            }
            tasks.spawn(task(
                self.shared.clone(),
                self.records.clone(),
                pending,
                slot,
            ));
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
        lineage,
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
        let keys = shared.named.resolve(job.keys.clone(), &job.url);
        Chain::new(keys, conditional, job.request.clone())
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
    let mut fetched = match step {
        Step::Done(fetched) => fetched,
        Step::Elsewhere(next, chain) => {
            job.url = next;
            return Then::Moved(Pending {
                job,
                chain: Some(chain),
                prior: Some(prior),
                lineage,
            });
        }
    };
    // A POST or PATCH that may have reached the server is not sent
    // again: only a refused connection, a 429 or a 503 says it was not
    // acted on.
    let repeatable = job.request.as_ref().is_none_or(|r| {
        crate::request::idempotent(&r.method)
            || matches!(
                fetched.error,
                Some((ErrorKind::Connect | ErrorKind::Dns, _))
            )
            || (fetched.error.is_none() && matches!(fetched.status, Some(429 | 503)))
    });
    if repeatable
        && let Some(wait) = shared.retry.delay(
            &fetched,
            job.attempts,
            first,
            &shared.judge.ok_status,
            &job.line,
        )
        && let Ok(url) = Url::parse(&job.line)
    {
        // Start over at the URL as given (not where a redirect had led).
        log_retry(&job, &fetched, wait);
        job.url = url;
        return Then::Retry(
            Pending {
                job,
                chain: None,
                prior: Some(prior),
                lineage,
            },
            wait,
        );
    }
    let found_later = lineage.as_ref().is_some_and(|l| l.depth > 0);
    if found_later
        && fetched.unsent
        && matches!(fetched.error, Some((ErrorKind::RobotsDisallowed, _)))
    {
        return Then::Refused;
    }
    let redirected_to = (fetched.redirects > 0)
        .then(|| fetched.final_url.clone())
        .flatten();
    let captures = std::mem::take(&mut fetched.captures);
    let mut record = shared
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
    if let Some(request) = &job.request {
        record.method = Some(request.method.to_string());
        record.body_hash.clone_from(&request.body_hash);
    }
    let found = lineage.map(|l| {
        record.depth = Some(l.depth);
        record.parent = Part::or_null(l.parent.clone());
        let follow = record.follow.value().cloned().unwrap_or_default();
        let links = if l.external {
            Vec::new()
        } else if shared.crawl.follow_only {
            unseen(Some(&follow), &shared.seen)
        } else {
            let mut links = record.links.value().cloned().unwrap_or_default();
            links.extend(follow.iter().cloned());
            unseen(Some(&links), &shared.seen)
        };
        Box::new(Found::new(
            *l,
            record.url.clone(),
            redirected_to,
            links,
            &follow,
            &shared.crawl,
        ))
    });
    if let Some(warc) = &shared.warc {
        let refers = prior.as_deref().and_then(|p| {
            let url = p.final_url.clone().unwrap_or_else(|| p.url.clone());
            Some(crate::warc::Refers {
                uri: url,
                date: p.fetched_at.clone()?,
                not_modified: record.not_modified == Some(true),
                unchanged: record.changed == Part::Value(false),
            })
        });
        let dom = record.dom.take();
        if let Ok(json) = serde_json::to_string(&record) {
            let url = crate::warc::UrlCapture {
                captures,
                record: json,
                refers,
                dom,
                page: crate::warc::Page::of(&record),
            };
            archive(warc, url).await;
        }
    }
    // Counted before the task ends and frees its place: the next URL
    // would start in it.
    if let Some(f) = &shared.failures
        && record.error.is_some()
    {
        f.add();
    }
    // The writer only goes away when the run is stopping.
    let _ = records.send((job.seq, record)).await;
    Then::Recorded(found)
}

/// Writes one URL's exchanges and its record to the archive, off the
/// reactor (gzip and the disk). A write that fails is reported once a
/// URL; the records go on.
async fn archive(warc: &Arc<crate::warc::Warc>, url: crate::warc::UrlCapture) {
    let warc = warc.clone();
    let written = tokio::task::spawn_blocking(move || warc.write_url(url)).await;
    if let Ok(Err(e)) = written {
        tracing::error!("cannot write to the archive: {e}");
    }
}

/// The links of a crawled page not in the seen-set yet. A link in it is
/// either fetched already or queued, or was counted when first skipped, so
/// the frontier would do nothing with it: on a site whose pages share
/// their navigation, that is nearly every link, and each would otherwise
/// be parsed again as a URL and judged. The links are absolute and
/// serialised, so the part before `#` is their key.
fn unseen(links: Option<&Vec<String>>, seen: &std::sync::Mutex<Seen>) -> Vec<String> {
    let Some(links) = links else {
        return Vec::new();
    };
    let seen = seen
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    links
        .iter()
        .filter(|link| !seen.contains(link.split('#').next().unwrap_or(link)))
        .cloned()
        .collect()
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
