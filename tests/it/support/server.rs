//! The test server: it serves the routes of `routes` and records every
//! request it sees (path, start, end, how many at once).
//!
//! Each server runs on its own thread and runtime, bound to port 0 of a
//! loopback address, so tests are plain `#[test]`s that can block on the
//! child process while the server keeps serving.

use super::faults::{Conn, FaultyListener};
use super::routes;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::{self, Next};
use axum::response::Response;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// One request as the server saw it: its path and query, when it
/// arrived, and when its response was over (the last body byte sent, or
/// the connection gone); `None` while it is still going.
#[derive(Debug, Clone)]
pub struct Span {
    // The server only writes it, and not every test binary reads it.
    pub path: String,
    /// The request's method.
    pub method: String,
    pub start: Instant,
    pub end: Option<Instant>,
    /// The request's headers.
    pub headers: HeaderMap,
    /// The response's status, once the handler answered.
    pub status: Option<u16>,
}

/// What a server saw.
#[derive(Default)]
pub(super) struct Stats {
    inflight: AtomicUsize,
    max_inflight: AtomicUsize,
    hits: AtomicUsize,
    /// Every request, in arrival order.
    spans: std::sync::Mutex<Vec<Span>>,
    /// The path and query of each request, in order.
    paths: std::sync::Mutex<Vec<String>>,
    /// What /robots.txt answers: status and body (404 when unset).
    pub(super) robots: std::sync::Mutex<Option<(u16, String)>>,
    /// What /cache/{name} serves: the page's body and its version (which
    /// its Last-Modified date follows); unset names serve a default page.
    pub(super) pages: std::sync::Mutex<HashMap<String, (String, u32)>>,
    /// The look-alike site the generated site links to (`http://host:port`).
    pub(super) peer: std::sync::Mutex<Option<String>>,
    /// How long each page of the generated site takes, in milliseconds.
    pub(super) site_delay_ms: std::sync::atomic::AtomicU64,
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

    /// Makes the generated site (`/site/`) link to `peer`, another server.
    pub fn set_peer(&self, peer: &Server) {
        if let Ok(mut p) = self.stats.peer.lock() {
            *p = Some(format!("http://{}", peer.addr));
        }
    }

    /// Makes each page of the generated site (`/site/`) take `ms`.
    pub fn set_site_delay(&self, ms: u64) {
        self.stats.site_delay_ms.store(ms, Ordering::SeqCst);
    }

    /// When each request arrived, in order.
    pub fn starts(&self) -> Vec<Instant> {
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

    /// Makes /cache/`name` serve `body` from now on, as a new version
    /// (a later Last-Modified date than the default page or the last set).
    pub fn set_page(&self, name: &str, body: &str) {
        if let Ok(mut pages) = self.stats.pages.lock() {
            let version = pages.get(name).map_or(2, |p| p.1 + 1);
            pages.insert(name.to_owned(), (body.to_owned(), version));
        }
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
        let app = routes::router(stats.clone())
            .layer(middleware::from_fn_with_state(stats.clone(), count));
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
                method: req.method().to_string(),
                start: Instant::now(),
                end: None,
                headers: req.headers().clone(),
                status: None,
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
    if let Ok(mut spans) = stats.spans.lock()
        && let Some(span) = spans.get_mut(index)
    {
        span.status = Some(parts.status.as_u16());
    }
    let body = body.into_data_stream().map(move |chunk| {
        let _held = &guard;
        chunk
    });
    Response::from_parts(parts, Body::from_stream(body))
}
