//! What a body is: whether it may be HTML, and which text encoding it is
//! in (byte-order mark, then the `Content-Type` charset, then a `<meta>`
//! declaration in the first 1,024 bytes, a simplified WHATWG prescan, then
//! UTF-8). The fetcher asks the first to decide which bodies to keep; the
//! page reader asks both.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252, X_USER_DEFINED};

/// Tells whether a response with this `Content-Type` may be HTML: it says
/// so, or it says nothing (then the body is sniffed).
pub fn may_be_html(content_type: Option<&str>) -> bool {
    match content_type {
        None => true,
        Some(ct) => {
            let essence = ct.split(';').next().unwrap_or("").trim();
            essence.eq_ignore_ascii_case("text/html")
                || essence.eq_ignore_ascii_case("application/xhtml+xml")
        }
    }
}

/// Tells whether a body of unknown type starts like an HTML document.
pub fn looks_like_html(body: &[u8]) -> bool {
    let start = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let start = start.trim_ascii_start();
    let head = &start[..start.len().min(16)];
    let lower = head.to_ascii_lowercase();
    [
        &b"<!doctype html"[..],
        b"<html",
        b"<head",
        b"<title",
        b"<!--",
        b"<body",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
}

/// Chooses the body's encoding: byte-order mark, then the `charset` of
/// `Content-Type`, then a `<meta>` declaration in the first 1,024 bytes,
/// then UTF-8.
pub fn sniff_encoding(body: &[u8], content_type: Option<&str>) -> &'static Encoding {
    if let Some((enc, _)) = Encoding::for_bom(body) {
        return enc;
    }
    if let Some(enc) = content_type
        .and_then(charset_param)
        .and_then(|l| Encoding::for_label(l.as_bytes()))
    {
        return enc;
    }
    match prescan(&body[..body.len().min(1024)]) {
        // A meta tag cannot really declare UTF-16 (it would not be
        // readable as ASCII); the spec maps it to UTF-8, and
        // x-user-defined to windows-1252.
        Some(enc) if enc == UTF_16LE || enc == UTF_16BE => UTF_8,
        Some(enc) if enc == X_USER_DEFINED => WINDOWS_1252,
        Some(enc) => enc,
        None => UTF_8,
    }
}

/// Reads the `charset` parameter of a `Content-Type` value.
fn charset_param(ct: &str) -> Option<String> {
    ct.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']).to_owned())
    })
}

/// A simplified WHATWG prescan: looks through `head` for a `<meta>` with
/// `charset=…`, or with `http-equiv="content-type"` and a `content` naming
/// a charset, skipping comments.
fn prescan(head: &[u8]) -> Option<&'static Encoding> {
    let mut i = 0;
    while i < head.len() {
        let rest = &head[i..];
        if rest.starts_with(b"<!--") {
            i += find(rest, b"-->").map_or(rest.len(), |e| e + 3);
            continue;
        }
        if rest.len() > 5
            && rest[..5].eq_ignore_ascii_case(b"<meta")
            && (rest[5].is_ascii_whitespace() || rest[5] == b'/')
        {
            let (attrs, used) = attributes(&rest[5..]);
            i += 5 + used;
            if let Some(enc) = meta_encoding(&attrs) {
                return Some(enc);
            }
            continue;
        }
        // Any other tag: skip its name and attributes, so that a
        // `<meta charset>` quoted inside an attribute is not read.
        let tag_start = match rest {
            [b'<', c, ..] if c.is_ascii_alphabetic() => Some(1),
            [b'<', b'/', c, ..] if c.is_ascii_alphabetic() => Some(2),
            _ => None,
        };
        if let Some(name_at) = tag_start {
            let name_len = rest[name_at..]
                .iter()
                .position(|c| c.is_ascii_whitespace() || *c == b'>')
                .unwrap_or(rest.len() - name_at);
            let (_, used) = attributes(&rest[name_at + name_len..]);
            i += name_at + name_len + used;
            continue;
        }
        // `<!…>`, `</…>` and `<?…>`: skip to the next `>`.
        if let [b'<', b'!' | b'/' | b'?', ..] = rest {
            i += rest
                .iter()
                .position(|&c| c == b'>')
                .map_or(rest.len(), |e| e + 1);
            continue;
        }
        i += 1;
    }
    None
}

fn meta_encoding(attrs: &[(String, String)]) -> Option<&'static Encoding> {
    let get = |name: &str| {
        attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if let Some(label) = get("charset") {
        return Encoding::for_label(label.trim().as_bytes());
    }
    let equiv = get("http-equiv")?;
    if !equiv.eq_ignore_ascii_case("content-type") {
        return None;
    }
    charset_in_content(get("content")?)
}

/// Finds `charset=LABEL` in a `content` value, skipping any "charset" not
/// followed by `=` (WHATWG: extracting a character encoding from a meta
/// element).
fn charset_in_content(content: &str) -> Option<&'static Encoding> {
    let lower = content.to_ascii_lowercase();
    let mut rest = lower.as_str();
    loop {
        let at = rest.find("charset")?;
        rest = rest[at + 7..].trim_start();
        let Some(value) = rest.strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start();
        let label: String = match value.chars().next() {
            Some(q @ ('"' | '\'')) => value[1..].chars().take_while(|&c| c != q).collect(),
            _ => value
                .chars()
                .take_while(|c| *c != ';' && !c.is_whitespace())
                .collect(),
        };
        return Encoding::for_label(label.as_bytes());
    }
}

