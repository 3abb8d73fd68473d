//! The fast path: trawl's own HTML tokenizer and a tree builder for the
//! pages real sites serve, feeding the stream's sink ([`super::stream`]).
//!
//! html5ever's tokenizer is a general state machine that handles one
//! character at a time (about 60 MB/s here); most of a page is text and
//! attribute values that need nothing but a search for the next `<`, `&`
//! or quote. This module does that search with `memchr` and hands the
//! tokens to a tree builder that follows html5ever's rules
//! (`html5ever::tree_builder::rules`, the WHATWG algorithm) for every
//! insertion mode a document without foreign content, templates, forms in
//! tables or selects goes through: implied `html`/`head`/`body`/`tbody`/
//! `tr`, implied end tags, `<p>` closed by blocks, lists, headings,
//! tables, the list of active formatting elements (reconstructed after a
//! block closes them), the adoption agency's simple case, `<pre>`'s first
//! newline, raw text and RCDATA, character references as html5ever
//! decodes them (the historical rule in attributes included).
//!
//! The builder makes the same calls on the sink, in the same order, that
//! html5ever's tree builder makes, so the sink's answers are the same.
//! Where the algorithm would take a path this module does not follow
//! (foster parenting, the adoption agency moving nodes, `<svg>`/`<math>`,
//! `<template>`, `<select>`, a second `<body>`, a tag cut off by the end
//! of the page, a NUL …) it gives up at once, and the page is read by
//! html5ever (the stream, then the tree). It never guesses: a differential
//! check compares it with the tree on every fixture and on whole corpora
//! (`bench/differential/stream.sh`).

use super::reuse::Reused;
use super::stream::{GaveUp, Sink, formatting};
use super::{Extracted, ParseTimeout, Plan};
use html5ever::data::{C1_REPLACEMENTS, NAMED_ENTITIES};
use html5ever::tendril::StrTendril;
use html5ever::tree_builder::{ElementFlags, NodeOrText, TreeSink};
use html5ever::{Attribute, LocalName, Namespace, Prefix, QualName, local_name, ns};
use std::borrow::Cow;
use std::time::Instant;
use url::Url;

/// Extracts from a decoded page with trawl's own tokenizer. `Ok(Err(why))`:
/// the page takes a path of the HTML algorithm this module does not
/// follow; read it with html5ever instead.
///
/// # Errors
/// Reading outlived the deadline.
pub(super) fn extract(
    html: &str,
    url: &Url,
    plan: &Plan,
    deadline: Option<Instant>,
) -> Result<Result<Extracted, GaveUp>, ParseTimeout> {
    if memchr::memchr(0, html.as_bytes()).is_some() {
        return Ok(Err("a NUL character"));
    }
    // The input stream's newlines, as the tokenizer normalizes them.
    let html: Cow<str> = if memchr::memchr(b'\r', html.as_bytes()).is_some() {
        Cow::Owned(html.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(html)
    };
    let html = html.strip_prefix('\u{feff}').unwrap_or(&html);
    let mut builder = Builder::new(plan);
    let keep = Keep::for_plan(plan);
    let mut lexer = Lexer {
        s: html,
        page: u32::try_from(html.len())
            .is_ok()
            .then(|| StrTendril::from_slice(html)),
        keep: &keep,
        deadline,
        tokens: 0,
    };
    match lexer.run(&mut builder) {
        Ok(()) => {}
        Err(Stop::GaveUp(why)) => return Ok(Err(why)),
        Err(Stop::Timeout) => return Err(ParseTimeout),
    }
    if let Err(why) = builder.eof() {
        return Ok(Err(why));
    }
    Ok(builder.sink.answer(url, plan))
}

enum Stop {
    GaveUp(GaveUp),
    Timeout,
}

impl From<GaveUp> for Stop {
    fn from(why: GaveUp) -> Self {
        Stop::GaveUp(why)
    }
}

type R<T = ()> = Result<T, GaveUp>;

/// Tokens between checks of the deadline (and of the sink giving up).
const CHECK_EVERY: u32 = 64;

/// ASCII whitespace as the tree builder tests it. The input has no CR (it
/// was normalized), but `&#13;` makes one, and html5ever counts it.
fn is_ws(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// Right after `<pre>`, `<listing>` or `<textarea>`, a parse error the
/// tokenizer reports before the first character (a character reference
/// without its `;`, a dropped `</>`) makes the tree builder keep a
/// leading newline it would otherwise drop (`&#10` is one); this reader
/// does not track the tokenizer's errors, so it hands such a page on.
const ERROR_BEFORE_NEWLINE: GaveUp = "a parse error before the newline after <pre>";

fn all_ws(s: &str) -> bool {
    s.bytes().all(is_ws)
}

/// The attributes the sink can look at, by the run's plan: the rest are
/// skipped unread (values not decoded, names not interned). What each
/// selector looks at was worked out when it was compiled
/// ([`super::select::AttributeUse`]); this turns it into a table by
/// element, once a page.
struct Keep<'p> {
    /// `--meta`, or a selector that may look at any attribute.
    all: bool,
    /// Kept on every element.
    any: Vec<&'p str>,
    /// Elements with attributes of their own kept: each with all it keeps
    /// (`any` included).
    tags: Vec<(LocalName, Vec<&'p str>)>,
}

/// What trawl itself looks at, whatever the selectors: links and `<base>`;
/// `<input type=hidden>` in a table; a `<font>` that leaves SVG.
const ALWAYS: [(&[&str], &[&str]); 3] = [
    (&["a", "area", "base"], &["href"]),
    (&["input"], &["type"]),
    (&["font"], &["color", "face", "size"]),
];

impl<'p> Keep<'p> {
    fn for_plan(plan: &'p Plan) -> Keep<'p> {
        let uses = || {
            plan.selections
                .iter()
                .map(|s| s.attribute_uses())
                .chain(plan.expect.iter().map(|e| e.attribute_uses()))
        };
        let all = plan.meta || uses().any(|u| u.is_none());
        let uses = || uses().flatten().flatten();
        let mut any: Vec<&str> = Vec::new();
        for u in uses().filter(|u| u.elements.is_none()) {
            any.extend(u.attributes.iter().map(String::as_str));
        }
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        for (tags, attrs) in ALWAYS {
            for tag in tags {
                pairs.extend(attrs.iter().map(|a| (*tag, *a)));
            }
        }
        for u in uses() {
            for tag in u.elements.iter().flatten() {
                pairs.extend(u.attributes.iter().map(|a| (tag.as_str(), a.as_str())));
                // `<image>` becomes `<img>` in HTML but stays `<image>` in
                // SVG; the tokenizer does not know which, so it keeps what
                // either would want.
                if tag == "img" {
                    pairs.extend(u.attributes.iter().map(|a| ("image", a.as_str())));
                }
            }
        }
        let mut tags: Vec<(LocalName, Vec<&str>)> = Vec::new();
        for (tag, attr) in pairs {
            let tag = LocalName::from(tag);
            let at = match tags.iter().position(|(t, _)| *t == tag) {
                Some(at) => at,
                None => {
                    tags.push((tag, any.clone()));
                    tags.len() - 1
                }
            };
            tags[at].1.push(attr);
        }
        Keep { all, any, tags }
    }

    /// Attribute `name` (as written, any case) of element `tag` (lower
    /// case).
    #[cfg(test)]
    fn wants(&self, tag: &str, name: &str) -> bool {
        self.for_tag(&LocalName::from(tag)).wants(name)
    }

    /// The attributes kept of element `tag`.
    fn for_tag(&self, tag: &LocalName) -> TagKeep<'_> {
        let names = match self.tags.iter().find(|(t, _)| t == tag) {
            Some((_, names)) => names,
            None => &self.any,
        };
        TagKeep {
            all: self.all,
            names,
            foreign: true,
        }
    }
}

/// The attributes kept of one element ([`Keep::for_tag`]).
struct TagKeep<'k> {
    all: bool,
    names: &'k [&'k str],
    /// Names with a `:`, which may become foreign attributes.
    foreign: bool,
}

impl TagKeep<'_> {
    /// Nothing kept: an end tag's attributes.
    const NONE: TagKeep<'static> = TagKeep {
        all: false,
        names: &[],
        foreign: false,
    };

    /// Attribute `name` (as written, any case). One with a `:` may become
    /// a foreign attribute (`xlink:href`), so it is kept.
    #[inline]
    fn wants(&self, name: &str) -> bool {
        self.all
            || self
                .names
                .iter()
                .any(|a| a.len() == name.len() && a.eq_ignore_ascii_case(name))
            || (self.foreign && name.as_bytes().contains(&b':'))
    }
}

/// A start tag as the tokenizer read it.
struct Tag {
    name: LocalName,
    attrs: Vec<Attribute>,
    /// Written `<…/>`: means nothing to HTML elements, closes a foreign one.
    self_closing: bool,
}

/// What the tokenizer reads after a start tag, as the tree builder tells
/// it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Raw {
    /// Character references are decoded (`<title>`, `<textarea>`).
    Rcdata,
    /// Nothing is decoded (`<style>`, `<xmp>`, `<iframe>` …).
    Rawtext,
    /// Script data: as raw text, unless an escaped `<!--` hides an end tag.
    Script,
}

struct Lexer<'s> {
    s: &'s str,
    /// The page as a tendril, which kept attribute values share; `None`
    /// for a page of 4 GiB or more, past a tendril's offsets.
    page: Option<StrTendril>,
    keep: &'s Keep<'s>,
    deadline: Option<Instant>,
    tokens: u32,
}

impl Lexer<'_> {
    fn tick(&mut self, b: &Builder) -> Result<(), Stop> {
        self.tokens += 1;
        if self.tokens.is_multiple_of(CHECK_EVERY) {
            if let Some(why) = b.sink.gave_up() {
                return Err(Stop::GaveUp(why));
            }
            if self.deadline.is_some_and(|d| Instant::now() > d) {
                return Err(Stop::Timeout);
            }
        }
        Ok(())
    }

    fn run(&mut self, b: &mut Builder) -> Result<(), Stop> {
        let s = self.s;
        let bytes = s.as_bytes();
        let mut text = Text::default();
        let mut run = 0; // where the pending text run starts
        let mut i = 0;
        while let Some(k) = memchr::memchr2(b'<', b'&', &bytes[i..]) {
            let at = i + k;
            if bytes[at] == b'&' {
                match char_ref(s, at, false) {
                    Some((decoded, end)) => {
                        if b.ignore_lf && at == run && text.buf.is_empty() && bytes[end - 1] != b';'
                        {
                            return Err(Stop::GaveUp(ERROR_BEFORE_NEWLINE));
                        }
                        text.buf.push_str(&s[run..at]);
                        decoded.push_to(&mut text.buf);
                        text.decoded = true;
                        run = end;
                        i = end;
                    }
                    None => i = at + 1,
                }
                continue;
            }
            let next = bytes.get(at + 1).copied();
            match next {
                Some(c) if c.is_ascii_alphabetic() => {
                    text.flush(&s[run..at], b)?;
                    let (tag, end) = lex_tag(s, at + 1, Some((self.keep, self.page.as_ref())))?;
                    self.tick(b)?;
                    let raw = b.start(tag)?;
                    i = end;
                    if let Some((kind, name)) = raw {
                        i = self.raw(b, end, kind, &name)?;
                    }
                    run = i;
                }
                Some(b'/') => match bytes.get(at + 2).copied() {
                    Some(c) if c.is_ascii_alphabetic() => {
                        text.flush(&s[run..at], b)?;
                        let (tag, end) = lex_tag(s, at + 2, None)?;
                        self.tick(b)?;
                        b.end(&tag.name)?;
                        i = end;
                        run = end;
                    }
                    // `</>` is dropped; the text around it is one run.
                    Some(b'>') => {
                        if b.ignore_lf && at == run && text.buf.is_empty() {
                            return Err(Stop::GaveUp(ERROR_BEFORE_NEWLINE));
                        }
                        text.buf.push_str(&s[run..at]);
                        text.decoded = true;
                        i = at + 3;
                        run = i;
                    }
                    // `</` at the end is text.
                    None => i = at + 1,
                    Some(_) => {
                        text.flush(&s[run..at], b)?;
                        i = bogus_comment(bytes, at + 2);
                        run = i;
                        self.tick(b)?;
                        b.comment();
                    }
                },
                Some(b'!') => {
                    text.flush(&s[run..at], b)?;
                    let rest = &bytes[at + 2..];
                    if rest.starts_with(b"--") {
                        i = comment_end(bytes, at + 4);
                        b.comment();
                    } else if rest.len() >= 7 && rest[..7].eq_ignore_ascii_case(b"doctype") {
                        let Some(gt) = memchr::memchr(b'>', &rest[7..]) else {
                            return Err(Stop::GaveUp("a doctype cut off by the end of the page"));
                        };
                        let body = &s[at + 9..at + 9 + gt];
                        b.doctype(body.trim_matches(|c: char| is_ws(c as u8)));
                        i = at + 9 + gt + 1;
                    } else if rest.starts_with(b"[CDATA[") && b.in_foreign() {
                        return Err(Stop::GaveUp("a CDATA section in foreign content"));
                    } else {
                        i = bogus_comment(bytes, at + 2);
                        b.comment();
                    }
                    self.tick(b)?;
                    run = i;
                }
                Some(b'?') => {
                    text.flush(&s[run..at], b)?;
                    i = bogus_comment(bytes, at + 1);
                    run = i;
                    self.tick(b)?;
                    b.comment();
                }
                // A `<` that starts nothing is text.
                _ => i = at + 1,
            }
        }
        text.flush(&s[run..], b)?;
        Ok(())
    }

    /// Reads the content of a raw-text element opened at `from`, up to and
    /// including its end tag; returns where reading goes on.
    fn raw(&mut self, b: &mut Builder, from: usize, kind: Raw, name: &str) -> Result<usize, Stop> {
        let s = self.s;
        let bytes = s.as_bytes();
        let mut k = from;
        let end_at = loop {
            let Some(j) = memchr::memchr(b'<', &bytes[k..]) else {
                return Err(Stop::GaveUp("raw text cut off by the end of the page"));
            };
            let lt = k + j;
            let after = lt + 2 + name.len();
            if bytes.get(lt + 1) == Some(&b'/')
                && bytes.len() > after
                && bytes[lt + 2..after].eq_ignore_ascii_case(name.as_bytes())
                && (is_ws(bytes[after]) || bytes[after] == b'/' || bytes[after] == b'>')
            {
                break lt;
            }
            k = lt + 1;
        };
        let content = &s[from..end_at];
        if kind == Raw::Script
            && let Some(open) = content.find("<!--")
            && contains_ignore_case(&content[open..], "<script")
        {
            return Err(Stop::GaveUp("a script's escaped text"));
        }
        if b.ignore_lf
            && let Some((_, end)) = char_ref(content, 0, false)
            && !content[..end].ends_with(';')
        {
            return Err(Stop::GaveUp(ERROR_BEFORE_NEWLINE));
        }
        if !content.is_empty() {
            if kind == Raw::Rcdata && content.contains('&') {
                let mut out = String::with_capacity(content.len());
                decode_into(content, false, &mut out);
                b.raw_text(&out);
            } else {
                b.raw_text(content);
            }
        }
        let (_, end) = lex_tag(s, end_at + 2, None)?;
        self.tick(b)?;
        b.end_raw();
        Ok(end)
    }
}

