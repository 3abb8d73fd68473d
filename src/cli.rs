//! The command line: clap's view of the flags, and their conversion into a
//! checked [`Config`].
//!
//! Doc comments here are the `--help` text. Flags are long kebab-case with
//! an upper-case value name; a short form only where the contract gives
//! one. This module is declared by `main.rs`, so the library never sees
//! clap; value syntaxes are parsed by `trawl::config`.

use clap::error::ErrorKind as ClapErrorKind;
use clap::{ArgAction, CommandFactory, Parser, ValueEnum};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::io::IsTerminal;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;
use trawl::{
    Allowance, Config, CrawlOptions, Expect, Filters, Plan, ProgressWhen, Rate, RenderOptions,
    RenderWait, ReportOptions, Scope, Selection, Shard, ShardBy, Source, StatusSet, find_browser,
    parse_duration, parse_size,
};

/// The end of `-h`: a pointer to what only `--help` has.
const AFTER_HELP: &str = "Use --help for more on each flag, examples and exit status.";

/// Command lines worth copying, shown by `--help` and the man page.
pub const EXAMPLES: &[&str] = &[
    "trawl https://example.com https://www.rust-lang.org",
    "cat urls.txt | trawl -c 100 -t 10s > pages.jsonl",
    "trawl -i urls.txt -o out.jsonl --ordered",
    "trawl -i urls.txt -q | jq -r 'select(.ok | not) | .url'",
    "trawl -i urls.txt -s 'price=.price' -s 'img[]=img@src' --links --meta",
    "trawl --sitemap https://example.com/sitemap.xml -q --expect footer --max-latency 3s",
    "trawl -i urls.txt --robots --host-rate 1/s -A 'mybot/1.0 (+https://me.example/bot)'",
    "trawl -i urls.txt -o out.jsonl --resume -v   # go on after a Ctrl-C",
    "trawl -i urls.txt --links -o today.jsonl --revalidate yesterday.jsonl",
    "trawl --crawl https://docs.example.com/ --check-external -q --junit site.xml",
];

/// The exit codes and when each is given, shown by `--help` and the man page.
pub const EXIT_STATUS: &[(u8, &str)] = &[
    (0, "every record is ok"),
    (1, "at least one record is not ok"),
    (
        2,
        "usage error (bad flag or input file, invalid selector or regex, no browser)",
    ),
    (130, "interrupted (Ctrl-C or SIGTERM)"),
];

/// The end of `--help`: examples, then the exit codes, under headings
/// styled as clap styles its own (plain when colour is off).
fn after_long_help() -> String {
    let h = *clap::builder::Styles::styled().get_header();
    let mut text = format!("{h}Examples:{h:#}\n");
    for example in EXAMPLES {
        text.push_str(&format!("  {example}\n"));
    }
    text.push_str(&format!("\n{h}Exit status:{h:#}\n"));
    for (code, when) in EXIT_STATUS {
        text.push_str(&format!("  {code:<4} {when}\n"));
    }
    text.pop();
    text
}

