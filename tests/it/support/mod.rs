//! Test support: a real HTTP server on loopback with fixture pages and
//! fault routes, that counts what it sees; and helpers to run the binary.
//!
//! - `server`: the server, and what it records of each request;
//! - `routes`: its pages and faults at the HTTP level;
//! - `faults`: faults below HTTP (resets, close-delimited and cut-short
//!   bodies, a raw TCP server, an unreachable host);
//! - `run`: running the trawl binary;
//! - `records`: decoding records and validating them against the schema;
//! - `proxy`: a forwarding HTTP proxy that counts what it forwards;
//! - `site`: a generated web site for the crawl tests, and its model.
//!
//! The tests are one binary (`tests/it/main.rs`), so a helper no test
//! uses warns as dead code.

mod faults;
mod proxy;
mod records;
mod routes;
mod run;
mod server;
pub mod site;

pub use faults::{blackhole, raw_server};
pub use proxy::Proxy;
pub use records::{by_url, kind, record, records, schema, validate};
pub use routes::{fixture, prepare_bomb};
pub use run::{isolate, run, signal, trawl, wait_exit};
pub use server::{Server, Span};
