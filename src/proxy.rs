//! `--proxy`, `--proxy-file` and `--proxy-rotate`: which connection pool a
//! request goes through.
//!
//! reqwest's connection pool is keyed by the target only, and a client
//! cannot change its proxy per request (reqwest #2098): a rotating proxy
//! set on one client would only change new connections, and a pooled one
//! would keep going through the old proxy. So each proxy gets its own
//! [`Route`]: its own client, its own pool. A route whose proxy cannot be
//! reached is rested for a while and the request moves to the next one.
//! Hosts that `NO_PROXY` names go direct.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use url::Url;

/// How long a proxy that failed to connect is left out.
pub const REST: Duration = Duration::from_secs(30);

/// Proxies one request tries at most before it fails as `connect`
/// (`--retries` may then try again): a pool of dead proxies must not hold
/// a request for a walk through all of them.
pub const MAX_TRIES: usize = 3;

/// `--proxy-rotate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rotate {
    /// Each host keeps the proxy it was first given.
    #[default]
    Host,
    /// The next proxy for each request.
    Request,
}

/// A proxy as the user gave it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyUrl {
    /// As given, credentials included: what reqwest connects with.
    pub url: Url,
    /// Without its credentials: what records and logs show.
    pub shown: String,
}

impl std::str::FromStr for ProxyUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<ProxyUrl, String> {
        let url = Url::parse(s.trim()).map_err(|e| format!("not a proxy URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https" | "socks5" | "socks5h") {
            return Err(format!(
                "proxy scheme '{}' is not supported; use http, https, socks5 or socks5h",
                url.scheme()
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("the proxy URL has no host".into());
        }
        let mut shown = url.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        let shown = shown.as_str().trim_end_matches('/').to_owned();
        Ok(ProxyUrl { url, shown })
    }
}

/// Reads a `--proxy-file`: one proxy URL a line; blank lines and `#`
/// comments skipped.
///
/// # Errors
/// The file cannot be read, or a line is not a proxy (`file:line: why`).
pub fn read_file(path: &std::path::Path) -> Result<Vec<ProxyUrl>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        out.push(
            line.parse()
                .map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?,
        );
    }
    if out.is_empty() {
        return Err(format!("{}: no proxy in the file", path.display()));
    }
    Ok(out)
}

/// `NO_PROXY`: the hosts that go direct, as curl reads the variable
/// (`*`, host names matching themselves and their subdomains, a leading
/// dot allowed, IP addresses and CIDR blocks; ports ignored).
#[derive(Debug, Clone, Default)]
pub struct NoProxy {
    all: bool,
    names: Vec<String>,
    nets: Vec<(IpAddr, u8)>,
}

impl NoProxy {
    /// Reads `NO_PROXY`, else `no_proxy`.
    pub fn from_env() -> NoProxy {
        let value = std::env::var("NO_PROXY")
            .or_else(|_| std::env::var("no_proxy"))
            .unwrap_or_default();
        NoProxy::parse(&value)
    }

    /// Reads a comma-separated list.
    pub fn parse(list: &str) -> NoProxy {
        let mut np = NoProxy::default();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if entry == "*" {
                np.all = true;
                continue;
            }
            let (addr, bits) = match entry.split_once('/') {
                Some((a, b)) => (a, b.parse::<u8>().ok()),
                None => (entry, None),
            };
            let bare = addr
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or(addr);
            if let Ok(ip) = bare.parse::<IpAddr>() {
                let max = if ip.is_ipv4() { 32 } else { 128 };
                np.nets.push((ip, bits.unwrap_or(max).min(max)));
                continue;
            }
            // A name, without a port or a leading dot.
            let name = entry.rsplit_once(':').map_or(entry, |(h, p)| {
                if p.bytes().all(|b| b.is_ascii_digit()) {
                    h
                } else {
                    entry
                }
            });
            np.names
                .push(name.trim_start_matches('.').to_ascii_lowercase());
        }
        np
    }

    /// Tells whether a request to `url` goes direct.
    pub fn matches(&self, url: &Url) -> bool {
        if self.all {
            return true;
        }
        match url.host() {
            Some(url::Host::Domain(host)) => {
                let host = host.trim_end_matches('.').to_ascii_lowercase();
                self.names.iter().any(|n| {
                    host == *n
                        || (host.len() > n.len()
                            && host.ends_with(n.as_str())
                            && host.as_bytes()[host.len() - n.len() - 1] == b'.')
                })
            }
            Some(url::Host::Ipv4(ip)) => self.has_ip(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => self.has_ip(IpAddr::V6(ip)),
            None => false,
        }
    }

    fn has_ip(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|&(net, bits)| in_net(ip, net, bits))
    }
}

/// Tells whether `ip` is in the block `net/bits`.
fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

/// A route's two clients: the pooled one, and the same with no idle pool
/// for the once-more of a request whose pooled connection was closed.
#[derive(Debug)]
pub struct Clients {
    pub client: reqwest::Client,
    pub fresh: reqwest::Client,
}

