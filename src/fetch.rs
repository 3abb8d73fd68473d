//! One attempt at one URL: the request, the redirects and the capped body
//! (`http` classifies what went wrong).
//!
//! Redirects are followed here rather than by reqwest, so that every hop
//! is counted, loops are caught as soon as a URL repeats, a hop to another
//! host goes back to the dispatcher to wait for that host's slot (holding
//! no global slot meanwhile), and the user's credentials go only where the
//! attempt's [`Keys`] admit them, never to another origin. One deadline
//! (`--timeout`) bounds the attempt's time in flight over all its hops:
//! DNS, connecting, headers and the last byte of the body, however slowly
//! the server drips it.
//!
//! This module does not decide whether a status is ok, nor parse anything.

use crate::cookies::Jar;
use crate::error::RunError;
use crate::hosts::HostSlot;
use crate::http::{self, ClientOptions, Failure, Phase, classify};
use crate::keys::{CREDENTIALS, Headers, Keys};
use crate::proxy::{
    Clients, MAX_TRIES, MakeClients, NoProxy, Pick, ProxyUrl, Rotate, Route, Routes,
};
use crate::rate::{Limits, Rate};
use crate::record::ErrorKind;
use crate::request::Request;
use crate::robots::RobotsCache;
use crate::sites::Sites;
use crate::warc::Capture;
use reqwest::header::{self, HeaderMap, HeaderName};
use reqwest::redirect::Policy;
use sha2::{Digest, Sha256};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};
use trawl_page::content::may_be_html;
use url::Url;

/// The shared client and the limits of an attempt.
pub struct Fetcher {
    /// The clients: one for each proxy, one direct, each with a twin that
    /// keeps no idle pool (the once-more of a request whose pooled
    /// connection the server had closed goes on a fresh one).
    routes: Routes,
    /// Builds a route's clients on its first use.
    make: Box<MakeClients>,
    /// `--warc`: capture each exchange; bodies decoded here.
    raw: bool,
    /// The User-Agent the clients send, for the request records.
    user_agent: String,
    /// `-H`, credentials apart.
    headers: Headers,
    /// The run's cookies, when kept.
    jar: Option<Arc<Jar>>,
    timeout: Duration,
    max_body: u64,
    /// `--rate` and `--host-rate`.
    limits: Limits,
    /// robots.txt, kept per origin (`--robots`, or a rule's `robots`).
    robots: Option<RobotsCache>,
    /// `--robots` for the hosts no rule says otherwise of.
    robots_all: bool,
    /// `--config`'s `[[site]]` rules.
    sites: Arc<Sites>,
    /// Keep bodies that are not HTML too (`--expect` and `--expect-text`
    /// judge them).
    keep_every_body: bool,
    max_redirects: u32,
}

/// What the fetcher needs to know of the run's settings.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// User-Agent, connect deadline, `--insecure`.
    pub client: ClientOptions,
    /// `-H` headers, in the order given.
    pub headers: HeaderMap,
    /// `--cookies`/`--cookie-jar`: the run's cookies.
    pub jar: Option<Arc<Jar>>,
    /// `--proxy-rotate`.
    pub rotate: Rotate,
    /// `--warc`: keep each exchange as it went over the wire, and decode
    /// bodies here rather than in reqwest.
    pub raw: bool,
    /// `--per-host`: idle connections kept per host.
    pub per_host: usize,
    /// `--timeout`: time in flight for one attempt, over all its hops.
    pub timeout: Duration,
    /// `--max-body`.
    pub max_body: u64,
    /// `--max-redirects`.
    pub max_redirects: u32,
    /// Keep bodies that are not HTML too (`--expect` and `--expect-text`
    /// judge them).
    pub keep_every_body: bool,
    /// `--rate`, `--host-rate`, `--burst`.
    pub rate: Option<Rate>,
    pub host_rate: Option<Rate>,
    pub burst: NonZeroU32,
    /// `--robots`.
    pub robots: bool,
    /// `--robots`, or a rule that turns it on for its hosts.
    pub robots_anywhere: bool,
    /// `--config`'s `[[site]]` rules.
    pub sites: Arc<Sites>,
}

