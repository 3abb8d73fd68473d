//! The URL list: reads the sources lazily, line by line, and turns each
//! line into a job to fetch or a record of why it cannot be fetched.
//!
//! It owns line handling (trimming, comments, over-long lines, invalid
//! UTF-8), URL validation and de-duplication. It does not fetch, and it never
//! holds more than one line of a source in memory: the bounded channel it
//! feeds is what paces it.

use crate::keys::{Keys, Named};
use crate::progress::Progress;
use crate::record::{ErrorKind, Record};
use crate::request::Request;
use crate::shard::Shard;
use crate::sitemap::{self, Sitemap, SitemapClient};
use crate::summary::{Summary, Tally};
use std::io::{self, BufRead};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader};
use tokio::sync::{Semaphore, mpsc};
use url::Url;

/// One place URLs are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A URL given on the command line.
    Arg(String),
    /// A file of URLs, one per line.
    File(PathBuf),
    /// Standard input, one URL per line.
    Stdin,
    /// A sitemap or sitemap index, by URL.
    Sitemap(String),
}

/// Lines longer than this are not URLs anyone meant; they get an
/// `invalid_url` record instead of growing a buffer without bound.
pub const MAX_LINE: usize = 64 * 1024;

/// A URL to fetch, with its place in the input.
#[derive(Debug)]
pub struct Job {
    /// Position among the lines that get a record, from 0.
    pub seq: u64,
    /// The line as given, trimmed: the record's `url`.
    pub line: String,
    /// The parsed URL (http or https); after a redirect to another host,
    /// where the attempt goes on.
    pub url: Url,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the first attempt began.
    pub first_start: Option<Instant>,
    /// The origin that may receive the user's credentials.
    pub keys: Keys,
    /// A request line's method, headers and body; `None`: a GET.
    pub request: Option<Arc<Request>>,
}

/// What the reader hands on: a job, or a record that needs no fetch.
#[derive(Debug)]
pub enum Entry {
    /// Fetch this.
    Fetch(Job),
    /// Write this record as it is (a line that is not a usable URL).
    Record(u64, Box<Record>),
}

/// Counts the reader keeps for the summary.
#[derive(Debug, Default)]
pub struct InputStats {
    /// Lines that named a URL (valid or not), repeats included.
    pub read: AtomicU64,
    /// Repeats of an earlier URL, skipped.
    pub duplicates: AtomicU64,
    /// Lines skipped because the output file already has their record
    /// (`--resume`).
    pub resumed: AtomicU64,
    /// Lines left to other shards (`--shard`).
    pub elsewhere: AtomicU64,
}

impl InputStats {
    /// The closing summary: these counts with the writer's `tally`.
    pub fn summary(
        &self,
        tally: Tally,
        elapsed: Duration,
        interrupted: bool,
        halted_at: Option<u64>,
    ) -> Summary {
        Summary {
            read: self.read.load(Ordering::Relaxed),
            duplicates: self.duplicates.load(Ordering::Relaxed),
            resumed: self.resumed.load(Ordering::Relaxed),
            elsewhere: self.elsewhere.load(Ordering::Relaxed),
            tally,
            elapsed,
            interrupted,
            halted_at,
            crawl: None,
        }
    }
}

/// Where sitemaps come from: `--sitemap`, and with `discover`
/// (`--discover-sitemaps`) the seeds' origins too.
pub struct Sitemaps {
    pub client: Arc<SitemapClient>,
    pub discover: bool,
}

/// Which lines this run skips: repeats, and more.
#[derive(Default)]
pub struct Exclusions {
    /// The URLs seen so far, whose repeats are skipped; a crawl shares it.
    pub seen: Arc<Mutex<Seen>>,
    /// Only this part of the list (`--shard`).
    pub shard: Option<Shard>,
    /// URLs already done (`--resume`).
    pub done: Seen,
    /// The origins of the input's URL lines, done or not (see
    /// [`Keys::Named`]).
    pub named: Named,
}

