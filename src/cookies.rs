//! `--cookies` and `--cookie-jar`: a session kept across requests and runs.
//!
//! The jar is `cookie_store`'s (RFC 6265: domain and path matching,
//! `Secure`, expiry), read from and written to the Netscape `cookies.txt`
//! format that browsers' export extensions, curl and wget use. Cookies go
//! only where their domain and path rules send them. Without either flag
//! there is no jar: no cookie is stored and every URL stays independent.
//!
//! The fetcher asks the jar before each request and hands it each
//! response's `Set-Cookie`s, hop by hop (trawl follows redirects itself).

use cookie_store::{CookieDomain, CookieExpiration, CookieStore};
use reqwest::header::{HeaderMap, HeaderValue, SET_COOKIE};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, UNIX_EPOCH};
use url::Url;

/// The cookies of a run.
#[derive(Debug, Default)]
pub struct Jar(Mutex<Store>);

/// The store and how many cookies it holds.
#[derive(Debug, Default)]
struct Store {
    cookies: CookieStore,
    held: usize,
}

/// Cookies kept at most: a server that sets a new cookie on every page
/// of a long crawl must not grow the jar without bound (browsers keep a
/// few thousand). Past it, responses set nothing more.
pub const MAX_COOKIES: usize = 10_000;

impl Store {
    /// Keeps one `Set-Cookie` from `url`, while there is room.
    fn keep(&mut self, set_cookie: &str, url: &Url) -> bool {
        if self.held >= MAX_COOKIES {
            return false;
        }
        match self.cookies.parse(set_cookie, url) {
            Ok(cookie_store::StoreAction::Inserted) => {
                self.held += 1;
                true
            }
            Ok(cookie_store::StoreAction::ExpiredExisting) => {
                self.held = self.held.saturating_sub(1);
                true
            }
            Ok(cookie_store::StoreAction::UpdatedExisting) => true,
            Err(_) => false,
        }
    }
}

/// The prefix curl writes before the domain of an `HttpOnly` cookie.
const HTTP_ONLY: &str = "#HttpOnly_";

impl Jar {
    /// An empty jar.
    pub fn new() -> Jar {
        Jar::default()
    }

    /// Adds the cookies of the Netscape file at `path`; expired ones are
    /// skipped. Returns how many were added.
    ///
    /// # Errors
    /// The file cannot be read, or a line is not a cookie (`file:line:
    /// why`).
    pub fn load(&self, path: &Path) -> Result<usize, String> {
        let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let text = String::from_utf8_lossy(&text);
        let mut added = 0;
        let mut store = self.lock();
        for (i, line) in text.lines().enumerate() {
            let at = || format!("{}:{}", path.display(), i + 1);
            match parse_line(line) {
                Ok(None) => {}
                Ok(Some((set_cookie, url))) => {
                    if store.keep(&set_cookie, &url) {
                        added += 1;
                    }
                }
                Err(why) => return Err(format!("{}: {why}", at())),
            }
        }
        Ok(added)
    }

    /// The `Cookie` header for a request to `url`, if any cookie matches.
    pub fn header(&self, url: &Url) -> Option<HeaderValue> {
        let store = self.lock();
        let mut value = String::new();
        for (name, v) in store.cookies.get_request_values(url) {
            if !value.is_empty() {
                value.push_str("; ");
            }
            value.push_str(name);
            value.push('=');
            value.push_str(v);
        }
        drop(store);
        if value.is_empty() {
            return None;
        }
        HeaderValue::from_str(&value).ok()
    }

    /// Keeps the cookies that the response `headers` from `url` set.
    pub fn store(&self, url: &Url, headers: &HeaderMap) {
        let mut set = headers.get_all(SET_COOKIE).iter().peekable();
        if set.peek().is_none() {
            return;
        }
        let mut store = self.lock();
        for value in set {
            if let Ok(text) = std::str::from_utf8(value.as_bytes())
                && !for_a_public_suffix(text)
            {
                // A cookie the rules refuse (another domain) is dropped,
                // as browsers drop it.
                store.keep(text, url);
            }
        }
    }

