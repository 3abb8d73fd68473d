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

mod atoms;
mod charref;
mod keep;
mod lexer;
#[cfg(test)]
mod tests;
mod tree;

use crate::stream::GaveUp;
use crate::{Extracted, ParseTimeout, Plan};
use html5ever::tendril::StrTendril;
use keep::Keep;
use lexer::Lexer;
use std::borrow::Cow;
use std::time::Instant;
use tree::Builder;
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
