//! The routes of the test server: fixture pages, and faults at the HTTP
//! level (delays, hangs, drips, huge or hostile bodies, bad encodings,
//! retries, redirects, sitemaps, robots.txt), and the generated site of
//! `site` under `/site/`. The faults below HTTP are
//! routed here too; their handlers live in `faults`.

use super::faults;
use super::server::Stats;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, RawQuery};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use futures_util::StreamExt;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Every route; `stats` holds what /robots.txt answers.
pub(super) fn router(stats: Arc<Stats>) -> Router {
    let site_stats = stats.clone();
    Router::new()
        .route(
            "/site/{*rest}",
            get(move |uri: axum::http::Uri| {
                let peer = site_stats.peer.lock().ok().and_then(|p| p.clone());
                let delay = site_stats
                    .site_delay_ms
                    .load(std::sync::atomic::Ordering::SeqCst);
                async move {
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                    super::site::serve(uri.path(), peer.as_deref())
                }
            }),
        )
        .route("/page/{name}", get(page))
        .route("/content/{id}", get(content_page))
        .route("/delay/{ms}", get(delay))
        .route("/slow-body/{ms}", get(slow_body))
        .route("/status/{code}", any(status))
        .route("/hang", get(hang))
        .route("/drip", get(drip))
        .route("/big/{bytes}", get(big))
        .route("/bomb", get(bomb))
        .route("/bad-gzip", get(bad_gzip))
        .route("/heavy/{mib}", get(heavy))
        .route("/cache/{name}", {
            let stats = stats.clone();
            get(
                move |name: Path<String>,
                      query: Query<HashMap<String, String>>,
                      headers: HeaderMap| {
                    cache(stats.clone(), name, query, headers)
                },
            )
        })
        .route("/robots.txt", get(move || robots(stats.clone())))
        .route("/flaky/{k}", get(flaky))
        .route("/retry-after/{secs}", get(retry_after))
        .route("/sitemap.xml", get(sitemap))
        .route("/site-sitemap.xml", get(site_sitemap))
        .route("/sitemap.xml.gz", get(sitemap_gz))
        .route("/sitemap-index.xml", get(sitemap_index))
        .route("/nested/{n}", get(nested))
        .route("/unmatched/{n}", get(unmatched))
        .route("/redirect/{n}", get(redirect))
        .route("/loop/{which}", get(redirect_loop))
        .route("/to", get(redirect_to))
        .route("/later/{ms}", get(redirect_later))
        .route("/echo", get(echo))
        .route("/method", any(method))
        .route("/br", get(brotli_page))
        .route("/list/{n}", get(listing))
        .route("/login", any(login))
        .route("/whoami", get(whoami))
        .route("/moved/{code}", any(moved))
        .route("/links", get(links))
        .route("/urlset", get(urlset))
        .route("/sitemapindex", get(sitemapindex))
        .route("/c1", get(c1))
        .route("/text", get(text))
        .route("/bad-utf8", get(bad_utf8))
        .route("/reset/before", get(faults::reset_before))
        .route("/reset/during", get(faults::reset_during))
        .route("/http10", get(faults::http10))
        .route("/chunked-cut", get(faults::chunked_cut))
}

/// A file under fixtures/ (the page route serves fixtures/pages).
// Not every test binary calls it.
pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

/// An HTML response.
pub(super) fn html(body: impl Into<Body>) -> Response {
    ([(header::CONTENT_TYPE, "text/html")], body.into()).into_response()
}

async fn page(Path(name): Path<String>, Query(q): Query<HashMap<String, String>>) -> Response {
    if name.contains('/') || name.contains("..") {
        return StatusCode::BAD_REQUEST.into_response();
    }
    match std::fs::read(fixture("pages").join(&name)) {
        Ok(bytes) => {
            let ct = q.get("ct").cloned().unwrap_or_else(|| "text/html".into());
            ([(header::CONTENT_TYPE, ct)], bytes).into_response()
        }
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A page of the main-content sample (fixtures/content), sent gzipped as
/// stored, with `Content-Encoding: gzip` and no charset.
async fn content_page(Path(id): Path<String>) -> Response {
    if !id.bytes().all(|b| b.is_ascii_digit()) {
        return StatusCode::BAD_REQUEST.into_response();
    }
    match std::fs::read(fixture("content/html").join(format!("{id}.html.gz"))) {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "text/html"),
                (header::CONTENT_ENCODING, "gzip"),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn delay(Path(ms): Path<u64>) -> Response {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    html(format!(
        "<!doctype html><title>delay {ms}</title><p>late</p>"
    ))
}

/// Sends the head at once and the body after `ms`.
async fn slow_body(Path(ms): Path<u64>) -> Response {
    let body = futures_util::stream::once(async move {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"<title>slow body</title>"))
    });
    html(Body::from_stream(body))
}

async fn status(Path(code): Path<u16>) -> Response {
    let code = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        code,
        [(header::CONTENT_TYPE, "text/html")],
        format!("<title>status {}</title>", code.as_u16()),
    )
        .into_response()
}