/// What one attempt got, filled in as far as it went.
#[derive(Debug, Default)]
pub struct Fetched {
    /// The URL of the last response received.
    pub final_url: Option<Url>,
    /// The last response's status.
    pub status: Option<u16>,
    /// The last response's `Content-Type`.
    pub content_type: Option<String>,
    /// Body bytes read, after decompression.
    pub bytes: u64,
    /// Redirects followed.
    pub redirects: u32,
    /// The body, kept only when it may be HTML and was read whole.
    pub body: Option<bytes::Bytes>,
    /// Why the attempt failed, if it did.
    pub error: Option<(ErrorKind, String)>,
    /// The last response's head had arrived and its body was being read.
    pub reading_body: bool,
    /// The last response's `Retry-After`, in seconds or as an HTTP date.
    pub retry_after: Option<Duration>,
    /// Nothing was sent for this attempt (robots.txt disallowed its URL):
    /// it does not count in `attempts`.
    pub unsent: bool,
    /// The last response's `ETag`, as sent.
    pub etag: Option<String>,
    /// The last response's `Last-Modified`, as sent.
    pub last_modified: Option<String>,
    /// `sha256:<hex>` of the last response's body, after decompression;
    /// `None` unless the body was read whole.
    pub content_hash: Option<String>,
    /// The last response is a 304 answering our conditional request.
    pub not_modified: bool,
    /// The proxy the last request went through, without credentials.
    pub proxy: Option<Arc<str>>,
    /// `--warc`: each exchange of the attempt, hop by hop.
    pub captures: Vec<Capture>,
}

/// The validators of an earlier response of `url` (`--revalidate`): sent
/// back, exactly as received, when a request goes to that URL.
#[derive(Debug, Clone)]
pub struct Conditional {
    /// Where the earlier response came from (its final URL).
    pub url: Url,
    /// Sent as `If-None-Match`.
    pub etag: Option<String>,
    /// Sent as `If-Modified-Since`.
    pub last_modified: Option<String>,
}

/// Where one URL's attempt stands between hosts: carried from one host's
/// step to the next when a redirect leaves a host.
#[derive(Debug)]
pub struct Chain {
    /// The origin that may receive the user's credentials.
    keys: Keys,
    /// URLs requested so far, to catch loops.
    visited: Vec<Url>,
    /// Time spent in flight so far; `--timeout` bounds the sum.
    spent: Duration,
    /// What the responses so far left: redirects, last URL and status.
    so_far: Fetched,
    /// Validators to send to the URL they came from, whichever hop
    /// reaches it.
    conditional: Option<Box<Conditional>>,
    /// A request line's method, headers and body; a 301, 302 or 303
    /// turns a POST into a GET with no body, as browsers do.
    request: Option<Arc<Request>>,
}

impl Chain {
    /// Starts an attempt, whose requests carry the user's credentials where
    /// `keys` admit them; conditional on `conditional` when given.
    pub fn new(
        keys: Keys,
        conditional: Option<Conditional>,
        request: Option<Arc<Request>>,
    ) -> Chain {
        Chain {
            keys,
            visited: Vec::new(),
            spent: Duration::ZERO,
            so_far: Fetched::default(),
            conditional: conditional.map(Box::new),
            request,
        }
    }
}

/// How one step of an attempt ended.
#[derive(Debug)]
pub enum Step {
    /// Finished, well or not.
    Done(Fetched),
    /// Redirected to another host: fetch this URL there, with a slot of
    /// that host, carrying the chain on.
    Elsewhere(Url, Chain),
}

