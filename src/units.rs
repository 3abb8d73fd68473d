//! The value syntaxes users type: durations, sizes, status lists and
//! failure allowances. They know nothing of clap: the CLI uses them as
//! value parsers, and tests call them directly.

use std::str::FromStr;
use std::time::Duration;

/// `--allow-failures`: how many records may fail with the run still
/// passing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Allowance {
    /// At most this many.
    Count(u64),
    /// At most this percentage of the records.
    Percent(f64),
}

impl Allowance {
    /// Tells whether `failed` of `total` records is within the allowance.
    pub fn allows(&self, failed: u64, total: u64) -> bool {
        match *self {
            Allowance::Count(n) => failed <= n,
            Allowance::Percent(p) => total == 0 || (failed as f64) * 100.0 <= p * total as f64,
        }
    }
}

impl FromStr for Allowance {
    type Err = String;

    fn from_str(s: &str) -> Result<Allowance, String> {
        let bad = || format!("'{s}' is not a count (3) or a percentage (2.5%)");
        match s.trim().strip_suffix('%') {
            Some(p) => {
                let p: f64 = p.trim().parse().map_err(|_| bad())?;
                if !(0.0..=100.0).contains(&p) {
                    return Err(bad());
                }
                Ok(Allowance::Percent(p))
            }
            None => s.trim().parse().map(Allowance::Count).map_err(|_| bad()),
        }
    }
}

/// A set of HTTP statuses, parsed from `200,204,300-399`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSet {
    ranges: Vec<(u16, u16)>,
}

impl StatusSet {
    /// Tells whether `status` is in the set.
    pub fn contains(&self, status: u16) -> bool {
        self.ranges
            .iter()
            .any(|&(lo, hi)| lo <= status && status <= hi)
    }
}

impl Default for StatusSet {
    fn default() -> Self {
        StatusSet {
            ranges: vec![(200, 399)],
        }
    }
}

impl FromStr for StatusSet {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let parse_one = |t: &str| -> Result<u16, String> {
            match t.trim().parse::<u16>() {
                Ok(n) if (100..=999).contains(&n) => Ok(n),
                _ => Err(format!("'{}' is not an HTTP status (100 to 999)", t.trim())),
            }
        };
        let mut ranges = Vec::new();
        for part in s.split(',') {
            if part.trim().is_empty() {
                return Err("empty item in the status list".into());
            }
            let range = match part.split_once('-') {
                Some((lo, hi)) => (parse_one(lo)?, parse_one(hi)?),
                None => {
                    let n = parse_one(part)?;
                    (n, n)
                }
            };
            if range.0 > range.1 {
                return Err(format!("range '{}' runs backwards", part.trim()));
            }
            ranges.push(range);
        }
        Ok(StatusSet { ranges })
    }
}

/// Parses a duration with a unit: `500ms`, `10s`, `2m`, `1h`, `1m30s`.
///
/// A bare number is refused rather than guessed at, since `-t 10` could
/// mean seconds or milliseconds; zero is refused because nothing could
/// finish in it.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(format!("'{t}' needs a unit, e.g. '{t}s' or '{t}ms'"));
    }
    let d = humantime::parse_duration(t)
        .map_err(|e| format!("'{t}' is not a duration ({e}); use e.g. 500ms, 10s, 2m"))?;
    if d.is_zero() {
        return Err("the duration must be more than zero".into());
    }
    if d > MAX_DURATION {
        return Err(format!(
            "'{t}' is out of range: a duration is more than zero and at most 365 days (8760h)"
        ));
    }
    Ok(d)
}

/// The longest duration any flag takes: long enough for any deadline or
/// rate anyone means, and short enough that no deadline computed from it
/// (now plus it, times a burst) can overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

