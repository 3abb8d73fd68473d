//! `-h`, `--help`, and what `--generate` prints: the real binary's output.
//!
//! The help must list every flag of the contract with its default, under
//! the headings in their order; `-h` must stay short; the completion
//! scripts must parse and the man page must render without warnings.

use crate::support::trawl;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Every flag of the contract and its default where it has one, copied
/// from the project's contract (`../shared/CONTRACT.md`: the Input,
/// Fetching, Extraction, Crawl, Rendering, Output and CI checks tables). A copy, because CI
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
    // Crawl
    ("--crawl", None),
    ("--depth <N>", Some("3")),
    ("--scope <SCOPE>", Some("host")),
    ("--include <REGEX>", None),
    ("--exclude <REGEX>", None),
    ("--max-pages <N>", None),
    ("--check-external", None),
    ("--discover-sitemaps", None),
    // Rendering
    ("--render", None),
    ("--render-wait <load|idle|CSS>", Some("load")),
    ("--tabs <N>", Some("4")),
    ("--browser <PATH>", None),
    // Output
    ("-o, --output <FILE>", Some("stdout")),
    ("--resume", None),
    ("--shard <K/N>", None),
    ("--shard-by", Some("url")),
    ("--ordered", None),
    ("--progress <WHEN>", Some("auto")),
    ("-q, --quiet", None),
    ("--ok-status <LIST>", Some("200-399")),
    // Re-runs
    ("--revalidate <FILE>", None),
    ("--changed-only", None),
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
    "Crawl:",
    "Rendering:",
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
    (
        "Crawl:",
        &[
            "--crawl",
            "--depth",
            "--scope",
            "--include",
            "--exclude",
            "--max-pages",
            "--check-external",
            "--discover-sitemaps",
        ],
    ),
];

/// Runs trawl with a fixed width and no terminal anywhere, so clap wraps
/// the same way on every machine.
fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = trawl();
    cmd.args(args)
        .env("COLUMNS", "100")
        .env_remove("SOURCE_DATE_EPOCH")
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
    assert!(
        !help.contains("--generate"),
        "--generate is hidden from help"
    );
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

/// `trawl --generate KIND`, given a URL on stdin that it must not read:
/// returns stdout, having checked there is no record, no stderr, and that
/// a few flags are there as `spell` writes a long flag's name.
fn generate(kind: &str, spell: fn(&str) -> String) -> String {
    let out = run(&["--generate", kind], Some("http://127.0.0.1:9/\n"));
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        out.stderr.is_empty(),
        "--generate {kind} wrote on stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains("\"url\":"),
        "--generate {kind} read the input"
    );
    for flag in ["concurrency", "per-host", "expect-text", "color"] {
        let spelt = spell(flag);
        assert!(text.contains(&spelt), "--generate {kind} lacks {spelt}");
    }
    text
}

/// A long flag as most shells' scripts write it.
fn dashes(flag: &str) -> String {
    format!("--{flag}")
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

/// Runs `program args… file` and asserts it succeeds without a word on
/// stderr.
fn check_with(program: &[&str], file: &Path) {
    let out = Command::new(program[0])
        .args(&program[1..])
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("{program:?}: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "{program:?} {}: {:?}\n{stderr}",
        file.display(),
        out.status
    );
}

#[test]
fn completion_scripts_parse_in_their_shells() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bash = dir.path().join("trawl.bash");
    std::fs::write(&bash, generate("completions-bash", dashes)).expect("write");
    check_with(&["bash", "-n"], &bash);

    // zsh and fish are not on every machine (nor on CI's image): their
    // scripts are checked for the flags above, and parsed only where the
    // shell exists.
    let zsh = dir.path().join("_trawl");
    let text = generate("completions-zsh", dashes);
    assert!(text.starts_with("#compdef trawl"));
    std::fs::write(&zsh, text).expect("write");
    if exists("zsh") {
        check_with(&["zsh", "-n"], &zsh);
    }
    let fish = dir.path().join("trawl.fish");
    std::fs::write(&fish, generate("completions-fish", |f| format!("-l {f}"))).expect("write");
    if exists("fish") {
        check_with(&["fish", "-n"], &fish);
    }
    generate("completions-powershell", dashes);
    generate("completions-elvish", dashes);
}

