//! The integration tests: one binary, so that the network stack the test
//! servers need (axum, hyper, rustls) is linked once rather than once per
//! file. Each module drives the real `trawl` binary against servers that
//! `support` starts on 127.0.0.1.

mod support;

mod archive;
mod checks;
mod cli;
mod content;
mod crawl;
mod credentials;
mod deploy;
mod docs;
mod extract;
mod help;
mod hostile;
mod input;
mod logs;
mod politeness;
mod render;
mod revalidate;
mod scale;
mod schema;
mod sites;
mod tls;