    /// The jar as a Netscape `cookies.txt`: its unexpired cookies, session
    /// cookies (expiry 0) included, so that a login is kept.
    pub fn to_netscape(&self) -> String {
        let store = self.lock();
        let mut out = String::from(
            "# Netscape HTTP Cookie File\n# Written by trawl; a curl or browser jar reads it.\n\n",
        );
        for cookie in store.cookies.iter_unexpired() {
            let (domain, subdomains) = match &cookie.domain {
                CookieDomain::HostOnly(d) => (d.clone(), "FALSE"),
                CookieDomain::Suffix(d) => (format!(".{}", d.trim_start_matches('.')), "TRUE"),
                CookieDomain::NotPresent | CookieDomain::Empty => continue,
            };
            let expiry = match &cookie.expires {
                CookieExpiration::AtUtc(at) => at.unix_timestamp().max(1),
                CookieExpiration::SessionEnd => 0,
            };
            let prefix = if cookie.http_only().unwrap_or(false) {
                HTTP_ONLY
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "{prefix}{domain}\t{subdomains}\t{}\t{}\t{expiry}\t{}\t{}",
                String::from(&cookie.path),
                if cookie.secure().unwrap_or(false) {
                    "TRUE"
                } else {
                    "FALSE"
                },
                cookie.name(),
                cookie.value()
            );
        }
        out
    }

    /// Writes the jar to `path`, replacing it whole (a temporary file
    /// renamed over it, so a crash leaves the old jar or the new one).
    ///
    /// # Errors
    /// As the file system's.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let text = self.to_netscape();
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut tmp = tempfile_in(dir, path)?;
        std::io::Write::write_all(&mut tmp.1, text.as_bytes())?;
        tmp.1.sync_all()?;
        std::fs::rename(&tmp.0, path)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Tells whether a `Set-Cookie` names a public suffix as its `Domain`
/// (`Domain=com`, `Domain=github.io`): a site must not set a cookie that
/// every other site under the suffix would receive. cookie_store checks
/// this only when given the list, which the `psl` crate (already used for
/// `--scope domain`) holds compiled in.
fn for_a_public_suffix(set_cookie: &str) -> bool {
    let Ok(cookie) = cookie_store::RawCookie::parse(set_cookie) else {
        return false;
    };
    let Some(domain) = cookie.domain() else {
        return false;
    };
    let domain = domain
        .trim_start_matches('.')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if domain.parse::<std::net::IpAddr>().is_ok() {
        return false;
    }
    // A name with no registrable part is a suffix (or unknown: `com`).
    psl::domain_str(&domain).is_none()
}

/// A new file beside `path` to write the jar to, readable by its owner
/// only (it holds sessions).
fn tempfile_in(dir: &Path, path: &Path) -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
    let name = path
        .file_name()
        .map_or_else(|| "cookies".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&tmp)?;
    Ok((tmp, file))
}

