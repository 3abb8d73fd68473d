//! `--robots`: obey robots.txt (RFC 9309).
//!
//! Each origin's robots.txt is fetched once, with the run's client
//! settings and User-Agent, and kept for the run; URLs of an origin that
//! arrive while it is being fetched wait for that one fetch. A 4xx means
//! everything is allowed, a 5xx or no answer that nothing is. The rules are
//! read by texting_robots (longest match wins, Allow beats Disallow on a
//! tie) for the group of the User-Agent's product token.
//!
//! A `Crawl-delay` in that group paces the origin: one request per delay,
//! unless `--host-rate` is given, which wins. Fetching robots.txt takes a
//! token of `--rate` and `--host-rate` like any request, and does not count
//! against the `--timeout` of the URL that asked for it.

use crate::http::{self, ClientOptions};
use crate::rate::Limits;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use texting_robots::Robot;
use tokio::sync::OnceCell;
use url::Url;

/// What an origin's robots.txt says.
enum Rules {
    /// No rules (4xx, or a file that cannot be read as rules).
    AllowAll,
    /// Nothing may be fetched, and why.
    DisallowAll(String),
    /// The rules for our User-Agent, and the origin's pace when they
    /// give a Crawl-delay.
    Parsed(Box<Robot>, Option<Arc<DefaultDirectRateLimiter>>),
}

/// How much of a robots.txt is read (RFC 9309: at least 500 KiB).
const MAX_ROBOTS_BYTES: u64 = 512 * 1024;

/// Longest Crawl-delay honoured: a robots.txt cannot stall a run beyond
/// one request a minute per origin.
const MAX_CRAWL_DELAY: Duration = Duration::from_secs(60);

/// robots.txt of every origin met so far.
pub struct RobotsCache {
    client: reqwest::Client,
    agent: String,
    timeout: Duration,
    /// No `--host-rate`: a Crawl-delay paces its origin.
    crawl_delay: bool,
    origins: Mutex<HashMap<String, Arc<OnceCell<Rules>>>>,
}

impl RobotsCache {
    /// Builds the cache and its client.
    ///
    /// # Errors
    /// The TLS back end cannot be set up.
    pub fn new(
        client: &ClientOptions,
        timeout: Duration,
        crawl_delay: bool,
    ) -> reqwest::Result<RobotsCache> {
        Ok(RobotsCache {
            client: client.builder().build()?,
            agent: product_token(&client.user_agent),
            timeout,
            crawl_delay,
            origins: Mutex::new(HashMap::new()),
        })
    }

    /// `Ok` when robots.txt lets us fetch `url`, with the origin's pace
    /// (its Crawl-delay) when it has one; otherwise why not.
    ///
    /// # Errors
    /// The message of the `robots_disallowed` record.
    pub async fn check(
        &self,
        url: &Url,
        limits: &Limits,
    ) -> Result<Option<Arc<DefaultDirectRateLimiter>>, String> {
        let origin = url.origin().ascii_serialization();
        let cell = {
            let mut map = self
                .origins
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            map.entry(origin.clone()).or_default().clone()
        };
        let host = url.host_str().unwrap_or_default();
        let rules = cell.get_or_init(|| self.fetch(&origin, host, limits)).await;
        match rules {
            Rules::AllowAll => Ok(None),
            Rules::DisallowAll(why) => Err(why.clone()),
            Rules::Parsed(robot, pace) if robot.allowed(url.as_str()) => Ok(pace.clone()),
            Rules::Parsed(..) => Err(format!(
                "{origin}/robots.txt disallows this URL for '{}'",
                self.agent
            )),
        }
    }

    async fn fetch(&self, origin: &str, host: &str, limits: &Limits) -> Rules {
        let url = format!("{origin}/robots.txt");
        limits.wait(host, None).await;
        let got = tokio::time::timeout(self.timeout, async {
            let mut resp = self.client.get(&url).send().await?;
            let status = resp.status();
            // RFC 9309 asks for at least 500 KiB to be read; a hostile or
            // broken server gets no more than that of our memory.
            let mut body = Vec::new();
            // Past the cap, the rest is ignored.
            http::read_capped(
                &mut resp,
                (MAX_ROBOTS_BYTES, http::Past::Stop),
                &mut 0,
                Some(&mut body),
                None,
            )
            .await?;
            Ok::<_, reqwest::Error>((status, body))
        })
        .await;
        match &got {
            Ok(Ok((status, body))) => {
                tracing::debug!("{url}: {} ({} bytes)", status.as_u16(), body.len())
            }
            Ok(Err(e)) => tracing::debug!("{url}: {}", http::describe(e)),
            Err(_) => tracing::debug!("{url}: no answer within --timeout"),
        }
        match got {
            Ok(Ok((status, body))) if status.is_success() => match Robot::new(&self.agent, &body) {
                Ok(robot) => {
                    let pace = if self.crawl_delay {
                        robot.delay.and_then(pace)
                    } else {
                        None
                    };
                    if let Some(delay) = robot.delay {
                        tracing::debug!(
                            "{url}: Crawl-delay {delay} s {}",
                            if pace.is_some() {
                                "paces the origin"
                            } else {
                                "ignored (--host-rate is given, or the delay is not positive)"
                            }
                        );
                    }
                    Rules::Parsed(Box::new(robot), pace)
                }
                Err(_) => Rules::AllowAll,
            },
            Ok(Ok((status, _))) if status.is_client_error() => Rules::AllowAll,
            Ok(Ok((status, _))) => Rules::DisallowAll(format!(
                "{url} answered {}: nothing may be fetched (RFC 9309)",
                status.as_u16()
            )),
            Ok(Err(e)) => Rules::DisallowAll(format!(
                "{url} could not be fetched ({}): nothing may be fetched (RFC 9309)",
                http::describe(&e)
            )),
            Err(_) => Rules::DisallowAll(format!(
                "{url} did not arrive within --timeout: nothing may be fetched (RFC 9309)"
            )),
        }
    }
}