/// Parses attributes up to the end of a tag; returns them (names in lower
/// case) and the bytes used.
fn attributes(s: &[u8]) -> (Vec<(String, String)>, usize) {
    let mut attrs = Vec::new();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < s.len() && (s[*i].is_ascii_whitespace() || s[*i] == b'/') {
            *i += 1;
        }
    };
    loop {
        skip_ws(&mut i);
        if i >= s.len() {
            return (attrs, i);
        }
        if s[i] == b'>' {
            return (attrs, i + 1);
        }
        let start = i;
        while i < s.len() && !matches!(s[i], b'=' | b'>' | b'/') && !s[i].is_ascii_whitespace() {
            i += 1;
        }
        let name = String::from_utf8_lossy(&s[start..i]).to_ascii_lowercase();
        while i < s.len() && s[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < s.len() && s[i] == b'=' {
            i += 1;
            while i < s.len() && s[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < s.len() && (s[i] == b'"' || s[i] == b'\'') {
                let q = s[i];
                let vstart = i + 1;
                let end = s[vstart..]
                    .iter()
                    .position(|&c| c == q)
                    .map_or(s.len(), |p| vstart + p);
                value = String::from_utf8_lossy(&s[vstart..end]).into_owned();
                i = (end + 1).min(s.len());
            } else {
                let vstart = i;
                while i < s.len() && s[i] != b'>' && !s[i].is_ascii_whitespace() {
                    i += 1;
                }
                value = String::from_utf8_lossy(&s[vstart..i]).into_owned();
            }
        }
        if !name.is_empty() && !attrs.iter().any(|(k, _)| *k == name) {
            attrs.push((name, value));
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_order_is_bom_header_meta_utf8() {
        let latin1 = b"<meta charset=\"iso-8859-1\"><title>caf\xe9</title>";
        assert_eq!(
            sniff_encoding(latin1, Some("text/html")).name(),
            "windows-1252"
        );
        let enc = sniff_encoding(latin1, Some("text/html"));
        assert!(enc.decode(latin1).0.contains("café"));
        // The header beats the meta tag.
        assert_eq!(
            sniff_encoding(latin1, Some("text/html; charset=UTF-8")),
            UTF_8
        );
        // The BOM beats the header.
        let bom = b"\xEF\xBB\xBF<title>x</title>";
        assert_eq!(
            sniff_encoding(bom, Some("text/html; charset=latin1")),
            UTF_8
        );
        let equiv = b"<!-- <meta charset=koi8-r> --><META HTTP-EQUIV='Content-Type' CONTENT='text/html; charset=Shift_JIS'>";
        assert_eq!(sniff_encoding(equiv, None).name(), "Shift_JIS");
        assert_eq!(sniff_encoding(b"<title>plain</title>", None), UTF_8);
        let utf16 = b"<meta charset=utf-16le>";
        assert_eq!(sniff_encoding(utf16, None), UTF_8);
        // A meta tag quoted in another tag's attribute does not count.
        let quoted = b"<a title='<meta charset=koi8-r>'>x</a><title>t</title>";
        assert_eq!(sniff_encoding(quoted, None), UTF_8);
        // The content value is searched past a "charset" without "=".
        let later = b"<meta http-equiv=content-type content='text/html; xcharset; charset=koi8-r'>";
        assert_eq!(sniff_encoding(later, None).name(), "KOI8-R");
        let quoted_label = b"<meta http-equiv=content-type content='text/html; charset=\"gbk\"'>";
        assert_eq!(sniff_encoding(quoted_label, None).name(), "GBK");
    }

    #[test]
    fn html_is_recognised_by_essence() {
        assert!(may_be_html(Some("text/html; charset=utf-8")));
        assert!(may_be_html(Some("TEXT/HTML")));
        assert!(may_be_html(Some("application/xhtml+xml")));
        assert!(may_be_html(None));
        assert!(!may_be_html(Some("application/json")));
        assert!(!may_be_html(Some("text/htmlx")));
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(crate::testing::config())]

        /// The charset prescan: a byte-order mark wins; a `<meta charset>`
        /// after junk holding no `<` is found; any bytes give an encoding.
        #[test]
        fn the_charset_prescan_finds_meta_and_never_panics(
            // No `<`, and no U+FEFF (at the start, a byte-order mark wins).
            junk in "[^<\u{feff}]{0,200}",
            label in prop_oneof![Just("utf-8"), Just("windows-1251"), Just("shift_jis"), Just("ISO-8859-2"), Just("euc-kr")],
            quote in prop_oneof![Just(""), Just("\""), Just("'")],
            bytes in prop::collection::vec(any::<u8>(), 0..2048),
        ) {
            use crate::content::sniff_encoding;
            let page = format!("{junk}<meta charset={quote}{label}{quote}>");
            if page.len() < 1000 {
                let want = encoding_rs::Encoding::for_label(label.as_bytes());
                prop_assert_eq!(Some(sniff_encoding(page.as_bytes(), None)), want, "{}", page);
            }
            let mut with_bom = b"\xEF\xBB\xBF".to_vec();
            with_bom.extend_from_slice(&bytes);
            prop_assert_eq!(sniff_encoding(&with_bom, Some("text/html; charset=latin1")), encoding_rs::UTF_8);
            let _ = sniff_encoding(&bytes, Some("text/html; charset=\"\u{0}"));
            let _ = sniff_encoding(&bytes, None);
        }
    }
}
