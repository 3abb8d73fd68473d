//! `--config FILE` and `--explain URL`: the settings file's defaults are
//! read as flags placed before the command line's (a flag given on the
//! command line keeps its own value, so flags win), each checked alone so
//! that a bad one is named by file, line and key; its `[[site]]` rules go
//! to the run as they are. `--explain` prints what applies to one URL and
//! where each value came from.

use super::Args;
use super::resolve::usage;
use clap::error::ErrorKind as ClapErrorKind;
use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser};
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::PathBuf;
use trawl::sites::{FlagDefault, Sites, mask};

/// What `--config` read, and what `--explain` needs to say where each
/// value came from.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The file, when one was named.
    pub path: Option<PathBuf>,
    /// Its flag defaults, in file order.
    pub defaults: Vec<FlagDefault>,
    /// Its rules.
    pub sites: Sites,
    /// The long names of the flags the command line gave.
    pub given: BTreeSet<String>,
    /// Every flag's values as finally parsed (defaults included), by long
    /// name, in `--help` order.
    pub values: Vec<(String, Vec<String>)>,
}

/// Flags a settings file cannot set.
const NOT_IN_FILE: &[&str] = &["config", "explain", "generate", "help", "version"];

/// Parses the process's command line, with `--config`'s file; exits with
/// clap's message and status 2 on a usage error.
pub fn parse() -> Args {
    let argv: Vec<OsString> = std::env::args_os().collect();
    parse_from(argv).unwrap_or_else(|e| e.exit())
}

/// Parses `argv` (the program's name first), with `--config`'s file.
///
/// # Errors
/// A usage error: the command line's, or the file's (naming file, line and
/// key).
pub fn parse_from(argv: Vec<OsString>) -> Result<Args, clap::Error> {
    // What the command line alone gives: the file to read, and the flags
    // that keep their own values.
    let alone = Args::command()
        .ignore_errors(true)
        .try_get_matches_from(&argv)
        .ok();
    let config = alone
        .as_ref()
        .and_then(|m| m.get_one::<PathBuf>("config").cloned());
    let explain = alone
        .as_ref()
        .is_some_and(|m| m.contains_id("explain") && m.get_raw("explain").is_some());
    if config.is_none() && !explain {
        return Args::try_parse_from(argv);
    }
    let cmd = Args::command();
    let mut given = BTreeSet::new();
    if let Some(m) = &alone {
        for arg in cmd.get_arguments() {
            if m.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine)
                && let Some(long) = arg.get_long()
            {
                given.insert(long.to_owned());
            }
        }
    }
    let mut settings = Settings {
        given,
        ..Settings::default()
    };
    let program = argv.first().cloned().unwrap_or_else(|| "trawl".into());
    let mut words = vec![program.clone()];
    if let Some(path) = config {
        let text = std::fs::read_to_string(&path).map_err(|e| {
            usage(
                ClapErrorKind::Io,
                format!("cannot read --config {}: {e}", path.display()),
            )
        })?;
        let (defaults, sites) = trawl::sites::parse(&text, &path)
            .map_err(|e| usage(ClapErrorKind::ValueValidation, e))?;
        for d in &defaults {
            let at = |why: &str| {
                usage(
                    ClapErrorKind::ValueValidation,
                    format!("{}:{}: {}: {why}", path.display(), d.line, d.key),
                )
            };
            let Some(arg) = cmd
                .get_arguments()
                .find(|a| a.get_long() == Some(d.key.as_str()) && !a.is_hide_set())
                .filter(|_| !NOT_IN_FILE.contains(&d.key.as_str()))
            else {
                return Err(at("not a flag of trawl (see trawl --help)"));
            };
            let takes_value = arg.get_action().takes_values();
            if d.switch && takes_value {
                return Err(at("takes a value, not true"));
            }
            if !d.switch && !takes_value {
                return Err(at("is a switch: write true or false"));
            }
            if settings.given.contains(&d.key) {
                continue;
            }
            let mut mine: Vec<OsString> = Vec::new();
            if d.switch {
                mine.push(format!("--{}", d.key).into());
            }
            for v in &d.values {
                mine.push(format!("--{}", d.key).into());
                mine.push(v.into());
            }
            // The value alone, so that its error names the file's line.
            let mut probe = vec![program.clone()];
            probe.extend(mine.iter().cloned());
            probe.push("http://127.0.0.1/".into());
            if let Err(e) = Args::command().try_get_matches_from(probe)
                && matches!(
                    e.kind(),
                    ClapErrorKind::InvalidValue
                        | ClapErrorKind::ValueValidation
                        | ClapErrorKind::InvalidUtf8
                        | ClapErrorKind::TooManyValues
                        | ClapErrorKind::TooFewValues
                        | ClapErrorKind::WrongNumberOfValues
                )
            {
                let text = e.to_string();
                let first = text.lines().next().unwrap_or_default();
                return Err(at(first.trim_start_matches("error: ")));
            }
            words.extend(mine);
        }
        settings.path = Some(path);
        settings.defaults = defaults;
        settings.sites = sites;
    }
    words.extend(argv.into_iter().skip(1));
    let matches = Args::command().try_get_matches_from(words)?;
    for arg in cmd.get_arguments() {
        let (Some(long), Some(raw)) = (arg.get_long(), matches.get_raw(arg.get_id().as_str()))
        else {
            continue;
        };
        let values = raw.map(|v| v.to_string_lossy().into_owned()).collect();
        settings.values.push((long.to_owned(), values));
    }
    let mut args = Args::from_arg_matches(&matches)?;
    args.settings = Some(settings);
    Ok(args)
}