impl Fetcher {
    /// Builds the one client of the run.
    ///
    /// # Errors
    /// When the TLS back end cannot be set up.
    pub fn new(opts: FetchOptions) -> Result<Fetcher, RunError> {
        // Some servers answer `*/*` with something other than their page;
        // ask for HTML first, as a browser does. `-H Accept: …` replaces it.
        let mut defaults = HeaderMap::new();
        defaults.insert(header::ACCEPT, header::HeaderValue::from_static(ACCEPT));
        if opts.raw {
            defaults.insert(
                header::ACCEPT_ENCODING,
                header::HeaderValue::from_static(http::ACCEPT_ENCODING),
            );
        }
        let (client_opts, per_host, raw) = (opts.client.clone(), opts.per_host, opts.raw);
        let make: Box<MakeClients> = Box::new(move |proxy: Option<&ProxyUrl>| {
            let base = || {
                let b = client_opts
                    .builder_via(proxy)
                    .redirect(Policy::none())
                    .default_headers(defaults.clone())
                    .tcp_nodelay(true);
                if raw {
                    // The archive keeps the body as it came.
                    b.no_gzip().no_brotli().no_zstd().no_deflate()
                } else {
                    b
                }
            };
            Ok(Clients {
                client: base()
                    // Idle sockets to thousands of hosts would exhaust
                    // file descriptors (reqwest#386); keep only what a
                    // host can use.
                    .pool_idle_timeout(Duration::from_secs(15))
                    .pool_max_idle_per_host(per_host)
                    .build()?,
                fresh: base().pool_max_idle_per_host(0).build()?,
            })
        });
        // The direct clients now, so a TLS set-up that fails stops the run
        // before it starts; a proxy's on first use. One client, so one
        // pool, per proxy (reqwest#2098); a rule's proxy is its URLs' only
        // way out.
        let direct = Route::ready(make(None).map_err(RunError::client("HTTP"))?, None);
        let proxies = opts
            .client
            .proxies
            .iter()
            .cloned()
            .map(|p| Route::lazy(Some(p)))
            .collect();
        let by_rule = opts
            .sites
            .proxies()
            .map(|(rule, p)| (rule, Route::lazy(Some(p.clone()))))
            .collect();
        let routes = Routes::new(
            proxies,
            by_rule,
            direct,
            opts.rotate,
            if opts.client.proxies.is_empty() {
                NoProxy::default()
            } else {
                NoProxy::from_env()
            },
        );
        // The rules' own host rates, and which holds for a host.
        let ruled: Vec<(usize, Rate)> = (opts.sites.rules.iter().enumerate())
            .filter_map(|(i, r)| r.host_rate.map(|rate| (i, rate)))
            .collect();
        let sites = opts.sites.clone();
        let rule_of: crate::rate::RuleOf =
            Box::new(move |host| sites.host_rate(host).map(|(rule, _)| rule));
        let robots = if opts.robots_anywhere {
            // A Crawl-delay paces its origin unless --host-rate is given.
            let cache = RobotsCache::new(&opts.client, opts.timeout, opts.host_rate.is_none())
                .map_err(RunError::client("robots.txt"))?;
            Some(cache)
        } else {
            None
        };
        Ok(Fetcher {
            routes,
            make,
            raw: opts.raw,
            user_agent: opts.client.user_agent.clone(),
            headers: Headers::new(opts.headers),
            jar: opts.jar,
            timeout: opts.timeout,
            max_body: opts.max_body,
            keep_every_body: opts.keep_every_body,
            limits: Limits::new(opts.rate, opts.host_rate, opts.burst, &ruled, rule_of),
            robots,
            robots_all: opts.robots,
            sites: opts.sites.clone(),
            max_redirects: opts.max_redirects,
        })
    }

    /// Fetches `url`, holding `slot` (a slot of the URL's host) for as long
    /// as a request to that host is in flight.
    ///
    /// Redirects within the host are followed here. A redirect to another
    /// host ends this step with [`Step::Elsewhere`]: the caller queues the
    /// next URL for a slot of its host, so no global slot is held while
    /// waiting for it, and that wait does not count against `--timeout`,
    /// which bounds the time spent in flight over all hops.
    pub async fn fetch(&self, url: &Url, mut chain: Chain, slot: HostSlot) -> Step {
        let mut out = std::mem::take(&mut chain.so_far);
        // A rule's timeout for the URL this step starts at.
        let timeout = if self.sites.is_empty() {
            self.timeout
        } else {
            self.sites.for_url(url).timeout.unwrap_or(self.timeout)
        };
        let mut current = url.clone();
        let result = loop {
            // robots.txt and each request's tokens come before its time in
            // flight: waiting for a rate or for robots.txt is not.
            if let Err(failure) = self.admit(&current, slot.host()).await {
                out.unsent = out.status.is_none();
                out.error = Some(failure);
                return Step::Done(out);
            }
            let budget = timeout.saturating_sub(chain.spent);
            let began = Instant::now();
            let request = self.request(&current, &mut chain, &mut out);
            let result = tokio::time::timeout(budget, request).await;
            chain.spent += began.elapsed();
            match result {
                Ok(Ok(Some(next))) if next.host_str() == Some(slot.host()) => {
                    tracing::debug!("redirect {} → {next}: same host", out.redirects);
                    current = next;
                }
                other => break other,
            }
        };
        // The slot is held until here: through every same-host hop.
        drop(slot);
        match result {
            Ok(Ok(None)) => {}
            Ok(Ok(Some(next))) => {
                tracing::debug!(
                    "redirect {} → {next}: another host, queued for a slot of it",
                    out.redirects
                );
                chain.so_far = out;
                return Step::Elsewhere(next, chain);
            }
            Ok(Err(failure)) => out.error = Some(failure),
            Err(_) => {
                let what = if out.reading_body {
                    "the body did not arrive"
                } else {
                    "no response"
                };
                out.error = Some((
                    ErrorKind::Timeout,
                    format!(
                        "{what} within the {} timeout",
                        humantime::format_duration(timeout)
                    ),
                ));
            }
        }
        Step::Done(out)
    }