async fn hang() -> Response {
    tokio::time::sleep(Duration::from_secs(3600)).await;
    html("<title>too late</title>")
}

/// Sends the head and a little HTML at once, then one byte every 200 ms
/// for ever.
async fn drip() -> Response {
    let first = futures_util::stream::once(async {
        Ok::<_, std::io::Error>(bytes::Bytes::from_static(
            b"<!doctype html><title>drip</title>",
        ))
    });
    let rest = futures_util::stream::unfold((), |()| async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        Some((Ok::<_, std::io::Error>(bytes::Bytes::from_static(b" ")), ()))
    });
    html(Body::from_stream(first.chain(rest)))
}

/// `bytes` bytes of HTML, streamed in 64 KiB chunks.
async fn big(Path(bytes): Path<usize>) -> Response {
    let chunk = bytes::Bytes::from(vec![b'a'; 64 * 1024]);
    let head = bytes::Bytes::from_static(b"<!doctype html><title>big</title><p>");
    let mut left = bytes.saturating_sub(head.len());
    let body =
        futures_util::stream::iter(std::iter::once(head).chain(std::iter::from_fn(move || {
            if left == 0 {
                return None;
            }
            let n = left.min(chunk.len());
            left -= n;
            Some(chunk.slice(..n))
        })))
        .map(Ok::<_, std::io::Error>);
    html(Body::from_stream(body))
}

/// /robots.txt as the test set it.
async fn robots(stats: Arc<Stats>) -> Response {
    let set = stats.robots.lock().ok().and_then(|r| r.clone());
    match set {
        Some((status, body)) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            [(header::CONTENT_TYPE, "text/plain")],
            body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A page with validators, as a cache-aware server sends it: the body
/// set by `Server::set_page` (or a default page), with `?etag=strong`
/// (`"hex"`), `weak` (`W/"hex"`) or `gzip` (`"hex-gzip"`, never matched
/// again, as servers that append it to compressed responses do) made from
/// the body, and with `?lm=1` a Last-Modified that follows the page's
/// version. If-None-Match (which wins) or If-Modified-Since that match get
/// a 304 with the validators and no body.
async fn cache(
    stats: Arc<Stats>,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let (body, version) = stats
        .pages
        .lock()
        .ok()
        .and_then(|p| p.get(&name).cloned())
        .unwrap_or_else(|| {
            (
                format!("<!doctype html><title>{name}</title><a href=\"/page/simple.html\">s</a>"),
                1,
            )
        });
    let hex = format!("{:016x}", fnv1a(body.as_bytes()));
    let etag = match q.get("etag").map(String::as_str) {
        Some("strong") => Some(format!("\"{hex}\"")),
        Some("weak") => Some(format!("W/\"{hex}\"")),
        Some("gzip") => Some(format!("\"{hex}-gzip\"")),
        _ => None,
    };
    let modified = q.contains_key("lm").then(|| {
        let at = std::time::UNIX_EPOCH
            + Duration::from_secs(1_764_000_000 + u64::from(version) * 86_400);
        httpdate::fmt_http_date(at)
    });
    let sent = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let fresh = match (sent(header::IF_NONE_MATCH), sent(header::IF_MODIFIED_SINCE)) {
        (Some(tags), _) => {
            // Weak comparison; the -gzip form is never stored, so never matched.
            let ours = format!("\"{hex}\"");
            q.get("etag").is_some_and(|e| e != "gzip")
                && tags
                    .split(',')
                    .any(|t| t.trim().trim_start_matches("W/") == ours)
        }
        (None, Some(since)) => modified.as_deref() == Some(since),
        (None, None) => false,
    };
    let mut resp = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        html(body)
    };
    for (name, value) in [(header::ETAG, etag), (header::LAST_MODIFIED, modified)] {
        if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            resp.headers_mut().insert(name, v);
        }
    }
    resp
}