/// The pending run of text: borrowed from the page unless a character
/// reference (or a dropped `</>`) made a copy necessary.
#[derive(Default)]
struct Text {
    buf: String,
    decoded: bool,
}

impl Text {
    /// Hands the run (what was copied so far, then `tail`) to the builder.
    fn flush(&mut self, tail: &str, b: &mut Builder) -> R {
        if self.decoded {
            self.buf.push_str(tail);
            let r = if self.buf.is_empty() {
                Ok(())
            } else {
                b.text(&self.buf)
            };
            self.buf.clear();
            self.decoded = false;
            r
        } else if tail.is_empty() {
            Ok(())
        } else {
            b.text(tail)
        }
    }
}

fn contains_ignore_case(hay: &str, needle: &str) -> bool {
    hay.as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Where a comment that starts at `from` (after `<!--`) ends: after `-->`
/// or `--!>`, or at once for `<!-->` and `<!--->`; the end of the page if
/// it never ends.
fn comment_end(bytes: &[u8], from: usize) -> usize {
    let rest = &bytes[from..];
    if rest.starts_with(b">") {
        return from + 1;
    }
    if rest.starts_with(b"->") {
        return from + 2;
    }
    let a = memchr::memmem::find(rest, b"-->").map(|k| k + 3);
    let b = memchr::memmem::find(rest, b"--!>").map(|k| k + 4);
    let end = match (a, b) {
        (Some(a), Some(b)) => {
            // Whichever closes first (by where its `>` is).
            if a <= b { a } else { b }
        }
        (Some(x), None) | (None, Some(x)) => x,
        (None, None) => rest.len(),
    };
    from + end
}

/// Where a bogus comment (`<?…>`, `<!…>`, `</ …>`) ends: after the next `>`.
fn bogus_comment(bytes: &[u8], from: usize) -> usize {
    memchr::memchr(b'>', &bytes[from..]).map_or(bytes.len(), |k| from + k + 1)
}

/// Reads a tag whose name starts at `i`; returns it and where it ends
/// (after its `>`). `keep`: which attributes are wanted (none of an end
/// tag's).
#[inline(always)]
fn lex_tag(s: &str, mut i: usize, keep: Option<(&Keep, Option<&StrTendril>)>) -> R<(Tag, usize)> {
    const CUT: GaveUp = "a tag cut off by the end of the page";
    let bytes = s.as_bytes();
    let start = i;
    while i < bytes.len() && !is_ws(bytes[i]) && bytes[i] != b'/' && bytes[i] != b'>' {
        i += 1;
    }
    if i == bytes.len() {
        return Err(CUT);
    }
    let name = tag_atom(&s[start..i]);
    let (keep, page) = match keep {
        Some((k, page)) => (k.for_tag(&name), page),
        None => (TagKeep::NONE, None),
    };
    // A value as written is a slice of the page's tendril, which shares
    // its buffer (one copy of the page instead of an allocation and a copy
    // a value); a decoded one is a new tendril.
    let value_of = |from: usize, to: usize| -> StrTendril {
        let raw = &s[from..to];
        match (decode_attr(raw), page) {
            (Cow::Borrowed(_), Some(page)) => match (u32::try_from(from), u32::try_from(to - from))
            {
                (Ok(at), Ok(len)) => page.subtendril(at, len),
                _ => StrTendril::from_slice(raw),
            },
            (value, _) => StrTendril::from_slice(&value),
        }
    };
    let mut attrs: Vec<Attribute> = Vec::new();
    let mut many: Option<std::collections::HashSet<LocalName>> = None;
    loop {
        // Before an attribute's name.
        while i < bytes.len() && is_ws(bytes[i]) {
            i += 1;
        }
        match bytes.get(i) {
            None => return Err(CUT),
            Some(b'>') => {
                let tag = Tag {
                    name,
                    attrs,
                    self_closing: false,
                };
                return Ok((tag, i + 1));
            }
            Some(b'/') => {
                // `/>` closes the tag (the flag means nothing to HTML
                // elements); any other `/` is skipped.
                i += 1;
                if bytes.get(i) == Some(&b'>') {
                    let tag = Tag {
                        name,
                        attrs,
                        self_closing: true,
                    };
                    return Ok((tag, i + 1));
                }
                continue;
            }
            Some(_) => {}
        }
        // The name: its first character may be `=`.
        let name_start = i;
        i += 1;
        while i < bytes.len()
            && !matches!(
                bytes[i],
                b'\t' | b'\n' | b'\x0c' | b' ' | b'/' | b'>' | b'='
            )
        {
            i += 1;
        }
        let attr_name = &s[name_start..i];
        let keep = keep.wants(attr_name);
        while i < bytes.len() && is_ws(bytes[i]) {
            i += 1;
        }
        let mut value: Option<StrTendril> = None;
        if bytes.get(i) == Some(&b'=') {
            i += 1;
            while i < bytes.len() && is_ws(bytes[i]) {
                i += 1;
            }
            match bytes.get(i) {
                None => return Err(CUT),
                Some(&q @ (b'"' | b'\'')) => {
                    let Some(k) = memchr::memchr(q, &bytes[i + 1..]) else {
                        return Err(CUT);
                    };
                    if keep {
                        value = Some(value_of(i + 1, i + 1 + k));
                    }
                    i += k + 2;
                }
                // `a=>`: the value is empty; `>` ends the tag above.
                Some(b'>') => {}
                Some(_) => {
                    let from = i;
                    while i < bytes.len() && !is_ws(bytes[i]) && bytes[i] != b'>' {
                        i += 1;
                    }
                    if i == bytes.len() {
                        return Err(CUT);
                    }
                    if keep {
                        value = Some(value_of(from, i));
                    }
                }
            }
        }
        if keep {
            let local = attr_atom(attr_name);
            // A repeated attribute is dropped: the first one counts. Past
            // a few, the names seen go in a set, so that a hostile tag
            // with a million attributes costs a million look-ups, not a
            // million squared.
            let repeated = match &mut many {
                Some(seen) => !seen.insert(local.clone()),
                None => attrs.iter().any(|a| a.name.local == local),
            };
            if !repeated {
                if attrs.capacity() == 0 {
                    attrs = super::stream::take_tag_attrs();
                }
                attrs.push(Attribute {
                    name: QualName::new(None, ns!(), local),
                    value: value.unwrap_or_default(),
                });
                if many.is_none() && attrs.len() >= 16 {
                    many = Some(attrs.iter().map(|a| a.name.local.clone()).collect());
                }
            }
        }
    }
}

/// A tag's name as an atom: the common ones without hashing.
fn tag_atom(name: &str) -> LocalName {
    match name {
        "a" => local_name!("a"),
        "abbr" => local_name!("abbr"),
        "area" => local_name!("area"),
        "article" => local_name!("article"),
        "aside" => local_name!("aside"),
        "b" => local_name!("b"),
        "base" => local_name!("base"),
        "blockquote" => local_name!("blockquote"),
        "body" => local_name!("body"),
        "br" => local_name!("br"),
        "button" => local_name!("button"),
        "caption" => local_name!("caption"),
        "center" => local_name!("center"),
        "cite" => local_name!("cite"),
        "code" => local_name!("code"),
        "col" => local_name!("col"),
        "colgroup" => local_name!("colgroup"),
        "dd" => local_name!("dd"),
        "details" => local_name!("details"),
        "div" => local_name!("div"),
        "dl" => local_name!("dl"),
        "dt" => local_name!("dt"),
        "em" => local_name!("em"),
        "font" => local_name!("font"),
        "footer" => local_name!("footer"),
        "form" => local_name!("form"),
        "h1" => local_name!("h1"),
        "h2" => local_name!("h2"),
        "h3" => local_name!("h3"),
        "h4" => local_name!("h4"),
        "h5" => local_name!("h5"),
        "h6" => local_name!("h6"),
        "head" => local_name!("head"),
        "header" => local_name!("header"),
        "hr" => local_name!("hr"),
        "html" => local_name!("html"),
        "i" => local_name!("i"),
        "iframe" => local_name!("iframe"),
        "img" => local_name!("img"),
        "input" => local_name!("input"),
        "kbd" => local_name!("kbd"),
        "label" => local_name!("label"),
        "li" => local_name!("li"),
        "link" => local_name!("link"),
        "main" => local_name!("main"),
        "meta" => local_name!("meta"),
        "nav" => local_name!("nav"),
        "noscript" => local_name!("noscript"),
        "ol" => local_name!("ol"),
        "option" => local_name!("option"),
        "p" => local_name!("p"),
        "path" => local_name!("path"),
        "pre" => local_name!("pre"),
        "s" => local_name!("s"),
        "samp" => local_name!("samp"),
        "script" => local_name!("script"),
        "section" => local_name!("section"),
        "select" => local_name!("select"),
        "small" => local_name!("small"),
        "source" => local_name!("source"),
        "span" => local_name!("span"),
        "strong" => local_name!("strong"),
        "style" => local_name!("style"),
        "sub" => local_name!("sub"),
        "summary" => local_name!("summary"),
        "sup" => local_name!("sup"),
        "svg" => local_name!("svg"),
        "table" => local_name!("table"),
        "tbody" => local_name!("tbody"),
        "td" => local_name!("td"),
        "textarea" => local_name!("textarea"),
        "tfoot" => local_name!("tfoot"),
        "th" => local_name!("th"),
        "thead" => local_name!("thead"),
        "time" => local_name!("time"),
        "title" => local_name!("title"),
        "tr" => local_name!("tr"),
        "tt" => local_name!("tt"),
        "u" => local_name!("u"),
        "ul" => local_name!("ul"),
        "var" => local_name!("var"),
        "wbr" => local_name!("wbr"),
        "g" => local_name!("g"),
        "rect" => local_name!("rect"),
        "circle" => local_name!("circle"),
        "line" => local_name!("line"),
        "use" => local_name!("use"),
        "figure" => local_name!("figure"),
        "figcaption" => local_name!("figcaption"),
        "picture" => local_name!("picture"),
        "video" => local_name!("video"),
        "nobr" => local_name!("nobr"),
        "big" => local_name!("big"),
        _ => lower_atom(name),
    }
}

/// An attribute's name as an atom: the common ones without hashing.
fn attr_atom(name: &str) -> LocalName {
    match name {
        "class" => local_name!("class"),
        "href" => local_name!("href"),
        "id" => local_name!("id"),
        "title" => local_name!("title"),
        "type" => local_name!("type"),
        "name" => local_name!("name"),
        "rel" => local_name!("rel"),
        "src" => local_name!("src"),
        "alt" => local_name!("alt"),
        "style" => local_name!("style"),
        "lang" => local_name!("lang"),
        "content" => local_name!("content"),
        "charset" => local_name!("charset"),
        "width" => local_name!("width"),
        "height" => local_name!("height"),
        "value" => local_name!("value"),
        "role" => local_name!("role"),
        "color" => local_name!("color"),
        "face" => local_name!("face"),
        "size" => local_name!("size"),
        _ => lower_atom(name),
    }
}

fn lower_atom(name: &str) -> LocalName {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        LocalName::from(name.to_ascii_lowercase())
    } else {
        LocalName::from(name)
    }
}

