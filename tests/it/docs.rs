//! The docs against what they describe.
//!
//! `docs/flags.md` must name every long flag `trawl --help` lists; the
//! README must open with the two set-up commands, the test one spelt as
//! `.ci/run` runs it; every relative link in README.md and docs/*.md must
//! reach a file, and its `#anchor` a heading there; and docs/recipes.md
//! must hold the recipes `tests/recipes/check.sh` checks, which runs here
//! too.

use crate::support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A file of the repository, by its path from the root.
fn read(path: impl AsRef<Path>) -> String {
    let path = root().join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// README.md and the pages of docs/, as paths from the root.
fn pages() -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("read docs/")
        .map(|entry| PathBuf::from("docs").join(entry.expect("docs/ entry").file_name()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    docs.sort();
    assert!(docs.len() >= 5, "docs/ has only {docs:?}");
    [PathBuf::from("README.md")]
        .into_iter()
        .chain(docs)
        .collect()
}

/// The lines of a Markdown text outside fenced code blocks, numbered
/// from 1 (a `# comment` in a shell block is not a heading).
fn prose(text: &str) -> Vec<(usize, &str)> {
    let mut fenced = false;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            out.push((i + 1, line));
        }
    }
    out
}

/// The anchors GitHub gives a page's headings: lower case, spaces to
/// hyphens, punctuation other than `-` and `_` dropped.
fn anchors(text: &str) -> BTreeSet<String> {
    prose(text)
        .into_iter()
        .filter(|(_, line)| line.starts_with('#'))
        .map(|(_, line)| {
            line.trim_start_matches('#')
                .trim()
                .to_lowercase()
                .chars()
                .filter_map(|c| match c {
                    ' ' => Some('-'),
                    c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                    _ => None,
                })
                .collect()
        })
        .collect()
}

/// The targets of the `[text](target)` links on a line, code spans left
/// out (`jq '.[](…)'` is not a link).
fn link_targets(line: &str) -> Vec<String> {
    let outside_code: String = line.split('`').step_by(2).collect();
    outside_code
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split_once(')').map(|(target, _)| target.to_owned()))
        .collect()
}

/// The long flags `trawl --help` lists, read off the flag lines (indented
/// 2 or 6 columns; descriptions are indented further).
fn long_flags_in_help() -> BTreeSet<String> {
    let out = assert_cmd::Command::from_std(support::trawl())
        .arg("--help")
        .env("COLUMNS", "100")
        .timeout(Duration::from_secs(30))
        .output()
        .expect("run trawl --help");
    assert!(out.status.success(), "trawl --help: {:?}", out.status);
    let help = String::from_utf8(out.stdout).expect("UTF-8 help");
    let mut flags = BTreeSet::new();
    for line in help.lines() {
        let text = line.trim_start();
        if line.len() - text.len() > 6 || !text.starts_with('-') {
            continue;
        }
        for word in text.split([' ', ',']) {
            if let Some(name) = word.strip_prefix("--") {
                let name: String = name
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect();
                flags.insert(format!("--{name}"));
            }
        }
    }
    flags
}

