//! `--robots`: obey robots.txt (RFC 9309).
//!
//! Each origin's robots.txt is fetched once, with the run's client
//! settings and User-Agent, and kept for the run; URLs of an origin that
//! arrive while it is being fetched wait for that one fetch. A 4xx means
//! everything is allowed, a 5xx or no answer that nothing is. The rules are
//! read by texting_robots (longest match wins, Allow beats Disallow on a
//! tie) for the group of the User-Agent's product token.

use crate::config::Config;
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
    /// The rules for our User-Agent.
    Parsed(Box<Robot>),
}

/// robots.txt of every origin met so far.
pub struct RobotsCache {
    client: reqwest::Client,
    agent: String,
    timeout: Duration,
    origins: Mutex<HashMap<String, Arc<OnceCell<Rules>>>>,
}

impl RobotsCache {
    /// Builds the cache and its client.
    ///
    /// # Errors
    /// The TLS back end cannot be set up.
    pub fn new(cfg: &Config) -> reqwest::Result<RobotsCache> {
        let client = crate::fetch::client_builder(cfg).build()?;
        Ok(RobotsCache {
            client,
            agent: product_token(&cfg.user_agent),
            timeout: cfg.timeout,
            origins: Mutex::new(HashMap::new()),
        })
    }

    /// `Ok` when robots.txt lets us fetch `url`; otherwise why not.
    ///
    /// # Errors
    /// The message of the `robots_disallowed` record.
    pub async fn check(&self, url: &Url) -> Result<(), String> {
        let origin = url.origin().ascii_serialization();
        let cell = {
            let mut map = self
                .origins
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            map.entry(origin.clone()).or_default().clone()
        };
        let rules = cell.get_or_init(|| self.fetch(&origin)).await;
        match rules {
            Rules::AllowAll => Ok(()),
            Rules::DisallowAll(why) => Err(why.clone()),
            Rules::Parsed(robot) if robot.allowed(url.as_str()) => Ok(()),
            Rules::Parsed(_) => Err(format!(
                "{origin}/robots.txt disallows this URL for '{}'",
                self.agent
            )),
        }
    }

    async fn fetch(&self, origin: &str) -> Rules {
        let url = format!("{origin}/robots.txt");
        let got = tokio::time::timeout(self.timeout, async {
            let resp = self.client.get(&url).send().await?;
            let status = resp.status();
            let body = resp.bytes().await?;
            Ok::<_, reqwest::Error>((status, body))
        })
        .await;
        match got {
            Ok(Ok((status, body))) if status.is_success() => match Robot::new(&self.agent, &body) {
                Ok(robot) => Rules::Parsed(Box::new(robot)),
                Err(_) => Rules::AllowAll,
            },
            Ok(Ok((status, _))) if status.is_client_error() => Rules::AllowAll,
            Ok(Ok((status, _))) => Rules::DisallowAll(format!(
                "{url} answered {}: nothing may be fetched (RFC 9309)",
                status.as_u16()
            )),
            Ok(Err(e)) => Rules::DisallowAll(format!(
                "{url} could not be fetched ({}): nothing may be fetched (RFC 9309)",
                crate::fetch::describe(&e)
            )),
            Err(_) => Rules::DisallowAll(format!(
                "{url} did not arrive within --timeout: nothing may be fetched (RFC 9309)"
            )),
        }
    }
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
