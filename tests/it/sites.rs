//! Real sites (issue 28): request lines beyond GET, settings per host,
//! sessions, proxies and pagination, with secrets kept to their hosts.

use crate::support::{Proxy, Server, records, run};
use serde_json::{Value, json};

/// A request object as one input line.
fn line(v: &Value) -> String {
    format!("{v}\n")
}

#[test]
fn request_lines_send_their_method_headers_and_body() {
    let s = Server::start();
    let url = s.url("/method");
    let input = [
        line(&json!({"url": url, "method": "POST", "form": {"q": "rust lang"}})),
        line(&json!({"url": url, "method": "POST", "form": {"q": "go"}})),
        // The same request again is a repeat: one record.
        line(&json!({"url": url, "method": "POST", "form": {"q": "go"}})),
        line(&json!({"url": url, "method": "PUT", "body": {"a": 1}, "headers": {"X-Test": "yes"}})),
        line(&json!({"url": url, "method": "post", "body": "raw", "headers": {"Content-Type": "text/plain"}})),
        line(&json!({"url": s.url("/page/simple.html")})),
    ]
    .concat();
    let (recs, _, code) = run(&["-q"], &input);
    assert_eq!((recs.len(), code), (5, 0), "{recs:#?}");
    let titles: Vec<(&str, &str)> = recs
        .iter()
        .map(|r| {
            (
                r["method"].as_str().unwrap_or("-"),
                r["title"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    for want in [
        (
            "POST",
            "POST ct=application/x-www-form-urlencoded body=q=rust+lang",
        ),
        (
            "POST",
            "POST ct=application/x-www-form-urlencoded body=q=go",
        ),
        ("PUT", "PUT ct=application/json body={\"a\":1}"),
        ("POST", "POST ct=text/plain body=raw"),
        ("GET", "A simple page"),
    ] {
        assert!(titles.contains(&want), "{want:?} not in {titles:?}");
    }
    for r in &recs {
        assert_eq!(
            r["url"]
                .as_str()
                .map(|u| u.starts_with("http://127.0.0.1:")),
            Some(true)
        );
        let has_body = r["method"] != "GET";
        assert_eq!(r["body_hash"].as_str().is_some(), has_body, "{r}");
    }
    let put = s
        .spans()
        .into_iter()
        .find(|sp| sp.method == "PUT")
        .expect("a PUT");
    assert_eq!(put.headers["x-test"], "yes");
}

#[test]
fn redirects_turn_a_post_into_a_get_except_307_and_308() {
    let s = Server::start();
    let target = s.url("/method");
    let input: String = [301, 302, 303, 307, 308]
        .iter()
        .map(|code| {
            let from = format!("{}?url={target}&c={code}", s.url(&format!("/moved/{code}")));
            line(&json!({"url": from, "method": "POST", "body": format!("b{code}")}))
        })
        .collect();
    let (recs, _, code) = run(&["-q"], &input);
    assert_eq!((recs.len(), code), (5, 0));
    for r in &recs {
        let status: u16 = r["url"]
            .as_str()
            .and_then(|u| u.rsplit("c=").next())
            .and_then(|c| c.parse().ok())
            .expect("code");
        let title = r["title"].as_str().expect("title");
        let want = if status >= 307 {
            format!("POST ct=none body=b{status}")
        } else {
            "GET ct=none body=".to_owned()
        };
        assert_eq!(title, want, "{status}");
        assert_eq!(r["method"], "POST", "the record keeps the line's method");
    }
}

#[test]
fn bad_request_objects_get_invalid_url_records() {
    let input =
        "{\"url\": \"https://a.test/\", \"verb\": \"GET\"}\n{not json\n{\"method\":\"POST\"}\n";
    let (recs, _, code) = run(&["-q"], input);
    assert_eq!((recs.len(), code), (3, 1));
    for r in &recs {
        assert_eq!(r["error"]["kind"], "invalid_url", "{r}");
    }
}

#[test]
fn resume_knows_request_lines_by_method_and_body() {
    let s = Server::start();
    let url = s.url("/method");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out.jsonl");
    let out = out.to_str().expect("path");
    let first = [
        line(&json!({"url": url, "method": "POST", "body": "a"})),
        line(&json!({"url": url, "method": "POST", "body": "b"})),
    ]
    .concat();
    let (_, _, code) = run(&["-q", "-o", out], &first);
    assert_eq!(code, 0);
    let more = format!(
        "{first}{}",
        line(&json!({"url": url, "method": "POST", "body": "c"}))
    );
    let (_, _, code) = run(&["-q", "-o", out, "--resume"], &more);
    assert_eq!(code, 0);
    let recs = records(&std::fs::read(out).expect("read"));
    let mut bodies: Vec<&str> = recs.iter().filter_map(|r| r["title"].as_str()).collect();
    bodies.sort_unstable();
    assert_eq!(
        bodies,
        [
            "POST ct=none body=a",
            "POST ct=none body=b",
            "POST ct=none body=c"
        ]
    );
    assert_eq!(s.spans().len(), 3, "a and b are not sent again");
}

#[test]
fn a_post_is_not_sent_again_once_it_may_have_arrived() {
    let s = Server::start();
    let input = line(&json!({"url": s.url("/status/502"), "method": "POST", "body": "x"}));
    let (recs, _, code) = run(&["-q", "--retries", "3"], &input);
    assert_eq!((recs.len(), code), (1, 1));
    assert_eq!(recs[0]["attempts"], 1);
    // A GET of the same URL is retried.
    let (recs, _, _) = run(
        &["-q", "--retries", "1"],
        &format!("{}\n", s.url("/status/502")),
    );
    assert_eq!(recs[0]["attempts"], 2);
}

#[test]
fn a_request_lines_credentials_stay_on_its_origin() {
    let a = Server::start_on("127.0.0.1");
    let b = Server::start_on("127.0.0.2");
    let to_b = format!("{}?url={}", a.url("/moved/307"), b.url("/method"));
    let input = line(&json!({
        "url": to_b, "method": "POST", "body": "x",
        "headers": {"Authorization": "Bearer s3cret", "Cookie": "sid=1", "X-Test": "plain"}
    }));
    let (recs, _, code) = run(&["-q"], &input);
    assert_eq!((recs.len(), code), (1, 0), "{recs:?}");
    let at_a = a.spans();
    assert_eq!(at_a[0].headers["authorization"], "Bearer s3cret");
    let at_b = b.spans();
    assert_eq!(at_b.len(), 1);
    assert!(at_b[0].headers.get("authorization").is_none());
    assert!(at_b[0].headers.get("cookie").is_none());
    assert_eq!(at_b[0].method, "POST");
}

#[test]
fn follow_walks_a_listing_to_its_end_and_nothing_else() {
    let s = Server::start();
    let seed = s.url("/list/1?of=7");
    let (recs, _, code) = run(
        &[
            "-q",
            "--follow",
            "a[rel=next]",
            "-s",
            "item[]=.product h2",
            &seed,
        ],
        "",
    );
    assert_eq!(code, 0);
    let mut titles: Vec<&str> = recs.iter().filter_map(|r| r["title"].as_str()).collect();
    titles.sort_unstable();
    // Seven pages: past the default crawl depth of 3, and not the page
    // that the unrelated link names.
    let want: Vec<String> = (1..=7).map(|n| format!("list {n}")).collect();
    assert_eq!(titles, want);
    for r in &recs {
        let n = r["title"]
            .as_str()
            .and_then(|t| t.strip_prefix("list "))
            .expect("n");
        assert_eq!(
            r["fields"]["item"],
            json!([format!("item {n}a"), format!("item {n}b")])
        );
        assert!(r.get("links").is_none(), "links were not asked for: {r}");
        assert!(r["fields"].get("\u{0}follow").is_none());
        assert_eq!(r["depth"].as_u64(), n.parse::<u64>().ok().map(|n| n - 1));
    }
    // --depth cuts it.
    let (recs, _, _) = run(
        &[
            "-q",
            "--follow",
            ".pagination a[rel=next]",
            "--depth",
            "2",
            &seed,
        ],
        "",
    );
    assert_eq!(recs.len(), 3);
    // A bar that links every page reaches them all at depth 1, named by
    // its links or by itself.
    for css in [".pagination a", "nav.pagination"] {
        let (recs, _, _) = run(&["-q", "--follow", css, "--depth", "1", &seed], "");
        assert_eq!(recs.len(), 7, "{css}");
    }
}

#[test]
fn follow_alone_keeps_to_the_scope_unless_told() {
    let a = Server::start_on("127.0.0.1");
    let b = Server::start_on("127.0.0.2");
    let seed = format!("{}&then={}", a.url("/list/1?of=2"), b.url("/list/1?of=1"));
    let (recs, _, _) = run(&["-q", "--follow", "a[rel=next]", &seed], "");
    assert_eq!(recs.len(), 2, "another host is out of the default scope");
    assert_eq!(b.hits(), 0);
    let (recs, _, _) = run(
        &["-q", "--follow", "a[rel=next]", "--scope", "any", &seed],
        "",
    );
    assert_eq!(recs.len(), 3);
    assert_eq!(b.hits(), 1);
}

#[test]
fn follow_with_crawl_adds_its_links_to_the_scope() {
    let a = Server::start_on("127.0.0.1");
    let b = Server::start_on("127.0.0.2");
    // The last page's next link leads to another host: out of the crawl's
    // scope, but --follow names it.
    let seed = format!("{}&then={}", a.url("/list/1?of=2"), b.url("/list/1?of=1"));
    let (recs, _, code) = run(
        &[
            "-q",
            "--crawl",
            "--depth",
            "3",
            "--follow",
            "a[rel=next]",
            "-H",
            "Authorization: Bearer s3cret",
            &seed,
        ],
        "",
    );
    assert_eq!(code, 0, "{recs:#?}");
    let urls: Vec<&str> = recs.iter().filter_map(|r| r["url"].as_str()).collect();
    assert!(
        urls.contains(&a.url("/page/simple.html").as_str()),
        "in-scope links are crawled: {urls:?}"
    );
    assert!(urls.contains(&b.url("/list/1?of=1").as_str()), "{urls:?}");
    assert!(
        recs.iter().all(|r| r.get("links").is_some()),
        "a crawl's records carry links"
    );
    // The other host got no credentials, and its own links (in another
    // scope) were not crawled.
    let at_b = b.spans();
    assert_eq!(
        at_b.len(),
        1,
        "{:?}",
        at_b.iter().map(|s| &s.path).collect::<Vec<_>>()
    );
    assert!(at_b[0].headers.get("authorization").is_none());
    assert!(
        a.spans()
            .iter()
            .all(|s| s.headers.get("authorization").is_some())
    );
}

#[test]
fn follow_and_depth_are_checked() {
    for (args, want) in [
        (
            vec!["--depth", "2", "http://127.0.0.1:9/"],
            "--crawl|--follow",
        ),
        (
            vec!["--scope", "any", "http://127.0.0.1:9/"],
            "--crawl|--follow",
        ),
        (vec!["--follow", "a[", "http://127.0.0.1:9/"], "--follow"),
        (
            vec!["--follow", "a", "--ordered", "http://127.0.0.1:9/"],
            "cannot be used with",
        ),
    ] {
        let out = crate::support::trawl().args(&args).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

/// The titles of `recs`, by the path of their `url`.
fn titles_by_path(recs: &[Value]) -> std::collections::HashMap<String, String> {
    recs.iter()
        .map(|r| {
            let url = url::Url::parse(r["url"].as_str().unwrap_or_default()).expect("url");
            (
                url.path().to_owned(),
                r["title"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect()
}

#[test]
fn without_a_jar_no_cookie_is_kept() {
    let s = Server::start();
    let input = format!("{}\n{}\n", s.url("/login"), s.url("/whoami"));
    let (recs, _, code) = run(&["-q", "-c", "1"], &input);
    assert_eq!(code, 1, "whoami is a 401: {recs:?}");
    assert_eq!(titles_by_path(&recs)["/whoami"], "who?");
}

#[test]
fn a_cookie_jar_keeps_the_session_and_writes_it_out() {
    let s = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let jar = dir.path().join("jar.txt");
    let jar = jar.to_str().expect("path");
    let input = format!("{}\n{}\n", s.url("/login"), s.url("/whoami"));
    let (recs, _, code) = run(&["-q", "-c", "1", "--cookie-jar", jar], &input);
    assert_eq!(code, 0, "{recs:?}");
    assert_eq!(titles_by_path(&recs)["/whoami"], "cookie sid=s3cret");
    let text = std::fs::read_to_string(jar).expect("the jar is written");
    let line = text
        .lines()
        .find(|l| l.contains("\tsid\t"))
        .expect("sid in the jar");
    assert_eq!(line, "#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\ts3cret");
    // A later run reads it back with --cookies.
    let (recs, _, code) = run(
        &["-q", "--cookies", jar],
        &format!("{}\n", s.url("/whoami")),
    );
    assert_eq!(code, 0);
    assert_eq!(recs[0]["title"], "cookie sid=s3cret");
}

#[test]
fn cookies_go_by_their_domain_not_across_hosts() {
    let a = Server::start_on("127.0.0.1");
    let b = Server::start_on("127.0.0.2");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("cookies.txt");
    std::fs::write(
        &file,
        "# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tpre\t1\n",
    )
    .expect("write");
    // Log in on a, which redirects to b; then ask both who we are.
    let login = format!("{}?then={}", a.url("/login"), b.url("/whoami"));
    let input = format!(
        "{login}\n{}\n{}\n",
        a.url("/whoami"),
        b.url("/whoami?again")
    );
    let (recs, _, _) = run(
        &["-q", "-c", "1", "--cookies", file.to_str().expect("path")],
        &input,
    );
    let by_url = crate::support::by_url(&recs);
    let mut sent: Vec<&str> = by_url[&a.url("/whoami")]["title"]
        .as_str()
        .and_then(|t| t.strip_prefix("cookie "))
        .expect("a sent cookies")
        .split("; ")
        .collect();
    sent.sort_unstable();
    assert_eq!(sent, ["pre=1", "sid=s3cret"]);
    assert_eq!(
        by_url[&login]["status"], 401,
        "b got no cookie after the redirect"
    );
    assert_eq!(by_url[&b.url("/whoami?again")]["status"], 401);
    assert!(b.spans().iter().all(|s| s.headers.get("cookie").is_none()));
}

#[test]
fn resume_reloads_the_cookie_jar() {
    let s = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let jar = dir.path().join("jar.txt");
    let out = dir.path().join("out.jsonl");
    let (jar, out) = (jar.to_str().expect("path"), out.to_str().expect("path"));
    let (_, _, code) = run(
        &["-q", "--cookie-jar", jar, "-o", out],
        &format!("{}\n", s.url("/login")),
    );
    assert_eq!(code, 0);
    let input = format!("{}\n{}\n", s.url("/login"), s.url("/whoami"));
    let (_, _, code) = run(&["-q", "--cookie-jar", jar, "-o", out, "--resume"], &input);
    assert_eq!(code, 0);
    let recs = records(&std::fs::read(out).expect("read"));
    assert_eq!(recs.len(), 2);
    assert_eq!(titles_by_path(&recs)["/whoami"], "cookie sid=s3cret");
}

#[test]
fn a_cookie_jar_never_overwrites_the_records_or_a_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out.jsonl");
    let out = out.to_str().expect("path");
    let d = dir.path().to_str().expect("path");
    for (args, want) in [
        (vec!["-o", out, "--cookie-jar", out], "the same file"),
        (vec!["--cookie-jar", d], "a directory"),
    ] {
        let res = crate::support::trawl()
            .args(&args)
            .arg("http://127.0.0.1:9/")
            .output()
            .expect("run");
        assert_eq!(res.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&res.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn a_bad_cookie_file_is_a_usage_error_naming_the_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("cookies.txt");
    std::fs::write(&file, "# ok\nnot a cookie line\n").expect("write");
    let out = crate::support::trawl()
        .args([
            "--cookies",
            file.to_str().expect("path"),
            "http://127.0.0.1:9/",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cookies.txt:2"), "{err}");
}

/// Runs trawl with `args` and `stdin`, `NO_PROXY` set to `no_proxy`
/// (the other tests run with `*`, which would bypass every proxy).
fn run_no_proxy(args: &[&str], stdin: &str, no_proxy: &str) -> (Vec<Value>, String, i32) {
    let mut cmd = crate::support::trawl();
    cmd.env("NO_PROXY", no_proxy);
    let out = assert_cmd::Command::from_std(cmd)
        .args(args)
        .write_stdin(stdin.to_owned())
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("run trawl");
    (
        records(&out.stdout),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// `n` distinct URLs of `s`.
fn urls(s: &Server, n: usize) -> String {
    (0..n)
        .map(|i| format!("{}\n", s.url(&format!("/page/simple.html?i={i}"))))
        .collect()
}

#[test]
fn a_proxy_carries_every_request_with_its_credentials_kept_from_records() {
    let s = Server::start();
    let p = Proxy::start();
    let proxy = p.url(Some("user:pa55"));
    let (recs, err, code) = run_no_proxy(&["-q", "-v", "--proxy", &proxy], &urls(&s, 5), "");
    assert_eq!((recs.len(), code), (5, 0), "{err}");
    assert_eq!(p.hits(), 5);
    for r in &recs {
        assert_eq!(r["proxy"], p.url(None), "credentials masked: {r}");
    }
    // Basic user:pa55.
    assert!(
        p.auth()
            .iter()
            .all(|a| a.as_deref() == Some("Basic dXNlcjpwYTU1")),
        "{:?}",
        p.auth()
    );
    assert!(
        s.spans()
            .iter()
            .all(|sp| sp.headers.get("proxy-authorization").is_none())
    );
    assert!(
        !err.contains("pa55"),
        "the -v log shows the proxy's password: {err}"
    );
}

#[test]
fn rotation_spreads_requests_evenly_and_a_dead_proxy_loses_nothing() {
    let s = Server::start();
    let proxies: Vec<Proxy> = (0..4).map(|_| Proxy::start()).collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("proxies.txt");
    let list: String = proxies
        .iter()
        .map(|p| format!("{}\n", p.url(None)))
        .collect();
    std::fs::write(&file, format!("# the pool\n{list}")).expect("write");
    let file = file.to_str().expect("path");
    let (recs, _, code) = run_no_proxy(
        &["-q", "--proxy-file", file, "--proxy-rotate", "request"],
        &urls(&s, 200),
        "",
    );
    assert_eq!((recs.len(), code), (200, 0));
    let hits: Vec<usize> = proxies.iter().map(Proxy::hits).collect();
    assert!(
        hits.iter().all(|&h| (45..=55).contains(&h)),
        "not within 10 % of even: {hits:?}"
    );
    // One proxy dies: its share moves to the others, every page is ok,
    // and no attempt is spent on it.
    proxies[1].kill();
    let (recs, _, code) = run_no_proxy(
        &[
            "-q",
            "--proxy-file",
            file,
            "--proxy-rotate",
            "request",
            "--retries",
            "0",
        ],
        &urls(&s, 120),
        "",
    );
    assert_eq!((recs.len(), code), (120, 0));
    assert!(
        recs.iter()
            .all(|r| r["attempts"] == 1 && r["proxy"] != proxies[1].url(None))
    );
    let after: Vec<usize> = proxies
        .iter()
        .zip(&hits)
        .map(|(p, h)| p.hits() - h)
        .collect();
    assert_eq!(after[1], 0);
    assert_eq!(after.iter().sum::<usize>(), 120, "{after:?}");
    // Its share is spread over the three others, not handed to one.
    for i in [0, 2, 3] {
        assert!((36..=44).contains(&after[i]), "{after:?}");
    }
}

#[test]
fn each_host_keeps_its_proxy_and_no_proxy_hosts_go_direct() {
    let a = Server::start_on("127.0.0.1");
    let b = Server::start_on("127.0.0.2");
    let (p, q) = (Proxy::start(), Proxy::start());
    let input = format!("{}{}", urls(&a, 10), urls(&b, 10));
    let args = ["-q", "--proxy", &p.url(None), "--proxy", &q.url(None)];
    let (recs, _, code) = run_no_proxy(&args, &input, "");
    assert_eq!((recs.len(), code), (20, 0));
    let proxy_of = |host: &str| -> std::collections::HashSet<String> {
        recs.iter()
            .filter(|r| r["url"].as_str().is_some_and(|u| u.contains(host)))
            .map(|r| r["proxy"].to_string())
            .collect()
    };
    let (pa, pb) = (proxy_of("127.0.0.1"), proxy_of("127.0.0.2"));
    assert_eq!((pa.len(), pb.len()), (1, 1), "{pa:?} {pb:?}");
    assert_ne!(pa, pb, "two hosts, two proxies");
    // NO_PROXY sends 127.0.0.2 direct: no proxy on its records.
    let before = p.hits() + q.hits();
    let (recs, _, code) = run_no_proxy(&args, &input, "127.0.0.2");
    assert_eq!((recs.len(), code), (20, 0));
    assert_eq!(p.hits() + q.hits() - before, 10);
    for r in &recs {
        let direct = r["url"].as_str().is_some_and(|u| u.contains("127.0.0.2"));
        assert_eq!(r.get("proxy").is_none(), direct, "{r}");
    }
}

#[test]
fn bad_proxies_are_usage_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("proxies.txt");
    std::fs::write(&file, "http://127.0.0.1:1\nftp://127.0.0.1:2\n").expect("write");
    for (args, want) in [
        (vec!["--proxy", "ftp://127.0.0.1:1"], "socks5h"),
        (vec!["--proxy", "127.0.0.1:3128"], "not a proxy URL"),
        (
            vec!["--proxy-file", file.to_str().expect("path")],
            "proxies.txt:2",
        ),
        (vec!["--proxy-rotate", "sometimes"], "sometimes"),
    ] {
        let out = crate::support::trawl()
            .args(&args)
            .arg("http://127.0.0.1:9/")
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

/// Writes `text` as a settings file in a new directory.
fn settings_file(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("trawl.toml");
    std::fs::write(&path, text).expect("write");
    let path = path.to_str().expect("path").to_owned();
    (dir, path)
}

#[test]
fn flags_win_over_the_files_defaults_and_rules_win_over_both() {
    let a = Server::start_on("127.0.0.1");
    let b = Server::start_on("127.0.0.2");
    let (_dir, file) = settings_file(
        "user-agent = \"file/1\"\nheader = [\"X-Test: file\"]\n\n\
         [[site]]\nmatch = \"127.0.0.2\"\nuser-agent = \"site/1\"\nheaders = { X-Test = \"site\" }\n",
    );
    let input = format!("{}\n{}\n", a.url("/echo"), b.url("/echo"));
    let (recs, _, code) = run(&["-q", "--config", &file], &input);
    assert_eq!(code, 0);
    let m = crate::support::by_url(&recs);
    assert_eq!(m[&a.url("/echo")]["title"], "ua=file/1 auth=none x=file");
    assert_eq!(m[&b.url("/echo")]["title"], "ua=site/1 auth=none x=site");
    // A flag on the command line replaces the file's value of it.
    let (recs, _, _) = run(
        &["-q", "--config", &file, "-A", "cli/1", "-H", "X-Test: cli"],
        &input,
    );
    let m = crate::support::by_url(&recs);
    assert_eq!(m[&a.url("/echo")]["title"], "ua=cli/1 auth=none x=cli");
    assert_eq!(m[&b.url("/echo")]["title"], "ua=site/1 auth=none x=site");
}

#[test]
fn a_rules_credentials_reach_its_hosts_only() {
    let a = Server::start_on("127.0.0.1");
    let b = Server::start_on("127.0.0.2");
    let (_dir, file) = settings_file(
        "[[site]]\nmatch = \"127.0.0.1\"\nauth = { bearer = \"t0ken\" }\ncookies = { sid = \"s3cret\" }\n",
    );
    // a redirects to b; a page of a links to b and a crawl follows it.
    let redirect = format!("{}?url={}", a.url("/to"), b.url("/echo"));
    let links = format!(
        "{}?{}",
        a.url("/links"),
        crate::credentials::query(&[&b.url("/page/simple.html")])
    );
    let input = format!("{}\n{redirect}\n", a.url("/whoami"));
    let (recs, _, code) = run(&["-q", "--config", &file], &input);
    assert_eq!(code, 0, "{recs:?}");
    let m = crate::support::by_url(&recs);
    assert_eq!(m[&a.url("/whoami")]["title"], "cookie sid=s3cret");
    assert_eq!(
        m[&redirect]["title"],
        "ua=trawl/0.1.0 auth=none x=none".replace("0.1.0", env!("CARGO_PKG_VERSION"))
    );
    let (_, _, code) = run(
        &[
            "-q", "--config", &file, "--crawl", "--scope", "any", "--depth", "1", &links,
        ],
        "",
    );
    assert_eq!(code, 0);
    assert!(a.spans().iter().all(|s| {
        s.headers
            .get("authorization")
            .is_some_and(|v| v == "Bearer t0ken")
    }));
    let at_b = b.spans();
    assert!(at_b.len() >= 2, "b was asked: {}", at_b.len());
    assert!(
        at_b.iter()
            .all(|s| s.headers.get("authorization").is_none() && s.headers.get("cookie").is_none())
    );
}

#[test]
fn rules_set_per_host_timeout_robots_and_proxy_for_their_hosts() {
    let a = Server::start_on("127.0.0.1");
    let b = Server::start_on("127.0.0.2");
    let p = Proxy::start();
    b.set_robots(200, "User-agent: *\nDisallow: /page/\n");
    a.set_robots(200, "User-agent: *\nDisallow: /page/\n");
    let (_dir, file) = settings_file(&format!(
        "per-host = 4\n\n[[site]]\nmatch = \"127.0.0.1\"\nper-host = 1\nproxy = \"{}\"\n\n\
         [[site]]\nmatch = \"127.0.0.2\"\ntimeout = \"500ms\"\nrobots = true\n",
        p.url(None)
    ));
    let slow: String = (0..4)
        .map(|i| format!("{}\n", a.url(&format!("/delay/150?i={i}"))))
        .collect();
    let input = format!(
        "{slow}{}\n{}\n{}\n",
        b.url("/delay/3000"),
        b.url("/page/simple.html"),
        a.url("/page/simple.html")
    );
    let started = std::time::Instant::now();
    let (recs, _, _) = run_no_proxy(&["-q", "--config", &file], &input, "");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(recs.len(), 7);
    let m = crate::support::by_url(&recs);
    // 127.0.0.1: one request at a time, all through the rule's proxy.
    assert_eq!(a.max_inflight(), 1);
    assert_eq!(p.hits(), 5);
    assert!(
        recs.iter()
            .filter(|r| r["url"].as_str().is_some_and(|u| u.contains("127.0.0.1")))
            .all(|r| r["proxy"] == p.url(None) && r["ok"] == true)
    );
    // 127.0.0.2: its own timeout and robots.txt; direct.
    assert_eq!(crate::support::kind(&m[&b.url("/delay/3000")]), "timeout");
    assert_eq!(
        crate::support::kind(&m[&b.url("/page/simple.html")]),
        "robots_disallowed"
    );
    assert!(m[&b.url("/delay/3000")].get("proxy").is_none());
    // Without the rule, 127.0.0.1 takes the file's four at once.
    let (_dir2, plain) = settings_file("per-host = 4\n");
    run(&["-q", "--config", &plain], &slow.replace("?i=", "?j="));
    assert!(a.max_inflight() > 1, "{}", a.max_inflight());
}

#[test]
fn explain_shows_what_applies_and_where_it_came_from_with_secrets_masked() {
    let s = Server::start();
    let (_dir, file) = settings_file(
        "concurrency = 20\ntimeout = \"15s\"\n\n[[site]]\nmatch = \"*.example.com\"\nauth = { bearer = \"t0ken\" }\n\
         cookies = { sid = \"s3cret\" }\nproxy = \"http://u:pr0xy-pw@127.0.0.1:9\"\ntimeout = \"1m\"\n",
    );
    let out = crate::support::trawl()
        .args([
            "--config",
            &file,
            "--explain",
            "https://www.example.com/a",
            "-c",
            "5",
            &s.url("/"),
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |key: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(key))
            .unwrap_or_else(|| panic!("no {key} in {text}"))
            .to_owned()
    };
    assert!(
        line("concurrency").contains("5") && line("concurrency").contains("command line"),
        "{text}"
    );
    assert!(
        line("timeout").contains("1m") && line("timeout").contains("trawl.toml:9"),
        "{text}"
    );
    assert!(line("proxy").contains("http://127.0.0.1:9"), "{text}");
    assert!(
        text.contains("authorization: Bearer ***") && text.contains("cookie: sid=***"),
        "{text}"
    );
    assert!(
        !text.contains("t0ken") && !text.contains("s3cret") && !text.contains("pr0xy-pw"),
        "{text}"
    );
    assert_eq!(s.hits(), 0, "--explain fetches nothing");
    // Another URL: no rule, the file's timeout.
    let out = crate::support::trawl()
        .args(["--config", &file, "--explain", "https://other.test/"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.contains("timeout") && l.contains("15s") && l.contains("trawl.toml:2")),
        "{text}"
    );
    assert!(!text.contains("Bearer"), "{text}");
}

#[test]
fn settings_file_mistakes_name_file_line_and_key() {
    for (text, want) in [
        ("concurrency = 0\n", "trawl.toml:1: concurrency:"),
        ("colour = \"red\"\n", "trawl.toml:1: colour: not a flag"),
        (
            "\n\nrobots = \"yes\"\n",
            "trawl.toml:3: robots: is a switch",
        ),
        (
            "[[site]]\nmatch = \"a.test\"\nspeed = 1\n",
            "trawl.toml:3: [[site]] speed: unknown key",
        ),
        (
            "[[site]]\nmatch = \"a.test\"\ntimeout = \"soon\"\n",
            "trawl.toml:3: [[site]] timeout",
        ),
        ("timeout = \n", "not valid TOML"),
    ] {
        let (_dir, file) = settings_file(text);
        let out = crate::support::trawl()
            .args(["--config", &file, "http://127.0.0.1:9/"])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{text}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{text:?}: {err}");
    }
    // No file is read unless named: a broken trawl.toml beside the run is
    // ignored.
    let (dir, _) = settings_file("this is not toml [\n");
    let s = Server::start();
    let out = crate::support::trawl()
        .current_dir(dir.path())
        .args(["-q", &s.url("/page/simple.html")])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_pool_of_dead_proxies_fails_fast_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("proxies.txt");
    // Ports nothing listens on: each refuses at once.
    let dead: Vec<Proxy> = (0..3).map(|_| Proxy::start()).collect();
    dead.iter().for_each(Proxy::kill);
    let mut list: String = dead.iter().map(|p| format!("{}\n", p.url(None))).collect();
    list.push_str(&list.repeat(100));
    std::fs::write(&file, list).expect("write");
    let started = std::time::Instant::now();
    let (recs, _, code) = run_no_proxy(
        &[
            "-q",
            "--retries",
            "0",
            "--proxy-file",
            file.to_str().expect("path"),
            "http://127.0.0.1:9/",
        ],
        "",
        "",
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!((recs.len(), code), (1, 1));
    assert_eq!(crate::support::kind(&recs[0]), "connect");
    let message = recs[0]["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("through proxy http://127.0.0.1:"),
        "{message}"
    );
}

#[test]
fn a_follow_walk_cut_short_goes_on_with_resume() {
    let s = Server::start();
    let seed = s.url("/list/1?of=7");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out.jsonl");
    let out = out.to_str().expect("path");
    let (_, _, code) = run(&["-q", "--follow", "a[rel=next]", "-o", out, &seed], "");
    assert_eq!(code, 0);
    let text = std::fs::read_to_string(out).expect("read");
    let recs = records(text.as_bytes());
    assert_eq!(recs.len(), 7);
    assert_eq!(
        recs[0]["follow"],
        json!([s.url("/list/2?of=7")]),
        "{}",
        recs[0]
    );
    assert_eq!(recs[6]["follow"], json!([]));
    // As if the run had died after three pages.
    let three: String = text.lines().take(3).map(|l| format!("{l}\n")).collect();
    std::fs::write(out, three).expect("write");
    let (_, _, code) = run(
        &[
            "-q",
            "--follow",
            "a[rel=next]",
            "-o",
            out,
            "--resume",
            &seed,
        ],
        "",
    );
    assert_eq!(code, 0);
    let recs = records(&std::fs::read(out).expect("read"));
    let mut titles: Vec<&str> = recs.iter().filter_map(|r| r["title"].as_str()).collect();
    titles.sort_unstable();
    let want: Vec<String> = (1..=7).map(|n| format!("list {n}")).collect();
    assert_eq!(titles, want);
}

#[test]
fn a_rules_host_rate_paces_its_hosts_only() {
    let a = Server::start_on("127.0.0.1");
    let b = Server::start_on("127.0.0.2");
    let (_dir, file) = settings_file("[[site]]\nmatch = \"127.0.0.1\"\nhost-rate = \"5/s\"\n");
    let input = format!("{}{}", urls(&a, 6), urls(&b, 6));
    let (recs, _, code) = run(&["-q", "--config", &file], &input);
    assert_eq!((recs.len(), code), (12, 0));
    let spread = |s: &Server| {
        let starts = s.starts();
        let first = starts.iter().min().copied().expect("requests");
        let last = starts.iter().max().copied().expect("requests");
        last - first
    };
    // Six requests at 5/s: five gaps of 200 ms.
    assert!(
        spread(&a) >= std::time::Duration::from_millis(800),
        "{:?}",
        spread(&a)
    );
    assert!(
        spread(&b) < std::time::Duration::from_millis(700),
        "{:?}",
        spread(&b)
    );
}
