//! The differential check and the speed of both paths over whole corpora,
//! by hand: `bench/extract-differential.sh` runs it.

use super::super::{Via, extract_via, from_dom, parse};
use super::tests::{SELECTIONS, plan};
use super::*;
use crate::content::sniff_encoding;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn files(root: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![PathBuf::from(root)];
    while let Some(d) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("html") || x.eq_ignore_ascii_case("htm"))
            {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// `TRAWL_ROUNDS`, timing rounds, or `default`.
fn rounds(default: usize) -> usize {
    std::env::var("TRAWL_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(default)
}

/// The benchmark's extraction; with `TRAWL_PLAN=crawl`, what a crawl
/// asks of each page (the title and the links).
fn bench_plan() -> Plan {
    let fields: &[&str] = match std::env::var("TRAWL_PLAN").as_deref() {
        Ok("crawl") => &[],
        _ => &["h1=h1", "headings[]=h2", "refs[]=a.reference@href"],
    };
    Plan {
        meta: false,
        expect: Vec::new(),
        expect_text: Vec::new(),
        ..plan(fields)
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The benchmark's extraction (three selectors and the links) by the
/// fast reader alone, `TRAWL_ROUNDS` passes (default 20) over the
/// pages of `TRAWL_CORPUS` (one folder), one thread: something steady
/// to hold `perf record` to. Prints ms a page, the median pass.
#[test]
#[ignore = "needs a corpus of real pages; for profiling by hand"]
fn fast_reader_alone() {
    let root = std::env::var("TRAWL_CORPUS").expect("set TRAWL_CORPUS to a folder of HTML");
    let rounds = rounds(20);
    let url = Url::parse("http://h.test/dir/page.html").unwrap();
    let bench = bench_plan();
    let bodies: Vec<Vec<u8>> = files(&root)
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let times: Vec<f64> = (0..rounds.max(1))
        .map(|_| {
            let t = Instant::now();
            for body in &bodies {
                let got = extract_via(body, Some("text/html"), &url, &bench, Via::Fast);
                std::hint::black_box(got.unwrap());
            }
            t.elapsed().as_secs_f64()
        })
        .collect();
    println!(
        "{root}: {} pages, fast reader {:.3} ms a page",
        bodies.len(),
        1e3 * median(times) / bodies.len() as f64
    );
}

/// `TRAWL_CORPUS=DIR[:DIR…]`, each a folder searched for `.html` files;
/// `TRAWL_ROUNDS` timing rounds (default 5). For each folder: how many
/// pages the stream answered, how many it handed to the tree and why,
/// every page where the two paths' records differ (which must be
/// none), and the CPU time per page of both paths on the benchmark's
/// extraction (three selectors and the links), one thread, medians.
#[test]
#[ignore = "needs corpora of real pages; run by bench/extract-differential.sh"]
fn stream_corpus() {
    let roots = std::env::var("TRAWL_CORPUS").expect("set TRAWL_CORPUS to folders of HTML");
    let rounds = rounds(5);
    let url = Url::parse("http://h.test/dir/page.html").unwrap();
    let bench = bench_plan();
    let broad = plan(SELECTIONS);
    let (mut all_pages, mut all_differ) = (0usize, 0usize);
    // A folder reached twice (Debian links python3.11-dev to python3.11)
    // counts once.
    let mut seen = std::collections::HashSet::new();
    for root in roots.split(':').filter(|r| !r.is_empty()) {
        let files: Vec<PathBuf> = files(root)
            .into_iter()
            .filter(|p| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())))
            .collect();
        if files.is_empty() {
            continue;
        }
        let bodies: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
        let mut streamed = 0;
        let mut gave_up: BTreeMap<&str, usize> = BTreeMap::new();
        let (mut fast_answered, mut fast_gave_up) = (0, BTreeMap::<&str, usize>::new());
        let mut differ = Vec::new();
        for (path, body) in files.iter().zip(&bodies) {
            let text = sniff_encoding(body, None).decode(body).0;
            let (mut whole, mut fast_whole) = (true, true);
            for plan in [&bench, &broad] {
                let tree = from_dom(&parse(&text, None).unwrap(), &url, plan, None).unwrap();
                let answers = [
                    ("stream", extract(&text, &url, plan, None).unwrap()),
                    (
                        "fast",
                        super::super::fast::extract(&text, &url, plan, None).unwrap(),
                    ),
                ];
                for (which, answer) in answers {
                    match answer {
                        Ok(got) if got != tree => differ.push(format!(
                            "{} ({which}): {}",
                            path.display(),
                            first_difference(&got, &tree)
                        )),
                        Ok(_) => {}
                        Err(why) if which == "stream" => {
                            if whole {
                                *gave_up.entry(why).or_default() += 1;
                            }
                            whole = false;
                        }
                        Err(why) => {
                            if fast_whole {
                                *fast_gave_up.entry(why).or_default() += 1;
                            }
                            fast_whole = false;
                        }
                    }
                }
            }
            streamed += usize::from(whole);
            fast_answered += usize::from(fast_whole);
        }
        let n = files.len();
        let mb = bodies.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
        let time = |via: Via| {
            let times: Vec<f64> = (0..rounds.max(1))
                .map(|_| {
                    let t = Instant::now();
                    for body in &bodies {
                        let got = extract_via(body, Some("text/html"), &url, &bench, via);
                        std::hint::black_box(got.unwrap());
                    }
                    t.elapsed().as_secs_f64()
                })
                .collect();
            median(times)
        };
        let (tree_s, stream_s, fast_s) = (time(Via::Tree), time(Via::Stream), time(Via::Fast));
        // The floor under any pass over html5ever's tokens: decoding,
        // and the tokenizer alone, into a sink that keeps nothing.
        let floor = |tokenize: bool| {
            let times: Vec<f64> = (0..rounds.max(1))
                .map(|_| {
                    let t = Instant::now();
                    for body in &bodies {
                        let text = sniff_encoding(body, Some("text/html")).decode(body).0;
                        if tokenize {
                            tokens_only(&text);
                        }
                        std::hint::black_box(text);
                    }
                    t.elapsed().as_secs_f64()
                })
                .collect();
            median(times)
        };
        let (decode_s, tokens_s) = (floor(false), floor(true));
        println!(
            "{root}: {n} pages, {mb:.1} MB; fast reader answered {fast_answered}, handed {} on \
             {fast_gave_up:?}; html5ever stream answered {streamed}, handed {} to the tree \
             {gave_up:?}; records differ on {} ({:.3}% agree)",
            n - fast_answered,
            n - streamed,
            differ.len(),
            100.0 * (n - differ.len()) as f64 / n as f64,
        );
        for d in &differ {
            println!("  DIFFERS {d}");
        }
        let rate = |secs: f64| {
            format!(
                "{:.3} ms/page ({:.0} pages/s, {:.0} MB/s)",
                1e3 * secs / n as f64,
                n as f64 / secs,
                mb / secs
            )
        };
        println!(
            "  3 selectors + links, one thread, median of {rounds}: tree {}, stream {}, \
             fast {}; fast is {:.2}x the stream, {:.2}x the tree",
            rate(tree_s),
            rate(stream_s),
            rate(fast_s),
            stream_s / fast_s,
            tree_s / fast_s,
        );
        println!(
            "  the floor: decoding {:.3} ms/page, decoding + html5ever's tokenizer alone \
             {:.3} ms/page ({:.0} MB/s)",
            1e3 * decode_s / n as f64,
            1e3 * tokens_s / n as f64,
            mb / tokens_s,
        );
        all_pages += n;
        all_differ += differ.len();
    }
    println!("all: {all_pages} pages, records differ on {all_differ}");
    assert_eq!(all_differ, 0);
}

/// Runs html5ever's tokenizer over a page into a sink that keeps
/// nothing (raw-text elements are not switched to: only the cost is
/// of interest).
fn tokens_only(html: &str) {
    use html5ever::tokenizer::{
        BufferQueue, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
    };
    struct Null;
    impl TokenSink for Null {
        type Handle = ();
        fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
            std::hint::black_box(token);
            TokenSinkResult::Continue
        }
    }
    let tok = Tokenizer::new(Null, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tok.feed(&input);
    tok.end();
}

/// Names the first part of two extractions that differs, for humans.
fn first_difference(a: &Extracted, b: &Extracted) -> String {
    if a.title != b.title {
        return format!("title {:?} vs {:?}", a.title, b.title);
    }
    if a.links != b.links {
        return "links".into();
    }
    if a.meta != b.meta {
        return "meta".into();
    }
    if a.unmet != b.unmet {
        return format!("unmet {:?} vs {:?}", a.unmet, b.unmet);
    }
    if let (Some(x), Some(y)) = (&a.fields, &b.fields) {
        for ((name, fx), (_, fy)) in x.0.iter().zip(&y.0) {
            if fx != fy {
                return format!("field {name}: {fx:?} vs {fy:?}");
            }
        }
    }
    "fields".into()
}
