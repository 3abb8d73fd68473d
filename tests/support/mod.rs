//! Test support: a real HTTP server on loopback with fixture pages and
//! fault routes, that counts what it sees; and helpers to run the binary.
//!
//! Each server runs on its own thread and runtime, bound to port 0 of a
//! loopback address, so tests are plain `#[test]`s that can block on the
//! child process while the server keeps serving.

#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;
use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// One request as the server saw it: its path and query, when it
/// arrived, and when its response was over (the last body byte sent, or
/// the connection gone); `None` while it is still going.
#[derive(Debug, Clone)]
pub struct Span {
    pub path: String,
    pub start: Instant,
    pub end: Option<Instant>,
}

/// What a server saw.
#[derive(Default)]
pub struct Stats {
    inflight: AtomicUsize,
    max_inflight: AtomicUsize,
    hits: AtomicUsize,
    /// Every request, in arrival order.
    spans: std::sync::Mutex<Vec<Span>>,
    /// The path and query of each request, in order.
    paths: std::sync::Mutex<Vec<String>>,
    /// What /robots.txt answers: status and body (404 when unset).
    robots: std::sync::Mutex<Option<(u16, String)>>,
}

/// A running test server.
pub struct Server {
    pub addr: SocketAddr,
    stats: Arc<Stats>,
}

impl Server {
    /// The path and query of each request, in arrival order.
    pub fn paths(&self) -> Vec<String> {
        self.stats
            .paths
            .lock()
            .map(|p| p.clone())
            .unwrap_or_default()
    }

    /// Makes /robots.txt answer `status` with `body`.
    pub fn set_robots(&self, status: u16, body: &str) {
        if let Ok(mut r) = self.stats.robots.lock() {
            *r = Some((status, body.to_owned()));
        }
    }

    /// When each request arrived, in order.
    pub fn starts(&self) -> Vec<std::time::Instant> {
        let mut v: Vec<Instant> = self.spans().iter().map(|s| s.start).collect();
        v.sort();
        v
    }

    /// Every request with its start and end, in arrival order.
    pub fn spans(&self) -> Vec<Span> {
        self.stats
            .spans
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// Starts a server on 127.0.0.1.
    pub fn start() -> Server {
        Server::start_on("127.0.0.1")
    }

    /// Starts a server on another loopback address (127.0.0.2 …), which
    /// trawl sees as another host.
    pub fn start_on(ip: &str) -> Server {
        let listener = std::net::TcpListener::bind((ip, 0)).expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("local addr");
        let stats = Arc::new(Stats::default());
        let app = router(stats.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("server runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                axum::serve(
                    FaultyListener(listener),
                    app.into_make_service_with_connect_info::<Conn>(),
                )
                .await
                .expect("serve");
            });
        });
        Server { addr, stats }
    }

    /// The absolute URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The most requests this server had in flight at once.
    pub fn max_inflight(&self) -> usize {
        self.stats.max_inflight.load(Ordering::SeqCst)
    }

    /// Requests received.
    pub fn hits(&self) -> usize {
        self.stats.hits.load(Ordering::SeqCst)
    }
}

fn router(stats: Arc<Stats>) -> Router {
    Router::new()
        .route("/page/{name}", get(page))
        .route("/delay/{ms}", get(delay))
        .route("/slow-body/{ms}", get(slow_body))
        .route("/status/{code}", get(status))
        .route("/hang", get(hang))
        .route("/drip", get(drip))
        .route("/big/{bytes}", get(big))
        .route("/bomb", get(bomb))
        .route("/bad-gzip", get(bad_gzip))
        .route("/heavy/{mib}", get(heavy))
        .route(
            "/robots.txt",
            get({
                let stats = stats.clone();
                move || robots(stats.clone())
            }),
        )
        .route("/flaky/{k}", get(flaky))
        .route("/retry-after/{secs}", get(retry_after))
        .route("/sitemap.xml", get(sitemap))
        .route("/sitemap.xml.gz", get(sitemap_gz))
        .route("/sitemap-index.xml", get(sitemap_index))
        .route("/nested/{n}", get(nested))
        .route("/redirect/{n}", get(redirect))
        .route("/loop/{which}", get(redirect_loop))
        .route("/to", get(redirect_to))
        .route("/later/{ms}", get(redirect_later))
        .route("/echo", get(echo))
        .route("/text", get(text))
        .route("/bad-utf8", get(bad_utf8))
        .route("/reset/before", get(reset_before))
        .route("/reset/during", get(reset_during))
        .route("/http10", get(http10))
        .route("/chunked-cut", get(chunked_cut))
        .layer(middleware::from_fn_with_state(stats, count))
}

