//! Writing the main content out as Markdown, plain text or a clean HTML
//! fragment.
//!
//! Markdown and text come from one writer that knows where blocks start
//! and end: what differs is whether it writes the marks (`#`, `- `, `**`,
//! `[…](…)`, fences, table rules) and escapes the text. The walk recurses
//! into the page to [`MAX_DEPTH`] levels; deeper than that an element's
//! text is written inline, so a hostile page costs no stack.

use super::tree::{N, text_under};
use crate::dom::{self, Base};

/// How deep block structure is followed before the rest is read as text.
const MAX_DEPTH: usize = 96;

/// Elements that start a block of their own.
pub(super) fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "section"
            | "article"
            | "main"
            | "header"
            | "footer"
            | "aside"
            | "nav"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "ul"
            | "ol"
            | "li"
            | "dl"
            | "dt"
            | "dd"
            | "pre"
            | "blockquote"
            | "table"
            | "tr"
            | "td"
            | "th"
            | "thead"
            | "tbody"
            | "tfoot"
            | "caption"
            | "figure"
            | "figcaption"
            | "hr"
            | "address"
            | "details"
            | "summary"
            | "fieldset"
            | "form"
            | "center"
            | "hgroup"
            | "body"
            | "html"
    )
}

/// The writer of Markdown and text.
pub(super) struct Writer<'p, 'a> {
    nodes: &'p [N<'a>],
    base: &'p Base,
    md: bool,
    out: String,
    /// What each line starts with: blockquote marks and list indents.
    prefix: String,
    /// Newlines owed before the next text: 1 a line break, 2 a blank line.
    owed: u8,
    /// A space is owed before the next word.
    space: bool,
    /// Marks opened but not yet followed by text (`**`, `[`, a list
    /// marker, a heading's `## `): written with the first text, dropped if
    /// none comes.
    pending: String,
    /// Inside a heading or a table cell: breaks become spaces.
    one_line: u32,
    /// Inside `<pre>`: whitespace kept.
    pre: u32,
    /// How much of `prefix` the owed breaks are written with: the prefix
    /// when the first of them was asked for (a blank line before a quote
    /// is not part of it).
    break_prefix: usize,
    /// How much of `prefix` the next line starts with, when a list
    /// marker is pending: the marker stands where its item's indent will.
    marker_prefix: Option<usize>,
    /// Lists open around the writer.
    lists: u32,
}

