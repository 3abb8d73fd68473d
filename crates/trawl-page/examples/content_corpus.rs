//! Scores `--content text` on a gold corpus laid out as WCXB's
//! (`DIR/html/ID.html`, decompressed, and `DIR/ground-truth/ID.json`),
//! in process, with the benchmark's word F1; for tuning the detector by
//! hand. `bench/content.sh` is the measure a user runs.
//!
//!     cargo run --release -p trawl-page --example content_corpus -- DIR [ID…]
//!
//! With IDs, prints each one's text and scores instead.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;
use trawl_page::main_content::{ContentPlan, Format};
use trawl_page::{Plan, extract};

fn tokens(s: &str) -> Vec<String> {
    let lower = s.to_lowercase();
    let mut out = Vec::new();
    let mut word = String::new();
    for c in lower.chars() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

fn f1(pred: &str, gold: &str) -> (f64, f64, f64) {
    let (p, g) = (tokens(pred), tokens(gold));
    if g.is_empty() {
        return if p.is_empty() {
            (1.0, 1.0, 1.0)
        } else {
            (0.0, 0.0, 0.0)
        };
    }
    if p.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    let mut counts: HashMap<&str, i64> = HashMap::new();
    for t in &g {
        *counts.entry(t).or_default() += 1;
    }
    let mut overlap = 0;
    for t in &p {
        if let Some(c) = counts.get_mut(t.as_str())
            && *c > 0
        {
            *c -= 1;
            overlap += 1;
        }
    }
    let (pr, rc) = (
        overlap as f64 / p.len() as f64,
        overlap as f64 / g.len() as f64,
    );
    let f = if pr + rc > 0.0 {
        2.0 * pr * rc / (pr + rc)
    } else {
        0.0
    };
    (pr, rc, f)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        eprintln!("usage: content_corpus DIR [ID…]");
        std::process::exit(2);
    };
    let only: Vec<&String> = args[1..].iter().collect();
    let format = match std::env::var("FORMAT").as_deref() {
        Ok("markdown") => Format::Markdown,
        Ok("html") => Format::Html,
        _ => Format::Text,
    };
    let plan = Plan {
        content: Some(ContentPlan {
            format,
            select: vec![],
            exclude: vec![],
        }),
        ..Plan::default()
    };
    let mut gts: Vec<_> = std::fs::read_dir(format!("{dir}/ground-truth"))
        .expect("ground-truth")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    gts.sort();
    let mut by_type: BTreeMap<String, Vec<(f64, f64, f64)>> = BTreeMap::new();
    let mut all = Vec::new();
    let mut spent = 0.0;
    let mut rows = Vec::new();
    for gt in gts {
        let id = gt.file_stem().unwrap().to_string_lossy().to_string();
        if !only.is_empty() && !only.iter().any(|o| **o == id) {
            continue;
        }
        let d: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&gt).unwrap()).unwrap();
        let Ok(html) = std::fs::read(format!("{dir}/html/{id}.html")) else {
            continue;
        };
        let url = url::Url::parse(d["url"].as_str().unwrap_or("http://x/"))
            .unwrap_or_else(|_| url::Url::parse("http://x/").unwrap());
        let t0 = Instant::now();
        let got = extract(&html, Some("text/html"), &url, &plan)
            .ok()
            .flatten();
        spent += t0.elapsed().as_secs_f64();
        let content = got.and_then(|g| g.content);
        let text = content.as_ref().map(|c| c.text.clone()).unwrap_or_default();
        let gold = d["main_content"].as_str().unwrap_or_default();
        let ty = d["page_type"].as_str().unwrap_or("article").to_owned();
        let s = f1(&text, gold);
        if !only.is_empty() {
            println!(
                "== {id} ({ty}) P {:.3} R {:.3} F1 {:.3}\n{text}\n== meta {:?}",
                s.0,
                s.1,
                s.2,
                content.map(|c| (c.title, c.author, c.published, c.lang))
            );
            println!(
                "== gold title {:?} author {:?} date {:?}",
                d["title"], d["author"], d["publish_date"]
            );
        }
        rows.push((id, ty.clone(), s));
        by_type.entry(ty).or_default().push(s);
        all.push(s);
    }
    let mean = |v: &[(f64, f64, f64)], k: usize| {
        v.iter().map(|s| [s.0, s.1, s.2][k]).sum::<f64>() / v.len().max(1) as f64
    };
    if std::env::var("ROWS").is_ok() {
        for (id, ty, s) in &rows {
            println!("{id} {ty} {:.3} {:.3} {:.3}", s.0, s.1, s.2);
        }
    }
    println!(
        "F1 {:.3} (P {:.3} R {:.3}) on {} pages; {:.2} ms/page",
        mean(&all, 2),
        mean(&all, 0),
        mean(&all, 1),
        all.len(),
        1000.0 * spent / all.len().max(1) as f64
    );
    println!(
        "{}",
        by_type
            .iter()
            .map(|(k, v)| format!(
                "{k} {:.3} (P {:.2} R {:.2})",
                mean(v, 2),
                mean(v, 0),
                mean(v, 1)
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
}
