//! Records as tests see them: decoded from JSON Lines, each validated
//! against the published schema (`schema/record.schema.json`), and looked
//! up by URL or error kind.

use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

/// Decodes JSON Lines, failing the test on any line that is not JSON or
/// not a record as `schema/record.schema.json` describes it.
pub fn records(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(record)
        .collect()
}

/// Decodes one line of output, failing the test unless it is a record as
/// `schema/record.schema.json` describes it.
pub fn record(line: &str) -> Value {
    let rec = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    validate(&rec);
    rec
}

/// The published record schema, compiled once per test binary (checked
/// against the 2020-12 meta-schema as it compiles, formats asserted).
pub fn schema() -> &'static jsonschema::Validator {
    static SCHEMA: OnceLock<jsonschema::Validator> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schema/record.schema.json");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let json: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
        jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&json)
            .unwrap_or_else(|e| panic!("{} does not compile: {e}", path.display()))
    })
}

/// Fails the test, listing every violation, when `rec` does not conform
/// to the record schema.
pub fn validate(rec: &Value) {
    let errors: Vec<String> = schema()
        .iter_errors(rec)
        .map(|e| format!("  at '{}': {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "record does not match schema/record.schema.json:\n{}\nrecord: {rec}",
        errors.join("\n")
    );
}

/// Records keyed by their `url`, asserting there is one per URL.
pub fn by_url(recs: &[Value]) -> HashMap<String, Value> {
    let mut map = HashMap::new();
    for r in recs {
        let url = r["url"].as_str().expect("url is a string").to_owned();
        assert!(
            map.insert(url.clone(), r.clone()).is_none(),
            "two records for {url}"
        );
    }
    map
}

/// The error kind of a record, or "" when it has none.
pub fn kind(rec: &Value) -> &str {
    rec["error"]["kind"].as_str().unwrap_or("")
}
