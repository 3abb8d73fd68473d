//! `-h` and `--help`: the real binary's output.
//!
//! The help must list every flag of the contract with its default, under
//! the headings in their order; `-h` must stay short.

mod support;

use std::process::{Output, Stdio};
use support::trawl;

/// Every flag of the contract and its default where it has one, copied
/// from the project's contract (`../shared/CONTRACT.md`: the Input,
/// Fetching, Extraction, Output and CI checks tables). A copy, because CI
/// runs on a clean clone without `../shared`; keep it in step with the
/// contract. `None` where the contract gives no default, or "none"/"off"
/// (an unset option or flag, which the help does not spell out).
const CONTRACT_FLAGS: &[(&str, Option<&str>)] = &[
    // Input
    ("[URL]...", None),
    ("-i, --input <FILE>", None),
    // Fetching
    ("-c, --concurrency <N>", Some("50")),
    ("--per-host <N>", Some("8")),
    ("-t, --timeout <DUR>", Some("30s")),
    ("--connect-timeout <DUR>", Some("10s")),
    ("--retries <N>", Some("2")),
    ("--rate <RATE>", None),
    ("--host-rate <RATE>", None),
    ("--max-body <SIZE>", Some("10MiB")),
    ("--max-redirects <N>", Some("10")),
    ("-A, --user-agent <UA>", Some("trawl/VERSION")),
    ("-H, --header", None),
    ("--max-time <DUR>", None),
    ("--burst <N>", Some("1")),
    ("--robots", None),
    ("--insecure", None),
    // Extraction
    ("-s, --select <NAME=CSS>", None),
    ("--links", None),
    ("--meta", None),
    // Output
    ("-o, --output <FILE>", Some("stdout")),
    ("--resume", None),
    ("--shard <K/N>", None),
    ("--shard-by", Some("url")),
    ("--ordered", None),
    ("--progress <WHEN>", Some("auto")),
    ("-q, --quiet", None),
    ("--ok-status <LIST>", Some("200-399")),
    // CI checks
    ("--sitemap <URL>", None),
    ("--expect <CSS>", None),
    ("--expect-text <TEXT>", None),
    ("--max-latency <DUR>", None),
    ("--max-failures <N>", None),
    ("--allow-failures", None),
    ("--junit <FILE>", None),
    ("--summary-json <FILE>", None),
];

/// Flags beyond the contract that the help must show too.
const OTHER_FLAGS: &[(&str, Option<&str>)] =
    &[("-v, --verbose", None), ("--color <WHEN>", Some("auto"))];

/// The help's headings, in the order they must appear.
const HEADINGS: &[&str] = &[
    "Input:",
    "Fetching:",
    "Politeness:",
    "Extraction:",
    "Output:",
    "CI checks:",
];

/// Which flags go under which heading (the ones the brief places).
const PLACED: &[(&str, &[&str])] = &[
    (
        "Politeness:",
        &["--per-host", "--rate", "--host-rate", "--burst", "--robots"],
    ),
    (
        "CI checks:",
        &[
            "--expect",
            "--expect-text",
            "--max-latency",
            "--max-failures",
            "--allow-failures",
            "--junit",
            "--summary-json",
        ],
    ),
    ("Output:", &["--verbose", "--color"]),
];

/// Runs trawl with a fixed width and no terminal anywhere, so clap wraps
/// the same way on every machine.
fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = trawl();
    cmd.args(args)
        .env("COLUMNS", "100")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = match stdin {
        None => cmd.stdin(Stdio::null()).output().expect("run trawl"),
        Some(text) => assert_cmd::Command::from_std(cmd)
            .write_stdin(text.to_owned())
            .timeout(std::time::Duration::from_secs(30))
            .output()
            .expect("run trawl"),
    };
    assert_eq!(
        out.status.code(),
        Some(0),
        "trawl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout_of(args: &[&str]) -> String {
    String::from_utf8(run(args, None).stdout).expect("UTF-8 help")
}

/// The entry of `flag` in a help text: its line and the indented lines
/// under it, up to the next flag or heading. `None` when it is not there.
fn entry<'a>(help: &'a str, flag: &str) -> Option<Vec<&'a str>> {
    let lines: Vec<&str> = help.lines().collect();
    let start = lines.iter().position(|l| {
        let t = l.trim_start();
        // Whole: `--shard` must not pass for `--shard-by`.
        l.starts_with("  ")
            && t.strip_prefix(flag)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '.', '<']))
    })?;
    let mut out = vec![lines[start]];
    for l in &lines[start + 1..] {
        let t = l.trim_start();
        let indent = l.len() - t.len();
        let next_flag = (indent == 2 || indent == 6) && (t.starts_with('-') || t.starts_with('['));
        if next_flag || (!l.is_empty() && indent == 0) {
            break;
        }
        out.push(l);
    }
    Some(out)
}

