//! `--config FILE`: a TOML file of defaults for the long flags and
//! `[[site]]` rules that change the settings of the hosts they match.
//!
//! ```toml
//! concurrency = 20              # any long flag, as its default
//! timeout = "15s"
//!
//! [[site]]
//! match = "*.example.com"       # a host glob (`*`, `?`), or:
//! # prefix = "https://example.com/api/"
//! headers = { "X-Team" = "data" }
//! cookies = { session = "abc" }
//! auth = { bearer = "t0ken" }   # or { user = "u", password = "p" }
//! proxy = "http://proxy.internal:3128"
//! per-host = 2
//! host-rate = "1/s"
//! timeout = "60s"
//! render = true
//! robots = false
//! user-agent = "mybot/1.0"
//! ```
//!
//! Flags win over the file's defaults; a matching rule wins over both for
//! its URLs, and the last matching rule wins per key. The headers,
//! cookies and auth of a rule go to the URLs it matches and nowhere else.

use crate::proxy::ProxyUrl;
use crate::rate::Rate;
use reqwest::header::{HeaderName, HeaderValue};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;
use toml::{Spanned, Value};
use url::Url;

/// A default for a long flag, from the file's top level.
#[derive(Debug, Clone, PartialEq)]
pub struct FlagDefault {
    /// The flag's long name, as written (`per-host`).
    pub key: String,
    /// The command-line words it stands for, after `--key`: none for a
    /// `true`, one for a value, one a time for an array.
    pub values: Vec<String>,
    /// `true`: a switch; `false` ones are left out.
    pub switch: bool,
    /// Its line in the file.
    pub line: usize,
}

/// Which URLs a rule is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matcher {
    /// A host glob: `*` any run of characters, `?` one; case-insensitive.
    Host(String),
    /// A URL prefix, normalised as a URL is.
    Prefix(String),
}

impl Matcher {
    /// Tells whether `url` is one of the rule's.
    pub fn matches(&self, url: &Url) -> bool {
        match self {
            Matcher::Host(glob) => url
                .host_str()
                .is_some_and(|h| glob_match(glob.as_bytes(), h.to_ascii_lowercase().as_bytes())),
            Matcher::Prefix(prefix) => url.as_str().starts_with(prefix.as_str()),
        }
    }

    /// Tells whether the rule covers a whole host (for the settings kept
    /// per host: `per-host`, `host-rate`, `robots`): a glob that matches
    /// it, or a prefix on that host.
    pub fn covers_host(&self, host: &str) -> bool {
        match self {
            Matcher::Host(glob) => {
                glob_match(glob.as_bytes(), host.to_ascii_lowercase().as_bytes())
            }
            Matcher::Prefix(prefix) => Url::parse(prefix)
                .ok()
                .is_some_and(|u| u.host_str().is_some_and(|h| h.eq_ignore_ascii_case(host))),
        }
    }
}

/// `*` and `?` globbing, iterative with one backtrack point.
fn glob_match(pat: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pat.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pat[p..].iter().all(|&c| c == b'*')
}

/// One `[[site]]`.
#[derive(Debug, Clone)]
pub struct SiteRule {
    /// `FILE:LINE` of its `[[site]]`, for `--explain`.
    pub at: String,
    pub matcher: Matcher,
    /// `headers`, in the order written; `cookies` and `auth` land here too
    /// (as `Cookie` and `Authorization`).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub proxy: Option<ProxyUrl>,
    pub per_host: Option<usize>,
    pub host_rate: Option<Rate>,
    pub timeout: Option<Duration>,
    pub render: Option<bool>,
    pub robots: Option<bool>,
    pub user_agent: Option<HeaderValue>,
    /// The line of each key, for `--explain`.
    pub lines: BTreeMap<String, usize>,
}

/// The rules of a run, in file order.
#[derive(Debug, Clone, Default)]
pub struct Sites {
    pub rules: Vec<SiteRule>,
}

/// What the rules say for one URL: each key from the last rule that
/// matches and sets it.
#[derive(Debug, Default)]
pub struct Effective<'a> {
    pub headers: Vec<&'a (HeaderName, HeaderValue)>,
    pub proxy: Option<(usize, &'a ProxyUrl)>,
    pub timeout: Option<Duration>,
    pub render: Option<bool>,
    pub robots: Option<bool>,
    pub user_agent: Option<&'a HeaderValue>,
}