/// Counts requests in flight: from the request's arrival until the last
/// byte of the response body is sent, or the client goes away.
async fn count(State(stats): State<Arc<Stats>>, req: Request, next: Next) -> Response {
    struct Guard(Arc<Stats>, usize);
    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.inflight.fetch_sub(1, Ordering::SeqCst);
            if let Ok(mut spans) = self.0.spans.lock()
                && let Some(span) = spans.get_mut(self.1)
            {
                span.end = Some(Instant::now());
            }
        }
    }
    stats.hits.fetch_add(1, Ordering::SeqCst);
    let index = match stats.spans.lock() {
        Ok(mut spans) => {
            spans.push(Span {
                path: req.uri().to_string(),
                start: Instant::now(),
                end: None,
            });
            spans.len() - 1
        }
        Err(_) => usize::MAX,
    };
    if let Ok(mut paths) = stats.paths.lock() {
        paths.push(req.uri().to_string());
    }
    let now = stats.inflight.fetch_add(1, Ordering::SeqCst) + 1;
    stats.max_inflight.fetch_max(now, Ordering::SeqCst);
    let guard = Guard(stats.clone(), index);
    let (parts, body) = next.run(req).await.into_parts();
    let body = body.into_data_stream().map(move |chunk| {
        let _held = &guard;
        chunk
    });
    Response::from_parts(parts, Body::from_stream(body))
}

pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

fn html(body: impl Into<Body>) -> Response {
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
    html(Body::from_stream(futures_util::StreamExt::chain(
        first, rest,
    )))
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

use futures_util::StreamExt;

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
pub const BOMB_SIZE: u64 = 1 << 30;

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

async fn text() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain")],
        "<title>not html</title>",
    )
        .into_response()
}

/// The binary under test, with an environment that cannot reach a proxy.
pub fn trawl() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_trawl"));
    isolate(&mut cmd);
    cmd
}

/// Clears from `cmd`'s environment what would make a trawl it runs behave
/// otherwise than the tests expect: proxies, RUST_LOG, colours, and
/// GitHub Actions' variables.
pub fn isolate(cmd: &mut std::process::Command) {
    for var in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("NO_PROXY", "*").env("NO_COLOR", "1");
    // A developer's RUST_LOG must not change what the tests see on stderr.
    cmd.env_remove("RUST_LOG");
    // The tests may themselves run under GitHub Actions: trawl must not
    // annotate their runs unless a test asks for it.
    cmd.env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY");
}

/// Runs trawl with `args`, feeding `stdin`, and returns (records, stderr,
/// exit code).
pub fn run(args: &[&str], stdin: &str) -> (Vec<Value>, String, i32) {
    let out = assert_cmd::Command::from_std(trawl())
        .args(args)
        .write_stdin(stdin.to_owned())
        .timeout(Duration::from_secs(60))
        .output()
        .expect("run trawl");
    let code = out.status.code().unwrap_or(-1);
    (
        records(&out.stdout),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        code,
    )
}

/// Waits for the child to exit, at most `limit`.
pub fn wait_exit(
    child: &mut std::process::Child,
    limit: Duration,
) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// Sends `sig` (as `kill` spells it: `-INT`, `-TERM`, `-KILL`) to the child.
pub fn signal(child: &std::process::Child, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .expect("kill")
        .success();
    assert!(ok, "kill {sig} failed");
}

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

/// A raw TCP server for faults below HTTP: each connection reads the
/// request head, writes `reply` and closes (dropping the socket with
/// unread data makes the kernel send a reset).
pub fn raw_server(reply: &'static [u8]) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = std::io::Read::read(&mut conn, &mut buf);
                let _ = conn.write_all(reply);
                let _ = conn.flush();
                std::thread::sleep(Duration::from_millis(50));
            });
        }
    });
    addr
}

/// A listener whose accept queue is full and never drained: the kernel
/// drops further SYNs, so a new connection hangs in the handshake (the
/// loopback stand-in for an unreachable host). Returns its address and the
/// sockets that fill the queue, which must live as long as the test.
pub fn blackhole() -> (SocketAddr, Vec<std::net::TcpStream>) {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("addr");
    socket.bind(&addr.into()).expect("bind");
    socket.listen(0).expect("listen");
    let addr = socket
        .local_addr()
        .expect("addr")
        .as_socket()
        .expect("inet");
    let mut fillers = Vec::new();
    // A backlog of 0 still admits one or two connections; a few more make
    // sure the queue is full. Each filler either completes or is left
    // half-open; both keep the queue occupied.
    for _ in 0..4 {
        let s = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
        s.set_nonblocking(true).expect("nonblocking");
        let _ = s.connect(&addr.into());
        fillers.push(std::net::TcpStream::from(s));
    }
    std::thread::sleep(Duration::from_millis(200));
    std::mem::forget(socket);
    (addr, fillers)
}

// Faults below HTTP, on the same server and port as every other route:
// each accepted connection carries a switch that a handler can throw, and
// the connection's next write obeys it (reset the connection, or send raw
// bytes in place of hyper's response and close).

