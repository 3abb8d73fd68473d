//! Which origin may receive the user's credentials: `Authorization`,
//! `Cookie` and `Proxy-Authorization` given with `-H`, and a URL's
//! `user:password@`.
//!
//! They go only to the origin (scheme, host, port) of the input URL they
//! came with. A listed URL holds the keys of its own origin; a page found by
//! crawling, a URL of a sitemap and a link checked by `--check-external`
//! inherit the keys of the input they descend from, and get the credentials
//! only when their own origin is that one. A redirect never carries them to
//! another origin.

use reqwest::header::{self, HeaderMap, HeaderName};
use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use url::Url;

/// Request headers that carry credentials.
pub const CREDENTIALS: [HeaderName; 3] = [
    header::AUTHORIZATION,
    header::COOKIE,
    header::PROXY_AUTHORIZATION,
];

/// The `-H` headers, split once: those every request carries, and the
/// credentials, which only a request that its [`Keys`] admit carries. Pages,
/// sitemaps and robots.txt requests all take theirs from here.
#[derive(Debug, Clone, Default)]
pub struct Headers {
    plain: HeaderMap,
    credentials: HeaderMap,
}

impl Headers {
    /// Splits `headers`.
    pub fn new(mut headers: HeaderMap) -> Headers {
        let mut credentials = HeaderMap::new();
        for name in &CREDENTIALS {
            for value in headers.get_all(name) {
                credentials.append(name.clone(), value.clone());
            }
            headers.remove(name);
        }
        Headers {
            plain: headers,
            credentials,
        }
    }

    /// What a request to `url` with `keys` sends: the headers, with the
    /// credentials when the keys admit `url`, and the URL to request, whose
    /// `user:password@` is dropped when they do not (reqwest would send it
    /// as Basic credentials).
    pub fn for_request(&self, keys: &Keys, url: &Url) -> (HeaderMap, Url) {
        // The other `-H` headers go to the input's hosts, any port.
        let mut headers = if keys.admit_host(url) {
            self.plain.clone()
        } else {
            HeaderMap::new()
        };
        let mut url = url.clone();
        if keys.admit(&url) {
            for (name, value) in &self.credentials {
                headers.append(name, value.clone());
            }
        } else if !url.username().is_empty() || url.password().is_some() {
            // Only URLs that cannot have credentials refuse these.
            let _ = url.set_username("");
            let _ = url.set_password(None);
        }
        (headers, url)
    }
}

/// `text` with the userinfo of every URL in it masked: `user:***@` for a
/// user and password, `***@` for a user alone (often a token). For logs
/// and reports, which end up in CI logs that others read; a record keeps
/// its URLs as they are.
pub fn redact(text: &str) -> Cow<'_, str> {
    if !text.contains("://") || !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, after) = rest.split_at(i + 3);
        out.push_str(head);
        // The authority ends where a path, query or fragment starts, or
        // where the text around the URL goes on.
        let end = after
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>' | '\\' | '`')
                    || c.is_whitespace()
                    || c.is_control()
            })
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rfind('@') {
            Some(at) => {
                match authority[..at].split_once(':') {
                    Some((user, _)) => {
                        out.push_str(user);
                        out.push_str(":***");
                    }
                    None => out.push_str("***"),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The origin a URL's credentials may go to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Keys {
    /// None: no credentials at all.
    #[default]
    None,
    /// This origin, serialised (`https://example.com:8443`).
    Origin(Arc<str>),
    /// Not known yet: a page put back into a crawl's frontier by
    /// `--resume`, whose records do not say which input it came from. It
    /// may have the credentials when its origin is the origin of a URL line
    /// or a `--sitemap` of this run's input ([`Named`]).
    Named,
}

impl Keys {
    /// The keys of a URL the user gave: its own origin's.
    pub fn of(url: &Url) -> Keys {
        Keys::Origin(Arc::from(url.origin().ascii_serialization()))
    }

    /// Tells whether a request to `url` may carry the credentials.
    pub fn admit(&self, url: &Url) -> bool {
        match self {
            Keys::Origin(origin) => **origin == url.origin().ascii_serialization(),
            Keys::None | Keys::Named => false,
        }
    }

    /// Tells whether a request to `url` may carry the `-H` headers that
    /// are not credentials: its host is the keys' host (any scheme or
    /// port).
    pub fn admit_host(&self, url: &Url) -> bool {
        let Keys::Origin(origin) = self else {
            return false;
        };
        let authority = origin.split_once("://").map_or(&**origin, |(_, a)| a);
        // A port ends in digits after the last ':' past any IPv6 ']'.
        let host = match authority.rfind(':') {
            Some(i) if !authority[i..].contains(']') => &authority[..i],
            _ => authority,
        };
        url.host_str().is_some_and(|h| h.eq_ignore_ascii_case(host))
    }

    /// The keys as the frontier file writes them.
    pub fn to_field(&self) -> &str {
        match self {
            Keys::None => "",
            Keys::Origin(origin) => origin,
            Keys::Named => "*",
        }
    }

    /// The keys read back from the frontier file.
    pub fn from_field(field: &str) -> Keys {
        match field {
            "" => Keys::None,
            "*" => Keys::Named,
            origin => Keys::Origin(Arc::from(origin)),
        }
    }
}

/// The origins of the URL lines and `--sitemap`s of this run's input, for
/// [`Keys::Named`]: gathered only when a resumed crawl has pages to put
/// back and `-H` gave credentials, since only then is it asked.
#[derive(Debug, Default, Clone)]
pub struct Named(Option<Arc<Mutex<HashSet<String>>>>);