fn decode_attr(raw: &str) -> Cow<'_, str> {
    if memchr::memchr(b'&', raw.as_bytes()).is_none() {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    decode_into(raw, true, &mut out);
    Cow::Owned(out)
}

/// Appends `raw` to `out` with its character references decoded.
fn decode_into(raw: &str, in_attr: bool, out: &mut String) {
    let mut run = 0;
    let mut i = 0;
    while let Some(k) = memchr::memchr(b'&', &raw.as_bytes()[i..]) {
        let at = i + k;
        match char_ref(raw, at, in_attr) {
            Some((decoded, end)) => {
                out.push_str(&raw[run..at]);
                decoded.push_to(out);
                run = end;
                i = end;
            }
            None => i = at + 1,
        }
    }
    out.push_str(&raw[run..]);
}

/// The characters a reference stands for.
struct Decoded(char, Option<char>);

impl Decoded {
    fn push_to(&self, out: &mut String) {
        out.push(self.0);
        if let Some(c) = self.1 {
            out.push(c);
        }
    }
}

/// The character reference at `at` (an `&`) as html5ever's tokenizer
/// reads it, and where it ends; `None`: the `&` is text.
fn char_ref(s: &str, at: usize, in_attr: bool) -> Option<(Decoded, usize)> {
    let bytes = s.as_bytes();
    let next = *bytes.get(at + 1)?;
    if next == b'#' {
        let mut i = at + 2;
        let hex = matches!(bytes.get(i), Some(b'x' | b'X'));
        if hex {
            i += 1;
        }
        let digits = i;
        let mut n: u32 = 0;
        let mut big = false;
        while let Some(&c) = bytes.get(i) {
            let d = match c {
                b'0'..=b'9' => u32::from(c - b'0'),
                b'a'..=b'f' if hex => u32::from(c - b'a' + 10),
                b'A'..=b'F' if hex => u32::from(c - b'A' + 10),
                _ => break,
            };
            n = match n
                .checked_mul(if hex { 16 } else { 10 })
                .and_then(|n| n.checked_add(d))
            {
                Some(n) if n <= 0x10FFFF => n,
                _ => {
                    big = true;
                    0x110000
                }
            };
            i += 1;
        }
        if i == digits {
            return None;
        }
        if bytes.get(i) == Some(&b';') {
            i += 1;
        }
        let c = match n {
            _ if big => '\u{fffd}',
            0 | 0xD800..=0xDFFF => '\u{fffd}',
            0x80..=0x9F => C1_REPLACEMENTS[(n - 0x80) as usize]
                .unwrap_or_else(|| char::from_u32(n).unwrap_or('\u{fffd}')),
            n => char::from_u32(n).unwrap_or('\u{fffd}'),
        };
        return Some((Decoded(c, None), i));
    }
    if !next.is_ascii_alphanumeric() {
        return None;
    }
    // The longest name in the table that the text starts with.
    let mut found: Option<(usize, (u32, u32))> = None;
    let mut end = at + 1;
    while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b';') {
        end += 1;
        match NAMED_ENTITIES.get(&s[at + 1..end]) {
            Some(&m) => {
                if m.0 != 0 {
                    found = Some((end, m));
                }
                if bytes[end - 1] == b';' {
                    break;
                }
            }
            None => break,
        }
    }
    let (end, (c1, c2)) = found?;
    if bytes[end - 1] != b';'
        && in_attr
        && bytes
            .get(end)
            .is_some_and(|&c| c == b'=' || c.is_ascii_alphanumeric())
    {
        return None;
    }
    let c1 = char::from_u32(c1)?;
    let c2 = if c2 == 0 { None } else { char::from_u32(c2) };
    Some((Decoded(c1, c2), end))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Initial,
    BeforeHtml,
    BeforeHead,
    InHead,
    InHeadNoscript,
    AfterHead,
    InBody,
    InTable,
    InTableBody,
    InRow,
    InCell,
    InCaption,
    InColumnGroup,
    AfterBody,
    AfterAfterBody,
}

/// The document's quirks mode, as far as the tree builder cares (a
/// `<table>` closes an open `<p>` unless in quirks mode).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Quirks {
    No,
    Yes,
    /// A doctype other than `<!DOCTYPE html>`: not worked out here.
    Unknown,
}

struct Open {
    id: usize,
    /// An HTML element's name; empty for a foreign element, so that no
    /// rule about HTML elements takes it for one.
    name: LocalName,
    foreign: Option<Foreign>,
}

/// What the tree builder knows of an SVG or MathML element.
struct Foreign {
    ns: Namespace,
    local: LocalName,
    point: Point,
}

/// Where foreign content lets HTML back in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Point {
    None,
    /// MathML `mi`, `mo`, `mn`, `ms`, `mtext`.
    MathText,
    /// SVG `foreignObject`, `desc`, `title`.
    Svg,
}

/// An entry of the list of active formatting elements (the sink keeps a
/// formatting element's attributes, for a copy).
enum Fmt {
    Marker,
    El { id: usize, name: LocalName },
}

/// A token, as far as the choice of rules needs it.
#[derive(Clone, Copy)]
enum Tok<'a> {
    Text,
    Start(&'a LocalName),
    End,
}

/// SVG element names the tokenizer lowercased, as SVG spells them.
const SVG_TAGS: &[&str] = &[
    "altGlyph",
    "altGlyphDef",
    "altGlyphItem",
    "animateColor",
    "animateMotion",
    "animateTransform",
    "clipPath",
    "feBlend",
    "feColorMatrix",
    "feComponentTransfer",
    "feComposite",
    "feConvolveMatrix",
    "feDiffuseLighting",
    "feDisplacementMap",
    "feDistantLight",
    "feDropShadow",
    "feFlood",
    "feFuncA",
    "feFuncB",
    "feFuncG",
    "feFuncR",
    "feGaussianBlur",
    "feImage",
    "feMerge",
    "feMergeNode",
    "feMorphology",
    "feOffset",
    "fePointLight",
    "feSpecularLighting",
    "feSpotLight",
    "feTile",
    "feTurbulence",
    "foreignObject",
    "glyphRef",
    "linearGradient",
    "radialGradient",
    "textPath",
];

/// SVG attribute names, as SVG spells them.
const SVG_ATTRS: &[&str] = &[
    "attributeName",
    "attributeType",
    "baseFrequency",
    "baseProfile",
    "calcMode",
    "clipPathUnits",
    "diffuseConstant",
    "edgeMode",
    "filterUnits",
    "glyphRef",
    "gradientTransform",
    "gradientUnits",
    "kernelMatrix",
    "kernelUnitLength",
    "keyPoints",
    "keySplines",
    "keyTimes",
    "lengthAdjust",
    "limitingConeAngle",
    "markerHeight",
    "markerUnits",
    "markerWidth",
    "maskContentUnits",
    "maskUnits",
    "numOctaves",
    "pathLength",
    "patternContentUnits",
    "patternTransform",
    "patternUnits",
    "pointsAtX",
    "pointsAtY",
    "pointsAtZ",
    "preserveAlpha",
    "preserveAspectRatio",
    "primitiveUnits",
    "refX",
    "refY",
    "repeatCount",
    "repeatDur",
    "requiredExtensions",
    "requiredFeatures",
    "specularConstant",
    "specularExponent",
    "spreadMethod",
    "startOffset",
    "stdDeviation",
    "stitchTiles",
    "surfaceScale",
    "systemLanguage",
    "tableValues",
    "targetX",
    "targetY",
    "textLength",
    "viewBox",
    "viewTarget",
    "xChannelSelector",
    "yChannelSelector",
    "zoomAndPan",
];

/// `name` (lowercase) as `table` spells it, if it is there.
fn camel(table: &[&str], name: &LocalName) -> Option<LocalName> {
    table
        .iter()
        .find(|t| t.eq_ignore_ascii_case(name))
        .map(|t| LocalName::from(*t))
}

fn adjust_svg_attributes(attrs: &mut [Attribute]) {
    for a in attrs {
        if let Some(local) = camel(SVG_ATTRS, &a.name.local) {
            a.name = QualName::new(None, ns!(), local);
        }
    }
}

fn adjust_mathml_attributes(attrs: &mut [Attribute]) {
    for a in attrs {
        if a.name.local == local_name!("definitionurl") {
            a.name = QualName::new(None, ns!(), local_name!("definitionURL"));
        }
    }
}

/// `xlink:href` and the like: attributes in their own namespaces.
fn adjust_foreign_attributes(attrs: &mut [Attribute]) {
    for a in attrs {
        let (prefix, ns, local) = match &*a.name.local {
            "xlink:actuate" => ("xlink", ns!(xlink), local_name!("actuate")),
            "xlink:arcrole" => ("xlink", ns!(xlink), local_name!("arcrole")),
            "xlink:href" => ("xlink", ns!(xlink), local_name!("href")),
            "xlink:role" => ("xlink", ns!(xlink), local_name!("role")),
            "xlink:show" => ("xlink", ns!(xlink), local_name!("show")),
            "xlink:title" => ("xlink", ns!(xlink), local_name!("title")),
            "xlink:type" => ("xlink", ns!(xlink), local_name!("type")),
            "xml:lang" => ("xml", ns!(xml), local_name!("lang")),
            "xml:space" => ("xml", ns!(xml), local_name!("space")),
            "xmlns" => ("", ns!(xmlns), local_name!("xmlns")),
            "xmlns:xlink" => ("xmlns", ns!(xmlns), local_name!("xlink")),
            _ => continue,
        };
        a.name = QualName::new(Some(Prefix::from(prefix)), ns, local);
    }
}

thread_local! {
    static SPARE_OPEN: std::cell::Cell<Vec<Open>> = const { std::cell::Cell::new(Vec::new()) };
    static SPARE_ACTIVE: std::cell::Cell<Vec<Fmt>> = const { std::cell::Cell::new(Vec::new()) };
}

struct Builder<'p> {
    sink: Sink<'p>,
    open: Reused<Open>,
    active: Reused<Fmt>,
    mode: Mode,
    quirks: Quirks,
    head: bool,
    form: Option<usize>,
    ignore_lf: bool,
}

const DOCUMENT: usize = 0;

fn is_special(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("address")
            | local_name!("applet")
            | local_name!("area")
            | local_name!("article")
            | local_name!("aside")
            | local_name!("base")
            | local_name!("basefont")
            | local_name!("bgsound")
            | local_name!("blockquote")
            | local_name!("body")
            | local_name!("br")
            | local_name!("button")
            | local_name!("caption")
            | local_name!("center")
            | local_name!("col")
            | local_name!("colgroup")
            | local_name!("dd")
            | local_name!("details")
            | local_name!("dir")
            | local_name!("div")
            | local_name!("dl")
            | local_name!("dt")
            | local_name!("embed")
            | local_name!("fieldset")
            | local_name!("figcaption")
            | local_name!("figure")
            | local_name!("footer")
            | local_name!("form")
            | local_name!("frame")
            | local_name!("frameset")
            | local_name!("h1")
            | local_name!("h2")
            | local_name!("h3")
            | local_name!("h4")
            | local_name!("h5")
            | local_name!("h6")
            | local_name!("head")
            | local_name!("header")
            | local_name!("hgroup")
            | local_name!("hr")
            | local_name!("html")
            | local_name!("iframe")
            | local_name!("img")
            | local_name!("input")
            | local_name!("isindex")
            | local_name!("li")
            | local_name!("link")
            | local_name!("listing")
            | local_name!("main")
            | local_name!("marquee")
            | local_name!("menu")
            | local_name!("meta")
            | local_name!("nav")
            | local_name!("noembed")
            | local_name!("noframes")
            | local_name!("noscript")
            | local_name!("object")
            | local_name!("ol")
            | local_name!("p")
            | local_name!("param")
            | local_name!("plaintext")
            | local_name!("pre")
            | local_name!("script")
            | local_name!("section")
            | local_name!("select")
            | local_name!("source")
            | local_name!("style")
            | local_name!("summary")
            | local_name!("table")
            | local_name!("tbody")
            | local_name!("td")
            | local_name!("template")
            | local_name!("textarea")
            | local_name!("tfoot")
            | local_name!("th")
            | local_name!("thead")
            | local_name!("title")
            | local_name!("tr")
            | local_name!("track")
            | local_name!("ul")
            | local_name!("wbr")
            | local_name!("xmp")
    )
}

fn default_scope(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("applet")
            | local_name!("caption")
            | local_name!("html")
            | local_name!("table")
            | local_name!("td")
            | local_name!("th")
            | local_name!("marquee")
            | local_name!("object")
            | local_name!("select")
            | local_name!("template")
    )
}

/// The scopes "has an element in scope" looks through.
#[derive(Clone, Copy)]
enum Scope {
    Default,
    ListItem,
    Button,
    Table,
}