/// What one non-blank line means.
#[derive(Debug, PartialEq)]
pub enum Line {
    /// A blank line or a `#` comment.
    Skip,
    /// An http(s) URL.
    Url(Url),
    /// A request object (`{"url", "method", …}`): its URL as given, the
    /// parsed URL, what it asks, and its repeat key.
    Request(String, Url, Box<Request>, String),
    /// Anything else, with the record's error kind and message.
    Invalid(ErrorKind, String),
}

impl Line {
    /// The key that repeats, `--resume` and the output file share for the
    /// trimmed `line` this classifies: its normalised URL without its
    /// fragment, or the line itself when it is not one; `None` for blank
    /// lines and comments.
    pub fn key<'a>(&'a self, line: &'a str) -> Option<&'a str> {
        match self {
            Line::Skip => None,
            Line::Url(url) => Some(url_key(url)),
            Line::Request(_, _, _, key) => Some(key),
            Line::Invalid(..) => Some(line),
        }
    }
}

/// The repeat check's key of a URL: its normalised form without the
/// fragment (`#…` names a part of one page, not another page).
pub fn url_key(url: &Url) -> &str {
    &url[..url::Position::AfterQuery]
}

/// Classifies one raw line (already decoded) of input.
pub fn classify(raw: &str) -> Line {
    let line = raw.trim();
    if line.is_empty() || line.starts_with('#') {
        return Line::Skip;
    }
    if line.starts_with('{') {
        return match crate::request::parse(line) {
            Ok((given, request)) => match classify_url(given.trim()) {
                Line::Url(url) => {
                    let key = request.key(url_key(&url));
                    Line::Request(given, url, Box::new(request), key)
                }
                other => other,
            },
            Err(why) => Line::Invalid(ErrorKind::InvalidUrl, why),
        };
    }
    classify_url(line)
}

/// Classifies a trimmed line that is meant as a URL.
fn classify_url(line: &str) -> Line {
    match Url::parse(line) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => {
            if url.host_str().is_none_or(str::is_empty) {
                Line::Invalid(ErrorKind::InvalidUrl, "the URL has no host".into())
            } else {
                Line::Url(url)
            }
        }
        Ok(url) => Line::Invalid(
            ErrorKind::UnsupportedScheme,
            format!(
                "scheme '{}' is not supported; use http or https",
                url.scheme()
            ),
        ),
        Err(url::ParseError::RelativeUrlWithoutBase) => Line::Invalid(
            ErrorKind::InvalidUrl,
            "not an absolute URL; did you mean https://…?".into(),
        ),
        Err(e) => Line::Invalid(ErrorKind::InvalidUrl, format!("not a valid URL: {e}")),
    }
}

/// Remembers which URLs were seen, by a 128-bit hash of their normalised
/// form: 16 bytes a URL however long it is, and a collision is as likely as
/// guessing a random 128-bit key.
///
/// The hashes live in 65,536 small sorted vectors, picked by the hash's top
/// 16 bits, each grown by an eighth at a time. A single hash table would
/// need twice the room at its fullest and, while it doubles, the old and
/// the new table at once (50 MB of growth between 100,000 and 1,000,000
/// URLs, measured); these stay within about 18 bytes a URL and never copy
/// more than one small vector.
#[derive(Default)]
pub struct Seen {
    shards: Vec<Vec<u128>>,
}

/// Vectors in a [`Seen`]: enough that each stays short (about 1,500 hashes
/// at 100 million URLs) so inserting into the middle is cheap.
const SEEN_SHARDS: usize = 1 << 16;

impl Seen {
    /// Records `key`; returns false when it was seen before.
    pub fn insert(&mut self, key: &str) -> bool {
        let h = xxhash_rust::xxh3::xxh3_128(key.as_bytes());
        if self.shards.is_empty() {
            self.shards.resize_with(SEEN_SHARDS, Vec::new);
        }
        let v = &mut self.shards[Self::shard(h)];
        match v.binary_search(&h) {
            Ok(_) => false,
            Err(at) => {
                if v.len() == v.capacity() {
                    v.reserve_exact((v.len() / 8).max(1));
                }
                v.insert(at, h);
                true
            }
        }
    }

