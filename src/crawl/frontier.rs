//! The crawl's frontier: the pages found and not fetched yet, on disk, in
//! append-only files per depth level, each read back in the order its
//! entries were written while more are appended.
//!
//! The lowest level with unread pages is read first, so pages start in
//! order of depth (breadth-first), and among pages of one depth in the
//! order they were found. A level is split into a few files by a hash of
//! the host, which take turns; a file whose next page is for a host that
//! has enough pages waiting already is read past, so a host with 100,000
//! pages found holds back no host with 10 (the dispatcher's look-ahead
//! would otherwise fill with the big host's pages). A file is dropped once
//! it is read to its end (a straggler's links later reopen it), so only a
//! few are open at once however deep the crawl goes.
//!
//! Memory: only the seen-set grows with the crawl (16 bytes a URL, shared
//! with the input's repeat check); the files are anonymous (unlinked)
//! temporary files, gone when the run ends however it ends.
//!
//! A URL enters the seen-set when it is written to the frontier, so it is
//! written once. The links of seeds are the exception: they are found while
//! the input is still being read, and a later input line must get its own
//! record as a seed rather than be taken for a repeat. So until the input
//! is read to its end they wait, unchecked, in a pending file, which is
//! then compacted into level 1 (repeats dropped, URLs entered).

use super::{CrawlOptions, CrawlStats, Lineage};
use crate::input::{Seen, url_key};
use crate::keys::Keys;
use crate::outfile::{Line, Lines};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};
use url::Url;

/// What a fetched page of the crawl hands to the frontier: its links,
/// judged already (by the page's task, in parallel with the others), so
/// that the dispatcher only checks them against the seen-set.
pub struct Found {
    /// Where the page came from.
    lineage: Lineage,
    /// The page's `url` (the parent of its links).
    page: String,
    /// Where its redirects led; `None` when it did not redirect.
    redirected_to: Option<Url>,
    /// Its links (none when they are not followed).
    links: Vec<Judged>,
}

/// A link of a page, and what becomes of it.
struct Judged {
    /// The link as found: absolute, normalised, without its fragment, so
    /// also its key for the seen-set.
    link: String,
    /// The frontier bucket of its host.
    bucket: usize,
    verdict: Verdict,
}

/// What becomes of a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// A page to crawl.
    Page,
    /// Out of scope, to check once (`--check-external`).
    External,
    /// Counted, not followed: the reasons of [`CrawlStats`].
    Excluded,
    BeyondDepth,
    OutOfScope,
    Elsewhere,
}

impl Found {
    /// Judges the `links` of `page` (reached from `lineage`, redirected to
    /// `redirected_to`, if it was) by `opts`; `follow` are those of
    /// `--follow`'s elements, which the scope does not hold back.
    pub fn new(
        lineage: Lineage,
        page: String,
        redirected_to: Option<Url>,
        links: Vec<String>,
        follow: &[String],
        opts: &CrawlOptions,
    ) -> Found {
        // An external page's links are not followed, nor those of a page
        // whose redirects left the scope.
        let go_on = !lineage.external
            && redirected_to
                .as_ref()
                .is_none_or(|to| opts.scope.contains(&lineage.anchor, to));
        let depth = lineage.depth + 1;
        let links = links
            .into_iter()
            .filter(|_| go_on)
            .filter_map(|link| {
                let url = Url::parse(&link).ok()?;
                if !matches!(url.scheme(), "http" | "https") {
                    return None;
                }
                // With --crawl, a link `--follow` names is followed wherever
                // it leads; alone, --follow keeps to the scope.
                let named = !opts.follow_only
                    && follow
                        .iter()
                        .any(|f| f.split('#').next() == link.split('#').next());
                let inside = named || opts.scope.contains(&lineage.anchor, &url);
                let verdict = if !opts.filters.allows(&link) {
                    Verdict::Excluded
                } else if !inside && !opts.check_external {
                    Verdict::OutOfScope
                } else if depth > opts.depth {
                    // An external link is checked only at a depth where an
                    // in-scope link would be fetched.
                    Verdict::BeyondDepth
                } else if inside
                    && let Some(shard) = &opts.shard
                    && !shard.owns(Some(&url), &link)
                {
                    // Another shard crawls that host. (An out-of-scope
                    // link is checked by whichever shard finds it.)
                    Verdict::Elsewhere
                } else if inside {
                    Verdict::Page
                } else {
                    Verdict::External
                };
                let bucket = bucket_of(url.host_str().unwrap_or_default());
                // The key of a link with no fragment is the link itself.
                let link = match url_key(&url) {
                    key if key == link => link,
                    key => key.to_owned(),
                };
                Some(Judged {
                    link,
                    bucket,
                    verdict,
                })
            })
            .collect();
        Found {
            lineage,
            page,
            redirected_to,
            links,
        }
    }
}

