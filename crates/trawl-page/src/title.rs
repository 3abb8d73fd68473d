//! The title without a tree: the HTML tokenizer runs only until the first
//! `</title>`, switching its state for raw-text elements (`script`,
//! `style`, `textarea`, …) exactly as the tree builder would. Where the
//! tree builder's answer could differ (the page opens `svg`, `math`,
//! `template`, `select`, `table` or `frameset` before any title, or the
//! title would land in the body, where a later `frameset` can drop it) the
//! scan says it is unsure and the caller parses the page.

use super::dom;
use html5ever::TokenizerResult;
use html5ever::local_name;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use scraper::Html;
use std::cell::{Cell, RefCell};

/// Finds the document's title: the text of the first `<title>` element in
/// the HTML namespace (one inside `<svg>` is not the page's title).
#[cfg(test)]
pub(super) fn title(html: &str) -> Option<String> {
    match scan_title(html) {
        Scan::Found(text) => Some(text),
        Scan::Absent => None,
        Scan::Unsure => title_from_dom(html),
    }
}

/// The fast path's verdict.
pub(super) enum Scan {
    /// The first title's text, whitespace collapsed.
    Found(String),
    /// The document has no title element.
    Absent,
    /// Only the tree builder can tell.
    Unsure,
}

/// Where the title scan stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ScanState {
    Searching,
    InTitle,
    Found,
    Unsure,
}

struct TitleSink {
    state: Cell<ScanState>,
    text: RefCell<String>,
    /// Something seen so far would have opened the body: a title now
    /// would go into the body, where a later `<frameset>` can drop it.
    in_body: Cell<bool>,
    /// Inside a raw-text element (script, style, …): its text is not
    /// content, until this end tag.
    raw_until: Cell<Option<&'static str>>,
}

impl TitleSink {
    /// Enters a raw-text element named `name` and switches the tokenizer.
    fn raw(&self, name: &'static str, kind: RawKind) -> TokenSinkResult<()> {
        self.raw_until.set(Some(name));
        TokenSinkResult::RawData(kind)
    }
}

/// Start tags the tree builder keeps in the head (or before it).
const HEAD_TAGS: [&str; 11] = [
    "html", "head", "base", "basefont", "bgsound", "link", "meta", "script", "style", "noscript",
    "noframes",
];

impl TokenSink for TitleSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        use TokenSinkResult::{Continue, Plaintext, RawData, Script};
        match self.state.get() {
            ScanState::InTitle => match token {
                Token::CharacterTokens(t) => {
                    self.text.borrow_mut().push_str(&t);
                    Continue
                }
                Token::TagToken(tag) if tag.kind == TagKind::EndTag && &*tag.name == "title" => {
                    self.state.set(ScanState::Found);
                    // Pauses the tokenizer: the rest of the page is not read.
                    Script(())
                }
                Token::EOFToken => {
                    self.state.set(ScanState::Found);
                    Continue
                }
                _ => Continue,
            },
            ScanState::Searching => match token {
                Token::TagToken(tag) if tag.kind == TagKind::EndTag => {
                    if self.raw_until.get() == Some(&*tag.name) {
                        self.raw_until.set(None);
                    }
                    Continue
                }
                Token::TagToken(tag) => {
                    let name: &str = &tag.name;
                    if !HEAD_TAGS.contains(&name) && name != "title" {
                        self.in_body.set(true);
                    }
                    match name {
                        // A title in the body can be dropped by a later
                        // frameset; only the tree builder can tell.
                        "title" if self.in_body.get() => {
                            self.state.set(ScanState::Unsure);
                            Script(())
                        }
                        "title" => {
                            self.state.set(ScanState::InTitle);
                            RawData(RawKind::Rcdata)
                        }
                        // Foreign content, template contents, select and
                        // table insertion modes, framesets: the tree
                        // builder may drop, move or re-namespace a title.
                        "svg" | "math" | "template" | "select" | "table" | "frameset" => {
                            self.state.set(ScanState::Unsure);
                            Script(())
                        }
                        // The states the tree builder switches the
                        // tokenizer to. Scripting is off, as trawl parses,
                        // so `<noscript>` is ordinary markup: in the head
                        // its elements stay there, and anything else
                        // opens the body, as the checks above follow.
                        "textarea" => self.raw("textarea", RawKind::Rcdata),
                        "style" => self.raw("style", RawKind::Rawtext),
                        "xmp" => self.raw("xmp", RawKind::Rawtext),
                        "iframe" => self.raw("iframe", RawKind::Rawtext),
                        "noembed" => self.raw("noembed", RawKind::Rawtext),
                        "noframes" => self.raw("noframes", RawKind::Rawtext),
                        "script" => self.raw("script", RawKind::ScriptData),
                        "plaintext" => Plaintext,
                        _ => Continue,
                    }
                }
                Token::CharacterTokens(t)
                    if self.raw_until.get().is_none()
                        && !t.chars().all(|c| c.is_ascii_whitespace()) =>
                {
                    self.in_body.set(true);
                    Continue
                }
                Token::NullCharacterToken if self.raw_until.get().is_none() => {
                    self.in_body.set(true);
                    Continue
                }
                _ => Continue,
            },
            ScanState::Found | ScanState::Unsure => Script(()),
        }
    }
}

/// Runs the tokenizer until the first title is complete.
pub(super) fn scan_title(html: &str) -> Scan {
    let sink = TitleSink {
        state: Cell::new(ScanState::Searching),
        text: RefCell::new(String::new()),
        in_body: Cell::new(false),
        raw_until: Cell::new(None),
    };
    let tok = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    if let TokenizerResult::Done = tok.feed(&input) {
        tok.end();
    }
    let sink = tok.sink;
    match sink.state.get() {
        ScanState::Found | ScanState::InTitle => {
            Scan::Found(dom::collapse(std::iter::once(sink.text.borrow().as_str())))
        }
        ScanState::Searching => Scan::Absent,
        ScanState::Unsure => Scan::Unsure,
    }
}

/// The title as the full tree builder sees it.
#[cfg(test)]
pub(super) fn title_from_dom(html: &str) -> Option<String> {
    title_in(&super::parse(html, None).expect("no deadline"))
}

/// The first title of a parsed document.
pub(super) fn title_in(doc: &Html) -> Option<String> {
    let mut title = None;
    dom::walk(doc, |el| {
        if title.is_none() && dom::is_html(el, &local_name!("title")) {
            title = Some(dom::collapse(el.text()));
        }
    });
    title
}
