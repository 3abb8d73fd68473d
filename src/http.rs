//! What every HTTP client of a run shares: how it is built (User-Agent,
//! connect deadline, `--insecure`), how a body is read under a cap, and how
//! reqwest's errors become the record's error kinds. Pages, sitemaps and
//! robots.txt all go through here.

use crate::proxy::ProxyUrl;
use crate::record::ErrorKind;
use sha2::{Digest, Sha256};
use std::error::Error as StdError;
use std::time::Duration;

/// The client settings of a run, common to every request it sends.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The User-Agent header.
    pub user_agent: String,
    /// Deadline for DNS, TCP and TLS of one connection.
    pub connect_timeout: Duration,
    /// Accept invalid TLS certificates and host names.
    pub insecure: bool,
    /// `--cacert`: trust anchors beside the system's (whose store
    /// `SSL_CERT_FILE`/`SSL_CERT_DIR` replace).
    pub ca_certs: Vec<reqwest::Certificate>,
    /// `--proxy` and `--proxy-file`; empty: the environment's proxies.
    pub proxies: Vec<ProxyUrl>,
}

impl ClientOptions {
    /// A client builder with these settings, through the first proxy
    /// (robots.txt and sitemaps take that one); each user adds its own.
    pub fn builder(&self) -> reqwest::ClientBuilder {
        self.builder_via(self.proxies.first())
    }

    /// A client builder with these settings that goes through `proxy`;
    /// with `None`, direct when proxies are given, else through the
    /// environment's (`HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`).
    pub fn builder_via(&self, proxy: Option<&ProxyUrl>) -> reqwest::ClientBuilder {
        let builder = self.base();
        match proxy {
            // A proxy URL was checked when it was read; one reqwest still
            // refuses goes direct rather than nowhere.
            Some(p) => match reqwest::Proxy::all(p.url.as_str()) {
                Ok(proxy) => builder.proxy(proxy),
                Err(_) => builder.no_proxy(),
            },
            None if !self.proxies.is_empty() => builder.no_proxy(),
            None => builder,
        }
    }

    fn base(&self) -> reqwest::ClientBuilder {
        // reqwest's TLS takes the process's default crypto provider; the
        // first call installs ring's, later ones find it there.
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            // An Err: another thread installed one first, which serves.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        reqwest::Client::builder()
            .user_agent(self.user_agent.clone())
            .connect_timeout(self.connect_timeout)
            .tls_danger_accept_invalid_certs(self.insecure)
            .tls_danger_accept_invalid_hostnames(self.insecure)
            .tls_certs_merge(self.ca_certs.clone())
    }
}

/// Reads `resp`'s body until it ends or passes `limit` bytes, appending it
/// to `body` when one is given and feeding it to `hash` when one is given
/// (chunk by chunk, so a body that is not kept is hashed all the same).
/// `read` counts the bytes as they arrive, so a caller whose deadline
/// cancels the read still knows how far it got.
///
/// Returns `false` when the body is larger than `limit`: `read` is then
/// `limit` and `body` holds the first `limit` bytes. With `Past::Stop`,
/// reading stops as soon as `limit` bytes are in (a prefix is all the
/// caller wants), and `false` means the body may have been longer.
///
/// # Errors
/// The connection or the decompressor failed.
pub async fn read_capped(
    resp: &mut reqwest::Response,
    (limit, past): (u64, Past),
    read: &mut u64,
    mut body: Option<&mut Vec<u8>>,
    mut hash: Option<&mut Sha256>,
) -> reqwest::Result<bool> {
    loop {
        if past == Past::Stop && *read >= limit {
            return Ok(false);
        }
        let Some(chunk) = resp.chunk().await? else {
            return Ok(true);
        };
        let room = limit.saturating_sub(*read);
        let take = chunk.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        if let Some(body) = body.as_deref_mut() {
            body.extend_from_slice(&chunk[..take]);
        }
        if let Some(hash) = hash.as_deref_mut() {
            hash.update(&chunk[..take]);
        }
        *read += take as u64;
        if take < chunk.len() {
            return Ok(false);
        }
    }
}

/// What [`read_capped`] does at its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Past {
    /// Read on: the body must end within the limit to be whole.
    Check,
    /// Stop there: the first `limit` bytes are all that is wanted.
    Stop,
}

