//! `--warc FILE`: a WARC 1.1 archive of every exchange, written as the
//! records are.
//!
//! The `warc` crate is not used: it writes with `write()` (short writes
//! lose bytes), one gzip stream for the whole file (warcio refuses such
//! files), no digests and WARC/1.0. This writer is small: a `warcinfo`
//! first, then for each hop of each URL a `request` and a `response`
//! record, and for each URL a `metadata` record holding its trawl record.
//! With `.gz`, each record is its own gzip member, so a reader can seek to
//! any record and a torn tail is one torn member. Each record is written
//! whole and flushed before the next.

mod out;
mod scan;

use crate::http::hash_bytes_base32;
use out::{Out, RECORD_END, Wire, write_out};
use scan::{scan, scan_index};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

/// One HTTP exchange as it went over the wire.
#[derive(Debug, Clone)]
pub struct Capture {
    /// The URL requested.
    pub url: String,
    /// The peer's address, when the connection said.
    pub ip: Option<IpAddr>,
    /// When the request was sent.
    pub date: SystemTime,
    /// The request line and headers, `\r\n`-ended, with the blank line.
    pub request_head: Vec<u8>,
    /// The request's body, if it had one.
    pub request_body: Option<bytes::Bytes>,
    /// The status line and headers as received (`Transfer-Encoding`
    /// dropped, `Content-Length` the stored body's), with the blank line.
    pub response_head: Vec<u8>,
    /// The body as it came (content coding kept, transfer coding undone):
    /// shared with the record's reader when it came as it is.
    pub body: bytes::Bytes,
    /// The body was cut at `--max-body`.
    pub truncated: bool,
    /// The response's status.
    pub status: u16,
    /// The body came content-encoded (gzip, brotli …).
    pub encoded: bool,
    /// The response's media type, without parameters (`text/html`).
    pub mime: String,
    /// The SHA-256 of `body`, when the fetcher took it already.
    pub payload_sha256: Option<[u8; 32]>,
}

/// The earlier capture a `--revalidate` run's response repeats: a 304
/// becomes a `server-not-modified` revisit, an unchanged body an
/// `identical-payload-digest` one, each pointing at it.
#[derive(Debug, Clone)]
pub struct Refers {
    /// The earlier record's final URL.
    pub uri: String,
    /// When the earlier record was made.
    pub date: String,
    /// The response is a 304 answering trawl's validators.
    pub not_modified: bool,
    /// The body is the earlier one (same `content_hash`).
    pub unchanged: bool,
}

/// A line of the CDXJ index: one response.
#[derive(Debug, Clone)]
struct IndexEntry {
    surt: String,
    timestamp: String,
    url: String,
    mime: String,
    status: u16,
    digest: String,
    length: u64,
    offset: u64,
    /// The file of the series that holds it.
    filename: String,
}

/// A page of the WACZ's `pages.jsonl`: an ok HTML record.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Page {
    id: String,
    url: String,
    ts: String,
    title: Option<String>,
}

/// The fields of a trawl record a page is made of, as the metadata record
/// holds them.
#[derive(serde::Deserialize)]
struct PageFields {
    url: String,
    #[serde(default)]
    final_url: Option<String>,
    ok: bool,
    #[serde(default)]
    content_type: Option<String>,
    #[serde(default)]
    fetched_at: String,
    #[serde(default)]
    title: Option<String>,
}

impl Page {
    /// The page of a record, when it is an ok HTML one.
    pub fn of(r: &crate::record::Record) -> Option<Page> {
        Page::from_fields(
            r.ok,
            r.final_url.as_deref().unwrap_or(&r.url),
            r.content_type.as_deref(),
            &r.fetched_at,
            r.title.as_deref(),
        )
    }

    /// The page of a record read back from a metadata record's JSON.
    fn of_json(json: &str) -> Option<Page> {
        let f: PageFields = serde_json::from_str(json).ok()?;
        Page::from_fields(
            f.ok,
            f.final_url.as_deref().unwrap_or(&f.url),
            f.content_type.as_deref(),
            &f.fetched_at,
            f.title.as_deref(),
        )
    }

