//! Input lines that are requests, not just URLs: a JSON object
//! `{"url", "method", "headers", "body" | "form"}`, so that a search form
//! or a JSON API can be scraped from the same pipe as pages.
//!
//! Such a line's record has the object's `url` and its `method`; a body
//! sent is named by `body_hash`, so that `--resume` and the repeat check
//! tell two searches of one URL apart.

use crate::http::hash_text;
use reqwest::Method;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// What a request line asks for beyond a GET of its URL.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The method, upper-case as sent.
    pub method: Method,
    /// Its own headers, in the order given (credentials among them go to
    /// the line's own origin only, as `-H`'s do).
    pub headers: HeaderMap,
    /// The body, with `Content-Type` set in `headers` when the line gave
    /// none.
    pub body: Option<bytes::Bytes>,
    /// `sha256:<hex>` of `body`.
    pub body_hash: Option<String>,
}

impl Request {
    /// The repeat and `--resume` key of this request to a URL whose own
    /// key is `url_key` (see [`request_key`]).
    pub fn key(&self, url_key: &str) -> String {
        request_key(url_key, self.method.as_str(), self.body_hash.as_deref())
    }
}

/// Reads a line that starts with `{`: the URL it names and what it asks.
///
/// # Errors
/// Why the line is not a request object, for its `invalid_url` record.
pub fn parse(line: &str) -> Result<(String, Request), String> {
    let value: Value =
        serde_json::from_str(line).map_err(|e| format!("not a request object: {e}"))?;
    let Value::Object(mut obj) = value else {
        return Err("not a request object: a JSON object is expected".into());
    };
    let url = match obj.remove("url") {
        Some(Value::String(url)) => url,
        Some(_) => return Err("the request's \"url\" must be a string".into()),
        None => return Err("the request object has no \"url\"".into()),
    };
    let method = match obj.remove("method") {
        None => Method::GET,
        Some(Value::String(m)) => {
            let upper = m.trim().to_ascii_uppercase();
            Method::from_bytes(upper.as_bytes())
                .ok()
                .filter(|_| !upper.is_empty() && upper != "CONNECT")
                .ok_or_else(|| format!("\"method\" {m:?} is not an HTTP method"))?
        }
        Some(_) => return Err("the request's \"method\" must be a string".into()),
    };
    let mut headers = HeaderMap::new();
    match obj.remove("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(given)) => {
            for (name, value) in given {
                let Value::String(value) = value else {
                    return Err(format!("header {name:?} must be a string"));
                };
                let name = HeaderName::from_bytes(name.trim().as_bytes())
                    .map_err(|_| format!("{name:?} is not a header name"))?;
                // The body's framing is trawl's to write: a length that
                // lies would leave the server waiting.
                if name == header::CONTENT_LENGTH || name == header::TRANSFER_ENCODING {
                    continue;
                }
                let value = HeaderValue::from_str(value.trim())
                    .map_err(|_| format!("the value of header {name} is not valid"))?;
                headers.append(name, value);
            }
        }
        Some(_) => return Err("the request's \"headers\" must be an object".into()),
    }
    let body = match (obj.remove("body"), obj.remove("form")) {
        (Some(_), Some(_)) => return Err("a request has \"body\" or \"form\", not both".into()),
        (None | Some(Value::Null), None | Some(Value::Null)) => None,
        (Some(Value::String(text)), None) => Some(text.into_bytes()),
        (Some(json @ (Value::Object(_) | Value::Array(_))), None) => {
            // A JSON API's body written as JSON rather than as a string.
            default_type(&mut headers, "application/json");
            Some(json.to_string().into_bytes())
        }
        (Some(_), None) => return Err("\"body\" must be a string, an object or an array".into()),
        (None, Some(Value::Object(fields))) => {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            for (name, value) in &fields {
                // An array is the field repeated (`tag=a&tag=b`), as a
                // form with several boxes ticked sends it.
                let values = match value {
                    Value::Array(items) => items.as_slice(),
                    one => std::slice::from_ref(one),
                };
                for value in values {
                    match value {
                        Value::String(s) => form.append_pair(name, s),
                        Value::Number(_) | Value::Bool(_) => {
                            form.append_pair(name, &value.to_string())
                        }
                        _ => {
                            return Err(format!(
                                "form field {name:?} must be a string, a number, or an array of them"
                            ));
                        }
                    };
                }
            }
            default_type(&mut headers, "application/x-www-form-urlencoded");
            Some(form.finish().into_bytes())
        }
        (None, Some(_)) => return Err("\"form\" must be an object".into()),
    };
    if let Some(key) = obj.keys().next() {
        return Err(format!(
            "unknown key {key:?} in the request (url, method, headers, body, form)"
        ));
    }
    let body_hash = body.as_ref().map(|b| hash_text(Sha256::new_with_prefix(b)));
    Ok((
        url,
        Request {
            method,
            headers,
            body: body.map(bytes::Bytes::from),
            body_hash,
        },
    ))
}