/// The frontier bucket of a host.
fn bucket_of(host: &str) -> usize {
    (xxhash_rust::xxh3::xxh3_64(host.as_bytes()) % BUCKETS as u64) as usize
}

/// A page to fetch, read back from the frontier.
pub struct Discovered {
    /// The link as found: the record's `url`.
    pub line: String,
    pub url: Url,
    pub lineage: Lineage,
}

/// What an entry of a level file is: a page to crawl.
const PAGE: u8 = 0;
/// An out-of-scope link to check once (`--check-external`).
const EXTERNAL: u8 = 1;
/// Not a page: a URL to enter into the seen-set when the pending file is
/// compacted (where a seed's redirect led).
const MARK: u8 = 2;

/// Links not followed that are counted each once; past this many (16 MB
/// of hashes) a repeat may count again, so that the crawl's memory stays
/// bounded when its last level links to many more pages than it fetched.
const SKIPPED_EXACT: usize = 1 << 20;

/// One entry: kind, anchor, parent, URL, and the keys of its seed
/// ([`Keys::to_field`]).
type Entry = (u8, String, String, String, String);

/// The frontier of a crawl.
pub struct Frontier {
    opts: Arc<CrawlOptions>,
    /// URLs fetched or in the frontier, shared with the input reader.
    seen: Arc<Mutex<Seen>>,
    /// Links counted as not followed, so each counts once (up to
    /// [`SKIPPED_EXACT`] of them).
    skipped: Seen,
    skipped_len: usize,
    stats: Arc<CrawlStats>,
    /// The links of seeds, until the input is read to its end.
    pending: Option<Spill>,
    /// Levels with entries not read yet, by depth.
    levels: BTreeMap<u32, Level>,
}

/// Files a level is split into, by a hash of the host: a host with many
/// pages waiting fills one bucket, and the others are read past it.
const BUCKETS: usize = 16;

/// The entries of one depth, in buckets by host.
struct Level {
    buckets: Vec<Option<Bucket>>,
    /// The bucket to read from next: they take turns.
    cursor: usize,
}

/// A bucket of a level, with its next entry read ahead (to see its host).
struct Bucket {
    spill: Spill,
    next: Option<(Entry, Url)>,
}

impl Level {
    fn new() -> Level {
        Level {
            buckets: (0..BUCKETS).map(|_| None).collect(),
            cursor: 0,
        }
    }

    /// The file of bucket `i`, opened again if it was read to its end.
    fn bucket(&mut self, i: usize) -> io::Result<&mut Spill> {
        let slot = &mut self.buckets[i % BUCKETS];
        Ok(match slot {
            Some(b) => &mut b.spill,
            None => {
                &mut slot
                    .insert(Bucket {
                        spill: Spill::new()?,
                        next: None,
                    })
                    .spill
            }
        })
    }

    fn written(&self) -> u64 {
        self.buckets.iter().flatten().map(|b| b.spill.written).sum()
    }

    fn is_drained(&self) -> bool {
        self.buckets.iter().all(Option::is_none)
    }

    /// The next entry, taking the buckets in turn, whose host `has_room`;
    /// a bucket whose next entry's host has none is passed over.
    fn take(&mut self, has_room: &dyn Fn(&str) -> bool) -> io::Result<Option<(Entry, Url)>> {
        for k in 0..BUCKETS {
            let i = (self.cursor + k) % BUCKETS;
            let Some(b) = &mut self.buckets[i] else {
                continue;
            };
            while b.next.is_none() {
                let Some(entry) = b.spill.next()? else {
                    break;
                };
                if let Ok(url) = Url::parse(&entry.3) {
                    b.next = Some((entry, url));
                }
            }
            let room = match &b.next {
                None => {
                    self.buckets[i] = None;
                    continue;
                }
                Some((_, url)) => has_room(url.host_str().unwrap_or_default()),
            };
            if room {
                self.cursor = (i + 1) % BUCKETS;
                let taken = b.next.take();
                if b.spill.read == b.spill.written {
                    self.buckets[i] = None;
                }
                return Ok(taken);
            }
        }
        Ok(None)
    }
}

