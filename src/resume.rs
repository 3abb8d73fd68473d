//! `--resume`: picks up an output file where an earlier run left it.
//!
//! The file's records name the URLs already done; the reader skips them and
//! the writer appends. A crash (SIGKILL, power loss) can leave the last line
//! half-written: it is cut off the file before anything is appended, and
//! its bytes are reported on stderr, never kept in the file. A complete line
//! that is not a record, or a last line that is not the beginning of one,
//! means the file is not trawl's output (or was edited): resuming refuses
//! it, untouched, rather than guess (see [`crate::outfile`]).

use crate::input::{Seen, classify};
use crate::outfile::{Line, Lines};
use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Seek, SeekFrom};
use std::path::Path;

/// What an earlier run left in the output file.
#[derive(Default)]
pub struct Resumed {
    /// The URLs that have a record, by the same key the reader uses for
    /// repeats.
    pub done: Seen,
    /// Records found.
    pub records: u64,
    /// Records among them that are not ok.
    pub not_ok: u64,
    /// A torn last line that was cut off: its length and its start.
    pub torn: Option<(u64, String)>,
}

/// The key of an input line or a record's `url`: its normalised URL, or
/// the trimmed line when it is not one. `None` for blank lines and comments.
pub fn key_of(line: &str) -> Option<String> {
    classify(line).key(line.trim()).map(str::to_owned)
}

/// Reads `path`, cuts a torn last line away, and returns what the file
/// holds. A file that does not exist yet holds nothing.
///
/// # Errors
/// The file cannot be read or truncated, or a complete line of it is not a
/// trawl record (the message names the line).
pub fn prepare(path: &Path) -> io::Result<Resumed> {
    // A pipe or a socket holds no earlier records, and reading one would
    // wait for a writer.
    if let Ok(meta) = std::fs::metadata(path)
        && is_stream(&meta.file_type())
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is a pipe or a socket, which holds no earlier records",
        ));
    }
    let mut file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Resumed::default()),
        Err(e) => return Err(e),
    };
    let mut found = Resumed::default();
    let mut reader = BufReader::with_capacity(256 * 1024, &mut file);
    let mut lines = Lines::new(&mut reader, path);
    let mut good_end = 0u64;
    while let Some((line, at)) = lines.next_line()? {
        let line = match line {
            Line::Whole(line) => line,
            Line::Torn(line) => {
                let shown = String::from_utf8_lossy(&line[..line.len().min(120)]).into_owned();
                found.torn = Some((line.len() as u64, shown));
                break;
            }
        };
        let (key, ok) = record_of(line).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "line {} of {} is not a trawl record; not resuming into it",
                    at.number,
                    path.display()
                ),
            )
        })?;
        if let Some(key) = key {
            found.done.insert(&key);
        }
        found.records += 1;
        found.not_ok += u64::from(!ok);
        good_end = at.offset + line.len() as u64 + 1;
    }
    drop(reader);
    if found.torn.is_some() {
        file.set_len(good_end)?;
        file.sync_data()?;
    }
    file.seek(SeekFrom::End(0))?;
    Ok(found)
}

/// A FIFO or a socket.
#[cfg(unix)]
fn is_stream(kind: &std::fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt;
    kind.is_fifo() || kind.is_socket()
}

#[cfg(not(unix))]
fn is_stream(_: &std::fs::FileType) -> bool {
    false
}

/// The repeat key of a record line (its `url`, and for a request line its
/// method and body); `None` when the line is not a record.
pub fn key_of_record(line: &[u8]) -> Option<String> {
    record_of(line).and_then(|(key, _)| key)
}

/// The repeat key and `ok` of one record line.
fn record_of(line: &[u8]) -> Option<(Option<String>, bool)> {
    #[derive(serde::Deserialize)]
    struct Head {
        url: String,
        ok: bool,
        #[serde(default)]
        method: Option<String>,
        #[serde(default)]
        body_hash: Option<String>,
    }
    let head: Head = serde_json::from_slice(line).ok()?;
    // A request line's record is keyed as the line was (its method and
    // body besides its URL).
    let key = key_of(&head.url).map(|key| match head.method {
        Some(method) => crate::request::request_key(&key, &method, head.body_hash.as_deref()),
        None => key,
    });
    Some((key, head.ok))
}