impl<'p, 'a> Writer<'p, 'a> {
    pub fn new(nodes: &'p [N<'a>], base: &'p Base, md: bool) -> Self {
        Writer {
            nodes,
            base,
            md,
            out: String::with_capacity(1024),
            prefix: String::new(),
            owed: 0,
            space: false,
            pending: String::new(),
            one_line: 0,
            pre: 0,
            break_prefix: 0,
            marker_prefix: None,
            lists: 0,
        }
    }

    /// The text written, without trailing whitespace.
    pub fn finish(mut self) -> String {
        let end = self.out.trim_end().len();
        self.out.truncate(end);
        self.out
    }

    /// Asks for a break of `n` newlines before the next text.
    fn brk(&mut self, n: u8) {
        if self.one_line > 0 {
            self.space = true;
        } else if self.pending.is_empty() || !self.pending_is_block_mark() {
            if self.owed == 0 {
                self.break_prefix = self.prefix.len();
            }
            self.owed = self.owed.max(n);
        }
    }

    /// Tells whether what is pending starts a line (a list marker or a
    /// heading's hashes), which a block break must not separate from its
    /// text.
    fn pending_is_block_mark(&self) -> bool {
        self.pending.starts_with('#') || self.pending.starts_with("- ") || {
            let digits = self.pending.bytes().take_while(u8::is_ascii_digit).count();
            digits > 0 && self.pending[digits..].starts_with(". ")
        }
    }

    /// Writes what is owed before text: breaks (with the line prefix), a
    /// space, pending marks.
    fn start_text(&mut self) {
        let line_prefix = self.marker_prefix.take().unwrap_or(self.prefix.len());
        let line_prefix = &self.prefix[..line_prefix.min(self.prefix.len())];
        if self.out.is_empty() {
            self.owed = 0;
            self.space = false;
            self.out.push_str(line_prefix);
        } else if self.owed > 0 {
            let bare = self.prefix[..self.break_prefix.min(self.prefix.len())].trim_end();
            for k in 0..self.owed {
                self.out.push('\n');
                if k + 1 < self.owed {
                    self.out.push_str(bare);
                }
            }
            self.out.push_str(line_prefix);
            self.owed = 0;
            self.space = false;
        } else if self.space {
            self.out.push(' ');
            self.space = false;
        }
        // Cleared, not taken: its room serves the next mark.
        self.out.push_str(&self.pending);
        self.pending.clear();
    }

    /// Inline text, whitespace collapsed (kept in `<pre>`).
    fn text(&mut self, text: &str) {
        if self.pre > 0 {
            if !text.is_empty() {
                self.start_text();
                self.out.push_str(text);
            }
            return;
        }
        // Whitespace before a word, between two or at the end is one space.
        let ws_at = |b: Option<&u8>| b.is_some_and(u8::is_ascii_whitespace);
        let (starts, ends) = (
            ws_at(text.as_bytes().first()),
            ws_at(text.as_bytes().last()),
        );
        for (k, word) in text.split_ascii_whitespace().enumerate() {
            if k > 0 || starts {
                self.space = true;
            }
            let at_line_start = self.owed > 0 || self.out.is_empty() || self.out.ends_with('\n');
            self.start_text();
            if self.md {
                escape(
                    &mut self.out,
                    word,
                    at_line_start && self.pending.is_empty(),
                );
            } else {
                self.out.push_str(word);
            }
        }
        if ends {
            self.space = true;
        }
    }

    /// Opens an inline mark.
    fn open(&mut self, mark: &str) {
        if self.md {
            if self.space && self.pending.is_empty() && !self.out.is_empty() && self.owed == 0 {
                // The space goes before the mark, not inside it.
                self.out.push(' ');
                self.space = false;
            }
            self.pending.push_str(mark);
        }
    }

    /// Closes an inline mark opened with `open` by writing `close`; when
    /// nothing came between them, the pending mark is dropped instead.
    fn close(&mut self, open: &str, close: &str) {
        if !self.md {
            return;
        }
        if let Some(rest) = self.pending.strip_suffix(open) {
            let keep = rest.len();
            self.pending.truncate(keep);
        } else {
            self.out.push_str(close);
        }
    }

    /// Writes the children of node `i`.
    fn children(&mut self, i: usize, depth: usize) {
        let end = self.nodes[i].end;
        let mut c = i + 1;
        while c < end {
            self.node(c, depth + 1);
            c = self.nodes[c].end.max(c + 1);
        }
    }

    /// Writes node `i` and what it holds.
    pub fn node(&mut self, i: usize, depth: usize) {
        let n = &self.nodes[i];
        if n.removed {
            return;
        }
        if n.el.is_none() {
            let text = n.text;
            self.text(text);
            return;
        }
        if depth > MAX_DEPTH {
            let text = text_under(self.nodes, i);
            self.text(&text);
            return;
        }
        let name = n.name;
        match name {
            "br" => {
                if self.pre > 0 {
                    self.start_text();
                    self.out.push('\n');
                } else if self.md && self.one_line == 0 && !self.out.is_empty() && self.owed == 0 {
                    self.out.push_str("  ");
                    self.brk(1);
                } else {
                    self.brk(1);
                }
            }
            "hr" => self.brk(2),
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.brk(2);
                if self.md && self.one_line == 0 {
                    let level = usize::from(name.as_bytes()[1] - b'0');
                    self.pending = format!("{} ", "#".repeat(level));
                }
                self.one_line += 1;
                self.children(i, depth);
                self.one_line -= 1;
                self.pending.clear();
                self.brk(2);
            }
            "p" | "div" | "section" | "article" | "main" | "header" | "footer" | "address"
            | "figure" | "figcaption" | "details" | "summary" | "fieldset" | "form" | "center"
            | "hgroup" | "dl" | "caption" | "aside" | "nav" => {
                self.brk(if matches!(name, "div" | "section" | "summary") {
                    1
                } else {
                    2
                });
                self.children(i, depth);
                self.brk(if matches!(name, "div" | "section" | "summary") {
                    1
                } else {
                    2
                });
            }
            "dt" | "dd" => {
                self.brk(1);
                self.children(i, depth);
                self.brk(1);
            }
            "ul" | "ol" => self.list(i, depth, name == "ol"),
            "li" => {
                // An item outside a list.
                self.brk(1);
                self.children(i, depth);
                self.brk(1);
            }
            "blockquote" => {
                self.brk(2);
                let before = self.prefix.len();
                if self.md && self.one_line == 0 {
                    self.prefix.push_str("> ");
                }
                self.children(i, depth);
                self.prefix.truncate(before);
                self.brk(2);
            }
            "pre" => self.pre_block(i),
            "table" => self.table(i, depth),
            "a" => self.link(i, depth),
            "img" => self.image(i),
            "strong" | "b" => self.marked(i, depth, "**"),
            "em" | "i" => self.marked(i, depth, "_"),
            "del" | "s" | "strike" => self.marked(i, depth, "~~"),
            "code" | "kbd" | "samp" | "tt" if self.pre == 0 => self.code(i),
            _ => {
                if is_block(name) {
                    self.brk(1);
                    self.children(i, depth);
                    self.brk(1);
                } else {
                    self.children(i, depth);
                }
            }
        }
    }

    fn marked(&mut self, i: usize, depth: usize, mark: &str) {
        self.open(mark);
        self.children(i, depth);
        self.close(mark, mark);
    }

    fn list(&mut self, i: usize, depth: usize, ordered: bool) {
        let nested = self.lists > 0;
        self.brk(if nested { 1 } else { 2 });
        self.lists += 1;
        let start = if ordered {
            self.nodes[i]
                .attr("start")
                .and_then(|s| s.trim().parse::<u32>().ok())
                .unwrap_or(1)
        } else {
            1
        };
        let mut number = start;
        let end = self.nodes[i].end;
        let mut c = i + 1;
        while c < end {
            let next = self.nodes[c].end.max(c + 1);
            if self.nodes[c].removed {
                c = next;
                continue;
            }
            if self.nodes[c].name == "li" {
                self.brk(1);
                let marker = if !self.md {
                    String::new()
                } else if ordered {
                    format!("{number}. ")
                } else {
                    "- ".to_owned()
                };
                let before = self.prefix.len();
                let out_before = self.out.len();
                self.pending = marker.clone();
                self.marker_prefix = Some(before);
                self.prefix.push_str(&" ".repeat(marker.len()));
                self.children(c, depth + 1);
                self.prefix.truncate(before);
                if self.pending == marker {
                    self.pending.clear();
                    self.marker_prefix = None;
                }
                if self.out.len() > out_before {
                    number += 1;
                }
                self.brk(1);
            } else {
                self.node(c, depth + 1);
            }
            c = next;
        }
        self.lists -= 1;
        self.brk(if nested { 1 } else { 2 });
    }

    fn pre_block(&mut self, i: usize) {
        let code = text_under(self.nodes, i);
        let code = code.trim_end_matches(['\n', '\r', ' ', '\t']);
        let code = code.trim_start_matches(['\n', '\r']);
        if code.trim().is_empty() {
            return;
        }
        self.brk(2);
        if self.md && self.one_line == 0 {
            let fence = "`".repeat(longest_run(code, '`').max(2) + 1);
            let lang = language(self.nodes, i).unwrap_or_default();
            self.start_text();
            self.out.push_str(&fence);
            self.out.push_str(&lang);
            for line in code.lines() {
                self.out.push('\n');
                self.out.push_str(&self.prefix);
                self.out.push_str(line);
            }
            self.out.push('\n');
            self.out.push_str(&self.prefix);
            self.out.push_str(&fence);
        } else if self.one_line > 0 {
            self.text(code);
        } else {
            self.start_text();
            let mut first = true;
            for line in code.lines() {
                if !first {
                    self.out.push('\n');
                    self.out.push_str(&self.prefix);
                }
                first = false;
                self.out.push_str(line);
            }
        }
        self.brk(2);
    }

    fn code(&mut self, i: usize) {
        let code = collapse(&text_under(self.nodes, i));
        if code.is_empty() {
            return;
        }
        self.start_text();
        if self.md {
            let ticks = "`".repeat(longest_run(&code, '`') + 1);
            let pad = if code.starts_with('`') || code.ends_with('`') {
                " "
            } else {
                ""
            };
            self.out.push_str(&ticks);
            self.out.push_str(pad);
            self.out.push_str(&code);
            self.out.push_str(pad);
            self.out.push_str(&ticks);
        } else {
            self.out.push_str(&code);
        }
    }

    /// A URL as written in the page, resolved as `--links` resolves it,
    /// when its scheme is one of `schemes`: by string work where that is
    /// enough ([`Base::join_simple`], always http or https), else by the
    /// URL parser.
    fn resolve(&self, raw: &str, schemes: &[&str]) -> Option<String> {
        match self.base.join_simple(raw, true) {
            Some(url) => Some(url),
            None => self
                .base
                .join(raw)
                .filter(|u| schemes.contains(&u.scheme()))
                .map(String::from),
        }
    }

    fn link(&mut self, i: usize, depth: usize) {
        // Plain text has no links: only the link's text.
        if !self.md {
            self.children(i, depth);
            return;
        }
        let holds_blocks = (i + 1..self.nodes[i].end).any(|c| is_block(self.nodes[c].name));
        let href = self.nodes[i]
            .attr("href")
            .filter(|h| !h.trim_start().starts_with('#'))
            .and_then(|h| self.resolve(h, &["http", "https", "mailto"]));
        match href {
            Some(url) if !holds_blocks => {
                self.open("[");
                self.children(i, depth);
                let mut close = String::with_capacity(url.len() + 3);
                close.push_str("](");
                push_markdown_url(&mut close, &url);
                close.push(')');
                self.close("[", &close);
            }
            _ => self.children(i, depth),
        }
    }

    fn image(&mut self, i: usize) {
        if !self.md {
            return;
        }
        let n = &self.nodes[i];
        let Some(src) = n
            .attr("src")
            .or_else(|| n.attr("data-src"))
            .and_then(|s| self.resolve(s, &["http", "https"]))
        else {
            return;
        };
        let alt = collapse(n.attr("alt").unwrap_or_default());
        self.start_text();
        self.out.push_str("![");
        escape(&mut self.out, &alt, false);
        self.out.push_str("](");
        push_markdown_url(&mut self.out, &src);
        self.out.push(')');
    }

    /// A table: GFM when it is a table of data (rows of cells, none of them
    /// holding another table), else its cells as blocks.
    fn table(&mut self, i: usize, depth: usize) {
        let rows = rows(self.nodes, i);
        let nested = (i + 1..self.nodes[i].end).any(|c| self.nodes[c].name == "table");
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        if nested || width < 2 || self.one_line > 0 {
            self.brk(2);
            self.children(i, depth);
            self.brk(2);
            return;
        }
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|row| row.iter().map(|&c| self.cell(c, depth)).collect())
            .filter(|row: &Vec<String>| row.iter().any(|c| !c.is_empty()))
            .collect();
        if cells.is_empty() {
            return;
        }
        self.brk(2);
        self.start_text();
        for (r, row) in cells.iter().enumerate() {
            if r > 0 {
                self.out.push('\n');
                self.out.push_str(&self.prefix);
            }
            if self.md {
                self.out.push('|');
                for k in 0..width {
                    self.out.push(' ');
                    self.out.push_str(row.get(k).map_or("", String::as_str));
                    self.out.push_str(" |");
                }
                if r == 0 {
                    self.out.push('\n');
                    self.out.push_str(&self.prefix);
                    self.out.push('|');
                    for _ in 0..width {
                        self.out.push_str(" --- |");
                    }
                }
            } else {
                let texts: Vec<&str> = row
                    .iter()
                    .map(String::as_str)
                    .filter(|c| !c.is_empty())
                    .collect();
                self.out.push_str(&texts.join(" | "));
            }
        }
        self.brk(2);
    }

    /// A table cell's content on one line.
    fn cell(&self, c: usize, depth: usize) -> String {
        let mut w = Writer::new(self.nodes, self.base, self.md);
        w.one_line = 1;
        w.children(c, depth + 1);
        w.finish()
    }
}

