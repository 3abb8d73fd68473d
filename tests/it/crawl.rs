//! End-to-end tests of `--crawl` against the generated site of
//! `support::site` (thousands of pages, cycles, relative and `<base>`
//! links, redirects on and off the site, a look-alike host, a calendar
//! trap, robots.txt, broken links). Each test walks the site's model
//! itself and checks both what the server saw (which paths, how many
//! times) and the records (one per page, with its depth and parent).

use crate::credentials::{query, three_origins};
use crate::support;

use crate::support::site::{self, Answer};
use crate::support::{Server, by_url, kind, run};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Requests per path, as the server saw them.
fn hits(server: &Server) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for p in server.paths() {
        *m.entry(p).or_default() += 1;
    }
    m
}

/// Fails unless the server saw each path at most once.
fn each_once(server: &Server) -> BTreeSet<String> {
    let hits = hits(server);
    let twice: Vec<_> = hits.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "fetched more than once: {twice:?}");
    hits.into_keys().collect()
}

/// What a crawl of the site should find, walked breadth-first on the model.
#[derive(Default)]
struct Walk {
    /// Record URL → (depth, the pages one level up that link to it).
    pages: BTreeMap<String, (u32, BTreeSet<String>)>,
    /// Paths the crawl requests from the site's own server.
    requested: BTreeSet<String>,
    /// Paths it requests from the peer.
    peer_requested: BTreeSet<String>,
    out_of_scope: u64,
    beyond_depth: u64,
    robots: u64,
}

struct Model<'a> {
    origin: String,
    peer: Option<String>,
    depth: u32,
    /// Path prefix robots.txt disallows, with --robots.
    disallow: Option<&'a str>,
    check_external: bool,
}

impl Model<'_> {
    fn new(server: &Server, depth: u32) -> Model<'static> {
        Model {
            origin: format!("http://{}", server.addr),
            peer: None,
            depth,
            disallow: None,
            check_external: false,
        }
    }

    fn absolute(&self, to: &str) -> String {
        if to.starts_with('/') {
            format!("{}{to}", self.origin)
        } else {
            to.to_owned()
        }
    }

    /// The path of `url` on `origin`, if it is there.
    fn path_on<'u>(url: &'u str, origin: &str) -> Option<&'u str> {
        url.strip_prefix(origin).filter(|p| p.starts_with('/'))
    }

    fn walk(&self, seeds: &[&str]) -> Walk {
        let mut w = Walk::default();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut skipped: BTreeSet<String> = BTreeSet::new();
        let mut level: Vec<String> = Vec::new();
        for s in seeds {
            let u = self.absolute(s);
            if seen.insert(u.clone()) {
                w.pages.insert(u.clone(), (0, BTreeSet::new()));
                level.push(u);
            }
        }
        let mut depth = 0;
        while !level.is_empty() {
            let mut next: Vec<String> = Vec::new();
            for url in &level {
                let (links, follow) = self.visit(url, &mut w, &mut seen);
                if !follow {
                    continue;
                }
                for link in links {
                    let inside = Self::path_on(&link, &self.origin).is_some();
                    let new = !seen.contains(&link);
                    if (inside || self.check_external) && depth + 1 > self.depth {
                        if new && skipped.insert(link) {
                            w.beyond_depth += 1;
                        }
                        continue;
                    }
                    if !inside && !self.check_external {
                        if new && skipped.insert(link) {
                            w.out_of_scope += 1;
                        }
                        continue;
                    }
                    if !new {
                        if let Some((d, parents)) = w.pages.get_mut(&link)
                            && *d == depth + 1
                        {
                            parents.insert(url.clone());
                        }
                        continue;
                    }
                    seen.insert(link.clone());
                    let refused = self.disallow.is_some_and(|d| {
                        Self::path_on(&link, &self.origin).is_some_and(|p| p.starts_with(d))
                    });
                    if refused {
                        w.robots += 1;
                        continue;
                    }
                    w.pages
                        .insert(link.clone(), (depth + 1, BTreeSet::from([url.clone()])));
                    next.push(link);
                }
            }
            level = next;
            depth += 1;
        }
        w
    }

    /// Fetches `url` on the model: the links of the page it lands on, and
    /// whether they are followed.
    fn visit(&self, url: &str, w: &mut Walk, seen: &mut BTreeSet<String>) -> (Vec<String>, bool) {
        let external = Self::path_on(url, &self.origin).is_none();
        let mut current = url.to_owned();
        let mut redirected = false;
        loop {
            let (origin, path) = match Self::path_on(&current, &self.origin) {
                Some(p) => (self.origin.clone(), p.to_owned()),
                None => {
                    let peer = self.peer.clone().expect("a link off the site needs a peer");
                    let p = Self::path_on(&current, &peer).expect("only the peer is linked");
                    (peer, p.to_owned())
                }
            };
            let on_site = origin == self.origin;
            if on_site {
                w.requested.insert(path.clone());
            } else {
                w.peer_requested.insert(path.clone());
            }
            // The peer links to no peer of its own.
            let peer = if on_site { self.peer.as_deref() } else { None };
            match site::answer(&path, peer) {
                Answer::Redirect(to) => {
                    current = if to.starts_with('/') {
                        format!("{origin}{to}")
                    } else {
                        to
                    };
                    redirected = true;
                }
                Answer::Missing => return (Vec::new(), false),
                Answer::Page { links, .. } => {
                    if redirected {
                        seen.insert(current.clone());
                    }
                    let follow = !external && on_site;
                    let links = links
                        .into_iter()
                        .filter(|(_, to)| !to.is_empty())
                        .map(|(_, to)| {
                            if to.starts_with('/') {
                                format!("{origin}{to}")
                            } else {
                                to
                            }
                        })
                        .collect();
                    return (links, follow);
                }
            }
        }
    }
}