    /// Lets a request to `url` go: robots.txt allows it (`--robots`) and
    /// its tokens of `--rate`, `--host-rate` or Crawl-delay are taken.
    async fn admit(&self, url: &Url, host: &str) -> Result<(), Failure> {
        let obey = if self.sites.is_empty() {
            self.robots_all
        } else {
            self.sites.for_url(url).robots.unwrap_or(self.robots_all)
        };
        let pace = match self.robots.as_ref().filter(|_| obey) {
            Some(robots) => robots.check(url, &self.limits).await.map_err(|why| {
                tracing::debug!("{url}: not sent: {why}");
                (ErrorKind::RobotsDisallowed, why)
            })?,
            None => None,
        };
        let waited = Instant::now();
        self.limits.wait(host, pace.as_deref()).await;
        let waited = waited.elapsed();
        if waited >= Duration::from_millis(1) {
            tracing::debug!("{url}: waited {} ms for a rate token", waited.as_millis());
        }
        Ok(())
    }

    /// One request: the response and, unless it redirects, its body;
    /// returns where a redirect leads.
    async fn request(
        &self,
        current: &Url,
        chain: &mut Chain,
        out: &mut Fetched,
    ) -> Result<Option<Url>, Failure> {
        let (mut headers, target) = self.headers.for_request(&chain.keys, current);
        let method = chain
            .request
            .as_ref()
            .map_or(reqwest::Method::GET, |r| r.method.clone());
        if let Some(r) = &chain.request {
            let admitted = chain.keys.admit(current);
            for (name, value) in &r.headers {
                if admitted || !CREDENTIALS.contains(name) {
                    headers.insert(name, value.clone());
                }
            }
        }
        let site = (!self.sites.is_empty()).then(|| self.sites.for_url(current));
        if let Some(site) = &site {
            // A rule's headers, cookies and auth go to its URLs only.
            for (name, value) in &site.headers {
                headers.insert(name.clone(), value.clone());
            }
            if let Some(ua) = site.user_agent {
                headers.insert(header::USER_AGENT, ua.clone());
            }
        }
        let rule_proxy = site.as_ref().and_then(|s| s.proxy.map(|(rule, _)| rule));
        if let Some(cookies) = self.jar.as_ref().and_then(|j| j.header(current)) {
            // A Cookie of -H for this origin goes first, then the jar's.
            let value = match headers.get(header::COOKIE) {
                Some(given) => {
                    let mut both = given.as_bytes().to_vec();
                    both.extend_from_slice(b"; ");
                    both.extend_from_slice(cookies.as_bytes());
                    header::HeaderValue::from_bytes(&both).unwrap_or(cookies)
                }
                None => cookies,
            };
            headers.insert(header::COOKIE, value);
        }
        let conditional = chain
            .conditional
            .as_ref()
            .filter(|c| c.url == *current)
            .is_some_and(|c| add_validators(&mut headers, c));
        if conditional {
            tracing::debug!("{method} {current} (conditional)");
        } else {
            tracing::debug!("{method} {current}");
        }
        let send = |client: &reqwest::Client| {
            let mut builder = client
                .request(method.clone(), target.clone())
                .headers(headers.clone());
            if let Some(body) = chain.request.as_ref().and_then(|r| r.body.clone()) {
                builder = builder.body(body);
            }
            builder.send()
        };
        let sent = Instant::now();
        let sent_at = std::time::SystemTime::now();
        let mut tried = Vec::new();
        let mut resp = loop {
            let Some(pick) = self.routes.pick(current, rule_proxy, &tried) else {
                // Not reached: the loop ends with the last proxy's error.
                return Err((ErrorKind::Connect, "no proxy could be reached".into()));
            };
            let route = self.routes.get(pick);
            out.proxy.clone_from(&route.shown);
            let clients = route.clients(&self.make).map_err(|e| classify(&e, Phase::Send))?;
            let result = match send(&clients.client).await {
                // A pooled connection that the server closed while it sat
                // idle takes the request and closes with no response: once
                // more on a fresh connection, as browsers and curl do,
                // whatever --retries says (it is not the server's answer).
                // hyper-util retries only requests it had not yet written.
                Err(e) if http::closed_before_response(&e) => {
                    tracing::debug!(
                        "{method} {current}: closed before a response; once more, on a fresh connection"
                    );
                    send(&clients.fresh).await
                }
                other => other,
            };
            match (result, pick) {
                // The proxy itself could not be reached: rest it, and try
                // the next one (this is no attempt of the URL's).
                (Err(e), Pick::Proxy(i)) if proxy_unreachable(&e) => {
                    tracing::debug!(
                        "{method} {current}: proxy {} unreachable ({}); resting it",
                        route.shown.as_deref().unwrap_or_default(),
                        http::describe(&e)
                    );
                    route.rest();
                    tried.push(i);
                    if tried.len() >= self.routes.proxies().min(MAX_TRIES) {
                        break Err(e);
                    }
                }
                (result, _) => break result,
            }
        }
        .map_err(|e| {
            let mut failure = classify(&e, Phase::Send);
            if let Some(proxy) = out.proxy.as_deref().filter(|_| proxy_unreachable(&e)) {
                failure.1 = format!("through proxy {proxy}: {}", failure.1);
            }
            tracing::debug!("{method} {current}: {}: {}", failure.0.as_str(), failure.1);
            failure
        })?;
        if let Some(jar) = &self.jar {
            jar.store(current, resp.headers());
        }
        let status = resp.status();
        let mut capture = self.raw.then(|| Capture {
            url: current.to_string(),
            ip: resp.remote_addr().map(|a| a.ip()),
            date: sent_at,
            request_head: self.request_head(
                &method,
                &target,
                &headers,
                chain
                    .request
                    .as_ref()
                    .and_then(|r| r.body.as_ref())
                    .map(bytes::Bytes::len),
            ),
            request_body: chain.request.as_ref().and_then(|r| r.body.clone()),
            response_head: Vec::new(),
            body: bytes::Bytes::new(),
            truncated: false,
            status: status.as_u16(),
            encoded: http::content_codings(resp.headers()).is_some(),
            payload_sha256: None,
            mime: crate::warc::media_type(
                resp.headers()
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok()),
            ),
        });
        tracing::debug!(
            "{method} {current}: {} after {} ms",
            status.as_u16(),
            sent.elapsed().as_millis()
        );
        out.final_url = Some(current.clone());
        out.status = Some(status.as_u16());
        out.content_type = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        out.retry_after = resp
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(http::retry_after);
        let text = |name: HeaderName| {
            resp.headers()
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        };
        out.etag = text(header::ETAG);
        out.last_modified = text(header::LAST_MODIFIED);
        out.content_hash = None;
        // A 304 that answers our validators says the earlier body stands;
        // any other 304 is an ordinary response.
        out.not_modified = conditional && status == reqwest::StatusCode::NOT_MODIFIED;