/// An append-only file of entries, read from the top as it grows.
struct Spill {
    out: BufWriter<File>,
    input: BufReader<File>,
    written: u64,
    flushed: u64,
    read: u64,
    line: String,
}

impl Spill {
    fn new() -> io::Result<Spill> {
        // Two handles with their own offsets; the name is gone at once.
        let named = tempfile::NamedTempFile::new()?;
        let input = named.reopen()?;
        let out = named.into_file();
        Ok(Spill {
            out: BufWriter::with_capacity(64 * 1024, out),
            input: BufReader::with_capacity(64 * 1024, input),
            written: 0,
            flushed: 0,
            read: 0,
            line: String::new(),
        })
    }

    fn push(
        &mut self,
        kind: u8,
        anchor: &str,
        parent: &str,
        url: &str,
        keys: &str,
    ) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &(kind, anchor, parent, url, keys))?;
        self.out.write_all(b"\n")?;
        self.written += 1;
        Ok(())
    }

    fn next(&mut self) -> io::Result<Option<Entry>> {
        if self.read == self.written {
            return Ok(None);
        }
        if self.read == self.flushed {
            self.out.flush()?;
            self.flushed = self.written;
        }
        self.line.clear();
        if self.input.read_line(&mut self.line)? == 0 || !self.line.ends_with('\n') {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the crawl's frontier file ended early",
            ));
        }
        self.read += 1;
        serde_json::from_str(&self.line)
            .map(Some)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }
}

