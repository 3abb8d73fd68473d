//! When a URL is tried again, and how long it waits first: transient
//! failures only (connect errors, resets, timeouts, 408, 429, 502, 503,
//! 504), full-jitter exponential backoff, `Retry-After` honoured up to
//! `--timeout`, and never past `--max-time`.

use crate::fetch::Fetched;
use crate::record::ErrorKind;
use crate::units::StatusSet;
use std::time::{Duration, Instant};

/// When to try a URL again, and how long to wait first.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Extra attempts at most.
    pub retries: u32,
    /// Deadline for one URL over all attempts and waits.
    pub max_time: Option<Duration>,
    /// `--timeout`: also the cap of a `Retry-After` wait.
    pub timeout: Duration,
}

/// The backoff before attempt `n + 1` starts at this, doubles, and stops
/// growing at [`BACKOFF_CAP`]; the wait is a uniform draw below it (full
/// jitter).
pub const BACKOFF_BASE: Duration = Duration::from_millis(500);
/// The most a backoff waits.
pub const BACKOFF_CAP: Duration = Duration::from_secs(8);

impl RetryPolicy {
    /// How long to wait before trying again after attempt `attempts` ended
    /// as `f`, or `None` when it is not worth another attempt.
    pub(super) fn delay(
        &self,
        f: &Fetched,
        attempts: u32,
        first: Instant,
        ok: &StatusSet,
        key: &str,
    ) -> Option<Duration> {
        if attempts > self.retries {
            return None;
        }
        let transient = match (&f.error, f.status) {
            (Some((kind, _)), _) => {
                matches!(
                    kind,
                    ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::Io
                )
            }
            (None, Some(status)) => {
                !ok.contains(status) && matches!(status, 408 | 429 | 502 | 503 | 504)
            }
            (None, None) => false,
        };
        if !transient {
            return None;
        }
        let delay = match f.retry_after {
            Some(wait) => wait.min(self.timeout),
            None => {
                let ceiling = BACKOFF_BASE
                    .saturating_mul(1 << (attempts - 1).min(16))
                    .min(BACKOFF_CAP);
                // A uniform draw from a hash of the URL, the attempt and
                // the clock: jitter needs no cryptographic randomness.
                let nanos = first.elapsed().as_nanos() as u64;
                let h = xxhash_rust::xxh3::xxh3_64_with_seed(
                    key.as_bytes(),
                    nanos ^ u64::from(attempts),
                );
                ceiling.mul_f64((h >> 11) as f64 / (1u64 << 53) as f64)
            }
        };
        if let Some(max) = self.max_time
            && first.elapsed() + delay >= max
        {
            return None;
        }
        Some(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(retries: u32, max_time: Option<Duration>) -> RetryPolicy {
        RetryPolicy {
            retries,
            max_time,
            timeout: Duration::from_secs(5),
        }
    }

    fn with_status(status: u16) -> Fetched {
        Fetched {
            status: Some(status),
            ..Fetched::default()
        }
    }

    fn with_error(kind: ErrorKind) -> Fetched {
        Fetched {
            error: Some((kind, String::new())),
            ..Fetched::default()
        }
    }

    #[test]
    fn only_transient_failures_are_retried() {
        let p = policy(2, None);
        let ok = StatusSet::default();
        let now = Instant::now();
        for f in [
            with_status(408),
            with_status(429),
            with_status(502),
            with_status(503),
            with_status(504),
            with_error(ErrorKind::Connect),
            with_error(ErrorKind::Timeout),
            with_error(ErrorKind::Io),
        ] {
            assert!(p.delay(&f, 1, now, &ok, "u").is_some(), "{f:?}");
        }
        for f in [
            with_status(200),
            with_status(404),
            with_status(500),
            with_error(ErrorKind::Dns),
            with_error(ErrorKind::Tls),
            with_error(ErrorKind::BodyTooLarge),
        ] {
            assert!(p.delay(&f, 1, now, &ok, "u").is_none(), "{f:?}");
        }
        // Attempts run out; a status the user counts as ok is not retried.
        assert!(p.delay(&with_status(503), 3, now, &ok, "u").is_none());
        let lenient: StatusSet = "200-599".parse().unwrap();
        assert!(p.delay(&with_status(503), 1, now, &lenient, "u").is_none());
    }

    #[test]
    fn backoff_is_jittered_below_a_doubling_ceiling_and_retry_after_is_capped() {
        let p = policy(20, None);
        let ok = StatusSet::default();
        let now = Instant::now();
        for attempts in 1..=10u32 {
            let ceiling = BACKOFF_BASE
                .saturating_mul(1 << (attempts - 1))
                .min(BACKOFF_CAP);
            for key in ["a", "b", "c", "d"] {
                let d = p.delay(&with_status(503), attempts, now, &ok, key).unwrap();
                assert!(d <= ceiling, "{attempts}: {d:?} > {ceiling:?}");
            }
        }
        let mut f = with_status(429);
        f.retry_after = Some(Duration::from_secs(3));
        assert_eq!(p.delay(&f, 1, now, &ok, "u"), Some(Duration::from_secs(3)));
        f.retry_after = Some(Duration::from_secs(3600));
        assert_eq!(
            p.delay(&f, 1, now, &ok, "u"),
            Some(Duration::from_secs(5)),
            "capped by -t"
        );
        // No retry that would end past --max-time.
        let short = policy(20, Some(Duration::from_secs(2)));
        assert!(short.delay(&f, 1, now, &ok, "u").is_none());
    }
}