/// Checks the records against the walk: one per page, each with its depth
/// and a parent one level up that links to it.
fn check_records(recs: &[Value], w: &Walk) {
    let by = by_url(recs);
    let got: BTreeSet<&String> = by.keys().collect();
    let want: BTreeSet<&String> = w.pages.keys().collect();
    let missing: Vec<_> = want.difference(&got).take(10).collect();
    let extra: Vec<_> = got.difference(&want).take(10).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{} records for {} pages; missing {missing:?}, extra {extra:?}",
        got.len(),
        want.len()
    );
    for (url, (depth, parents)) in &w.pages {
        let rec = &by[url];
        assert_eq!(rec["depth"], *depth, "depth of {url}: {rec}");
        assert!(rec["links"].is_array() || rec["links"].is_null(), "{rec}");
        if *depth == 0 {
            assert!(rec["parent"].is_null(), "{rec}");
        } else {
            let parent = rec["parent"]
                .as_str()
                .unwrap_or_else(|| panic!("no parent: {rec}"));
            assert!(
                parents.contains(parent),
                "{url}: parent {parent} is not a page one level up linking to it ({parents:?})"
            );
        }
    }
}

/// The crawl's counts from the summary line.
fn counts(stderr: &str) -> HashMap<String, u64> {
    let line = stderr
        .lines()
        .find(|l| l.contains("links not followed:"))
        .unwrap_or_else(|| panic!("no crawl counts in the summary:\n{stderr}"));
    let tail = line.split("links not followed:").nth(1).unwrap_or_default();
    tail.split(';')
        .next()
        .unwrap_or_default()
        .split(',')
        .filter_map(|part| {
            let part = part.trim();
            let (n, what) = part.split_once(' ')?;
            Some((what.to_owned(), n.parse().ok()?))
        })
        .collect()
}