impl Scope {
    /// Whether `o` ends the search.
    fn bounds(self, o: &Open) -> bool {
        let default = |o: &Open| {
            default_scope(&o.name) || o.foreign.as_ref().is_some_and(|f| f.point != Point::None)
        };
        match self {
            Scope::Default => default(o),
            Scope::ListItem => {
                default(o) || matches!(o.name, local_name!("ol") | local_name!("ul"))
            }
            Scope::Button => default(o) || o.name == local_name!("button"),
            Scope::Table => table_scope(&o.name),
        }
    }
}

fn table_scope(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("html") | local_name!("table") | local_name!("template")
    )
}

fn table_body_context(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("tbody")
            | local_name!("tfoot")
            | local_name!("thead")
            | local_name!("template")
            | local_name!("html")
    )
}

fn table_row_context(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("tr") | local_name!("template") | local_name!("html")
    )
}

fn implied_end(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("dd")
            | local_name!("dt")
            | local_name!("li")
            | local_name!("option")
            | local_name!("optgroup")
            | local_name!("p")
            | local_name!("rb")
            | local_name!("rp")
            | local_name!("rt")
            | local_name!("rtc")
    )
}

fn heading(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("h1")
            | local_name!("h2")
            | local_name!("h3")
            | local_name!("h4")
            | local_name!("h5")
            | local_name!("h6")
    )
}

fn td_th(name: &LocalName) -> bool {
    matches!(*name, local_name!("td") | local_name!("th"))
}

/// Elements directly inside which table text is collected.
fn table_outer(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("table")
            | local_name!("tbody")
            | local_name!("tfoot")
            | local_name!("thead")
            | local_name!("tr")
    )
}

/// The leading run of whitespace of `t`, and the rest.
fn split_ws(t: &str) -> (&str, &str) {
    let n = t.bytes().take_while(|&b| is_ws(b)).count();
    t.split_at(n)
}

impl<'p> Builder<'p> {
    fn new(plan: &'p Plan) -> Self {
        Builder {
            sink: Sink::new(plan),
            open: Reused::take(&SPARE_OPEN),
            active: Reused::take(&SPARE_ACTIVE),
            mode: Mode::Initial,
            quirks: Quirks::Yes,
            head: false,
            form: None,
            ignore_lf: false,
        }
    }

    fn current(&self) -> usize {
        self.open.last().map_or(DOCUMENT, |o| o.id)
    }

    fn current_is(&self, name: &LocalName) -> bool {
        self.open.last().is_some_and(|o| o.name == *name)
    }

    fn current_in(&self, set: fn(&LocalName) -> bool) -> bool {
        self.open.last().is_some_and(|o| set(&o.name))
    }

    /// Creates an element and appends it to the current node, as
    /// html5ever's `insert_element` does; `push`: it becomes the current
    /// node.
    fn insert(&mut self, name: LocalName, attrs: Vec<Attribute>, push: bool) -> usize {
        let parent = self.current();
        let id = self.sink.create_element(
            QualName::new(None, ns!(html), name.clone()),
            attrs,
            ElementFlags::default(),
        );
        self.sink.append(&parent, NodeOrText::AppendNode(id));
        if push {
            self.open.push(Open {
                id,
                name,
                foreign: None,
            });
        }
        id
    }

    fn phantom(&mut self, name: LocalName) {
        self.insert(name, Vec::new(), true);
    }

    fn pop(&mut self) {
        self.open.pop();
    }

    fn in_scope(&self, scope: Scope, want: impl Fn(&Open) -> bool) -> bool {
        for o in self.open.iter().rev() {
            if want(o) {
                return true;
            }
            if scope.bounds(o) {
                return false;
            }
        }
        false
    }

    fn in_scope_named(&self, scope: Scope, name: &LocalName) -> bool {
        self.in_scope(scope, |o| o.name == *name)
    }

    fn generate_implied_end(&mut self, except: Option<&LocalName>) {
        while let Some(o) = self.open.last() {
            if !implied_end(&o.name) || except.is_some_and(|e| *e == o.name) {
                return;
            }
            self.open.pop();
        }
    }

    fn pop_until(&mut self, pred: impl Fn(&LocalName) -> bool) {
        while let Some(o) = self.open.pop() {
            if pred(&o.name) {
                return;
            }
        }
    }

    fn pop_until_named(&mut self, name: &LocalName) {
        self.pop_until(|n| n == name);
    }

    fn pop_until_current(&mut self, set: fn(&LocalName) -> bool) {
        while self.open.last().is_some_and(|o| !set(&o.name)) {
            self.open.pop();
        }
    }

    fn close_p(&mut self) {
        self.generate_implied_end(Some(&local_name!("p")));
        self.pop_until_named(&local_name!("p"));
    }

    fn close_p_in_button_scope(&mut self) {
        if self.in_scope_named(Scope::Button, &local_name!("p")) {
            self.close_p();
        }
    }

    fn is_open(&self, id: usize) -> bool {
        self.open.iter().rev().any(|o| o.id == id)
    }

    fn marker_or_open(&self, f: &Fmt) -> bool {
        match f {
            Fmt::Marker => true,
            Fmt::El { id, .. } => self.is_open(*id),
        }
    }

    fn reconstruct(&mut self) {
        let Some(last) = self.active.last() else {
            return;
        };
        if self.marker_or_open(last) {
            return;
        }
        let mut at = self.active.len() - 1;
        while at > 0 {
            at -= 1;
            if self.marker_or_open(&self.active[at]) {
                at += 1;
                break;
            }
        }
        for k in at..self.active.len() {
            let Fmt::El { id, name } = &self.active[k] else {
                continue;
            };
            let (name, attrs) = (name.clone(), self.sink.attrs_of(*id));
            let new = self.insert(name.clone(), attrs, true);
            self.active[k] = Fmt::El { id: new, name };
        }
    }

    fn clear_active_to_marker(&mut self) {
        while let Some(f) = self.active.pop() {
            if matches!(f, Fmt::Marker) {
                return;
            }
        }
    }

    /// The entries after the last marker.
    fn active_since_marker(&self) -> impl Iterator<Item = (usize, &Fmt)> {
        self.active
            .iter()
            .enumerate()
            .rev()
            .take_while(|(_, f)| !matches!(f, Fmt::Marker))
    }

    /// Inserts a formatting element and enters it in the list. When three
    /// like it are there already, the tree builder drops the earliest
    /// (Noah's ark); "like" compares all attributes, which this reader
    /// does not keep, so it hands a page with three of a name on instead.
    fn insert_formatting(&mut self, tag: Tag) -> R {
        let alike = self
            .active_since_marker()
            .filter(|(_, f)| matches!(f, Fmt::El { name, .. } if *name == tag.name))
            .count();
        if alike >= 3 {
            return Err("three formatting elements of a name open (Noah's ark)");
        }
        let id = self.insert(tag.name.clone(), tag.attrs, true);
        self.active.push(Fmt::El { id, name: tag.name });
        Ok(())
    }

    fn append_text(&mut self, t: &str) {
        let parent = self.current();
        self.sink.append_str(parent, t);
    }

    fn doctype(&mut self, body: &str) {
        self.ignore_lf = false;
        if self.mode == Mode::Initial {
            // `DOCTYPE` is followed by the name, then any identifiers.
            self.quirks = if body.eq_ignore_ascii_case("html") {
                Quirks::No
            } else {
                Quirks::Unknown
            };
            self.mode = Mode::BeforeHtml;
        }
    }

    /// Comments are never looked at; they only end a run of text.
    fn comment(&mut self) {
        self.ignore_lf = false;
    }

    fn text(&mut self, t: &str) -> R {
        let mut t = t;
        if std::mem::take(&mut self.ignore_lf)
            && let Some(rest) = t.strip_prefix('\n')
        {
            t = rest;
        }
        if !t.is_empty() && self.foreign_rules(Tok::Text) {
            self.append_text(t);
            return Ok(());
        }
        while !t.is_empty() {
            match self.mode {
                Mode::Initial | Mode::BeforeHtml | Mode::BeforeHead => {
                    t = split_ws(t).1;
                    if !t.is_empty() {
                        self.anything_else_before_body()?;
                    }
                }
                Mode::InHead | Mode::InHeadNoscript | Mode::AfterHead | Mode::InColumnGroup => {
                    let (ws, rest) = split_ws(t);
                    if !ws.is_empty() {
                        self.append_text(ws);
                    }
                    t = rest;
                    if !t.is_empty() {
                        self.anything_else_before_body()?;
                    }
                }
                Mode::InBody | Mode::InCell | Mode::InCaption => {
                    self.reconstruct();
                    self.append_text(t);
                    return Ok(());
                }
                Mode::AfterBody | Mode::AfterAfterBody => {
                    if !all_ws(t) {
                        self.mode = Mode::InBody;
                    }
                    self.reconstruct();
                    self.append_text(t);
                    return Ok(());
                }
                Mode::InTable | Mode::InTableBody | Mode::InRow => {
                    if self.current_in(table_outer) && all_ws(t) {
                        self.append_text(t);
                        return Ok(());
                    }
                    return Err("foster parenting (text misplaced in a table)");
                }
            }
        }
        Ok(())
    }

    /// The "anything else" step of the modes before the body (and of the
    /// column group), for a token that is not theirs: the implied element
    /// or the implied end, then the token goes on in the next mode.
    fn anything_else_before_body(&mut self) -> R {
        match self.mode {
            Mode::Initial => {
                self.quirks = Quirks::Yes;
                self.mode = Mode::BeforeHtml;
            }
            Mode::BeforeHtml => {
                self.phantom(local_name!("html"));
                self.mode = Mode::BeforeHead;
            }
            Mode::BeforeHead => {
                self.phantom(local_name!("head"));
                self.head = true;
                self.mode = Mode::InHead;
            }
            Mode::InHead => {
                self.pop();
                self.mode = Mode::AfterHead;
            }
            Mode::InHeadNoscript => {
                self.pop();
                self.mode = Mode::InHead;
            }
            Mode::AfterHead => {
                self.phantom(local_name!("body"));
                self.mode = Mode::InBody;
            }
            Mode::InColumnGroup => {
                if !self.current_is(&local_name!("colgroup")) {
                    return Err("content in a column group");
                }
                self.pop();
                self.mode = Mode::InTable;
            }
            _ => return Err("an unexpected insertion mode"),
        }
        Ok(())
    }

    /// The end of the page: the elements html5ever implies there.
    fn eof(&mut self) -> R {
        loop {
            match self.mode {
                Mode::Initial
                | Mode::BeforeHtml
                | Mode::BeforeHead
                | Mode::InHead
                | Mode::InHeadNoscript
                | Mode::AfterHead => self.anything_else_before_body()?,
                _ => return Ok(()),
            }
        }
    }

    /// A start tag; returns the raw-text kind the tokenizer must read next,
    /// with the element's name.
    fn start(&mut self, tag: Tag) -> R<Option<(Raw, LocalName)>> {
        self.ignore_lf = false;
        if self.foreign_rules(Tok::Start(&tag.name)) {
            return self.foreign_start(tag);
        }
        self.start_mode(tag)
    }

