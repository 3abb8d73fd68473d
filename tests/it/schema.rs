//! `schema/record.schema.json`, the published shape of a record: it is a
//! valid 2020-12 schema, it can reject a record (so the validation every
//! other test runs through `support::records` means something), and its
//! list of error kinds is the code's.

use crate::support;

use serde_json::{Value, json};
use std::collections::BTreeSet;

fn schema_json() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/record.schema.json");
    let text = std::fs::read_to_string(path).expect("schema/record.schema.json");
    serde_json::from_str(&text).expect("the schema is JSON")
}

/// A record as trawl writes it for a page fetched with `-s`, `--links`
/// and `--meta`.
fn good() -> Value {
    json!({
        "url": "https://example.com/a", "final_url": "https://example.com/a/",
        "ok": true, "status": 200, "content_type": "text/html; charset=utf-8",
        "bytes": 18234, "elapsed_ms": 84, "attempts": 1, "redirects": 1,
        "fetched_at": "2026-11-25T17:00:00.123Z", "title": "Example",
        "fields": {"price": "$3", "none": null, "img": ["https://example.com/i.png"]},
        "links": ["https://example.com/b"],
        "meta": {"description": null, "canonical": "https://example.com/a", "lang": "en",
                 "robots": null, "og:title": "Example", "twitter:card": "summary"},
        "json_ld": [{"@type": "Thing"}, [1, 2]], "json_ld_invalid": 1,
        "etag": "W/\"5f-1a\"", "last_modified": "Wed, 25 Nov 2026 17:00:00 GMT",
        "content_hash": "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "error": null
    })
}

/// A record of a line that was not fetched.
fn failed() -> Value {
    json!({
        "url": "nope", "final_url": null, "ok": false, "status": null,
        "content_type": null, "bytes": 0, "elapsed_ms": 0, "attempts": 0,
        "redirects": 0, "fetched_at": "2026-11-25T17:00:00.123Z", "title": null,
        "etag": null, "last_modified": null, "content_hash": null,
        "error": {"kind": "invalid_url", "message": "relative URL without a base"}
    })
}

fn rejects(rec: &Value) -> bool {
    !support::schema().is_valid(rec)
}

#[test]
fn the_schema_is_a_valid_2020_12_schema() {
    let schema = schema_json();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    if let Err(e) = jsonschema::draft202012::meta::validate(&schema) {
        panic!("not a valid 2020-12 schema: {e} at {}", e.instance_path());
    }
    // Compiles (the builder checks the meta-schema too).
    support::schema();
    assert_eq!(schema["x-trawl-schema-version"], 1);
}

#[test]
fn good_records_pass() {
    support::validate(&good());
    support::validate(&failed());
    // Asked-for parts are null when there is no page to read.
    let mut rec = failed();
    for key in ["fields", "links", "meta", "json_ld", "json_ld_invalid"] {
        rec[key] = Value::Null;
    }
    support::validate(&rec);
}

#[test]
fn a_record_missing_url_is_rejected() {
    let mut rec = failed();
    rec.as_object_mut().expect("object").remove("url");
    assert!(rejects(&rec));
    let mut rec = good();
    rec.as_object_mut().expect("object").remove("error");
    assert!(rejects(&rec), "error is always present, null when ok");
}

#[test]
fn an_unknown_error_kind_is_rejected() {
    let mut rec = failed();
    rec["error"]["kind"] = json!("teapot");
    assert!(rejects(&rec));
    rec["error"]["kind"] = json!("InvalidUrl");
    assert!(rejects(&rec), "kinds are snake_case");
}

#[test]
fn an_extra_field_is_rejected() {
    let mut rec = good();
    rec["surprise"] = json!(1);
    assert!(rejects(&rec));
    let mut rec = failed();
    rec["error"]["code"] = json!(7);
    assert!(rejects(&rec), "the error object is closed too");
    let mut rec = good();
    rec["meta"]["keywords"] = json!("a, b");
    assert!(
        rejects(&rec),
        "meta holds only its four keys, og:* and twitter:*"
    );
}

#[test]
fn wrong_types_and_broken_invariants_are_rejected() {
    let cases: [(&str, Value); 9] = [
        ("bytes", json!(-1)),
        ("status", json!("200")),
        ("attempts", json!(1.5)),
        ("fetched_at", json!("2026-11-25T17:00:00Z")),
        ("fetched_at", json!("2026-11-25 17:00:00.123Z")),
        ("links", json!(["https://a.test/", "https://a.test/"])),
        ("fields", json!({"n": 3})),
        ("error", json!({"kind": "dns", "message": "x"})),
        ("json_ld_invalid", Value::Null),
    ];
    for (key, value) in cases {
        let mut rec = good();
        rec[key] = value.clone();
        assert!(rejects(&rec), "{key} = {value} was accepted");
    }
    let mut rec = failed();
    rec["error"] = Value::Null;
    assert!(rejects(&rec), "not ok needs an error");
    let mut rec = good();
    rec.as_object_mut().expect("object").remove("json_ld");
    assert!(rejects(&rec), "--meta's three fields come together");
}

