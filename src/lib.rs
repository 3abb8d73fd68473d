//! trawl fetches many web pages at once and streams one JSON record per URL.
//!
//! ```text
//!  URL list ─▶ input ─▶ pipeline (dispatcher, per-host slots) ─▶ fetch
//!                                                                  │
//!                 stdout / -o FILE ◀── output ◀── record ◀── page (parse pool)
//! ```
//!
//! # Layout
//! Dependencies point one way: the binary's `cli` builds a [`Config`];
//! `pipeline` runs it over `input`, `fetch` (with `http`, `hosts`, `rate`,
//! `robots`) and the page engine (the `trawl-page` crate, on the parse
//! pool); records go through `output` to `report` and
//! `progress`. No module below `config` imports it: each receives the few
//! values it needs.
//! * `config`: the checked settings of a run.
//! * `units`: durations, sizes, status lists, failure allowances.
//! * `input`: reads URL lists lazily, validates and de-duplicates lines.
//! * `sitemap`: `--sitemap`, URLs from sitemaps and sitemap indexes.
//! * `crawl`: `--crawl`, its scope and filters, and its frontier on disk.
//! * `shard`: `--shard`, which part of the list a run takes.
//! * `resume`: `--resume`, reading and repairing an earlier output file.
//! * `outfile`: reading trawl's own output back, a line at a time.
//! * `revalidate`: `--revalidate`, an earlier output file as the cache:
//!   its index, and what its records allow.
//! * `pipeline`: the dispatcher, retries, the parse pool, and judging a
//!   fetch into a record.
//! * `hosts`: per-host slots (`--per-host`).
//! * `fetch`: one attempt at one URL, its redirects and its capped body.
//! * `keys`: which origin may receive the user's credentials.
//! * `http`: what every client shares: settings, capped reads, error kinds.
//! * `rate`: `--rate`, `--host-rate`, `--burst`.
//! * `robots`: `--robots`, robots.txt per origin, and its Crawl-delay.
//! * `record`: the JSON Lines record and its error kinds.
//! * `render`: `--render`, pages rendered in headless Chromium.
//! * `output`: the single writer; `summary`: its tallies and the summary.
//! * `report`: CI reports: GitHub annotations and step summary, JUnit, JSON.
//! * `progress`: the progress display; `logging`: `-v` logs above it.
//!
//! The command line lives in the binary (`src/cli.rs`), so this library
//! never sees clap. What the binary needs is re-exported below; the
//! modules themselves are private.

mod config;
mod cookies;
mod crawl;
mod error;
mod fetch;
mod hosts;
mod http;
mod input;
mod keys;
mod logging;
mod outfile;
mod output;
mod pipeline;
mod progress;
mod proxy;
mod rate;
mod record;
mod render;
mod report;
mod request;
mod resume;
mod revalidate;
mod robots;
mod shard;
mod sitemap;
pub mod sites;
mod summary;
mod units;
mod wacz;
mod warc;

#[cfg(test)]
mod testing;

pub use config::Config;
pub use cookies::Jar;
pub use crawl::{CrawlOptions, Filters, Scope, follow_selections};
pub use error::RunError;
pub use input::Source;
pub use keys::redact;
pub use logging::{ColorWhen, colour as log_colour, init as init_logging};
pub use pipeline::{Outcome, run};
pub use progress::{Progress, ProgressWhen};
pub use proxy::{ProxyUrl, Rotate, read_file as read_proxy_file};
pub use rate::Rate;
pub use render::{RenderOptions, RenderWait, find_browser};
pub use report::{ReportOptions, github_from_env};
pub use resume::{Resumed, append as resume_append, prepare as resume_prepare};
pub use revalidate::Previous;
pub use shard::{Shard, ShardBy};
pub use trawl_page::Plan;
pub use trawl_page::select::{Expect, Selection};
pub use units::{Allowance, StatusSet, parse_duration, parse_size};