/// The keys a `[[site]]` rule can change, by the long flag that sets them
/// for the whole run.
const SITE_KEYS: &[(&str, &str)] = &[
    ("header", "headers"),
    ("proxy", "proxy"),
    ("per-host", "per-host"),
    ("host-rate", "host-rate"),
    ("timeout", "timeout"),
    ("render", "render"),
    ("robots", "robots"),
    ("user-agent", "user-agent"),
];

/// What `--explain URL` prints: each setting that applies to `url`, its
/// value (secrets masked) and where it came from.
///
/// # Errors
/// `url` is not an http(s) URL.
pub fn explain(settings: &Settings, url: &str) -> Result<String, String> {
    let parsed = url::Url::parse(url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| format!("--explain: {url:?} is not an http(s) URL"))?;
    let file = |key: &str| {
        let path = settings.path.as_ref()?;
        let d = settings.defaults.iter().find(|d| d.key == key)?;
        Some(format!("{}:{}", path.display(), d.line))
    };
    let source = |key: &str| {
        if settings.given.contains(key) {
            "command line".to_owned()
        } else {
            file(key).unwrap_or_else(|| "default".to_owned())
        }
    };
    let shown = |key: &str, values: &[String]| -> Vec<String> {
        match key {
            "header" => values
                .iter()
                .map(|h| match h.split_once(':') {
                    Some((n, v)) => format!("{n}: {}", mask(n, v.trim())),
                    None => h.clone(),
                })
                .collect(),
            "proxy" => values.iter().map(|p| mask("proxy", p)).collect(),
            _ => values.to_vec(),
        }
    };
    let mut rows: Vec<(String, String, String)> = Vec::new();
    let values = |key: &str| {
        settings
            .values
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    // The run's own settings: those a rule can change, then every other
    // that the file or the command line set.
    for (flag, _) in SITE_KEYS {
        let v = values(flag);
        if v.is_empty() {
            let none = match *flag {
                "user-agent" => concat!("trawl/", env!("CARGO_PKG_VERSION")),
                _ => "(none)",
            };
            rows.push(((*flag).into(), none.into(), source(flag)));
        }
        for one in shown(flag, &v) {
            rows.push(((*flag).into(), one, source(flag)));
        }
    }
    for (key, v) in &settings.values {
        let ours = SITE_KEYS.iter().any(|(f, _)| f == key);
        let set = settings.given.contains(key) || file(key).is_some();
        if ours || !set || matches!(key.as_str(), "config" | "explain") {
            continue;
        }
        for one in shown(key, v) {
            rows.push((key.clone(), one, source(key)));
        }
    }
    // What the rules change for this URL: each key from the last rule
    // that matches and sets it, replacing the run's value.
    let path = settings
        .path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    for rule in &settings.sites.rules {
        if !rule.matcher.matches(&parsed) {
            continue;
        }
        let from = |key: &str| {
            let line = rule.lines.get(key).copied().unwrap_or_default();
            let what = match &rule.matcher {
                trawl::sites::Matcher::Host(g) => format!("match = {g:?}"),
                trawl::sites::Matcher::Prefix(p) => format!("prefix = {p:?}"),
            };
            format!("{path}:{line} ([[site]] {what})")
        };
        for (name, value) in &rule.headers {
            let key = match name.as_str() {
                "cookie" if rule.lines.contains_key("cookies") => "cookies",
                "authorization" if rule.lines.contains_key("auth") => "auth",
                _ => "headers",
            };
            let text = value.to_str().unwrap_or("(not text)");
            rows.retain(|(k, v, _)| {
                !(k == "header"
                    && v.split(':')
                        .next()
                        .is_some_and(|n| n.eq_ignore_ascii_case(name.as_str())))
            });
            rows.push((
                "header".into(),
                format!("{name}: {}", mask(name.as_str(), text)),
                from(key),
            ));
        }
        let mut set = |flag: &str, key: &str, value: Option<String>| {
            if let Some(value) = value {
                rows.retain(|(k, _, _)| k != flag);
                rows.push((flag.into(), value, from(key)));
            }
        };
        set(
            "proxy",
            "proxy",
            rule.proxy.as_ref().map(|p| p.shown.clone()),
        );
        set("per-host", "per-host", rule.per_host.map(|n| n.to_string()));
        set(
            "host-rate",
            "host-rate",
            rule.host_rate.map(|r| r.to_string()),
        );
        set(
            "timeout",
            "timeout",
            rule.timeout
                .map(|t| humantime::format_duration(t).to_string()),
        );
        set("render", "render", rule.render.map(|b| b.to_string()));
        set("robots", "robots", rule.robots.map(|b| b.to_string()));
        set(
            "user-agent",
            "user-agent",
            rule.user_agent
                .as_ref()
                .map(|v| v.to_str().unwrap_or_default().to_owned()),
        );
    }
    let mut out = String::new();
    let _ = writeln!(out, "settings for {parsed}");
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(8);
    let vwidth = rows
        .iter()
        .map(|r| r.1.chars().count())
        .max()
        .unwrap_or(0)
        .min(48);
    for (k, v, from) in rows {
        let _ = writeln!(out, "  {k:<width$}  {v:<vwidth$}  {from}");
    }
    Ok(out)
}