        if let Some(next) = redirect_target(current, status, resp.headers())? {
            if let Some(mut c) = capture.take() {
                // The hop is archived with what its body held.
                let (version, head) = (resp.version(), resp.headers().clone());
                let (mut read, mut body) = (0, Vec::new());
                let whole = http::read_capped(
                    &mut resp,
                    (self.max_body, http::Past::Stop),
                    &mut read,
                    Some(&mut body),
                    None,
                )
                .await
                .unwrap_or(false);
                c.body = body.into();
                c.truncated = !whole;
                c.response_head = response_head(version, status, &head, c.body.len());
                out.captures.push(c);
            }
            if out.redirects >= self.max_redirects {
                return Err((
                    ErrorKind::TooManyRedirects,
                    format!("more than {} redirects", self.max_redirects),
                ));
            }
            chain.visited.push(current.clone());
            if chain.visited.contains(&next) {
                return Err((
                    ErrorKind::TooManyRedirects,
                    format!("redirect loop: {next} was already visited"),
                ));
            }
            out.redirects += 1;
            if matches!(status.as_u16(), 301..=303)
                && let Some(r) = &chain.request
                && (r.method == reqwest::Method::POST || status.as_u16() == 303)
                && r.method != reqwest::Method::HEAD
            {
                // The body is not sent on; the request's own headers go on
                // except those that described it.
                let mut headers = r.headers.clone();
                headers.remove(header::CONTENT_TYPE);
                headers.remove(header::CONTENT_LENGTH);
                chain.request = Some(Arc::new(Request {
                    method: reqwest::Method::GET,
                    headers,
                    body: None,
                    body_hash: None,
                }));
            }
            return Ok(Some(next));
        }