impl Sites {
    /// Tells whether there is no rule.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// What applies to a request to `url`.
    pub fn for_url(&self, url: &Url) -> Effective<'_> {
        let mut e = Effective::default();
        for (i, rule) in self.rules.iter().enumerate() {
            if !rule.matcher.matches(url) {
                continue;
            }
            for pair in &rule.headers {
                // A later rule's header replaces an earlier one's.
                e.headers.retain(|(n, _)| *n != pair.0);
                e.headers.push(pair);
            }
            if let Some(p) = &rule.proxy {
                e.proxy = Some((i, p));
            }
            e.timeout = rule.timeout.or(e.timeout);
            e.render = rule.render.or(e.render);
            e.robots = rule.robots.or(e.robots);
            e.user_agent = rule.user_agent.as_ref().or(e.user_agent);
        }
        e
    }

    /// `per-host` for `host`, from the last rule covering it that sets it.
    pub fn per_host(&self, host: &str) -> Option<usize> {
        self.rules
            .iter()
            .rev()
            .find(|r| r.per_host.is_some() && r.matcher.covers_host(host))
            .and_then(|r| r.per_host)
    }

    /// `host-rate` for `host`: the rule's index and its rate.
    pub fn host_rate(&self, host: &str) -> Option<(usize, Rate)> {
        self.rules
            .iter()
            .enumerate()
            .rev()
            .find(|(_, r)| r.host_rate.is_some() && r.matcher.covers_host(host))
            .and_then(|(i, r)| r.host_rate.map(|rate| (i, rate)))
    }

    /// Tells whether any rule turns rendering on.
    pub fn any_render(&self) -> bool {
        self.rules.iter().any(|r| r.render == Some(true))
    }

    /// Tells whether any rule turns robots.txt on.
    pub fn any_robots(&self) -> bool {
        self.rules.iter().any(|r| r.robots == Some(true))
    }

    /// The proxies the rules name, by rule index.
    pub fn proxies(&self) -> impl Iterator<Item = (usize, &ProxyUrl)> {
        self.rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.proxy.as_ref().map(|p| (i, p)))
    }
}

/// The keys a `[[site]]` may have.
const SITE_KEYS: &[&str] = &[
    "match",
    "prefix",
    "headers",
    "cookies",
    "auth",
    "proxy",
    "per-host",
    "host-rate",
    "timeout",
    "render",
    "robots",
    "user-agent",
];

/// Reads a settings file's text: its flag defaults (not yet checked
/// against the flags: the command line does that) and its rules.
///
/// # Errors
/// `FILE:LINE: key: why` for the first thing that is wrong.
pub fn parse(text: &str, path: &Path) -> Result<(Vec<FlagDefault>, Sites), String> {
    let name = path.display();
    let line_of =
        |span: std::ops::Range<usize>| text[..span.start.min(text.len())].matches('\n').count() + 1;
    let top: BTreeMap<String, Spanned<Value>> = toml::from_str(text)
        .map_err(|e| format!("{name}: not valid TOML: {}", e.to_string().trim()))?;
    let mut defaults = Vec::new();
    for (key, value) in &top {
        if key == "site" {
            continue;
        }
        let line = line_of(value.span());
        let at = |why: String| format!("{name}:{line}: {key}: {why}");
        let (values, switch) = match value.get_ref() {
            Value::Boolean(true) => (Vec::new(), true),
            Value::Boolean(false) => continue,
            Value::Array(items) => (
                items
                    .iter()
                    .map(scalar)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(at)?,
                false,
            ),
            Value::Table(_) => {
                return Err(at(
                    "a table is not a flag's value (rules go in [[site]])".into()
                ));
            }
            other => (vec![scalar(other).map_err(at)?], false),
        };
        defaults.push(FlagDefault {
            key: key.clone(),
            values,
            switch,
            line,
        });
    }
    defaults.sort_by_key(|d| d.line);
    #[derive(serde::Deserialize)]
    struct Rules {
        #[serde(default)]
        site: Vec<BTreeMap<String, Spanned<Value>>>,
    }
    let rules: Rules =
        toml::from_str(text).map_err(|e| format!("{name}: [[site]]: {}", e.to_string().trim()))?;
    let headers_at: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("[[site]]"))
        .map(|(i, _)| i + 1)
        .collect();
    let mut sites = Sites::default();
    for (n, table) in rules.site.iter().enumerate() {
        let start = headers_at.get(n).copied().unwrap_or(1);
        sites
            .rules
            .push(site_rule(table, &name.to_string(), start, &line_of)?);
    }
    Ok((defaults, sites))
}

