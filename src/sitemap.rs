//! `--sitemap URL`: URLs from a sitemap (`<urlset>`) or a sitemap index
//! (`<sitemapindex>`, followed to the sitemaps it lists), plain or gzip.
//!
//! A sitemap is fetched whole (up to 64 MiB after decompression; the
//! protocol caps one at 50 MB) and its `<loc>`s are handed on one at a
//! time, so the URL list itself never sits in memory beyond that body.
//! Whatever goes wrong with a sitemap becomes an error the reader turns into
//! a record of kind `sitemap`; the run goes on.

use crate::http::{self, ClientOptions};
use crate::keys::{Headers, Keys};
use quick_xml::Reader;
use quick_xml::events::Event;
use reqwest::header::HeaderMap;
use std::io::Read;
use std::time::Duration;

/// The largest sitemap read, after decompression.
const MAX_SITEMAP: u64 = 64 << 20;
/// How deep sitemap indexes may nest.
pub const MAX_DEPTH: usize = 4;

/// Fetches sitemaps with the run's User-Agent, headers and timeouts.
pub struct SitemapClient {
    client: reqwest::Client,
    /// `-H`, its credentials sent only where a sitemap's keys admit them.
    headers: Headers,
    timeout: Duration,
}

/// What one sitemap document holds.
#[derive(Debug, PartialEq, Eq)]
pub enum Sitemap {
    /// Page URLs (`<urlset>`).
    Urls(Vec<String>),
    /// Other sitemaps (`<sitemapindex>`).
    Index(Vec<String>),
}

impl SitemapClient {
    /// Builds the client.
    ///
    /// # Errors
    /// The TLS back end cannot be set up.
    pub fn new(
        client: &ClientOptions,
        headers: HeaderMap,
        timeout: Duration,
    ) -> reqwest::Result<SitemapClient> {
        Ok(SitemapClient {
            client: client.builder().build()?,
            headers: Headers::new(headers),
            timeout,
        })
    }

    /// Fetches and parses one sitemap.
    ///
    /// # Errors
    /// A message for the `sitemap` record: the fetch failed, the status was
    /// not 2xx, the body was too large, not gzip it claimed to be, or not a
    /// sitemap.
    pub async fn get(&self, url: &str, keys: &Keys) -> Result<Sitemap, String> {
        let body = tokio::time::timeout(self.timeout, self.body(url, keys))
            .await
            .map_err(|_| {
                format!(
                    "the sitemap did not arrive within --timeout ({:?})",
                    self.timeout
                )
            })??;
        let body = if body.starts_with(&[0x1f, 0x8b]) {
            gunzip(&body)?
        } else {
            body
        };
        // Parsing a 50 MB sitemap is CPU work: off the reactor.
        tokio::task::spawn_blocking(move || parse(&body))
            .await
            .map_err(|_| "the sitemap could not be parsed".to_owned())?
    }

    /// `--discover-sitemaps`: the sitemaps `origin`'s robots.txt lists
    /// (`Sitemap:` lines), or `None` when it lists none or cannot be read.
    pub async fn listed_in_robots(&self, origin: &str, keys: &Keys) -> Option<Vec<String>> {
        let url = format!("{origin}/robots.txt");
        // RFC 9309: at least 500 KiB of robots.txt is read; no more.
        let body = tokio::time::timeout(self.timeout, self.body_capped(&url, 500 * 1024, keys))
            .await
            .ok()?
            .ok()?;
        let base = url::Url::parse(&url).ok()?;
        let text = String::from_utf8_lossy(&body);
        let listed: Vec<String> = text
            .lines()
            .filter_map(|line| {
                let (name, value) = line.split_once(':')?;
                if !name.trim().eq_ignore_ascii_case("sitemap") {
                    return None;
                }
                // Cut a trailing comment; resolve a relative URL.
                let value = value.split('#').next().unwrap_or_default().trim();
                base.join(value).ok().map(String::from)
            })
            .collect();
        (!listed.is_empty()).then_some(listed)
    }

    async fn body(&self, url: &str, keys: &Keys) -> Result<Vec<u8>, String> {
        self.body_capped(url, MAX_SITEMAP, keys).await
    }

    /// Fetches `url`'s body, up to `cap`, with the credentials where `keys`
    /// admit them (a redirect to another origin drops them, as reqwest
    /// does).
    async fn body_capped(&self, url: &str, cap: u64, keys: &Keys) -> Result<Vec<u8>, String> {
        let url = url::Url::parse(url).map_err(|e| format!("not a valid sitemap URL: {e}"))?;
        let (headers, url) = self.headers.for_request(keys, &url);
        let mut resp = self
            .client
            .get(url)
            .headers(headers)
            .send()
            .await
            .map_err(|e| format!("cannot fetch the sitemap: {}", http::describe(&e)))?;
        if !resp.status().is_success() {
            return Err(format!(
                "the sitemap answered status {}",
                resp.status().as_u16()
            ));
        }
        let mut body = Vec::new();
        let whole = http::read_capped(
            &mut resp,
            (cap, http::Past::Check),
            &mut 0,
            Some(&mut body),
            None,
        )
        .await
        .map_err(|e| format!("the sitemap's body failed: {}", http::describe(&e)))?;
        if !whole {
            return Err(format!("the sitemap is larger than {} MiB", cap >> 20));
        }
        Ok(body)
    }
}

