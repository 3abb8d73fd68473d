//! Test support: a real HTTP server on loopback with fixture pages and
//! fault routes, that counts what it sees; and helpers to run the binary.
//!
//! - `server`: the server, and what it records of each request;
//! - `routes`: its pages and faults at the HTTP level;
//! - `faults`: faults below HTTP (resets, close-delimited and cut-short
//!   bodies, a raw TCP server, an unreachable host);
//! - `run`: running the trawl binary;
//! - `records`: decoding records and validating them against the schema;
//! - `site`: a generated web site for the crawl tests, and its model.
//!
//! Every test binary compiles all of it and uses a part, so what tests
//! call is `#[allow(dead_code)]`: `run` and `records` whole, and in the
//! other modules only what tests use. Such an item also keeps alive
//! all it reaches, so a private helper nothing reaches (a route handler
//! left out of the router, say) still warns.

mod faults;
mod records;
mod routes;
mod run;
mod server;
pub mod site;

// What tests use, by name; each test binary uses only some of it.
#[allow(unused_imports)]
pub use faults::{blackhole, raw_server};
#[allow(unused_imports)]
pub use records::{by_url, kind, record, records, schema, validate};
#[allow(unused_imports)]
pub use routes::{fixture, prepare_bomb};
#[allow(unused_imports)]
pub use run::{isolate, run, signal, trawl, wait_exit};
#[allow(unused_imports)]
pub use server::{Server, Span};