/// A finished SHA-256 as records write it: `sha256:` and 64 lower-case
/// hex digits, as `sha256sum` prints them.
pub fn hash_text(hash: Sha256) -> String {
    hex_digest(&hash.finalize().into())
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `sha256:` and the base32 (RFC 4648, padded) SHA-256 of `bytes`: a
/// WARC digest as warcio and pywb verify it.
pub fn hash_bytes_base32(bytes: &[u8]) -> String {
    base32_digest(&Sha256::digest(bytes).into())
}

/// `sha256:` and the hex of a finished SHA-256, as records write it.
pub fn hex_digest(digest: &[u8; 32]) -> String {
    let mut text = String::with_capacity(7 + 64);
    text.push_str("sha256:");
    for byte in digest {
        text.push(char::from(HEX[usize::from(byte >> 4)]));
        text.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    text
}

/// `sha256:` and the base32 of a finished SHA-256.
pub fn base32_digest(digest: &[u8; 32]) -> String {
    format!("sha256:{}", base32(digest))
}

/// RFC 4648 base32, upper case, padded.
fn base32(bytes: &[u8]) -> String {
    const ABC: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    for chunk in bytes.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = buf.iter().fold(0u64, |n, &b| n << 8 | u64::from(b));
        // Characters that carry bits of the chunk; the rest is padding.
        let used = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < used {
                out.push(char::from(ABC[(n >> (35 - 5 * i) & 31) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The content codings of a response (every `Content-Encoding` line, in
/// order, joined as one list), or `None` when it names none but
/// `identity`: the body came as it is.
pub fn content_codings(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let codings: Vec<String> = headers
        .get_all(reqwest::header::CONTENT_ENCODING)
        .iter()
        .flat_map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .split(',')
                .map(|c| c.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("identity"))
        .collect();
    (!codings.is_empty()).then(|| codings.join(", "))
}

/// The `Accept-Encoding` trawl sends when it decodes bodies itself
/// (`--warc`): what [`decode_body`] reads.
pub const ACCEPT_ENCODING: &str = "gzip, deflate, br, zstd";

/// Undoes the content codings of `encoding` (a `Content-Encoding` value,
/// applied left to right, so undone right to left) on `raw`, producing at
/// most `limit` bytes: the body as reqwest would have decoded it, under
/// the same bomb limit.
///
/// # Errors
/// `decode` for an unknown coding or a corrupt stream; `body_too_large`
/// past `limit`.
pub fn decode_body(raw: &[u8], encoding: Option<&str>, limit: u64) -> Result<Vec<u8>, Failure> {
    use std::io::Read;
    let codings: Vec<String> = encoding
        .unwrap_or_default()
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity")
        .collect();
    let mut body = std::borrow::Cow::Borrowed(raw);
    for coding in codings.iter().rev() {
        let mut out = Vec::new();
        let read =
            |r: &mut dyn Read, out: &mut Vec<u8>| r.take(limit.saturating_add(1)).read_to_end(out);
        let done = match coding.as_str() {
            "gzip" | "x-gzip" => read(&mut flate2::read::MultiGzDecoder::new(&body[..]), &mut out),
            "deflate" => {
                // HTTP's deflate is zlib; some servers send it raw.
                read(&mut flate2::read::ZlibDecoder::new(&body[..]), &mut out).or_else(|_| {
                    out.clear();
                    read(&mut flate2::read::DeflateDecoder::new(&body[..]), &mut out)
                })
            }
            "br" => read(
                &mut brotli_decompressor::Decompressor::new(&body[..], 4096),
                &mut out,
            ),
            "zstd" => match zstd::stream::read::Decoder::new(&body[..]) {
                Ok(mut d) => read(&mut d, &mut out),
                Err(e) => Err(e),
            },
            other => {
                return Err((
                    ErrorKind::Decode,
                    format!("Content-Encoding {other:?} is not supported"),
                ));
            }
        };
        if let Err(e) = done {
            return Err((
                ErrorKind::Decode,
                format!("the {coding} body does not decode: {e}"),
            ));
        }
        if out.len() as u64 > limit {
            return Err((
                ErrorKind::BodyTooLarge,
                format!("the body is larger than the {limit} byte limit"),
            ));
        }
        body = std::borrow::Cow::Owned(out);
    }
    Ok(body.into_owned())
}

/// Where in an attempt an error came from; the same reqwest error means
/// different things before and after the response's head arrived.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Phase {
    /// Connecting, sending, waiting for the head.
    Send,
    /// Reading the body.
    Body,
}

/// A failure: its kind and a message for humans.
pub type Failure = (ErrorKind, String);

/// Reads a `Retry-After` value: seconds, or an HTTP date (then the time
/// from now until it; a date in the past is no wait).
pub fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Maps a reqwest error to the record's error kind and a message for
/// humans. This is the only place that reads reqwest's error flags.
pub fn classify(err: &reqwest::Error, phase: Phase) -> Failure {
    let mut message = describe(err);
    // The client sets no overall timeout (ours wraps the attempt), so a
    // timeout reported by reqwest before the head is the connect timeout;
    // its own message does not always say so.
    if err.is_timeout() && phase == Phase::Send {
        message = format!("no connection within --connect-timeout ({message})");
    }
    // A body timeout is also flagged as a decode error: check time first.
    let kind = if err.is_timeout() {
        ErrorKind::Timeout
    } else if err.is_redirect() {
        ErrorKind::TooManyRedirects
    } else if broke_http(err) {
        // The connection was fine; what came over it was not HTTP.
        ErrorKind::Protocol
    } else if phase == Phase::Body {
        // reqwest flags every body error as a decode error once a
        // decompressor is compiled in, a cut connection included. What
        // the connection did comes with hyper's error among the causes;
        // what the decompressor found (corrupt or cut short) does not.
        if any_cause(err, &|e| e.downcast_ref::<hyper::Error>().is_some()) {
            ErrorKind::Io
        } else {
            ErrorKind::Decode
        }
    } else if err.is_builder() {
        // A URL that cannot be requested at all: one over the 64 KiB
        // that HTTP's request line is given, from a redirect.
        message = format!("the URL cannot be requested: {message}");
        ErrorKind::InvalidUrl
    } else if err.is_dns() {
        ErrorKind::Dns
    } else if is_tls(err) {
        ErrorKind::Tls
    } else {
        // Refused, reset, or closed before the head: no response came.
        ErrorKind::Connect
    };
    (kind, message)
}

/// Joins the causes under reqwest's own wrapper ("error sending request
/// for url …"), which adds nothing but the URL the record already has.
pub fn describe(err: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cause = err.source();
    while let Some(e) = cause {
        let text = e.to_string();
        // hyper-util's wrapper names only its own layer.
        let wrapper = text.starts_with("client error (");
        if !wrapper && !parts.last().is_some_and(|p| p.contains(&text)) {
            parts.push(text);
        }
        cause = e.source();
    }
    if parts.is_empty() {
        let mut e = err.to_string();
        if let Some(url) = err.url() {
            e = e.replace(&format!(" ({url})"), "");
        }
        parts.push(e);
    }
    parts.join(": ")
}

/// Tells whether any cause under `err` (itself included) satisfies `hit`.
/// Some causes sit inside nested `io::Error`s that `source()` does not
/// reach (rustls's, under hyper's), so io errors are opened with
/// `get_ref()` too.
fn any_cause(
    err: &(dyn StdError + 'static),
    hit: &dyn Fn(&(dyn StdError + 'static)) -> bool,
) -> bool {
    let mut cause: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cause {
        if hit(e) {
            return true;
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && any_cause(inner, hit)
        {
            return true;
        }
        cause = e.source();
    }
    false
}

/// Tells whether an `io::Error` of `kind` is among the causes of `err`.
fn has_io_kind(err: &(dyn StdError + 'static), kind: std::io::ErrorKind) -> bool {
    any_cause(err, &|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == kind)
    })
}

/// Tells whether hyper refused what the server sent as HTTP: a head it
/// could not parse (no status line, HTTP/0.9, a header block over the
/// limit, two different `Content-Length`s) or a body whose framing is
/// broken (a bad chunk size line). hyper reports the latter as an
/// `InvalidData`/`InvalidInput` io error under its own body error; a
/// connection closed early is `UnexpectedEof` there and stays `io`.
pub(crate) fn broke_http(err: &(dyn StdError + 'static)) -> bool {
    any_cause(err, &|e| {
        let Some(h) = e.downcast_ref::<hyper::Error>() else {
            return false;
        };
        h.is_parse()
            || h.source().is_some_and(|inner| {
                has_io_kind(inner, std::io::ErrorKind::InvalidData)
                    || has_io_kind(inner, std::io::ErrorKind::InvalidInput)
            })
    })
}

/// Tells whether the connection closed before a whole response head came
/// back (hyper's "connection closed before message completed").
pub(crate) fn closed_before_response(err: &(dyn StdError + 'static)) -> bool {
    any_cause(err, &|e| {
        e.downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_incomplete_message)
    })
}

/// Looks for a rustls error anywhere under `err`.
fn is_tls(err: &(dyn StdError + 'static)) -> bool {
    any_cause(err, &|e| e.downcast_ref::<rustls::Error>().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_decode_as_reqwest_would_and_stop_at_the_limit() {
        use std::io::Write;
        let text = b"hello hello hello hello".repeat(100);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&text).unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(decode_body(&gz, Some("gzip"), 1 << 20).unwrap(), text);
        assert_eq!(decode_body(&text, None, 1 << 20).unwrap(), text);
        assert_eq!(decode_body(&text, Some("identity"), 1 << 20).unwrap(), text);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(&gz).unwrap();
        let both = z.finish().unwrap();
        assert_eq!(
            decode_body(&both, Some("gzip, deflate"), 1 << 20).unwrap(),
            text
        );
        let zs = zstd::stream::encode_all(&text[..], 1).unwrap();
        assert_eq!(decode_body(&zs, Some("zstd"), 1 << 20).unwrap(), text);
        assert_eq!(
            decode_body(&gz, Some("gzip"), 100).unwrap_err().0,
            ErrorKind::BodyTooLarge
        );
        assert_eq!(
            decode_body(b"junk", Some("gzip"), 100).unwrap_err().0,
            ErrorKind::Decode
        );
        assert_eq!(
            decode_body(&gz, Some("compress"), 100).unwrap_err().0,
            ErrorKind::Decode
        );
    }

    #[test]
    fn content_codings_read_every_header_line_and_skip_identity() {
        use reqwest::header::{CONTENT_ENCODING, HeaderMap, HeaderValue};
        let mut h = HeaderMap::new();
        assert_eq!(content_codings(&h), None);
        h.append(CONTENT_ENCODING, HeaderValue::from_static("identity"));
        assert_eq!(content_codings(&h), None);
        h.append(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        h.append(CONTENT_ENCODING, HeaderValue::from_static(" br ,"));
        assert_eq!(content_codings(&h).as_deref(), Some("gzip, br"));
    }

    #[test]
    fn base32_is_rfc_4648() {
        for (raw, want) in [
            ("", ""),
            ("f", "MY======"),
            ("fo", "MZXQ===="),
            ("foo", "MZXW6==="),
            ("foob", "MZXW6YQ="),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI======"),
        ] {
            assert_eq!(base32(raw.as_bytes()), want, "{raw}");
        }
        assert_eq!(
            hash_bytes_base32(b""),
            "sha256:4OYMIQUY7QOBJGX36TEJS35ZEQT24QPEMSNZGTFESWMRW6CSXBKQ===="
        );
    }

    #[test]
    fn hashes_read_as_sha256sum_prints_them() {
        let mut h = Sha256::new();
        h.update(b"ab");
        h.update(b"c");
        assert_eq!(
            hash_text(h),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hash_text(Sha256::new()),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;
    use std::time::Duration;

    proptest! {
        #![proptest_config(crate::testing::config())]

        /// `Retry-After`: seconds are seconds; a date in the past is no wait;
        /// anything else is a wait or nothing, never a panic.
        #[test]
        fn retry_after_reads_seconds_dates_and_junk(secs in any::<u64>(), junk in any::<String>(), past in 0u64..1_000_000_000) {
            use crate::http::retry_after;
            prop_assert_eq!(retry_after(&secs.to_string()), Some(Duration::from_secs(secs)));
            let date = httpdate::fmt_http_date(std::time::UNIX_EPOCH + Duration::from_secs(past));
            prop_assert_eq!(retry_after(&date), Some(Duration::ZERO));
            let _ = retry_after(&junk);
        }
    }
}