/// A limiter of one request per `delay` seconds (capped at
/// [`MAX_CRAWL_DELAY`]); none for a zero, negative or unreadable delay.
fn pace(delay: f32) -> Option<Arc<DefaultDirectRateLimiter>> {
    if !delay.is_finite() || delay <= 0.0 {
        return None;
    }
    let period = Duration::try_from_secs_f32(delay)
        .unwrap_or(MAX_CRAWL_DELAY)
        .min(MAX_CRAWL_DELAY);
    Quota::with_period(period).map(|q| Arc::new(RateLimiter::direct(q)))
}

/// The product token of a User-Agent: `trawl/0.1.0 (+https://…)` → `trawl`.
pub fn product_token(ua: &str) -> String {
    ua.split(['/', ' ']).next().unwrap_or(ua).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_token_is_the_name_before_the_version() {
        assert_eq!(product_token("trawl/0.1.0"), "trawl");
        assert_eq!(product_token("MyBot/2.0 (+https://x.test)"), "MyBot");
        assert_eq!(product_token("plain"), "plain");
    }

    #[test]
    fn crawl_delay_becomes_a_pace_within_bounds() {
        assert!(pace(0.0).is_none());
        assert!(pace(-1.0).is_none());
        assert!(pace(f32::NAN).is_none());
        for d in [0.5_f32, 2.0, 1e9] {
            let limiter = pace(d).expect("a pace");
            // The first request goes at once, the second must wait.
            assert!(limiter.check().is_ok());
            assert!(limiter.check().is_err(), "{d}");
        }
        let r = Robot::new("trawl", b"User-agent: trawl\nCrawl-delay: 2.5\n").unwrap();
        assert_eq!(r.delay, Some(2.5));
    }

    #[test]
    fn longest_match_wins_and_allow_wins_ties() {
        let txt = b"User-agent: *\nDisallow: /private\nAllow: /private/ok\n\nUser-agent: trawl\nDisallow: /no\nAllow: /no/yes\nDisallow: /tie\nAllow: /tie\n";
        let r = Robot::new("trawl", txt).unwrap();
        assert!(!r.allowed("http://h.test/no/x"));
        assert!(r.allowed("http://h.test/no/yes/x"));
        assert!(r.allowed("http://h.test/tie"));
        // Our group, not '*': /private is not ours to avoid.
        assert!(r.allowed("http://h.test/private/x"));
        let other = Robot::new("otherbot", txt).unwrap();
        assert!(!other.allowed("http://h.test/private/x"));
        assert!(other.allowed("http://h.test/private/ok"));
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;
    use std::time::{Duration, Instant};

    /// robots.txt text with the lines that matter and the junk that does not.
    fn robots_txt() -> impl Strategy<Value = String> {
        let line = prop_oneof![
            Just("User-agent: *".to_owned()),
            Just("User-agent: trawl".to_owned()),
            "(Dis)?[aA]llow: /[a-z*$%/?=.]{0,12}",
            "Crawl-delay: [0-9.e+-]{0,6}",
            "Sitemap: [a-z:/.]{0,12}",
            "[#a-zA-Z*$: /\u{0}\u{feff}]{0,20}",
            Just("Disallow: /*****************************************a$".to_owned()),
        ];
        prop::collection::vec(line, 0..40).prop_map(|l| l.join("\n"))
    }

    proptest! {
        #![proptest_config(crate::testing::config())]

        /// The robots.txt matcher: any file and any path answer within a
        /// deadline; a file without a Disallow line allows everything.
        #[test]
        fn the_robots_matcher_answers_in_time(
            txt in prop_oneof![robots_txt(), any::<String>()],
            path in "/[a-z*$%/?=.]{0,30}",
        ) {
            let began = Instant::now();
            let url = format!("http://a.test{path}");
            if let Ok(robot) = texting_robots::Robot::new("trawl", txt.as_bytes()) {
                let allowed = robot.allowed(&url);
                if !txt.to_ascii_lowercase().contains("disallow") {
                    prop_assert!(allowed, "{txt:?} disallows {url}");
                }
            }
            prop_assert!(began.elapsed() < Duration::from_secs(2), "{:?}", began.elapsed());
        }
    }
}