/// The heading each flag is listed under.
fn heading_of<'a>(help: &'a str, flag: &str) -> Option<&'a str> {
    let mut heading = None;
    for l in help.lines() {
        if !l.is_empty() && !l.starts_with(' ') {
            heading = Some(l.trim_end());
        }
        let t = l.trim_start();
        if l.starts_with("  ")
            && t.split([',', ' ']).any(|w| w.trim_end_matches('.') == flag)
            && (t.starts_with('-') || t.starts_with('['))
        {
            return heading;
        }
    }
    None
}

#[test]
fn long_help_lists_every_contract_flag_with_its_default() {
    let help = stdout_of(&["--help"]);
    for (flag, default) in CONTRACT_FLAGS.iter().chain(OTHER_FLAGS) {
        let lines = entry(&help, flag).unwrap_or_else(|| panic!("{flag} is not in --help"));
        let text = lines.join("\n");
        if let Some(default) = default {
            assert!(
                text.contains(&format!("[default: {default}]")),
                "--help shows {flag} without [default: {default}]:\n{text}"
            );
        }
    }
}

#[test]
fn short_help_is_short_one_line_per_flag_with_defaults() {
    let short = stdout_of(&["-h"]);
    let long = stdout_of(&["--help"]);
    assert!(
        short.lines().count() * 2 < long.lines().count() && short.len() < long.len(),
        "-h ({} lines) is not much shorter than --help ({} lines)",
        short.lines().count(),
        long.lines().count()
    );
    for (flag, default) in CONTRACT_FLAGS.iter().chain(OTHER_FLAGS) {
        let mut lines = entry(&short, flag).unwrap_or_else(|| panic!("{flag} is not in -h"));
        lines.retain(|l| !l.trim().is_empty());
        assert_eq!(
            lines.len(),
            1,
            "-h gives {flag} more than one line:\n{}",
            lines.join("\n")
        );
        if let Some(default) = default {
            assert!(
                lines[0].contains(&format!("[default: {default}]")),
                "-h shows {flag} without [default: {default}]: {}",
                lines[0]
            );
        }
    }
    // No continuation lines anywhere: each flag's help fits its line.
    for l in short.lines() {
        let indent = l.len() - l.trim_start().len();
        assert!(indent <= 6, "-h wraps a line: {l:?}");
    }
    assert!(
        short
            .trim_end()
            .ends_with("Use --help for more on each flag, examples and exit status."),
        "-h does not end with a pointer to --help:\n{short}"
    );
    assert!(!short.contains("Exit status:") && !short.contains("Examples:"));
}

#[test]
fn headings_come_in_order_in_both_helps_and_hold_their_flags() {
    for arg in ["-h", "--help"] {
        let help = stdout_of(&[arg]);
        let lines: Vec<&str> = help.lines().collect();
        let positions: Vec<usize> = HEADINGS
            .iter()
            .map(|h| {
                lines
                    .iter()
                    .position(|l| l == h)
                    .unwrap_or_else(|| panic!("{arg} has no heading {h:?}:\n{help}"))
            })
            .collect();
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "{arg}: headings out of order {HEADINGS:?} at lines {positions:?}"
        );
        assert!(
            !help.contains("\nChecks:"),
            "{arg}: the old heading is back"
        );
        for (heading, flags) in PLACED {
            for flag in *flags {
                assert_eq!(
                    heading_of(&help, flag),
                    Some(*heading),
                    "{arg}: {flag} is not under {heading}"
                );
            }
        }
    }
}

#[test]
fn long_help_ends_with_examples_and_exit_status() {
    let help = stdout_of(&["--help"]);
    let lines: Vec<&str> = help.lines().collect();
    let examples = lines
        .iter()
        .position(|l| *l == "Examples:")
        .expect("an Examples section");
    let status = lines
        .iter()
        .position(|l| *l == "Exit status:")
        .expect("an Exit status section");
    assert!(examples < status);
    assert!(
        lines[examples + 1..status]
            .iter()
            .filter(|l| l.trim_start().starts_with("trawl ") || l.contains("| trawl "))
            .count()
            >= 3,
        "fewer than three examples"
    );
    let codes: Vec<&str> = lines[status + 1..]
        .iter()
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(codes, ["0", "1", "2", "130"], "exit codes in --help");
}

#[test]
fn v_is_verbose_and_counts_and_does_not_clash() {
    let help = stdout_of(&["--help"]);
    assert!(help.contains("  -v, --verbose"));
    assert!(help.contains("  -V, --version"));
    // Parsed without complaint, before input is read (stdin is empty).
    for args in [&["-v"][..], &["-vv", "-q"], &["--color", "never", "-q"]] {
        run(args, Some(""));
    }
    let bad = trawl()
        .args(["--color", "sometimes"])
        .stdin(Stdio::null())
        .output()
        .expect("run trawl");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--color"));
}
