//! Reports for CI, besides the records: GitHub Actions annotations and step
//! summary, a JUnit XML file, and the summary as JSON.
//!
//! The writer thread hands every record to [`Reports::record`]; the end of
//! the run calls `Reports::finish` with the summary. Page text and URLs
//! are untrusted: everything that goes into a workflow command, Markdown or
//! XML is escaped here, and only here.

use crate::record::Record;
use crate::summary::Summary;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

/// Failures annotated at most; the rest are counted in one last line.
pub const MAX_ANNOTATIONS: usize = 50;
/// Failures listed in the step summary at most.
const MAX_SUMMARY_ROWS: usize = 100;
/// Slowest pages listed in the step summary.
const SLOWEST: usize = 10;
/// The step summary stays under GitHub's 1 MiB limit per step.
pub const STEP_SUMMARY_LIMIT: usize = 1_000_000;

/// Where reports go.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// Running under GitHub Actions: annotate failures on stderr, and
    /// append a Markdown summary to this file (`$GITHUB_STEP_SUMMARY`) if
    /// given.
    pub github: Option<Option<PathBuf>>,
    /// `--junit FILE`.
    pub junit: Option<PathBuf>,
    /// `--summary-json FILE`.
    pub summary_json: Option<PathBuf>,
}

impl ReportOptions {
    /// Tells whether any report is asked for.
    pub fn wanted(&self) -> bool {
        self.github.is_some() || self.junit.is_some() || self.summary_json.is_some()
    }
}

/// What `ReportOptions::github` should be in this environment: under
/// GitHub Actions, annotations on stderr (the runner reads workflow
/// commands there too; stdout carries the records) and a Markdown table in
/// `$GITHUB_STEP_SUMMARY` when it is set.
pub fn github_from_env() -> Option<Option<PathBuf>> {
    (std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true"))
        .then(|| std::env::var_os("GITHUB_STEP_SUMMARY").map(PathBuf::from))
}

/// One line of the failures and slowest tables.
struct Row {
    url: String,
    status: Option<u16>,
    elapsed_ms: u64,
    kind: String,
    message: String,
}

/// What the reports collect while the run goes.
pub struct Reports {
    opts: ReportOptions,
    annotated: usize,
    failures: Vec<Row>,
    failed: u64,
    slowest: Vec<Row>,
    /// JUnit test cases, streamed to a file beside the report; the header
    /// needs counts only known at the end.
    cases: Option<(BufWriter<File>, PathBuf)>,
    tests: u64,
}

impl Reports {
    /// Opens what the reports need.
    ///
    /// # Errors
    /// The JUnit scratch file cannot be created.
    pub fn new(opts: ReportOptions) -> io::Result<Reports> {
        let cases = match &opts.junit {
            Some(path) => {
                let mut scratch = path.clone().into_os_string();
                scratch.push(".cases.tmp");
                let scratch = PathBuf::from(scratch);
                Some((BufWriter::new(File::create(&scratch)?), scratch))
            }
            None => None,
        };
        Ok(Reports {
            opts,
            annotated: 0,
            failures: Vec::new(),
            failed: 0,
            slowest: Vec::new(),
            cases,
            tests: 0,
        })
    }

    /// Takes one record as it is written.
    ///
    /// # Errors
    /// Writing the JUnit scratch file failed.
    pub fn record(&mut self, rec: &Record) -> io::Result<()> {
        let row = || Row {
            url: rec.url.clone(),
            status: rec.status,
            elapsed_ms: rec.elapsed_ms,
            kind: rec
                .error
                .as_ref()
                .map_or("", |e| e.kind.as_str())
                .to_owned(),
            message: rec
                .error
                .as_ref()
                .map_or("", |e| e.message.as_str())
                .to_owned(),
        };
        self.tests += 1;
        if let Some(e) = &rec.error {
            self.failed += 1;
            if self.opts.github.is_some() && self.annotated < MAX_ANNOTATIONS {
                self.annotated += 1;
                eprintln!("{}", annotation(&rec.url, e.kind.as_str(), &e.message));
            }
            if self.failures.len() < MAX_SUMMARY_ROWS {
                self.failures.push(row());
            }
        }
        if self.opts.github.is_some()
            && (self.slowest.len() < SLOWEST
                || self
                    .slowest
                    .last()
                    .is_some_and(|r| r.elapsed_ms < rec.elapsed_ms))
        {
            let at = self
                .slowest
                .partition_point(|r| r.elapsed_ms >= rec.elapsed_ms);
            self.slowest.insert(at, row());
            self.slowest.truncate(SLOWEST);
        }
        if let Some((w, _)) = self.cases.as_mut() {
            write_case(w, rec)?;
        }
        Ok(())
    }

    /// Writes what is written at the end: the last annotation, the step
    /// summary, the JUnit file and the summary JSON.
    ///
    /// # Errors
    /// A report file cannot be written.
    pub fn close(mut self, summary: &Summary, exit_code: u8) -> io::Result<()> {
        if let Some(step) = &self.opts.github {
            let more = (self.failed as usize).saturating_sub(self.annotated);
            if more > 0 {
                eprintln!(
                    "::error title=trawl::{more} more URLs failed without an annotation of their own (annotations stop at {MAX_ANNOTATIONS}); see the records"
                );
            }
            if let Some(path) = step {
                let md = self.step_summary(summary);
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?
                    .write_all(md.as_bytes())?;
            }
        }
        if let (Some((mut w, scratch)), Some(path)) = (self.cases.take(), &self.opts.junit) {
            w.flush()?;
            drop(w);
            write_junit(path, &scratch, summary, self.tests, self.failed)?;
            let _ = std::fs::remove_file(&scratch);
        }
        if let Some(path) = &self.opts.summary_json {
            let json = summary_json(summary, exit_code);
            std::fs::write(path, format!("{json}\n"))?;
        }
        Ok(())
    }

    /// The Markdown appended to `$GITHUB_STEP_SUMMARY`, under its limit.
    fn step_summary(&self, s: &Summary) -> String {
        let t = &s.tally;
        let mut md = format!(
            "## trawl\n\n{} URLs read: **{} ok**, **{} failed**, {} duplicates skipped; {:.2}s\n\n",
            s.read,
            t.ok,
            t.failed_total(),
            s.duplicates,
            s.elapsed.as_secs_f64()
        );
        if !self.failures.is_empty() {
            md.push_str("### Failures\n\n| URL | status | error | message |\n|---|---|---|---|\n");
            for r in &self.failures {
                md.push_str(&table_row(r, true));
            }
            let more = self.failed as usize - self.failures.len();
            if more > 0 {
                md.push_str(&format!("\n_and {more} more; see the records_\n"));
            }
            md.push('\n');
        }
        if !self.slowest.is_empty() {
            md.push_str("### Slowest pages\n\n| URL | status | ms | error |\n|---|---|---|---|\n");
            for r in &self.slowest {
                md.push_str(&table_row(r, false));
            }
            md.push('\n');
        }
        cap_markdown(md, STEP_SUMMARY_LIMIT)
    }
}

/// One Markdown table row.
fn table_row(r: &Row, failure: bool) -> String {
    let status = r.status.map_or_else(|| "-".to_owned(), |s| s.to_string());
    if failure {
        format!(
            "| {} | {status} | {} | {} |\n",
            md_cell(&r.url),
            md_cell(&r.kind),
            md_cell(&r.message)
        )
    } else {
        format!(
            "| {} | {status} | {} | {} |\n",
            md_cell(&r.url),
            r.elapsed_ms,
            md_cell(&r.kind)
        )
    }
}

/// Text made safe for one Markdown table cell: no line breaks, pipes or
/// HTML, at most 200 characters.
fn md_cell(s: &str) -> String {
    let s = &*crate::keys::redact(s);
    let mut out = String::new();
    for c in s.chars().take(200) {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' => out.push_str("\\`"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => out.push(' '),
            c => out.push(c),
        }
    }
    if s.chars().count() > 200 {
        out.push('…');
    }
    out
}

