//! What the engine's property tests share: one configuration.
//!
//! 256 cases a property by default, so `cargo test` stays fast;
//! `PROPTEST_CASES` sets another count (`bench/proptest-long.sh` runs
//! 100,000). Failures are reported with the input they shrank to; inputs
//! that once broke something are kept as plain tests beside the property.

use proptest::test_runner::Config;

/// Cases a property: `PROPTEST_CASES`, else 256.
pub(crate) fn config() -> Config {
    Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(256),
        failure_persistence: None,
        ..Config::default()
    }
}
