//! `--crawl`: which links of a fetched page are followed, and the frontier
//! of pages still to fetch.
//!
//! A link is followed when `--include`/`--exclude` let it, it lies in the
//! scope of the seed it descends from ([`Scope`]), and it is at most
//! `--depth` steps from that seed. The seed's part of the scope (its host,
//! registrable domain or URL prefix) travels with every page found from it
//! as its [`Lineage`], so each seed keeps its own scope, however many there
//! are. What is found waits in the [`frontier`], on disk, level by level.

pub mod frontier;

use crate::keys::Keys;
use crate::shard::Shard;
use regex::RegexSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use url::{Host, Url};

/// `--scope`: what a link shares with its seed to be followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// The same host, a leading `www.` ignored.
    #[default]
    Host,
    /// The same registrable domain (public suffix list).
    Domain,
    /// Under the seed's URL up to its last `/`.
    Prefix,
    /// Every link.
    Any,
}

impl Scope {
    /// What a link must share with `seed` to be in its scope.
    pub fn anchor(self, seed: &Url) -> Arc<str> {
        match self {
            Scope::Host => Arc::from(host_key(seed)),
            Scope::Domain => Arc::from(domain_key(seed)),
            Scope::Prefix => {
                let mut u = seed.clone();
                u.set_query(None);
                u.set_fragment(None);
                let s = u.as_str();
                Arc::from(s.rfind('/').map_or(s, |i| &s[..=i]))
            }
            Scope::Any => Arc::from(""),
        }
    }

    /// Tells whether `url` is in the scope of the seed whose anchor is
    /// `anchor`.
    pub fn contains(self, anchor: &str, url: &Url) -> bool {
        match self {
            Scope::Host => host_key(url) == anchor,
            Scope::Domain => domain_key(url) == anchor,
            Scope::Prefix => url.as_str().starts_with(anchor),
            Scope::Any => true,
        }
    }
}

/// The host without a leading `www.` (and without a trailing dot).
fn host_key(url: &Url) -> &str {
    let host = url.host_str().unwrap_or_default();
    let host = host.strip_suffix('.').unwrap_or(host);
    match host.strip_prefix("www.") {
        // `www.com` is a host of its own, not `com`.
        Some(rest) if rest.contains('.') => rest,
        _ => host,
    }
}

/// The registrable domain of the URL's host (`docs.example.co.uk` →
/// `example.co.uk`); the host itself for an IP address or a name that has
/// none (`localhost`, a public suffix). Equality of these is the dot
/// boundary: `evilexample.com` is its own registrable domain, not under
/// `example.com`.
fn domain_key(url: &Url) -> &str {
    match url.host() {
        Some(Host::Domain(d)) => {
            let d = d.strip_suffix('.').unwrap_or(d);
            psl::domain_str(d).unwrap_or(d)
        }
        _ => url.host_str().unwrap_or_default(),
    }
}

/// `--include` and `--exclude`, compiled once.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Follow only links matching one of these (when given).
    pub include: Option<RegexSet>,
    /// Never follow links matching one of these.
    pub exclude: Option<RegexSet>,
}

impl Filters {
    /// Compiles the patterns.
    ///
    /// # Errors
    /// A pattern that is not a valid regular expression, with the flag's
    /// name.
    pub fn new(include: &[String], exclude: &[String]) -> Result<Filters, String> {
        let set = |flag: &str, pats: &[String]| -> Result<Option<RegexSet>, String> {
            if pats.is_empty() {
                return Ok(None);
            }
            RegexSet::new(pats)
                .map(Some)
                .map_err(|e| format!("invalid {flag} pattern: {e}"))
        };
        Ok(Filters {
            include: set("--include", include)?,
            exclude: set("--exclude", exclude)?,
        })
    }

    /// Tells whether a link may be followed; `--exclude` wins.
    pub fn allows(&self, link: &str) -> bool {
        self.include.as_ref().is_none_or(|s| s.is_match(link))
            && !self.exclude.as_ref().is_some_and(|s| s.is_match(link))
    }
}

/// The settings of a crawl.
#[derive(Debug, Clone, Default)]
pub struct CrawlOptions {
    /// Links followed at most this many steps from a seed.
    pub depth: u32,
    /// What a link shares with its seed to be followed.
    pub scope: Scope,
    /// `--include` / `--exclude`.
    pub filters: Filters,
    /// Pages started at most.
    pub max_pages: Option<u64>,
    /// Fetch out-of-scope links once, without following theirs.
    pub check_external: bool,
    /// `--shard K/N --shard-by host`: crawl only the hosts of this shard.
    pub shard: Option<Shard>,
    /// Also read the sitemaps of each seed's origin; their URLs are seeds.
    pub discover_sitemaps: bool,
    /// `--follow` without `--crawl`: only the links `--follow` names are
    /// followed, not the page's others.
    pub follow_only: bool,
}

/// The name of the hidden `fields` entries that carry the links of
/// `--follow`'s elements: no command line can hold a NUL, so no `-s`
/// field has it.
pub const FOLLOW_FIELD: &str = "\0follow";