#[test]
fn a_site_is_crawled_whole_each_page_once_with_depth_and_parent() {
    let site = Server::start();
    let peer = Server::start_on("127.0.0.2");
    site.set_peer(&peer);
    let seed = site.url("/site/p/0");
    let (recs, stderr, code) = run(&["--crawl", "--depth", "20", &seed], "");
    assert_eq!(code, 1, "broken links fail the run:\n{stderr}");

    let mut model = Model::new(&site, 20);
    model.peer = Some(format!("http://{}", peer.addr));
    let walk = model.walk(&[&seed]);
    assert!(walk.pages.len() > 3000, "{}", walk.pages.len());
    check_records(&recs, &walk);
    assert_eq!(each_once(&site), walk.requested, "paths the site saw");
    assert_eq!(each_once(&peer), walk.peer_requested, "paths the peer saw");
    // The peer saw only where the off-site redirects landed: not the
    // look-alike pages linked, nor the links of the pages it served.
    assert!(
        walk.peer_requested
            .iter()
            .all(|p| p.starts_with("/site/landing/"))
    );
    assert!(!walk.peer_requested.is_empty());

    let by = by_url(&recs);
    // <base href> and relative links resolved; fragments dropped.
    assert!(by.contains_key(&site.url("/site/b/x4")));
    let root = &by[&seed];
    let links: Vec<&str> = root["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(
        links,
        [
            site.url("/site/p/1"),
            site.url("/site/p/2"),
            site.url("/site/p/0")
        ]
    );
    // A redirect on the site: one record, and its landing page's links
    // followed; off the site: recorded, its links not followed.
    let r_in = &by[&site.url("/site/r/in/7")];
    assert_eq!(r_in["final_url"], site.url("/site/landing/7"));
    assert!(by.contains_key(&site.url("/site/landing-child/7")));
    let r_out = &by[&site.url("/site/r/out/8")];
    assert_eq!(
        r_out["final_url"],
        format!("http://{}/site/landing/8", peer.addr)
    );
    assert!(r_out["ok"].as_bool().unwrap());
    // Broken links are records that fail.
    let broken = &by[&site.url("/site/missing/3")];
    assert_eq!(
        (kind(broken), &broken["status"]),
        ("http_status", &Value::from(404))
    );

    let c = counts(&stderr);
    assert_eq!(c["out of scope"], walk.out_of_scope, "{stderr}");
    assert_eq!(c["beyond --depth"], walk.beyond_depth, "{stderr}");
    // 30 look-alike pages and 30 broken links to the peer.
    assert_eq!(walk.out_of_scope, 60);
}

#[test]
fn depth_bounds_a_calendar_trap() {
    let site = Server::start();
    let seed = site.url("/site/cal/2026/6");
    let (recs, stderr, code) = run(&["--crawl", "--depth", "4", "-q", &seed], "");
    assert_eq!(code, 0);
    let walk = Model::new(&site, 4).walk(&[&seed]);
    assert_eq!(walk.pages.len(), 9, "four months either way and the seed");
    check_records(&recs, &walk);
    assert_eq!(each_once(&site), walk.requested);
    assert!(stderr.is_empty(), "{stderr}");
    let (_, stderr, _) = run(&["--crawl", "--depth", "4", &seed], "");
    assert_eq!(counts(&stderr)["beyond --depth"], 2, "{stderr}");
}

#[test]
fn max_pages_bounds_a_trap_and_counts_what_it_cut() {
    let site = Server::start();
    let seed = site.url("/site/cal/2026/6");
    let (recs, stderr, _) = run(
        &["--crawl", "--depth", "100000", "--max-pages", "25", &seed],
        "",
    );
    assert_eq!(recs.len(), 25, "{stderr}");
    assert_eq!(site.hits(), 25);
    each_once(&site);
    let c = counts(&stderr);
    assert!(c["cut by --max-pages"] >= 1, "{stderr}");
    // One page at a time, breadth-first: the 25 nearest months, depth 0
    // to 12, and the two next ones cut.
    let site = Server::start();
    let seed = site.url("/site/cal/2026/6");
    let (recs, stderr, _) = run(
        &[
            "--crawl",
            "--depth",
            "100000",
            "--max-pages",
            "25",
            "-c",
            "1",
            &seed,
        ],
        "",
    );
    assert_eq!(site.hits(), 25);
    let deepest = recs.iter().map(|r| r["depth"].as_u64().unwrap()).max();
    assert_eq!(deepest, Some(12));
    assert_eq!(counts(&stderr)["cut by --max-pages"], 2, "{stderr}");
}

#[test]
fn robots_txt_refusals_are_counted_not_fetched_or_recorded() {
    let site = Server::start();
    site.set_robots(200, "User-agent: *\nDisallow: /site/private/\n");
    let seed = site.url("/site/p/0");
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("summary.json");
    let json_s = json.to_str().expect("utf-8 path");
    let (recs, stderr, _) = run(
        &[
            "--crawl",
            "--depth",
            "20",
            "--robots",
            "--summary-json",
            json_s,
            &seed,
        ],
        "",
    );
    let mut model = Model::new(&site, 20);
    model.disallow = Some("/site/private/");
    let mut walk = model.walk(&[&seed]);
    walk.requested.insert("/robots.txt".into());
    check_records(&recs, &walk);
    let saw = each_once(&site);
    assert_eq!(saw, walk.requested);
    assert!(!saw.iter().any(|p| p.starts_with("/site/private")));
    assert_eq!(walk.robots, 75);
    assert_eq!(
        counts(&stderr)["refused by robots.txt"],
        walk.robots,
        "{stderr}"
    );
    let summary: Value =
        serde_json::from_slice(&std::fs::read(&json).expect("summary")).expect("JSON");
    let crawl = &summary["crawl"];
    assert_eq!(crawl["robots_refused"], walk.robots);
    assert_eq!(crawl["found"], walk.pages.len() as u64 - 1 + walk.robots);
    assert_eq!(crawl["beyond_depth"], walk.beyond_depth);
}

