//! The errors that end a run before its time. A URL that fails is a
//! record, never one of these; these are what keeps the run itself from
//! going on, each a kind a caller can match, with what caused it.

use std::io;
use std::path::PathBuf;

/// Why a run could not start, or could not finish writing.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The HTTP client (or the robots.txt or sitemap client) cannot be
    /// built: the TLS back end could not be set up.
    #[error("cannot build the {which} client: {source}")]
    Client {
        which: &'static str,
        source: reqwest::Error,
    },
    /// A report file (`--junit`, `--summary-json`, GitHub's) cannot be
    /// opened.
    #[error("cannot start the JUnit report: {0}")]
    Report(io::Error),
    /// The crawl's frontier file cannot be made.
    #[error("cannot make the crawl's frontier file: {0}")]
    FrontierFile(io::Error),
    /// `--resume` of a crawl: its frontier cannot be rebuilt from the
    /// output file.
    #[error("cannot rebuild the crawl from {}: {source}", path.display())]
    Rebuild { path: PathBuf, source: io::Error },
    /// The crawl's frontier file failed during the run.
    #[error("the crawl's frontier file failed: {0}")]
    Frontier(io::Error),
    /// `--warc`: the archive cannot be created or written.
    #[error("cannot write the archive {}: {source}", path.display())]
    Warc { path: PathBuf, source: io::Error },
    /// The OS refused a parsing thread.
    #[error("cannot start the parsing threads: {0}")]
    ParseThreads(io::Error),
    /// An input (a file, stdin, a sitemap) could not be read.
    #[error("{0}")]
    Input(io::Error),
    /// The input reader's task ended abnormally.
    #[error("the input reader failed: {0}")]
    InputTask(tokio::task::JoinError),
    /// The writer's thread ended abnormally.
    #[error("the writer thread failed: {0}")]
    WriterTask(tokio::task::JoinError),
    /// Records could not be written.
    #[error("cannot write records: {0}")]
    Write(io::Error),
}

impl RunError {
    /// For `map_err`: the `which` client could not be built.
    pub(crate) fn client(which: &'static str) -> impl FnOnce(reqwest::Error) -> RunError {
        move |source| RunError::Client { which, source }
    }
}
