//! `--rate`, `--host-rate` and `--burst`: every request (each attempt and
//! each redirect hop) takes a token first, from the limit over all hosts
//! and from its host's.
//!
//! governor's GCRA limiters: one direct limiter for `--rate`, one keyed by
//! host name for `--host-rate` (its memory is trimmed now and then, as hosts
//! go idle). The burst is 1 unless `--burst` says more, so the first second
//! never exceeds the rate.

use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A rate as users write it: `20/s`, `600/m`, `1/2s`, `5/100ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests…
    pub n: u32,
    /// …per this long.
    pub per: Duration,
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Rate, String> {
        let bad = || format!("'{s}' is not a rate like 20/s, 600/m or 1/2s");
        let (n, per) = s.trim().split_once('/').ok_or_else(bad)?;
        let n: u32 = n.trim().parse().map_err(|_| bad())?;
        let per = per.trim();
        // A bare unit means one of it: `/s` is `/1s`.
        let per = if per.starts_with(|c: char| c.is_ascii_digit()) {
            crate::units::parse_duration(per)
        } else {
            crate::units::parse_duration(&format!("1{per}"))
        };
        let per = per.map_err(|e| {
            if e.contains("out of range") {
                format!("'{s}': the period is more than zero and at most 365 days (8760h)")
            } else {
                bad()
            }
        })?;
        if n == 0 || per.is_zero() || per / n < Duration::from_nanos(1) {
            return Err(bad());
        }
        Ok(Rate { n, per })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.n, humantime::format_duration(self.per))
    }
}

impl Rate {
    /// Tells whether `burst` tokens at this rate refill within
    /// `MAX_DURATION` (`crate::units`), the longest span the
    /// limiter is asked to count (and far from where its arithmetic would
    /// overflow).
    pub fn allows_burst(self, burst: u32) -> bool {
        (self.per / self.n)
            .checked_mul(burst)
            .is_some_and(|d| d <= crate::units::MAX_DURATION)
    }

    /// The governor quota: one token every `per / n`, up to `burst` at once.
    pub(crate) fn quota(self, burst: NonZeroU32) -> Option<Quota> {
        Quota::with_period(self.per / self.n).map(|q| q.allow_burst(burst))
    }
}

/// The run's rate limits.
pub struct Limits {
    global: Option<DefaultDirectRateLimiter>,
    per_host: Option<DefaultKeyedRateLimiter<String>>,
    /// `[[site]]` rules' `host-rate`, by rule index: the hosts a rule
    /// covers take their tokens there instead of from `per_host`.
    by_rule: Vec<(usize, DefaultKeyedRateLimiter<String>)>,
    /// The rule whose `host-rate` holds for a host, if any.
    rule_of: RuleOf,
    taken: AtomicU64,
}

/// Which `[[site]]` rule's `host-rate` holds for a host (by rule index).
pub type RuleOf = Box<dyn Fn(&str) -> Option<usize> + Send + Sync>;

impl Limits {
    /// Limits for `--rate`, `--host-rate` and `--burst`, and the rules'
    /// own host rates (`ruled`, by rule index), which hold for the hosts
    /// `rule_of` gives them.
    pub fn new(
        rate: Option<Rate>,
        host_rate: Option<Rate>,
        burst: NonZeroU32,
        ruled: &[(usize, Rate)],
        rule_of: RuleOf,
    ) -> Limits {
        let by_rule = ruled
            .iter()
            .filter_map(|&(i, r)| Some((i, RateLimiter::keyed(r.quota(burst)?))))
            .collect();
        Limits {
            by_rule,
            rule_of,
            global: rate.and_then(|r| r.quota(burst)).map(RateLimiter::direct),
            per_host: host_rate
                .and_then(|r| r.quota(burst))
                .map(RateLimiter::keyed),
            taken: AtomicU64::new(0),
        }
    }

    /// Waits for a token of `host` and one of the global limit; `pace`, a
    /// host's own limit (robots.txt's Crawl-delay), is waited for too.
    pub async fn wait(&self, host: &str, pace: Option<&DefaultDirectRateLimiter>) {
        let ruled = if self.by_rule.is_empty() {
            None
        } else {
            (self.rule_of)(host)
                .and_then(|rule| self.by_rule.iter().find(|(i, _)| *i == rule))
                .map(|(_, limiter)| limiter)
        };
        if let Some(limiter) = ruled.or(self.per_host.as_ref()) {
            limiter.until_key_ready(&host.to_owned()).await;
            // Forget hosts that went idle, now and then.
            if self.taken.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        }
        if let Some(limiter) = &self.global {
            limiter.until_ready().await;
        }
        // The host's own pace last, right before the request: a token
        // taken earlier could be spent while waiting for the others.
        if let Some(pace) = pace {
            pace.until_ready().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_as_users_write_them() {
        for (text, n, per) in [
            ("20/s", 20, Duration::from_secs(1)),
            ("600/m", 600, Duration::from_secs(60)),
            ("1/2s", 1, Duration::from_secs(2)),
            ("5/100ms", 5, Duration::from_millis(100)),
        ] {
            assert_eq!(text.parse::<Rate>(), Ok(Rate { n, per }), "{text}");
        }
        for bad in [
            "",
            "20",
            "0/s",
            "x/s",
            "1/",
            "1/0s",
            "1/2",
            "-1/s",
            "20/parsec",
        ] {
            assert!(bad.parse::<Rate>().is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_rate_spaces_requests_without_an_initial_burst() {
        let limits = Limits::new(
            Some("20/s".parse().unwrap()),
            None,
            NonZeroU32::MIN,
            &[],
            Box::new(|_| None),
        );
        let t = std::time::Instant::now();
        for _ in 0..5 {
            limits.wait("h", None).await;
        }
        // Tokens at 0, 50, 100, 150, 200 ms.
        assert!(
            t.elapsed() >= Duration::from_millis(190),
            "{:?}",
            t.elapsed()
        );
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;
    use std::time::Duration;

    proptest! {
        #![proptest_config(crate::testing::config())]

        /// A rate prints and parses back to itself; one that parses is never
        /// zero nor faster than a request a nanosecond.
        #[test]
        fn rates_round_trip(
            n in 1u32..100_000,
            per_ms in 1u64..100_000_000,
            junk in any::<String>(),
        ) {
            use crate::rate::Rate;
            let rate = Rate { n, per: Duration::from_millis(per_ms) };
            if rate.per / n >= Duration::from_nanos(1) {
                let printed = rate.to_string();
                prop_assert_eq!(printed.parse::<Rate>(), Ok(rate), "{}", printed);
            }
            if let Ok(any) = junk.parse::<Rate>() {
                prop_assert!(any.n > 0 && any.per / any.n >= Duration::from_nanos(1));
                prop_assert_eq!(any.to_string().parse::<Rate>(), Ok(any));
            }
        }
    }
}
