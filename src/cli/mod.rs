//! The command line: clap's view of the flags (here: parsing only, no I/O),
//! the resolving step that turns them into a checked [`Config`]
//! (`resolve`), and the completions and man page made from them
//! (`generate`).
//!
//! Doc comments here are the `--help` text. Flags are long kebab-case with
//! an upper-case value name; a short form only where the contract gives
//! one. This module is declared by `main.rs`, so the library never sees
//! clap; value syntaxes are parsed by `trawl::config`.

mod generate;
mod resolve;
pub mod settings;

pub use generate::generated;

use clap::{ArgAction, Parser, ValueEnum};
use reqwest::header::{HeaderName, HeaderValue};
use std::path::PathBuf;
use std::time::Duration;
use trawl::{
    Allowance, Expect, ProxyUrl, Rate, RenderWait, Selection, Shard, StatusSet, parse_duration,
    parse_size,
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
// --depth, --scope, --include and --exclude steer --crawl and --follow alike.
#[command(group(clap::ArgGroup::new("walk").args(["crawl", "follow"]).multiple(true)))]
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
    /// Sent to the hosts of the input URLs only. Credentials (Authorization,
    /// Cookie, Proxy-Authorization) go only to the input URL's origin, never
    /// on a redirect or a crawl link to another.
    #[arg(short = 'H', long = "header", value_name = "HEADER",
          value_parser = parse_header, help_heading = "Fetching")]
    pub headers: Vec<(HeaderName, HeaderValue)>,

    /// Load cookies from FILE, a Netscape cookies.txt.
    ///
    /// As browsers' export extensions, curl (-c) and wget write it. With
    /// --cookies or --cookie-jar, cookies that responses set are kept for
    /// the run (RFC 6265 domain and path rules) and sent with later requests
    /// to their hosts; without either, no cookie is stored.
    #[arg(long, value_name = "FILE", help_heading = "Fetching")]
    pub cookies: Option<PathBuf>,

    /// Write the run's cookies to FILE (Netscape format) when it ends.
    ///
    /// With --resume, FILE is loaded again first, so a session survives an
    /// interrupted run.
    #[arg(long, value_name = "FILE", help_heading = "Fetching")]
    pub cookie_jar: Option<PathBuf>,

    /// Send requests through a proxy: http, https, socks5 or socks5h URL.
    ///
    /// Credentials go in the URL (http://user:pass@host:3128); records show
    /// the proxy without them in "proxy". Hosts NO_PROXY names go direct.
    /// Repeatable: several make a pool (see --proxy-rotate).
    #[arg(long, value_name = "URL", help_heading = "Fetching")]
    pub proxy: Vec<ProxyUrl>,

    /// Add the proxies in FILE to the pool, one URL a line.
    #[arg(long, value_name = "FILE", help_heading = "Fetching")]
    pub proxy_file: Option<PathBuf>,

    /// How the pool is shared: host or request.
    ///
    /// 'host': each host keeps one proxy; 'request': the next proxy for each
    /// request. A proxy that cannot be reached is rested for 30 s and the
    /// request goes to another at once (no attempt is spent).
    #[arg(
        long,
        value_name = "HOW",
        default_value = "host",
        hide_possible_values = true,
        help_heading = "Fetching"
    )]
    pub proxy_rotate: RotateArg,

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

    /// Read the page's main content into "content", as FORMAT.
    ///
    /// What a reader came for (the article, the post and its replies, the
    /// product, the documentation page, the items of a listing) without
    /// navigation, site header and footer, sidebars, banners, ads, share
    /// buttons and "related" blocks; with its title, author, published date
    /// and language. markdown: GitHub-flavoured, absolute links; text:
    /// plain, blocks separated by a blank line; html: a clean fragment.
    #[arg(
        long,
        value_name = "FORMAT",
        value_enum,
        hide_possible_values = true,
        help_heading = "Main content"
    )]
    pub content: Option<ContentArg>,

    /// Take the main content from the elements CSS matches; repeatable.
    ///
    /// In page order, instead of detecting it: for the site the detector
    /// reads wrong.
    #[arg(
        long,
        value_name = "CSS",
        requires = "content",
        help_heading = "Main content"
    )]
    pub content_select: Vec<Expect>,

    /// Drop the elements CSS matches from the main content; repeatable.
    ///
    /// Removed before the content is detected or selected.
    #[arg(
        long,
        value_name = "CSS",
        requires = "content",
        help_heading = "Main content"
    )]
    pub content_exclude: Vec<Expect>,

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

    /// Follow links at most N steps from a seed [default: 3].
    ///
    /// With --follow and no --crawl the default is 1000, so that a listing
    /// is walked to its end.
    #[arg(long, value_name = "N", requires = "walk", help_heading = "Crawl")]
    pub depth: Option<u32>,

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
        requires = "walk",
        hide_possible_values = true,
        help_heading = "Crawl"
    )]
    pub scope: ScopeArg,

    /// Follow only links matching one of these regexes; repeatable.
    #[arg(long, value_name = "REGEX", requires = "walk", help_heading = "Crawl")]
    pub include: Vec<String>,

    /// Never follow links matching REGEX; repeatable; wins over --include.
    #[arg(long, value_name = "REGEX", requires = "walk", help_heading = "Crawl")]
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

    /// Follow the links of elements matching CSS; repeatable.
    ///
    /// For pagination: 'a[rel=next]', '.pagination'. The href of each
    /// element matched, or of the links inside it, is followed to --depth, subject to --include,
    /// --exclude and --robots. Alone, only these links are followed, within
    /// --scope (a listing walked to its end); with --crawl, besides the
    /// links in scope, wherever they lead.
    #[arg(
        long,
        value_name = "CSS",
        conflicts_with = "ordered",
        help_heading = "Crawl"
    )]
    pub follow: Vec<String>,

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

    // ---- Archives ----
    /// Also write a WARC 1.1 archive of every exchange to FILE.
    ///
    /// FILE.warc.gz: one gzip member a record; any other name: uncompressed.
    /// A warcinfo record, then per hop a request and a response record (the
    /// body as it came over the wire, digests, the server's address), and
    /// per URL a metadata record holding its trawl record.
    #[arg(long, value_name = "FILE", help_heading = "Archives")]
    pub warc: Option<PathBuf>,

    /// Past SIZE, go on in NAME-00001.warc.gz, NAME-00002.warc.gz, ...
    ///
    /// FILE is the first; files are cut at record boundaries, each starting
    /// with its own warcinfo (e.g. 1GB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, requires = "warc",
          help_heading = "Archives")]
    pub warc_max_size: Option<u64>,

    /// Also write a CDXJ index of the archive to FILE, sorted by SURT.
    ///
    /// One line a response: SURT, timestamp and {url, mime, status, digest,
    /// length, offset, filename}, as pywb reads it.
    #[arg(
        long,
        value_name = "FILE",
        requires = "warc",
        help_heading = "Archives"
    )]
    pub cdxj: Option<PathBuf>,

    /// Also pack the archive into a WACZ at FILE when the run ends.
    ///
    /// The WARC, its CDXJ index, pages/pages.jsonl and datapackage.json,
    /// which replay tools open directly. Without --warc, the WARC is kept
    /// only inside the package.
    #[arg(long, value_name = "FILE", help_heading = "Archives")]
    pub wacz: Option<PathBuf>,

    // ---- Sites ----
    /// Read defaults and per-site rules from FILE (TOML).
    ///
    /// Top-level keys are defaults for the long flags (concurrency = 20,
    /// timeout = "10s"); [[site]] rules (match = "*.example.com" or prefix =
    /// "https://example.com/api/") set headers, cookies, auth, proxy,
    /// per-host, host-rate, timeout, render, robots and user-agent for their
    /// URLs. Flags win over the file's defaults; a matching rule wins over
    /// both, the last one per key. No file is read unless named.
    #[arg(long, value_name = "FILE", help_heading = "Sites")]
    pub config: Option<PathBuf>,

    /// Print the settings that apply to URL and where each came from.
    ///
    /// Secrets are masked. Nothing is fetched; the exit status is 0.
    #[arg(long, value_name = "URL", help_heading = "Sites")]
    pub explain: Option<String>,

    /// The settings file, read (`--config`).
    #[arg(skip)]
    pub settings: Option<settings::Settings>,

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

/// `--proxy-rotate` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RotateArg {
    Host,
    Request,
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

/// `--shard-by` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ShardByArg {
    /// The whole URL.
    Url,
    /// The host name.
    Host,
}

/// `--content` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ContentArg {
    /// GitHub-flavoured Markdown.
    Markdown,
    /// Plain text.
    Text,
    /// A clean HTML fragment.
    Html,
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use trawl::{ProgressWhen, Source};

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