/// `--follow CSS`: the selections that take the links of the elements CSS
/// matches, as hidden fields: the `href` of each (`a[rel=next]`), and
/// those of the links inside each (`.pagination`).
///
/// # Errors
/// CSS is not a selector trawl reads.
pub fn follow_selections(css: &str) -> Result<Vec<trawl_page::select::Selection>, String> {
    let own = format!("{FOLLOW_FIELD}[]={css}@href")
        .parse()
        .map_err(|e: String| format!("--follow: {}", e.replace(FOLLOW_FIELD, "follow")))?;
    let mut out = vec![own];
    // Only a single selector can take a descendant: in `a, b` it would
    // bind to `b` alone.
    if !css.contains(',')
        && let Ok(inside) = format!("{FOLLOW_FIELD}[]={css} a[href]@href").parse()
    {
        out.push(inside);
    }
    Ok(out)
}

/// Where a page of a crawl comes from.
#[derive(Debug, Clone)]
pub struct Lineage {
    /// Steps from its seed (0 for a seed).
    pub depth: u32,
    /// The `url` of the page it was first found on; `None` for a seed.
    pub parent: Option<String>,
    /// Its seed's [`Scope::anchor`].
    pub anchor: Arc<str>,
    /// Out of scope, fetched for `--check-external`: its links are not
    /// followed.
    pub external: bool,
    /// Its seed's keys: the credentials go to the seed's origin only.
    pub keys: Keys,
}

/// What a crawl counted, for the summary.
#[derive(Debug, Default)]
pub struct CrawlStats {
    pub found: AtomicU64,
    pub out_of_scope: AtomicU64,
    pub excluded: AtomicU64,
    pub beyond_depth: AtomicU64,
    pub robots: AtomicU64,
    pub cut: AtomicU64,
    pub elsewhere: AtomicU64,
}

impl CrawlStats {
    /// The counts as they are now.
    pub fn counts(&self) -> crate::summary::CrawlCounts {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        crate::summary::CrawlCounts {
            found: get(&self.found),
            out_of_scope: get(&self.out_of_scope),
            excluded: get(&self.excluded),
            beyond_depth: get(&self.beyond_depth),
            robots: get(&self.robots),
            cut: get(&self.cut),
            elsewhere: get(&self.elsewhere),
        }
    }

    pub(crate) fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn within(scope: Scope, seed: &str, link: &str) -> bool {
        scope.contains(&scope.anchor(&u(seed)), &u(link))
    }

    #[test]
    fn host_scope_ignores_www_and_ports_but_not_subdomains() {
        let seed = "https://example.com/docs/";
        assert!(within(Scope::Host, seed, "https://example.com/x"));
        assert!(within(Scope::Host, seed, "http://www.example.com:8080/y"));
        assert!(within(
            Scope::Host,
            "https://www.example.com/",
            "https://example.com/"
        ));
        assert!(!within(Scope::Host, seed, "https://docs.example.com/"));
        assert!(!within(Scope::Host, seed, "https://evilexample.com/"));
        assert!(!within(Scope::Host, seed, "https://example.com.evil.net/"));
        assert!(within(
            Scope::Host,
            "http://127.0.0.1:1/",
            "http://127.0.0.1:2/a"
        ));
        assert!(!within(
            Scope::Host,
            "http://127.0.0.1:1/",
            "http://127.0.0.2:1/"
        ));
        // `www.com` is not the host `com`.
        assert!(!within(Scope::Host, "https://www.com/", "https://com/"));
    }

    #[test]
    fn domain_scope_uses_the_public_suffix_list_with_a_dot_boundary() {
        let seed = "https://docs.example.co.uk/";
        assert!(within(Scope::Domain, seed, "https://example.co.uk/"));
        assert!(within(Scope::Domain, seed, "https://a.b.example.co.uk/"));
        assert!(!within(Scope::Domain, seed, "https://other.co.uk/"));
        assert!(!within(Scope::Domain, seed, "https://evilexample.co.uk/"));
        let seed = "https://example.com/";
        assert!(within(Scope::Domain, seed, "https://blog.example.com/"));
        assert!(!within(Scope::Domain, seed, "https://evilexample.com/"));
        assert!(!within(
            Scope::Domain,
            seed,
            "https://example.com.evil.net/"
        ));
        // Private suffixes count: two GitHub Pages sites are two sites.
        assert!(!within(
            Scope::Domain,
            "https://alice.github.io/",
            "https://mallory.github.io/"
        ));
        assert!(within(
            Scope::Domain,
            "http://127.0.0.1:9/",
            "http://127.0.0.1/"
        ));
        assert!(!within(
            Scope::Domain,
            "http://127.0.0.1:9/",
            "http://127.0.0.2/"
        ));
    }

    #[test]
    fn prefix_scope_is_the_seed_up_to_its_last_slash() {
        let seed = "https://example.com/docs/index.html?x=1";
        assert!(within(Scope::Prefix, seed, "https://example.com/docs/a/b"));
        assert!(within(Scope::Prefix, seed, "https://example.com/docs/"));
        assert!(!within(Scope::Prefix, seed, "https://example.com/docsx"));
        assert!(!within(Scope::Prefix, seed, "https://example.com/"));
        assert!(!within(Scope::Prefix, seed, "http://example.com/docs/a"));
        assert!(within(Scope::Any, seed, "ftp://elsewhere.net/"));
    }

    #[test]
    fn exclude_wins_over_include_and_bad_patterns_are_named() {
        let f = Filters::new(&["/docs/".into()], &["\\.pdf$".into()]).unwrap();
        assert!(f.allows("https://e.com/docs/a"));
        assert!(!f.allows("https://e.com/blog/a"));
        assert!(!f.allows("https://e.com/docs/a.pdf"));
        assert!(Filters::default().allows("anything"));
        let e = Filters::new(&[], &["(".into()]).unwrap_err();
        assert!(e.contains("--exclude"), "{e}");
    }
}