    /// Tells whether `key` was recorded.
    pub fn contains(&self, key: &str) -> bool {
        let h = xxhash_rust::xxh3::xxh3_128(key.as_bytes());
        self.shards
            .get(Self::shard(h))
            .is_some_and(|v| v.binary_search(&h).is_ok())
    }

    fn shard(h: u128) -> usize {
        (h >> 112) as usize
    }

    /// Bytes held for hashes (the vectors' capacity).
    pub fn hash_bytes(&self) -> usize {
        self.shards.iter().map(|v| v.capacity() * 16).sum()
    }
}

/// Reads every source in order and sends one entry per line that gets a
/// record. Returns when the input ends or the receiver is gone.
///
/// With `window`, a permit is taken (and forgotten) before each entry is
/// sent; the writer gives it back once the record is written, so the
/// records between reader and writer never exceed the window.
pub async fn read_all(
    sources: Vec<Source>,
    tx: mpsc::Sender<Entry>,
    stats: Arc<InputStats>,
    window: Option<Arc<Semaphore>>,
    progress: Progress,
    skip: Exclusions,
    sitemaps: Option<Sitemaps>,
) -> io::Result<()> {
    let discover = sitemaps
        .as_ref()
        .filter(|s| s.discover)
        .map(|s| s.client.clone());
    let sitemaps = sitemaps.map(|s| s.client);
    let mut reader = Reader {
        tx,
        stats,
        window,
        progress,
        skip,
        seq: 0,
        discover,
        origins: std::collections::HashSet::new(),
    };
    let mut stdin_used = false;
    for source in sources {
        let open = match source {
            Source::Arg(s) => {
                if !reader.line(&s, None).await || !reader.discover(&s).await {
                    return Ok(());
                }
                continue;
            }
            Source::File(path) => {
                let file = tokio::fs::File::open(&path).await.map_err(|e| {
                    io::Error::new(e.kind(), format!("cannot read {}: {e}", path.display()))
                })?;
                reader
                    .lines(BufReader::with_capacity(64 * 1024, file))
                    .await
            }
            Source::Sitemap(url) => {
                let Some(client) = &sitemaps else { continue };
                // The sitemap's URLs may have the credentials where the
                // sitemap itself may.
                let keys = match Url::parse(url.trim()) {
                    Ok(u) => {
                        reader.skip.named.add(&u);
                        Keys::of(&u)
                    }
                    Err(_) => Keys::None,
                };
                if !reader.sitemap(client, &url, true, &keys).await {
                    return Ok(());
                }
                continue;
            }
            Source::Stdin if stdin_used => continue,
            Source::Stdin => {
                stdin_used = true;
                reader
                    .lines(BufReader::with_capacity(64 * 1024, tokio::io::stdin()))
                    .await
            }
        };
        if !open? {
            return Ok(());
        }
    }
    Ok(())
}

struct Reader {
    tx: mpsc::Sender<Entry>,
    stats: Arc<InputStats>,
    window: Option<Arc<Semaphore>>,
    progress: Progress,
    skip: Exclusions,
    seq: u64,
    /// `--discover-sitemaps`: read the sitemaps of each seed's origin.
    discover: Option<Arc<SitemapClient>>,
    /// Origins whose sitemaps were read.
    origins: std::collections::HashSet<String>,
}

impl Reader {
    /// Reads one source to its end; false when the receiver is gone.
    async fn lines<R: AsyncBufRead + Unpin>(&mut self, mut src: R) -> io::Result<bool> {
        let mut buf = Vec::with_capacity(256);
        let mut first = true;
        loop {
            buf.clear();
            let (n, too_long) = read_line_capped(&mut src, &mut buf).await?;
            if n == 0 {
                return Ok(true);
            }
            // A byte-order mark starts some files (Windows editors, `Out-File`).
            let line = match buf.strip_prefix(BOM) {
                Some(rest) if first => rest,
                _ => &buf[..],
            };
            first = false;
            let text = url_text(line);
            let keep_going = if too_long {
                // Shown cut short, two different lines could look alike:
                // each gets its own record, with no repeat check.
                let trimmed = text.trim();
                if trimmed.is_empty() || trimmed.starts_with('#') {
                    continue;
                }
                let head: String = trimmed.chars().take(80).collect();
                let shown = format!("{head}…");
                let msg = format!("line longer than {MAX_LINE} bytes");
                // The record's `url` is `shown`: key it as a resumed run
                // will read it back.
                if self.ours(&classify(&shown), &shown) {
                    self.count_read();
                    self.emit_invalid(shown, ErrorKind::InvalidUrl, msg).await
                } else {
                    true
                }
            } else {
                self.line(&text, None).await && self.discover(&text).await
            };
            if !keep_going {
                return Ok(false);
            }
        }
    }