/// Cuts Markdown to `limit` bytes at a line end, saying so.
fn cap_markdown(md: String, limit: usize) -> String {
    if md.len() <= limit {
        return md;
    }
    let note = "\n_(truncated: the step summary is limited to 1 MiB)_\n";
    let mut cut = limit - note.len();
    while !md.is_char_boundary(cut) {
        cut -= 1;
    }
    let cut = md[..cut].rfind('\n').map_or(0, |i| i + 1);
    format!("{}{note}", &md[..cut])
}

/// One `::error` workflow command for a failed URL.
pub fn annotation(url: &str, kind: &str, message: &str) -> String {
    format!(
        "::error title={}::{}",
        escape_property(&format!("trawl: {kind}")),
        escape_data(&format!("{url}: {message}"))
    )
}

/// Escapes the message of a workflow command: `%`, CR and LF (as the
/// Actions toolkit does), a leading `::`, `##[` anywhere, and any other
/// control character or line separator (written as `\u{…}`), so no text of
/// a page can end the command, start another or drive the terminal. A
/// URL's userinfo is masked.
pub fn escape_data(s: &str) -> String {
    let escaped = crate::keys::redact(s)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    let mut out = String::with_capacity(escaped.len());
    crate::logging::defuse(&escaped, false, &mut out);
    if out.starts_with("::") {
        format!(" {out}")
    } else {
        out
    }
}