/// Fetch many web pages at once and stream one JSON record per URL.
///
/// URLs come from the arguments, from files (-i) or from standard input,
/// one per line; blank lines and lines starting with '#' are skipped.
/// Records go to stdout (or -o FILE) as JSON Lines, as each URL finishes;
/// progress and the closing summary go to stderr.
///
/// In the flags below, durations (DUR) take ms, s, m or h (500ms, 10s,
/// 1m30s); a bare number is refused. Sizes take B, KB/MB/GB (powers of
/// 1000) or KiB/MiB/GiB (powers of 1024).
//
// `-h` shows each flag's first paragraph, on one line; `--help` all of
// them. Headings appear in the order of their first field below: Input,
// Fetching, Politeness, Extraction, Rendering, Output, CI checks.
#[derive(Debug, Parser)]
#[command(
    name = "trawl",
    version,
    about,
    long_about,
    after_help = AFTER_HELP,
    after_long_help = after_long_help()
)]
#[command(max_term_width = 100)]
pub struct Args {
    // ---- Input ----
    /// Read URLs from FILE, one per line ('-' = stdin); repeatable.
    #[arg(
        short = 'i',
        long = "input",
        value_name = "FILE",
        help_heading = "Input"
    )]
    pub inputs: Vec<PathBuf>,

    /// Read URLs from a sitemap or sitemap index at URL; repeatable.
    ///
    /// Indexes are followed (nested), plain or gzip. A sitemap that cannot
    /// be read gets a record of kind "sitemap" and the run goes on.
    #[arg(long, value_name = "URL", help_heading = "Input")]
    pub sitemap: Vec<String>,

    /// Take only part K of N of the list (1-based, e.g. 2/8).
    ///
    /// N runs with 1/N, 2/N ... N/N split it, each URL in exactly one, by a fixed
    /// hash: the same split on every machine and run.
    #[arg(long, value_name = "K/N", help_heading = "Input")]
    pub shard: Option<Shard>,

    /// What --shard hashes: url or host.
    ///
    /// 'url': the whole URL (the most even split); 'host': only its host
    /// (all of a host's URLs in one shard, so --per-host holds across
    /// machines). A --crawl needs 'host': each shard crawls its hosts and
    /// leaves links to other hosts to their shards.
    #[arg(
        long,
        value_name = "BY",
        default_value = "url",
        requires = "shard",
        hide_possible_values = true,
        help_heading = "Input"
    )]
    pub shard_by: ShardByArg,

    /// URLs to fetch; '-' reads URLs from stdin.
    ///
    /// With no URL, -i or --sitemap, URLs are read from stdin when it is not
    /// a terminal.
    #[arg(value_name = "URL", help_heading = "Input")]
    pub urls: Vec<String>,

    // ---- Fetching ----
    /// Requests in flight at most, over all hosts.
    #[arg(short = 'c', long, value_name = "N", default_value = "50",
          value_parser = clap::value_parser!(u32).range(1..), help_heading = "Fetching")]
    pub concurrency: u32,

    /// Deadline for one attempt, the whole body included.
    ///
    /// It covers connecting, redirects, headers and the body (e.g. 500ms,
    /// 10s, 2m); the same again bounds parsing the page.
    #[arg(short = 't', long, value_name = "DUR", default_value = "30s",
          value_parser = parse_duration, help_heading = "Fetching")]
    pub timeout: Duration,

    /// Deadline for connecting (DNS, TCP, TLS).
    #[arg(long, value_name = "DUR", default_value = "10s",
          value_parser = parse_duration, help_heading = "Fetching")]
    pub connect_timeout: Duration,

    /// Stop reading a body past SIZE (e.g. 512KiB, 5MB).
    ///
    /// Counted after decompression, so a gzip bomb stops there too.
    #[arg(long, value_name = "SIZE", default_value = "10MiB",
          value_parser = parse_size, help_heading = "Fetching")]
    pub max_body: u64,

    /// Redirects followed at most.
    #[arg(
        long,
        value_name = "N",
        default_value = "10",
        help_heading = "Fetching"
    )]
    pub max_redirects: u32,

    /// Extra attempts on transient failures.
    ///
    /// Transient: connect errors, resets, timeouts, 408, 429, 502, 503, 504
    /// (not 500). Waits back off exponentially with jitter and honour
    /// Retry-After.
    #[arg(long, value_name = "N", default_value = "2", help_heading = "Fetching")]
    pub retries: u32,

    /// Deadline for one URL over all its attempts and waits (e.g. 1m).
    #[arg(long, value_name = "DUR", value_parser = parse_duration,
          help_heading = "Fetching")]
    pub max_time: Option<Duration>,

    /// The User-Agent header [default: trawl/VERSION].
    #[arg(short = 'A', long, value_name = "UA", help_heading = "Fetching")]
    pub user_agent: Option<String>,

    /// An extra request header, 'Name: value'; repeatable.
    ///
    /// Credentials (Authorization, Cookie, Proxy-Authorization) are not sent
    /// on redirects to another origin.
    #[arg(short = 'H', long = "header", value_name = "HEADER",
          value_parser = parse_header, help_heading = "Fetching")]
    pub headers: Vec<(HeaderName, HeaderValue)>,

    /// Accept invalid TLS certificates.
    #[arg(long, help_heading = "Fetching")]
    pub insecure: bool,

    /// Also trust the CA certificates in FILE (PEM).
    ///
    /// One or more certificates, trusted beside the system's store, for
    /// pages, robots.txt and sitemaps. SSL_CERT_FILE and SSL_CERT_DIR, when
    /// set, replace the system's store, as in curl. Only --insecure skips
    /// verification.
    #[arg(long, value_name = "FILE", help_heading = "Fetching")]
    pub cacert: Option<PathBuf>,

    // ---- Politeness ----
    /// Requests in flight at most to one host.
    #[arg(long, value_name = "N", default_value = "8",
          value_parser = clap::value_parser!(u32).range(1..), help_heading = "Politeness")]
    pub per_host: u32,

    /// Start at most RATE requests over all hosts: 20/s, 600/m, 1/2s.
    ///
    /// Every attempt and redirect hop takes a token.
    #[arg(long, value_name = "RATE", help_heading = "Politeness")]
    pub rate: Option<Rate>,

    /// Start at most RATE requests to each host.
    #[arg(long, value_name = "RATE", help_heading = "Politeness")]
    pub host_rate: Option<Rate>,

    /// Tokens a rate limit may spend at once.
    ///
    /// With 1, the first second never exceeds the rate.
    #[arg(long, value_name = "N", default_value = "1",
          value_parser = clap::value_parser!(u32).range(1..), help_heading = "Politeness")]
    pub burst: u32,

    /// Obey robots.txt, fetched once per origin.
    ///
    /// It is kept for the run; a disallowed URL gets error
    /// "robots_disallowed" and no request. Its Crawl-delay paces the origin
    /// unless --host-rate is given.
    #[arg(long, help_heading = "Politeness")]
    pub robots: bool,

    // ---- Extraction ----
    /// Extract a field into "fields": NAME=CSS or NAME[]=CSS; repeatable.
    ///
    /// NAME=CSS takes the first match's text (null when none), NAME[]=CSS
    /// every match's; end the selector with @ATTR for an attribute (URLs
    /// come back absolute), @html for the element's HTML, @text for its
    /// text (the default). E.g. -s 'price=.price' -s 'img[]=img@src'.
    #[arg(
        short = 's',
        long = "select",
        value_name = "NAME=CSS",
        help_heading = "Extraction"
    )]
    pub select: Vec<Selection>,

    /// List the page's links in "links".
    ///
    /// a[href] and area[href], absolute, without fragments, each once, in
    /// page order; #fragment, javascript:, mailto:, tel: and data: links,
    /// and hrefs that are not URLs, left out.
    #[arg(long, help_heading = "Extraction")]
    pub links: bool,

    /// Read the page's metadata into "meta", its JSON-LD into "json_ld".
    ///
    /// Metadata: description, canonical, lang, robots, og:*, twitter:*.
    #[arg(long, help_heading = "Extraction")]
    pub meta: bool,

    // ---- Crawl ----
    /// Also fetch the links of fetched pages, breadth-first.
    ///
    /// The URLs given are the seeds (depth 0). A link is followed when it is
    /// in its seed's --scope, within --depth, and --include/--exclude let
    /// it; every URL is fetched once. Records add "depth" and "parent" and
    /// always carry "links". --per-host, --rate, --host-rate and --robots
    /// hold for every page found (links robots.txt refuses are counted, not
    /// recorded).
    #[arg(long, conflicts_with = "ordered", help_heading = "Crawl")]
    pub crawl: bool,

    /// Follow links at most N steps from a seed.
    #[arg(
        long,
        value_name = "N",
        default_value = "3",
        requires = "crawl",
        help_heading = "Crawl"
    )]
    pub depth: u32,

    /// Links followed: the seed's host, domain, prefix, or any.
    ///
    /// 'host': the seed's host (a leading www. ignored); 'domain': its
    /// registrable domain (public suffix list: blog.example.com is in
    /// example.com, evilexample.com is not); 'prefix': under the seed's URL
    /// up to its last '/'; 'any': every link. A page whose redirects leave
    /// the scope is recorded, but its links are not followed.
    #[arg(
        long,
        value_name = "SCOPE",
        default_value = "host",
        requires = "crawl",
        hide_possible_values = true,
        help_heading = "Crawl"
    )]
    pub scope: ScopeArg,

    /// Follow only links matching one of these regexes; repeatable.
    #[arg(long, value_name = "REGEX", requires = "crawl", help_heading = "Crawl")]
    pub include: Vec<String>,

    /// Never follow links matching REGEX; repeatable; wins over --include.
    #[arg(long, value_name = "REGEX", requires = "crawl", help_heading = "Crawl")]
    pub exclude: Vec<String>,

    /// Start no new page once N pages are started.
    ///
    /// Pages robots.txt refuses do not count. What is left is counted in the
    /// summary as cut by --max-pages.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..),
          requires = "crawl", help_heading = "Crawl")]
    pub max_pages: Option<u64>,

    /// Fetch each out-of-scope link once, without following its links.
    ///
    /// Its record carries its depth and parent like any other; so a crawl
    /// checks every link of a site, its own and others'.
    #[arg(long, requires = "crawl", help_heading = "Crawl")]
    pub check_external: bool,

    /// Also crawl from the sitemaps of each seed's site.
    ///
    /// The sitemaps its robots.txt lists (Sitemap: lines), else its
    /// /sitemap.xml if it has one; their URLs are seeds (depth 0). A listed
    /// sitemap that cannot be read gets a record of kind "sitemap".
    #[arg(long, requires = "crawl", help_heading = "Crawl")]
    pub discover_sitemaps: bool,

    // ---- Rendering ----
    /// Render ok HTML pages in headless Chromium, then extract.
    ///
    /// The page is fetched once, by trawl; the browser gets that body for
    /// the page's URL and loads the page's scripts, styles and requests
    /// itself. A render never outlives --timeout. Records gain "render":
    /// {"ms", "requests"}.
    #[arg(long, help_heading = "Rendering")]
    pub render: bool,

    /// When to read the DOM: load, idle or CSS.
    ///
    /// load: the load event; idle: no request for 500 ms; CSS: once the
    /// selector matches (e.g. '#app .item').
    #[arg(long, value_name = "load|idle|CSS", default_value = "load",
          value_parser = RenderWait::parse, requires = "render", help_heading = "Rendering")]
    pub render_wait: RenderWait,

    /// Pages rendering at once.
    #[arg(long, value_name = "N", default_value = "4",
          value_parser = clap::value_parser!(u32).range(1..), requires = "render",
          help_heading = "Rendering")]
    pub tabs: u32,

    /// The browser to run [default: $CHROME, else chromium on PATH].
    ///
    /// Without it: $CHROME if set, else the first of chromium,
    /// chromium-browser and google-chrome on PATH.
    #[arg(
        long,
        value_name = "PATH",
        requires = "render",
        help_heading = "Rendering"
    )]
    pub browser: Option<PathBuf>,

    // ---- Output ----
    /// Write the records to FILE [default: stdout].
    #[arg(short = 'o', long, value_name = "FILE", help_heading = "Output")]
    pub output: Option<PathBuf>,

    /// With -o: skip the URLs FILE already has, append the rest.
    ///
    /// A torn last line left by a crash is cut off first.
    #[arg(long, requires = "output", help_heading = "Output")]
    pub resume: bool,

    /// Re-run against FILE, an earlier run's output: fetch what changed.
    ///
    /// A URL whose record in FILE is ok and has an ETag or Last-Modified is
    /// fetched with If-None-Match / If-Modified-Since; a 304 is ok and
    /// carries that record's title, fields, links and meta forward. Records
    /// add "changed" (by the body's hash) and "not_modified".
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub revalidate: Option<PathBuf>,

    /// With --revalidate: write only new, failed or changed URLs' records.
    ///
    /// The summary counts the unchanged ones.
    #[arg(long, requires = "revalidate", help_heading = "Output")]
    pub changed_only: bool,

    /// Write records in input order (memory stays bounded).
    #[arg(long, help_heading = "Output")]
    pub ordered: bool,

    /// Progress bar on stderr: auto, always, never.
    ///
    /// 'auto': only when stderr is a terminal; 'always': also a plain line
    /// every few seconds when stderr is not a terminal; 'never'.
    #[arg(
        long,
        value_name = "WHEN",
        default_value = "auto",
        hide_possible_values = true,
        help_heading = "Output"
    )]
    pub progress: ProgressArg,

    /// No progress bar and no summary.
    #[arg(short = 'q', long, help_heading = "Output")]
    pub quiet: bool,

    /// More on stderr: -v per URL, -vv per decision.
    ///
    /// -v: one line per URL on stderr (status, timings, retries); -vv:
    /// request, redirect and retry decisions too. RUST_LOG overrides.
    #[arg(short = 'v', long, action = ArgAction::Count, help_heading = "Output")]
    pub verbose: u8,

    /// Colour on stderr: auto, always, never.
    ///
    /// 'auto': only on a terminal, and not when NO_COLOR is set.
    #[arg(
        long,
        value_name = "WHEN",
        default_value = "auto",
        hide_possible_values = true,
        help_heading = "Output"
    )]
    pub color: ColorWhen,

    /// Statuses that count as ok, e.g. '200,204,300-399'.
    #[arg(
        long,
        value_name = "LIST",
        default_value = "200-399",
        help_heading = "Output"
    )]
    pub ok_status: StatusSet,

    // ---- CI checks ----
    /// Fail a page unless CSS matches an element; repeatable.
    ///
    /// The error is "expectation", naming the selector; a response that is
    /// not HTML cannot match one.
    #[arg(long, value_name = "CSS", help_heading = "CI checks")]
    pub expect: Vec<Expect>,

    /// Fail a page unless its text contains TEXT; repeatable.
    ///
    /// The error is "expectation". Whitespace is collapsed; a non-HTML body
    /// is searched as text.
    #[arg(long, value_name = "TEXT", help_heading = "CI checks")]
    pub expect_text: Vec<String>,

    /// Fail a page slower than DUR (error "slow").
    ///
    /// Timed from the first request to the record.
    #[arg(long, value_name = "DUR", value_parser = parse_duration,
          help_heading = "CI checks")]
    pub max_latency: Option<Duration>,

    /// Start no new URL once N records are not ok; exit 1.
    ///
    /// Those in flight finish and get records.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..),
          help_heading = "CI checks")]
    pub max_failures: Option<u64>,

    /// Exit 0 while at most N (or P%) of the records are not ok.
    ///
    /// The records and the summary still list every failure.
    #[arg(long, value_name = "N|P%", help_heading = "CI checks")]
    pub allow_failures: Option<Allowance>,

    /// Also write a JUnit XML report to FILE.
    ///
    /// One test case per URL, a failure for each record that is not ok.
    #[arg(long, value_name = "FILE", help_heading = "CI checks")]
    pub junit: Option<PathBuf>,

    /// Also write the closing summary to FILE as JSON.
    #[arg(long, value_name = "FILE", help_heading = "CI checks")]
    pub summary_json: Option<PathBuf>,

    // ---- hidden ----
    /// Print a shell completion script or the man page to stdout, and exit.
    #[arg(long, value_name = "KIND", hide = true)]
    pub generate: Option<Generate>,
}