        // reqwest decodes a body of one known coding and then drops the
        // header; one left behind names a coding it did not undo (a chain
        // such as `gzip, gzip`), and the body would be garbage.
        if let Some(c) = capture {
            return self.read_raw(resp, c, out).await;
        }
        if let Some(coding) = undecoded_coding(resp.headers()) {
            return Err((
                ErrorKind::Decode,
                format!("Content-Encoding {coding:?} is not supported"),
            ));
        }
        out.reading_body = true;
        let keep =
            !out.not_modified && (self.keep_every_body || may_be_html(out.content_type.as_deref()));
        // The length is a hint only (absent when compressed), and the
        // cap bounds what a lying server can make us reserve.
        let hint = resp.content_length().unwrap_or(0).min(self.max_body);
        let mut body = Vec::with_capacity(if keep { hint as usize } else { 0 });
        let mut hash = Sha256::new();
        let whole = http::read_capped(
            &mut resp,
            (self.max_body, http::Past::Check),
            &mut out.bytes,
            keep.then_some(&mut body),
            Some(&mut hash),
        )
        .await
        .map_err(|e| classify(&e, Phase::Body))?;
        if !whole {
            return Err((
                ErrorKind::BodyTooLarge,
                format!("the body is larger than the {} byte limit", self.max_body),
            ));
        }
        // A 304 has no body of its own: its hash is the earlier one.
        if !out.not_modified {
            out.content_hash = Some(http::hash_text(hash));
        }
        if keep {
            out.body = Some(body.into());
        }
        Ok(None)
    }
}

impl Fetcher {
    /// Reads a body as it comes (`--warc`), keeps it in the capture, and
    /// decodes it for the record as reqwest would have, under the same
    /// limit.
    async fn read_raw(
        &self,
        mut resp: reqwest::Response,
        mut c: Capture,
        out: &mut Fetched,
    ) -> Result<Option<Url>, Failure> {
        out.reading_body = true;
        let (version, status, head) = (resp.version(), resp.status(), resp.headers().clone());
        let hint = resp.content_length().unwrap_or(0).min(self.max_body);
        let mut wire = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
        let encoding = http::content_codings(&head);
        // A body that comes as it is (no content coding) is hashed as it
        // arrives, as a run without --warc hashes it, and is at once the
        // archive's body and the one the record reads: no copy, no task.
        let identity = encoding.is_none();
        let mut hash = (identity && !out.not_modified).then(Sha256::new);
        let mut read = 0;
        let read_result = http::read_capped(
            &mut resp,
            (self.max_body, http::Past::Stop),
            &mut read,
            Some(&mut wire),
            hash.as_mut(),
        )
        .await;
        c.body = wire.into();
        let whole = match read_result {
            Ok(whole) => whole,
            Err(e) => {
                // What came is archived; the record says what went wrong.
                c.truncated = true;
                c.response_head = response_head(version, status, &head, c.body.len());
                out.captures.push(c);
                return Err(classify(&e, Phase::Body));
            }
        };
        c.truncated = !whole;
        c.response_head = response_head(version, status, &head, c.body.len());
        if !whole {
            out.captures.push(c);
            out.bytes = read;
            return Err((
                ErrorKind::BodyTooLarge,
                format!("the body is larger than the {} byte limit", self.max_body),
            ));
        }
        let raw = c.body.clone();
        let (body, digest) = if identity {
            let digest: Option<[u8; 32]> = hash.map(|h| h.finalize().into());
            // The archive's payload digest is the same hash, taken once.
            c.payload_sha256 = digest;
            (raw, digest)
        } else {
            // Decoding (up to --max-body of a bomb) and hashing are CPU
            // work: on the blocking pool, so that the reactor keeps every
            // other fetch and deadline moving.
            let (limit, hash) = (self.max_body, !out.not_modified);
            tokio::task::spawn_blocking(move || {
                let body = http::decode_body(&raw, encoding.as_deref(), limit)?;
                let digest: Option<[u8; 32]> = hash.then(|| Sha256::digest(&body).into());
                Ok::<_, Failure>((bytes::Bytes::from(body), digest))
            })
            .await
            .map_err(|e| (ErrorKind::Decode, format!("decoding the body failed: {e}")))??
        };
        out.captures.push(c);
        out.bytes = body.len() as u64;
        if let Some(digest) = digest {
            out.content_hash = Some(http::hex_digest(&digest));
        }
        let keep =
            !out.not_modified && (self.keep_every_body || may_be_html(out.content_type.as_deref()));
        if keep {
            out.body = Some(body);
        }
        Ok(None)
    }