/// FNV-1a, 64 bits: a stable tag of a body.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Requests seen so far per `?id=`, over the whole test binary.
fn seen_before(id: &str) -> u32 {
    static SEEN: OnceLock<std::sync::Mutex<HashMap<String, u32>>> = OnceLock::new();
    let mut map = SEEN
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let n = map.entry(id.to_owned()).or_default();
    *n += 1;
    *n - 1
}

/// 503 for the first `k` requests of `?id=`, then a page.
async fn flaky(Path(k): Path<u32>, Query(q): Query<HashMap<String, String>>) -> Response {
    let id = q.get("id").cloned().unwrap_or_default();
    if seen_before(&id) < k {
        return (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response();
    }
    html("<title>flaky, then fine</title>")
}

/// 429 with `Retry-After: secs` (or, with `?date=1`, that many seconds
/// from now as an HTTP date) on the first request of `?id=`, then a page.
async fn retry_after(Path(secs): Path<u64>, Query(q): Query<HashMap<String, String>>) -> Response {
    let id = q.get("id").cloned().unwrap_or_default();
    if seen_before(&id) > 0 {
        return html("<title>after the wait</title>");
    }
    let value = if q.contains_key("date") {
        httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(secs))
    } else {
        secs.to_string()
    };
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, value)],
        "slow down",
    )
        .into_response()
}

/// The `http://host:port` a request was sent to.
fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

fn xml(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/xml")], body).into_response()
}

/// A sitemap of three pages (one a 404), one with an entity in its URL.
async fn sitemap(headers: HeaderMap) -> Response {
    let o = origin(&headers);
    xml(format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>{o}/page/simple.html</loc><lastmod>2026-11-25</lastmod></url>
  <url><loc>{o}/page/other.html?a=1&amp;b=2</loc></url>
  <url><loc>{o}/status/404</loc></url>
</urlset>"#
    ))
}

/// The generated site's sitemap: two pages no page links to.
async fn site_sitemap(headers: HeaderMap) -> Response {
    let o = origin(&headers);
    xml(format!(
        r#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>{o}/site/orphan/1</loc></url><url><loc>{o}/site/orphan/2</loc></url>
</urlset>"#
    ))
}

/// A gzip sitemap of one page, served as a file (no Content-Encoding).
async fn sitemap_gz(headers: HeaderMap) -> Response {
    let o = origin(&headers);
    let body = format!(
        r#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{o}/page/no-title.html</loc></url></urlset>"#
    );
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(body.as_bytes()).expect("gzip");
    let gz = enc.finish().expect("gzip");
    ([(header::CONTENT_TYPE, "application/gzip")], gz).into_response()
}

/// An index: both sitemaps above, one that fails, one that is a page.
async fn sitemap_index(headers: HeaderMap) -> Response {
    let o = origin(&headers);
    xml(format!(
        r#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>{o}/sitemap.xml</loc></sitemap>
  <sitemap><loc>{o}/sitemap.xml.gz</loc></sitemap>
  <sitemap><loc>{o}/status/500</loc></sitemap>
  <sitemap><loc>{o}/page/simple.html</loc></sitemap>
</sitemapindex>"#
    ))
}

/// `n` nested `<div>`s: quadratic work for the HTML tree builder.
async fn nested(Path(n): Path<usize>) -> Response {
    html(format!(
        "<!doctype html><title>nested</title>{}",
        "<div>".repeat(n)
    ))
}

/// 20,000 nested `<div>`s, then `n` end tags of an element never opened:
/// the tree builder looks for each through every open element (quadratic
/// work, as the standard's algorithm and html5ever do it).
async fn unmatched(Path(n): Path<usize>) -> Response {
    html(format!(
        "<!doctype html><title>unmatched</title>{}{}",
        "<div>".repeat(20_000),
        "</section>".repeat(n)
    ))
}

/// About `mib` MiB of HTML that is slow to parse: a title, then tens of
/// thousands of small elements and links per MiB.
async fn heavy(Path(mib): Path<usize>) -> Response {
    let body = tokio::task::spawn_blocking(move || {
        let mut page = String::from("<!doctype html><title>heavy</title><body>");
        let mut i = 0;
        while page.len() < mib << 20 {
            page.push_str(&format!(
                "<div class=item><a href=\"/item/{i}\">item {i}</a> <b>x</b></div>\n"
            ));
            i += 1;
        }
        page
    })
    .await
    .expect("heavy page");
    html(body)
}