/// `--scope` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScopeArg {
    Host,
    Domain,
    Prefix,
    Any,
}

/// `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// Only when stderr is a terminal and NO_COLOR is not set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// `--generate` values: what to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Generate {
    CompletionsBash,
    CompletionsZsh,
    CompletionsFish,
    CompletionsPowershell,
    CompletionsElvish,
    Man,
}

/// The text `--generate KIND` prints: made from the clap definition
/// above, so it never lists a flag trawl lacks.
///
/// # Errors
/// Writing the man page into memory failed (it does not).
pub fn generated(kind: Generate) -> std::io::Result<Vec<u8>> {
    use clap_complete::Shell;
    let mut cmd = Args::command();
    let shell = match kind {
        Generate::CompletionsBash => Shell::Bash,
        Generate::CompletionsZsh => Shell::Zsh,
        Generate::CompletionsFish => Shell::Fish,
        Generate::CompletionsPowershell => Shell::PowerShell,
        Generate::CompletionsElvish => Shell::Elvish,
        Generate::Man => return man_page(cmd),
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "trawl", &mut out);
    Ok(out)
}

/// clap_mangen's sections, then EXAMPLES and EXIT STATUS written here (its
/// own "EXTRA" section would run the examples together into one paragraph).
fn man_page(cmd: clap::Command) -> std::io::Result<Vec<u8>> {
    // The synopsis `--help` shows, not every flag in a row.
    let man = clap_mangen::Man::new(cmd.override_usage("trawl [OPTIONS] [URL]..."))
        .title("TRAWL")
        .date(man_date());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    let mut roff = String::from(".SH EXAMPLES\n");
    for (i, example) in EXAMPLES.iter().enumerate() {
        if i > 0 {
            roff.push_str(".PP\n");
        }
        roff.push_str(&format!(".nf\n{}\n.fi\n", roff_escape(example)));
    }
    roff.push_str(".SH \"EXIT STATUS\"\n");
    for (code, when) in EXIT_STATUS {
        roff.push_str(&format!(".TP\n{code}\n{}\n", roff_escape(when)));
    }
    out.extend_from_slice(roff.as_bytes());
    man.render_version_section(&mut out)?;
    Ok(out)
}