/// What a connection's next write does.
#[derive(Default)]
enum Fault {
    /// Pass hyper's bytes through.
    #[default]
    None,
    /// Drop the connection with a TCP reset (SO_LINGER 0).
    Reset,
    /// Send these bytes instead of hyper's, then close (FIN).
    Raw(&'static [u8]),
    /// Done: every later write fails and the socket is closed.
    Closed,
}

/// The switch of one accepted connection, as handlers see it
/// (`ConnectInfo<Conn>`).
#[derive(Clone, Default)]
pub struct Conn(Arc<std::sync::Mutex<Fault>>);

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Conn")
    }
}

impl Conn {
    fn set(&self, fault: Fault) {
        if let Ok(mut f) = self.0.lock() {
            *f = fault;
        }
    }
}

struct FaultyListener(tokio::net::TcpListener);

impl axum::serve::Listener for FaultyListener {
    type Io = FaultyIo;
    type Addr = Conn;

    async fn accept(&mut self) -> (FaultyIo, Conn) {
        loop {
            match self.0.accept().await {
                Ok((tcp, _)) => {
                    let conn = Conn::default();
                    return (
                        FaultyIo {
                            tcp,
                            conn: conn.clone(),
                            raw_sent: 0,
                        },
                        conn,
                    );
                }
                // Out of descriptors, say: wait and go on accepting.
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Conn> {
        Ok(Conn::default())
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, FaultyListener>>
    for Conn
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, FaultyListener>) -> Conn {
        stream.remote_addr().clone()
    }
}

struct FaultyIo {
    tcp: tokio::net::TcpStream,
    conn: Conn,
    /// Bytes of a `Fault::Raw` reply written so far.
    raw_sent: usize,
}

impl tokio::io::AsyncRead for FaultyIo {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = self.get_mut();
        std::pin::Pin::new(&mut this.tcp).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for FaultyIo {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        use std::task::Poll;
        let this = self.get_mut();
        let mut fault = match this.conn.0.lock() {
            Ok(f) => f,
            Err(_) => return Poll::Ready(Err(std::io::ErrorKind::Other.into())),
        };
        match &*fault {
            Fault::None => std::pin::Pin::new(&mut this.tcp).poll_write(cx, buf),
            Fault::Reset => {
                let _ = socket2::SockRef::from(&this.tcp).set_linger(Some(Duration::ZERO));
                *fault = Fault::Closed;
                Poll::Ready(Err(std::io::ErrorKind::ConnectionReset.into()))
            }
            Fault::Raw(bytes) => {
                let bytes: &'static [u8] = bytes;
                while this.raw_sent < bytes.len() {
                    match std::pin::Pin::new(&mut this.tcp).poll_write(cx, &bytes[this.raw_sent..])
                    {
                        Poll::Ready(Ok(n)) => this.raw_sent += n,
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                        Poll::Pending => return Poll::Pending,
                    }
                }
                // FIN now; hyper then drops the connection on the error.
                let _ = socket2::SockRef::from(&this.tcp).shutdown(std::net::Shutdown::Write);
                *fault = Fault::Closed;
                Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into()))
            }
            Fault::Closed => Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into())),
        }
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

/// The connection is reset before any byte of a response.
async fn reset_before(ConnectInfo(conn): ConnectInfo<Conn>) -> Response {
    conn.set(Fault::Reset);
    html("<title>never sent</title>")
}

/// The head and part of the body arrive, then the connection is reset.
async fn reset_during(ConnectInfo(conn): ConnectInfo<Conn>) -> Response {
    let first = futures_util::stream::once(async {
        Ok::<_, std::io::Error>(bytes::Bytes::from_static(
            b"<!doctype html><title>reset during the body</title><p>",
        ))
    });
    let rest = futures_util::stream::once(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        conn.set(Fault::Reset);
        Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"never arrives"))
    });
    let mut response = html(Body::from_stream(first.chain(rest)));
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from_static("4096"));
    response
}

/// An HTTP/1.0 response without Content-Length: the body ends when the
/// server closes the connection.
async fn http10(ConnectInfo(conn): ConnectInfo<Conn>) -> Response {
    conn.set(Fault::Raw(
        b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n\
          <!doctype html><title>close-delimited</title><p>the body ends at the close",
    ));
    html("")
}

/// A chunked body whose last chunk never comes: the connection closes
/// mid-body.
async fn chunked_cut(ConnectInfo(conn): ConnectInfo<Conn>) -> Response {
    conn.set(Fault::Raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n\
          1f\r\n<!doctype html><title>cut</title>\r\n10\r\n<p>and then noth",
    ));
    html("")
}

/// Says UTF-8, sends bytes that are not.
async fn bad_utf8() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        &b"<!doctype html><title>caf\xe9 \xff\xfe ok</title><p>\xc3\x28"[..],
    )
        .into_response()
}
