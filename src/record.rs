//! The JSON Lines record: one per distinct input URL, the contract that
//! scripts parse.
//!
//! This module owns the shape of a record and the closed list of error
//! kinds. It does not decide what a record says (that is `fetch` and
//! `extract`) nor how it is written (`output`).

use serde::Serialize;
use serde_json::Value;
use std::time::SystemTime;
use trawl_page::main_content::Content;
use trawl_page::meta::Meta;
use trawl_page::select::Fields;

/// One line of output: what happened to one input URL.
///
/// Field order is the order of the JSON object, kept stable for readers who
/// eyeball the stream.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// The input line, trimmed, exactly as given (a request line's
    /// `url`).
    pub url: String,
    /// A request line's method; absent for a URL line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// `sha256:<hex>` of a request line's body; absent when none was sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_hash: Option<String>,
    /// The proxy the last request went through, without credentials;
    /// absent when none (`--proxy`) was used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
    /// The URL after redirects; `None` when nothing was fetched.
    pub final_url: Option<String>,
    /// A response came back with a status in `--ok-status` and no error.
    pub ok: bool,
    /// The status of the last response, if any.
    pub status: Option<u16>,
    /// The last response's `Content-Type`, if any.
    pub content_type: Option<String>,
    /// Body bytes read, after decompression.
    pub bytes: u64,
    /// From the first attempt's start to the record.
    pub elapsed_ms: u64,
    /// Attempts made (1 + retries used); 0 when the URL was never tried.
    pub attempts: u32,
    /// Redirects followed.
    pub redirects: u32,
    /// When the record was made, RFC 3339 UTC with milliseconds.
    pub fetched_at: String,
    /// The document's `<title>`, whitespace collapsed; `None` for non-HTML.
    pub title: Option<String>,
    /// `-s` fields. This and the [`Part`] fields below are left out of
    /// the JSON when not asked for, and `null` when asked for but there is
    /// no HTML page to read them from.
    #[serde(skip_serializing_if = "Part::is_not_asked")]
    pub fields: Part<Fields>,
    /// `--links` (always, in a crawl).
    #[serde(skip_serializing_if = "Part::is_not_asked")]
    pub links: Part<Vec<String>>,
    /// `--crawl`: steps from the seed the page was found from (0 for a
    /// seed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depth: Option<u32>,
    /// `--crawl`: the `url` of the page the link was first found on;
    /// `null` for a seed.
    #[serde(skip_serializing_if = "Part::is_not_asked")]
    pub parent: Part<String>,
    /// `--meta`: the meta tags.
    #[serde(skip_serializing_if = "Part::is_not_asked")]
    pub meta: Part<Meta>,
    /// `--meta`: the parsed JSON-LD blocks.
    #[serde(skip_serializing_if = "Part::is_not_asked")]
    pub json_ld: Part<Vec<Value>>,
    /// `--meta`: JSON-LD blocks skipped because they did not parse.
    #[serde(skip_serializing_if = "Part::is_not_asked")]
    pub json_ld_invalid: Part<u32>,
    /// `--content`: the main content.
    #[serde(skip_serializing_if = "Part::is_not_asked")]
    pub content: Part<Content>,
    /// The last response's `ETag`, as sent; `None` when absent.
    pub etag: Option<String>,
    /// The last response's `Last-Modified`, as sent; `None` when absent.
    pub last_modified: Option<String>,
    /// `sha256:<hex>` of the body after decompression; `None` when no body
    /// was read whole. A 304 carries the earlier record's.
    pub content_hash: Option<String>,
    /// `--revalidate`: whether the content differs from the earlier
    /// record's (`null`: no usable earlier record to compare with).
    #[serde(skip_serializing_if = "Part::is_not_asked")]
    pub changed: Part<bool>,
    /// `--revalidate`: the response is a 304 answering our validators.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_modified: Option<bool>,
    /// `--render`: what rendering the page took; `null` when it was not
    /// rendered (not an ok HTML response).
    #[serde(skip_serializing_if = "Part::is_not_asked")]
    pub render: Part<RenderInfo>,
    /// Why the URL is not ok, or `None`.
    pub error: Option<RecordError>,
    /// `--follow`: the links of the elements it names, absolute, in page
    /// order (what the walk goes on with, and what `--resume` reads back).
    #[serde(skip_serializing_if = "Part::is_not_asked")]
    pub follow: Part<Vec<String>>,
    /// `--render` with `--warc`: the rendered DOM, for the archive's
    /// `resource` record; never written here.
    #[serde(skip)]
    pub dom: Option<String>,
}

