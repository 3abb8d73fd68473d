//! The tokenizer: finds the next `<`, `&` or quote with `memchr` and hands
//! tags, text, comments and doctypes to the tree builder.

use super::atoms::{attr_atom, tag_atom};
use super::charref::{char_ref, decode_attr, decode_into};
use super::keep::{Keep, TagKeep};
use super::sink::Target;
use super::tree::Builder;
use super::{CHECK_EVERY, ERROR_BEFORE_NEWLINE, R, Stop, is_ws};
use crate::stream::{GaveUp, take_tag_attrs};
use html5ever::tendril::StrTendril;
use html5ever::{Attribute, LocalName, QualName, local_name, ns};
use std::borrow::Cow;
use std::time::Instant;

/// A start tag as the tokenizer read it.
pub(crate) struct Tag {
    pub(crate) name: LocalName,
    pub(crate) attrs: Vec<Attribute>,
    /// Written `<…/>`: means nothing to HTML elements, closes a foreign one.
    pub(crate) self_closing: bool,
    /// A kept attribute was repeated (and the repeat dropped): html5ever's
    /// `had_duplicate_attributes`. Repeats of attributes not kept are not
    /// looked for; no sink of trawl's reads the flag.
    pub(crate) duplicates: bool,
}

/// What the tokenizer reads after a start tag, as the tree builder tells
/// it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Raw {
    /// Character references are decoded (`<title>`, `<textarea>`).
    Rcdata,
    /// Nothing is decoded (`<style>`, `<xmp>`, `<iframe>` …).
    Rawtext,
    /// Script data: as raw text, unless an escaped `<!--` hides an end tag.
    Script,
}

pub(crate) struct Lexer<'s> {
    pub(crate) s: &'s str,
    /// The page as a tendril, which kept attribute values share; `None`
    /// for a page of 4 GiB or more, past a tendril's offsets.
    pub(crate) page: Option<StrTendril>,
    pub(crate) keep: &'s Keep<'s>,
    pub(crate) deadline: Option<Instant>,
    pub(crate) tokens: u32,
}

impl Lexer<'_> {
    pub(crate) fn tick<S: Target>(&mut self, b: &Builder<S>) -> Result<(), Stop> {
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

    pub(crate) fn run<S: Target>(&mut self, b: &mut Builder<S>) -> Result<(), Stop> {
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
                        // `</br>` is read as `<br>`, which takes the end
                        // tag's repeated-attributes flag: not kept here.
                        if tag.name == local_name!("br")
                            && s[at + 4..end - 1]
                                .contains(|c: char| !c.is_ascii_whitespace() && c != '/')
                        {
                            return Err(Stop::GaveUp("an end tag </br> with attributes"));
                        }
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
                        let (text_end, next) = bogus_comment(bytes, at + 2);
                        i = next;
                        run = i;
                        self.tick(b)?;
                        b.comment(&s[at + 2..text_end]);
                    }
                },
                Some(b'!') => {
                    text.flush(&s[run..at], b)?;
                    let rest = &bytes[at + 2..];
                    if rest.starts_with(b"--") {
                        let Some((text_end, next)) = comment_end(bytes, at + 4) else {
                            return Err(Stop::GaveUp("a comment cut off by the end of the page"));
                        };
                        i = next;
                        b.comment(&s[at + 4..text_end]);
                    } else if rest.len() >= 7 && rest[..7].eq_ignore_ascii_case(b"doctype") {
                        let Some(gt) = memchr::memchr(b'>', &rest[7..]) else {
                            return Err(Stop::GaveUp("a doctype cut off by the end of the page"));
                        };
                        let body = &s[at + 9..at + 9 + gt];
                        b.doctype(body)?;
                        i = at + 9 + gt + 1;
                    } else if rest.starts_with(b"[CDATA[") && b.in_foreign() {
                        return Err(Stop::GaveUp("a CDATA section in foreign content"));
                    } else {
                        let (text_end, next) = bogus_comment(bytes, at + 2);
                        i = next;
                        b.comment(&s[at + 2..text_end]);
                    }
                    self.tick(b)?;
                    run = i;
                }
                Some(b'?') => {
                    text.flush(&s[run..at], b)?;
                    let (text_end, next) = bogus_comment(bytes, at + 1);
                    i = next;
                    run = i;
                    self.tick(b)?;
                    b.comment(&s[at + 1..text_end]);
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
    pub(crate) fn raw<S: Target>(
        &mut self,
        b: &mut Builder<S>,
        from: usize,
        kind: Raw,
        name: &str,
    ) -> Result<usize, Stop> {
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
        // html5ever's tokenizer stops after a script's end tag and, fed
        // again, drops a U+FEFF it starts with, as at the start of a page.
        if kind == Raw::Script && s[end..].starts_with('\u{feff}') {
            return Ok(end + '\u{feff}'.len_utf8());
        }
        Ok(end)
    }
}