    /// A start tag by the rules of the current insertion mode.
    fn start_mode(&mut self, tag: Tag) -> R<Option<(Raw, LocalName)>> {
        loop {
            match self.mode {
                Mode::Initial => self.anything_else_before_body()?,
                Mode::BeforeHtml => {
                    if tag.name == local_name!("html") {
                        self.insert(tag.name, tag.attrs, true);
                        self.mode = Mode::BeforeHead;
                        return Ok(None);
                    }
                    self.anything_else_before_body()?;
                }
                Mode::BeforeHead => match tag.name {
                    local_name!("html") => return Err("a second <html>"),
                    local_name!("head") => {
                        self.insert(tag.name, tag.attrs, true);
                        self.head = true;
                        self.mode = Mode::InHead;
                        return Ok(None);
                    }
                    _ => self.anything_else_before_body()?,
                },
                Mode::InHead => match tag.name {
                    local_name!("html") => return Err("a second <html>"),
                    local_name!("head") => return Ok(None),
                    local_name!("template") => return Err("a <template>"),
                    local_name!("noscript") => {
                        self.insert(tag.name, tag.attrs, true);
                        self.mode = Mode::InHeadNoscript;
                        return Ok(None);
                    }
                    _ => {
                        if let Some(raw) = self.head_element(&tag.name) {
                            return Ok(self.head_insert(tag, raw));
                        }
                        self.anything_else_before_body()?;
                    }
                },
                Mode::InHeadNoscript => match tag.name {
                    local_name!("html") => return Err("a second <html>"),
                    local_name!("head") | local_name!("noscript") => return Ok(None),
                    local_name!("basefont")
                    | local_name!("bgsound")
                    | local_name!("link")
                    | local_name!("meta")
                    | local_name!("noframes")
                    | local_name!("style") => {
                        let raw = self.head_element(&tag.name);
                        return Ok(self.head_insert(tag, raw.flatten()));
                    }
                    _ => self.anything_else_before_body()?,
                },
                Mode::AfterHead => match tag.name {
                    local_name!("html") => return Err("a second <html>"),
                    local_name!("body") => {
                        self.insert(tag.name, tag.attrs, true);
                        self.mode = Mode::InBody;
                        return Ok(None);
                    }
                    local_name!("frameset") => return Err("a frameset"),
                    local_name!("head") => return Ok(None),
                    _ if self.head_element(&tag.name).is_some()
                        || tag.name == local_name!("template") =>
                    {
                        return Err("a head element after the head");
                    }
                    _ => self.anything_else_before_body()?,
                },
                Mode::InBody => return self.start_in_body(tag),
                Mode::AfterBody | Mode::AfterAfterBody => {
                    if tag.name == local_name!("html") {
                        return Err("a second <html>");
                    }
                    self.mode = Mode::InBody;
                }
                Mode::InTable => return self.start_in_table(tag),
                Mode::InTableBody => match tag.name {
                    local_name!("tr") => {
                        self.pop_until_current(table_body_context);
                        self.insert(tag.name, tag.attrs, true);
                        self.mode = Mode::InRow;
                        return Ok(None);
                    }
                    local_name!("th") | local_name!("td") => {
                        self.pop_until_current(table_body_context);
                        self.phantom(local_name!("tr"));
                        self.mode = Mode::InRow;
                    }
                    local_name!("caption")
                    | local_name!("col")
                    | local_name!("colgroup")
                    | local_name!("tbody")
                    | local_name!("tfoot")
                    | local_name!("thead") => {
                        if !self.table_body_to_table() {
                            return Ok(None);
                        }
                    }
                    _ => return self.start_in_table(tag),
                },
                Mode::InRow => match tag.name {
                    local_name!("th") | local_name!("td") => {
                        self.pop_until_current(table_row_context);
                        self.insert(tag.name, tag.attrs, true);
                        self.mode = Mode::InCell;
                        self.active.push(Fmt::Marker);
                        return Ok(None);
                    }
                    local_name!("caption")
                    | local_name!("col")
                    | local_name!("colgroup")
                    | local_name!("tbody")
                    | local_name!("tfoot")
                    | local_name!("thead")
                    | local_name!("tr") => {
                        if !self.row_to_table_body() {
                            return Ok(None);
                        }
                    }
                    _ => return self.start_in_table(tag),
                },
                Mode::InCell => match tag.name {
                    local_name!("caption")
                    | local_name!("col")
                    | local_name!("colgroup")
                    | local_name!("tbody")
                    | local_name!("td")
                    | local_name!("tfoot")
                    | local_name!("th")
                    | local_name!("thead")
                    | local_name!("tr") => {
                        if !self.in_scope(Scope::Table, |o| td_th(&o.name)) {
                            return Ok(None);
                        }
                        self.close_cell();
                    }
                    _ => return self.start_in_body(tag),
                },
                Mode::InCaption => match tag.name {
                    local_name!("caption")
                    | local_name!("col")
                    | local_name!("colgroup")
                    | local_name!("tbody")
                    | local_name!("td")
                    | local_name!("tfoot")
                    | local_name!("th")
                    | local_name!("thead")
                    | local_name!("tr") => {
                        if !self.close_caption() {
                            return Ok(None);
                        }
                    }
                    _ => return self.start_in_body(tag),
                },
                Mode::InColumnGroup => match tag.name {
                    local_name!("html") => return Err("a second <html>"),
                    local_name!("col") => {
                        self.insert(tag.name, tag.attrs, false);
                        return Ok(None);
                    }
                    local_name!("template") => return Err("a <template>"),
                    _ => self.anything_else_before_body()?,
                },
            }
        }
    }

    /// Elements the "in head" rules insert: `Some(raw)` where raw says
    /// what the tokenizer reads next.
    fn head_element(&self, name: &LocalName) -> Option<Option<Raw>> {
        match *name {
            local_name!("base")
            | local_name!("basefont")
            | local_name!("bgsound")
            | local_name!("link")
            | local_name!("meta") => Some(None),
            local_name!("title") => Some(Some(Raw::Rcdata)),
            local_name!("noframes") | local_name!("style") => Some(Some(Raw::Rawtext)),
            local_name!("script") => Some(Some(Raw::Script)),
            _ => None,
        }
    }

    /// Inserts an element by the "in head" rules, at the current node.
    fn head_insert(&mut self, tag: Tag, raw: Option<Raw>) -> Option<(Raw, LocalName)> {
        let name = tag.name.clone();
        self.insert(tag.name, tag.attrs, raw.is_some());
        raw.map(|r| (r, name))
    }

    /// An element whose content is raw text: inserted, and the tokenizer
    /// told.
    fn raw_insert(&mut self, tag: Tag, raw: Raw) -> Option<(Raw, LocalName)> {
        let name = tag.name.clone();
        self.insert(tag.name, tag.attrs, true);
        Some((raw, name))
    }

    /// The text of a raw-text element (the "text" insertion mode): it goes
    /// to the element, whatever the mode around it.
    fn raw_text(&mut self, t: &str) {
        let mut t = t;
        if std::mem::take(&mut self.ignore_lf)
            && let Some(rest) = t.strip_prefix('\n')
        {
            t = rest;
        }
        if !t.is_empty() {
            self.append_text(t);
        }
    }

    /// The end tag of a raw-text element: it is the current node.
    fn end_raw(&mut self) {
        self.ignore_lf = false;
        self.pop();
    }

    fn start_in_body(&mut self, tag: Tag) -> R<Option<(Raw, LocalName)>> {
        match tag.name {
            local_name!("html") => return Err("a second <html>"),
            local_name!("body") => return Err("a second <body>"),
            local_name!("frameset") => return Err("a frameset"),
            local_name!("template") => return Err("a <template>"),
            local_name!("plaintext") => return Err("a <plaintext>"),
            local_name!("image") => {
                return self.start_in_body(Tag {
                    name: local_name!("img"),
                    ..tag
                });
            }
            local_name!("select") | local_name!("option") | local_name!("optgroup") => {
                return Err("a <select>");
            }
            local_name!("rb") | local_name!("rtc") | local_name!("rp") | local_name!("rt") => {
                return Err("ruby");
            }
            local_name!("math") | local_name!("svg") => {
                self.reconstruct();
                let mut tag = tag;
                let ns = if tag.name == local_name!("svg") {
                    adjust_svg_attributes(&mut tag.attrs);
                    ns!(svg)
                } else {
                    adjust_mathml_attributes(&mut tag.attrs);
                    ns!(mathml)
                };
                adjust_foreign_attributes(&mut tag.attrs);
                self.insert_foreign(tag, ns)?;
            }
            local_name!("address")
            | local_name!("article")
            | local_name!("aside")
            | local_name!("blockquote")
            | local_name!("center")
            | local_name!("details")
            | local_name!("dialog")
            | local_name!("dir")
            | local_name!("div")
            | local_name!("dl")
            | local_name!("fieldset")
            | local_name!("figcaption")
            | local_name!("figure")
            | local_name!("footer")
            | local_name!("header")
            | local_name!("hgroup")
            | local_name!("main")
            | local_name!("nav")
            | local_name!("ol")
            | local_name!("p")
            | local_name!("search")
            | local_name!("section")
            | local_name!("summary")
            | local_name!("ul")
            | local_name!("menu") => {
                self.close_p_in_button_scope();
                self.insert(tag.name, tag.attrs, true);
            }
            local_name!("h1")
            | local_name!("h2")
            | local_name!("h3")
            | local_name!("h4")
            | local_name!("h5")
            | local_name!("h6") => {
                self.close_p_in_button_scope();
                if self.current_in(heading) {
                    self.pop();
                }
                self.insert(tag.name, tag.attrs, true);
            }
            local_name!("pre") | local_name!("listing") => {
                self.close_p_in_button_scope();
                self.insert(tag.name, tag.attrs, true);
                self.ignore_lf = true;
            }
            local_name!("form") => {
                if self.form.is_none() {
                    self.close_p_in_button_scope();
                    let id = self.insert(tag.name, tag.attrs, true);
                    self.form = Some(id);
                }
            }
            local_name!("li") | local_name!("dd") | local_name!("dt") => {
                let list = tag.name == local_name!("li");
                let mut to_close = None;
                for o in self.open.iter().rev() {
                    let closes = if list {
                        o.name == local_name!("li")
                    } else {
                        matches!(o.name, local_name!("dd") | local_name!("dt"))
                    };
                    if closes {
                        to_close = Some(o.name.clone());
                        break;
                    }
                    if is_special(&o.name)
                        && !matches!(
                            o.name,
                            local_name!("address") | local_name!("div") | local_name!("p")
                        )
                    {
                        break;
                    }
                }
                if let Some(name) = to_close {
                    self.generate_implied_end(Some(&name));
                    self.pop_until_named(&name);
                }
                self.close_p_in_button_scope();
                self.insert(tag.name, tag.attrs, true);
            }
            local_name!("button") => {
                if self.in_scope_named(Scope::Default, &local_name!("button")) {
                    self.generate_implied_end(None);
                    self.pop_until_named(&local_name!("button"));
                }
                self.reconstruct();
                self.insert(tag.name, tag.attrs, true);
            }
            local_name!("a") => {
                if self
                    .active_since_marker()
                    .any(|(_, f)| matches!(f, Fmt::El { name, .. } if *name == local_name!("a")))
                {
                    return Err("a nested <a> (the adoption agency)");
                }
                self.reconstruct();
                self.insert_formatting(tag)?;
            }
            local_name!("b")
            | local_name!("big")
            | local_name!("code")
            | local_name!("em")
            | local_name!("font")
            | local_name!("i")
            | local_name!("s")
            | local_name!("small")
            | local_name!("strike")
            | local_name!("strong")
            | local_name!("tt")
            | local_name!("u") => {
                self.reconstruct();
                self.insert_formatting(tag)?;
            }
            local_name!("nobr") => {
                self.reconstruct();
                if self.in_scope_named(Scope::Default, &local_name!("nobr")) {
                    return Err("a nested <nobr> (the adoption agency)");
                }
                self.insert_formatting(tag)?;
            }
            local_name!("applet") | local_name!("marquee") | local_name!("object") => {
                self.reconstruct();
                self.insert(tag.name, tag.attrs, true);
                self.active.push(Fmt::Marker);
            }
            local_name!("table") => {
                match self.quirks {
                    Quirks::No => self.close_p_in_button_scope(),
                    Quirks::Yes => {}
                    Quirks::Unknown => {
                        if self.in_scope_named(Scope::Button, &local_name!("p")) {
                            return Err("a <table> in a <p> under an unusual doctype");
                        }
                    }
                }
                self.insert(tag.name, tag.attrs, true);
                self.mode = Mode::InTable;
            }
            local_name!("area")
            | local_name!("br")
            | local_name!("embed")
            | local_name!("img")
            | local_name!("keygen")
            | local_name!("wbr")
            | local_name!("input") => {
                self.reconstruct();
                self.insert(tag.name, tag.attrs, false);
            }
            local_name!("param") | local_name!("source") | local_name!("track") => {
                self.insert(tag.name, tag.attrs, false);
            }
            local_name!("hr") => {
                self.close_p_in_button_scope();
                self.insert(tag.name, tag.attrs, false);
            }
            local_name!("textarea") => {
                self.ignore_lf = true;
                return Ok(self.raw_insert(tag, Raw::Rcdata));
            }
            local_name!("xmp") => {
                self.close_p_in_button_scope();
                self.reconstruct();
                return Ok(self.raw_insert(tag, Raw::Rawtext));
            }
            local_name!("iframe") | local_name!("noembed") => {
                return Ok(self.raw_insert(tag, Raw::Rawtext));
            }
            local_name!("caption")
            | local_name!("col")
            | local_name!("colgroup")
            | local_name!("frame")
            | local_name!("head")
            | local_name!("tbody")
            | local_name!("td")
            | local_name!("tfoot")
            | local_name!("th")
            | local_name!("thead")
            | local_name!("tr") => {}
            _ => {
                if let Some(raw) = self.head_element(&tag.name) {
                    return Ok(self.head_insert(tag, raw));
                }
                self.reconstruct();
                self.insert(tag.name, tag.attrs, true);
            }
        }
        Ok(None)
    }

    fn start_in_table(&mut self, tag: Tag) -> R<Option<(Raw, LocalName)>> {
        match tag.name {
            local_name!("caption") => {
                self.pop_until_current(table_scope);
                self.active.push(Fmt::Marker);
                self.insert(tag.name, tag.attrs, true);
                self.mode = Mode::InCaption;
                Ok(None)
            }
            local_name!("colgroup") => {
                self.pop_until_current(table_scope);
                self.insert(tag.name, tag.attrs, true);
                self.mode = Mode::InColumnGroup;
                Ok(None)
            }
            local_name!("col") => {
                self.pop_until_current(table_scope);
                self.phantom(local_name!("colgroup"));
                self.mode = Mode::InColumnGroup;
                self.start(tag)
            }
            local_name!("tbody") | local_name!("tfoot") | local_name!("thead") => {
                self.pop_until_current(table_scope);
                self.insert(tag.name, tag.attrs, true);
                self.mode = Mode::InTableBody;
                Ok(None)
            }
            local_name!("td") | local_name!("th") | local_name!("tr") => {
                self.pop_until_current(table_scope);
                self.phantom(local_name!("tbody"));
                self.mode = Mode::InTableBody;
                self.start(tag)
            }
            local_name!("table") => Err("a <table> directly in a <table>"),
            local_name!("style") | local_name!("script") => {
                let raw = self.head_element(&tag.name).flatten();
                Ok(self.head_insert(tag, raw))
            }
            local_name!("template") => Err("a <template>"),
            local_name!("input")
                if tag.attrs.iter().any(|a| {
                    a.name.local == local_name!("type") && a.value.eq_ignore_ascii_case("hidden")
                }) =>
            {
                self.insert(tag.name, tag.attrs, false);
                Ok(None)
            }
            _ => Err("foster parenting (content misplaced in a table)"),
        }
    }

