//! The fast reader: trawl's own HTML tokenizer and tree builder, for the
//! pages real sites serve.
//!
//! html5ever's tokenizer is a general state machine that handles one
//! character at a time (about 60 MB/s here); most of a page is text and
//! attribute values that need nothing but a search for the next `<`, `&`
//! or quote. The lexer (`lexer`, with `charref`, `atoms`, `doctype` and
//! `keep`) does that search with `memchr` and hands the tokens to a tree
//! builder (`tree`) that makes, on its sink (`sink`), the calls
//! html5ever's tree builder makes, in the same order with the same
//! arguments: `conformance` checks that call by call on the html5lib
//! suite.
//!
//! # What it follows
//! html5ever's rules (`html5ever::tree_builder::rules`, the WHATWG
//! algorithm) for the insertion modes from "initial" to "after after
//! body" that tables, captions, column groups and cells use, and "in head
//! noscript": implied `html`/`head`/`body`/`tbody`/`tr`, implied end
//! tags, `<p>` closed by blocks, lists, headings, forms, the list of active
//! formatting elements (reconstructed after a block closes them), the
//! adoption agency where it moves nothing, `<pre>`'s first newline, raw
//! text, RCDATA and script data, character references as html5ever
//! decodes them (the historical rule in attributes included), comments,
//! a well-formed doctype and the quirks mode it sets, and SVG and MathML
//! (their names and attributes as the standard spells them, their
//! integration points, the tags that break out of them).
//!
//! # What it gives up on
//! Where the algorithm would take a path this module does not follow, it
//! gives up at once and the page is read by html5ever (the stream, then
//! the tree). It never guesses. The reasons, each as the reader gives it
//! (a test holds this list and the code's the same):
//!
//! ```text
//! - a NUL character
//! - a doctype cut off by the end of the page
//! - a doctype the tokenizer would flag
//! - a comment cut off by the end of the page
//! - a tag cut off by the end of the page
//! - an end tag </br> with attributes
//! - raw text cut off by the end of the page
//! - a script's escaped text
//! - a parse error before the newline after <pre>
//! - a CDATA section in foreign content
//! - a MathML annotation-xml
//! - a second <html>
//! - a second <body>
//! - a head element after the head
//! - a frameset
//! - a <template>
//! - a </template>
//! - a <select>
//! - a <plaintext>
//! - ruby
//! - a </form> with elements open inside it
//! - a <table> directly in a <table>
//! - content in a column group
//! - foster parenting (text misplaced in a table)
//! - foster parenting (content misplaced in a table)
//! - foster parenting (an end tag misplaced in a table)
//! - misnested formatting across a block (the adoption agency)
//! - a nested <a> (the adoption agency)
//! - a nested <nobr> (the adoption agency)
//! - three formatting elements of a name open (Noah's ark)
//! - an unexpected insertion mode
//! - an unusual insertion mode
//! ```
//!
//! Its sink may give up too: the stream's gives up where a node would
//! move (see [`crate::stream`]).

mod atoms;
mod charref;
mod doctype;
mod keep;
mod lexer;
mod sink;
#[cfg(test)]
mod tests;
mod tree;

use crate::stream::{GaveUp, Sink};
use crate::{Extracted, ParseTimeout, Plan};
use html5ever::tendril::StrTendril;
use keep::Keep;
use lexer::Lexer;
pub(crate) use sink::Target;
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
    match read(html, &Keep::for_plan(plan), Sink::new(plan), deadline) {
        Ok(sink) => Ok(sink.answer(url, plan)),
        Err(Stop::GaveUp(why)) => Ok(Err(why)),
        Err(Stop::Timeout) => Err(ParseTimeout),
    }
}

/// Reads a decoded page into `sink` with every attribute kept: how
/// `--content` builds its tree. `Ok(Err(why))`: the page takes a path this
/// reader does not follow.
///
/// # Errors
/// Reading outlived the deadline.
pub(crate) fn build<S: Target>(
    html: &str,
    sink: S,
    deadline: Option<Instant>,
) -> Result<Result<S, GaveUp>, ParseTimeout> {
    let all = Keep {
        all: true,
        any: Vec::new(),
        tags: Vec::new(),
    };
    match read(html, &all, sink, deadline) {
        Ok(sink) => Ok(Ok(sink)),
        Err(Stop::GaveUp(why)) => Ok(Err(why)),
        Err(Stop::Timeout) => Err(ParseTimeout),
    }
}

/// Reads a page into `sink`, every attribute kept, with no deadline: the
/// conformance tests' entry. `Err`: why the reader gave up.
#[cfg(test)]
pub(crate) fn record<S: Target>(html: &str, sink: S) -> Result<S, GaveUp> {
    match build(html, sink, None) {
        Ok(read) => read,
        Err(ParseTimeout) => Err("the deadline"),
    }
}

/// Reads a decoded page into `sink`, keeping the attributes `keep` names.
fn read<S: Target>(html: &str, keep: &Keep, sink: S, deadline: Option<Instant>) -> Result<S, Stop> {
    if memchr::memchr(0, html.as_bytes()).is_some() {
        return Err(Stop::GaveUp("a NUL character"));
    }
    // The input stream's newlines, as the tokenizer normalizes them.
    let html: Cow<str> = if memchr::memchr(b'\r', html.as_bytes()).is_some() {
        Cow::Owned(html.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(html)
    };
    let html = html.strip_prefix('\u{feff}').unwrap_or(&html);
    let mut builder = Builder::new(sink);
    let mut lexer = Lexer {
        s: html,
        page: u32::try_from(html.len())
            .is_ok()
            .then(|| StrTendril::from_slice(html)),
        keep,
        deadline,
        tokens: 0,
    };
    lexer.run(&mut builder)?;
    builder.eof()?;
    // The sink may have given up since the lexer last asked.
    if let Some(why) = builder.sink.gave_up() {
        return Err(Stop::GaveUp(why));
    }
    Ok(builder.sink)
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