/// A part of the record that a flag asks for (`-s`, `--links`, `--meta`,
/// `--crawl`, `--revalidate`, `--render`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Part<T> {
    /// Not asked for: the key is left out of the record.
    #[default]
    NotAsked,
    /// Asked for, with nothing to read it from (no HTML page, no earlier
    /// record, a seed's parent): `null`.
    Null,
    /// Asked for, and this is it.
    Value(T),
}

impl<T> Part<T> {
    /// For `skip_serializing_if`.
    pub fn is_not_asked(&self) -> bool {
        matches!(self, Part::NotAsked)
    }

    /// A value when there is one, else not asked for.
    pub fn or_not_asked(v: Option<T>) -> Part<T> {
        v.map_or(Part::NotAsked, Part::Value)
    }

    /// A value when there is one, else `null`.
    pub fn or_null(v: Option<T>) -> Part<T> {
        v.map_or(Part::Null, Part::Value)
    }

    /// Asked for: `null` unless it has a value already.
    pub fn ask(&mut self) {
        if self.is_not_asked() {
            *self = Part::Null;
        }
    }

    /// The value, if there is one.
    pub fn value(&self) -> Option<&T> {
        match self {
            Part::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The value, if there is one.
    pub fn into_value(self) -> Option<T> {
        match self {
            Part::Value(v) => Some(v),
            _ => None,
        }
    }
}

impl<T: Serialize> Serialize for Part<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Part::Value(v) => s.serialize_some(v),
            Part::NotAsked | Part::Null => s.serialize_none(),
        }
    }
}

/// Read back from a record (`--revalidate`): a key that is there and
/// `null` is [`Part::Null`]; one that is absent is [`Part::NotAsked`]
/// by `#[serde(default)]`.
impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Part<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(d).map(Part::or_null)
    }
}

/// The `render` object of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RenderInfo {
    /// From the browser tab being taken to the DOM read (or the failure).
    pub ms: u64,
    /// Requests the browser made for the page besides its document.
    pub requests: u32,
}

impl Record {
    /// A record for `url` that says nothing yet: no response, no error,
    /// nothing extracted.
    pub fn empty(url: String) -> Record {
        Record {
            url,
            method: None,
            body_hash: None,
            proxy: None,
            final_url: None,
            ok: false,
            status: None,
            content_type: None,
            bytes: 0,
            elapsed_ms: 0,
            attempts: 0,
            redirects: 0,
            fetched_at: now_rfc3339(),
            title: None,
            fields: Part::NotAsked,
            links: Part::NotAsked,
            depth: None,
            parent: Part::NotAsked,
            meta: Part::NotAsked,
            content: Part::NotAsked,
            json_ld: Part::NotAsked,
            json_ld_invalid: Part::NotAsked,
            etag: None,
            last_modified: None,
            content_hash: None,
            changed: Part::NotAsked,
            not_modified: None,
            render: Part::NotAsked,
            error: None,
            follow: Part::NotAsked,
            dom: None,
        }
    }

    /// Makes a record for a URL that failed before any request was sent.
    pub fn failed(url: String, kind: ErrorKind, message: impl Into<String>) -> Record {
        Record {
            error: Some(RecordError {
                kind,
                message: message.into(),
            }),
            ..Record::empty(url)
        }
    }
}

/// The `error` object of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordError {
    /// What scripts match on.
    pub kind: ErrorKind,
    /// For humans; its wording may change between versions.
    pub message: String,
}