/// Escapes a property of a workflow command: as data, plus `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Text made safe for XML: the five entities, and characters XML 1.0
/// cannot carry replaced.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in crate::keys::redact(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            // What XML cannot carry, and escape sequences (ESC, C1) that a
            // terminal showing the file would obey.
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// One `<testcase>` per record.
fn write_case(w: &mut impl Write, rec: &Record) -> io::Result<()> {
    let secs = rec.elapsed_ms as f64 / 1000.0;
    write!(
        w,
        "    <testcase classname=\"trawl\" name=\"{}\" time=\"{secs:.3}\"",
        xml(&rec.url)
    )?;
    match &rec.error {
        None => writeln!(w, "/>"),
        Some(e) => writeln!(
            w,
            ">\n      <failure type=\"{}\" message=\"{}\">{}: {}</failure>\n    </testcase>",
            e.kind.as_str(),
            xml(&e.message),
            e.kind.as_str(),
            xml(&e.message)
        ),
    }
}

/// The JUnit file: the counts, then the cases streamed to `scratch`.
fn write_junit(
    path: &PathBuf,
    scratch: &PathBuf,
    s: &Summary,
    tests: u64,
    failures: u64,
) -> io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    let secs = s.elapsed.as_secs_f64();
    writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
    writeln!(
        out,
        "<testsuites name=\"trawl\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{secs:.3}\">"
    )?;
    writeln!(
        out,
        "  <testsuite name=\"trawl\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{secs:.3}\">"
    )?;
    io::copy(&mut File::open(scratch)?, &mut out)?;
    writeln!(out, "  </testsuite>\n</testsuites>")?;
    out.flush()
}

/// The summary as one JSON object.
fn summary_json(s: &Summary, exit_code: u8) -> serde_json::Value {
    let t = &s.tally;
    let by_kind: serde_json::Map<String, serde_json::Value> = t
        .failed
        .iter()
        .map(|(k, n)| (k.as_str().to_owned(), (*n).into()))
        .collect();
    let secs = s.elapsed.as_secs_f64();
    serde_json::json!({
        "read": s.read,
        "ok": t.ok,
        "failed": t.failed_total(),
        "failed_by_kind": by_kind,
        "duplicates": s.duplicates,
        "resumed": s.resumed,
        "other_shards": s.elsewhere,
        "unchanged": t.unchanged,
        "not_modified": t.not_modified,
        "elapsed_s": (secs * 1000.0).round() / 1000.0,
        "pages_per_s": if secs > 0.0 { ((t.written() as f64 / secs) * 10.0).round() / 10.0 } else { 0.0 },
        "interrupted": s.interrupted,
        "stopped_at_failures": s.halted_at,
        "crawl": s.crawl.map(|c| serde_json::json!({
            "found": c.found,
            "out_of_scope": c.out_of_scope,
            "excluded": c.excluded,
            "beyond_depth": c.beyond_depth,
            "robots_refused": c.robots,
            "cut_by_max_pages": c.cut,
            "left_to_other_shards": c.elsewhere,
        })),
        "exit_code": exit_code,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_commands_cannot_be_forged_by_page_text() {
        let a = annotation(
            "https://x.test/a",
            "expectation",
            "title '::error::forged'\n::stop-commands::tok\r\n100%",
        );
        assert_eq!(a.lines().count(), 1, "{a}");
        assert!(a.starts_with("::error title=trawl%3A expectation::https://x.test/a: "));
        assert!(a.contains("%0A::stop-commands::tok%0D%0A100%25"), "{a}");
        assert_eq!(escape_data("::x"), " ::x");
        // The legacy `##[cmd]` is matched anywhere in a line
        // (actions/runner#4692): a leading space is not enough.
        assert_eq!(escape_data("##[group]x"), "#\u{200B}#[group]x");
        assert_eq!(escape_data("a ##[error]x"), "a #\u{200B}#[error]x");
        assert_eq!(
            escape_data("t\u{1b}[2J\u{0}\u{85}\u{2028}"),
            "t\\u{1b}[2J\\u{0}\\u{85}\\u{2028}"
        );
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }

    #[test]
    fn markdown_cells_and_the_size_cap() {
        assert_eq!(md_cell("a|b<script>\nc"), "a\\|b&lt;script&gt; c");
        let long = "x\n".repeat(600_000);
        let capped = cap_markdown(long, STEP_SUMMARY_LIMIT);
        assert!(capped.len() <= STEP_SUMMARY_LIMIT);
        assert!(capped.ends_with("limited to 1 MiB)_\n"));
    }

    #[test]
    fn xml_escapes_and_drops_what_xml_cannot_carry() {
        assert_eq!(
            xml("a<b>&\"'\u{1}z"),
            "a&lt;b&gt;&amp;&quot;&apos;\u{FFFD}z"
        );
        assert_eq!(xml("\u{1b}[31m\u{9b}2J\t"), "\u{FFFD}[31m\u{FFFD}2J\t");
    }
}