    /// `--discover-sitemaps`: the first time a URL line names an origin,
    /// reads the sitemaps its robots.txt lists (each that fails gets a
    /// `sitemap` record), else its `/sitemap.xml` if there is one. Their
    /// URLs are read as lines that follow this one. False when the receiver
    /// is gone.
    async fn discover(&mut self, raw: &str) -> bool {
        let Some(client) = self.discover.clone() else {
            return true;
        };
        let Line::Url(url) = classify(raw) else {
            return true;
        };
        let origin = url.origin().ascii_serialization();
        if !self.origins.insert(origin.clone()) {
            return true;
        }
        let keys = Keys::of(&url);
        match client.listed_in_robots(&origin, &keys).await {
            Some(listed) => {
                for sitemap in listed {
                    if !self.sitemap(&client, &sitemap, true, &keys).await {
                        return false;
                    }
                }
                true
            }
            None => {
                let guess = format!("{origin}/sitemap.xml");
                self.sitemap(&client, &guess, false, &keys).await
            }
        }
    }

    /// Reads the URLs of a sitemap, following a sitemap index to the
    /// sitemaps it lists; each sitemap that fails gets a `sitemap` record
    /// when `report` (not for one guessed at). The sitemaps and their URLs
    /// have the credentials only where `keys` admits them. False when the
    /// receiver is gone.
    async fn sitemap(
        &mut self,
        client: &SitemapClient,
        root: &str,
        report: bool,
        keys: &Keys,
    ) -> bool {
        let mut todo = vec![(root.to_owned(), 0)];
        let mut fetched = std::collections::HashSet::new();
        while let Some((url, depth)) = todo.pop() {
            if !fetched.insert(url.clone()) {
                continue;
            }
            let failure = match client.get(&url, keys).await {
                Ok(Sitemap::Urls(locs)) => {
                    for loc in locs {
                        if !self.line(&loc, Some(keys)).await {
                            return false;
                        }
                    }
                    None
                }
                Ok(Sitemap::Index(_)) if depth >= sitemap::MAX_DEPTH => Some(format!(
                    "sitemap indexes nested deeper than {} levels; not followed",
                    sitemap::MAX_DEPTH
                )),
                Ok(Sitemap::Index(children)) => {
                    todo.extend(children.into_iter().rev().map(|c| (c, depth + 1)));
                    None
                }
                Err(message) => Some(message),
            };
            if let Some(message) = failure.filter(|_| report) {
                // The record's `url` is the sitemap's: one record per URL,
                // in one shard, and not again on --resume.
                let class = classify(&url);
                if !self.ours(&class, &url) {
                    continue;
                }
                let key = class.key(&url).unwrap_or(&url).to_owned();
                if self.is_repeat(&key) {
                    continue;
                }
                if !self.emit_invalid(url, ErrorKind::Sitemap, message).await {
                    return false;
                }
            }
        }
        true
    }