/// One line of a Netscape file: `None` for a comment or a blank line, else
/// the cookie as a `Set-Cookie` value and the URL it is set from.
fn parse_line(line: &str) -> Result<Option<(String, Url)>, String> {
    let line = line.trim_end_matches(['\r', '\n']);
    let (line, http_only) = match line.strip_prefix(HTTP_ONLY) {
        Some(rest) => (rest, true),
        None => (line, false),
    };
    if line.trim().is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let parts: Vec<&str> = line.split('\t').collect();
    let [domain, subdomains, path, secure, expiry, name, value] = parts[..] else {
        return Err(format!(
            "not a cookies.txt line: 7 tab-separated fields expected, found {}",
            parts.len()
        ));
    };
    let flag = |what: &str, v: &str| match v.to_ascii_uppercase().as_str() {
        "TRUE" => Ok(true),
        "FALSE" => Ok(false),
        _ => Err(format!("{what} must be TRUE or FALSE, not {v:?}")),
    };
    let subdomains = flag("the subdomains field", subdomains)?;
    let secure = flag("the secure field", secure)?;
    let expiry: i64 = expiry
        .trim()
        .parse()
        .map_err(|_| format!("the expiry {expiry:?} is not a number of seconds"))?;
    let host = domain.trim().trim_start_matches('.');
    if host.is_empty() || name.is_empty() {
        return Err("a cookie needs a domain and a name".into());
    }
    let path = if path.starts_with('/') { path } else { "/" };
    let scheme = if secure { "https" } else { "http" };
    let url = Url::parse(&format!("{scheme}://{host}{path}"))
        .map_err(|e| format!("the domain {domain:?} is not a host: {e}"))?;
    let mut set = format!("{name}={value}; Path={path}");
    if subdomains {
        let _ = write!(set, "; Domain={host}");
    }
    if expiry > 0 {
        let at = UNIX_EPOCH + Duration::from_secs(expiry.unsigned_abs());
        let _ = write!(set, "; Expires={}", httpdate::fmt_http_date(at));
    }
    if secure {
        set.push_str("; Secure");
    }
    if http_only {
        set.push_str("; HttpOnly");
    }
    Ok(Some((set, url)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn jar_of(text: &str) -> Jar {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.txt");
        std::fs::write(&path, text).unwrap();
        let jar = Jar::new();
        jar.load(&path).unwrap();
        jar
    }

    #[test]
    fn netscape_files_load_with_their_domain_and_path_rules() {
        let jar = jar_of(
            "# Netscape HTTP Cookie File\n\
             .example.com\tTRUE\t/\tFALSE\t4102444800\tall\t1\n\
             host.test\tFALSE\t/app\tFALSE\t0\tsid\tabc\n\
             #HttpOnly_secure.test\tFALSE\t/\tTRUE\t0\ttok\tx\n\
             old.test\tFALSE\t/\tFALSE\t1\tgone\t1\n\
             \n",
        );
        let header = |url: &str| jar.header(&u(url)).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(header("http://www.example.com/a").as_deref(), Some("all=1"));
        assert_eq!(header("http://example.com/").as_deref(), Some("all=1"));
        assert_eq!(header("http://evilexample.com/"), None);
        assert_eq!(header("http://host.test/app/x").as_deref(), Some("sid=abc"));
        assert_eq!(header("http://host.test/other"), None);
        assert_eq!(header("http://sub.host.test/app"), None, "host-only");
        assert_eq!(header("https://secure.test/").as_deref(), Some("tok=x"));
        assert_eq!(header("http://secure.test/"), None, "Secure: https only");
        assert_eq!(header("http://old.test/"), None, "expired");
    }

    #[test]
    fn the_jar_is_written_back_as_it_was_read() {
        let text = ".example.com\tTRUE\t/\tFALSE\t4102444800\tall\t1\n\
                    host.test\tFALSE\t/app\tFALSE\t0\tsid\tabc\n\
                    #HttpOnly_secure.test\tFALSE\t/\tTRUE\t0\ttok\tx\n";
        let out = jar_of(text).to_netscape();
        let mut lines: Vec<&str> = out.lines().filter(|l| l.contains('\t')).collect();
        lines.sort_unstable();
        let mut want: Vec<&str> = text.lines().collect();
        want.sort_unstable();
        assert_eq!(lines, want);
    }

    #[test]
    fn responses_set_cookies_by_the_rfc() {
        let jar = Jar::new();
        let mut h = HeaderMap::new();
        h.append(SET_COOKIE, "a=1; Path=/".parse().unwrap());
        h.append(SET_COOKIE, "b=2; Domain=other.test".parse().unwrap());
        h.append(
            SET_COOKIE,
            "c=3; Domain=shop.test; Path=/cart".parse().unwrap(),
        );
        jar.store(&u("http://www.shop.test/login"), &h);
        assert_eq!(jar.header(&u("http://www.shop.test/")).unwrap(), "a=1");
        assert_eq!(jar.header(&u("http://shop.test/x")), None, "a is host-only");
        assert_eq!(
            jar.header(&u("http://img.shop.test/cart/1")).unwrap(),
            "c=3"
        );
        assert_eq!(jar.header(&u("http://other.test/")), None, "refused");
        // A public suffix as the domain would reach every site under it.
        let mut h = HeaderMap::new();
        h.append(SET_COOKIE, "toss=1; Domain=github.io".parse().unwrap());
        h.append(SET_COOKIE, "toss2=1; Domain=.com".parse().unwrap());
        jar.store(&u("http://evil.github.io/"), &h);
        jar.store(&u("http://evil.com/"), &h);
        assert_eq!(jar.header(&u("http://alice.github.io/")), None);
        assert_eq!(jar.header(&u("http://bank.com/")), None);
        assert_eq!(jar.header(&u("http://evil.com/")), None);
        // A later expiry removes it.
        let mut h = HeaderMap::new();
        h.append(SET_COOKIE, "a=; Max-Age=0; Path=/".parse().unwrap());
        jar.store(&u("http://www.shop.test/logout"), &h);
        assert_eq!(jar.header(&u("http://www.shop.test/")), None);
    }

    #[test]
    fn the_jar_stops_growing_at_its_cap() {
        let jar = Jar::new();
        let url = u("http://a.test/");
        for i in 0..MAX_COOKIES + 50 {
            let mut h = HeaderMap::new();
            h.append(SET_COOKIE, format!("c{i}=1").parse().unwrap());
            jar.store(&url, &h);
        }
        assert_eq!(jar.lock().held, MAX_COOKIES);
        assert_eq!(jar.lock().cookies.iter_any().count(), MAX_COOKIES);
    }

    #[test]
    fn bad_lines_are_named() {
        for (line, want) in [
            ("a\tb\n", "7 tab-separated fields"),
            ("a.test\tMAYBE\t/\tFALSE\t0\tn\tv\n", "TRUE or FALSE"),
            ("a.test\tFALSE\t/\tFALSE\tsoon\tn\tv\n", "not a number"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("c.txt");
            std::fs::write(&path, line).unwrap();
            let err = Jar::new().load(&path).unwrap_err();
            assert!(err.contains(want) && err.contains("c.txt:1"), "{err}");
        }
    }
}