/// The man page's date, YYYY-MM-DD: the day it is generated, or the
/// reproducible-builds SOURCE_DATE_EPOCH when that is set (an empty date
/// would make man readers take the next field for it).
fn man_date() -> String {
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok());
    let when = match epoch {
        Some(secs) => std::time::UNIX_EPOCH + Duration::from_secs(secs),
        None => std::time::SystemTime::now(),
    };
    let mut stamp = humantime::format_rfc3339_seconds(when).to_string();
    stamp.truncate(10);
    stamp
}

/// Escapes text for a roff text line: backslashes, hyphens (so they are
/// not typeset as dashes), and a leading `.` or `'` (a control line).
fn roff_escape(text: &str) -> String {
    let body = text.replace('\\', "\\e").replace('-', "\\-");
    if body.starts_with(['.', '\'']) {
        format!("\\&{body}")
    } else {
        body
    }
}

/// `--shard-by` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ShardByArg {
    /// The whole URL.
    Url,
    /// The host name.
    Host,
}

/// `--progress` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ProgressArg {
    /// Only when stderr is a terminal.
    Auto,
    /// Always (a plain line every few seconds when stderr is not a terminal).
    Always,
    /// Never.
    Never,
}

/// Reads `--cacert`: every certificate of a PEM file, each checked to be
/// one that can anchor trust, so a wrong file fails before any request.
fn read_cacert(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    use std::io::Read;
    // Read in bounded memory: a bundle of every public CA is about 200 KiB.
    const MAX_CA_FILE: u64 = 10 << 20;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_CA_FILE + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read it: {e}"))?;
    if bytes.len() as u64 > MAX_CA_FILE {
        return Err("it is larger than 10 MiB; a file of CA certificates is far smaller".into());
    }
    let mut certs = Vec::new();
    for (i, der) in CertificateDer::pem_slice_iter(&bytes).enumerate() {
        let der = der.map_err(|e| format!("certificate {} is not valid PEM: {e}", i + 1))?;
        rustls::RootCertStore::empty()
            .add(der.clone())
            .map_err(|e| format!("certificate {} cannot be a trust anchor: {e}", i + 1))?;
        let cert = reqwest::Certificate::from_der(&der)
            .map_err(|e| format!("certificate {}: {e}", i + 1))?;
        certs.push(cert);
    }
    if certs.is_empty() {
        return Err("no PEM certificate (-----BEGIN CERTIFICATE-----) in it".into());
    }
    Ok(certs)
}