/// Bytes the gzip bomb expands to.
const BOMB_SIZE: u64 = 1 << 30;

/// 1 GiB of HTML-ish zeros, gzipped once per test binary (about 1 MiB).
fn bomb_bytes() -> &'static [u8] {
    static BOMB: OnceLock<Vec<u8>> = OnceLock::new();
    BOMB.get_or_init(|| {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"<!doctype html><title>bomb</title>")
            .expect("gzip");
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..(BOMB_SIZE >> 20) {
            enc.write_all(&zeros).expect("gzip");
        }
        enc.finish().expect("gzip")
    })
}

/// Builds the gzip bomb now, so that the first request for it is not
/// slowed by the build (seconds of CPU on a busy machine).
// Not every test binary calls it.
pub fn prepare_bomb() {
    bomb_bytes();
}

async fn bomb() -> Response {
    let body = tokio::task::spawn_blocking(bomb_bytes).await.expect("bomb");
    (
        [
            (header::CONTENT_TYPE, "text/html"),
            (header::CONTENT_ENCODING, "gzip"),
        ],
        body,
    )
        .into_response()
}

/// Says gzip, sends something else.
async fn bad_gzip() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html"),
            (header::CONTENT_ENCODING, "gzip"),
        ],
        "<title>not gzip at all</title>",
    )
        .into_response()
}

fn found(location: &str) -> Response {
    let mut h = HeaderMap::new();
    h.insert(
        header::LOCATION,
        HeaderValue::from_str(location).expect("location"),
    );
    (StatusCode::FOUND, h).into_response()
}

async fn redirect(Path(n): Path<u32>) -> Response {
    if n == 0 {
        html("<title>redirect target</title>")
    } else {
        found(&format!("/redirect/{}", n - 1))
    }
}

async fn redirect_loop(Path(which): Path<String>) -> Response {
    found(if which == "a" { "/loop/b" } else { "/loop/a" })
}

/// A redirect to `?url=`, sent after `ms` milliseconds.
async fn redirect_later(Path(ms): Path<u64>, q: Query<HashMap<String, String>>) -> Response {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    redirect_to(q).await
}

async fn redirect_to(Query(q): Query<HashMap<String, String>>) -> Response {
    found(q.get("url").map_or("/", String::as_str))
}

/// Echoes request headers in the title: `ua=… auth=… x=…`.
/// The `u` values of a query, in order: URLs on any server.
fn each_u(query: Option<String>) -> Vec<String> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .filter(|(k, _)| k == "u")
        .map(|(_, v)| v.into_owned())
        .collect()
}

/// `text` escaped for HTML and XML text and attributes.
fn markup_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

/// A page that links to each `u` of its query.
async fn links(RawQuery(query): RawQuery) -> Response {
    let anchors: String = each_u(query)
        .iter()
        .map(|u| format!("<a href=\"{}\">link</a>\n", markup_escape(u)))
        .collect();
    html(format!("<!doctype html><title>links</title>\n{anchors}"))
}

/// A sitemap of each `u` of its query.
async fn urlset(RawQuery(query): RawQuery) -> Response {
    let urls: String = each_u(query)
        .iter()
        .map(|u| format!("<url><loc>{}</loc></url>\n", markup_escape(u)))
        .collect();
    xml(format!(
        "<?xml version=\"1.0\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n{urls}</urlset>"
    ))
}

/// A sitemap index of the sitemaps each `u` of its query names.
async fn sitemapindex(RawQuery(query): RawQuery) -> Response {
    let maps: String = each_u(query)
        .iter()
        .map(|u| format!("<sitemap><loc>{}</loc></sitemap>\n", markup_escape(u)))
        .collect();
    xml(format!(
        "<?xml version=\"1.0\"?>\n\
         <sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n\
         {maps}</sitemapindex>"
    ))
}

/// A page whose title holds DEL and C1 controls (U+009B is the 8-bit CSI,
/// ESC [ to some terminals), and whose Content-Type, ETag and
/// Last-Modified hold U+009B's UTF-8 bytes.
async fn c1() -> Response {
    let raw = |text: &[u8]| HeaderValue::from_bytes(text).unwrap_or(HeaderValue::from_static("x"));
    let mut resp = html("<!doctype html><title>a\u{9b}2Jb\u{7f}c\u{80}\u{9f}d</title>");
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, raw(b"text/html; x=\xc2\x9b2J"));
    h.insert(header::ETAG, raw(b"\"e\xc2\x9b31m\""));
    h.insert(header::LAST_MODIFIED, raw(b"Mon, 07 Dec 2026 \xc2\x9b"));
    resp
}