    /// In the table body: `<caption>`, `<col>`, … or `</table>` close the
    /// body first; false when there is none to close (the tag is dropped).
    fn table_body_to_table(&mut self) -> bool {
        // html5ever's set: table, tbody, tfoot.
        if !self.in_scope(Scope::Table, |o| {
            matches!(
                o.name,
                local_name!("table") | local_name!("tbody") | local_name!("tfoot")
            )
        }) {
            return false;
        }
        self.pop_until_current(table_body_context);
        self.pop();
        self.mode = Mode::InTable;
        true
    }

    fn row_to_table_body(&mut self) -> bool {
        if !self.in_scope_named(Scope::Table, &local_name!("tr")) {
            return false;
        }
        self.pop_until_current(table_row_context);
        self.pop();
        self.mode = Mode::InTableBody;
        true
    }

    fn close_cell(&mut self) {
        self.generate_implied_end(None);
        self.pop_until(td_th);
        self.clear_active_to_marker();
        self.mode = Mode::InRow;
    }

    /// Closes the caption; false when there is none in table scope.
    fn close_caption(&mut self) -> bool {
        if !self.in_scope_named(Scope::Table, &local_name!("caption")) {
            return false;
        }
        self.generate_implied_end(None);
        self.pop_until_named(&local_name!("caption"));
        self.clear_active_to_marker();
        self.mode = Mode::InTable;
        true
    }

    fn reset_mode(&mut self) -> R {
        for (i, o) in self.open.iter().enumerate().rev() {
            let last = i == 0;
            self.mode = match o.name {
                local_name!("td") | local_name!("th") if !last => Mode::InCell,
                local_name!("tr") => Mode::InRow,
                local_name!("tbody") | local_name!("thead") | local_name!("tfoot") => {
                    Mode::InTableBody
                }
                local_name!("caption") => Mode::InCaption,
                local_name!("colgroup") => Mode::InColumnGroup,
                local_name!("table") => Mode::InTable,
                local_name!("template") | local_name!("frameset") => {
                    return Err("an unusual insertion mode");
                }
                local_name!("head") if !last => Mode::InHead,
                local_name!("body") => Mode::InBody,
                local_name!("html") => {
                    if self.head {
                        Mode::AfterHead
                    } else {
                        Mode::BeforeHead
                    }
                }
                _ => continue,
            };
            return Ok(());
        }
        self.mode = Mode::InBody;
        Ok(())
    }

    fn end(&mut self, name: &LocalName) -> R {
        self.ignore_lf = false;
        if self.foreign_rules(Tok::End) {
            return self.foreign_end(name);
        }
        self.end_mode(name)
    }

    /// An end tag by the rules of the current insertion mode.
    fn end_mode(&mut self, name: &LocalName) -> R {
        loop {
            let before_body = matches!(
                *name,
                local_name!("head") | local_name!("body") | local_name!("html") | local_name!("br")
            );
            match self.mode {
                Mode::Initial => self.anything_else_before_body()?,
                Mode::BeforeHtml | Mode::BeforeHead => {
                    if !before_body {
                        return Ok(());
                    }
                    self.anything_else_before_body()?;
                }
                Mode::InHead => match *name {
                    local_name!("head") => {
                        self.pop();
                        self.mode = Mode::AfterHead;
                        return Ok(());
                    }
                    local_name!("body") | local_name!("html") | local_name!("br") => {
                        self.anything_else_before_body()?;
                    }
                    local_name!("template") => return Err("a </template>"),
                    _ => return Ok(()),
                },
                Mode::InHeadNoscript => match *name {
                    local_name!("noscript") => {
                        self.pop();
                        self.mode = Mode::InHead;
                        return Ok(());
                    }
                    local_name!("br") => self.anything_else_before_body()?,
                    _ => return Ok(()),
                },
                Mode::AfterHead => match *name {
                    local_name!("template") => return Err("a </template>"),
                    local_name!("body") | local_name!("html") | local_name!("br") => {
                        self.anything_else_before_body()?;
                    }
                    _ => return Ok(()),
                },
                Mode::InBody => return self.end_in_body(name),
                Mode::AfterBody => {
                    if *name == local_name!("html") {
                        self.mode = Mode::AfterAfterBody;
                        return Ok(());
                    }
                    self.mode = Mode::InBody;
                }
                Mode::AfterAfterBody => self.mode = Mode::InBody,
                Mode::InTable => return self.end_in_table(name),
                Mode::InTableBody => match *name {
                    local_name!("tbody") | local_name!("tfoot") | local_name!("thead") => {
                        if self.in_scope_named(Scope::Table, name) {
                            self.pop_until_current(table_body_context);
                            self.pop();
                            self.mode = Mode::InTable;
                        }
                        return Ok(());
                    }
                    local_name!("table") => {
                        if !self.table_body_to_table() {
                            return Ok(());
                        }
                    }
                    local_name!("body")
                    | local_name!("caption")
                    | local_name!("col")
                    | local_name!("colgroup")
                    | local_name!("html")
                    | local_name!("td")
                    | local_name!("th")
                    | local_name!("tr") => return Ok(()),
                    _ => return self.end_in_table(name),
                },
                Mode::InRow => match *name {
                    local_name!("tr") => {
                        self.row_to_table_body();
                        return Ok(());
                    }
                    local_name!("table") => {
                        if !self.row_to_table_body() {
                            return Ok(());
                        }
                    }
                    local_name!("tbody") | local_name!("tfoot") | local_name!("thead") => {
                        if !self.in_scope_named(Scope::Table, name) || !self.row_to_table_body() {
                            return Ok(());
                        }
                    }
                    local_name!("body")
                    | local_name!("caption")
                    | local_name!("col")
                    | local_name!("colgroup")
                    | local_name!("html")
                    | local_name!("td")
                    | local_name!("th") => return Ok(()),
                    _ => return self.end_in_table(name),
                },
                Mode::InCell => match *name {
                    local_name!("td") | local_name!("th") => {
                        if self.in_scope_named(Scope::Table, name) {
                            self.generate_implied_end(None);
                            self.pop_until_named(name);
                            self.clear_active_to_marker();
                            self.mode = Mode::InRow;
                        }
                        return Ok(());
                    }
                    local_name!("body")
                    | local_name!("caption")
                    | local_name!("col")
                    | local_name!("colgroup")
                    | local_name!("html") => return Ok(()),
                    local_name!("table")
                    | local_name!("tbody")
                    | local_name!("tfoot")
                    | local_name!("thead")
                    | local_name!("tr") => {
                        if !self.in_scope_named(Scope::Table, name) {
                            return Ok(());
                        }
                        self.close_cell();
                    }
                    _ => return self.end_in_body(name),
                },
                Mode::InCaption => match *name {
                    local_name!("caption") => {
                        self.close_caption();
                        return Ok(());
                    }
                    local_name!("table") => {
                        if !self.close_caption() {
                            return Ok(());
                        }
                    }
                    local_name!("body")
                    | local_name!("col")
                    | local_name!("colgroup")
                    | local_name!("html")
                    | local_name!("tbody")
                    | local_name!("td")
                    | local_name!("tfoot")
                    | local_name!("th")
                    | local_name!("thead")
                    | local_name!("tr") => return Ok(()),
                    _ => return self.end_in_body(name),
                },
                Mode::InColumnGroup => match *name {
                    local_name!("colgroup") => {
                        if self.current_is(&local_name!("colgroup")) {
                            self.pop();
                            self.mode = Mode::InTable;
                        }
                        return Ok(());
                    }
                    local_name!("col") => return Ok(()),
                    local_name!("template") => return Err("a </template>"),
                    _ => self.anything_else_before_body()?,
                },
            }
        }
    }

    fn end_in_table(&mut self, name: &LocalName) -> R {
        match *name {
            local_name!("table") => {
                if self.in_scope_named(Scope::Table, &local_name!("table")) {
                    self.pop_until_named(&local_name!("table"));
                    self.reset_mode()?;
                }
                Ok(())
            }
            local_name!("body")
            | local_name!("caption")
            | local_name!("col")
            | local_name!("colgroup")
            | local_name!("html")
            | local_name!("tbody")
            | local_name!("td")
            | local_name!("tfoot")
            | local_name!("th")
            | local_name!("thead")
            | local_name!("tr") => Ok(()),
            _ => Err("foster parenting (an end tag misplaced in a table)"),
        }
    }

    fn end_in_body(&mut self, name: &LocalName) -> R {
        match *name {
            local_name!("template") => return Err("a </template>"),
            // Read as `<br>`.
            local_name!("br") => {
                return self
                    .start_in_body(Tag {
                        name: local_name!("br"),
                        attrs: Vec::new(),
                        self_closing: false,
                    })
                    .map(drop);
            }
            local_name!("body") => {
                if self.in_scope_named(Scope::Default, &local_name!("body")) {
                    self.mode = Mode::AfterBody;
                }
            }
            local_name!("html") => {
                if self.in_scope_named(Scope::Default, &local_name!("body")) {
                    self.mode = Mode::AfterAfterBody;
                }
            }
            local_name!("address")
            | local_name!("article")
            | local_name!("aside")
            | local_name!("blockquote")
            | local_name!("button")
            | local_name!("center")
            | local_name!("details")
            | local_name!("dialog")
            | local_name!("dir")
            | local_name!("div")
            | local_name!("dl")
            | local_name!("fieldset")
            | local_name!("figcaption")
            | local_name!("figure")
            | local_name!("footer")
            | local_name!("header")
            | local_name!("hgroup")
            | local_name!("listing")
            | local_name!("main")
            | local_name!("menu")
            | local_name!("nav")
            | local_name!("ol")
            | local_name!("pre")
            | local_name!("search")
            | local_name!("section")
            | local_name!("select")
            | local_name!("summary")
            | local_name!("ul") => {
                if self.in_scope_named(Scope::Default, name) {
                    self.generate_implied_end(None);
                    self.pop_until_named(name);
                }
            }
            local_name!("form") => {
                let Some(form) = self.form.take() else {
                    return Ok(());
                };
                if !self.in_scope(Scope::Default, |o| o.id == form) {
                    return Ok(());
                }
                self.generate_implied_end(None);
                if self.current() != form {
                    return Err("a </form> with elements open inside it");
                }
                self.pop();
            }
            local_name!("p") => {
                if !self.in_scope_named(Scope::Button, &local_name!("p")) {
                    self.phantom(local_name!("p"));
                }
                self.close_p();
            }
            local_name!("li") | local_name!("dd") | local_name!("dt") => {
                let scope = if *name == local_name!("li") {
                    Scope::ListItem
                } else {
                    Scope::Default
                };
                if self.in_scope_named(scope, name) {
                    self.generate_implied_end(Some(name));
                    self.pop_until_named(name);
                }
            }
            local_name!("h1")
            | local_name!("h2")
            | local_name!("h3")
            | local_name!("h4")
            | local_name!("h5")
            | local_name!("h6") => {
                if self.in_scope(Scope::Default, |o| heading(&o.name)) {
                    self.generate_implied_end(None);
                    self.pop_until(heading);
                }
            }
            local_name!("applet") | local_name!("marquee") | local_name!("object") => {
                if self.in_scope_named(Scope::Default, name) {
                    self.generate_implied_end(None);
                    self.pop_until_named(name);
                    self.clear_active_to_marker();
                }
            }
            _ if formatting(name) => return self.adoption_agency(name),
            _ => self.any_other_end(name),
        }
        Ok(())
    }

    /// The adoption agency algorithm where it moves nothing; where it
    /// would, the page goes to html5ever.
    fn adoption_agency(&mut self, subject: &LocalName) -> R {
        if let Some(cur) = self.open.last()
            && cur.name == *subject
            && !self
                .active
                .iter()
                .any(|f| matches!(f, Fmt::El { id, .. } if *id == cur.id))
        {
            self.pop();
            return Ok(());
        }
        let Some((at, fmt)) = self.active_since_marker().find_map(|(i, f)| match f {
            Fmt::El { id, name, .. } if name == subject => Some((i, *id)),
            _ => None,
        }) else {
            self.any_other_end(subject);
            return Ok(());
        };
        let Some(depth) = self.open.iter().rposition(|o| o.id == fmt) else {
            self.active.remove(at);
            return Ok(());
        };
        if !self.in_scope(Scope::Default, |o| o.id == fmt) {
            return Ok(());
        }
        if self.open[depth..].iter().any(|o| is_special(&o.name)) {
            return Err("misnested formatting across a block (the adoption agency)");
        }
        self.open.truncate(depth);
        self.active.remove(at);
        Ok(())
    }