/// Builds the clients of a route through a proxy (`None`: direct).
pub type MakeClients = dyn Fn(Option<&ProxyUrl>) -> reqwest::Result<Clients> + Send + Sync;

/// One way out: a proxy's clients, or the direct ones. A proxy's clients
/// are built the first time it is picked: a pool of thousands costs
/// nothing until used (each client loads the trust store).
#[derive(Debug)]
pub struct Route {
    /// The proxy; `None` for the direct route.
    proxy: Option<ProxyUrl>,
    clients: std::sync::OnceLock<Clients>,
    /// The proxy as records show it; `None` for the direct route.
    pub shown: Option<std::sync::Arc<str>>,
    /// Left out until then, after a failure to connect.
    rested: Mutex<Option<Instant>>,
}

impl Route {
    /// A route whose clients are built already.
    pub fn ready(clients: Clients, shown: Option<String>) -> Route {
        let route = Route::lazy(None);
        let _ = route.clients.set(clients);
        Route {
            shown: shown.map(std::sync::Arc::from),
            ..route
        }
    }

    /// A route through `proxy` (`None`: direct), built when first used.
    pub fn lazy(proxy: Option<ProxyUrl>) -> Route {
        Route {
            shown: proxy
                .as_ref()
                .map(|p| std::sync::Arc::from(p.shown.as_str())),
            proxy,
            clients: std::sync::OnceLock::new(),
            rested: Mutex::new(None),
        }
    }

    /// The route's clients, built by `make` the first time.
    ///
    /// # Errors
    /// The clients cannot be built (the TLS back end failed).
    pub fn clients(&self, make: &MakeClients) -> reqwest::Result<&Clients> {
        if let Some(c) = self.clients.get() {
            return Ok(c);
        }
        let built = make(self.proxy.as_ref())?;
        // Another task may have built them meanwhile; either serves.
        Ok(self.clients.get_or_init(|| built))
    }

    fn resting(&self, now: Instant) -> bool {
        self.rested
            .lock()
            .map(|r| r.is_some_and(|until| until > now))
            .unwrap_or(false)
    }

    /// Leaves the route out for [`REST`].
    pub fn rest(&self) {
        if let Ok(mut r) = self.rested.lock() {
            *r = Some(Instant::now() + REST);
        }
    }
}

/// The routes of a run and how a request picks one.
#[derive(Debug)]
pub struct Routes {
    /// The proxies, in the order given; empty without `--proxy`.
    proxies: Vec<Route>,
    /// The proxies of `[[site]]` rules, by rule index.
    by_rule: Vec<(usize, Route)>,
    /// Direct: the only route without proxies, and `NO_PROXY`'s hosts'.
    direct: Route,
    rotate: Rotate,
    no_proxy: NoProxy,
    next: AtomicUsize,
    /// `--proxy-rotate host`: the proxy each host was given.
    sticky: Mutex<HashMap<String, usize>>,
}

/// Which route a request goes by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    Direct,
    Proxy(usize),
    /// The proxy of the rule at this index of [`Routes`]' `by_rule`.
    Rule(usize),
}

impl Routes {
    /// Routes over `proxies` (none: everything direct).
    pub fn new(
        proxies: Vec<Route>,
        by_rule: Vec<(usize, Route)>,
        direct: Route,
        rotate: Rotate,
        no_proxy: NoProxy,
    ) -> Routes {
        Routes {
            proxies,
            by_rule,
            direct,
            rotate,
            no_proxy,
            next: AtomicUsize::new(0),
            sticky: Mutex::new(HashMap::new()),
        }
    }

    /// The route of `pick`.
    pub fn get(&self, pick: Pick) -> &Route {
        match pick {
            Pick::Direct => &self.direct,
            Pick::Proxy(i) => self.proxies.get(i).unwrap_or(&self.direct),
            Pick::Rule(i) => self.by_rule.get(i).map_or(&self.direct, |(_, r)| r),
        }
    }

    /// How many proxies there are.
    pub fn proxies(&self) -> usize {
        self.proxies.len()
    }