#[test]
fn scope_is_judged_against_each_seed() {
    // Two sites, each a seed: each is crawled within itself, and neither
    // crawl strays into the other through the look-alike links.
    let a = Server::start();
    let b = Server::start_on("127.0.0.2");
    a.set_peer(&b);
    b.set_peer(&a);
    let (sa, sb) = (a.url("/site/p/1"), b.url("/site/p/2"));
    let (recs, stderr, _) = run(&["--crawl", "--depth", "3", &sa, &sb], "");
    let mut ma = Model::new(&a, 3);
    ma.peer = Some(format!("http://{}", b.addr));
    let mut mb = Model::new(&b, 3);
    mb.peer = Some(format!("http://{}", a.addr));
    let (wa, wb) = (ma.walk(&[&sa]), mb.walk(&[&sb]));
    let both = Walk {
        pages: wa
            .pages
            .clone()
            .into_iter()
            .chain(wb.pages.clone())
            .collect(),
        ..Walk::default()
    };
    check_records(&recs, &both);
    // Each saw its own crawl, and where the other's off-site redirects
    // landed: none of the look-alike pages the other linked to.
    let mut a_saw = wa.requested.clone();
    a_saw.extend(wb.peer_requested.iter().cloned());
    let mut b_saw = wb.requested.clone();
    b_saw.extend(wa.peer_requested.iter().cloned());
    assert_eq!(each_once(&a), a_saw, "{stderr}");
    assert_eq!(each_once(&b), b_saw);
    assert!(!wa.peer_requested.is_empty());
}

#[test]
fn check_external_fetches_each_outside_link_once_without_following_it() {
    let site = Server::start();
    let peer = Server::start_on("127.0.0.2");
    site.set_peer(&peer);
    let seed = site.url("/site/p/0");
    let (recs, stderr, _) = run(&["--crawl", "--depth", "20", "--check-external", &seed], "");
    let mut model = Model::new(&site, 20);
    model.peer = Some(format!("http://{}", peer.addr));
    model.check_external = true;
    let walk = model.walk(&[&seed]);
    check_records(&recs, &walk);
    assert_eq!(each_once(&site), walk.requested, "{stderr}");
    let peer_saw = each_once(&peer);
    assert_eq!(peer_saw, walk.peer_requested);
    // The look-alike pages themselves, 30 of them, and none of their links.
    let lookalike: Vec<_> = peer_saw
        .iter()
        .filter(|p| p.starts_with("/site/p/"))
        .collect();
    assert_eq!(lookalike.len(), 30, "{peer_saw:?}");
    let by = by_url(&recs);
    let ext = &by[&format!("http://{}/site/p/11", peer.addr)];
    assert_eq!(ext["parent"], site.url("/site/p/11"));
    assert_eq!(ext["depth"], 4);
    assert!(ext["ok"].as_bool().unwrap());
    // A broken link to another site fails the run, with where it was.
    let broken = &by[&format!("http://{}/site/missing/12", peer.addr)];
    assert_eq!(
        (kind(broken), &broken["parent"]),
        ("http_status", &Value::from(site.url("/site/p/12")))
    );
    assert_eq!(counts(&stderr)["out of scope"], 0);
}

#[test]
fn include_and_exclude_pick_the_links_followed() {
    let site = Server::start();
    let seed = site.url("/site/p/0");
    // Only the tree, and not the subtree under page 2.
    let (recs, stderr, _) = run(
        &[
            "--crawl",
            "--depth",
            "3",
            "--include",
            "/site/p/",
            "--exclude",
            "/p/2$",
            &seed,
        ],
        "",
    );
    let urls: BTreeSet<String> = recs
        .iter()
        .map(|r| r["url"].as_str().unwrap().to_owned())
        .collect();
    let want: BTreeSet<String> = [0, 1, 3, 4, 7, 8, 9, 10]
        .iter()
        .map(|n| site.url(&format!("/site/p/{n}")))
        .collect();
    assert_eq!(urls, want, "{stderr}");
    assert_eq!(each_once(&site).len(), 8);
    assert!(counts(&stderr)["excluded"] >= 2, "{stderr}");
}