    /// Handles one line: a line of the input (`keys`: `None`, its own
    /// origin's) or a sitemap's URL (the sitemap's `keys`). False when the
    /// receiver is gone.
    async fn line(&mut self, raw: &str, keys: Option<&Keys>) -> bool {
        let line = raw.trim();
        let mut class = classify(line);
        match (&class, keys) {
            (Line::Url(url) | Line::Request(_, url, ..), None) => self.skip.named.add(url),
            // A sitemap names pages; a server does not get to make trawl
            // send requests of its choosing.
            (Line::Request(..), Some(_)) => {
                class = Line::Invalid(ErrorKind::InvalidUrl, "not a URL".into());
            }
            _ => {}
        }
        if !self.ours(&class, line) {
            return true;
        }
        match class {
            Line::Skip => true,
            Line::Url(url) => {
                if self.is_repeat(url_key(&url)) {
                    return true;
                }
                let seq = self.next_seq().await;
                let keys = keys.cloned().unwrap_or_else(|| Keys::of(&url));
                let job = Job {
                    seq,
                    line: line.to_owned(),
                    url,
                    attempts: 0,
                    first_start: None,
                    keys,
                    request: None,
                };
                self.tx.send(Entry::Fetch(job)).await.is_ok()
            }
            Line::Request(given, url, request, key) => {
                if self.is_repeat(&key) {
                    return true;
                }
                let seq = self.next_seq().await;
                let job = Job {
                    seq,
                    line: given.trim().to_owned(),
                    keys: Keys::of(&url),
                    url,
                    attempts: 0,
                    first_start: None,
                    request: Some(Arc::from(request)),
                };
                self.tx.send(Entry::Fetch(job)).await.is_ok()
            }
            Line::Invalid(kind, msg) => {
                if self.is_repeat(line) {
                    return true;
                }
                self.emit_invalid(line.to_owned(), kind, msg).await
            }
        }
    }

    /// Tells whether this run takes a line: false (and counted) for a line
    /// of another shard or one the output file already has.
    fn ours(&mut self, class: &Line, line: &str) -> bool {
        let Some(key) = class.key(line) else {
            return true;
        };
        let url = match class {
            Line::Url(u) | Line::Request(_, u, ..) => Some(u),
            _ => None,
        };
        if let Some(shard) = &self.skip.shard
            && !shard.owns(url, line)
        {
            self.stats.elsewhere.fetch_add(1, Ordering::Relaxed);
            self.progress.skipped();
            return false;
        }
        if self.skip.done.contains(key) {
            self.stats.resumed.fetch_add(1, Ordering::Relaxed);
            self.progress.skipped();
            return false;
        }
        true
    }

    /// Counts a line read.
    fn count_read(&mut self) {
        self.stats.read.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a line read and tells whether its key was seen before (then
    /// it is counted as a repeat too).
    fn is_repeat(&mut self, key: &str) -> bool {
        self.count_read();
        let new = self
            .skip
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key);
        if !new {
            self.stats.duplicates.fetch_add(1, Ordering::Relaxed);
            self.progress.skipped();
            return true;
        }
        false
    }

    /// Sends a record for a line that is not fetched.
    async fn emit_invalid(&mut self, line: String, kind: ErrorKind, msg: String) -> bool {
        let seq = self.next_seq().await;
        let rec = Record::failed(line, kind, msg);
        self.tx
            .send(Entry::Record(seq, Box::new(rec)))
            .await
            .is_ok()
    }

    async fn next_seq(&mut self) -> u64 {
        if let Some(w) = &self.window {
            // The semaphore is never closed, so this only waits.
            if let Ok(p) = w.acquire().await {
                p.forget();
            }
        }
        self.seq += 1;
        self.seq - 1
    }
}

/// Reads up to and including the next `\n` into `buf`, keeping at most
/// `MAX_LINE` bytes; the rest of an over-long line is read and dropped.
/// Returns the bytes consumed (0 at the end) and whether the line was cut.
async fn read_line_capped<R: AsyncBufRead + Unpin>(
    src: &mut R,
    buf: &mut Vec<u8>,
) -> io::Result<(usize, bool)> {
    let mut consumed = 0;
    let mut too_long = false;
    loop {
        let chunk = src.fill_buf().await?;
        if chunk.is_empty() {
            return Ok((consumed, too_long));
        }
        let (take, done) = match memchr_newline(chunk) {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let room = MAX_LINE.saturating_sub(buf.len());
        if take > room {
            too_long = true;
        }
        buf.extend_from_slice(&chunk[..take.min(room)]);
        src.consume(take);
        consumed += take;
        if done {
            return Ok((consumed, too_long));
        }
    }
}

/// A line ends at `\n`, `\r\n` or a lone `\r` (old Mac files); the
/// empty line between `\r` and `\n` is skipped as blank lines are.
fn memchr_newline(b: &[u8]) -> Option<usize> {
    memchr::memchr2(b'\n', b'\r', b)
}

/// The UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A URL's raw bytes as text, as browsers read them: UTF-8 when they are
/// (the URL parser then percent-encodes what needs it), else each byte
/// above ASCII percent-encoded, so that two lines that differ in such a
/// byte stay two URLs rather than both becoming U+FFFD.
pub fn url_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.into(),
        Err(_) => {
            let mut text = String::with_capacity(bytes.len() * 3);
            for &b in bytes {
                if b.is_ascii() {
                    text.push(char::from(b));
                } else {
                    text.push_str(&format!("%{b:02X}"));
                }
            }
            text.into()
        }
    }
}