/// Parses `Name: value` for `-H`.
fn parse_header(s: &str) -> Result<(HeaderName, HeaderValue), String> {
    let (name, value) = s
        .split_once(':')
        .ok_or_else(|| format!("'{s}' is not 'Name: value'"))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| format!("'{}' is not a valid header name", name.trim()))?;
    let value = HeaderValue::from_str(value.trim()).map_err(|_| {
        format!("the value of header '{name}' has characters a header cannot carry")
    })?;
    Ok((name, value))
}

impl Args {
    /// Checks what clap cannot and builds the run's [`Config`].
    ///
    /// # Errors
    /// A clap usage error (exit status 2): no input at all, or an input
    /// file that cannot be opened.
    pub fn into_config(self) -> Result<Config, clap::Error> {
        let mut inputs: Vec<Source> = self
            .urls
            .into_iter()
            .map(|u| {
                if u == "-" {
                    Source::Stdin
                } else {
                    Source::Arg(u)
                }
            })
            .collect();
        for path in self.inputs {
            if path.as_os_str() == "-" {
                inputs.push(Source::Stdin);
                continue;
            }
            // Each input is opened once, by the reader: a FIFO opened here
            // and closed again would kill a writer that already wrote (with
            // SIGPIPE) and leave the reader's open waiting for another. So
            // only a regular file is opened to see that it can be read.
            let unreadable = match std::fs::metadata(&path) {
                Err(e) => Some(e.to_string()),
                Ok(m) if m.is_dir() => Some("it is a directory".into()),
                Ok(m) if m.is_file() => std::fs::File::open(&path).err().map(|e| e.to_string()),
                Ok(_) => None,
            };
            if let Some(why) = unreadable {
                return Err(usage(
                    ClapErrorKind::Io,
                    format!("cannot read input file '{}': {why}", path.display()),
                ));
            }
            inputs.push(Source::File(path));
        }
        inputs.extend(self.sitemap.into_iter().map(Source::Sitemap));
        if inputs.is_empty() {
            if std::io::stdin().is_terminal() {
                return Err(usage(
                    ClapErrorKind::MissingRequiredArgument,
                    "no URLs: give URLs as arguments, -i FILE, or pipe a list on stdin".into(),
                ));
            }
            inputs.push(Source::Stdin);
        }
        if let Some(prev) = &self.revalidate {
            // Records written into the file being read would destroy the
            // history they are checked against: by -o, or by a shell
            // redirection of stdout (on systems with /dev/stdout).
            let out = self
                .output
                .clone()
                .unwrap_or_else(|| PathBuf::from("/dev/stdout"));
            if same_file(prev, &out) {
                let named = match &self.output {
                    Some(o) => format!("-o '{}'", o.display()),
                    None => "standard output".to_owned(),
                };
                return Err(usage(
                    ClapErrorKind::ArgumentConflict,
                    format!(
                        "{named} is the --revalidate file '{}': it would be overwritten \
                         while it is read; write to another file",
                        prev.display()
                    ),
                ));
            }
        }
        let mut headers = HeaderMap::new();
        for (name, value) in self.headers {
            headers.append(name, value);
        }
        let mut names = std::collections::HashSet::new();
        if let Some(dup) = self.select.iter().find(|s| !names.insert(s.name.as_str())) {
            return Err(usage(
                ClapErrorKind::ValueValidation,
                format!("field '{}' is given twice by -s", dup.name),
            ));
        }
        for (flag, rate) in [("--rate", self.rate), ("--host-rate", self.host_rate)] {
            if let Some(rate) = rate
                && !rate.allows_burst(self.burst)
            {
                return Err(usage(
                    ClapErrorKind::ValueValidation,
                    format!(
                        "--burst {} at {flag} {rate} takes more than 365 days to refill; \
                         use a faster rate or a smaller burst",
                        self.burst
                    ),
                ));
            }
        }
        let ca_certs = match &self.cacert {
            Some(path) => read_cacert(path).map_err(|why| {
                usage(
                    ClapErrorKind::ValueValidation,
                    format!("--cacert '{}': {why}", path.display()),
                )
            })?,
            None => Vec::new(),
        };
        let shard = self.shard.map(|s| Shard {
            by: match self.shard_by {
                ShardByArg::Url => ShardBy::Url,
                ShardByArg::Host => ShardBy::Host,
            },
            ..s
        });
        if self.crawl && shard.is_some_and(|s| s.by != ShardBy::Host) {
            return Err(usage(
                ClapErrorKind::ArgumentConflict,
                "--crawl splits by host: add --shard-by host to --shard".into(),
            ));
        }
        let crawl = if self.crawl {
            let filters = Filters::new(&self.include, &self.exclude)
                .map_err(|e| usage(ClapErrorKind::ValueValidation, e))?;
            Some(CrawlOptions {
                depth: self.depth,
                scope: match self.scope {
                    ScopeArg::Host => Scope::Host,
                    ScopeArg::Domain => Scope::Domain,
                    ScopeArg::Prefix => Scope::Prefix,
                    ScopeArg::Any => Scope::Any,
                },
                filters,
                max_pages: self.max_pages,
                check_external: self.check_external,
                discover_sitemaps: self.discover_sitemaps,
                shard,
            })
        } else {
            None
        };
        let nz = |n: u32| NonZeroUsize::new(n as usize).unwrap_or(NonZeroUsize::MIN);
        let user_agent = self
            .user_agent
            .unwrap_or_else(|| concat!("trawl/", env!("CARGO_PKG_VERSION")).to_owned());
        let render = if self.render {
            let browser = find_browser(self.browser.as_deref(), std::env::var_os("CHROME"))
                .map_err(|m| usage(ClapErrorKind::ValueValidation, m))?;
            Some(RenderOptions {
                browser,
                wait: self.render_wait,
                tabs: nz(self.tabs).get(),
                timeout: self.timeout,
                user_agent: user_agent.clone(),
            })
        } else {
            None
        };
        Ok(Config {
            inputs,
            concurrency: nz(self.concurrency),
            per_host: nz(self.per_host),
            timeout: self.timeout,
            connect_timeout: self.connect_timeout,
            max_body: self.max_body,
            max_redirects: self.max_redirects,
            user_agent,
            headers,
            insecure: self.insecure,
            ca_certs,
            output: self.output,
            ordered: self.ordered,
            progress: match self.progress {
                ProgressArg::Auto => ProgressWhen::Auto,
                ProgressArg::Always => ProgressWhen::Always,
                ProgressArg::Never => ProgressWhen::Never,
            },
            quiet: self.quiet,
            ok_status: self.ok_status,
            plan: Plan {
                selections: self.select,
                // A crawl's records always carry their links.
                links: self.links || crawl.is_some(),
                meta: self.meta,
                parse_timeout: Some(self.timeout),
                expect: self.expect,
                expect_text: self.expect_text,
            },
            max_latency: self.max_latency,
            resume: self.resume,
            revalidate: self.revalidate,
            changed_only: self.changed_only,
            retries: self.retries,
            robots: self.robots,
            render,
            crawl,
            max_time: self.max_time,
            rate: self.rate,
            host_rate: self.host_rate,
            burst: std::num::NonZeroU32::new(self.burst).unwrap_or(std::num::NonZeroU32::MIN),
            max_failures: self.max_failures,
            reports: ReportOptions {
                // Set from the environment by main (report::github_from_env).
                github: None,
                junit: self.junit,
                summary_json: self.summary_json,
            },
            allow_failures: self.allow_failures,
            shard,
        })
    }
}