#[test]
fn a_small_site_is_not_held_back_by_a_big_one() {
    // The calendar on .2 (17 pages within --depth 8) finishes while the
    // tree on .1 (over 500 pages within --depth 8, most found before the
    // calendar's last months) has barely started: both share -c 4, and
    // the tree's host never has more than its --per-host 2 of them.
    let big = Server::start();
    let small = Server::start_on("127.0.0.2");
    let (recs, stderr, _) = run(
        &[
            "--crawl",
            "--depth",
            "8",
            "-c",
            "4",
            "--per-host",
            "2",
            &big.url("/site/p/0"),
            &small.url("/site/cal/2026/6"),
        ],
        "",
    );
    assert!(!recs.is_empty(), "{stderr}");
    let small_done = small
        .starts()
        .last()
        .copied()
        .expect("the small site was crawled");
    assert_eq!(small.hits(), 17);
    assert!(big.hits() > 500);
    let big_before = big.starts().iter().filter(|t| **t < small_done).count();
    eprintln!("{big_before} of the big site's pages came first");
    assert!(
        big_before <= 100,
        "{big_before} pages of the big site came before the small site's last"
    );
}

#[test]
fn a_bad_regex_is_a_usage_error_before_any_request() {
    let site = Server::start();
    for flag in ["--include", "--exclude"] {
        let (recs, stderr, code) = run(&["--crawl", flag, "(", &site.url("/site/p/0")], "");
        assert_eq!(code, 2, "{stderr}");
        assert!(recs.is_empty());
        assert!(stderr.contains(flag), "{stderr}");
    }
    let (_, stderr, code) = run(&["--depth", "2", &site.url("/site/p/0")], "");
    assert_eq!(code, 2, "--depth without --crawl: {stderr}");
    let (_, stderr, code) = run(&["--crawl", "--ordered", &site.url("/site/p/0")], "");
    assert_eq!(code, 2, "--crawl with --ordered: {stderr}");
    assert_eq!(site.hits(), 0);
}

#[test]
fn a_crawl_visits_the_queue_in_breadth_first_order() {
    // With one request at a time, pages come in order of depth.
    let site = Server::start();
    let (recs, _, _) = run(
        &["--crawl", "--depth", "6", "-c", "1", &site.url("/site/p/0")],
        "",
    );
    let depths: Vec<u64> = recs.iter().map(|r| r["depth"].as_u64().unwrap()).collect();
    assert!(depths.windows(2).all(|w| w[0] <= w[1]), "{depths:?}");
}