/// Opens the output for appending after [`prepare`].
///
/// # Errors
/// As `open(2)`.
pub fn append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
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

    #[test]
    fn reads_records_and_cuts_a_torn_line() {
        let body = b"{\"url\":\"https://a.test\",\"ok\":true}\n\
                     {\"url\":\"nope\",\"ok\":false}\n\
                     {\"url\":\"https://b.te";
        let f = file_with(body);
        let mut got = prepare(f.path()).unwrap();
        assert_eq!((got.records, got.not_ok), (2, 1));
        let (len, shown) = got.torn.clone().unwrap();
        assert_eq!((len, shown.as_str()), (20, "{\"url\":\"https://b.te"));
        // The repeat check sees the normalised URL and the bad line.
        assert!(!got.done.insert("https://a.test/"));
        assert!(!got.done.insert("nope"));
        assert!(got.done.insert("https://b.test/"));
        let left = std::fs::read(f.path()).unwrap();
        assert!(left.ends_with(b"\"ok\":false}\n"));
        // Again: nothing torn now, nothing changes.
        let again = prepare(f.path()).unwrap();
        assert!(again.torn.is_none());
        assert_eq!(std::fs::read(f.path()).unwrap(), left);
    }

    #[test]
    fn a_file_that_is_not_trawl_output_is_refused() {
        let f = file_with(b"{\"url\":\"https://a.test\",\"ok\":true}\nhello\n");
        let err = prepare(f.path()).err().unwrap();
        assert!(err.to_string().contains("line 2"), "{err}");
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
        let err = prepare(&fifo).err().unwrap();
        assert!(err.to_string().contains("pipe"), "{err}");
    }

    #[test]
    fn a_missing_file_is_an_empty_start() {
        let dir = tempfile::tempdir().unwrap();
        let got = prepare(&dir.path().join("new.jsonl")).unwrap();
        assert_eq!(got.records, 0);
        assert!(got.torn.is_none());
    }
}

#[cfg(test)]
mod props {
    use crate::testing::url_like;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(crate::testing::config())]

        /// The key `--resume` reads back from a record's `url` is the key
        /// the input gave that URL: a URL done is never fetched again
        /// however it was written.
        #[test]
        fn resume_keys_are_the_inputs_keys(raw in url_like()) {
            use crate::input::{Line, classify};
            let line = classify(&raw);
            if let Line::Url(_) = &line {
                let key = line.key(raw.trim()).unwrap_or_default().to_owned();
                prop_assert_eq!(crate::resume::key_of(&key), Some(key.clone()));
            }
        }

        /// The resume reader, on any bytes: a file of records ends with their
        /// URLs done and nothing cut; a torn last line that is the beginning of
        /// a record is cut off and reported; any other last line without a
        /// newline, and a complete line that is not a record, are refused with
        /// the file left as it was. Never a panic.
        #[test]
        fn the_resume_reader_takes_records_cuts_torn_lines_and_refuses_garbage(
            urls in prop::collection::vec(url_like(), 0..8),
            tail in prop::collection::vec(any::<u8>(), 0..64),
            cut in any::<prop::sample::Index>(),
            torn_record in any::<bool>(),
            garbage in prop::collection::vec(any::<u8>(), 0..64),
        ) {
            use crate::record::{Record, write_json_line};
            let fail = |e: &dyn std::fmt::Display| TestCaseError::fail(e.to_string());
            let dir = tempfile::tempdir().map_err(|e| fail(&e))?;
            let path = dir.path().join("out.jsonl");
            let mut file = Vec::new();
            for u in &urls {
                write_json_line(&Record::empty(u.clone()), &mut file).map_err(|e| fail(&e))?;
                file.push(b'\n');
            }
            let whole = file.len() as u64;
            // The last line: a record cut short anywhere, or any bytes, without
            // a newline.
            let torn: Vec<u8> = if torn_record {
                let mut line = Vec::new();
                write_json_line(&Record::empty("https://a.test/".into()), &mut line).map_err(|e| fail(&e))?;
                line.truncate(cut.index(line.len()));
                line
            } else {
                tail.iter().copied().filter(|&b| b != b'\n').collect()
            };
            let start = b"{\"url\":";
            let n = torn.len().min(start.len());
            let record_start = torn[..n] == start[..n];
            file.extend_from_slice(&torn);
            std::fs::write(&path, &file).map_err(|e| fail(&e))?;
            match crate::resume::prepare(&path) {
                Ok(got) => {
                    prop_assert!(record_start, "{:?} was cut", String::from_utf8_lossy(&torn));
                    prop_assert_eq!(got.records, urls.len() as u64);
                    prop_assert_eq!(got.torn.is_some(), !torn.is_empty());
                    prop_assert_eq!(std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0), whole);
                    for u in &urls {
                        if let Some(key) = crate::resume::key_of(u) {
                            prop_assert!(got.done.contains(&key), "{u:?}");
                        }
                    }
                }
                Err(_) => {
                    prop_assert!(!record_start, "{:?} was refused", String::from_utf8_lossy(&torn));
                    prop_assert_eq!(std::fs::read(&path).map_err(|e| fail(&e))?, file);
                }
            }
            // A complete line of garbage (a NUL, say) is not a record.
            let mut bad = garbage.clone();
            bad.retain(|&b| b != b'\n');
            bad.push(0);
            bad.push(b'\n');
            std::fs::write(&path, &bad).map_err(|e| fail(&e))?;
            prop_assert!(crate::resume::prepare(&path).is_err());
            prop_assert_eq!(std::fs::read(&path).map_err(|e| fail(&e))?, bad);
        }
    }
}