/// The rows of table `t` (not of tables inside it), each the indexes of
/// its cells.
fn rows(nodes: &[N<'_>], t: usize) -> Vec<Vec<usize>> {
    let mut rows = Vec::new();
    let end = nodes[t].end;
    let mut i = t + 1;
    while i < end {
        let n = &nodes[i];
        if n.removed || n.name == "table" {
            i = n.end.max(i + 1);
            continue;
        }
        if n.name == "tr" {
            let cells = super::detect::children(nodes, i)
                .filter(|&c| matches!(nodes[c].name, "td" | "th"))
                .collect();
            rows.push(cells);
            i = n.end.max(i + 1);
            continue;
        }
        i += 1;
    }
    rows
}

/// The language of a code block, from a class on the `<pre>` or the
/// `<code>` in it: `language-rust`, `lang-rust`, `highlight-rust`.
fn language(nodes: &[N<'_>], pre: usize) -> Option<String> {
    let classes = std::iter::once(pre)
        .chain(
            (pre + 1..nodes[pre].end)
                .filter(|&c| nodes[c].name == "code")
                .take(1),
        )
        .filter_map(|i| nodes[i].attr("class"))
        .collect::<Vec<_>>();
    for class in classes {
        for word in class.split_ascii_whitespace() {
            for p in ["language-", "lang-", "highlight-", "sourceCode-"] {
                if let Some(lang) = word.strip_prefix(p)
                    && !lang.is_empty()
                    && lang
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-#_.".contains(c))
                {
                    return Some(lang.to_ascii_lowercase());
                }
            }
        }
    }
    None
}

/// The longest run of `c` in `s`.
fn longest_run(s: &str, c: char) -> usize {
    let mut best = 0;
    let mut run = 0;
    for x in s.chars() {
        if x == c {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// Whitespace collapsed and trimmed.
fn collapse(s: &str) -> String {
    dom::collapse(std::iter::once(s))
}

/// Appends a URL as a Markdown link destination: spaces and parentheses
/// escaped, in one pass (a page has hundreds of links).
fn push_markdown_url(out: &mut String, url: &str) {
    let mut rest = url;
    while let Some(at) = memchr::memchr3(b' ', b'(', b')', rest.as_bytes()) {
        out.push_str(&rest[..at]);
        out.push_str(match rest.as_bytes()[at] {
            b' ' => "%20",
            b'(' => "%28",
            _ => "%29",
        });
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

/// `text` as one Markdown paragraph, escaped as the page's text is.
pub(super) fn push_markdown_text(out: &mut String, text: &str) {
    for (k, word) in text.split_whitespace().enumerate() {
        if k > 0 {
            out.push(' ');
        }
        escape(out, word, k == 0);
    }
}

/// Appends `word` to `out` escaped so that Markdown shows it as written.
fn escape(out: &mut String, word: &str, line_start: bool) {
    let mut chars = word.char_indices().peekable();
    if line_start {
        // What would start a heading, a quote or a list.
        let digits = word.bytes().take_while(u8::is_ascii_digit).count();
        // (A `>` is escaped wherever it stands, below.)
        if word.starts_with(['+', '-', '=']) && word.len() == 1 || word.starts_with('#') {
            out.push('\\');
        } else if digits > 0 && word[digits..].starts_with(['.', ')']) {
            out.push_str(&word[..digits]);
            out.push('\\');
            chars = word[digits..].char_indices().peekable();
            for (_, c) in chars {
                push_escaped(out, c);
            }
            return;
        }
    }
    // Most words need no escape.
    if !word.bytes().any(|b| marks_markdown(char::from(b))) {
        out.push_str(word);
        return;
    }
    let last = word.len().saturating_sub(1);
    for (at, c) in chars.by_ref() {
        // An underscore inside a word is not emphasis in GFM.
        if c == '_' && at > 0 && at < last {
            out.push(c);
        } else {
            push_escaped(out, c);
        }
    }
}

/// Tells whether Markdown would read `c` as a mark, not as text (every
/// such character is ASCII).
fn marks_markdown(c: char) -> bool {
    matches!(c, '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '|')
}

fn push_escaped(out: &mut String, c: char) {
    if marks_markdown(c) {
        out.push('\\');
    }
    out.push(c);
}

/// The main content as a clean HTML fragment: the elements a document
/// needs, their URLs absolute, no scripts, styles, classes or event
/// handlers.
pub(super) fn html(nodes: &[N<'_>], root: usize, base: &Base) -> String {
    let mut out = String::new();
    let end = nodes[root].end;
    let mut open: Vec<(usize, &str)> = Vec::new();
    let mut i = root + 1;
    while i < end {
        while open.last().is_some_and(|&(e, _)| e <= i) {
            if let Some((_, name)) = open.pop() {
                close_tag(&mut out, name);
            }
        }
        let n = &nodes[i];
        if n.removed {
            i = n.end.max(i + 1);
            continue;
        }
        match n.el {
            None => escape_html(&mut out, n.text, false),
            Some(_) => {
                if let Some(name) = kept_tag(n.name) {
                    out.push('<');
                    out.push_str(name);
                    for attr in [
                        "href", "src", "alt", "title", "colspan", "rowspan", "start", "datetime",
                    ] {
                        let Some(v) = n.attr(attr) else { continue };
                        let v = if matches!(attr, "href" | "src") {
                            match base.join(v) {
                                Some(u) if matches!(u.scheme(), "http" | "https" | "mailto") => {
                                    u.to_string()
                                }
                                _ => continue,
                            }
                        } else {
                            v.to_owned()
                        };
                        out.push(' ');
                        out.push_str(attr);
                        out.push_str("=\"");
                        escape_html(&mut out, &v, true);
                        out.push('"');
                    }
                    if matches!(name, "code" | "pre")
                        && let Some(lang) = language(nodes, i)
                    {
                        out.push_str(" class=\"language-");
                        escape_html(&mut out, &lang, true);
                        out.push('"');
                    }
                    out.push('>');
                    if !matches!(name, "br" | "hr" | "img") {
                        open.push((n.end, name));
                    }
                }
            }
        }
        i += 1;
    }
    while let Some((_, name)) = open.pop() {
        close_tag(&mut out, name);
    }
    out.trim().to_owned()
}

fn close_tag(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// The elements a clean fragment keeps (others give their content only).
fn kept_tag(name: &str) -> Option<&str> {
    let keep = matches!(
        name,
        "p" | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "ul"
            | "ol"
            | "li"
            | "dl"
            | "dt"
            | "dd"
            | "pre"
            | "code"
            | "blockquote"
            | "table"
            | "thead"
            | "tbody"
            | "tfoot"
            | "tr"
            | "td"
            | "th"
            | "caption"
            | "a"
            | "img"
            | "em"
            | "strong"
            | "b"
            | "i"
            | "s"
            | "del"
            | "sub"
            | "sup"
            | "br"
            | "hr"
            | "figure"
            | "figcaption"
            | "section"
            | "article"
            | "div"
            | "span"
            | "kbd"
            | "time"
            | "abbr"
            | "mark"
            | "q"
            | "cite"
    );
    keep.then_some(name)
}

pub(super) fn escape_html(out: &mut String, text: &str, attr: bool) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\u{a0}' => out.push_str("&nbsp;"),
            c => out.push(c),
        }
    }
}
