//! The `trawl` binary: parses the command line, runs the pipeline, prints
//! the summary and fatal errors, and picks the exit status. The only place
//! that does any of those.

mod cli;
mod sched;

/// jemalloc, not the system's allocator (see Cargo.toml for why).
#[cfg(not(any(target_env = "msvc", trawl_system_allocator)))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read before `main`: one arena shared by every
/// thread (each keeps its own cache in front of it; jemalloc adds its
/// arena for blocks of 8 MiB and more). With its default of four arenas a
/// core, memory freed by a parsing thread went back to the reactor's arena
/// and the peak grew with the number of arenas (91.7 MB against 68).
/// `_RJEM_MALLOC_CONF` in the environment still adds to it.
#[cfg(not(any(target_env = "msvc", trawl_system_allocator)))]
#[allow(unsafe_code, non_upper_case_globals)]
// SAFETY: jemalloc declares `const char *malloc_conf` (prefixed `_rjem_` by
// tikv-jemalloc-sys) and only reads it; this is a pointer to a
// NUL-terminated string that lives as long as the process. jemalloc's own
// definition is weak, so this one wins; were tikv-jemalloc-sys ever built
// unprefixed, the name would no longer match and the option be ignored.
#[unsafe(export_name = "_rjem_malloc_conf")]
pub static malloc_conf: &[u8; 10] = b"narenas:1\0";

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use trawl::{Allowance, ColorWhen, Outcome, Previous, Progress, Resumed};

/// Prints a line on stderr; a closed stderr is not worth a panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(io::stderr(), $($arg)*);
    }};
}

/// Interrupted, as shells report a SIGINT death (128 + 2).
const INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    // Before any thread starts, so that every one inherits it.
    if std::env::var_os("TRAWL_SCHED").is_none_or(|v| v != "normal") {
        sched::batch();
    }
    let args = cli::settings::parse();
    // Before the input is looked at: `--generate` works with no URLs and a
    // terminal on stdin.
    if let Some(kind) = args.generate {
        return generate(kind);
    }
    if let Some(url) = &args.explain {
        let settings = args.settings.clone().unwrap_or_default();
        return match cli::settings::explain(&settings, url) {
            Ok(text) => {
                let mut out = io::stdout().lock();
                let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
                ExitCode::SUCCESS
            }
            Err(e) => {
                say!("trawl: {e}");
                ExitCode::from(2)
            }
        };
    }
    let verbose = args.verbose;
    let color = match args.color {
        cli::ColorWhen::Auto => ColorWhen::Auto,
        cli::ColorWhen::Always => ColorWhen::Always,
        cli::ColorWhen::Never => ColorWhen::Never,
    };
    let mut cfg = match args.into_config() {
        Ok(cfg) => cfg,
        Err(e) => e.exit(),
    };
    cfg.reports.github = trawl::github_from_env();
    let quiet = cfg.quiet;
    raise_open_file_limit(cfg.concurrency.get(), quiet);
    // Before the output file is created: a bad --revalidate file costs
    // nothing.
    let previous = match &cfg.revalidate {
        None => None,
        Some(path) => match Previous::open(path) {
            Ok(p) => Some(p),
            Err(e) => {
                say!("trawl: cannot use {} for --revalidate: {e}", path.display());
                return ExitCode::from(2);
            }
        },
    };
    if let Some(p) = &previous
        && let Some(len) = p.torn
        && !quiet
    {
        say!(
            "trawl: {}: left out a torn last line ({len} bytes); its URL is fetched in full",
            p.path().display()
        );
    }
    let mut resumed = Resumed::default();
    let out: Box<dyn Write + Send> = match &cfg.output {
        None => Box::new(io::stdout()),
        Some(path) if cfg.resume => {
            match trawl::resume_prepare(path).and_then(|r| Ok((r, trawl::resume_append(path)?))) {
                Ok((r, f)) => {
                    resumed = r;
                    Box::new(f)
                }
                Err(e) => {
                    say!("trawl: cannot resume {}: {e}", path.display());
                    return ExitCode::from(2);
                }
            }
        }
        Some(path) => match std::fs::File::create(path) {
            Ok(f) => Box::new(f),
            Err(e) => {
                say!("trawl: cannot create {}: {e}", path.display());
                return ExitCode::from(2);
            }
        },
    };
    if let Some((len, start)) = &resumed.torn
        && !quiet
    {
        say!(
            "trawl: cut a torn last line ({len} bytes) off the output file before resuming: {start:?}"
        );
    }
    let earlier = (resumed.records, resumed.not_ok);
    let jar_out = cfg.cookie_jar.clone().zip(cfg.jar.clone());
    let allowance = cfg.allow_failures;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            say!("trawl: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let progress = Progress::new(cfg.progress, cfg.quiet);
    trawl::init_logging(
        verbose,
        trawl::log_colour(color, io::stderr().is_terminal()),
        &progress,
    );
    let result = runtime.block_on(trawl::run(
        cfg,
        out,
        progress.clone(),
        interrupted(),
        resumed.done,
        previous,
    ));
    progress.finish();
    // Blocking reads of a terminal's stdin never return; do not wait for them.
    runtime.shutdown_background();
    // Interrupted or not, the session so far is kept.
    if let Some((path, jar)) = jar_out
        && let Err(e) = jar.save(&path)
    {
        say!("trawl: cannot write the cookie jar {}: {e}", path.display());
        return ExitCode::from(2);
    }
    match result {
        Ok(mut outcome) => {
            let code = exit_status(&outcome, earlier, allowance, quiet);
            if let Some(reports) = outcome.reports.take()
                && let Err(e) = reports.close(&outcome.summary, code)
            {
                say!("trawl: cannot write a report: {e}");
                return ExitCode::from(2);
            }
            ExitCode::from(code)
        }
        Err(e) => {
            say!("trawl: {e}");
            ExitCode::from(2)
        }
    }
}