/// Counts the lines that will get a record or count as read (repeats
/// included), when every source can be read twice: `None` when one is
/// stdin or anything but a regular file (a FIFO or `<(cmd)` read here would
/// take the lines away from the real reader). Used only to give the
/// progress bar a total.
pub fn count_lines(sources: &[Source]) -> Option<u64> {
    let mut n = 0;
    for s in sources {
        match s {
            Source::Arg(a) => n += u64::from(classify(a) != Line::Skip),
            Source::Stdin | Source::Sitemap(_) => return None,
            Source::File(p) => {
                // Looked at before it is opened: opening a FIFO would
                // block, and its writer would see it closed.
                if !std::fs::metadata(p).ok()?.is_file() {
                    return None;
                }
                let f = std::fs::File::open(p).ok()?;
                n += count_file(io::BufReader::with_capacity(64 * 1024, f)).ok()?;
            }
        }
    }
    Some(n)
}

/// Counts the lines of `r` that are neither blank nor comments, line ends
/// and a byte-order mark read as the reader reads them, in constant memory
/// however long a line is.
fn count_file(mut r: impl BufRead) -> io::Result<u64> {
    // What the current line holds so far: only blanks (`None`), a comment
    // (`Some(false)`), or a URL line (`Some(true)`).
    let mut line: Option<bool> = None;
    let (mut n, mut start) = (0, true);
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Ok(n + u64::from(line == Some(true)));
        }
        let mut from = 0;
        if start {
            start = false;
            if chunk.starts_with(BOM) {
                from = BOM.len();
            }
        }
        for &b in &chunk[from..] {
            match b {
                b'\n' | b'\r' => {
                    n += u64::from(line == Some(true));
                    line = None;
                }
                b if b.is_ascii_whitespace() => {}
                b => {
                    line.get_or_insert(b != b'#');
                }
            }
        }
        let len = chunk.len();
        r.consume(len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_count_reads_lines_as_the_reader_does() {
        let count = |bytes: &[u8]| count_file(bytes).unwrap();
        assert_eq!(count(b""), 0);
        assert_eq!(count(b"a\nb"), 2, "a last line without its newline");
        assert_eq!(
            count(b"a\r\n\r\n  # c\r\n\t\nb\r"),
            2,
            "CRLF, comments, blanks"
        );
        assert_eq!(count(b"a\rb\rc"), 3, "lone CRs");
        assert_eq!(count(b"\xEF\xBB\xBF# c\nx"), 1, "a BOM before a comment");
        // A line of any length costs no memory.
        let long = std::io::Read::chain(
            &b"x"[..],
            std::io::Read::take(std::io::repeat(b'y'), 1 << 24),
        );
        assert_eq!(count_file(std::io::BufReader::new(long)).unwrap(), 1);
    }

    #[test]
    fn bytes_that_are_not_utf8_are_percent_encoded_one_by_one() {
        assert_eq!(
            url_text("https://a.test/café".as_bytes()),
            "https://a.test/café"
        );
        assert_eq!(url_text(b"https://a.test/caf\xe9"), "https://a.test/caf%E9");
        assert_ne!(url_text(b"caf\xe9"), url_text(b"caf\xe8"));
        // Once one byte is not UTF-8, every byte above ASCII is encoded.
        assert_eq!(url_text(b"\xc3\xa9\xff"), "%C3%A9%FF");
    }

    /// A reader with nothing to skip, as the tests drive it.
    fn reader(
        tx: mpsc::Sender<Entry>,
        stats: Arc<InputStats>,
        window: Option<Arc<Semaphore>>,
    ) -> Reader {
        Reader {
            tx,
            stats,
            window,
            progress: Progress::hidden(),
            skip: Exclusions::default(),
            seq: 0,
            discover: None,
            origins: Default::default(),
        }
    }

    #[test]
    fn seen_finds_repeats_in_about_16_bytes_a_url() {
        let mut seen = Seen::default();
        assert!(!seen.contains("https://a.test/"));
        let n = 300_000;
        for i in 0..n {
            assert!(seen.insert(&format!("https://h.test/{i}")));
        }
        for i in (0..n).step_by(997) {
            assert!(!seen.insert(&format!("https://h.test/{i}")));
            assert!(seen.contains(&format!("https://h.test/{i}")));
        }
        assert!(!seen.contains("https://h.test/x"));
        let per_url = seen.hash_bytes() as f64 / n as f64;
        assert!(per_url <= 18.0, "{per_url:.1} bytes a URL");
    }

    #[test]
    fn blank_and_comment_lines_are_skipped() {
        assert_eq!(classify(""), Line::Skip);
        assert_eq!(classify("   \t"), Line::Skip);
        assert_eq!(classify("# a comment"), Line::Skip);
        assert_eq!(classify("   # indented comment"), Line::Skip);
    }

    #[test]
    fn urls_are_trimmed_and_parsed() {
        match classify("  https://Example.COM:443/a?b=1  \r") {
            Line::Url(u) => assert_eq!(u.as_str(), "https://example.com/a?b=1"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_get_object_is_keyed_as_its_url_line() {
        let object = r#"{"url":"https://a.test/x#top"}"#;
        let class = classify(object);
        assert_eq!(class.key(object), Some("https://a.test/x"));
        let post = r#"{"url":"https://a.test/x","method":"POST"}"#;
        assert_eq!(classify(post).key(post), Some("POST https://a.test/x"));
    }

    #[test]
    fn bad_lines_get_kinds() {
        assert!(matches!(
            classify("example.com/page"),
            Line::Invalid(ErrorKind::InvalidUrl, m) if m.contains("absolute")
        ));
        assert!(matches!(
            classify("ftp://example.com/f"),
            Line::Invalid(ErrorKind::UnsupportedScheme, m) if m.contains("ftp")
        ));
        assert!(matches!(
            classify("mailto:a@b.c"),
            Line::Invalid(ErrorKind::UnsupportedScheme, _)
        ));
        assert!(matches!(
            classify("http://exa mple.com/"),
            Line::Invalid(ErrorKind::InvalidUrl, _)
        ));
        assert!(matches!(
            classify("http://[::1/"),
            Line::Invalid(ErrorKind::InvalidUrl, _)
        ));
    }

    #[test]
    fn seen_set_dedupes_by_string() {
        let mut s = Seen::default();
        assert!(s.insert("https://a/"));
        assert!(!s.insert("https://a/"));
        assert!(s.insert("https://a/b"));
    }

    #[tokio::test]
    async fn reader_dedupes_skips_and_numbers_lines() {
        let data: &[u8] = b"https://a.test/\n\n# c\nhttps://A.test:443/#top\nnot a url\n\xff\xfe\nhttps://b.test/x";
        let (tx, mut rx) = mpsc::channel(16);
        let stats = Arc::new(InputStats::default());
        let mut r = reader(tx, stats.clone(), None);
        assert!(r.lines(data).await.unwrap());
        drop(r);
        let mut got = Vec::new();
        while let Some(e) = rx.recv().await {
            got.push(match e {
                Entry::Fetch(j) => (j.seq, j.line, None),
                Entry::Record(seq, rec) => (seq, rec.url, rec.error.map(|e| e.kind)),
            });
        }
        assert_eq!(got.len(), 4, "{got:?}");
        assert_eq!(got[0], (0, "https://a.test/".into(), None));
        assert_eq!(got[1], (1, "not a url".into(), Some(ErrorKind::InvalidUrl)));
        assert_eq!(got[2].0, 2);
        assert_eq!(got[2].2, Some(ErrorKind::InvalidUrl));
        assert_eq!(got[3], (3, "https://b.test/x".into(), None));
        assert_eq!(stats.read.load(Ordering::Relaxed), 5);
        assert_eq!(stats.duplicates.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn reader_waits_for_the_ordered_window() {
        let window = Arc::new(Semaphore::new(2));
        let (tx, mut rx) = mpsc::channel(16);
        let mut r = reader(tx, Arc::new(InputStats::default()), Some(window.clone()));
        let data: &'static [u8] = b"https://a.test/1\nhttps://a.test/2\nhttps://a.test/3\nbad\n";
        let reading = tokio::spawn(async move { r.lines(data).await });
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        // Two entries, then the reader waits: the window is full.
        assert!(rx.try_recv().is_ok() && rx.try_recv().is_ok());
        assert!(rx.try_recv().is_err());
        assert!(!reading.is_finished());
        // Each record written gives a permit back, and one more line flows.
        window.add_permits(1);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert!(rx.try_recv().is_ok());
        assert!(rx.try_recv().is_err());
        window.add_permits(1);
        assert!(reading.await.unwrap().unwrap());
        assert!(matches!(rx.try_recv(), Ok(Entry::Record(3, _))));
    }

    #[tokio::test]
    async fn over_long_lines_are_never_taken_for_repeats() {
        let mut data = vec![b'a'; MAX_LINE + 10];
        data.extend_from_slice(b"x\n");
        data.extend(vec![b'a'; MAX_LINE + 10]);
        data.extend_from_slice(b"y\n");
        let (tx, mut rx) = mpsc::channel(16);
        let stats = Arc::new(InputStats::default());
        let mut r = reader(tx, stats.clone(), None);
        assert!(r.lines(&data[..]).await.unwrap());
        drop(r);
        let mut n = 0;
        while let Some(Entry::Record(_, rec)) = rx.recv().await {
            assert_eq!(rec.error.map(|e| e.kind), Some(ErrorKind::InvalidUrl));
            n += 1;
        }
        assert_eq!(n, 2);
        assert_eq!(stats.duplicates.load(Ordering::Relaxed), 0);
    }

    #[tokio::test]
    async fn over_long_lines_become_records_not_buffers() {
        let mut data = vec![b'a'; MAX_LINE * 3];
        data.extend_from_slice(b"\nhttps://ok.test/\n");
        let mut src: &[u8] = &data;
        let mut buf = Vec::new();
        let (n, cut) = read_line_capped(&mut src, &mut buf).await.unwrap();
        assert_eq!((n, cut, buf.len()), (MAX_LINE * 3 + 1, true, MAX_LINE));
        buf.clear();
        let (_, cut) = read_line_capped(&mut src, &mut buf).await.unwrap();
        assert!(!cut);
        assert_eq!(buf, b"https://ok.test/\n");
    }
}

#[cfg(test)]
mod props {
    use crate::testing::url_like;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(crate::testing::config())]

        /// An input line classifies without panic; a URL is http(s) with a
        /// host, and its key is a fixed point: normalising it again changes
        /// nothing, so a repeat is caught however it was written.
        #[test]
        fn input_lines_classify_and_their_key_is_stable(
            raw in prop_oneof![url_like(), any::<String>()]
        ) {
            use crate::input::{Line, classify};
            let line = classify(&raw);
            if let Line::Url(url) = &line {
                prop_assert!(matches!(url.scheme(), "http" | "https"));
                prop_assert!(url.host_str().is_some_and(|h| !h.is_empty()));
                let key = line.key(raw.trim()).unwrap_or_default().to_owned();
                match classify(&key) {
                    Line::Url(again) => prop_assert_eq!(again.as_str(), key.as_str()),
                    other => prop_assert!(false, "key {key:?} classifies as {other:?}"),
                }
            }
        }
    }
}