/// A TOML scalar as a command-line word.
fn scalar(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Integer(i) => Ok(i.to_string()),
        Value::Float(f) => Ok(f.to_string()),
        Value::Boolean(b) => Ok(b.to_string()),
        Value::Datetime(d) => Ok(d.to_string()),
        Value::Array(_) | Value::Table(_) => {
            Err("a nested array or table is not a flag's value".into())
        }
    }
}

/// Reads one `[[site]]` table (whose header is on line `start`).
fn site_rule(
    table: &BTreeMap<String, Spanned<Value>>,
    name: &str,
    start: usize,
    line_of: &dyn Fn(std::ops::Range<usize>) -> usize,
) -> Result<SiteRule, String> {
    let mut rule = SiteRule {
        at: format!("{name}:{start}"),
        matcher: Matcher::Prefix(String::new()),
        headers: Vec::new(),
        proxy: None,
        per_host: None,
        host_rate: None,
        timeout: None,
        render: None,
        robots: None,
        user_agent: None,
        lines: BTreeMap::new(),
    };
    let mut matcher = None;
    for (key, value) in table {
        let line = line_of(value.span());
        let at = |why: &str| format!("{name}:{line}: [[site]] {key}: {why}");
        rule.lines.insert(key.clone(), line);
        let text = || match value.get_ref() {
            Value::String(s) => Ok(s.trim().to_owned()),
            _ => Err(at("a string is expected")),
        };
        let flag = || match value.get_ref() {
            Value::Boolean(b) => Ok(*b),
            _ => Err(at("true or false is expected")),
        };
        match key.as_str() {
            "match" | "prefix" if matcher.is_some() => {
                return Err(at("a rule has one of match and prefix"));
            }
            "match" => {
                let glob = text()?.to_ascii_lowercase();
                if glob.is_empty() || glob.contains(['/', ':', ' ']) {
                    return Err(at("a host glob such as \"*.example.com\" is expected"));
                }
                matcher = Some(Matcher::Host(glob));
            }
            "prefix" => {
                let url = Url::parse(&text()?)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .ok_or_else(|| at("an http(s) URL is expected"))?;
                matcher = Some(Matcher::Prefix(url.to_string()));
            }
            "headers" => {
                let Value::Table(t) = value.get_ref() else {
                    return Err(at("a table of header names and values is expected"));
                };
                for (h, v) in t {
                    let Value::String(v) = v else {
                        return Err(at(&format!("the value of {h} must be a string")));
                    };
                    let h2 = HeaderName::from_bytes(h.trim().as_bytes())
                        .map_err(|_| at(&format!("{h:?} is not a header name")))?;
                    let v2 = HeaderValue::from_str(v.trim())
                        .map_err(|_| at(&format!("the value of {h} is not a header value")))?;
                    rule.headers.push((h2, v2));
                }
            }
            "cookies" => {
                let Value::Table(t) = value.get_ref() else {
                    return Err(at("a table of cookie names and values is expected"));
                };
                let mut pairs = Vec::new();
                for (c, v) in t {
                    let Value::String(v) = v else {
                        return Err(at(&format!("the value of cookie {c} must be a string")));
                    };
                    if c.is_empty() || c.contains([';', '=', ' ']) || v.contains(';') {
                        return Err(at(&format!("{c:?} = {v:?} is not a cookie")));
                    }
                    pairs.push(format!("{c}={v}"));
                }
                let v = HeaderValue::from_str(&pairs.join("; "))
                    .map_err(|_| at("a cookie value is not a header value"))?;
                rule.headers.push((reqwest::header::COOKIE, v));
            }
            "auth" => {
                let Value::Table(t) = value.get_ref() else {
                    return Err(at(
                        "{bearer = \"…\"} or {user = \"…\", password = \"…\"} is expected",
                    ));
                };
                let get = |k: &str| t.get(k).and_then(Value::as_str);
                let unknown = t
                    .keys()
                    .find(|k| !matches!(k.as_str(), "bearer" | "user" | "password"));
                if let Some(k) = unknown {
                    return Err(at(&format!(
                        "unknown key {k:?} (bearer, or user and password)"
                    )));
                }
                let value = match (get("bearer"), get("user"), get("password")) {
                    (Some(token), None, None) => format!("Bearer {token}"),
                    (None, Some(user), password) => {
                        use base64::Engine;
                        let pair = format!("{user}:{}", password.unwrap_or(""));
                        format!(
                            "Basic {}",
                            base64::engine::general_purpose::STANDARD.encode(pair)
                        )
                    }
                    _ => {
                        return Err(at(
                            "{bearer = \"…\"} or {user = \"…\", password = \"…\"} is expected",
                        ));
                    }
                };
                let mut v = HeaderValue::from_str(&value).map_err(|_| at("not a header value"))?;
                v.set_sensitive(true);
                rule.headers.push((reqwest::header::AUTHORIZATION, v));
            }
            "proxy" => rule.proxy = Some(text()?.parse().map_err(|e: String| at(&e))?),
            "per-host" => {
                let n = value
                    .get_ref()
                    .as_integer()
                    .filter(|n| (1..=100_000).contains(n))
                    .ok_or_else(|| at("a whole number from 1 is expected"))?;
                rule.per_host = usize::try_from(n).ok();
            }
            "host-rate" => rule.host_rate = Some(text()?.parse().map_err(|e: String| at(&e))?),
            "timeout" => {
                rule.timeout = Some(crate::units::parse_duration(&text()?).map_err(|e| at(&e))?)
            }
            "render" => rule.render = Some(flag()?),
            "robots" => rule.robots = Some(flag()?),
            "user-agent" => {
                rule.user_agent =
                    Some(HeaderValue::from_str(&text()?).map_err(|_| at("not a header value"))?);
            }
            _ => {
                return Err(at(&format!(
                    "unknown key (a rule has: {})",
                    SITE_KEYS.join(", ")
                )));
            }
        }
    }
    rule.matcher =
        matcher.ok_or_else(|| format!("{name}:{start}: [[site]]: a rule needs match or prefix"))?;
    Ok(rule)
}

