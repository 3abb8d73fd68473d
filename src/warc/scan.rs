//! Reading an archive back, record by record, as far as it is whole: what
//! `--resume` needs to cut a torn tail and the captures whose JSON line
//! died, and to rebuild the index from what stays.

use super::{IndexEntry, Page, cdx_timestamp, media_type, name_of, surt};
use std::fs::File;
use std::io;
use std::path::Path;

/// A record found by [`scan`]: where it lies, its type, and for a
/// metadata record the key of the trawl record it holds.
pub(super) struct Scanned {
    pub(super) start: u64,
    pub(super) end: u64,
    pub(super) kind: String,
    pub(super) key: Option<String>,
    /// A response's index entry (offset and length filled).
    pub(super) entry: Option<IndexEntry>,
    /// A metadata record's page, for `pages.jsonl`.
    pub(super) page: Option<Page>,
}

/// What an archive holds, record by record, as far as it is whole.
pub(super) struct Scan {
    pub(super) records: Vec<Scanned>,
    /// A torn record follows the last whole one.
    pub(super) torn: bool,
}

/// A reader that counts what it has read.
struct Counting<R> {
    inner: R,
    read: u64,
}

impl<R: io::Read> io::Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// Reads the archive at `path` record by record (one gzip member each, or
/// plain), one record in memory at a time, until its end or a record that
/// is not whole.
pub(super) fn scan(path: &Path, gzip: bool) -> io::Result<Scan> {
    use io::{BufRead, Read};
    let file = File::open(path)?;
    let mut rd = io::BufReader::with_capacity(
        1 << 16,
        Counting {
            inner: file,
            read: 0,
        },
    );
    let mut records = Vec::new();
    loop {
        let start = rd.get_ref().read - rd.buffer().len() as u64;
        if rd.fill_buf()?.is_empty() {
            return Ok(Scan {
                records,
                torn: false,
            });
        }
        let bytes = if gzip {
            let mut out = Vec::new();
            if flate2::bufread::GzDecoder::new(&mut rd)
                .read_to_end(&mut out)
                .is_err()
            {
                return Ok(Scan {
                    records,
                    torn: true,
                });
            }
            out
        } else {
            match read_plain(&mut rd) {
                Ok(Some(b)) => b,
                Ok(None) | Err(_) => {
                    return Ok(Scan {
                        records,
                        torn: true,
                    });
                }
            }
        };
        let end = rd.get_ref().read - rd.buffer().len() as u64;
        let Some((headers, block)) = parse_record(&bytes) else {
            return Ok(Scan {
                records,
                torn: true,
            });
        };
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let kind = get("WARC-Type").unwrap_or_default();
        let (mut key, mut entry, mut page) = (None, None, None);
        if kind == "metadata" {
            let json = String::from_utf8_lossy(block).trim_end().to_owned();
            key = crate::resume::key_of_record(json.as_bytes());
            page = Page::of_json(&json);
        }
        if (kind == "response" || kind == "revisit")
            && let (Some(uri), Some(date)) = (get("WARC-Target-URI"), get("WARC-Date"))
            && let Ok(url) = url::Url::parse(&uri)
        {
            let head_end = block
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .unwrap_or(block.len());
            let head = String::from_utf8_lossy(&block[..head_end]);
            let status = head
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let content_type = head.lines().find_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.eq_ignore_ascii_case("content-type").then_some(v.trim())
            });
            entry = Some(IndexEntry {
                surt: surt(&url),
                timestamp: cdx_timestamp(&date),
                url: uri,
                mime: if kind == "revisit" {
                    "warc/revisit".to_owned()
                } else {
                    media_type(content_type)
                },
                status,
                digest: get("WARC-Payload-Digest").unwrap_or_default(),
                length: end - start,
                offset: start,
                filename: name_of(path),
            });
        }
        records.push(Scanned {
            start,
            end,
            kind,
            key,
            entry,
            page,
        });
    }
}

/// The index entries and pages of the archive at `path`.
pub(super) fn scan_index(path: &Path, gzip: bool) -> io::Result<(Vec<IndexEntry>, Vec<Page>)> {
    let scan = scan(path, gzip)?;
    let mut entries = Vec::new();
    let mut pages = Vec::new();
    for r in scan.records {
        entries.extend(r.entry);
        pages.extend(r.page);
    }
    Ok((entries, pages))
}

/// Reads one uncompressed record (its bytes, the closing blank lines
/// included); `None` at a record cut short.
fn read_plain(rd: &mut impl io::BufRead) -> io::Result<Option<Vec<u8>>> {
    use io::Read;
    let mut bytes = Vec::new();
    let mut length = None;
    loop {
        let mut line = Vec::new();
        if rd.read_until(b'\n', &mut line)? == 0 {
            return Ok(None);
        }
        bytes.extend_from_slice(&line);
        if line == b"\r\n" {
            break;
        }
        let text = String::from_utf8_lossy(&line);
        if let Some((n, v)) = text.split_once(':')
            && n.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse::<u64>().ok();
        }
    }
    let Some(length) = length else {
        return Ok(None);
    };
    let mut rest = Vec::new();
    rd.take(length + 4).read_to_end(&mut rest)?;
    if rest.len() as u64 != length + 4 {
        return Ok(None);
    }
    bytes.extend_from_slice(&rest);
    Ok(Some(bytes))
}

/// A record's named headers, as read back.
type Fields = Vec<(String, String)>;

/// A record's named headers and block, when it is whole.
fn parse_record(bytes: &[u8]) -> Option<(Fields, &[u8])> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&bytes[..end]).ok()?;
    let mut lines = head.split("\r\n");
    if !lines.next()?.starts_with("WARC/") {
        return None;
    }
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        })
        .collect();
    let len: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("Content-Length"))?
        .1
        .parse()
        .ok()?;
    let block = bytes.get(end + 4..end + 4 + len)?;
    (bytes.get(end + 4 + len..end + 8 + len)? == b"\r\n\r\n").then_some((headers, block))
}