/// Tells whether two paths name one existing file (through symbolic
/// links and `..`, and on Unix hard links too); a path that does not exist
/// yet names no existing file.
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    let (Ok(ca), Ok(cb)) = (std::fs::canonicalize(a), std::fs::canonicalize(b)) else {
        return false;
    };
    if ca == cb {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(ma), Ok(mb)) = (std::fs::metadata(&ca), std::fs::metadata(&cb)) {
            return ma.dev() == mb.dev() && ma.ino() == mb.ino();
        }
    }
    false
}

/// Makes a usage error that prints like clap's own and exits 2.
pub fn usage(kind: ClapErrorKind, msg: String) -> clap::Error {
    Args::command().error(kind, msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("trawl").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_match_the_contract() {
        let cfg = parse(&["https://a.test/"]).unwrap().into_config().unwrap();
        assert_eq!(cfg.concurrency.get(), 50);
        assert_eq!(cfg.per_host.get(), 8);
        assert_eq!(cfg.timeout, Duration::from_secs(30));
        assert_eq!(cfg.connect_timeout, Duration::from_secs(10));
        assert_eq!(cfg.max_body, 10 << 20);
        assert_eq!(cfg.max_redirects, 10);
        assert!(cfg.user_agent.starts_with("trawl/"));
        assert_eq!(cfg.ok_status, StatusSet::default());
        assert_eq!(cfg.progress, ProgressWhen::Auto);
        assert_eq!(cfg.inputs, vec![Source::Arg("https://a.test/".into())]);
    }

    #[test]
    fn dash_means_stdin_and_inputs_keep_order() {
        let cfg = parse(&["https://a.test/", "-", "-i", "-"])
            .unwrap()
            .into_config()
            .unwrap();
        assert_eq!(
            cfg.inputs,
            vec![
                Source::Arg("https://a.test/".into()),
                Source::Stdin,
                Source::Stdin
            ]
        );
    }

    #[test]
    fn bad_values_are_usage_errors_naming_the_flag() {
        for (args, needle) in [
            (&["-c", "0", "u"][..], "--concurrency"),
            (&["--per-host", "0", "u"][..], "--per-host"),
            (&["-t", "10", "u"][..], "needs a unit"),
            (&["--max-body", "lots", "u"][..], "--max-body"),
            (&["--ok-status", "2xx", "u"][..], "--ok-status"),
            (&["-H", "NoColon", "u"][..], "Name: value"),
            (&["--progress", "sometimes", "u"][..], "--progress"),
        ] {
            let err = parse(args).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{args:?}");
            assert!(err.to_string().contains(needle), "{args:?}: {err}");
        }
    }

    #[test]
    fn missing_input_file_is_a_usage_error() {
        let err = parse(&["-i", "/nonexistent/urls.txt"])
            .unwrap()
            .into_config()
            .unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("/nonexistent/urls.txt"));
    }

    #[test]
    fn headers_parse_and_repeat() {
        let cfg = parse(&[
            "-H",
            "X-A: 1",
            "-H",
            "x-a:2",
            "-H",
            "Authorization: Bearer t",
            "u",
        ])
        .unwrap()
        .into_config()
        .unwrap();
        let all: Vec<_> = cfg.headers.get_all("x-a").iter().collect();
        assert_eq!(all, ["1", "2"]);
        assert_eq!(cfg.headers["authorization"], "Bearer t");
    }

    #[test]
    fn clap_definition_is_consistent() {
        Args::command().debug_assert();
    }
}
