//! `--shard K/N`: which URLs of the list this run takes, so that N runs on
//! N machines split one list between them, each URL in exactly one.
//!
//! A URL belongs to shard `xxh3_64(key) mod N + 1`, where `key` is the
//! URL as normalised by the WHATWG URL parser (so `https://Example.com` and
//! `https://example.com/` go together, as they are one URL to the repeat
//! check), or with `--shard-by host` its host name, so that every URL of a
//! host lands in one shard and per-host limits hold across machines. A line
//! that is not a URL is keyed by its trimmed text. XXH3 (64-bit, seed 0) is
//! a published, fixed function, so the split is the same on every machine,
//! platform and trawl version; `tests` pins known values.

use std::fmt;
use std::str::FromStr;
use url::Url;

/// This run's part of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based index.
    pub k: u64,
    /// Number of shards.
    pub n: u64,
    /// What keeps URLs together.
    pub by: ShardBy,
}

/// What a URL is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ShardBy {
    /// The whole normalised URL: the most even split.
    #[default]
    Url,
    /// The host name: a host's URLs stay together.
    Host,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("'{s}' is not K/N with 1 <= K <= N (e.g. 2/8)");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let k: u64 = k.trim().parse().map_err(|_| bad())?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        if k == 0 || n == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard {
            k,
            n,
            by: ShardBy::Url,
        })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// The shard (1-based) of a key among `n`.
pub fn shard_of(key: &str, n: u64) -> u64 {
    xxhash_rust::xxh3::xxh3_64(key.as_bytes()) % n + 1
}

impl Shard {
    /// Tells whether this run takes a line: `url` when it parsed, else the
    /// trimmed line itself.
    pub fn owns(&self, url: Option<&Url>, line: &str) -> bool {
        let key = match (url, self.by) {
            (Some(u), ShardBy::Url) => u.as_str(),
            (Some(u), ShardBy::Host) => u.host_str().unwrap_or(line),
            (None, _) => line,
        };
        shard_of(key, self.n) == self.k
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_k_of_n() {
        let s: Shard = "2/8".parse().unwrap();
        assert_eq!((s.k, s.n), (2, 8));
        assert_eq!(s.to_string(), "2/8");
        for bad in ["0/4", "5/4", "1/0", "1", "a/b", "-1/4", "1/4/2", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    /// These values are the contract of the split: a change here moves
    /// URLs between shards for everyone running mixed versions.
    #[test]
    fn known_keys_land_in_pinned_shards() {
        assert_eq!(xxhash_rust::xxh3::xxh3_64(b""), 0x2d06_8005_38d3_94c2);
        // Hashes and shards as the reference implementation computes them
        // (Python's xxhash 3.x, `xxh3_64_intdigest`).
        let pinned = [
            ("https://example.com/", 0x4ca4_ca39_4042_cceb, 4, 4),
            ("https://example.com/a", 0x1398_91b5_2b37_01c7, 4, 4),
            ("https://www.rust-lang.org/", 0x5907_d33c_25c8_113f, 16, 16),
            ("example.com", 0x8b66_107e_8045_bb73, 8, 4),
            ("not a url", 0x2d57_629a_dd51_7629, 2, 2),
        ];
        for (key, hash, n, shard) in pinned {
            assert_eq!(xxhash_rust::xxh3::xxh3_64(key.as_bytes()), hash, "{key}");
            assert_eq!(shard_of(key, n), shard, "{key} of {n}");
        }
    }

    #[test]
    fn shards_are_disjoint_and_cover_the_list() {
        let urls: Vec<Url> = (0..2000)
            .map(|i| Url::parse(&format!("https://h{}.test/p/{i}", i % 37)).unwrap())
            .collect();
        for by in [ShardBy::Url, ShardBy::Host] {
            let n = 5;
            let mut counts = vec![0; n as usize];
            for u in &urls {
                let owners: Vec<u64> = (1..=n)
                    .filter(|&k| Shard { k, n, by }.owns(Some(u), u.as_str()))
                    .collect();
                assert_eq!(owners.len(), 1, "{u}");
                counts[(owners[0] - 1) as usize] += 1;
            }
            assert!(counts.iter().all(|&c| c > 0), "{by:?}: {counts:?}");
            if by == ShardBy::Url {
                assert!(counts.iter().all(|&c| c > 300), "uneven: {counts:?}");
            }
        }
        // By host, every URL of a host is in one shard.
        let s = |k| Shard {
            k,
            n: 5,
            by: ShardBy::Host,
        };
        let a = Url::parse("https://h3.test/x").unwrap();
        let b = Url::parse("https://H3.test:443/y?z").unwrap();
        for k in 1..=5 {
            assert_eq!(s(k).owns(Some(&a), ""), s(k).owns(Some(&b), ""));
        }
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(crate::testing::config())]

        /// A shard spec that parses prints back the same (`K/N`, 1 <= K <= N),
        /// and every key falls in exactly one shard.
        #[test]
        fn shard_specs_print_back_the_same(
            k in 1u64..1000, extra in 0u64..1000, junk in any::<String>(), key in any::<String>(),
        ) {
            use crate::shard::Shard;
            let spec = format!("{k}/{}", k + extra);
            let shard: Shard = spec.parse().map_err(TestCaseError::fail)?;
            prop_assert_eq!(shard.to_string(), spec);
            if let Ok(any) = junk.parse::<Shard>() {
                prop_assert!(1 <= any.k && any.k <= any.n);
                prop_assert_eq!(any.to_string().parse::<Shard>(), Ok(any));
            }
            let s = crate::shard::shard_of(&key, shard.n);
            prop_assert!((1..=shard.n).contains(&s));
        }
    }
}
