//! CPU time of `--content` in process, without fetching: every `.html`
//! file under DIR read once with a title-only plan and once with
//! `--content markdown`, ROUNDS times (default 5); prints the fastest
//! round's milliseconds a page of each (the least disturbed by whatever
//! else the machine runs) and their difference. For profiling the
//! reader (`perf record` this); `bench/content.sh` is the end-to-end
//! measure.
//!
//!     cargo run --release -p trawl-page --example content_speed -- DIR

use std::path::{Path, PathBuf};
use std::time::Instant;
use trawl_page::main_content::{ContentPlan, Format};
use trawl_page::{Plan, extract};

fn html_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            html_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "html") {
            out.push(p);
        }
    }
}

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: content_speed DIR");
        std::process::exit(2);
    };
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let only_content = std::env::var_os("ONLY_CONTENT").is_some();
    let mut files = Vec::new();
    html_files(Path::new(&dir), &mut files);
    files.sort();
    let pages: Vec<Vec<u8>> = files.iter().filter_map(|f| std::fs::read(f).ok()).collect();
    let url = url::Url::parse("https://docs.test/library/page.html").expect("url");
    let title = Plan::default();
    let content = Plan {
        content: Some(ContentPlan {
            format: Format::Markdown,
            select: vec![],
            exclude: vec![],
        }),
        ..Plan::default()
    };
    let time = |plan: &Plan| {
        let start = Instant::now();
        for body in &pages {
            let _ = std::hint::black_box(extract(body, Some("text/html"), &url, plan));
        }
        start.elapsed().as_secs_f64() * 1000.0 / pages.len().max(1) as f64
    };
    let best = |v: Vec<f64>| v.into_iter().fold(f64::INFINITY, f64::min);
    let (mut t, mut c) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        if !only_content {
            t.push(time(&title));
        }
        c.push(time(&content));
    }
    let c = best(c);
    if only_content {
        println!("{} pages: content {c:.3} ms/page", pages.len());
    } else {
        let t = best(t);
        println!(
            "{} pages: title {t:.3} ms/page, content markdown {c:.3} ms/page, +{:.3}",
            pages.len(),
            c - t
        );
    }
}
