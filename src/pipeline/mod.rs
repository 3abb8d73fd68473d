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
mod pool;
mod retry;

use crate::config::Config;
use crate::crawl::CrawlStats;
use crate::crawl::frontier::Frontier;
use crate::error::RunError;
use crate::fetch::Fetcher;
use crate::hosts::Hosts;
use crate::input::{self, Exclusions, InputStats, Seen, Source};
use crate::keys::{CREDENTIALS, Named};
use crate::output::{self, WriterOptions};
use crate::progress::Progress;
use crate::render::Renderer;
use crate::report::Reports;
use crate::revalidate::Previous;
use crate::sitemap::SitemapClient;
use crate::summary::Summary;
use dispatch::{Crawl, Dispatcher};
use judge::Judge;
use pool::ParsePool;
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
    /// `--crawl`'s settings (the default when there is no crawl).
    crawl: Arc<crate::crawl::CrawlOptions>,
    /// The repeat check's set, which a crawled page's links are checked
    /// against before they are judged.
    seen: Arc<std::sync::Mutex<input::Seen>>,
    /// The input's origins, for pages put back by `--resume`.
    named: Named,
    fetcher: Fetcher,
    /// `--revalidate`: the earlier run's records.
    previous: Option<Previous>,
    parser: ParsePool,
    judge: Judge,
    retry: RetryPolicy,
    /// `--warc`: the archive.
    warc: Option<Arc<crate::warc::Warc>>,
    /// `--max-failures`: the fetches' own count of failed records, so that
    /// the run halts before the next URL starts, not once the writer has
    /// caught up (the writer's count, which takes in the records of lines
    /// that need no fetch too, halts it as well).
    failures: Option<Failures>,
}

/// A count of failed records against `--max-failures`.
struct Failures {
    max: u64,
    seen: std::sync::atomic::AtomicU64,
    reached: CancellationToken,
}

