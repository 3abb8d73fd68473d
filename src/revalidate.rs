//! `--revalidate FILE`: an earlier run's output as this run's cache.
//!
//! The file is indexed once, at start: for each record, a 64-bit hash of
//! its URL's key (the key repeats and `--resume` use) and the byte offset
//! of its line, 16 bytes a record, sorted. A record is read back from the
//! file only when its URL comes up, so a file of a million records costs
//! about 16 MB, not the records themselves. A torn last line (a crash) is
//! left out; a complete line that is not a record means the file is not
//! trawl's output, and is refused.
//!
//! What an earlier record allows: it must be ok (a failure is never
//! trusted), hold a validator (`etag` or `last_modified`) and hold every
//! part this run asks for; then the request is conditional, and a 304
//! carries the earlier record's parts forward.

use crate::fetch::Conditional;
use crate::outfile::{Line, Lines};
use crate::record::Part;
use crate::resume::key_of;
use serde::Deserialize;
use serde_json::Value;
use std::fs::File;
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};
use trawl_page::Plan;
use trawl_page::main_content::Content;
use trawl_page::meta::Meta;
use trawl_page::select::{Field, Fields};
use url::Url;

/// An indexed earlier output file.
pub struct Previous {
    path: PathBuf,
    file: File,
    /// (hash of the URL's key, offset of its line), sorted; a URL written
    /// twice has two entries, and the later one wins.
    index: Vec<(u64, u64)>,
    /// Records indexed.
    pub records: u64,
    /// The length of a torn last line, left out.
    pub torn: Option<u64>,
}

/// What this run uses of an earlier record. Fields a record lacks (one
/// written before they existed) read as absent.
#[derive(Debug, Deserialize)]
pub struct Prior {
    pub url: String,
    pub ok: bool,
    #[serde(default)]
    pub final_url: Option<String>,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub fields: Part<Fields>,
    #[serde(default)]
    pub links: Part<Vec<String>>,
    #[serde(default)]
    pub meta: Part<Meta>,
    #[serde(default)]
    pub json_ld: Part<Vec<Value>>,
    #[serde(default)]
    pub json_ld_invalid: Part<u32>,
    #[serde(default)]
    pub content: Part<Content>,
    #[serde(default)]
    pub etag: Option<String>,
    #[serde(default)]
    pub last_modified: Option<String>,
    #[serde(default)]
    pub content_hash: Option<String>,
    /// When it was made: a `--warc` revisit refers to that capture.
    #[serde(default)]
    pub fetched_at: Option<String>,
}

fn hash(key: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(key.as_bytes())
}

