//! Reading trawl's own output back: `--resume`, `--revalidate` and the
//! crawl's frontier rebuilt by `--resume` read it through here, with one
//! rule for what is trawl's and what is torn.
//!
//! * A line is read in bounded memory: one longer than [`MAX_RECORD_LINE`]
//!   is refused, and so is a line whose first byte could not begin a JSON
//!   object, before more of it is read (`/dev/zero`, a binary file).
//! * A last line without its newline is torn (a crash cut the write short)
//!   only when it is the beginning of a record: it starts with `{"url":`,
//!   as every record trawl writes does, or is a prefix of that. Anything
//!   else there (a note without a trailing newline, a minified JSON file)
//!   means the file is not trawl's output, and it is refused, untouched.
//!
//! Whether a complete line is a record is the caller's to judge.

use std::io::{self, BufRead};
use std::path::Path;

/// The longest line read back. A record is about as long as what it holds:
/// its fields and links, a few times `--max-body` at worst.
pub const MAX_RECORD_LINE: usize = 64 << 20;

/// How every record trawl writes begins.
const RECORD_START: &[u8] = b"{\"url\":";

/// One line of an output file.
pub enum Line<'a> {
    /// A complete line, without its newline.
    Whole(&'a [u8]),
    /// The last line, without a newline: the beginning of a record that a
    /// crash cut short.
    Torn(&'a [u8]),
}

/// Where a line is in its file.
#[derive(Debug, Clone, Copy)]
pub struct At {
    /// Its number, from 1.
    pub number: u64,
    /// The offset of its first byte.
    pub offset: u64,
}

/// Reads an output file line by line.
pub struct Lines<'p, R> {
    src: R,
    path: &'p Path,
    buf: Vec<u8>,
    /// Lines read so far.
    number: u64,
    /// Where the next line starts.
    next: u64,
}

impl<'p, R: BufRead> Lines<'p, R> {
    /// Reads `src`, the contents of `path` (named in errors).
    pub fn new(src: R, path: &'p Path) -> Lines<'p, R> {
        Lines {
            src,
            path,
            buf: Vec::new(),
            number: 0,
            next: 0,
        }
    }

    /// The next line, `None` at the end.
    ///
    /// # Errors
    /// The file cannot be read, or is not trawl's output: a line too long,
    /// a line that cannot begin a record, or a last line without a newline
    /// that is not the beginning of one.
    pub fn next_line(&mut self) -> io::Result<Option<(Line<'_>, At)>> {
        self.buf.clear();
        let mut checked = false;
        loop {
            let chunk = self.src.fill_buf()?;
            if chunk.is_empty() {
                break;
            }
            let (take, done) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            if self.buf.len() + take > MAX_RECORD_LINE + 1 {
                return Err(self.refuse(&format!("is longer than {} MiB", MAX_RECORD_LINE >> 20)));
            }
            self.buf.extend_from_slice(&chunk[..take]);
            self.src.consume(take);
            if !checked && let Some(&first) = self.buf.iter().find(|b| !b.is_ascii_whitespace()) {
                checked = true;
                if first != b'{' {
                    return Err(self.refuse("is not a trawl record"));
                }
            }
            if done {
                break;
            }
        }
        if self.buf.is_empty() {
            return Ok(None);
        }
        let whole = self.buf.last() == Some(&b'\n');
        let n = self.buf.len().min(RECORD_START.len());
        if !whole && self.buf[..n] != RECORD_START[..n] {
            return Err(self.refuse(
                "has no newline and is not the beginning of a record: this is not trawl's output",
            ));
        }
        self.number += 1;
        let at = At {
            number: self.number,
            offset: self.next,
        };
        self.next += self.buf.len() as u64;
        if whole {
            self.buf.pop();
            return Ok(Some((Line::Whole(&self.buf), at)));
        }
        Ok(Some((Line::Torn(&self.buf), at)))
    }

    /// The error for the line being read.
    fn refuse(&self, what: &str) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("line {} of {} {what}", self.number + 1, self.path.display()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> Result<Vec<(bool, String)>, String> {
        let path = Path::new("out.jsonl");
        let mut lines = Lines::new(bytes, path);
        let mut got = Vec::new();
        loop {
            match lines.next_line() {
                Ok(None) => return Ok(got),
                Ok(Some((Line::Whole(l), _))) => {
                    got.push((true, String::from_utf8_lossy(l).into()))
                }
                Ok(Some((Line::Torn(l), _))) => {
                    got.push((false, String::from_utf8_lossy(l).into()))
                }
                Err(e) => return Err(e.to_string()),
            }
        }
    }

    #[test]
    fn whole_lines_and_a_torn_record_are_read() {
        let got = read(b"{\"url\":\"a\"}\n{}\n{\"url\":\"https://b.te").unwrap();
        assert_eq!(got.len(), 3);
        assert!(got[0].0 && got[1].0 && !got[2].0);
        assert_eq!(got[2].1, "{\"url\":\"https://b.te");
        // A prefix of a record's start is torn too, down to one brace.
        for torn in ["{", "{\"u", "{\"url\""] {
            let got = read(format!("{{\"url\":1}}\n{torn}").as_bytes()).unwrap();
            assert_eq!(got[1], (false, torn.to_owned()));
        }
    }

    #[test]
    fn a_tail_that_is_not_a_record_is_refused() {
        for tail in [
            &b"precious data, no trailing newline"[..],
            b"{\"name\":\"config\",\"url\":\"x\"}",
            b"{ \"url\": 1",
            b"\0\0\0\0",
        ] {
            let mut file = b"{\"url\":\"a\"}\n".to_vec();
            file.extend_from_slice(tail);
            let err = read(&file).unwrap_err();
            assert!(err.starts_with("line 2 of out.jsonl"), "{err}");
        }
    }

    #[test]
    fn a_line_that_cannot_be_a_record_is_refused_before_it_is_read_whole() {
        // An endless source of zeros: refused at its first byte.
        let zeros = io::BufReader::new(io::repeat(0));
        let err = Lines::new(zeros, Path::new("z")).next_line().err().unwrap();
        assert!(err.to_string().contains("not a trawl record"), "{err}");
        // An endless object: refused at the cap, not read to the end.
        let endless = io::BufReader::new(io::Read::chain(&b"{"[..], io::repeat(b' ')));
        let err = Lines::new(endless, Path::new("z"))
            .next_line()
            .err()
            .unwrap();
        assert!(err.to_string().contains("longer than 64 MiB"), "{err}");
    }
}