    /// The request line and headers as sent, for the archive: the headers
    /// trawl set and those every request of the client carries; the
    /// secrets among them masked (an archive never shows one).
    fn request_head(
        &self,
        method: &reqwest::Method,
        url: &Url,
        headers: &HeaderMap,
        body: Option<usize>,
    ) -> Vec<u8> {
        let mut head = format!(
            "{method} {} HTTP/1.1\r\n",
            &url[url::Position::BeforePath..url::Position::AfterQuery]
        );
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        head.push_str(&format!("host: {host}\r\n"));
        if !headers.contains_key(header::USER_AGENT) {
            head.push_str(&format!("user-agent: {}\r\n", self.user_agent));
        }
        if !headers.contains_key(header::ACCEPT) {
            head.push_str(&format!("accept: {ACCEPT}\r\n"));
        }
        if !headers.contains_key(header::ACCEPT_ENCODING) {
            head.push_str(&format!("accept-encoding: {}\r\n", http::ACCEPT_ENCODING));
        }
        for (name, value) in headers {
            // The one masking rule of --explain and the warcinfo: an API
            // key goes masked too, not only the credentials.
            let shown =
                crate::sites::mask(name.as_str(), &String::from_utf8_lossy(value.as_bytes()));
            head.push_str(&format!("{name}: {shown}\r\n"));
        }
        // hyper frames a body with its length, as the record does.
        if let Some(len) = body {
            head.push_str(&format!("content-length: {len}\r\n"));
        }
        head.push_str("\r\n");
        head.into_bytes()
    }
}