/// `--generate KIND`: prints a completion script or the man page on stdout.
fn generate(kind: cli::Generate) -> ExitCode {
    let written = cli::generated(kind).and_then(|text| {
        let mut out = io::stdout().lock();
        out.write_all(&text)?;
        out.flush()
    });
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            say!("trawl: cannot write the generated text: {e}");
            ExitCode::from(2)
        }
    }
}

/// Raises the soft limit on open files to the hard limit: every request in
/// flight holds a socket, and the common soft default (1,024, or 256 on
/// macOS) is below what `-c` allows. Warns when even that is too few.
fn raise_open_file_limit(concurrency: usize, quiet: bool) {
    // Sockets, plus the idle pool, the input and output files, and slack.
    let wanted = concurrency as u64 * 2 + 64;
    match rlimit::increase_nofile_limit(wanted) {
        Ok(limit) if limit < concurrency as u64 + 64 && !quiet => say!(
            "trawl: warning: only {limit} open files are allowed, too few for -c {concurrency}; \
             expect 'connect' errors (raise it with ulimit -n)"
        ),
        _ => {}
    }
}

/// Prints the summary and maps the outcome to the exit status; with
/// `--resume`, the records an earlier run left count too (`earlier`: all,
/// not ok), so a resumed run ends as the whole run would have.
fn exit_status(
    outcome: &Outcome,
    earlier: (u64, u64),
    allowance: Option<Allowance>,
    quiet: bool,
) -> u8 {
    let s = &outcome.summary;
    // `| head` closing our stdout is what the user asked for: no summary,
    // no error, exit 0 (as ripgrep does).
    if outcome.closed {
        return 0;
    }
    let failed = s.tally.failed_total() + earlier.1;
    let total = s.tally.written() + earlier.0;
    let allowed = failed > 0 && allowance.is_some_and(|a| a.allows(failed, total));
    if !quiet {
        if allowed && !s.interrupted && s.halted_at.is_none() {
            say!("trawl: {failed} of {total} not ok, within --allow-failures: exit 0");
        }
        say!("trawl: {s}");
    }
    if s.interrupted {
        INTERRUPTED
    } else if s.halted_at.is_some() || (failed > 0 && !allowed) {
        1
    } else {
        0
    }
}

/// Completes on the first Ctrl-C or SIGTERM; a second Ctrl-C exits at once.
async fn interrupted() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tokio::spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            std::process::exit(i32::from(INTERRUPTED));
        }
    });
}
