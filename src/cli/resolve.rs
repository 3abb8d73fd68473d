//! The resolving step: what clap parsed (pure: no file opened, nothing
//! looked up) becomes a checked [`Config`], and the I/O the command line
//! implies happens here, once: input files looked at, CA certificates read,
//! the browser found, the output checked against the inputs.

use super::{Args, ContentArg, ProgressArg, RotateArg, ScopeArg, ShardByArg};
use clap::CommandFactory;
use clap::error::ErrorKind as ClapErrorKind;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::io::IsTerminal;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Arc;
use trawl::{
    Config, CrawlOptions, Filters, Jar, Plan, ProgressWhen, RenderOptions, ReportOptions, Scope,
    Shard, ShardBy, Source, find_browser,
};
use trawl_page::main_content::{ContentPlan, Format};

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
        let warc_command = if self.warc.is_some() || self.wacz.is_some() {
            masked_command_line(&self.headers)
        } else {
            String::new()
        };
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
        let mut proxies = self.proxy;
        if let Some(path) = &self.proxy_file {
            proxies.extend(
                trawl::read_proxy_file(path).map_err(|e| {
                    usage(ClapErrorKind::Io, format!("cannot use --proxy-file {e}"))
                })?,
            );
        }
        // Two outputs in one file would interleave into garbage.
        let outputs = [
            ("-o", self.output.as_ref()),
            ("--warc", self.warc.as_ref()),
            ("--cdxj", self.cdxj.as_ref()),
            ("--wacz", self.wacz.as_ref()),
            ("--cookie-jar", self.cookie_jar.as_ref()),
        ];
        for (i, (a, pa)) in outputs.iter().enumerate() {
            for (b, pb) in &outputs[i + 1..] {
                if let (Some(pa), Some(pb)) = (pa, pb)
                    && (pa == pb || same_file(pa, pb))
                {
                    return Err(usage(
                        ClapErrorKind::ArgumentConflict,
                        format!("{a} and {b} name the same file ({})", pa.display()),
                    ));
                }
            }
        }
        if let Some(jar) = &self.cookie_jar
            && jar.is_dir()
        {
            return Err(usage(
                ClapErrorKind::ValueValidation,
                format!("--cookie-jar {} is a directory", jar.display()),
            ));
        }
        let jar = load_cookies(
            self.cookies.as_deref(),
            self.cookie_jar.as_deref(),
            self.resume,
        )?;
        let following = !self.follow.is_empty();
        if (self.crawl || following) && shard.is_some_and(|s| s.by != ShardBy::Host) {
            return Err(usage(
                ClapErrorKind::ArgumentConflict,
                "--crawl and --follow split by host: add --shard-by host to --shard".into(),
            ));
        }
        let mut select = self.select;
        for css in &self.follow {
            select.extend(
                trawl::follow_selections(css)
                    .map_err(|e| usage(ClapErrorKind::ValueValidation, e))?,
            );
        }
        let crawl = if self.crawl || following {
            let filters = Filters::new(&self.include, &self.exclude)
                .map_err(|e| usage(ClapErrorKind::ValueValidation, e))?;
            Some(CrawlOptions {
                // A listing is walked to its end unless --depth says.
                depth: self.depth.unwrap_or(if self.crawl { 3 } else { 1000 }),
                follow_only: !self.crawl,
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
        let sites = std::sync::Arc::new(
            self.settings
                .as_ref()
                .map(|s| s.sites.clone())
                .unwrap_or_default(),
        );
        let render = if self.render || sites.any_render() {
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
            jar,
            cookie_jar: self.cookie_jar,
            proxies,
            render_all: self.render,
            warc_command,
            warc_temp: self.warc.is_none() && self.wacz.is_some(),
            warc: self.warc.or_else(|| {
                // The package's WARC, in a directory of its own beside it.
                self.wacz.as_ref().map(|w| {
                    let dir = w
                        .parent()
                        .filter(|p| !p.as_os_str().is_empty())
                        .unwrap_or(std::path::Path::new("."));
                    dir.join(format!(".trawl-wacz-{}", std::process::id()))
                        .join("data.warc.gz")
                })
            }),
            cdxj: self.cdxj,
            warc_max_size: self.warc_max_size,
            wacz: self.wacz,
            sites,
            rotate: match self.proxy_rotate {
                RotateArg::Host => trawl::Rotate::Host,
                RotateArg::Request => trawl::Rotate::Request,
            },
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
                selections: select,
                // A crawl's records always carry their links.
                links: self.links || self.crawl,
                meta: self.meta,
                parse_timeout: Some(self.timeout),
                expect: self.expect,
                expect_text: self.expect_text,
                content: self.content.map(|format| ContentPlan {
                    format: match format {
                        ContentArg::Markdown => Format::Markdown,
                        ContentArg::Text => Format::Text,
                        ContentArg::Html => Format::Html,
                    },
                    select: self.content_select,
                    exclude: self.content_exclude,
                }),
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

/// The command line as the archive's `warcinfo` shows it: the value of
/// each secret header that `-H` gave masked wherever it appears (`-H X`,
/// `--header=X`, `-HX`), and the userinfo of any URL. Arguments that are
/// not Unicode are shown lossily, not refused.
fn masked_command_line(headers: &[(HeaderName, HeaderValue)]) -> String {
    let secrets: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            let masked = trawl::sites::mask(name.as_str(), &value);
            (!value.is_empty() && masked != value).then_some((value, masked))
        })
        .collect();
    std::env::args_os()
        .skip(1)
        .map(|arg| {
            let mut shown = arg.to_string_lossy().into_owned();
            for (value, masked) in &secrets {
                shown = shown.replace(value.as_str(), masked);
            }
            trawl::redact(&shown).into_owned()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The jar of `--cookies` and `--cookie-jar` (with `--resume`, the jar
/// file's cookies after `--cookies`' so the newer win); `None` without
/// either flag.
fn load_cookies(
    cookies: Option<&std::path::Path>,
    cookie_jar: Option<&std::path::Path>,
    resume: bool,
) -> Result<Option<Arc<Jar>>, clap::Error> {
    if cookies.is_none() && cookie_jar.is_none() {
        return Ok(None);
    }
    let jar = Jar::new();
    let resumed = cookie_jar.filter(|p| resume && p.exists());
    for path in cookies.iter().chain(resumed.iter()) {
        jar.load(path)
            .map_err(|e| usage(ClapErrorKind::Io, format!("cannot read cookies from {e}")))?;
    }
    Ok(Some(Arc::new(jar)))
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
pub(super) fn usage(kind: ClapErrorKind, msg: String) -> clap::Error {
    Args::command().error(kind, msg)
}
