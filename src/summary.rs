//! The counts of a run: what the writer tallied, and the closing summary
//! built from them and the reader's counts.

use crate::record::{ErrorKind, Part, Record};
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// What the writer counted.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Tally {
    /// Records written that were ok.
    pub ok: u64,
    /// Records written that were not ok, by error kind.
    pub failed: BTreeMap<ErrorKind, u64>,
    /// The output was closed by its reader; records after that were dropped.
    pub closed: bool,
    /// `--revalidate`: ok records whose content did not change (counted
    /// in `ok`), and of those, the 304s.
    pub unchanged: u64,
    pub not_modified: u64,
    /// `--changed-only`: the unchanged records were not written.
    pub unchanged_unwritten: bool,
}

impl Tally {
    /// Records made (with `--changed-only`, unchanged ones included).
    pub fn written(&self) -> u64 {
        self.ok + self.failed_total()
    }

    /// Records written that were not ok.
    pub fn failed_total(&self) -> u64 {
        self.failed.values().sum()
    }

    pub(crate) fn count(&mut self, rec: &Record) {
        match &rec.error {
            None => self.ok += 1,
            Some(e) => *self.failed.entry(e.kind).or_default() += 1,
        }
        if rec.ok && rec.changed == Part::Value(false) {
            self.unchanged += 1;
            self.not_modified += u64::from(rec.not_modified == Some(true));
        }
    }
}

/// What a crawl found and did not follow, for the summary: pages found
/// (besides the input's), and links (each URL once)
/// out of scope, filtered out by `--include`/`--exclude`, beyond
/// `--depth`, refused by robots.txt, pages cut by `--max-pages`, and
/// links to hosts of other shards (`--shard`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CrawlCounts {
    pub found: u64,
    pub out_of_scope: u64,
    pub excluded: u64,
    pub beyond_depth: u64,
    pub robots: u64,
    pub cut: u64,
    pub elsewhere: u64,
}

/// The closing summary printed on stderr.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Lines that named a URL, valid or not, repeats included.
    pub read: u64,
    /// Repeats skipped.
    pub duplicates: u64,
    /// Lines skipped because the output file had their record (`--resume`).
    pub resumed: u64,
    /// Lines left to other shards (`--shard`).
    pub elsewhere: u64,
    /// What the writer counted.
    pub tally: Tally,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// The run was interrupted.
    pub interrupted: bool,
    /// `--max-failures` was reached: no new URL started after that.
    pub halted_at: Option<u64>,
    /// `--crawl`: the links it did not follow.
    pub crawl: Option<CrawlCounts>,
}

impl Summary {
    /// URLs that were to get a record: those read, less repeats, and in a
    /// crawl the pages found, less those robots.txt refused or
    /// `--max-pages` cut.
    fn to_record(&self) -> u64 {
        let mut n = self.read - self.duplicates;
        if let Some(c) = &self.crawl {
            n = (n + c.found).saturating_sub(c.robots + c.cut);
        }
        n
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.tally;
        let plural =
            |n: u64, one: &'static str, many: &'static str| if n == 1 { one } else { many };
        let read = plural(self.read, "URL", "URLs");
        write!(f, "{} {read} read", self.read)?;
        if let Some(c) = &self.crawl {
            write!(f, ", {} found", c.found)?;
        }
        write!(f, ": {} ok, {} failed", t.ok, t.failed_total())?;
        if !t.failed.is_empty() {
            let kinds: Vec<String> = t
                .failed
                .iter()
                .map(|(k, n)| format!("{} {n}", k.as_str()))
                .collect();
            write!(f, " ({})", kinds.join(", "))?;
        }
        if t.unchanged > 0 {
            write!(
                f,
                ", {} unchanged ({} not modified)",
                t.unchanged, t.not_modified
            )?;
            if t.unchanged_unwritten {
                write!(f, ", not written")?;
            }
        }
        let dups = plural(self.duplicates, "duplicate", "duplicates");
        write!(f, ", {} {dups} skipped", self.duplicates)?;
        if self.resumed > 0 {
            write!(f, ", {} already in the output file", self.resumed)?;
        }
        if self.elsewhere > 0 {
            write!(f, ", {} left to other shards", self.elsewhere)?;
        }
        if let Some(c) = &self.crawl {
            write!(
                f,
                "; links not followed: {} out of scope, {} excluded, {} beyond --depth, \
                 {} refused by robots.txt, {} cut by --max-pages",
                c.out_of_scope, c.excluded, c.beyond_depth, c.robots, c.cut
            )?;
            if c.elsewhere > 0 {
                write!(f, ", {} left to other shards", c.elsewhere)?;
            }
        }
        let secs = self.elapsed.as_secs_f64();
        let rate = if secs > 0.0 {
            t.written() as f64 / secs
        } else {
            0.0
        };
        write!(f, "; {secs:.2}s, {rate:.1} pages/s")?;
        if let Some(max) = self.halted_at {
            let left = self.to_record().saturating_sub(t.written());
            write!(
                f,
                "; stopped at {max} {} (--max-failures), {left} more {} not fetched",
                plural(max, "failure", "failures"),
                plural(left, "URL", "URLs")
            )?;
        }
        if self.interrupted {
            let unfinished = self.to_record().saturating_sub(t.written());
            let urls = plural(unfinished, "URL", "URLs");
            write!(
                f,
                "; interrupted, {unfinished} {urls} unfinished (no record)"
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_names_kinds_and_rate() {
        let mut tally = Tally {
            ok: 3,
            ..Tally::default()
        };
        tally.failed.insert(ErrorKind::Timeout, 1);
        let s = Summary {
            read: 5,
            duplicates: 1,
            resumed: 0,
            elsewhere: 0,
            tally,
            elapsed: Duration::from_secs(2),
            interrupted: false,
            halted_at: None,
            crawl: None,
        };
        assert_eq!(
            s.to_string(),
            "5 URLs read: 3 ok, 1 failed (timeout 1), 1 duplicate skipped; 2.00s, 2.0 pages/s"
        );
        let crawl = Summary {
            read: 1,
            duplicates: 0,
            interrupted: true,
            crawl: Some(CrawlCounts {
                found: 9,
                out_of_scope: 2,
                robots: 1,
                cut: 2,
                ..CrawlCounts::default()
            }),
            ..s
        };
        assert_eq!(
            crawl.to_string(),
            "1 URL read, 9 found: 3 ok, 1 failed (timeout 1), 0 duplicates skipped; \
             links not followed: 2 out of scope, 0 excluded, 0 beyond --depth, \
             1 refused by robots.txt, 2 cut by --max-pages; 2.00s, 2.0 pages/s; \
             interrupted, 3 URLs unfinished (no record)"
        );
    }
}
