//! What the engine's tests share: one property-test configuration, and
//! the html5lib tree-construction suite's documents.
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

/// One test of the tree-construction suite.
pub(crate) struct Test {
    pub(crate) file: String,
    pub(crate) data: String,
    /// The `#document` section, as the tree should print.
    pub(crate) document: String,
    /// Written for a parser with scripting enabled (trawl's is not).
    pub(crate) scripting: bool,
}

/// The suite's documents (`fixtures/html5lib-tests`), fragments left out.
pub(crate) fn html5lib_tests() -> Vec<Test> {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/html5lib-tests/tree-construction"
    );
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("fixtures/html5lib-tests")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "dat"))
        .collect();
    files.sort();
    let mut tests = Vec::new();
    for path in files {
        let file = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let text = std::fs::read_to_string(&path).expect("a .dat file");
        // A test is `#data`, its lines, then sections up to the next
        // `#data`; a `#document-fragment` section makes it a fragment.
        for test in text
            .split("\n#data\n")
            .map(|t| t.trim_start_matches("#data\n"))
        {
            let Some((data, sections)) = test.split_once("\n#errors") else {
                continue;
            };
            if sections.contains("\n#document-fragment\n") {
                continue;
            }
            let Some((_, document)) = sections.split_once("\n#document\n") else {
                continue;
            };
            tests.push(Test {
                file: file.clone(),
                data: data.to_owned(),
                document: document.trim_end_matches('\n').to_owned() + "\n",
                scripting: sections.contains("\n#script-on\n"),
            });
        }
    }
    tests
}