/// The pending run of text: borrowed from the page unless a character
/// reference (or a dropped `</>`) made a copy necessary.
#[derive(Default)]
pub(crate) struct Text {
    pub(crate) buf: String,
    pub(crate) decoded: bool,
}

impl Text {
    /// Hands the run (what was copied so far, then `tail`) to the builder.
    pub(crate) fn flush<S: Target>(&mut self, tail: &str, b: &mut Builder<S>) -> R {
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

pub(crate) fn contains_ignore_case(hay: &str, needle: &str) -> bool {
    hay.as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// A comment that starts at `from` (after `<!--`): where its text ends,
/// and where reading goes on (after `-->` or `--!>`, or at once for
/// `<!-->` and `<!--->`); `None` if it never ends.
pub(crate) fn comment_end(bytes: &[u8], from: usize) -> Option<(usize, usize)> {
    let rest = &bytes[from..];
    if rest.starts_with(b">") {
        return Some((from, from + 1));
    }
    if rest.starts_with(b"->") {
        return Some((from, from + 2));
    }
    let a = memchr::memmem::find(rest, b"-->");
    // `--!>` closes first only if it lies before `-->` ends: looked for
    // that far, not to the page's end (a page of a hundred thousand
    // comments, none closed so, was read in time quadratic in its size).
    let b = memchr::memmem::find(&rest[..a.map_or(rest.len(), |a| a + 3)], b"--!>");
    // Whichever closes first (by where its `>` is).
    let (text, close) = match (a, b) {
        (Some(a), Some(b)) if b + 4 < a + 3 => (b, 4),
        (Some(a), _) => (a, 3),
        (None, Some(b)) => (b, 4),
        (None, None) => return None,
    };
    Some((from + text, from + text + close))
}

/// A bogus comment (`<?…>`, `<!…>`, `</ …>`) whose text starts at `from`:
/// where its text ends (the next `>`, or the end of the page), and where
/// reading goes on.
pub(crate) fn bogus_comment(bytes: &[u8], from: usize) -> (usize, usize) {
    memchr::memchr(b'>', &bytes[from..])
        .map_or((bytes.len(), bytes.len()), |k| (from + k, from + k + 1))
}

/// An attribute's value, after its `=` at `i`: where the value is (`None`:
/// `a=>`, an empty value, with `>` left to end the tag) and where reading
/// goes on; `None` when the page ends first.
#[inline(always)]
fn value_span(bytes: &[u8], mut i: usize) -> Option<(Option<(usize, usize)>, usize)> {
    while i < bytes.len() && is_ws(bytes[i]) {
        i += 1;
    }
    match *bytes.get(i)? {
        q @ (b'"' | b'\'') => {
            let k = memchr::memchr(q, &bytes[i + 1..])?;
            Some((Some((i + 1, i + 1 + k)), i + k + 2))
        }
        b'>' => Some((None, i)),
        _ => {
            let from = i;
            while i < bytes.len() && !is_ws(bytes[i]) && bytes[i] != b'>' {
                i += 1;
            }
            (i < bytes.len()).then_some((Some((from, i)), i))
        }
    }
}

/// Reads a tag whose name starts at `i`; returns it and where it ends
/// (after its `>`). `keep`: which attributes are wanted (none of an end
/// tag's).
#[inline(always)]
pub(crate) fn lex_tag(
    s: &str,
    mut i: usize,
    keep: Option<(&Keep, Option<&StrTendril>)>,
) -> R<(Tag, usize)> {
    pub(crate) const CUT: GaveUp = "a tag cut off by the end of the page";
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
    let mut duplicates = false;
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
                    duplicates,
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
                        duplicates,
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
            let (span, next) = value_span(bytes, i + 1).ok_or(CUT)?;
            if keep {
                value = span.map(|(from, to)| value_of(from, to));
            }
            i = next;
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
            duplicates |= repeated;
            if !repeated {
                if attrs.capacity() == 0 {
                    attrs = take_tag_attrs();
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