/// The status line and headers of a response as received, for the
/// archive: one line a value, in the order the response gives them;
/// `Transfer-Encoding` dropped (the stored body is de-chunked) and
/// `Content-Length` that of the stored body. HTTP/2 is written as 1.1, as
/// warcprox and browsertrix do, so that every replay tool reads it.
fn response_head(
    version: reqwest::Version,
    status: reqwest::StatusCode,
    headers: &HeaderMap,
    len: usize,
) -> Vec<u8> {
    let version = match version {
        reqwest::Version::HTTP_09 => "HTTP/0.9",
        reqwest::Version::HTTP_10 => "HTTP/1.0",
        _ => "HTTP/1.1",
    };
    let mut head = format!(
        "{version} {} {}\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )
    .into_bytes();
    for (name, value) in headers {
        if name == header::TRANSFER_ENCODING || name == header::CONTENT_LENGTH {
            continue;
        }
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(format!("content-length: {len}\r\n\r\n").as_bytes());
    head
}

/// The `Accept` every request sends, unless a header line sets its own.
const ACCEPT: &str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8";

/// Tells whether a request sent through a proxy failed before the proxy
/// answered: refused, reset, timed out while connecting, or a handshake
/// with the proxy that failed. A proxy that answers for a target it
/// cannot reach sends a 502, which is a response.
fn proxy_unreachable(err: &reqwest::Error) -> bool {
    err.is_connect() || (err.is_timeout() && !err.is_body())
}

/// Adds `If-None-Match` and `If-Modified-Since` from `c` to `headers`,
/// unless `-H` set them; tells whether either was added. An ETag is opaque:
/// it goes back byte for byte as it came.
fn add_validators(headers: &mut HeaderMap, c: &Conditional) -> bool {
    let mut added = false;
    for (name, value) in [
        (header::IF_NONE_MATCH, &c.etag),
        (header::IF_MODIFIED_SINCE, &c.last_modified),
    ] {
        let Some(value) = value else { continue };
        if headers.contains_key(&name) {
            continue;
        }
        if let Ok(value) = header::HeaderValue::from_str(value) {
            headers.insert(name, value);
            added = true;
        }
    }
    added
}

/// The URL a response redirects to, when it is a redirect we follow: a
/// 301, 302, 303, 307 or 308 with a `Location` that resolves to a URL.
/// Without a usable `Location` it is the final response; a `Location` of
/// another scheme (`file:`, `ftp:`) is not followed and fails the attempt
/// as `unsupported_scheme`.
fn redirect_target(
    base: &Url,
    status: reqwest::StatusCode,
    headers: &HeaderMap,
) -> Result<Option<Url>, Failure> {
    if !matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
        return Ok(None);
    }
    let Some(location) = headers.get(header::LOCATION) else {
        return Ok(None);
    };
    // Read as an input line is: raw bytes above ASCII percent-encoded.
    let location = crate::input::url_text(location.as_bytes());
    let Ok(mut next) = base.join(location.trim()) else {
        return Ok(None);
    };
    if !matches!(next.scheme(), "http" | "https") || next.host_str().is_none() {
        return Err((
            ErrorKind::UnsupportedScheme,
            format!("redirect to a {}: URL, not followed", next.scheme()),
        ));
    }
    // A fragment is never sent; a Location without one keeps the
    // original's (RFC 9110, 10.2.2), which does not matter to a fetch.
    next.set_fragment(None);
    Ok(Some(next))
}

/// A `Content-Encoding` that reqwest left in place although it names a
/// compression: a chain (`gzip, gzip`), or a coding spelled in a way it
/// does not match (`GZIP`). `identity` and codings that are no
/// compression (servers that send `utf-8` here) pass.
fn undecoded_coding(headers: &HeaderMap) -> Option<String> {
    const COMPRESSIONS: [&str; 7] = [
        "gzip",
        "x-gzip",
        "deflate",
        "br",
        "zstd",
        "compress",
        "x-compress",
    ];
    for value in headers.get_all(header::CONTENT_ENCODING) {
        let text = String::from_utf8_lossy(value.as_bytes());
        let compressed = text.split(',').any(|c| {
            COMPRESSIONS
                .iter()
                .any(|k| c.trim().eq_ignore_ascii_case(k))
        });
        if compressed {
            return Some(text.into_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;
    use reqwest::header::HeaderValue;

    fn loc(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::LOCATION, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn redirects_resolve_against_the_current_url() {
        let base = Url::parse("http://a.test/x/y?q=1").unwrap();
        let t = |s: u16, l: &str| {
            redirect_target(&base, StatusCode::from_u16(s).unwrap(), &loc(l)).unwrap()
        };
        assert_eq!(t(302, "../z#frag").unwrap().as_str(), "http://a.test/z");
        assert_eq!(t(301, "//b.test/p").unwrap().as_str(), "http://b.test/p");
        assert_eq!(
            t(308, "https://c.test/").unwrap().as_str(),
            "https://c.test/"
        );
        assert!(t(300, "/p").is_none(), "300 is not followed");
        assert!(t(304, "/p").is_none());
        assert!(
            redirect_target(&base, StatusCode::FOUND, &HeaderMap::new())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_redirect_to_another_scheme_is_unsupported_scheme() {
        let base = Url::parse("http://a.test/").unwrap();
        for to in ["file:///etc/passwd", "mailto:x@y", "ftp://a.test/f"] {
            let err = redirect_target(&base, StatusCode::FOUND, &loc(to)).unwrap_err();
            assert_eq!(err.0, ErrorKind::UnsupportedScheme, "{to}");
        }
    }

    #[test]
    fn raw_non_ascii_in_location_is_percent_encoded() {
        let base = Url::parse("http://a.test/").unwrap();
        let raw = |bytes: &[u8]| {
            let mut h = HeaderMap::new();
            h.insert(header::LOCATION, HeaderValue::from_bytes(bytes).unwrap());
            redirect_target(&base, StatusCode::FOUND, &h)
                .unwrap()
                .unwrap()
        };
        assert_eq!(raw("/café".as_bytes()).as_str(), "http://a.test/caf%C3%A9");
        assert_eq!(raw(b"/caf\xe9 x").as_str(), "http://a.test/caf%E9%20x");
    }
}