/// The key of a request of `method` with a body hashed as `body_hash` to
/// a URL whose own repeat key is `url_key`: that key itself for a GET with
/// no body, so a request object and the same URL as a line are one page.
pub fn request_key(url_key: &str, method: &str, body_hash: Option<&str>) -> String {
    match (method, body_hash) {
        ("GET", None) => url_key.to_owned(),
        (method, None) => format!("{method} {url_key}"),
        (method, Some(hash)) => format!("{method} {url_key} {hash}"),
    }
}

/// Sets `Content-Type` to `value` unless the line gave one.
fn default_type(headers: &mut HeaderMap, value: &'static str) {
    if !headers.contains_key(header::CONTENT_TYPE) {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
    }
}

/// Tells whether a request of `method` may be sent again after it may
/// have reached the server (RFC 9110 §9.2.2): POST and PATCH may not.
pub fn idempotent(method: &Method) -> bool {
    !matches!(*method, Method::POST | Method::PATCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_method_headers_body_and_form() {
        let (url, r) = parse(
            r#"{"url":"https://a.test/s","method":"post","headers":{"X-A":"1"},"form":{"q":"rust lang","n":2}}"#,
        )
        .unwrap();
        assert_eq!(url, "https://a.test/s");
        assert_eq!(r.method, Method::POST);
        assert_eq!(r.headers["x-a"], "1");
        assert_eq!(
            r.headers["content-type"],
            "application/x-www-form-urlencoded"
        );
        assert_eq!(r.body.as_deref(), Some(&b"n=2&q=rust+lang"[..]));
        assert!(
            r.key("https://a.test/s")
                .starts_with("POST https://a.test/s sha256:")
        );

        let (_, r) =
            parse(r#"{"url":"https://a.test/api","method":"POST","body":{"a":[1]}}"#).unwrap();
        assert_eq!(r.headers["content-type"], "application/json");
        assert_eq!(r.body.as_deref(), Some(&br#"{"a":[1]}"#[..]));

        let (_, r) = parse(
            r#"{"url":"https://a.test/p","method":"POST","body":"abc","headers":{"Content-Length":"99","Transfer-Encoding":"chunked"}}"#,
        )
        .unwrap();
        assert!(
            r.headers.is_empty(),
            "framing is not the line's: {:?}",
            r.headers
        );

        let (_, r) = parse(r#"{"url":"https://a.test/x#top"}"#).unwrap();
        assert_eq!(r.method, Method::GET);
        assert_eq!(
            r.key("https://a.test/x"),
            "https://a.test/x",
            "a GET is keyed as its URL"
        );
    }

    #[test]
    fn two_bodies_to_one_url_are_two_requests() {
        let a = parse(r#"{"url":"https://a.test/s","method":"POST","body":"q=1"}"#).unwrap();
        let b = parse(r#"{"url":"https://a.test/s","method":"POST","body":"q=2"}"#).unwrap();
        assert_ne!(a.1.key("https://a.test/s"), b.1.key("https://a.test/s"));
    }

    #[test]
    fn bad_objects_say_what_is_wrong() {
        for (line, want) in [
            ("{", "not a request object"),
            ("{}", "no \"url\""),
            (r#"{"url":1}"#, "must be a string"),
            (
                r#"{"url":"https://a.test","method":"GE T"}"#,
                "not an HTTP method",
            ),
            (
                r#"{"url":"https://a.test","body":"a","form":{}}"#,
                "not both",
            ),
            (
                r#"{"url":"https://a.test","verb":"GET"}"#,
                "unknown key \"verb\"",
            ),
            (
                r#"{"url":"https://a.test","headers":{"a b":"1"}}"#,
                "not a header name",
            ),
            (
                r#"{"url":"https://a.test","headers":{"a":"x\ny"}}"#,
                "not valid",
            ),
        ] {
            let err = parse(line).unwrap_err();
            assert!(err.contains(want), "{line}: {err}");
        }
    }
}