    fn from_fields(
        ok: bool,
        url: &str,
        content_type: Option<&str>,
        fetched_at: &str,
        title: Option<&str>,
    ) -> Option<Page> {
        let html = content_type.is_some_and(|t| t.to_ascii_lowercase().contains("html"));
        (ok && html).then(|| Page {
            id: format!("{:032x}", xxhash_rust::xxh3::xxh3_128(url.as_bytes())),
            url: url.to_owned(),
            ts: fetched_at.to_owned(),
            title: title.map(str::to_owned),
        })
    }
}

/// What the archive keeps of one URL.
#[derive(Debug)]
pub struct UrlCapture {
    /// Its exchanges, hop by hop.
    pub captures: Vec<Capture>,
    /// Its trawl record, as one JSON line.
    pub record: String,
    /// The earlier capture it may repeat (`--revalidate`).
    pub refers: Option<Refers>,
    /// The rendered DOM (`--render`).
    pub dom: Option<String>,
    /// Its entry of `pages.jsonl`, if it is a page.
    pub page: Option<Page>,
}

/// A record to write: its named headers (`WARC/1.1` and the length are
/// added) and its block in two parts (an HTTP head and its body), borrowed
/// until they reach the file.
struct Record<'a> {
    head: Vec<(&'a str, String)>,
    block: [&'a [u8]; 2],
    /// The body came compressed (gzip, brotli, zstd): deflating it again
    /// gains nothing (85.3 MB of gzip-served pages became 87.0 MB at
    /// level 1) and was most of the run's CPU, so its gzip member stores
    /// the bytes as they are.
    compressed: bool,
}

impl<'a> Record<'a> {
    fn new(head: Vec<(&'a str, String)>, block: [&'a [u8]; 2]) -> Self {
        Record {
            head,
            block,
            compressed: false,
        }
    }
}

/// The `WARC-Block-Digest` of a block given in parts.
fn block_digest(parts: &[&[u8]; 2]) -> String {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    crate::http::base32_digest(&hasher.finalize().into())
}

/// The gzip level of `.warc.gz` records: 1, the fastest. Level 6 wrote
/// the Python docs site in 8.3 MB rather than 11.5 but took the crawl from
/// 0.74 s to 1.41 s, and bodies that came compressed (most, from real
/// servers) do not shrink again.
const GZIP_LEVEL: u32 = 1;

/// Where each record of a write lies: its offset and its length.
type Spans = Vec<(u64, u64)>;

/// The archive being written.
pub struct Warc {
    out: Mutex<Out>,
    gzip: bool,
    path: PathBuf,
    serial: AtomicU64,
    /// The responses written, for `--cdxj` and `--wacz`.
    index: Mutex<Vec<IndexEntry>>,
    /// The pages written, for `--wacz`.
    pages: Mutex<Vec<Page>>,
    /// `--warc-max-size`: go on in the next file of the series past it.
    max_size: Option<u64>,
    /// The command line, for each file's `warcinfo`.
    flags: String,
}

/// The `number`th file of the series that starts at `path`:
/// `crawl.warc.gz`, `crawl-00001.warc.gz`, …
pub fn numbered(path: &Path, number: u32) -> PathBuf {
    if number == 0 {
        return path.to_owned();
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (stem, ext) = [".warc.gz", ".warc"]
        .iter()
        .find_map(|ext| {
            let at = name.len().checked_sub(ext.len())?;
            // `get`: a name whose tail is not ASCII has no such cut.
            let tail = name.get(at..)?;
            tail.eq_ignore_ascii_case(ext).then(|| (&name[..at], tail))
        })
        .unwrap_or((name.as_str(), ""));
    path.with_file_name(format!("{stem}-{number:05}{ext}"))
}

/// A file's name, as the index and the package give it.
fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl Warc {
    /// Creates `path` (a `.gz` name compresses) and writes its `warcinfo`
    /// record: the software and the command line's flags (`flags`,
    /// secrets already masked).
    ///
    /// # Errors
    /// The file cannot be created or written.
    pub fn create(path: &Path, flags: &str, max_size: Option<u64>) -> io::Result<Warc> {
        let file = File::create(path)?;
        let warc = Warc::over(path, file, 0, 0, flags, max_size);
        warc.write_info()?;
        Ok(warc)
    }

    /// An archive of `path` writing to `file` (the series' `number`th, at
    /// `offset`).
    fn over(
        path: &Path,
        file: File,
        number: u32,
        offset: u64,
        flags: &str,
        max_size: Option<u64>,
    ) -> Warc {
        let current = numbered(path, number);
        Warc {
            out: Mutex::new(Out {
                file,
                offset,
                name: name_of(&current),
                number,
            }),
            gzip: path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("gz")),
            path: path.to_owned(),
            serial: AtomicU64::new(0),
            index: Mutex::new(Vec::new()),
            pages: Mutex::new(Vec::new()),
            max_size,
            flags: flags.to_owned(),
        }
    }

    /// The files of the series written so far, in order.
    fn files(&self) -> Vec<PathBuf> {
        let last = self
            .out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .number;
        (0..=last).map(|n| numbered(&self.path, n)).collect()
    }

    /// Past `--warc-max-size`, goes on in the next file of the series,
    /// which starts with its own `warcinfo`.
    fn rotate_if_full(&self) -> io::Result<()> {
        let Some(max) = self.max_size else {
            return Ok(());
        };
        let mut out = self
            .out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if out.offset < max {
            return Ok(());
        }
        let number = out.number + 1;
        let next = numbered(&self.path, number);
        out.file = File::create(&next)?;
        out.offset = 0;
        out.number = number;
        out.name = name_of(&next);
        // Under the same lock: the new file's first record is its own.
        self.write_info_locked(&mut out)
    }

    /// Writes a `warcinfo` record: the software and the command line.
    fn write_info(&self) -> io::Result<()> {
        let mut out = self
            .out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.write_info_locked(&mut out)
    }

    /// Writes a `warcinfo` record to `out`, whose lock the caller holds.
    fn write_info_locked(&self, out: &mut Out) -> io::Result<()> {
        let mut info = String::new();
        let _ = write!(
            info,
            "software: trawl/{}\r\nformat: WARC File Format 1.1\r\nconformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\ncommand: {}\r\n",
            env!("CARGO_PKG_VERSION"),
            self.flags
        );
        let head = vec![
            ("WARC-Type", "warcinfo".to_owned()),
            ("WARC-Record-ID", self.record_id()),
            ("WARC-Date", warc_date(SystemTime::now())),
            ("WARC-Filename", out.name.clone()),
            ("Content-Type", "application/warc-fields".to_owned()),
        ];
        let (wire, _) = self.serialize(&[Record::new(head, [info.as_bytes(), &[]])])?;
        write_out(out, &wire)?;
        Ok(())
    }

    /// Opens the archive a resumed run goes on in: reads it record by
    /// record, keeps each URL's records whose trawl record `done` knows
    /// (and every `warcinfo`), cuts the rest (a torn last record, and the
    /// captures of URLs whose JSON line died with the crash, which the
    /// resumed run fetches again) and appends a `warcinfo` for this run.
    /// Returns the archive and how many URLs' records were cut.
    ///
    /// # Errors
    /// The file cannot be read or rewritten.
    pub fn resume(
        base: &Path,
        flags: &str,
        max_size: Option<u64>,
        done: &dyn Fn(&str) -> bool,
    ) -> io::Result<(Warc, usize)> {
        let gzip = base
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
        // The series goes on in its last file; the earlier ones are whole.
        let mut number = 0;
        while numbered(base, number + 1).exists() {
            number += 1;
        }
        let path = &numbered(base, number);
        let scan = scan(path, gzip)?;
        // Groups: the records up to and including each metadata record; a
        // warcinfo stands alone. Records after the last group are a URL
        // whose records were not all written.
        let mut keep: Vec<(u64, u64)> = Vec::new();
        let mut cut = 0;
        let mut first_cut: Option<u64> = None;
        let mut group_start = 0u64;
        for r in &scan.records {
            match r.kind.as_str() {
                "warcinfo" => {
                    keep.push((r.start, r.end));
                    group_start = r.end;
                }
                "metadata" => {
                    let known = r.key.as_deref().is_some_and(done);
                    if known {
                        keep.push((group_start, r.end));
                    } else {
                        cut += 1;
                        first_cut.get_or_insert(group_start);
                    }
                    group_start = r.end;
                }
                _ => {}
            }
        }
        let good_end = scan.records.last().map_or(0, |r| r.end);
        if group_start < good_end || scan.torn {
            first_cut.get_or_insert(group_start);
        }
        // Where each kept group lands: in place before the first cut, one
        // after another from the cut on.
        let mut next = first_cut.unwrap_or(u64::MAX);
        let moved: Vec<(u64, u64, u64)> = keep
            .iter()
            .map(|&(start, end)| {
                if first_cut.is_some_and(|at| start >= at) {
                    next += end - start;
                    (start, end, next - (end - start))
                } else {
                    (start, end, start)
                }
            })
            .collect();
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)?;
        if let Some(at) = first_cut {
            // Keep what follows the first cut and is kept, then rewrite it
            // after the cut: the archive holds each kept record once.
            let mut tail = Vec::new();
            for &(start, end, _) in moved.iter().filter(|(s, _, _)| *s >= at) {
                let mut buf = vec![0; usize::try_from(end - start).unwrap_or(0)];
                io::Seek::seek(&mut file, io::SeekFrom::Start(start))?;
                io::Read::read_exact(&mut file, &mut buf)?;
                tail.extend_from_slice(&buf);
            }
            file.set_len(at)?;
            io::Seek::seek(&mut file, io::SeekFrom::Start(at))?;
            file.write_all(&tail)?;
            file.sync_data()?;
        }
        let end = io::Seek::seek(&mut file, io::SeekFrom::End(0))?;
        let warc = Warc::over(base, file, number, end, flags, max_size);
        // The index and the pages of what stays: the earlier files' as
        // they are, the last file's from its scan, at their new offsets.
        let (mut index, mut pages) = (Vec::new(), Vec::new());
        for n in 0..number {
            let (i, p) = scan_index(&numbered(base, n), gzip)?;
            index.extend(i);
            pages.extend(p);
        }
        let mut groups = moved.iter().peekable();
        for r in scan.records {
            while groups.next_if(|&&(_, end, _)| end <= r.start).is_some() {}
            let Some(&&(start, end, new)) = groups.peek() else {
                break;
            };
            if r.start < start || r.end > end {
                continue;
            }
            if let Some(mut entry) = r.entry {
                entry.offset = r.start - start + new;
                index.push(entry);
            }
            pages.extend(r.page);
        }
        *warc
            .index
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = index;
        *warc
            .pages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = pages;
        warc.write_info()?;
        Ok((warc, cut))
    }

    /// Writes the exchanges of one URL, hop by hop, then a `metadata`
    /// record holding `record` (its JSON line) concurrent to the last
    /// response; all of it in one go, so one URL's records stay together.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn write_url(&self, url: UrlCapture) -> io::Result<()> {
        let UrlCapture {
            captures,
            record,
            refers,
            dom,
            page,
        } = url;
        let refers = refers.as_ref();
        // A full file is left before the next URL's records, so that no
        // file of the series ends empty.
        self.rotate_if_full()?;
        let mut records = Vec::with_capacity(captures.len() * 2 + 1);
        let mut last_response = None;
        // Which records are responses, and what the index says of them.
        let mut entries: Vec<(usize, IndexEntry)> = Vec::new();
        for (i, c) in captures.iter().enumerate() {
            let response_id = self.record_id();
            let request_id = self.record_id();
            let date = warc_date(c.date);
            // The final response of a revalidated URL may repeat the
            // earlier capture: a revisit keeps its head and no payload. An
            // unchanged 200 counts only when it was not content-encoded,
            // so that its payload is the earlier one byte for byte.
            let last = i + 1 == captures.len();
            let profile = match refers {
                Some(r) if last && r.not_modified && c.status == 304 => {
                    Some("http://netpreserve.org/warc/1.1/revisit/server-not-modified")
                }
                Some(r) if last && r.unchanged && c.status == 200 && !c.encoded && !c.truncated => {
                    Some("http://netpreserve.org/warc/1.1/revisit/identical-payload-digest")
                }
                _ => None,
            };
            // The payload's digest once, for the record and the index (the
            // fetcher may have taken it already, for the content hash).
            let payload = match c.payload_sha256 {
                Some(d) => crate::http::base32_digest(&d),
                None => hash_bytes_base32(&c.body),
            };
            let block: [&[u8]; 2] = if profile.is_none() {
                [&c.response_head, &c.body]
            } else {
                [&c.response_head, &[]]
            };
            let mut head = vec![
                (
                    "WARC-Type",
                    if profile.is_some() {
                        "revisit"
                    } else {
                        "response"
                    }
                    .to_owned(),
                ),
                ("WARC-Record-ID", response_id.clone()),
                ("WARC-Date", date.clone()),
                ("WARC-Target-URI", c.url.clone()),
            ];
            if let (Some(profile), Some(r)) = (profile, refers) {
                head.push(("WARC-Profile", profile.to_owned()));
                head.push(("WARC-Refers-To-Target-URI", r.uri.clone()));
                head.push(("WARC-Refers-To-Date", r.date.clone()));
            }
            if let Some(ip) = c.ip {
                head.push(("WARC-IP-Address", ip.to_string()));
            }
            if profile.is_none() || c.status == 200 {
                head.push(("WARC-Payload-Digest", payload.clone()));
            }
            head.push(("WARC-Block-Digest", block_digest(&block)));
            if c.truncated && profile.is_none() {
                head.push(("WARC-Truncated", "length".to_owned()));
            }
            head.push((
                "Content-Type",
                "application/http; msgtype=response".to_owned(),
            ));
            if let Ok(url) = url::Url::parse(&c.url) {
                entries.push((
                    records.len(),
                    IndexEntry {
                        surt: surt(&url),
                        timestamp: cdx_timestamp(&date),
                        url: c.url.clone(),
                        mime: if profile.is_some() {
                            "warc/revisit".to_owned()
                        } else {
                            c.mime.clone()
                        },
                        status: c.status,
                        digest: payload,
                        length: 0,
                        offset: 0,
                        filename: String::new(),
                    },
                ));
            }
            records.push(Record {
                head,
                block,
                compressed: c.encoded && profile.is_none(),
            });
            let block: [&[u8]; 2] = [&c.request_head, c.request_body.as_deref().unwrap_or(&[])];
            let head = vec![
                ("WARC-Type", "request".to_owned()),
                ("WARC-Record-ID", request_id),
                ("WARC-Date", date),
                ("WARC-Target-URI", c.url.clone()),
                ("WARC-Concurrent-To", response_id.clone()),
                ("WARC-Block-Digest", block_digest(&block)),
                (
                    "Content-Type",
                    "application/http; msgtype=request".to_owned(),
                ),
            ];
            records.push(Record::new(head, block));
            last_response = Some((response_id, c.url.clone()));
        }
        let (concurrent, url) = last_response.unwrap_or_default();
        if let Some(dom) = &dom {
            // The page as the browser held it after its scripts ran: under
            // a URN, so that replay never serves it as the page itself.
            let block: [&[u8]; 2] = [dom.as_bytes(), &[]];
            let mut head = vec![
                ("WARC-Type", "resource".to_owned()),
                ("WARC-Record-ID", self.record_id()),
                ("WARC-Date", warc_date(SystemTime::now())),
                ("WARC-Target-URI", format!("urn:trawl:dom:{url}")),
            ];
            if !concurrent.is_empty() {
                head.push(("WARC-Concurrent-To", concurrent.clone()));
            }
            head.push(("WARC-Block-Digest", block_digest(&block)));
            head.push(("Content-Type", "text/html; charset=utf-8".to_owned()));
            records.push(Record::new(head, block));
        }
        let mut head = vec![
            ("WARC-Type", "metadata".to_owned()),
            ("WARC-Record-ID", self.record_id()),
            ("WARC-Date", warc_date(SystemTime::now())),
            ("WARC-Target-URI", format!("urn:trawl:{url}")),
        ];
        if !concurrent.is_empty() {
            head.push(("WARC-Concurrent-To", concurrent));
        }
        head.push(("Content-Type", "application/json".to_owned()));
        records.push(Record::new(head, [record.as_bytes(), b"\n"]));
        let (filename, spans) = self.append(&records)?;
        if !entries.is_empty() {
            let mut index = self
                .index
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for (at, mut entry) in entries {
                if let Some(&(offset, length)) = spans.get(at) {
                    entry.offset = offset;
                    entry.length = length;
                    entry.filename.clone_from(&filename);
                    index.push(entry);
                }
            }
        }
        if let Some(page) = page {
            self.pages
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(page);
        }
        Ok(())
    }

    /// Serialises `records` and appends them, each flushed before the next;
    /// returns where each went (offset and length in the file).
    fn append(&self, records: &[Record<'_>]) -> io::Result<(String, Spans)> {
        let (wire, spans) = self.serialize(records)?;
        let mut out = self
            .out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let base = write_out(&mut out, &wire)?;
        Ok((
            out.name.clone(),
            spans.into_iter().map(|(o, l)| (base + o, l)).collect(),
        ))
    }

    /// `records` as they go to the file (one gzip member each with `.gz`)
    /// and where each lies in it.
    fn serialize<'r>(&self, records: &[Record<'r>]) -> io::Result<(Wire<'r>, Spans)> {
        let mut bytes = Vec::new();
        let mut heads = Vec::with_capacity(records.len());
        let mut blocks = Vec::with_capacity(records.len());
        let mut spans = Vec::with_capacity(records.len());
        let mut start = 0u64;
        for Record {
            head,
            block,
            compressed,
        } in records
        {
            let length = block[0].len() + block[1].len();
            let mut fields = String::from("WARC/1.1\r\n");
            for (name, value) in head {
                // A value never holds a line break: URLs are serialised,
                // the rest is ours.
                let value = value.replace(['\r', '\n'], " ");
                let _ = write!(fields, "{name}: {value}\r\n");
            }
            let _ = write!(fields, "Content-Length: {length}\r\n\r\n");
            let written = if self.gzip {
                // The member is written straight into `bytes`.
                let mut gz = flate2::write::GzEncoder::new(
                    std::mem::take(&mut bytes),
                    if *compressed {
                        flate2::Compression::none()
                    } else {
                        flate2::Compression::new(GZIP_LEVEL)
                    },
                );
                for part in [fields.as_bytes(), block[0], block[1], RECORD_END] {
                    gz.write_all(part)?;
                }
                bytes = gz.finish()?;
                bytes.len() as u64 - start
            } else {
                let len = (fields.len() + length + RECORD_END.len()) as u64;
                heads.push(fields);
                blocks.push(*block);
                len
            };
            spans.push((start, written));
            start += written;
        }
        let wire = if self.gzip {
            Wire::Bytes(bytes)
        } else {
            Wire::Parts { heads, blocks }
        };
        Ok((wire, spans))
    }

    /// Ends the archive: writes its CDXJ index to `cdxj` and packs it into
    /// the WACZ `wacz`, each when asked.
    ///
    /// # Errors
    /// A file cannot be written.
    pub fn finish(&self, cdxj: Option<&Path>, wacz: Option<&Path>) -> io::Result<()> {
        if cdxj.is_none() && wacz.is_none() {
            return Ok(());
        }
        let index = self.cdxj();
        if let Some(path) = cdxj {
            std::fs::write(path, &index)?;
        }
        if let Some(path) = wacz {
            let mut pages = String::new();
            for page in self
                .pages
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .iter()
            {
                if let Ok(line) = serde_json::to_string(page) {
                    pages.push_str(&line);
                    pages.push('\n');
                }
            }
            crate::wacz::write(
                path,
                &crate::wacz::Contents {
                    warcs: &self.files(),
                    cdxj: &index,
                    pages: &pages,
                },
            )?;
        }
        Ok(())
    }

    /// The CDXJ index of what was written: one line a response, sorted by
    /// SURT and time, as pywb reads it.
    pub fn cdxj(&self) -> String {
        let mut index = self
            .index
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        index.sort_by(|a, b| {
            (&a.surt, &a.timestamp, a.offset).cmp(&(&b.surt, &b.timestamp, b.offset))
        });
        let mut out = String::new();
        for e in index {
            let fields = serde_json::json!({
                "url": e.url,
                "mime": e.mime,
                "status": e.status.to_string(),
                "digest": e.digest,
                "length": e.length.to_string(),
                "offset": e.offset.to_string(),
                "filename": e.filename,
            });
            let _ = writeln!(out, "{} {} {fields}", e.surt, e.timestamp);
        }
        out
    }

    /// A new `<urn:uuid:…>`: 122 bits from a hash of the time, the
    /// process and a counter, laid out as a version 4 UUID.
    fn record_id(&self) -> String {
        let n = self.serial.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let seed = format!("{nanos}:{}:{n}:{}", std::process::id(), self.path.display());
        let h = xxhash_rust::xxh3::xxh3_128(seed.as_bytes());
        let h = (h & !(0xf000u128 << 64)) | (0x4000u128 << 64); // version 4
        let h = (h & !(0xc000u128 << 48)) | (0x8000u128 << 48); // variant 1
        let hex = format!("{h:032x}");
        format!(
            "<urn:uuid:{}-{}-{}-{}-{}>",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        )
    }
}