/// `--generate` answers before trawl looks for input, so it works with no
/// URLs and a terminal on stdin (where a bare `trawl` is a usage error).
/// `script` (util-linux) gives the command a pseudo-terminal; where it is
/// missing, the unread pipe in `generate` is the only check.
#[cfg(target_os = "linux")]
#[test]
fn generate_works_with_a_terminal_on_stdin_and_no_urls() {
    if !exists("script") {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_trawl");
    let on_a_terminal = |args: &str| {
        Command::new("script")
            .args(["-qec", &format!("'{bin}' {args}"), "/dev/null"])
            .stdin(Stdio::null())
            .output()
            .expect("run script")
    };
    let bare = on_a_terminal("");
    assert_eq!(
        bare.status.code(),
        Some(2),
        "control: a bare trawl on a terminal is a usage error: {}",
        String::from_utf8_lossy(&bare.stdout)
    );
    for kind in ["man", "completions-bash"] {
        let out = on_a_terminal(&format!("--generate {kind}"));
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "--generate {kind}: {text}");
        assert!(text.contains("--concurrency") || text.contains("\\-\\-concurrency"));
    }
}

#[test]
fn unknown_generate_kinds_are_usage_errors() {
    let out = trawl()
        .args(["--generate", "completions-tcsh"])
        .stdin(Stdio::null())
        .output()
        .expect("run trawl");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn man_page_renders_without_warnings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("trawl.1");
    let text = generate("man", |f| format!("\\-\\-{}", f.replace('-', "\\-")));
    for section in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH EXAMPLES",
        ".SH \"EXIT STATUS\"",
    ] {
        assert!(text.contains(section), "the man page lacks {section}");
    }
    for heading in HEADINGS {
        let name = heading.trim_end_matches(':').to_uppercase();
        assert!(
            text.lines()
                .any(|l| l == format!(".SH {name}") || l == format!(".SH \"{name}\"")),
            "the man page lacks section {name}"
        );
    }
    assert!(
        !text.lines().any(|l| l == ".SH EXTRA"),
        "examples belong in EXAMPLES, not clap_mangen's EXTRA"
    );
    std::fs::write(&page, &text).expect("write");

    let mandoc = exists("mandoc");
    let groff = exists("groff");
    assert!(
        mandoc || groff,
        "neither mandoc nor groff is installed: cannot check the man page"
    );
    if mandoc {
        // Warnings and errors; STYLE notes (long source lines that
        // clap_mangen writes) are not rendering problems.
        check_with(&["mandoc", "-T", "lint", "-W", "warning"], &page);
    }
    if groff {
        let out = Command::new("groff")
            .args(["-w", "all", "-man", "-T", "utf8"])
            .arg(&page)
            .output()
            .expect("run groff");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.is_empty(),
            "groff warns:\n{stderr}"
        );
        // groff overstrikes bold text (c\bc); keep the last character.
        let mut shown = String::new();
        for c in String::from_utf8_lossy(&out.stdout).chars() {
            if c == '\u{8}' {
                shown.pop();
            } else {
                shown.push(c);
            }
        }
        // groff typesets "-" as a hyphen (U+2010) in places; compare as ASCII.
        let shown = shown.replace(['\u{2010}', '\u{2212}'], "-");
        for needle in [
            "--concurrency",
            "--per-host",
            "--max-failures",
            "EXIT STATUS",
        ] {
            assert!(
                shown.contains(needle),
                "the rendered man page lacks {needle}"
            );
        }
    }
}
