//! trawl fetches many web pages at once and streams one JSON record per URL.
//!
//! ```text
//!  URL list ─▶ input ─▶ pipeline (dispatcher, per-host slots) ─▶ fetch
//!                                                                  │
//!                 stdout / -o FILE ◀── output ◀── record ◀── extract (parse pool)
//! ```
//!
//! # Layout
//! * [`config`]: the checked settings of a run, and the value parsers.
//! * [`input`]: reads URL lists lazily, validates and de-duplicates lines.
//! * [`hosts`]: per-host slots (`--per-host`).
//! * [`fetch`]: one attempt at one URL, redirects, the capped body, and
//!   the classification of failures.
//! * [`charset`]: which text encoding a body is in.
//! * [`extract`]: charset sniffing and the title; the only user of scraper.
//! * [`robots`]: `--robots`, robots.txt per origin, and its Crawl-delay.
//! * [`resume`]: `--resume`, reading and repairing an earlier output file.
//! * [`sitemap`]: `--sitemap`, URLs from sitemaps and sitemap indexes.
//! * [`shard`]: `--shard`, which part of the list a run takes.
//! * [`report`]: CI reports: GitHub annotations and step summary, JUnit, summary JSON.
//! * [`rate`]: `--rate`, `--host-rate`, `--burst`.
//! * [`record`]: the JSON Lines record and its error kinds.
//! * [`parsing`]: the pool of threads that parse pages.
//! * [`output`]: the single writer, the tallies and the summary.
//! * [`progress`]: the progress display on stderr.
//! * [`logging`]: `-v` logs through `tracing`, written above the progress bar.
//! * [`pipeline`]: spawns the fetch tasks and ties the rest together (the
//!   parse pool and the sitemap reader run their own threads).
//!
//! The command line lives in the binary (`src/cli.rs`), so this library
//! never sees clap.

pub mod config;
pub mod content;
pub mod fetch;
pub mod hosts;
pub mod http;
pub mod input;
pub mod logging;
pub mod output;
pub mod page;
pub mod pipeline;
pub mod progress;
pub mod rate;
pub mod record;
pub mod report;
pub mod resume;
pub mod robots;
pub mod shard;
pub mod sitemap;
pub mod summary;
pub mod units;