#[test]
fn revalidation_fields_are_checked() {
    // Every record carries the validators and the hash, null or not.
    for key in ["etag", "last_modified", "content_hash"] {
        let mut rec = failed();
        rec.as_object_mut().expect("object").remove(key);
        assert!(rejects(&rec), "{key} may not be left out");
    }
    let mut rec = good();
    rec["content_hash"] = json!("sha256:E3B0");
    assert!(
        rejects(&rec),
        "the hash is sha256: and 64 lower-case hex digits"
    );
    rec["content_hash"] = json!("md5:d41d8cd98f00b204e9800998ecf8427e");
    assert!(rejects(&rec));

    // --revalidate adds changed and not_modified together.
    let mut rec = good();
    rec["changed"] = json!(true);
    assert!(rejects(&rec), "changed without not_modified");
    rec["not_modified"] = json!(false);
    support::validate(&rec);
    rec["changed"] = Value::Null;
    support::validate(&rec);

    // A 304 answering our validators: ok, status 304, unchanged, hashed.
    let mut rec = good();
    rec["status"] = json!(304);
    rec["changed"] = json!(false);
    rec["not_modified"] = json!(true);
    support::validate(&rec);
    for (key, value) in [
        ("changed", json!(true)),
        ("status", json!(200)),
        ("content_hash", Value::Null),
    ] {
        let mut bad = rec.clone();
        bad[key] = value.clone();
        assert!(rejects(&bad), "a 304 with {key} = {value} was accepted");
    }
}

/// The kinds `src/record.rs` declares, read two ways: the variants of
/// `enum ErrorKind` (serde `rename_all = "snake_case"`), and the strings
/// `ErrorKind::as_str` returns. Both must agree with the schema.
#[test]
fn error_kinds_match_the_code() {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/record.rs"))
        .expect("src/record.rs");

    let decl = src
        .split_once("pub enum ErrorKind {")
        .expect("enum ErrorKind in src/record.rs");
    assert!(
        decl.0
            .trim_end()
            .lines()
            .rev()
            .take(3)
            .any(|l| l.contains(r#"rename_all = "snake_case""#)),
        "ErrorKind is no longer serialised in snake_case: update this test"
    );
    let body = decl.1.split_once('}').expect("end of enum ErrorKind").0;
    let variants: BTreeSet<String> = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//") && !l.starts_with('#'))
        .map(|l| {
            let name = l.strip_suffix(',').unwrap_or(l);
            assert!(
                name.chars().all(|c| c.is_ascii_alphanumeric()),
                "unexpected line in enum ErrorKind: {l}"
            );
            snake_case(name)
        })
        .collect();

    let as_str = src
        .split_once("fn as_str(self)")
        .expect("ErrorKind::as_str")
        .1;
    let as_str = as_str.split_once("\n    }").expect("end of as_str").0;
    let strings: BTreeSet<String> = as_str
        .lines()
        .filter_map(|l| l.split_once("=> \"")?.1.split_once('"'))
        .map(|(s, _)| s.to_owned())
        .collect();

    let schema = schema_json();
    let listed = schema["$defs"]["kind"]["enum"]
        .as_array()
        .expect("$defs.kind.enum");
    let in_schema: BTreeSet<String> = listed
        .iter()
        .map(|k| k.as_str().expect("kinds are strings").to_owned())
        .collect();
    assert_eq!(in_schema.len(), listed.len(), "a kind listed twice");

    assert!(variants.len() >= 15, "found only {variants:?}");
    assert_eq!(variants, strings, "enum ErrorKind and as_str disagree");
    assert_eq!(
        in_schema, variants,
        "schema/record.schema.json's kinds differ from src/record.rs"
    );

    // And each is accepted where it belongs.
    for kind in &in_schema {
        let mut rec = failed();
        rec["error"]["kind"] = json!(kind);
        support::validate(&rec);
    }
}

/// `TooManyRedirects` → `too_many_redirects`, as serde's `snake_case` does.
fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn snake_case_is_serdes() {
    assert_eq!(snake_case("TooManyRedirects"), "too_many_redirects");
    assert_eq!(snake_case("Io"), "io");
}