/// `value` with its secret part masked, for `--explain` and logs:
/// credentials headers keep their scheme (`Bearer ***`), cookies their
/// names (`sid=***`), a URL its user (`user:***@`); headers whose name
/// says secret (`token`, `key`, `secret`, `auth`, `session`) show `***`.
pub fn mask(name: &str, value: &str) -> String {
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "authorization" | "proxy-authorization" => match value.split_once(' ') {
            Some((scheme, _)) => format!("{scheme} ***"),
            None => "***".into(),
        },
        "cookie" => value
            .split(';')
            .map(|c| c.trim().split('=').next().unwrap_or_default().to_owned() + "=***")
            .collect::<Vec<_>>()
            .join("; "),
        "proxy" => crate::keys::redact(value).into_owned(),
        _ if ["token", "key", "secret", "auth", "session", "password"]
            .iter()
            .any(|w| lower.contains(w)) =>
        {
            "***".into()
        }
        _ => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn globs_match_hosts() {
        let m = Matcher::Host("*.example.com".into());
        assert!(m.matches(&u("https://a.example.com/x")));
        assert!(m.matches(&u("https://A.B.Example.com/")));
        assert!(!m.matches(&u("https://example.com/")));
        assert!(!m.matches(&u("https://evilexample.com/")));
        assert!(!m.matches(&u("https://a.example.com.evil.net/")));
        assert!(Matcher::Host("127.0.0.?".into()).matches(&u("http://127.0.0.2:8080/")));
        assert!(Matcher::Host("*".into()).matches(&u("http://any.test/")));
        let p = Matcher::Prefix("https://example.com/api/".into());
        assert!(p.matches(&u("https://example.com/api/v1")));
        assert!(!p.matches(&u("https://example.com/apix")));
        assert!(p.covers_host("example.com"));
    }

    #[test]
    fn the_file_gives_defaults_and_rules_with_their_lines() {
        let text = "concurrency = 20\nrobots = true\nquiet = false\nheader = [\"X-A: 1\", \"X-B: 2\"]\n\n\
                    [[site]]\nmatch = \"*.example.com\"\nheaders = { \"X-Team\" = \"data\" }\nauth = { bearer = \"t0k\" }\nper-host = 2\n\n\
                    [[site]]\nprefix = \"https://example.com/api/\"\ncookies = { a = \"1\", b = \"2\" }\nauth = { user = \"u\", password = \"p\" }\ntimeout = \"5s\"\n";
        let (defaults, sites) = parse(text, Path::new("t.toml")).unwrap();
        let got: Vec<(&str, Vec<String>, bool, usize)> = defaults
            .iter()
            .map(|d| (d.key.as_str(), d.values.clone(), d.switch, d.line))
            .collect();
        assert_eq!(
            got,
            [
                ("concurrency", vec!["20".to_owned()], false, 1),
                ("robots", vec![], true, 2),
                (
                    "header",
                    vec!["X-A: 1".to_owned(), "X-B: 2".to_owned()],
                    false,
                    4
                ),
            ]
        );
        assert_eq!(sites.rules.len(), 2);
        assert_eq!(sites.rules[0].at, "t.toml:6");
        assert_eq!(sites.rules[1].lines["timeout"], 16);
        let e = sites.for_url(&u("https://www.example.com/a"));
        assert_eq!(e.headers.len(), 2);
        assert_eq!(sites.per_host("www.example.com"), Some(2));
        assert_eq!(sites.per_host("example.com"), None);
        let e = sites.for_url(&u("https://example.com/api/x"));
        let auth: Vec<String> = e
            .headers
            .iter()
            .map(|(n, v)| format!("{n}: {}", v.to_str().unwrap()))
            .collect();
        assert_eq!(auth, ["authorization: Basic dTpw", "cookie: a=1; b=2"]);
        assert_eq!(e.timeout, Some(Duration::from_secs(5)));
        assert!(sites.for_url(&u("https://other.test/")).headers.is_empty());
    }

    #[test]
    fn the_last_matching_rule_wins_per_key() {
        let text = "[[site]]\nmatch = \"*\"\ntimeout = \"1s\"\nrobots = true\nheaders = { X = \"1\", Y = \"1\" }\n\
                    [[site]]\nmatch = \"a.test\"\ntimeout = \"2s\"\nheaders = { X = \"2\" }\n";
        let (_, sites) = parse(text, Path::new("t.toml")).unwrap();
        let e = sites.for_url(&u("http://a.test/"));
        assert_eq!(e.timeout, Some(Duration::from_secs(2)));
        assert_eq!(e.robots, Some(true));
        let h: Vec<String> = e
            .headers
            .iter()
            .map(|(n, v)| format!("{n}={}", v.to_str().unwrap()))
            .collect();
        assert_eq!(h, ["y=1", "x=2"]);
    }

    #[test]
    fn mistakes_name_the_file_line_and_key() {
        for (text, want) in [
            ("concurrency = \n", "t.toml: not valid TOML"),
            ("[x]\na = 1\n", "t.toml:1: x: a table"),
            (
                "[[site]]\nmatch = \"a.test\"\ncolour = \"red\"\n",
                "t.toml:3: [[site]] colour: unknown key",
            ),
            (
                "[[site]]\nheaders = {}\n",
                "t.toml:1: [[site]]: a rule needs match or prefix",
            ),
            (
                "[[site]]\nmatch = \"a.test\"\ntimeout = \"soon\"\n",
                "t.toml:3: [[site]] timeout:",
            ),
            (
                "[[site]]\nmatch = \"a.test\"\nper-host = 0\n",
                "t.toml:3: [[site]] per-host:",
            ),
            (
                "[[site]]\nmatch = \"a.test\"\nproxy = \"ftp://x:1\"\n",
                "t.toml:3: [[site]] proxy:",
            ),
            (
                "[[site]]\nmatch = \"https://a.test/\"\n",
                "t.toml:2: [[site]] match:",
            ),
            (
                "[[site]]\nmatch = \"a.test\"\nauth = { token = \"x\" }\n",
                "unknown key \"token\"",
            ),
            (
                "[[site]]\nmatch = \"a.test\"\nhost-rate = \"fast\"\n",
                "t.toml:3: [[site]] host-rate:",
            ),
        ] {
            let err = parse(text, Path::new("t.toml")).unwrap_err();
            assert!(err.contains(want), "{text:?}: {err}");
        }
    }

    #[test]
    fn secrets_are_masked() {
        assert_eq!(mask("Authorization", "Bearer abc"), "Bearer ***");
        assert_eq!(mask("cookie", "a=1; b=2"), "a=***; b=***");
        assert_eq!(mask("X-Api-Key", "k"), "***");
        assert_eq!(mask("X-Team", "data"), "data");
        assert_eq!(mask("proxy", "http://u:p@h:1"), "http://u:***@h:1");
    }
}