impl Failures {
    /// Counts one failed record; at the limit, halts the run.
    fn add(&self) {
        let seen = self.seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if seen >= self.max {
            self.reached.cancel();
        }
    }
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
/// record per distinct URL to `out`; with `previous` (`--revalidate`),
/// conditionally where its records allow.
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
    previous: Option<Previous>,
) -> Result<Outcome, RunError>
where
    W: Write + Send + 'static,
{
    let started = Instant::now();
    match cfg.plan.tree_only_because() {
        None => tracing::debug!(
            "extraction streams each page (no tree): trawl's fast reader, html5ever's tree \
             builder for pages it does not follow, a tree for pages neither answers exactly"
        ),
        Some(why) => tracing::debug!("extraction parses each page into a tree: {why}"),
    }
    let writer_gone = CancellationToken::new();
    let failures_reached = CancellationToken::new();
    let reports = if cfg.reports.wanted() {
        Some(Reports::new(cfg.reports.clone()).map_err(RunError::Report)?)
    } else {
        None
    };
    let (hosts, freed) = Hosts::new(cfg.per_host.get(), cfg.sites.clone());
    let c = cfg.concurrency.get();
    let window = cfg
        .ordered
        .then(|| Arc::new(Semaphore::new(reorder_window(c))));

    // A crawl's total is not known at the start.
    if progress.is_shown() && cfg.crawl.is_none() {
        let (sources, p) = (cfg.inputs.clone(), progress.clone());
        // Counting a big file takes a moment; the bar starts without it.
        tokio::task::spawn_blocking(move || {
            if let Some(n) = input::count_lines(&sources) {
                p.set_total(n);
            }
        });
    }

    let (rec_tx, rec_rx) = mpsc::channel(1024);
    let hung_up = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let opts = WriterOptions {
        ordered: cfg.ordered,
        window: window.clone(),
        progress: progress.clone(),
        writer_gone: writer_gone.clone(),
        max_failures: cfg.max_failures,
        failures_reached: failures_reached.clone(),
        reports,
        changed_only: cfg.changed_only,
        hung_up: hung_up.clone(),
    };
    if cfg.output.is_none() {
        output::watch_stdout(writer_gone.clone(), hung_up);
    }
    let writer = tokio::task::spawn_blocking(move || output::write_all(rec_rx, out, opts));

    let stats = Arc::new(InputStats::default());
    let discover = cfg.crawl.as_ref().is_some_and(|c| c.discover_sitemaps);
    let sitemaps = if discover || cfg.inputs.iter().any(|s| matches!(s, Source::Sitemap(_))) {
        let client = SitemapClient::new(&cfg.client(), cfg.headers.clone(), cfg.timeout).map_err(
            |source| RunError::Client {
                which: "sitemap",
                source,
            },
        )?;
        Some(input::Sitemaps {
            client: Arc::new(client),
            discover,
        })
    } else {
        None
    };
    let (entry_tx, entry_rx) = mpsc::channel(1024);
    // The repeat check's set: the reader's, and the crawl's too.
    let seen = Arc::new(std::sync::Mutex::new(input::Seen::default()));
    let crawl_stats = Arc::new(CrawlStats::default());
    let crawl = match &cfg.crawl {
        Some(opts) => {
            let mut frontier =
                Frontier::new(Arc::new(opts.clone()), seen.clone(), crawl_stats.clone())
                    .map_err(RunError::FrontierFile)?;
            if cfg.resume
                && let Some(path) = &cfg.output
            {
                let n = frontier
                    .rebuild(path, &done)
                    .map_err(|source| RunError::Rebuild {
                        path: path.clone(),
                        source,
                    })?;
                tracing::info!("--resume: {n} pages found earlier are back in the frontier");
            }
            Some(Crawl::new(
                frontier,
                crawl_stats.clone(),
                opts.max_pages,
                cfg.per_host.get(),
            ))
        }
        None => None,
    };
    let warc = match &cfg.warc {
        Some(path) => {
            let fail = |source| RunError::Warc {
                path: path.clone(),
                source,
            };
            if cfg.warc_temp
                && let Some(dir) = path.parent()
            {
                std::fs::create_dir_all(dir).map_err(fail)?;
            }
            // --resume goes on in the archive of the run it resumes, with
            // the captures whose records did not make it cut away.
            let resumed = cfg.resume && !cfg.warc_temp && path.exists();
            let warc = if resumed {
                let (warc, cut) =
                    crate::warc::Warc::resume(path, &cfg.warc_command, cfg.warc_max_size, &|key| {
                        done.contains(key)
                    })
                    .map_err(fail)?;
                if cut > 0 {
                    tracing::info!(
                        "--resume: {cut} URLs' records cut from the archive: their JSON records were not written"
                    );
                }
                warc
            } else {
                crate::warc::Warc::create(path, &cfg.warc_command, cfg.warc_max_size)
                    .map_err(fail)?
            };
            Some(Arc::new(warc))
        }
        None => None,
    };
    // Only pages put back by --resume ask which origins the input names,
    // and only credentials make the answer matter.
    let named = Named::new(
        cfg.resume
            && cfg.crawl.is_some()
            && CREDENTIALS.iter().any(|h| cfg.headers.contains_key(h)),
    );
    let mut reader = tokio::spawn(input::read_all(
        cfg.inputs.clone(),
        entry_tx,
        stats.clone(),
        window,
        progress.clone(),
        Exclusions {
            seen: seen.clone(),
            shard: cfg.shard,
            done,
            named: named.clone(),
        },
        sitemaps,
    ));

    // The browser starts with the first page to render, not here.
    let renderer = cfg.render.clone().map(|o| Arc::new(Renderer::new(o)));
    let shared = Shared {
        crawl: Arc::new(cfg.crawl.clone().unwrap_or_default()),
        seen,
        named,
        fetcher: Fetcher::new(cfg.fetch_options())?,
        parser: ParsePool::new(parse_threads()).map_err(RunError::ParseThreads)?,
        judge: Judge {
            ok_status: cfg.ok_status.clone(),
            plan: Arc::new(cfg.plan.clone()),
            max_latency: cfg.max_latency,
            revalidating: previous.is_some(),
            renderer: renderer.clone(),
            render_all: cfg.render_all,
            sites: cfg.sites.clone(),
            keep_dom: cfg.warc.is_some(),
        },
        previous,
        warc: warc.clone(),
        failures: cfg.max_failures.map(|max| Failures {
            max,
            seen: std::sync::atomic::AtomicU64::new(0),
            reached: failures_reached.clone(),
        }),
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
        crawl,
    };
    let mut interrupted = false;
    let mut frontier_error = None;
    tokio::select! {
        done = dispatcher.run() => frontier_error = done.err(),
        // Dropping the dispatcher (and its JoinSet) aborts in-flight tasks.
        () = interrupt => interrupted = true,
        () = writer_gone.cancelled() => {}
    }
    let stopped = interrupted || writer_gone.is_cancelled() || failures_reached.is_cancelled();
    if stopped || frontier_error.is_some() {
        reader.abort();
    }
    // Every task is done or dropped: no page renders any more.
    if let Some(r) = &renderer {
        r.shutdown().await;
    }
    let read_error = match (&mut reader).await {
        Ok(result) => result.err(),
        Err(e) if e.is_cancelled() => None,
        Err(e) => return Err(RunError::InputTask(e)),
    };
    let (tally, reports) = writer
        .await
        .map_err(RunError::WriterTask)?
        .map_err(RunError::Write)?;
    if let Some(e) = read_error {
        return Err(RunError::Input(e));
    }
    if let Some(e) = frontier_error {
        return Err(RunError::Frontier(e));
    }
    if let (Some(w), Some(path)) = (&warc, &cfg.warc) {
        let finished = w.finish(cfg.cdxj.as_deref(), cfg.wacz.as_deref());
        if cfg.warc_temp
            && let Some(dir) = path.parent()
        {
            let _ = std::fs::remove_dir_all(dir);
        }
        finished.map_err(|source| RunError::Warc {
            path: cfg
                .wacz
                .clone()
                .or_else(|| cfg.cdxj.clone())
                .unwrap_or_else(|| path.clone()),
            source,
        })?;
    }
    let halted_at = failures_reached
        .is_cancelled()
        .then_some(cfg.max_failures)
        .flatten();
    let closed = tally.closed;
    let mut summary = stats.summary(tally, started.elapsed(), interrupted, halted_at);
    if cfg.crawl.is_some() {
        summary.crawl = Some(crawl_stats.counts());
    }
    Ok(Outcome {
        reports,
        closed,
        summary,
    })
}

/// Threads that may parse at once: one per core.
fn parse_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}
