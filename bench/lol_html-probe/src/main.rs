//! How fast Cloudflare's lol_html reads a folder of pages with handlers for
//! the benchmark's extraction (h1 text, h2 text, `a.reference@href`,
//! `a[href]`/`area[href]`), for docs/extraction-speed.md. A probe, not
//! trawl: it builds no tree and follows none of the tree builder's
//! corrections, so its answers are not checked.
//!
//!     cd bench/lol_html-probe && cargo run --release -- /usr/share/doc/python3.11/html
use lol_html::{HtmlRewriter, Settings, element, text};
use std::cell::RefCell;
use std::time::Instant;

fn main() {
    let root = std::env::args().nth(1).expect("folder");
    let mut files = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from(root)];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p)
            } else if p.extension().is_some_and(|x| x == "html") {
                files.push(p)
            }
        }
    }
    let pages: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let mb = pages.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
    let mut times = Vec::new();
    let mut count = 0usize;
    for _ in 0..3 {
        let t = Instant::now();
        for page in &pages {
            let h1 = RefCell::new(String::new());
            let h2 = RefCell::new(Vec::<String>::new());
            let refs = RefCell::new(Vec::<String>::new());
            let links = RefCell::new(Vec::<String>::new());
            let mut rw = HtmlRewriter::new(
                Settings {
                    element_content_handlers: vec![
                        text!("h1", |t| {
                            h1.borrow_mut().push_str(t.as_str());
                            Ok(())
                        }),
                        element!("h2", |_| {
                            h2.borrow_mut().push(String::new());
                            Ok(())
                        }),
                        text!("h2", |t| {
                            if let Some(l) = h2.borrow_mut().last_mut() {
                                l.push_str(t.as_str())
                            };
                            Ok(())
                        }),
                        element!("a.reference[href]", |e| {
                            refs.borrow_mut().extend(e.get_attribute("href"));
                            Ok(())
                        }),
                        element!("a[href], area[href]", |e| {
                            links.borrow_mut().extend(e.get_attribute("href"));
                            Ok(())
                        }),
                    ],
                    ..Settings::new()
                },
                |_: &[u8]| {},
            );
            rw.write(page).unwrap();
            rw.end().unwrap();
            count += refs.borrow().len() + links.borrow().len() + h2.borrow().len();
        }
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let s = times[1];
    println!(
        "lol_html: {} pages, {mb:.1} MB: {:.3} ms/page ({:.0} MB/s), median of 3 ({count})",
        pages.len(),
        1e3 * s / pages.len() as f64,
        mb / s
    );
}