/// Why a URL is not ok. Serialised in `snake_case`; the set is part of the
/// contract, so a new kind is a documented change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The line is not a URL at all.
    InvalidUrl,
    /// A URL, but not http or https.
    UnsupportedScheme,
    /// The host name did not resolve.
    Dns,
    /// No connection, or it closed before a response came back.
    Connect,
    /// The TLS handshake or the certificate failed.
    Tls,
    /// The attempt outlived `--timeout`.
    Timeout,
    /// More redirects than `--max-redirects`, or a redirect loop.
    TooManyRedirects,
    /// The body went past `--max-body`.
    BodyTooLarge,
    /// A response came back with a status outside `--ok-status`.
    HttpStatus,
    /// The body could not be decompressed.
    Decode,
    /// The connection failed while the response was being read.
    Io,
    /// The response broke HTTP: no status line, a header block over the
    /// limit, conflicting lengths, bad chunking.
    Protocol,
    /// The page did not show what `--expect` or `--expect-text` asked for.
    Expectation,
    /// The page took longer than `--max-latency`.
    Slow,
    /// A `--sitemap` could not be fetched or read.
    Sitemap,
    /// robots.txt does not allow the URL (`--robots`); nothing was sent.
    RobotsDisallowed,
    /// `--render`: the browser or its tab failed (crashed, exited, or
    /// could not load the page).
    Render,
}

impl ErrorKind {
    /// The name used in the JSON record and the summary.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidUrl => "invalid_url",
            ErrorKind::UnsupportedScheme => "unsupported_scheme",
            ErrorKind::Dns => "dns",
            ErrorKind::Connect => "connect",
            ErrorKind::Tls => "tls",
            ErrorKind::Timeout => "timeout",
            ErrorKind::TooManyRedirects => "too_many_redirects",
            ErrorKind::BodyTooLarge => "body_too_large",
            ErrorKind::HttpStatus => "http_status",
            ErrorKind::Decode => "decode",
            ErrorKind::Io => "io",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Expectation => "expectation",
            ErrorKind::Slow => "slow",
            ErrorKind::Sitemap => "sitemap",
            ErrorKind::RobotsDisallowed => "robots_disallowed",
            ErrorKind::Render => "render",
        }
    }
}

/// Appends `rec` to `out` as JSON on one line, without the newline.
///
/// JSON escapes every control character below U+0020; this also escapes
/// DEL and the C1 controls (U+007F to U+009F: U+009B is the 8-bit CSI,
/// which some terminals act on as ESC [ does), and U+2028 and U+2029. U+0085
/// among them and the last two are line ends to some line splitters
/// (Python's `str.splitlines`, JavaScript before ES2019), so a page can
/// neither split its record into two lines nor drive a terminal that shows
/// it.
///
/// # Errors
/// Only if the record cannot be serialised, which it always can.
pub fn write_json_line(rec: &Record, out: &mut Vec<u8>) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, LineSafe);
    rec.serialize(&mut ser)
}

/// serde_json's compact format, with DEL, the C1 controls and the line
/// separators escaped.
struct LineSafe;

impl serde_json::ser::Formatter for LineSafe {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        // DEL is 7F; U+0080 to U+009F are C2 80 to C2 9F in UTF-8, U+2028
        // and U+2029 are E2 80 A8/A9: a search for these three bytes skips
        // the rest (ASCII, mostly) without decoding it.
        let bytes = fragment.as_bytes();
        let (mut from, mut at) = (0, 0);
        while let Some(k) = memchr::memchr3(0x7F, 0xC2, 0xE2, &bytes[at..]) {
            let i = at + k;
            let escape = match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
                (0x7F, _, _) => Some((0x7F, 1)),
                (0xC2, Some(&b @ 0x80..=0x9F), _) => Some((u32::from(b), 2)),
                (0xE2, Some(0x80), Some(0xA8)) => Some((0x2028, 3)),
                (0xE2, Some(0x80), Some(0xA9)) => Some((0x2029, 3)),
                _ => None,
            };
            at = i + 1;
            if let Some((c, len)) = escape {
                writer.write_all(&bytes[from..i])?;
                write!(writer, "\\u{c:04x}")?;
                from = i + len;
                at = from;
            }
        }
        writer.write_all(&bytes[from..])
    }
}