    /// Whether the current node is SVG or MathML (where `<![CDATA[` is
    /// text).
    fn in_foreign(&self) -> bool {
        self.open.last().is_some_and(|o| o.foreign.is_some())
    }

    /// Whether a token goes by the rules for foreign content: the current
    /// node is SVG or MathML, and not a point that lets this token in as
    /// HTML.
    fn foreign_rules(&self, token: Tok) -> bool {
        let Some(f) = self.open.last().and_then(|o| o.foreign.as_ref()) else {
            return false;
        };
        match (f.point, token) {
            (Point::MathText, Tok::Text) | (Point::Svg, Tok::Text | Tok::Start(_)) => false,
            (Point::MathText, Tok::Start(name)) => {
                matches!(*name, local_name!("mglyph") | local_name!("malignmark"))
            }
            _ => true,
        }
    }

    /// Pops foreign elements until the current node is HTML or a point
    /// that lets HTML in.
    fn pop_to_html(&mut self) {
        while self
            .open
            .last()
            .and_then(|o| o.foreign.as_ref())
            .is_some_and(|f| f.point == Point::None)
        {
            self.open.pop();
        }
    }

    /// Creates an SVG or MathML element at the current node.
    fn insert_foreign(&mut self, tag: Tag, ns: Namespace) -> R<Option<(Raw, LocalName)>> {
        let point = match (&ns, &tag.name) {
            (&ns!(mathml), &local_name!("annotation-xml")) => {
                return Err("a MathML annotation-xml");
            }
            (
                &ns!(mathml),
                &(local_name!("mi")
                | local_name!("mo")
                | local_name!("mn")
                | local_name!("ms")
                | local_name!("mtext")),
            ) => Point::MathText,
            (
                &ns!(svg),
                &(local_name!("foreignObject") | local_name!("desc") | local_name!("title")),
            ) => Point::Svg,
            _ => Point::None,
        };
        let parent = self.current();
        let id = self.sink.create_element(
            QualName::new(None, ns.clone(), tag.name.clone()),
            tag.attrs,
            ElementFlags::default(),
        );
        self.sink.append(&parent, NodeOrText::AppendNode(id));
        if !tag.self_closing {
            self.open.push(Open {
                id,
                name: local_name!(""),
                foreign: Some(Foreign {
                    ns,
                    local: tag.name,
                    point,
                }),
            });
        }
        Ok(None)
    }

    /// A start tag by the rules for foreign content.
    fn foreign_start(&mut self, mut tag: Tag) -> R<Option<(Raw, LocalName)>> {
        let breaks_out = matches!(
            tag.name,
            local_name!("b")
                | local_name!("big")
                | local_name!("blockquote")
                | local_name!("body")
                | local_name!("br")
                | local_name!("center")
                | local_name!("code")
                | local_name!("dd")
                | local_name!("div")
                | local_name!("dl")
                | local_name!("dt")
                | local_name!("em")
                | local_name!("embed")
                | local_name!("h1")
                | local_name!("h2")
                | local_name!("h3")
                | local_name!("h4")
                | local_name!("h5")
                | local_name!("h6")
                | local_name!("head")
                | local_name!("hr")
                | local_name!("i")
                | local_name!("img")
                | local_name!("li")
                | local_name!("listing")
                | local_name!("menu")
                | local_name!("meta")
                | local_name!("nobr")
                | local_name!("ol")
                | local_name!("p")
                | local_name!("pre")
                | local_name!("ruby")
                | local_name!("s")
                | local_name!("small")
                | local_name!("span")
                | local_name!("strong")
                | local_name!("strike")
                | local_name!("sub")
                | local_name!("sup")
                | local_name!("table")
                | local_name!("tt")
                | local_name!("u")
                | local_name!("ul")
                | local_name!("var")
        ) || (tag.name == local_name!("font")
            && tag.attrs.iter().any(|a| {
                a.name.ns == ns!()
                    && matches!(
                        a.name.local,
                        local_name!("color") | local_name!("face") | local_name!("size")
                    )
            }));
        if breaks_out {
            self.pop_to_html();
            return self.start_mode(tag);
        }
        let Some(ns) = self
            .open
            .last()
            .and_then(|o| o.foreign.as_ref())
            .map(|f| f.ns.clone())
        else {
            return Err("an unexpected insertion mode");
        };
        if ns == ns!(svg) {
            if let Some(name) = camel(SVG_TAGS, &tag.name) {
                tag.name = name;
            }
            adjust_svg_attributes(&mut tag.attrs);
        } else {
            adjust_mathml_attributes(&mut tag.attrs);
        }
        adjust_foreign_attributes(&mut tag.attrs);
        self.insert_foreign(tag, ns)
    }

    /// An end tag by the rules for foreign content.
    fn foreign_end(&mut self, name: &LocalName) -> R {
        if matches!(*name, local_name!("br") | local_name!("p")) {
            self.pop_to_html();
            return self.end_mode(name);
        }
        let mut first = true;
        for at in (1..self.open.len()).rev() {
            let o = &self.open[at];
            let local = match &o.foreign {
                Some(f) => &f.local,
                None if !first => return self.end_mode(name),
                None => &o.name,
            };
            if local.eq_ignore_ascii_case(name) {
                self.open.truncate(at);
                return Ok(());
            }
            first = false;
        }
        Ok(())
    }

    fn any_other_end(&mut self, name: &LocalName) {
        for i in (0..self.open.len()).rev() {
            if self.open[i].name == *name {
                self.generate_implied_end(Some(name));
                self.open.truncate(i);
                return;
            }
            if is_special(&self.open[i].name) {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::stream::tests::{SELECTIONS, pages, plan};
    use super::super::{from_dom, parse};
    use super::*;
    use proptest::prelude::*;

    fn page_url() -> Url {
        Url::parse("http://h.test/dir/page.html").unwrap()
    }

    /// The plans the checks run: every kind of selector with `--meta` (all
    /// attributes kept), and the same without (only the attributes the
    /// selectors name).
    fn plans() -> [Plan; 3] {
        let all = plan(SELECTIONS);
        let some = Plan {
            meta: false,
            ..all.clone()
        };
        // The benchmark's: attributes kept on few elements.
        let few = Plan {
            meta: false,
            expect: Vec::new(),
            ..plan(&[
                "h1=h1",
                "headings[]=h2",
                "refs[]=a.reference@href",
                "c[]=code.x@class",
            ])
        };
        [all, some, few]
    }

    /// The fast reader's answer (`Err`: it gave up) and the tree's.
    fn both(page: &str, plan: &Plan) -> (Result<Extracted, GaveUp>, Extracted) {
        let url = page_url();
        let fast = extract(page, &url, plan, None).unwrap();
        let tree = from_dom(&parse(page, None).unwrap(), &url, plan, None).unwrap();
        (fast, tree)
    }

    /// The `#data` documents of the html5lib tree-construction tests
    /// (`fixtures/html5lib-tests`), fragments left out: (file, document).
    fn html5lib_documents() -> Vec<(String, String)> {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/html5lib-tests/tree-construction"
        );
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "dat"))
            .collect();
        files.sort();
        let mut docs = Vec::new();
        for path in files {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            // A test is `#data`, its lines, then sections up to the next
            // `#data`; a `#document-fragment` section makes it a fragment.
            for test in text
                .split("\n#data\n")
                .map(|t| t.trim_start_matches("#data\n"))
            {
                let Some((data, sections)) = test.split_once("\n#errors") else {
                    continue;
                };
                if !sections.contains("\n#document-fragment\n") {
                    docs.push((name.clone(), data.to_owned()));
                }
            }
        }
        docs
    }

    /// The HTML conformance suite's documents, read by each reader under
    /// each plan: no reader disagrees with the tree on one it takes on, and
    /// each takes on most of them (when this test was written: 1,600
    /// documents, three plans; the fast reader took on 2,532 of the 4,800
    /// readings, the html5ever stream 4,272). A first step to issue 26's
    /// conformance check, which compares the readers call by call.
    #[test]
    fn every_reader_agrees_with_the_tree_on_the_html5lib_documents() {
        let docs = html5lib_documents();
        assert!(docs.len() > 1500, "{} documents", docs.len());
        let url = page_url();
        let (mut fast, mut stream, mut readings) = (0, 0, 0);
        for plan in plans() {
            for (name, doc) in &docs {
                readings += 1;
                let tree = from_dom(&parse(doc, None).unwrap(), &url, &plan, None).unwrap();
                if let Ok(got) = extract(doc, &url, &plan, None).unwrap() {
                    assert_eq!(got, tree, "the fast reader, {name}: {doc:?}");
                    fast += 1;
                }
                if let Ok(got) = crate::stream::extract(doc, &url, &plan, None).unwrap() {
                    assert_eq!(got, tree, "the stream, {name}: {doc:?}");
                    stream += 1;
                }
            }
        }
        eprintln!(
            "{} html5lib documents, {readings} readings: the fast reader took on {fast}, \
             the stream {stream}; the rest gave up",
            docs.len()
        );
        assert!(
            fast * 2 > readings,
            "the fast reader took on {fast} of {readings}"
        );
        assert!(
            stream * 10 > readings * 8,
            "the stream took on {stream} of {readings}"
        );
    }

    /// The differential check on every fixture page and every deliberately
    /// broken one: the fast reader gives up or says what the tree says.
    #[test]
    fn the_fast_reader_agrees_with_the_tree_or_gives_up() {
        let mut all = pages("pages");
        all.extend(pages("broken"));
        let (mut answered, mut gave_up) = (0, Vec::new());
        for (name, page) in &all {
            let [plan, without_meta, few] = plans();
            for other in [without_meta, few] {
                if let (Ok(fast), tree) = both(page, &other) {
                    assert_eq!(fast, tree, "{name} (no --meta)");
                }
            }
            match both(page, &plan) {
                (Ok(fast), tree) => {
                    assert_eq!(fast, tree, "{name}");
                    answered += 1;
                }
                (Err(why), _) => gave_up.push((name, why)),
            }
        }
        eprintln!("answered {answered} of {}: gave up {gave_up:?}", all.len());
        // Every well-formed fixture is answered; only broken pages (and the
        // ones written to be tricky) go to html5ever.
        for (name, why) in &gave_up {
            assert!(
                name.contains("/broken/")
                    || name.contains("tricky")
                    || why.contains("foreign content"),
                "{name}: {why}"
            );
        }
        assert!(answered * 2 > all.len(), "{answered} of {}", all.len());
    }