impl Previous {
    /// Indexes `path`.
    ///
    /// # Errors
    /// The file cannot be read, or a complete line of it is not a trawl
    /// record (the message names the line).
    pub fn open(path: &Path) -> io::Result<Previous> {
        // Records are read back by their offsets. Looked at before it is
        // opened: opening a FIFO would wait for a writer.
        if !std::fs::metadata(path)?.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "it is not a regular file (an earlier run's -o output is)",
            ));
        }
        let file = File::open(path)?;
        let mut reader = BufReader::with_capacity(256 * 1024, &file);
        let mut lines = Lines::new(&mut reader, path);
        let mut index = Vec::new();
        let (mut number, mut torn) = (0u64, None);
        while let Some((line, at)) = lines.next_line()? {
            number = at.number;
            let line = match line {
                Line::Whole(line) => line,
                Line::Torn(line) => {
                    torn = Some(line.len() as u64);
                    break;
                }
            };
            #[derive(Deserialize)]
            struct Head {
                url: String,
            }
            let head: Head = serde_json::from_slice(line).map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("line {number} of {} is not a trawl record", path.display()),
                )
            })?;
            if let Some(key) = key_of(&head.url) {
                index.push((hash(&key), at.offset));
            }
        }
        drop(reader);
        index.sort_unstable();
        index.shrink_to_fit();
        Ok(Previous {
            path: path.to_owned(),
            file,
            records: number - u64::from(torn.is_some()),
            index,
            torn,
        })
    }

    /// The file's path, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The latest record of the URL whose key is `key`, read back from the
    /// file. Blocks on the file: call it off the reactor.
    ///
    /// # Errors
    /// The file cannot be read.
    pub fn get(&self, key: &str) -> io::Result<Option<Prior>> {
        let h = hash(key);
        let start = self.index.partition_point(|e| e.0 < h);
        let same: Vec<u64> = self.index[start..]
            .iter()
            .take_while(|e| e.0 == h)
            .map(|e| e.1)
            .collect();
        // Latest first; a hash shared by another URL is skipped.
        for offset in same.into_iter().rev() {
            let line = self.line_at(offset)?;
            let Ok(prior) = serde_json::from_slice::<Prior>(&line) else {
                continue;
            };
            if key_of(&prior.url).as_deref() == Some(key) {
                return Ok(Some(prior));
            }
        }
        Ok(None)
    }

    /// The line that starts at `offset`, without its newline.
    fn line_at(&self, mut offset: u64) -> io::Result<Vec<u8>> {
        let mut line = Vec::new();
        let mut buf = vec![0u8; 8192];
        loop {
            let n = read_at(&self.file, &mut buf, offset)?;
            if n == 0 {
                return Ok(line);
            }
            if let Some(end) = buf[..n].iter().position(|&b| b == b'\n') {
                line.extend_from_slice(&buf[..end]);
                return Ok(line);
            }
            line.extend_from_slice(&buf[..n]);
            offset += n as u64;
            // Records are read a few KiB at a time; a long one grows the
            // buffer so it takes few reads.
            if buf.len() < line.len() {
                buf.resize(line.len().min(1 << 20), 0);
            }
        }
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

impl Prior {
    /// The content hash to compare a new body's with: only an ok record's.
    pub fn hash(&self) -> Option<&str> {
        self.content_hash.as_deref().filter(|_| self.ok)
    }

    /// The validators to send for this URL, or why none are sent (for
    /// `-vv`): the record must be ok, have a validator and hold every part
    /// `plan` asks for, so that a 304 can carry them forward.
    pub fn conditional(&self, plan: &Plan) -> Result<Conditional, String> {
        if !self.ok {
            return Err("the earlier record is not ok".into());
        }
        if self.etag.is_none() && self.last_modified.is_none() {
            return Err("the earlier record has no ETag or Last-Modified".into());
        }
        if self.content_hash.is_none() {
            return Err("the earlier record has no content_hash".into());
        }
        if let Some(why) = self.lacks(plan) {
            return Err(why);
        }
        let url = self
            .final_url
            .as_deref()
            .and_then(|u| Url::parse(u).ok())
            .ok_or("the earlier record has no final_url")?;
        Ok(Conditional {
            url,
            etag: self.etag.clone(),
            last_modified: self.last_modified.clone(),
        })
    }

    /// What `plan` asks for that this record does not hold.
    fn lacks(&self, plan: &Plan) -> Option<String> {
        if plan.has_expectations() {
            return Some("--expect and --expect-text need the body".into());
        }
        if plan
            .selections
            .iter()
            .any(|s| s.name == crate::crawl::FOLLOW_FIELD)
        {
            return Some("--follow needs the page's links".into());
        }
        if !plan.selections.is_empty() {
            match &self.fields {
                Part::NotAsked => return Some("the earlier record has no fields".into()),
                // No page to read then, and none now: nothing is missing.
                Part::Null => {}
                Part::Value(Fields(have)) => {
                    for sel in &plan.selections {
                        let found = have.iter().find(|(name, _)| *name == sel.name);
                        let fits = match found.map(|(_, f)| f) {
                            Some(Field::One(_)) => !sel.many,
                            Some(Field::Many(_)) => sel.many,
                            None => false,
                        };
                        if !fits {
                            let brackets = if sel.many { "[]" } else { "" };
                            return Some(format!(
                                "the earlier record has no field '{}{brackets}'",
                                sel.name
                            ));
                        }
                    }
                }
            }
        }
        if plan.links && self.links.is_not_asked() {
            return Some("the earlier record has no links".into());
        }
        if plan.meta
            && (self.meta.is_not_asked()
                || self.json_ld.is_not_asked()
                || self.json_ld_invalid.is_not_asked())
        {
            return Some("the earlier record has no meta".into());
        }
        if let Some(want) = &plan.content {
            match &self.content {
                Part::NotAsked => return Some("the earlier record has no content".into()),
                Part::Value(c) if c.format != want.format => {
                    return Some(format!(
                        "the earlier record's content is {}, not {}",
                        c.format.as_str(),
                        want.format.as_str()
                    ));
                }
                _ => {}
            }
        }
        None
    }

    /// The earlier `fields`, as `plan` asks for them: its fields in the
    /// order of this run's `-s` flags (those it does not ask for left
    /// out); not asked for when it asks for none.
    pub fn fields_for(&self, plan: &Plan) -> Part<Fields> {
        if plan.selections.is_empty() {
            return Part::NotAsked;
        }
        let have = self.fields.clone().into_value();
        Part::or_null(have.map(|Fields(mut have)| {
            Fields(
                plan.selections
                    .iter()
                    .filter_map(|sel| {
                        let at = have.iter().position(|(name, _)| *name == sel.name)?;
                        Some(have.swap_remove(at))
                    })
                    .collect(),
            )
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_with(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("out.jsonl");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let err = Previous::open(&fifo).err().unwrap();
        assert!(err.to_string().contains("regular file"), "{err}");
    }

    #[test]
    fn indexes_records_and_reads_the_latest_back() {
        let f = file_with(
            b"{\"url\":\"https://a.test\",\"ok\":false}\n\
              {\"url\":\"https://b.test/x\",\"ok\":true,\"etag\":\"\\\"1\\\"\",\"fields\":null}\n\
              {\"url\":\"https://a.test/\",\"ok\":true,\"title\":\"A\"}\n\
              {\"url\":\"https://c.te",
        );
        let prev = Previous::open(f.path()).unwrap();
        assert_eq!((prev.records, prev.torn), (3, Some(20)));
        // Keys are normalised: a.test and a.test/ are one URL, the later wins.
        let a = prev.get("https://a.test/").unwrap().unwrap();
        assert!(a.ok);
        assert_eq!(a.title.as_deref(), Some("A"));
        let b = prev.get("https://b.test/x").unwrap().unwrap();
        assert_eq!(b.etag.as_deref(), Some("\"1\""));
        assert!(matches!(b.fields, Part::Null), "null is not absent");
        assert!(b.links.is_not_asked());
        assert!(prev.get("https://c.test/").unwrap().is_none(), "torn");
        assert!(prev.get("https://d.test/").unwrap().is_none());
    }

    #[test]
    fn a_file_that_is_not_trawl_output_is_refused() {
        let f = file_with(b"{\"url\":\"https://a.test\",\"ok\":true}\nhttps://b.test\n");
        let err = Previous::open(f.path()).err().unwrap();
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn long_records_are_read_back_whole() {
        let title = "x".repeat(100_000);
        let text = format!(
            "{{\"url\":\"https://a.test/\",\"ok\":true,\"title\":\"{title}\"}}\n\
             {{\"url\":\"https://b.test/\",\"ok\":true}}\n"
        );
        let f = file_with(text.as_bytes());
        let prev = Previous::open(f.path()).unwrap();
        let a = prev.get("https://a.test/").unwrap().unwrap();
        assert_eq!(a.title.map(|t| t.len()), Some(100_000));
        assert!(prev.get("https://b.test/").unwrap().unwrap().ok);
    }
}