/// The SURT form of a URL, as pywb and the `surt` package write it: the
/// host's labels reversed and comma-joined (a leading `www.` dropped), a
/// port other than the scheme's, `)`, then the path and the query with
/// its parameters sorted; all lower-case, no scheme, no fragment.
pub fn surt(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let mut out = if host.contains(':') {
        host.to_owned()
    } else {
        let host = match host.strip_prefix("www") {
            Some(rest)
                if rest
                    .trim_start_matches(|c: char| c.is_ascii_digit())
                    .starts_with('.') =>
            {
                rest.trim_start_matches(|c: char| c.is_ascii_digit())[1..].to_owned()
            }
            _ => host.to_owned(),
        };
        host.split('.').rev().collect::<Vec<_>>().join(",")
    };
    if let Some(port) = url.port() {
        let _ = write!(out, ":{port}");
    }
    out.push(')');
    out.push_str(&url.path().to_ascii_lowercase());
    if let Some(q) = url.query().filter(|q| !q.is_empty()) {
        let mut params: Vec<String> = q.split('&').map(str::to_ascii_lowercase).collect();
        params.sort_unstable();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

/// The 14-digit CDX timestamp (`YYYYMMDDhhmmss`) of a WARC date.
fn cdx_timestamp(date: &str) -> String {
    date.chars().filter(char::is_ascii_digit).take(14).collect()
}

/// A `Content-Type`'s media type, lower case, without parameters, as the
/// index gives it; `unk` when there is none.
pub fn media_type(content_type: Option<&str>) -> String {
    content_type
        .unwrap_or("unk")
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// A WARC date: RFC 3339 UTC with microseconds.
pub fn warc_date(at: SystemTime) -> String {
    humantime::format_rfc3339_micros(at).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_series_numbers_its_files_before_the_extension() {
        let p = Path::new("/x/crawl.warc.gz");
        assert_eq!(numbered(p, 0), p);
        assert_eq!(numbered(p, 1), Path::new("/x/crawl-00001.warc.gz"));
        assert_eq!(numbered(Path::new("a.WARC"), 12), Path::new("a-00012.WARC"));
        assert_eq!(
            numbered(Path::new("archive"), 2),
            Path::new("archive-00002")
        );
    }

    #[test]
    fn dates_have_microseconds() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_micros(1_765_137_600_123_456);
        assert_eq!(warc_date(at), "2025-12-07T20:00:00.123456Z");
        assert_eq!(
            warc_date(SystemTime::UNIX_EPOCH),
            "1970-01-01T00:00:00.000000Z"
        );
    }

    #[test]
    fn surts_are_written_as_the_surt_package_writes_them() {
        for (url, want) in [
            (
                "http://127.0.0.1:8080/a/B?z=1&a=2#x",
                "1,0,0,127:8080)/a/b?a=2&z=1",
            ),
            ("https://www.Example.com/", "com,example)/"),
            ("http://example.com:80/x", "com,example)/x"),
            (
                "http://sub.example.co.uk/p;q?b&a",
                "uk,co,example,sub)/p;q?a&b",
            ),
            ("http://[::1]:9/", "::1:9)/"),
            ("http://www2.example.com/", "com,example)/"),
            ("http://wwwexample.com/", "com,wwwexample)/"),
        ] {
            assert_eq!(surt(&url::Url::parse(url).unwrap()), want, "{url}");
        }
    }

    #[test]
    fn record_ids_are_distinct_version_4_uuids() {
        let dir = tempfile::tempdir().unwrap();
        let w = Warc::create(&dir.path().join("a.warc"), "", None).unwrap();
        let a = w.record_id();
        let b = w.record_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), "<urn:uuid:>".len() + 36);
        assert_eq!(&a[24..25], "4", "{a}");
        assert!(matches!(&a[29..30], "8" | "9" | "a" | "b"), "{a}");
    }
}
