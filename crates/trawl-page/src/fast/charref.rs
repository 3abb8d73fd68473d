//! Character references, decoded as html5ever's tokenizer decodes them
//! (the historical rule in attributes included).

use html5ever::data::{C1_REPLACEMENTS, NAMED_ENTITIES};
use std::borrow::Cow;

pub(crate) fn decode_attr(raw: &str) -> Cow<'_, str> {
    if memchr::memchr(b'&', raw.as_bytes()).is_none() {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    decode_into(raw, true, &mut out);
    Cow::Owned(out)
}

/// Appends `raw` to `out` with its character references decoded.
pub(crate) fn decode_into(raw: &str, in_attr: bool, out: &mut String) {
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
pub(crate) struct Decoded(char, Option<char>);

impl Decoded {
    pub(crate) fn push_to(&self, out: &mut String) {
        out.push(self.0);
        if let Some(c) = self.1 {
            out.push(c);
        }
    }
}

/// The character reference at `at` (an `&`) as html5ever's tokenizer
/// reads it, and where it ends; `None`: the `&` is text.
pub(crate) fn char_ref(s: &str, at: usize, in_attr: bool) -> Option<(Decoded, usize)> {
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