async fn echo(headers: HeaderMap) -> Response {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none")
            .to_owned()
    };
    html(format!(
        "<title>ua={} auth={} x={}</title>",
        get("user-agent"),
        get("authorization"),
        get("x-test")
    ))
}

/// Echoes a request of any method in the title: `METHOD ct=… body=…`.
async fn method(m: axum::http::Method, headers: HeaderMap, body: bytes::Bytes) -> Response {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none");
    html(format!(
        "<title>{m} ct={ct} body={}</title>",
        markup_escape(&String::from_utf8_lossy(&body))
    ))
}

/// Page `n` of a listing of `?of=` pages (default 5): two items, a
/// pagination bar linking every page, `rel=next` to the next one (on the
/// last page to `?then=`, if given), and an unrelated link.
async fn listing(Path(n): Path<u32>, Query(q): Query<HashMap<String, String>>) -> Response {
    let of: u32 = q.get("of").and_then(|v| v.parse().ok()).unwrap_or(5);
    let keep = |k: u32| match q.get("then") {
        Some(then) => format!("/list/{k}?of={of}&amp;then={}", markup_escape(then)),
        None => format!("/list/{k}?of={of}"),
    };
    let bar: String = (1..=of)
        .map(|k| format!("<a href=\"{}\">{k}</a>", keep(k)))
        .collect();
    let next = if n < of {
        format!("<a rel=\"next\" href=\"{}\">Next</a>", keep(n + 1))
    } else if let Some(then) = q.get("then") {
        format!("<a rel=\"next\" href=\"{}\">Next</a>", markup_escape(then))
    } else {
        String::new()
    };
    html(format!(
        "<title>list {n}</title><ul><li class=\"product\"><h2>item {n}a</h2></li>\
         <li class=\"product\"><h2>item {n}b</h2></li></ul>\
         <nav class=\"pagination\">{bar} {next}</nav><a href=\"/page/simple.html\">about</a>"
    ))
}

/// Sets a session cookie (and `?name=value` pairs as more cookies), then
/// redirects to `?then=` or says so.
async fn login(Query(q): Query<HashMap<String, String>>) -> Response {
    let mut h = HeaderMap::new();
    h.append(
        header::SET_COOKIE,
        HeaderValue::from_static("sid=s3cret; Path=/; HttpOnly"),
    );
    if let Some(extra) = q.get("set") {
        h.append(
            header::SET_COOKIE,
            HeaderValue::from_str(extra).expect("cookie"),
        );
    }
    match q.get("then") {
        Some(then) => {
            h.insert(
                header::LOCATION,
                HeaderValue::from_str(then).expect("location"),
            );
            (StatusCode::FOUND, h).into_response()
        }
        None => (h, html("<title>logged in</title>")).into_response(),
    }
}

/// The request's Cookie header in the title; 401 without one.
async fn whoami(headers: HeaderMap) -> Response {
    match headers.get(header::COOKIE).and_then(|v| v.to_str().ok()) {
        Some(c) => html(format!("<title>cookie {}</title>", markup_escape(c))),
        None => (StatusCode::UNAUTHORIZED, html("<title>who?</title>")).into_response(),
    }
}

/// A page sent brotli-compressed (`Content-Encoding: br`), fixed length.
async fn brotli_page() -> Response {
    let page = b"<!doctype html><title>brotli page</title><p>squeezed</p>".repeat(20);
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 9, 22);
        std::io::Write::write_all(&mut w, &page).expect("compress");
    }
    (
        [
            (header::CONTENT_TYPE, "text/html"),
            (header::CONTENT_ENCODING, "br"),
        ],
        out,
    )
        .into_response()
}

/// Redirects a request of any method with status `code` to `?url=`.
async fn moved(Path(code): Path<u16>, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut h = HeaderMap::new();
    let to = q.get("url").map_or("/", String::as_str);
    h.insert(
        header::LOCATION,
        HeaderValue::from_str(to).expect("location"),
    );
    (StatusCode::from_u16(code).expect("status"), h).into_response()
}

async fn text() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain")],
        "<title>not html</title>",
    )
        .into_response()
}

/// Says UTF-8, sends bytes that are not.
async fn bad_utf8() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        &b"<!doctype html><title>caf\xe9 \xff\xfe ok</title><p>\xc3\x28"[..],
    )
        .into_response()
}
