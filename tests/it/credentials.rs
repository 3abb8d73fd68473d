//! Credentials (`-H` Authorization and Cookie, a URL's userinfo) reach
//! only the origin of the input they came with: not another port, address
//! or host found by a crawl, a sitemap (nested ones too),
//! `--check-external` or a redirect; after `--resume`, only origins the
//! input names. Each test also checks that the other servers were asked
//! at all, so that it cannot pass by asking nobody.

use crate::support::{Server, by_url, run};

/// A query of `u=` values for the test server's `/links`, `/urlset` and
/// `/sitemapindex`.
pub(crate) fn query(urls: &[&str]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for u in urls {
        q.append_pair("u", u);
    }
    q.finish()
}

/// The credentials of `-H` (a bearer token and a cookie).
const SECRETS: [&str; 4] = [
    "-H",
    "Authorization: Bearer s3cret",
    "-H",
    "Cookie: sid=s3cret",
];

/// What each request to `server` carried of the credentials: (path,
/// Authorization, Cookie), `None` where it carried nothing.
fn credentials_seen(server: &Server) -> Vec<(String, Option<String>, Option<String>)> {
    let get = |h: &axum::http::HeaderMap, name: &str| {
        h.get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    server
        .spans()
        .iter()
        .map(|s| {
            (
                s.path.clone(),
                get(&s.headers, "authorization"),
                get(&s.headers, "cookie"),
            )
        })
        .collect()
}

/// Fails unless `server` was asked something, and never with credentials.
fn got_no_credentials(server: &Server, what: &str) {
    let seen = credentials_seen(server);
    assert!(
        !seen.is_empty(),
        "{what}: never asked, so this proves nothing"
    );
    let leaked: Vec<_> = seen
        .iter()
        .filter(|(_, a, c)| a.is_some() || c.is_some())
        .collect();
    assert!(leaked.is_empty(), "{what} received credentials: {leaked:?}");
}

/// Fails unless every request to `server` carried the credentials.
fn got_credentials(server: &Server, what: &str) {
    let seen = credentials_seen(server);
    assert!(!seen.is_empty(), "{what}: never asked");
    for (path, auth, cookie) in &seen {
        assert_eq!(auth.as_deref(), Some("Bearer s3cret"), "{what} {path}");
        assert_eq!(cookie.as_deref(), Some("sid=s3cret"), "{what} {path}");
    }
}

/// Three origins: the seed's, another port of its address, another
/// address; each logs the headers it receives.
pub(crate) fn three_origins() -> (Server, Server, Server) {
    (
        Server::start_on("127.0.0.1"),
        Server::start_on("127.0.0.1"),
        Server::start_on("127.0.0.2"),
    )
}

#[test]
fn credentials_reach_only_the_seeds_origin_across_crawl_links_and_redirects() {
    let (a, port, other) = three_origins();
    // The seed links to its own origin, the other port, the other address,
    // and to a redirect from its origin to the other address.
    let seed = a.url(&format!(
        "/links?{}",
        query(&[
            &a.url("/echo"),
            &port.url("/echo"),
            &other.url("/echo"),
            &a.url(&format!("/to?url={}", other.url("/page/simple.html"))),
        ])
    ));
    let mut args = vec!["--crawl", "--scope", "any", "--depth", "1"];
    args.extend(SECRETS);
    args.push(&seed);
    let (recs, stderr, code) = run(&args, "");
    assert_eq!((recs.len(), code), (5, 0), "{stderr}");
    got_credentials(&a, "the seed's origin");
    got_no_credentials(&port, "another port of the seed's address");
    got_no_credentials(&other, "another address");
    assert!(other.paths().contains(&"/page/simple.html".to_owned()));
}

#[test]
fn credentials_stay_off_external_links_and_in_scope_hosts_of_another_origin() {
    let (a, port, other) = three_origins();
    let seed = a.url(&format!(
        "/links?{}",
        query(&[&a.url("/echo"), &port.url("/echo"), &other.url("/echo")])
    ));
    // The default scope (host) takes the other port in, and --check-external
    // checks the other address.
    let mut args = vec!["--crawl", "--check-external"];
    args.extend(SECRETS);
    args.push(&seed);
    let (recs, stderr, code) = run(&args, "");
    assert_eq!((recs.len(), code), (4, 0), "{stderr}");
    let by = by_url(&recs);
    assert_eq!(by[&other.url("/echo")]["depth"], 1);
    got_credentials(&a, "the seed's origin");
    got_no_credentials(&port, "an in-scope host of another port");
    got_no_credentials(&other, "an external link");
}

#[test]
fn sitemap_urls_and_nested_sitemaps_get_credentials_only_on_the_sitemaps_origin() {
    let (a, port, other) = three_origins();
    // A sitemap index on the seed's origin lists a sitemap on its origin
    // and one on the other address; each lists pages on all three.
    let pages = query(&[&a.url("/echo"), &port.url("/echo"), &other.url("/echo")]);
    let elsewhere = query(&[&a.url("/page/simple.html"), &other.url("/page/other.html")]);
    let index = a.url(&format!(
        "/sitemapindex?{}",
        query(&[
            &a.url(&format!("/urlset?{pages}")),
            &other.url(&format!("/urlset?{elsewhere}")),
        ])
    ));
    let mut args = vec!["--sitemap", &index];
    args.extend(SECRETS);
    let (recs, stderr, code) = run(&args, "");
    assert_eq!((recs.len(), code), (5, 0), "{stderr}");
    got_credentials(&a, "the sitemap's origin");
    got_no_credentials(&port, "a sitemap URL on another port");
    got_no_credentials(&other, "a nested sitemap and a URL on another address");
    assert!(other.paths().iter().any(|p| p.starts_with("/urlset")));
}

#[test]
fn a_seeds_userinfo_goes_only_to_its_origin() {
    let a = Server::start_on("127.0.0.1");
    let other = Server::start_on("127.0.0.2");
    // The page's own link to another host carries a userinfo of its own:
    // the server's, not the user's, and not sent either.
    let mut foreign = url::Url::parse(&other.url("/page/other.html")).expect("url");
    foreign.set_username("planted").expect("userinfo");
    let seed = a
        .url(&format!(
            "/links?{}",
            query(&["/echo", &other.url("/echo"), foreign.as_str()])
        ))
        .replacen("http://", "http://user:pw@", 1);
    let dir = tempfile::tempdir().expect("tempdir");
    let junit = dir.path().join("junit.xml");
    let junit = junit.to_str().expect("path");
    let args = [
        "--crawl", "--scope", "any", "--depth", "1", "-vv", "--junit", junit, &seed,
    ];
    let (recs, stderr, code) = run(&args, "");
    assert_eq!((recs.len(), code), (4, 0), "{stderr}");
    // "user:pw" in Basic.
    for (path, auth, _) in credentials_seen(&a) {
        assert_eq!(auth.as_deref(), Some("Basic dXNlcjpwdw=="), "{path}");
    }
    got_no_credentials(&other, "another address");
    // Logs and reports mask the password; the records keep the input line.
    assert!(stderr.contains("user:***@"), "{stderr}");
    let report = std::fs::read_to_string(junit).expect("junit");
    assert!(report.contains("user:***@"), "{report}");
    for shown in [&stderr, &report] {
        assert!(!shown.contains(":pw@"), "{shown}");
    }
    assert_eq!(recs.iter().filter(|r| r["url"] == seed.as_str()).count(), 1);
}

#[test]
fn a_resumed_crawl_sends_credentials_only_to_origins_its_input_names() {
    let (a, port, _) = three_origins();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out.jsonl");
    let out = out.to_str().expect("path");
    let seed = a.url(&format!(
        "/links?{}",
        query(&[&a.url("/echo"), &port.url("/echo")])
    ));
    // The first run stops after the seed; the second puts its links back.
    let mut args = vec!["--crawl", "-o", out, "--max-pages", "1"];
    args.extend(SECRETS);
    args.push(&seed);
    let (_, stderr, code) = run(&args, "");
    assert_eq!(code, 0, "{stderr}");
    assert!(port.paths().is_empty());
    let mut args = vec!["--crawl", "-o", out, "--resume"];
    args.extend(SECRETS);
    args.push(&seed);
    let (_, stderr, code) = run(&args, "");
    assert_eq!(code, 0, "{stderr}");
    let written = std::fs::read_to_string(out).expect("output");
    assert_eq!(written.lines().count(), 3, "{written}");
    got_credentials(&a, "the seed's origin");
    got_no_credentials(&port, "another port, put back by --resume");
}