/// Formats the current time as RFC 3339 UTC with milliseconds.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn failed_record_has_the_contract_shape() {
        let rec = Record::failed("nope".into(), ErrorKind::InvalidUrl, "relative URL");
        let mut v = serde_json::to_value(&rec).unwrap();
        assert!(v["fetched_at"].as_str().unwrap().ends_with('Z'));
        v["fetched_at"] = json!("T");
        assert_eq!(
            v,
            json!({
                "url": "nope", "final_url": null, "ok": false, "status": null,
                "content_type": null, "bytes": 0, "elapsed_ms": 0, "attempts": 0,
                "redirects": 0, "fetched_at": "T", "title": null,
                "etag": null, "last_modified": null, "content_hash": null,
                "error": {"kind": "invalid_url", "message": "relative URL"}
            })
        );
    }

    #[test]
    fn records_stay_on_one_line_for_every_line_splitter() {
        // Characters that share the escaped ones' lead bytes (¢ C2 A2, €
        // E2 82 AC, U+2027 E2 80 A7, U+00A0 C2 A0) stay as they are; one at the very end
        // of a string is still escaped.
        let nasty = "a\u{0}b\u{85}c\u{2028}d\u{2029}e\r\nf\u{1b}[31mg\u{7f}h\u{9b}31m\u{80}\u{9f}\u{a0}\u{a9}\
             \n::error::x ¢€\u{2027}é\u{85}";
        let mut rec = Record::failed(nasty.into(), ErrorKind::Io, nasty);
        rec.title = Some(nasty.into());
        let mut line = Vec::new();
        write_json_line(&rec, &mut line).unwrap();
        let text = String::from_utf8(line).unwrap();
        // No character any splitter takes for a line end, nor a raw control.
        assert!(
            !text
                .chars()
                .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')),
            "{text}"
        );
        assert!(text.contains(r"b\u0085c\u2028d\u2029e"), "{text}");
        assert!(text.contains("x ¢€\u{2027}é\\u0085\""), "{text}");
        // DEL and the C1 controls (U+009B is the 8-bit CSI); U+00A0 and ©
        // (C2 A0, C2 A9) are text.
        assert!(
            text.contains("g\\u007fh\\u009b31m\\u0080\\u009f\u{a0}\u{a9}"),
            "{text}"
        );
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["title"], nasty);
        assert_eq!(back["error"]["message"], nasty);
        let plain = serde_json::to_value(&rec).unwrap();
        assert_eq!(back, plain);
    }

    #[test]
    fn kind_names_match_serde() {
        for kind in [
            ErrorKind::InvalidUrl,
            ErrorKind::UnsupportedScheme,
            ErrorKind::Dns,
            ErrorKind::Connect,
            ErrorKind::Tls,
            ErrorKind::Timeout,
            ErrorKind::TooManyRedirects,
            ErrorKind::BodyTooLarge,
            ErrorKind::HttpStatus,
            ErrorKind::Decode,
            ErrorKind::Io,
            ErrorKind::Protocol,
            ErrorKind::Expectation,
            ErrorKind::Slow,
            ErrorKind::Sitemap,
            ErrorKind::RobotsDisallowed,
            ErrorKind::Render,
        ] {
            assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.as_str()));
        }
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;
    use trawl_page::select::Field;

    proptest! {
        #![proptest_config(crate::testing::config())]

        /// Whatever text a page gives (titles, fields, links: control
        /// characters, U+2028, lone escapes), its record is one line of
        /// JSON with no character that breaks a line or a terminal.
        #[test]
        fn any_page_text_makes_one_line_of_json(
            title in any::<String>(),
            one in any::<Option<String>>(),
            many in prop::collection::vec(any::<String>(), 0..4),
            links in prop::collection::vec(any::<String>(), 0..4),
        ) {
            let mut rec = Record::empty("https://a.test/".into());
            rec.title = Some(title);
            rec.fields = Part::Value(Fields(vec![
                ("one".into(), Field::One(one)),
                ("many".into(), Field::Many(many)),
            ]));
            rec.links = Part::Value(links);
            let mut line = Vec::new();
            write_json_line(&rec, &mut line).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let text = String::from_utf8(line).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(text.lines().count(), 1);
            let breaks = |c: char| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}');
            prop_assert!(!text.chars().any(breaks), "{}", text);
            let back: serde_json::Value = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&back["title"], &serde_json::Value::String(rec.title.clone().unwrap_or_default()));
        }
    }
}