#[test]
fn a_crawl_killed_and_resumed_records_each_page_once_and_fetches_none_again() {
    let site = Server::start();
    let peer = Server::start_on("127.0.0.2");
    site.set_peer(&peer);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("crawl.jsonl");
    let out_s = out.to_str().expect("utf-8 path");
    let seed = site.url("/site/p/0");
    let args = ["--crawl", "--depth", "20", "-q", "-o", out_s, &seed];
    // SIGKILL part-way: no flush, no summary, perhaps a torn last line.
    let mut child = support::trawl()
        .args(args)
        .args(["--host-rate", "400/s"])
        .stdin(std::process::Stdio::null())
        .spawn()
        .expect("spawn trawl");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::fs::read(&out).map_or(0, |b| b.iter().filter(|c| **c == b'\n').count()) < 400 {
        assert!(
            std::time::Instant::now() < deadline,
            "the crawl did not get going"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    support::signal(&child, "-KILL");
    support::wait_exit(&mut child, std::time::Duration::from_secs(5)).expect("killed");
    let first = site.paths().len();
    let text = std::fs::read_to_string(&out).expect("output");
    let done_before: BTreeSet<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|r| r["url"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(done_before.len() >= 400 && done_before.len() < 3000);

    let (_, stderr, _) = run(
        &["--resume", "--crawl", "--depth", "20", "-o", out_s, &seed],
        "",
    );
    let recs = support::records(&std::fs::read(&out).expect("output"));
    let mut model = Model::new(&site, 20);
    model.peer = Some(format!("http://{}", peer.addr));
    let walk = model.walk(&[&seed]);
    check_records(&recs, &walk);
    // Nothing recorded before the kill was fetched again.
    let again: Vec<String> = site.paths()[first..]
        .iter()
        .filter(|p| done_before.contains(&site.url(p)))
        .cloned()
        .collect();
    assert!(again.is_empty(), "fetched again: {again:?}\n{stderr}");
    // And everything was fetched: at most the pages in flight at the kill
    // twice.
    let twice = hits(&site).values().filter(|n| **n > 1).count();
    assert!(twice <= 60, "{twice} pages fetched twice");
    assert_eq!(
        hits(&site).into_keys().collect::<BTreeSet<_>>(),
        walk.requested
    );
}

#[test]
fn shards_by_host_split_a_crawl_each_page_fetched_by_one() {
    // By the fixed hash, of 3 shards 127.0.0.1 falls in 2 and 127.0.0.2
    // in 1; shard 3 has neither. With --scope any the links between the
    // two sites are in scope, and each shard leaves the other's to it.
    let a = Server::start();
    let b = Server::start_on("127.0.0.2");
    a.set_peer(&b);
    b.set_peer(&a);
    let (sa, sb) = (a.url("/site/p/0"), b.url("/site/p/0"));
    let mut got = Vec::new();
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let (recs, stderr, _) = run(
            &[
                "--crawl",
                "--scope",
                "any",
                "--depth",
                "4",
                "--shard",
                &shard,
                "--shard-by",
                "host",
                &sa,
                &sb,
            ],
            "",
        );
        got.push((recs, stderr));
    }
    let mut ma = Model::new(&a, 4);
    ma.peer = Some(format!("http://{}", b.addr));
    let mut mb = Model::new(&b, 4);
    mb.peer = Some(format!("http://{}", a.addr));
    let (wa, wb) = (ma.walk(&[&sa]), mb.walk(&[&sb]));
    check_records(&got[1].0, &wa);
    check_records(&got[0].0, &wb);
    assert!(got[2].0.is_empty(), "{}", got[2].1);
    // Over the three runs, each page was fetched once.
    let mut a_saw = wa.requested.clone();
    a_saw.extend(wb.peer_requested.iter().cloned());
    let mut b_saw = wb.requested.clone();
    b_saw.extend(wa.peer_requested.iter().cloned());
    assert_eq!(each_once(&a), a_saw);
    assert_eq!(each_once(&b), b_saw);
    // .2/site/p/11 and .2/site/missing/12, linked from .1/site/p/11 and 12.
    assert_eq!(counts(&got[1].1)["left to other shards"], 2, "{}", got[1].1);
    // Sharding a crawl by URL would split each site: a usage error.
    let (_, stderr, code) = run(&["--crawl", "--shard", "1/3", &sa], "");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--shard-by host"), "{stderr}");
}

#[test]
fn discover_sitemaps_reads_those_robots_txt_lists_else_sitemap_xml() {
    let site = Server::start();
    site.set_robots(
        200,
        &format!(
            "User-agent: *\nSitemap: {}  # the site's\nsitemap: /status/404\n",
            site.url("/site-sitemap.xml")
        ),
    );
    let seed = site.url("/site/p/0");
    let (recs, stderr, _) = run(
        &["--crawl", "--discover-sitemaps", "--depth", "1", &seed],
        "",
    );
    let mut walk = Model::new(&site, 1).walk(&[&seed]);
    // The pages only the sitemap lists are seeds; their links are followed
    // (here, to the root: seen already).
    for p in ["/site/orphan/1", "/site/orphan/2"] {
        walk.pages.insert(site.url(p), (0, BTreeSet::new()));
        walk.requested.insert(p.into());
    }
    walk.requested.insert("/robots.txt".into());
    walk.requested.insert("/site-sitemap.xml".into());
    // A listed sitemap that fails is a record that says so.
    walk.pages
        .insert(site.url("/status/404"), (0, BTreeSet::new()));
    walk.requested.insert("/status/404".into());
    assert_eq!(kind(&by_url(&recs)[&site.url("/status/404")]), "sitemap");
    check_records(&recs, &walk);
    assert_eq!(each_once(&site), walk.requested, "{stderr}");

    // No Sitemap: line (no robots.txt at all): /sitemap.xml, whose URLs
    // are seeds too.
    let site = Server::start();
    let seed = site.url("/site/cal/2026/6");
    let (recs, stderr, _) = run(
        &["--crawl", "--discover-sitemaps", "--depth", "0", &seed],
        "",
    );
    let by = by_url(&recs);
    assert_eq!(recs.len(), 4, "{stderr}");
    for p in [
        "/site/cal/2026/6",
        "/page/simple.html",
        "/page/other.html?a=1&b=2",
        "/status/404",
    ] {
        let rec = by
            .get(&site.url(p))
            .unwrap_or_else(|| panic!("no record of {p}"));
        assert_eq!(
            (rec["depth"].as_u64(), rec["parent"].is_null()),
            (Some(0), true)
        );
    }
    let saw = each_once(&site);
    assert!(
        saw.contains("/robots.txt") && saw.contains("/sitemap.xml"),
        "{saw:?}"
    );
}

#[test]
fn per_host_and_host_rate_hold_for_pages_found() {
    // Slow pages, so that many would be in flight at once if allowed.
    let site = Server::start();
    site.set_site_delay(60);
    let seed = site.url("/site/p/0");
    let (recs, stderr, _) = run(
        &[
            "--crawl",
            "--depth",
            "5",
            "-c",
            "50",
            "--per-host",
            "3",
            &seed,
        ],
        "",
    );
    assert!(recs.len() > 60, "{stderr}");
    assert_eq!(site.max_inflight(), 3, "--per-host 3");

    let site = Server::start();
    let seed = site.url("/site/p/0");
    let (recs, stderr, _) = run(
        &["--crawl", "--depth", "3", "--host-rate", "20/s", &seed],
        "",
    );
    assert!(recs.len() >= 15, "{stderr}");
    // Any six arrivals span five intervals of 50 ms (less a margin for a
    // busy machine, which can delay one request and not the next).
    let starts = site.starts();
    for w in starts.windows(6) {
        let span = w[5] - w[0];
        assert!(
            span >= std::time::Duration::from_millis(200),
            "six requests within {span:?}"
        );
    }
}

#[test]
fn a_host_with_a_long_backlog_holds_back_no_other() {
    // The big site's seed links to 20,000 pages at once, more than the
    // dispatcher looks ahead (10,000); the small site's two pages are
    // found just after (its pages are slower), behind all of them in the
    // frontier. They start at once all the same: the big host has
    // enough waiting, and the frontier is read past its pages. The big
    // site's pages take 5 ms each, so that its 298 cannot all be done
    // (at two at a time, 0.75 s) before the small site's links are found
    // at 0.1 s: an optimised build is fast enough for that otherwise.
    let big = Server::start();
    big.set_site_delay(5);
    let small = Server::start_on("127.0.0.2");
    small.set_site_delay(100);
    let (recs, stderr, _) = run(
        &[
            "--crawl",
            "--depth",
            "1",
            "--per-host",
            "2",
            "--max-pages",
            "300",
            &big.url("/site/wide/20000"),
            &small.url("/site/cal/2026/6"),
        ],
        "",
    );
    assert_eq!(recs.len(), 300, "{stderr}");
    assert_eq!(small.hits(), 3, "{stderr}");
    // 20,002 found (the small site's 2 too), 298 of them fetched.
    assert_eq!(
        counts(&stderr)["cut by --max-pages"],
        20_002 - 298,
        "{stderr}"
    );
}

#[test]
fn check_external_checks_no_link_beyond_depth() {
    let (a, _, other) = three_origins();
    // depth 0: the seed; 1: a page of its origin; 2: another; 3: what
    // that one links to, on another address, must not be checked.
    let deep = a.url(&format!("/links?{}", query(&[&other.url("/echo?at=3")])));
    let mid = a.url(&format!(
        "/links?{}",
        query(&[&deep, &other.url("/echo?at=2")])
    ));
    let seed = a.url(&format!(
        "/links?{}",
        query(&[&mid, &other.url("/echo?at=1")])
    ));
    let (recs, stderr, _) = run(&["--crawl", "--depth", "2", "--check-external", &seed], "");
    for r in &recs {
        assert!(r["depth"].as_u64().is_some_and(|d| d <= 2), "{r}");
    }
    let checked: BTreeSet<String> = other.paths().into_iter().collect();
    assert_eq!(
        checked,
        BTreeSet::from(["/echo?at=1".to_owned(), "/echo?at=2".to_owned()]),
        "{stderr}"
    );
    assert_eq!(recs.len(), 5, "{stderr}");
    assert_eq!(counts(&stderr)["beyond --depth"], 1, "{stderr}");
}
