//! What the property tests beside the code share: one configuration, and
//! the strategies more than one module draws from.
//!
//! Each property says what must hold, not only that nothing panics; those
//! that read hostile input also hold a deadline. 64 cases a property by
//! default, so `cargo test` stays fast; `PROPTEST_CASES` sets another
//! count (`bench/proptest-long.sh` runs 100,000). A failure prints the
//! smallest input it shrank to; inputs that once broke something are kept
//! as plain tests beside the property, named by what broke.

use proptest::prelude::*;

/// Cases a property: `PROPTEST_CASES`, else 64.
pub(crate) fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(64),
        // Failures are reported with their shrunk input; they are not
        // written into the source tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text that looks like what people paste as URLs, with the characters
/// URL parsers trip on.
pub(crate) fn url_like() -> impl Strategy<Value = String> {
    let scheme = prop_oneof![
        Just("http://"),
        Just("https://"),
        Just("HTTP://"),
        Just("hTtPs:"),
        Just("http:/"),
        Just("http:\\\\"),
        Just("ftp://"),
        Just("file:///"),
        Just("mailto:"),
        Just("//"),
        Just(""),
    ];
    let host = prop_oneof![
        "[a-zA-Z0-9-]{1,10}(\\.[a-zA-Z0-9-]{1,6}){0,3}",
        Just("127.0.0.1".to_owned()),
        Just("0x7f.1".to_owned()),
        Just("[::1]".to_owned()),
        Just("xn--bcher-kva.example".to_owned()),
        Just("bücher.example".to_owned()),
        Just("EXAMPLE.com.".to_owned()),
        Just("user:pw@host".to_owned()),
        Just("%41.example".to_owned()),
    ];
    let port = prop_oneof![Just(String::new()), "(:[0-9]{0,6})"];
    let path = "(/[a-zA-Z0-9 %.~:@!$&'()*+,;=é\\\\\t-]{0,12}){0,4}";
    let query = prop_oneof![Just(String::new()), "\\?[a-z0-9=&%+ é]{0,12}"];
    let fragment = prop_oneof![Just(String::new()), "#[a-z0-9%#]{0,8}"];
    let junk = "[ \t\u{0}\u{b}\u{a0}]{0,2}";
    (junk, scheme, host, port, path, query, fragment, junk)
        .prop_map(|(a, s, h, p, pa, q, f, z)| format!("{a}{s}{h}{p}{pa}{q}{f}{z}"))
}