    /// Small pages that walk every rule the reader follows; each must be
    /// answered (not handed on) and agree with the tree.
    #[test]
    fn the_fast_reader_follows_the_tree_builder() {
        let cases = [
            "",
            "just text, the end",
            "<!DOCTYPE html><title>t</title><p>x",
            "<!doctype HTML>\n<html lang=de><head><meta charset=utf-8></head><body><p>a</p></body></html>\n",
            "<!-- first --><!DOCTYPE html><!-- c --><p>x</p><!-- after -->",
            "<p><b>x<p>y",
            "<p><b>x</p>y<i>z</i>",
            "<p>a<div>b</div>c",
            "<ul><li>a<li>b<ul><li>c</ul></ul><p>the end",
            "<ol><li><p>para<li>next</ol>",
            "<dl><dt>a<dd>b<dt>c</dl>",
            "<h1>a<h2>b</h2></h1>",
            "<h1>a</h2>b",
            "<p>one<noscript>two</noscript>three</p>",
            "<head><noscript><link rel=x><style>s</style></noscript></head><p>x",
            "<head><noscript><img src=a></noscript><title>late</title>",
            "<pre>\nline</pre><pre>\n\nkeep</pre><textarea>\nq&amp;</textarea><listing>\nl</listing>",
            "<pre><!-- c -->\nkept</pre>",
            "<title>a &amp; b &lt;c&gt; &notit; &#x41;&#65;&#x80;&#0; &copy &</title>",
            "<a href='?a=1&amp;b=2&copy=3&lt=4&gt'>x</a><a href=\"&#x2F;p&#47;q\">y</a><a href=&quot;z>z</a>",
            "<p>&amp &ampx; &nbsp;&NotANamedEntity; &#xZZ; &#; &# &#1114112; &#xD800;</p>",
            "<p title=x title=y ID=z Class='A B' data-x=>q</p>",
            "<a/b href=c/>x</a><br/><div/>in div</div>",
            "<table><tr><td>a<td>b<tr><th>c</table><p>after",
            "<table>\n <caption>cap</caption>\n <colgroup><col><col span=2></colgroup>\n <thead><tr><th>h</th></tr></thead>\n <tbody><tr><td><p>x</td></tr></tbody>\n <tfoot><tr><td>f</table>",
            "<table><col><tr><td>c</td></tr></table>",
            "<table><tbody><tr><td><table><tr><td>inner</table>outer</td></tr></tbody></table>",
            "<table><tr><td>a</table></td><p>x",
            "<table><input type=hidden name=h><tr><td>x</table>",
            "<table><script>s</script><style>t</style><tr><td>x</table>",
            "<p>para<table><tr><td>x</table>",
            "<td>stray cell<tr>row</tr><caption>c",
            "<b>x<i>y</i></b>z",
            "<b><i>x</b>y</i>",
            "<p><b><i><u>deep</p>reopened",
            "<b>1<b>2<b>3</b></b></b><b class=x>4<b>5</b></b><i>6<b>7</b></i><p>x",
            "<a href=1>x</a><a href=2>y</a><em>e</em><strong>s</strong><code>c</code>",
            "<div><span>x</div>y</span>",
            "<div>x</p>y</div>",
            "<button>a<button>b</button>",
            "<form><input name=q><form><input></form>x</form>",
            "<object><b>x</object>y",
            "<nobr>a</nobr><nobr>b",
            "<script>if (a < b && c) document.write('</p>')</script><p>x",
            "<script><!-- x --></script><script>a</script >b<style>p { }</STYLE>",
            "<xmp><b>raw</b></xmp><iframe><p>raw</iframe><noembed>n</noembed><noframes>f</noframes>",
            "<body><p>x</p></body><!-- c --><p>late</p>",
            "<body><p>x</p></body></html>  <p>later</p>",
            "<html><head></head>\n  <body>\n</body>\n</html>\n",
            "<head><title>t</title></head>text<p>x",
            "<p>x<hr>y<br>z<img src=i.png><wbr><input><embed><area href=/a><image src=j>",
            "<p>x</br>",
            "x</sarcasm>y<custom-el a=b>c</custom-el>",
            "<p>1<address>2</address><search>s</search><menu><li>m</menu>",
            "<base href=/b/><a href=x>x</a><base href=/c/>",
            "<meta name=description content='the page'><meta property=og:title content=og>\
             <script type=application/ld+json>{\"@type\":\"Thing\"}</script><link rel=canonical href=/c>",
            "<p>a\r\nb\rc</p>",
            "\u{feff}<p>bom</p>",
            "<p>< not a tag <3 <> </ x> <? pi ?> <!bogus> <![CDATA[c]]> <!--> <!---> <!-- a --!> b",
            "<DIV CLASS=x><P>Upper</P></DIV>",
            "<head>&#13;<title>T</title></head><p>x",
            "&#13;<!DOCTYPE html><p><table><tr><td>x</table>",
            "<html>&#13;<head>&#xD;</head>&#13;<body>&#13;<table>&#13;<tr><td>c</table>",
            "<pre>\n&#10x</pre><pre>a</>\nb</pre><textarea>&lt;t</textarea>",
            "<p>icon <svg xmlns=\"http://www.w3.org/2000/svg\" viewbox=\"0 0 24 24\" class=search-icon>\
             <circle cx=11 cy=11 r=8/><line x1=21 y1=21></line><title>search</title></svg> after</p>",
            "<svg><a xlink:href=/x href=/y><text>t</text></a><foreignObject><p>html <b>in</b> svg</p></foreignObject>\
             <desc>d<div>x</div></desc><clippath/><lineargradient id=g/><style>a{}</style><script>s</script></svg><p>out",
            "<svg><g><rect></g><p>breaks out</p>",
            "<svg><font color=red>out</font><font>in</font></svg>",
            "<svg><g></p>after</svg>",
            "<svg><G><Rect/></g></SVG><p>x",
            "<math><mi>x<b>bold</b></mi><mo>+</mo><mglyph/><mtext>t</mtext></math><p>y",
            "<math definitionurl=u><ms>s</math>z",
            "<ul><li><svg><li>breaks</svg>",
            "<table><tr><td><svg><rect/></svg></td></tr></table>",
            "<a href=/l><svg><path d=x/></svg>link</a>",
            "<div><svg/><p>after self-closed svg</div>",
        ];
        for page in cases {
            for plan in plans() {
                match both(page, &plan) {
                    (Ok(fast), tree) => assert_eq!(fast, tree, "{page}"),
                    (Err(why), _) => panic!("gave up on {page:?}: {why}"),
                }
            }
        }
    }

    /// What a review found: an SVG `<image>` keeps what a selector of
    /// `image` looks at (HTML's `<image>` becomes `<img>`, SVG's does not);
    /// an end tag keeps no attribute, not even a foreign-looking one.
    #[test]
    fn svg_images_keep_their_attributes_and_end_tags_keep_none() {
        for sel in ["p=image@href", "p=image[href]", "p=img@src"] {
            let plan = Plan {
                meta: false,
                ..plan(&[sel])
            };
            for page in [
                "<svg><image href='a.png'/></svg>",
                "<p><image src=b.png href=c.png></p>",
                "<svg><image src=b.png href=c.png></image></svg>",
            ] {
                match both(page, &plan) {
                    (Ok(fast), tree) => assert_eq!(fast, tree, "{sel} {page}"),
                    (Err(why), _) => panic!("gave up on {page:?}: {why}"),
                }
            }
        }
        let (tag, _) = lex_tag("p x:y=1 xlink:href=z>", 0, None).unwrap();
        assert!(tag.attrs.is_empty());
    }

    /// A tag with a great many attributes, all kept (`--meta`), is read in
    /// linear time: the repeated-name check does not compare each with
    /// every other (200,000 attributes would take minutes). A bound with
    /// room to spare for a debug build on a loaded machine.
    #[test]
    fn a_tag_with_a_great_many_attributes_is_read_in_linear_time() {
        let mut page = String::from("<p ");
        for i in 0..200_000 {
            page.push_str(&format!("x:{i}=1 d{i} "));
        }
        page.push_str("x:7=2>text</p>");
        let [with_meta, ..] = plans();
        let started = std::time::Instant::now();
        let got = extract(&page, &page_url(), &with_meta, None).unwrap();
        assert!(got.is_ok(), "{got:?}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{:?}",
            started.elapsed()
        );
    }

    /// Where html5ever would move nodes, or take a path this reader does
    /// not follow, it hands the page on.
    #[test]
    fn the_fast_reader_hands_on_what_it_does_not_follow() {
        let plan = plan(&["b[]=b"]);
        for (page, why) in [
            ("<table><a href=x>x</a><tr><td>y</table>", "foster"),
            ("<table>text<tr><td>y</table>", "foster"),
            ("<b>x<div>y</b>z</div>", "adoption"),
            ("<a href=1>x<div><a href=2>y</a></div>", "nested <a>"),
            ("<a href=x>1<p>2</a>3", "adoption"),
            ("<b>1<b>2<b>3<b>4</b></b></b></b>", "Noah"),
            ("<pre>&#10x</pre>", "newline"),
            ("<pre></>\nx</pre>", "newline"),
            ("<textarea>&#10x</textarea>", "newline"),
            ("<body><p>x<body class=b>", "<body>"),
            ("<p>x<frameset>", "frameset"),
            (
                "<math><annotation-xml encoding=text/html><p>x</p></annotation-xml></math>",
                "annotation-xml",
            ),
            ("<svg><![CDATA[x]]></svg>", "CDATA"),
            ("<template><p>x</template>", "template"),
            ("<select><option>a</select>", "select"),
            ("<p>x\0y", "NUL"),
            ("<p class='cut", "cut off"),
            ("<script>never ends", "cut off"),
            ("<script><!--<script></script>--></script>", "escaped"),
            (
                "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\"><p><table>",
                "doctype",
            ),
        ] {
            match extract(page, &page_url(), &plan, None).unwrap() {
                Err(got) => assert!(got.contains(why), "{page}: {got}"),
                Ok(_) => panic!("answered {page:?}"),
            }
        }
    }

    #[test]
    fn only_the_attributes_a_run_can_look_at_are_kept() {
        let selective = Plan {
            meta: false,
            ..plan(&["x=a.reference@data-x", "y=[lang|=en]", "z=#top"])
        };
        let keep = Keep::for_plan(&selective);
        assert!(!keep.all);
        // `a.reference@data-x` looks only at <a>s; the others at any
        // element.
        for (tag, name) in [
            ("a", "href"),
            ("a", "class"),
            ("a", "data-x"),
            ("p", "lang"),
            ("div", "id"),
            ("input", "TYPE"),
            ("svg", "xlink:href"),
        ] {
            assert!(keep.wants(tag, name), "{tag} {name}");
        }
        for (tag, name) in [
            ("p", "href"),
            ("p", "class"),
            ("div", "data-x"),
            ("a", "title"),
            ("p", "type"),
        ] {
            assert!(!keep.wants(tag, name), "{tag} {name}");
        }
        let nested = Plan {
            meta: false,
            ..plan(&["x=a:not(.nav a)", "y=img@src"])
        };
        let nested = Keep::for_plan(&nested);
        assert!(nested.wants("div", "class"), "an ancestor's class");
        assert!(nested.wants("image", "src"), "<image> is an <img>");
        let [with_meta, ..] = plans();
        assert!(Keep::for_plan(&with_meta).all);
        // Only the wanted ones.
        for (src, kept) in [
            ("a title=t class=c>", &[("class", "c")][..]),
            ("div title=t class=c id=i>", &[("id", "i")]),
            // Values longer than a tendril keeps inline: slices of the
            // page; one with a character reference: decoded.
            (
                "a title=t class='a long class name' href=x&amp;y>",
                &[("class", "a long class name"), ("href", "x&y")][..],
            ),
        ] {
            let page = StrTendril::from_slice(src);
            let (tag, _) = lex_tag(src, 0, Some((&keep, Some(&page)))).unwrap();
            let got: Vec<(&str, &str)> = tag
                .attrs
                .iter()
                .map(|a| (&*a.name.local, &*a.value))
                .collect();
            assert_eq!(got, kept, "{src}");
        }
    }

    /// Attribute values and text decode as html5ever decodes them.
    #[test]
    fn character_references_decode_as_html5ever_does() {
        let mut out = String::new();
        decode_into(
            "&amp;&lt&notin;&notit;&#x41;&#65&#x80;&#x110000;&zzz;&",
            false,
            &mut out,
        );
        assert_eq!(out, "&<∉¬it;AA€\u{fffd}&zzz;&");
        out.clear();
        decode_into("?a=1&copy=2&lt;3&gt", true, &mut out);
        assert_eq!(out, "?a=1&copy=2<3>");
    }

    /// Pieces of markup, well-formed and not, that the tree builder treats
    /// in every way the reader follows (and some it does not).
    pub(super) fn soup() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "<p>",
            "</p>",
            "<b>",
            "</b>",
            "<i>",
            "</i>",
            "<em>",
            "</em>",
            "<code>",
            "</code>",
            "<a href=x>",
            "<a href='y z'>",
            "</a>",
            "<div>",
            "</div>",
            "<span class=reference>",
            "</span>",
            "<ul>",
            "</ul>",
            "<ol>",
            "</ol>",
            "<li>",
            "</li>",
            "<dl>",
            "<dt>",
            "<dd>",
            "</dd>",
            "<h1>",
            "</h1>",
            "<h2>",
            "</h2>",
            "<table>",
            "</table>",
            "<tr>",
            "</tr>",
            "<td>",
            "</td>",
            "<th>",
            "<tbody>",
            "</tbody>",
            "<thead>",
            "<caption>",
            "</caption>",
            "<colgroup>",
            "<col>",
            "<pre>",
            "</pre>",
            "<br>",
            "<hr>",
            "<img src=i>",
            "<form>",
            "</form>",
            "<button>",
            "</button>",
            "<object>",
            "</object>",
            "<nobr>",
            "</nobr>",
            "<noscript>",
            "</noscript>",
            "<title>t&amp;</title>",
            "<script>a<b</script>",
            "<style>s</style>",
            "<textarea>\nq</textarea>",
            "<head>",
            "</head>",
            "<body>",
            "</body>",
            "</html>",
            "<html>",
            "<meta name=description content=d>",
            "<base href=/b/>",
            "<!-- c -->",
            "<!DOCTYPE html>",
            "text",
            " ",
            "\n",
            "&amp;",
            "&lt",
            "&notit;",
            "&#x80;",
            "</x>",
            "<x>",
            "</br>",
            "<input type=hidden>",
            "<input>",
            "<section>",
            "</section>",
            "<u>",
            "</u>",
            "<link rel=x>",
            "<svg>",
            "</svg>",
            "<svg viewbox='0 0 1 1'>",
            "<g>",
            "</g>",
            "<rect/>",
            "<path d=m>",
            "<title>s</title>",
            "<foreignObject>",
            "</foreignObject>",
            "<desc>",
            "</desc>",
            "<a xlink:href=l>",
            "<math>",
            "</math>",
            "<mi>",
            "</mi>",
            "<mtext>",
            "<font color=c>",
            "<font>",
            "</font>",
            "<span>",
            "<clippath>",
            "&#13;",
            "&#10",
            "&#10;",
            "</>",
            "<listing>",
        ]);
        prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(crate::testing::config())]

        /// On any soup of those pieces the fast reader either hands the page
        /// on or gives exactly the tree's answer.
        #[test]
        fn the_fast_reader_never_differs_from_the_tree(page in soup()) {
            for plan in plans() {
                if let (Ok(fast), tree) = both(&page, &plan) {
                    prop_assert_eq!(fast, tree, "{}", page);
                }
            }
        }
    }
}