impl Named {
    /// A set that gathers origins (`wanted`) or ignores them.
    pub fn new(wanted: bool) -> Named {
        Named(wanted.then(Arc::default))
    }

    /// Notes that the input names `url`.
    pub fn add(&self, url: &Url) {
        if let Some(set) = &self.0 {
            let origin = url.origin().ascii_serialization();
            let mut set = set
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if !set.contains(&origin) {
                set.insert(origin);
            }
        }
    }

    /// `keys` made definite for `url`: [`Keys::Named`] becomes `url`'s own
    /// origin when the input names it, else no keys.
    pub fn resolve(&self, keys: Keys, url: &Url) -> Keys {
        if keys != Keys::Named {
            return keys;
        }
        let named = self.0.as_ref().is_some_and(|set| {
            set.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .contains(&url.origin().ascii_serialization())
        });
        if named { Keys::of(url) } else { Keys::None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn keys_open_only_their_own_origin() {
        let keys = Keys::of(&u("http://u:p@127.0.0.1:8080/a?q"));
        assert!(keys.admit(&u("http://127.0.0.1:8080/b")));
        assert!(!keys.admit(&u("http://127.0.0.1:8081/b")), "another port");
        assert!(
            !keys.admit(&u("https://127.0.0.1:8080/b")),
            "another scheme"
        );
        assert!(!keys.admit(&u("http://127.0.0.2:8080/b")), "another host");
        assert!(!keys.admit(&u("http://localhost:8080/b")), "another name");
        // The default port is the same origin written either way.
        assert!(Keys::of(&u("https://a.test/")).admit(&u("https://a.test:443/x")));
        assert!(!Keys::None.admit(&u("http://127.0.0.1:8080/")));
        assert!(!Keys::Named.admit(&u("http://127.0.0.1:8080/")));
    }

    #[test]
    fn credentials_go_only_with_requests_the_keys_admit() {
        let mut h = HeaderMap::new();
        h.append("authorization", "Bearer t".parse().unwrap());
        h.append("cookie", "a=1".parse().unwrap());
        h.append("cookie", "b=2".parse().unwrap());
        h.append("x-test", "yes".parse().unwrap());
        let headers = Headers::new(h);
        let keys = Keys::of(&u("http://a.test:1/"));
        let (sent, url) = headers.for_request(&keys, &u("http://u:p@a.test:1/x"));
        assert_eq!(url.as_str(), "http://u:p@a.test:1/x");
        assert_eq!(sent["x-test"], "yes");
        assert_eq!(sent["authorization"], "Bearer t");
        assert_eq!(sent.get_all("cookie").iter().count(), 2);
        let (sent, url) = headers.for_request(&keys, &u("http://u:p@a.test:2/x"));
        assert_eq!(url.as_str(), "http://a.test:2/x");
        assert_eq!(sent.len(), 1);
        assert_eq!(sent["x-test"], "yes");
        // Another host gets none of them.
        let (sent, _) = headers.for_request(&keys, &u("http://b.test:1/x"));
        assert!(sent.is_empty());
        let v6 = Keys::of(&u("http://[::1]:8080/"));
        assert!(v6.admit_host(&u("https://[::1]/")));
        assert!(!v6.admit_host(&u("http://[::2]:8080/")));
        assert!(Keys::of(&u("https://a.test/")).admit_host(&u("http://a.test:81/")));
        assert!(!Keys::None.admit_host(&u("http://a.test/")));
    }

    #[test]
    fn logs_and_reports_show_no_userinfo() {
        for (text, want) in [
            (
                "GET http://u:pw@a.test:1/x?y@z",
                "GET http://u:***@a.test:1/x?y@z",
            ),
            (
                "https://TOKEN@github.com/o/r.git",
                "https://***@github.com/o/r.git",
            ),
            (
                "\"http://a:b@c\" and http://d:e@f",
                "\"http://a:***@c\" and http://d:***@f",
            ),
            (
                "http://a.test/p@q http://x:y@z.test",
                "http://a.test/p@q http://x:***@z.test",
            ),
            ("http://u:p:q@a.test/", "http://u:***@a.test/"),
            (
                "mail me@a.test, see https://a.test/",
                "mail me@a.test, see https://a.test/",
            ),
            ("http://u:pw@", "http://u:***@"),
            ("x://", "x://"),
        ] {
            assert_eq!(redact(text), want, "{text}");
        }
        assert!(matches!(redact("no url here @ all"), Cow::Borrowed(_)));
    }

    #[test]
    fn keys_round_trip_through_the_frontier_field() {
        for keys in [Keys::None, Keys::Named, Keys::of(&u("http://[::1]:9/"))] {
            assert_eq!(Keys::from_field(keys.to_field()), keys);
        }
    }

    #[test]
    fn named_keys_open_only_origins_the_input_names() {
        let named = Named::new(true);
        named.add(&u("http://a.test/x"));
        let a = named.resolve(Keys::Named, &u("http://a.test/y"));
        assert!(a.admit(&u("http://a.test/z")));
        assert_eq!(named.resolve(Keys::Named, &u("http://b.test/")), Keys::None);
        // A set that gathers nothing names nothing.
        let off = Named::new(false);
        off.add(&u("http://a.test/x"));
        assert_eq!(off.resolve(Keys::Named, &u("http://a.test/")), Keys::None);
    }
}
