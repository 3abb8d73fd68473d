//! `<!DOCTYPE …>`: its name and identifiers as the tokenizer reads them,
//! and the quirks mode they put the document in (the HTML standard's
//! "initial" insertion mode). Only a well-formed doctype is read: one the
//! tokenizer would flag (no whitespace where it belongs, an identifier
//! unquoted or cut off by `>`, something after the identifiers) is handed
//! on to html5ever.

use super::is_ws;
use html5ever::tree_builder::QuirksMode;

/// A doctype's parts; an identifier is `None` when the doctype has none
/// (which is not the same as an empty one).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Doctype<'a> {
    /// Lowercased, as the tokenizer does.
    pub(crate) name: String,
    pub(crate) public: Option<&'a str>,
    pub(crate) system: Option<&'a str>,
}

fn trim_ws(s: &str) -> &str {
    s.trim_start_matches(|c: char| c.is_ascii() && is_ws(c as u8))
}

/// `s` after at least one whitespace character; `None` without one.
fn after_ws(s: &str) -> Option<&str> {
    let t = trim_ws(s);
    (t.len() < s.len()).then_some(t)
}

/// A quoted identifier at the start of `s`, and what follows its closing
/// quote.
fn quoted(s: &str) -> Option<(&str, &str)> {
    let q = s.chars().next().filter(|&c| c == '"' || c == '\'')?;
    let end = s[1..].find(q)? + 1;
    Some((&s[1..end], &s[end + 1..]))
}

/// Reads what follows `<!DOCTYPE`, up to its `>` (not included).
pub(crate) fn parse(body: &str) -> Option<Doctype<'_>> {
    let rest = after_ws(body)?;
    let name_end = rest.bytes().position(is_ws).unwrap_or(rest.len());
    if name_end == 0 {
        return None;
    }
    let name = rest[..name_end].to_ascii_lowercase();
    let rest = trim_ws(&rest[name_end..]);
    let (mut public, mut system) = (None, None);
    if !rest.is_empty() {
        let keyword = rest.get(..6)?;
        let (first, after) = quoted(after_ws(&rest[6..])?)?;
        let after = if keyword.eq_ignore_ascii_case("public") {
            public = Some(first);
            match after_ws(after) {
                Some(next) if next.is_empty() => next,
                Some(next) => {
                    let (second, after) = quoted(next)?;
                    system = Some(second);
                    after
                }
                None => after,
            }
        } else if keyword.eq_ignore_ascii_case("system") {
            system = Some(first);
            after
        } else {
            return None;
        };
        if !trim_ws(after).is_empty() {
            return None;
        }
    }
    Some(Doctype {
        name,
        public,
        system,
    })
}

/// Public identifiers that start one of these put a document in quirks
/// mode (compared in ASCII lower case).
const QUIRKY_PUBLIC_PREFIXES: &[&str] = &[
    "-//advasoft ltd//dtd html 3.0 aswedit + extensions//",
    "-//as//dtd html 3.0 aswedit + extensions//",
    "-//ietf//dtd html 2.0 level 1//",
    "-//ietf//dtd html 2.0 level 2//",
    "-//ietf//dtd html 2.0 strict level 1//",
    "-//ietf//dtd html 2.0 strict level 2//",
    "-//ietf//dtd html 2.0 strict//",
    "-//ietf//dtd html 2.0//",
    "-//ietf//dtd html 2.1e//",
    "-//ietf//dtd html 3.0//",
    "-//ietf//dtd html 3.2 final//",
    "-//ietf//dtd html 3.2//",
    "-//ietf//dtd html 3//",
    "-//ietf//dtd html level 0//",
    "-//ietf//dtd html level 1//",
    "-//ietf//dtd html level 2//",
    "-//ietf//dtd html level 3//",
    "-//ietf//dtd html strict level 0//",
    "-//ietf//dtd html strict level 1//",
    "-//ietf//dtd html strict level 2//",
    "-//ietf//dtd html strict level 3//",
    "-//ietf//dtd html strict//",
    "-//ietf//dtd html//",
    "-//metrius//dtd metrius presentational//",
    "-//microsoft//dtd internet explorer 2.0 html strict//",
    "-//microsoft//dtd internet explorer 2.0 html//",
    "-//microsoft//dtd internet explorer 2.0 tables//",
    "-//microsoft//dtd internet explorer 3.0 html strict//",
    "-//microsoft//dtd internet explorer 3.0 html//",
    "-//microsoft//dtd internet explorer 3.0 tables//",
    "-//netscape comm. corp.//dtd html//",
    "-//netscape comm. corp.//dtd strict html//",
    "-//o'reilly and associates//dtd html 2.0//",
    "-//o'reilly and associates//dtd html extended 1.0//",
    "-//o'reilly and associates//dtd html extended relaxed 1.0//",
    "-//softquad software//dtd hotmetal pro 6.0::19990601::extensions to html 4.0//",
    "-//softquad//dtd hotmetal pro 4.0::19971010::extensions to html 4.0//",
    "-//spyglass//dtd html 2.0 extended//",
    "-//sq//dtd html 2.0 hotmetal + extensions//",
    "-//sun microsystems corp.//dtd hotjava html//",
    "-//sun microsystems corp.//dtd hotjava strict html//",
    "-//w3c//dtd html 3 1995-03-24//",
    "-//w3c//dtd html 3.2 draft//",
    "-//w3c//dtd html 3.2 final//",
    "-//w3c//dtd html 3.2//",
    "-//w3c//dtd html 3.2s draft//",
    "-//w3c//dtd html 4.0 frameset//",
    "-//w3c//dtd html 4.0 transitional//",
    "-//w3c//dtd html experimental 19960712//",
    "-//w3c//dtd html experimental 970421//",
    "-//w3c//dtd w3 html//",
    "-//w3o//dtd w3 html 3.0//",
    "-//webtechs//dtd mozilla html 2.0//",
    "-//webtechs//dtd mozilla html//",
];

/// The quirks mode a doctype sets, by the standard's table.
pub(crate) fn quirks_mode(d: &Doctype) -> QuirksMode {
    if d.name != "html" {
        return QuirksMode::Quirks;
    }
    let public = d.public.map(str::to_ascii_lowercase);
    let system = d.system.map(str::to_ascii_lowercase);
    let starts = |list: &[&str]| {
        public
            .as_deref()
            .is_some_and(|p| list.iter().any(|x| p.starts_with(x)))
    };
    if public.as_deref().is_some_and(|p| {
        matches!(
            p,
            "-//w3o//dtd w3 html strict 3.0//en//" | "-/w3c/dtd html 4.0 transitional/en" | "html"
        )
    }) || system.as_deref() == Some("http://www.ibm.com/data/dtd/v11/ibmxhtml1-transitional.dtd")
        || starts(QUIRKY_PUBLIC_PREFIXES)
    {
        return QuirksMode::Quirks;
    }
    if starts(&[
        "-//w3c//dtd xhtml 1.0 frameset//",
        "-//w3c//dtd xhtml 1.0 transitional//",
    ]) {
        return QuirksMode::LimitedQuirks;
    }
    if starts(&[
        "-//w3c//dtd html 4.01 frameset//",
        "-//w3c//dtd html 4.01 transitional//",
    ]) {
        return if system.is_none() {
            QuirksMode::Quirks
        } else {
            QuirksMode::LimitedQuirks
        };
    }
    QuirksMode::NoQuirks
}
