//! `--generate`: shell completions and the man page, from the clap
//! definition, so that they never list a flag trawl lacks.

use super::{Args, EXAMPLES, EXIT_STATUS, Generate};
use clap::CommandFactory;
use std::time::Duration;

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