fn lock(seen: &Mutex<Seen>) -> MutexGuard<'_, Seen> {
    seen.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Frontier {
    /// An empty frontier, with the input still to read.
    ///
    /// # Errors
    /// The temporary file cannot be made.
    pub fn new(
        opts: Arc<CrawlOptions>,
        seen: Arc<Mutex<Seen>>,
        stats: Arc<CrawlStats>,
    ) -> io::Result<Frontier> {
        Ok(Frontier {
            opts,
            seen,
            skipped: Seen::default(),
            skipped_len: 0,
            stats,
            pending: Some(Spill::new()?),
            levels: BTreeMap::new(),
        })
    }

    /// The lineage of a seed, which holds `keys`.
    pub fn seed(&self, url: &Url, keys: Keys) -> Lineage {
        Lineage {
            depth: 0,
            parent: None,
            anchor: self.opts.scope.anchor(url),
            external: false,
            keys,
        }
    }

    /// Counts a link not followed, once per URL (and not at all when it is
    /// fetched anyway).
    fn skip(&mut self, seen: &Seen, key: &str, counter: &AtomicU64) {
        if seen.contains(key) {
            return;
        }
        if self.skipped_len < SKIPPED_EXACT {
            if !self.skipped.insert(key) {
                return;
            }
            self.skipped_len += 1;
        } else if self.skipped.contains(key) {
            return;
        }
        CrawlStats::add(counter);
    }

    /// The file of `bucket` at `depth`.
    fn level(&mut self, depth: u32, bucket: usize) -> io::Result<&mut Spill> {
        self.levels
            .entry(depth)
            .or_insert_with(Level::new)
            .bucket(bucket)
    }

    /// Takes in the links of a fetched page: those to follow go to the
    /// frontier, the others are counted.
    ///
    /// # Errors
    /// The frontier file cannot be written.
    pub fn discover(&mut self, found: Found) -> io::Result<()> {
        let seen_arc = self.seen.clone();
        let mut seen = lock(&seen_arc);
        if let Some(to) = &found.redirected_to {
            match &mut self.pending {
                Some(p) => p.push(MARK, "", "", url_key(to), "")?,
                None => {
                    seen.insert(url_key(to));
                }
            }
        }
        self.follow(&mut seen, &found, None)
    }

    /// Puts the links of `found` to follow into the frontier and counts
    /// the others. With `done` (rebuilding after `--resume`), nothing is
    /// counted, and a link is new unless `done` or the seen-set has it.
    fn follow(&mut self, seen: &mut Seen, found: &Found, done: Option<&Seen>) -> io::Result<()> {
        let stats = self.stats.clone();
        let (anchor, page) = (&found.lineage.anchor, &found.page);
        let keys = found.lineage.keys.to_field();
        let depth = found.lineage.depth + 1;
        for Judged {
            link,
            bucket,
            verdict,
        } in &found.links
        {
            let kind = match verdict {
                Verdict::Page => PAGE,
                Verdict::External => EXTERNAL,
                skipped => {
                    if done.is_none() {
                        let counter = match skipped {
                            Verdict::Excluded => &stats.excluded,
                            Verdict::BeyondDepth => &stats.beyond_depth,
                            Verdict::Elsewhere => &stats.elsewhere,
                            _ => &stats.out_of_scope,
                        };
                        self.skip(seen, link, counter);
                    }
                    continue;
                }
            };
            let new = match (done, &mut self.pending) {
                (Some(done), _) => !done.contains(link) && seen.insert(link),
                // The input is still being read: see `input_done`.
                (None, Some(pending)) => {
                    if !seen.contains(link) {
                        pending.push(kind, anchor, page, link, keys)?;
                    }
                    continue;
                }
                (None, None) => seen.insert(link),
            };
            if new {
                self.level(depth, *bucket)?
                    .push(kind, anchor, page, link, keys)?;
            }
        }
        Ok(())
    }

    /// `--resume`: rebuilds the frontier from the records of an earlier
    /// run of the crawl (their `depth`, `parent` and `links`); `done` holds
    /// the keys of their URLs. Their URLs, and where their redirects led,
    /// enter the seen-set. Returns the pages put back in the frontier.
    ///
    /// A record's seed is not in it: the scope of a page is found from its
    /// parent (the same host or registrable domain), or with `--scope
    /// prefix` from the longest seed of the file whose prefix it is under.
    ///
    /// # Errors
    /// The file cannot be read, or the frontier written.
    pub fn rebuild(&mut self, path: &std::path::Path, done: &Seen) -> io::Result<u64> {
        #[derive(serde::Deserialize)]
        struct Crawled {
            url: String,
            final_url: Option<String>,
            #[serde(default)]
            redirects: u32,
            depth: Option<u32>,
            parent: Option<String>,
            links: Option<Vec<String>>,
            #[serde(default)]
            follow: Option<Vec<String>>,
        }
        let read = |mut each: Box<dyn FnMut(Crawled) -> io::Result<()> + '_>| -> io::Result<()> {
            let file = match File::open(path) {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(e),
            };
            let mut reader = BufReader::with_capacity(256 * 1024, file);
            let mut lines = Lines::new(&mut reader, path);
            // `--resume` has already refused a file that is not trawl's, and
            // cut its torn last line.
            while let Some((Line::Whole(line), _)) = lines.next_line()? {
                if let Ok(rec) = serde_json::from_slice::<Crawled>(line) {
                    each(rec)?;
                }
            }
            Ok(())
        };
        let opts = self.opts.clone();
        let scope = opts.scope;
        let mut seeds: Vec<Arc<str>> = Vec::new();
        if scope == super::Scope::Prefix {
            read(Box::new(|rec| {
                if rec.depth == Some(0)
                    && let Ok(u) = Url::parse(&rec.url)
                {
                    seeds.push(scope.anchor(&u));
                }
                Ok(())
            }))?;
        }
        let anchor_of = |page: &Url| -> Arc<str> {
            if scope != super::Scope::Prefix {
                return scope.anchor(page);
            }
            seeds
                .iter()
                .filter(|s| page.as_str().starts_with(&***s))
                .max_by_key(|s| s.len())
                .cloned()
                .unwrap_or_else(|| scope.anchor(page))
        };
        let seen_arc = self.seen.clone();
        let mut put_back = 0;
        read(Box::new(|rec| {
            let mut seen = lock(&seen_arc);
            let Some(depth) = rec.depth else {
                return Ok(());
            };
            let Ok(url) = Url::parse(&rec.url) else {
                return Ok(());
            };
            seen.insert(url_key(&url));
            let redirected_to = rec
                .final_url
                .filter(|_| rec.redirects > 0)
                .and_then(|f| Url::parse(&f).ok());
            if let Some(to) = &redirected_to {
                seen.insert(url_key(to));
            }
            let (anchor, external) = match rec.parent.as_deref().map(Url::parse) {
                None => (scope.anchor(&url), false),
                Some(Ok(parent)) => {
                    let anchor = anchor_of(&parent);
                    let external = !scope.contains(&anchor, &url);
                    (anchor, external)
                }
                Some(Err(_)) => return Ok(()),
            };
            // Which input a page came from is not in its record: its pages
            // have the credentials where this run's input names their origin.
            let lineage = Lineage {
                depth,
                parent: None,
                anchor,
                external,
                keys: Keys::Named,
            };
            let follow = rec.follow.unwrap_or_default();
            let mut links = if opts.follow_only {
                Vec::new()
            } else {
                rec.links.unwrap_or_default()
            };
            links.extend(follow.iter().cloned());
            let found = Found::new(lineage, rec.url, redirected_to, links, &follow, &opts);
            let before: u64 = self.levels.values().map(Level::written).sum();
            self.follow(&mut seen, &found, Some(done))?;
            put_back += self.levels.values().map(Level::written).sum::<u64>() - before;
            Ok(())
        }))?;
        Ok(put_back)
    }

    /// The input is read to its end: the seeds' links join level 1,
    /// without repeats and without what the input holds.
    ///
    /// # Errors
    /// The frontier files cannot be read or written.
    pub fn input_done(&mut self) -> io::Result<()> {
        let Some(mut pending) = self.pending.take() else {
            return Ok(());
        };
        let seen_arc = self.seen.clone();
        let mut seen = lock(&seen_arc);
        while let Some((kind, anchor, parent, url, keys)) = pending.next()? {
            let Ok(parsed) = Url::parse(&url) else {
                continue;
            };
            if seen.insert(url_key(&parsed)) && kind != MARK {
                self.level(1, bucket_of(parsed.host_str().unwrap_or_default()))?
                    .push(kind, &anchor, &parent, &url, &keys)?;
            }
        }
        Ok(())
    }

    /// The next page to fetch: the first unread of the lowest level.
    ///
    /// # Errors
    /// The frontier file cannot be read.
    #[cfg(test)]
    pub fn next(&mut self) -> io::Result<Option<Discovered>> {
        self.next_for(&|_| true)
    }

    /// The next page to fetch whose host `has_room` (for more waiting
    /// pages): from the lowest level that has one, the buckets of a level
    /// taking turns, each in the order its pages were found. So a host
    /// with many pages waiting holds back no other: their pages are read
    /// past its own.
    ///
    /// # Errors
    /// The frontier file cannot be read.
    pub fn next_for(&mut self, has_room: &dyn Fn(&str) -> bool) -> io::Result<Option<Discovered>> {
        let mut drained = Vec::new();
        let mut found = None;
        for (depth, level) in &mut self.levels {
            let taken = level.take(has_room)?;
            if level.is_drained() {
                drained.push(*depth);
            }
            if let Some(entry) = taken {
                found = Some((*depth, entry));
                break;
            }
        }
        for depth in drained {
            self.levels.remove(&depth);
        }
        if let Some((depth, ((kind, anchor, parent, line, keys), url))) = found {
            return Ok(Some(Discovered {
                line,
                url,
                lineage: Lineage {
                    depth,
                    parent: Some(parent),
                    anchor: Arc::from(anchor),
                    external: kind == EXTERNAL,
                    keys: Keys::from_field(&keys),
                },
            }));
        }
        Ok(None)
    }

    /// Tells whether nothing is left to read (and the input is read).
    pub fn is_empty(&self) -> bool {
        self.pending.is_none() && self.levels.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crawl::{Filters, Scope};

    fn frontier(depth: u32) -> Frontier {
        let opts = CrawlOptions {
            depth,
            scope: Scope::Host,
            filters: Filters::new(&[], &["/skip".into()]).unwrap(),
            max_pages: None,
            check_external: false,
            shard: None,
            discover_sitemaps: false,
            follow_only: false,
        };
        Frontier::new(
            Arc::new(opts),
            Arc::new(Mutex::new(Seen::default())),
            Arc::new(CrawlStats::default()),
        )
        .unwrap()
    }

    fn found(f: &Frontier, depth: u32, page: &str, links: &[&str]) -> Found {
        let mut lineage = f.seed(&Url::parse("https://a.test/").unwrap(), Keys::None);
        lineage.depth = depth;
        let links = links.iter().map(|s| s.to_string()).collect();
        Found::new(lineage, page.into(), None, links, &[], &f.opts)
    }

    #[test]
    fn links_follow_names_leave_the_scope_but_not_the_filters_or_depth() {
        let f = frontier(2);
        let lineage = f.seed(&Url::parse("https://a.test/").unwrap(), Keys::None);
        let links: Vec<String> = [
            "https://b.test/2",
            "https://b.test/other",
            "https://b.test/skip",
        ]
        .map(String::from)
        .to_vec();
        let named = [
            "https://b.test/2".to_owned(),
            "https://b.test/skip".to_owned(),
        ];
        let found = Found::new(
            lineage.clone(),
            "https://a.test/".into(),
            None,
            links.clone(),
            &named,
            &f.opts,
        );
        let verdicts: Vec<Verdict> = found.links.iter().map(|j| j.verdict).collect();
        assert_eq!(
            verdicts,
            [Verdict::Page, Verdict::OutOfScope, Verdict::Excluded]
        );
        let mut deep = lineage;
        deep.depth = 2;
        let found = Found::new(deep, "https://a.test/".into(), None, links, &named, &f.opts);
        assert_eq!(found.links[0].verdict, Verdict::BeyondDepth);
    }

    fn drain(f: &mut Frontier) -> Vec<(String, u32, String)> {
        let mut got = Vec::new();
        while let Some(d) = f.next().unwrap() {
            got.push((d.line, d.lineage.depth, d.lineage.parent.unwrap()));
        }
        got
    }

    #[test]
    fn pages_come_back_lowest_level_first_without_repeats_and_the_rest_counted() {
        let mut f = frontier(3);
        lock(&f.seen).insert("https://a.test/");
        let links = [
            "https://a.test/1",
            "https://a.test/2",
            "https://a.test/1",
            "https://b.test/out",
            "https://a.test/skip",
        ];
        f.discover(found(&f, 0, "https://a.test/", &links)).unwrap();
        // Nothing is read before the input ends...
        assert!(f.next().unwrap().is_none() && !f.is_empty());
        // ... and a seed read after the page that links it keeps its place.
        lock(&f.seen).insert("https://a.test/2");
        f.input_done().unwrap();
        let one = (
            "https://a.test/1".to_string(),
            1,
            "https://a.test/".to_string(),
        );
        assert_eq!(
            f.next()
                .unwrap()
                .map(|d| (d.line, d.lineage.depth, d.lineage.parent.unwrap())),
            Some(one)
        );
        assert!(f.is_empty());
        f.discover(found(&f, 2, "https://a.test/3", &["https://a.test/5"]))
            .unwrap();
        f.discover(found(
            &f,
            1,
            "https://a.test/1",
            &["https://a.test/", "https://a.test/3"],
        ))
        .unwrap();
        f.discover(found(
            &f,
            1,
            "https://a.test/1",
            &["https://a.test/3", "https://a.test/4"],
        ))
        .unwrap();
        f.discover(found(
            &f,
            3,
            "https://a.test/5",
            &["https://a.test/6", "https://a.test/6"],
        ))
        .unwrap();
        assert_eq!(
            drain(&mut f),
            [
                ("https://a.test/3".into(), 2, "https://a.test/1".into()),
                ("https://a.test/4".into(), 2, "https://a.test/1".into()),
                ("https://a.test/5".into(), 3, "https://a.test/3".into()),
            ]
        );
        assert!(f.is_empty());
        // A level read to its end opens again for a late page.
        f.discover(found(&f, 1, "https://a.test/2", &["https://a.test/7"]))
            .unwrap();
        assert_eq!(
            drain(&mut f),
            [("https://a.test/7".into(), 2, "https://a.test/2".into())]
        );
        let c = f.stats.counts();
        assert_eq!((c.out_of_scope, c.excluded, c.beyond_depth), (1, 1, 1));
    }
}