/// Whether `text` names `flag` whole: `--shard-by` does not name `--shard`.
fn names(text: &str, flag: &str) -> bool {
    text.match_indices(flag).any(|(i, _)| {
        !text[i + flag.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-')
    })
}

#[test]
fn the_flags_page_names_every_long_flag_of_help() {
    let flags = long_flags_in_help();
    // The parse itself: a flag of each heading, and the count of them all.
    for flag in [
        "--help",
        "--input",
        "--shard-by",
        "--concurrency",
        "--per-host",
        "--select",
        "--verbose",
        "--summary-json",
    ] {
        assert!(
            flags.contains(flag),
            "{flag} not read off --help: {flags:?}"
        );
    }
    assert!(
        flags.len() >= 35,
        "only {} flags read: {flags:?}",
        flags.len()
    );
    let page = read("docs/flags.md");
    let missing: Vec<&String> = flags.iter().filter(|flag| !names(&page, flag)).collect();
    assert!(
        missing.is_empty(),
        "trawl --help lists {missing:?}, which docs/flags.md does not document"
    );
}

#[test]
fn the_readme_opens_with_the_two_set_up_commands() {
    let ci = read(".ci/run");
    let test_command = ci
        .lines()
        .map(str::trim)
        .rfind(|line| line.starts_with("cargo test"))
        .expect(".ci/run runs cargo test");
    let readme = read("README.md");
    // The first screen: the title, one paragraph and the Set up section.
    let first_screen: Vec<&str> = readme.lines().take(25).collect();
    let runs = |command: &str| {
        first_screen.iter().any(|line| {
            line.strip_prefix(command)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
        })
    };
    assert!(
        runs(test_command),
        "the README's first 25 lines lack the test command .ci/run runs: {test_command}"
    );
    assert!(
        first_screen
            .iter()
            .any(|line| line.starts_with("cargo run --release -- http")),
        "the README's first 25 lines lack `cargo run --release -- URL...`"
    );
}

#[test]
fn relative_links_in_the_readme_and_docs_reach_their_targets() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let text = read(&page);
        let dir = page.parent().expect("a page has a directory");
        for (n, line) in prose(&text) {
            for target in link_targets(line) {
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                checked += 1;
                let (path, anchor) = target.split_once('#').unwrap_or((&target, ""));
                let file = if path.is_empty() {
                    page.clone()
                } else {
                    dir.join(path)
                };
                let here = format!("{}:{n}: ({target})", page.display());
                if !root().join(&file).exists() {
                    broken.push(format!("{here}: no {}", file.display()));
                } else if !anchor.is_empty()
                    && file.extension().is_some_and(|ext| ext == "md")
                    && !anchors(&read(&file)).contains(anchor)
                {
                    broken.push(format!("{here}: no heading #{anchor}"));
                }
            }
        }
    }
    assert!(
        checked >= 30,
        "only {checked} links found: is the parse broken?"
    );
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_recipes_page_and_check_sh_hold_the_same_recipes_in_order() {
    let page = read("docs/recipes.md");
    let in_page: Vec<&str> = prose(&page)
        .into_iter()
        .filter_map(|(_, line)| line.strip_prefix("## "))
        .collect();
    let script = read("tests/recipes/check.sh");
    let mut in_script = Vec::new();
    for line in script.lines() {
        // `# N. Title`
        let Some((number, title)) = line
            .strip_prefix("# ")
            .and_then(|rest| rest.split_once(". "))
        else {
            continue;
        };
        if let Ok(number) = number.parse::<usize>() {
            assert_eq!(number, in_script.len() + 1, "check.sh: {line}");
            in_script.push(title);
        }
    }
    assert!(in_page.len() >= 10, "docs/recipes.md: {in_page:?}");
    assert_eq!(
        in_page, in_script,
        "docs/recipes.md's sections and check.sh's `# N. Title` comments differ"
    );
}

/// Whether `program` can be started.
fn exists(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

#[test]
fn the_recipes_pass_against_a_local_server() {
    // What check.sh calls besides trawl. CI's image has them all; a
    // machine without one skips the run (`bash tests/recipes/check.sh`
    // says what is missing).
    for tool in ["bash", "python3", "jq", "bc"] {
        if !exists(tool) {
            eprintln!("skipped: {tool} is not installed");
            return;
        }
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let mut cmd = Command::new("bash");
    support::isolate(&mut cmd);
    cmd.arg(root().join("tests/recipes/check.sh"))
        .env("TRAWL", env!("CARGO_BIN_EXE_trawl"))
        .env("PORT", port.to_string());
    let out = assert_cmd::Command::from_std(cmd)
        .timeout(Duration::from_secs(180))
        .output()
        .expect("run check.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("recipes ok"),
        "tests/recipes/check.sh: {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}