    /// The route for a request to `url`, not one of `tried`: its host's
    /// proxy or the next in turn, skipping rested ones while any other is
    /// awake; `None` when every proxy was tried.
    pub fn pick(&self, url: &Url, rule: Option<usize>, tried: &[usize]) -> Option<Pick> {
        if let Some(rule) = rule
            && let Some(at) = self.by_rule.iter().position(|(r, _)| *r == rule)
        {
            // A rule's proxy has no stand-in: it is tried once.
            return tried.is_empty().then_some(Pick::Rule(at));
        }
        let n = self.proxies.len();
        if n == 0 || self.no_proxy.matches(url) {
            return tried.is_empty().then_some(Pick::Direct);
        }
        if tried.len() >= n.min(MAX_TRIES) {
            return None;
        }
        let now = Instant::now();
        let host = url.host_str().unwrap_or_default();
        if self.rotate == Rotate::Host
            && tried.is_empty()
            && let Ok(sticky) = self.sticky.lock()
            && let Some(&i) = sticky.get(host)
            && !self.proxies[i].resting(now)
        {
            return Some(Pick::Proxy(i));
        }
        // In turn among the awake proxies, so a rested one's share is
        // spread over the others rather than handed to its neighbour.
        let turn = self.next.fetch_add(1, Ordering::Relaxed);
        let untried: Vec<usize> = (0..n).filter(|i| !tried.contains(i)).collect();
        let awake: Vec<usize> = untried
            .iter()
            .copied()
            .filter(|&i| !self.proxies[i].resting(now))
            .collect();
        let chosen = match (awake.len(), untried.len()) {
            (0, 0) => None,
            // All rest: the one whose turn it is tries again.
            (0, k) => Some(untried[turn % k]),
            (k, _) => Some(awake[turn % k]),
        };
        let i = chosen?;
        if self.rotate == Rotate::Host
            && let Ok(mut sticky) = self.sticky.lock()
        {
            sticky.insert(host.to_owned(), i);
        }
        Some(Pick::Proxy(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn proxy_urls_are_checked_and_shown_without_credentials() {
        let p: ProxyUrl = "http://user:pw@127.0.0.1:3128".parse().unwrap();
        assert_eq!(p.shown, "http://127.0.0.1:3128");
        assert_eq!(p.url.password(), Some("pw"));
        let p: ProxyUrl = "socks5h://127.0.0.1:1080".parse().unwrap();
        assert_eq!(p.shown, "socks5h://127.0.0.1:1080");
        assert!("ftp://a:1".parse::<ProxyUrl>().unwrap_err().contains("ftp"));
        assert!("127.0.0.1:3128".parse::<ProxyUrl>().is_err());
    }

    #[test]
    fn no_proxy_reads_as_curl_does() {
        let np = NoProxy::parse("localhost, .internal.test,example.com:8080, 10.0.0.0/8, ::1");
        assert!(np.matches(&u("http://localhost:9/")));
        assert!(np.matches(&u("http://a.internal.test/")));
        assert!(np.matches(&u("http://internal.test/")));
        assert!(np.matches(&u("http://www.example.com/")));
        assert!(!np.matches(&u("http://notexample.com/")));
        assert!(np.matches(&u("http://10.1.2.3/")));
        assert!(!np.matches(&u("http://11.1.2.3/")));
        assert!(np.matches(&u("http://[::1]:80/")));
        assert!(!np.matches(&u("http://127.0.0.1/")));
        assert!(NoProxy::parse("*").matches(&u("http://any.test/")));
        assert!(!NoProxy::parse("").matches(&u("http://any.test/")));
    }

    fn routes(n: usize, rotate: Rotate) -> Routes {
        // Another thread may have installed it first, which serves.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let c = || Clients {
            client: reqwest::Client::builder().build().unwrap(),
            fresh: reqwest::Client::builder().build().unwrap(),
        };
        let proxies = (0..n)
            .map(|i| Route::ready(c(), Some(format!("p{i}"))))
            .collect();
        Routes::new(
            proxies,
            Vec::new(),
            Route::ready(c(), None),
            rotate,
            NoProxy::parse("direct.test"),
        )
    }

    #[test]
    fn requests_rotate_evenly_and_skip_rested_proxies() {
        let r = routes(4, Rotate::Request);
        let mut counts = [0; 4];
        for _ in 0..400 {
            let Some(Pick::Proxy(i)) = r.pick(&u("http://a.test/"), None, &[]) else {
                panic!()
            };
            counts[i] += 1;
        }
        assert_eq!(counts, [100; 4]);
        r.get(Pick::Proxy(2)).rest();
        let mut counts = [0; 4];
        for _ in 0..300 {
            let Some(Pick::Proxy(i)) = r.pick(&u("http://a.test/"), None, &[]) else {
                panic!()
            };
            counts[i] += 1;
        }
        assert_eq!(counts[2], 0);
        assert!(
            counts.iter().all(|&c| c == 0 || (90..=110).contains(&c)),
            "{counts:?}"
        );
        // Every proxy tried: none left.
        assert_eq!(r.pick(&u("http://a.test/"), None, &[0, 1, 2, 3]), None);
        assert_eq!(
            r.pick(&u("http://direct.test/"), None, &[]),
            Some(Pick::Direct)
        );
    }

    #[test]
    fn hosts_keep_their_proxy_until_it_rests() {
        let r = routes(3, Rotate::Host);
        let a = r.pick(&u("http://a.test/1"), None, &[]).unwrap();
        let b = r.pick(&u("http://b.test/1"), None, &[]).unwrap();
        assert_ne!(a, b);
        for _ in 0..10 {
            assert_eq!(r.pick(&u("http://a.test/x"), None, &[]), Some(a));
        }
        r.get(a).rest();
        let moved = r.pick(&u("http://a.test/y"), None, &[]).unwrap();
        assert_ne!(moved, a);
        assert_eq!(
            r.pick(&u("http://a.test/z"), None, &[]),
            Some(moved),
            "sticks again"
        );
        // Without proxies, everything is direct.
        let none = routes(0, Rotate::Host);
        assert_eq!(
            none.pick(&u("http://a.test/"), None, &[]),
            Some(Pick::Direct)
        );
    }
}