/// Parses a size in bytes: `1048576`, `512KiB`, `5MB`, `1GiB` (case does
/// not matter; `K`/`KB` are 1000, `KiB` is 1024).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("'{t}' is not a size; use e.g. 512KiB, 5MB or a byte count"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        other => {
            return Err(format!(
                "unknown size unit '{other}' in '{t}'; use B, KB, MB, GB, KiB, MiB or GiB"
            ));
        }
    };
    let out_of_range = || format!("'{t}' is out of range (at least 1 byte)");
    // A whole number is counted exactly: through f64, a count past 2^53
    // bytes would come out rounded.
    if let Ok(whole) = num.parse::<u64>() {
        return whole
            .checked_mul(mult)
            .filter(|&b| b >= 1)
            .ok_or_else(out_of_range);
    }
    let bytes = value * mult as f64;
    // u64::MAX as f64 rounds up to 2^64, which does not fit.
    if !bytes.is_finite() || bytes < 1.0 || bytes >= u64::MAX as f64 {
        return Err(out_of_range());
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_need_units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("10").unwrap_err().contains("needs a unit"));
        assert!(parse_duration("0s").is_err());
        assert!(
            parse_duration("soon")
                .unwrap_err()
                .contains("not a duration")
        );
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn sizes_take_decimal_and_binary_units() {
        assert_eq!(parse_size("1048576"), Ok(1_048_576));
        assert_eq!(parse_size("512KiB"), Ok(512 * 1024));
        assert_eq!(parse_size("5MB"), Ok(5_000_000));
        assert_eq!(parse_size("10mib"), Ok(10 << 20));
        assert_eq!(parse_size("1.5KiB"), Ok(1536));
        assert_eq!(parse_size("2 GiB"), Ok(2 << 30));
        assert!(parse_size("0").is_err());
        // Exact past 2^53 (found by the size property: f64 rounded these).
        assert_eq!(parse_size("29131947910454761"), Ok(29_131_947_910_454_761));
        assert_eq!(parse_size("18446744073709551615"), Ok(u64::MAX));
        assert!(parse_size("18446744073709551616").is_err());
        assert!(parse_size("17179869184GiB").is_err());
        assert!(
            parse_size("12 parsecs")
                .unwrap_err()
                .contains("unknown size unit")
        );
        assert!(parse_size("KiB").is_err());
        assert!(parse_size("").is_err());
    }

    #[test]
    fn status_lists_parse_and_match() {
        let s: StatusSet = "200,204,300-399".parse().unwrap();
        assert!(s.contains(200) && s.contains(204) && s.contains(301) && s.contains(399));
        assert!(!s.contains(201) && !s.contains(404) && !s.contains(400));
        let d = StatusSet::default();
        assert!(d.contains(200) && d.contains(302) && !d.contains(404));
        assert!("200,".parse::<StatusSet>().is_err());
        assert!("399-300".parse::<StatusSet>().is_err());
        assert!("99".parse::<StatusSet>().is_err());
        assert!("abc".parse::<StatusSet>().is_err());
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;
    use std::time::Duration;

    proptest! {
        #![proptest_config(crate::testing::config())]

        /// A duration printed by humantime parses back to itself; anything
        /// else parses to more than zero or is refused.
        #[test]
        fn durations_round_trip(ms in 1u64..10_000_000_000, junk in any::<String>()) {
            let d = Duration::from_millis(ms);
            let printed = humantime::format_duration(d).to_string();
            prop_assert_eq!(crate::units::parse_duration(&printed), Ok(d), "{}", printed);
            if let Ok(any) = crate::units::parse_duration(&junk) {
                prop_assert!(!any.is_zero());
            }
        }

        /// Sizes: a byte count and every unit mean what they say, exactly, or
        /// the size is refused (never wraps around). Found: counts past 2^53
        /// bytes came out rounded (they went through f64).
        #[test]
        fn sizes_mean_what_they_say(
            n in prop_oneof![1u64..10_000, 1u64..u64::MAX],
            unit in prop_oneof![
                Just(("", 1u64)), Just(("B", 1)), Just(("k", 1000)), Just(("KB", 1000)),
                Just(("KiB", 1024)), Just(("mb", 1_000_000)), Just(("MiB", 1 << 20)),
                Just(("GB", 1_000_000_000)), Just(("GiB", 1 << 30)),
            ],
            junk in any::<String>(),
        ) {
            let (suffix, factor) = unit;
            let text = format!("{n}{suffix}");
            match n.checked_mul(factor) {
                Some(bytes) => prop_assert_eq!(crate::units::parse_size(&text), Ok(bytes), "{}", text),
                None => prop_assert!(crate::units::parse_size(&text).is_err(), "{}", text),
            }
            let _ = crate::units::parse_size(&junk);
        }

        /// A status list printed from ranges parses to a set holding exactly
        /// those statuses.
        #[test]
        fn status_lists_hold_what_they_list(
            ranges in prop::collection::vec((100u16..=999, 0u16..50), 1..6),
            probe in 0u16..1200,
            junk in any::<String>(),
        ) {
            let ranges: Vec<(u16, u16)> = ranges
                .into_iter()
                .map(|(lo, len)| (lo, (lo + len).min(999)))
                .collect();
            let text = ranges
                .iter()
                .map(|&(lo, hi)| if lo == hi { lo.to_string() } else { format!("{lo}-{hi}") })
                .collect::<Vec<_>>()
                .join(",");
            let set: crate::units::StatusSet = text.parse().map_err(TestCaseError::fail)?;
            let want = ranges.iter().any(|&(lo, hi)| lo <= probe && probe <= hi);
            prop_assert_eq!(set.contains(probe), want, "{} {}", text, probe);
            let _ = junk.parse::<crate::units::StatusSet>();
        }
    }
}