/// Decompresses a gzip sitemap, capped.
fn gunzip(body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .take(MAX_SITEMAP + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("the sitemap is not valid gzip: {e}"))?;
    if out.len() as u64 > MAX_SITEMAP {
        return Err(format!(
            "the sitemap is larger than {} MiB",
            MAX_SITEMAP >> 20
        ));
    }
    Ok(out)
}

/// Reads the `<loc>`s of a sitemap or sitemap index.
///
/// # Errors
/// The document is not XML, or its root is neither `urlset` nor
/// `sitemapindex`.
pub fn parse(xml: &[u8]) -> Result<Sitemap, String> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut root: Option<bool> = None; // Some(true): an index
    let mut in_loc = false;
    let mut loc = String::new();
    let mut locs = Vec::new();
    let bad = |e: quick_xml::Error| format!("the sitemap is not valid XML: {e}");
    loop {
        match reader.read_event_into(&mut buf).map_err(bad)? {
            Event::Start(e) => {
                let name = e.local_name();
                match (root, name.as_ref()) {
                    (None, b"urlset") => root = Some(false),
                    (None, b"sitemapindex") => root = Some(true),
                    (None, other) => {
                        return Err(format!(
                            "not a sitemap: the document is <{}>, not <urlset> or <sitemapindex>",
                            String::from_utf8_lossy(other)
                        ));
                    }
                    (Some(_), b"loc") => {
                        in_loc = true;
                        loc.clear();
                    }
                    _ => {}
                }
            }
            Event::End(e) if in_loc && e.local_name().as_ref() == b"loc" => {
                in_loc = false;
                let l = loc.trim();
                if !l.is_empty() {
                    locs.push(l.to_owned());
                }
            }
            Event::Text(t) if in_loc => {
                loc.push_str(&t.decode().map_err(|e| format!("bad text in <loc>: {e}"))?);
            }
            Event::CData(t) if in_loc => {
                loc.push_str(&t.decode().map_err(|e| format!("bad text in <loc>: {e}"))?);
            }
            Event::GeneralRef(r) if in_loc => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    loc.push(c);
                } else {
                    let name = r
                        .decode()
                        .map_err(|e| format!("bad entity in <loc>: {e}"))?;
                    loc.push_str(match &*name {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        other => return Err(format!("unknown entity &{other}; in <loc>")),
                    });
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    match root {
        Some(true) => Ok(Sitemap::Index(locs)),
        Some(false) => Ok(Sitemap::Urls(locs)),
        None => Err("not a sitemap: the document is empty".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_urlsets_and_indexes() {
        let set = br#"<?xml version="1.0" encoding="UTF-8"?>
            <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
              <url><loc> https://a.test/?x=1&amp;y=&#50; </loc><lastmod>2026-11-25</lastmod></url>
              <url><loc><![CDATA[https://a.test/b]]></loc></url>
              <url><loc></loc></url>
            </urlset>"#;
        assert_eq!(
            parse(set),
            Ok(Sitemap::Urls(vec![
                "https://a.test/?x=1&y=2".into(),
                "https://a.test/b".into()
            ]))
        );
        let index = br#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
            <sitemap><loc>https://a.test/s1.xml</loc></sitemap>
            <sitemap><loc>https://a.test/s2.xml.gz</loc></sitemap></sitemapindex>"#;
        assert_eq!(
            parse(index),
            Ok(Sitemap::Index(vec![
                "https://a.test/s1.xml".into(),
                "https://a.test/s2.xml.gz".into()
            ]))
        );
    }

    #[test]
    fn what_is_not_a_sitemap_says_why() {
        assert!(
            parse(b"<html><body>hi</body></html>")
                .unwrap_err()
                .contains("<html>")
        );
        assert!(parse(b"").unwrap_err().contains("empty"));
        assert!(parse(b"<urlset><url><loc>x</url></urlset>").is_err());
        assert!(gunzip(b"\x1f\x8bnot gzip").unwrap_err().contains("gzip"));
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(crate::testing::config())]

        /// The sitemap reader: a urlset lists its `<loc>`s in order, trimmed;
        /// any bytes give URLs or an error, never a panic.
        #[test]
        fn sitemaps_list_their_locs(
            locs in prop::collection::vec("https?://[a-z]{1,8}\\.test/[a-z0-9/?=&]{0,10}", 0..20),
            index in any::<bool>(),
            junk in prop::collection::vec(any::<u8>(), 0..512),
        ) {
            use crate::sitemap::{Sitemap, parse};
            let (root, item) = if index { ("sitemapindex", "sitemap") } else { ("urlset", "url") };
            let mut xml = format!("<?xml version=\"1.0\"?>\n<{root} xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">");
            for l in &locs {
                let escaped = l.replace('&', "&amp;");
                xml.push_str(&format!("<{item}><loc>\n  {escaped} </loc><lastmod>2020</lastmod></{item}>"));
            }
            xml.push_str(&format!("</{root}>"));
            let got = parse(xml.as_bytes()).map_err(TestCaseError::fail)?;
            let want = if index { Sitemap::Index(locs.clone()) } else { Sitemap::Urls(locs.clone()) };
            prop_assert_eq!(got, want);
            let _ = parse(&junk);
        }
    }
}
