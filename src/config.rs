//! The validated, typed settings of one run.
//!
//! `Config` is built by the CLI once every flag has parsed; nothing in the
//! pipeline re-validates it. It gathers the option types of the parts it
//! configures; none of those parts imports it: each receives the few
//! values it needs. This module knows nothing of clap.

use crate::crawl::CrawlOptions;
use crate::fetch::FetchOptions;
use crate::http::ClientOptions;
use crate::input::Source;
use crate::progress::ProgressWhen;
use crate::rate::Rate;
use crate::render::RenderOptions;
use crate::report::ReportOptions;
use crate::shard::Shard;
use crate::units::{Allowance, StatusSet};
use reqwest::header::HeaderMap;
use std::num::{NonZeroU32, NonZeroUsize};
use std::path::PathBuf;
use std::time::Duration;
use trawl_page::Plan;

/// Everything a run needs, already checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where URLs come from, in the order they are read.
    pub inputs: Vec<Source>,
    /// Requests in flight at most, over all hosts.
    pub concurrency: NonZeroUsize,
    /// Requests in flight at most to one host.
    pub per_host: NonZeroUsize,
    /// Deadline for one attempt: connect, redirects, headers and body.
    pub timeout: Duration,
    /// Deadline for DNS, TCP and TLS of one connection.
    pub connect_timeout: Duration,
    /// Body bytes read at most, after decompression.
    pub max_body: u64,
    /// Redirects followed at most.
    pub max_redirects: u32,
    /// The User-Agent header.
    pub user_agent: String,
    /// Extra request headers, in the order given.
    pub headers: HeaderMap,
    /// `--cookies`/`--cookie-jar`: the run's cookies; `None`: none kept.
    pub jar: Option<std::sync::Arc<crate::cookies::Jar>>,
    /// `--cookie-jar`: where the cookies go when the run ends.
    pub cookie_jar: Option<PathBuf>,
    /// `--proxy` and `--proxy-file`, in the order given.
    pub proxies: Vec<crate::proxy::ProxyUrl>,
    /// `--proxy-rotate`.
    pub rotate: crate::proxy::Rotate,
    /// `--config`'s `[[site]]` rules.
    pub sites: std::sync::Arc<crate::sites::Sites>,
    /// `--warc`: the archive to write.
    pub warc: Option<PathBuf>,
    /// The command line for the archive's `warcinfo`, secrets masked.
    pub warc_command: String,
    /// `--warc-max-size`: past it, the archive goes on in the next file.
    pub warc_max_size: Option<u64>,
    /// `--cdxj`: the archive's index.
    pub cdxj: Option<PathBuf>,
    /// `--wacz`: the package.
    pub wacz: Option<PathBuf>,
    /// `--wacz` without `--warc`: `warc` is a file of ours, in a directory
    /// of its own, removed once packed.
    pub warc_temp: bool,
    /// `--render` for the URLs no rule says otherwise of (`render` is
    /// also set when only a rule turns rendering on).
    pub render_all: bool,
    /// Accept invalid TLS certificates and host names.
    pub insecure: bool,
    /// `--cacert`: trust anchors beside the system's.
    pub ca_certs: Vec<reqwest::Certificate>,
    /// Where records go; `None` is stdout.
    pub output: Option<PathBuf>,
    /// Write records in input order.
    pub ordered: bool,
    /// Whether to draw the progress bar.
    pub progress: ProgressWhen,
    /// No progress bar and no summary.
    pub quiet: bool,
    /// Statuses that count as ok.
    pub ok_status: StatusSet,
    /// What to extract from each page besides the title.
    pub plan: Plan,
    /// Append to `output`, skipping the URLs it already has.
    pub resume: bool,
    /// Only this part of the list.
    pub shard: Option<Shard>,
    /// Start no new URL once this many records are not ok.
    pub max_failures: Option<u64>,
    /// Exit 0 while the records that are not ok stay within this.
    pub allow_failures: Option<Allowance>,
    /// `--max-latency`: a page slower than this fails as `slow`.
    pub max_latency: Option<Duration>,
    /// CI reports.
    pub reports: ReportOptions,
    /// Requests started at most, over all hosts.
    pub rate: Option<Rate>,
    /// Requests started at most, to each host.
    pub host_rate: Option<Rate>,
    /// Tokens a rate limit may spend at once.
    pub burst: NonZeroU32,
    /// Extra attempts on transient failures.
    pub retries: u32,
    /// Deadline for one URL over all its attempts and waits.
    pub max_time: Option<Duration>,
    /// Obey robots.txt.
    pub robots: bool,
    /// `--revalidate`: an earlier run's output, to make requests
    /// conditional on.
    pub revalidate: Option<PathBuf>,
    /// `--changed-only`: write no record of an unchanged page.
    pub changed_only: bool,
    /// `--render`: render ok HTML pages in this browser.
    pub render: Option<RenderOptions>,
    /// `--crawl`: follow links, and how.
    pub crawl: Option<CrawlOptions>,
}

impl Config {
    /// The settings every HTTP client of the run shares.
    pub fn client(&self) -> ClientOptions {
        ClientOptions {
            user_agent: self.user_agent.clone(),
            connect_timeout: self.connect_timeout,
            insecure: self.insecure,
            ca_certs: self.ca_certs.clone(),
            proxies: self.proxies.clone(),
        }
    }

    /// What the page fetcher needs.
    pub fn fetch_options(&self) -> FetchOptions {
        FetchOptions {
            client: self.client(),
            headers: self.headers.clone(),
            jar: self.jar.clone(),
            rotate: self.rotate,
            sites: self.sites.clone(),
            raw: self.warc.is_some(),
            per_host: self.per_host.get(),
            timeout: self.timeout,
            max_body: self.max_body,
            max_redirects: self.max_redirects,
            keep_every_body: self.plan.has_expectations(),
            rate: self.rate,
            host_rate: self.host_rate,
            burst: self.burst,
            robots: self.robots,
            robots_anywhere: self.robots || self.sites.any_robots(),
        }
    }
}
