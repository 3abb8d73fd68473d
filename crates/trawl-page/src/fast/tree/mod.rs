//! The tree builder: html5ever's rules (the WHATWG algorithm) for the
//! insertion modes the fast reader follows, making the same calls on the
//! sink that html5ever's tree builder makes.
//!
//! * `modes`: which rules a token goes by, mode by mode;
//! * `head`: the elements of the head and raw text;
//! * `body`: "in body", the active formatting elements and the adoption
//!   agency's simple case;
//! * `table`: tables, their sections, rows, cells and captions;
//! * `foreign`: SVG and MathML.

mod body;
mod foreign;
mod head;
mod modes;
mod table;

use super::doctype;
use super::lexer::{Raw, Tag};
use super::sink::Target;
use super::{R, all_ws, is_ws};
use crate::reuse::Reused;
use crate::tags::{default_scope, implied_end, table_outer, table_scope};
use html5ever::tree_builder::{ElementFlags, QuirksMode};
use html5ever::{Attribute, LocalName, Namespace, QualName, local_name, ns};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mode {
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

pub(crate) struct Open {
    pub(crate) id: usize,
    /// An HTML element's name; empty for a foreign element, so that no
    /// rule about HTML elements takes it for one.
    pub(crate) name: LocalName,
    pub(crate) foreign: Option<Foreign>,
}

/// What the tree builder knows of an SVG or MathML element.
pub(crate) struct Foreign {
    pub(crate) ns: Namespace,
    pub(crate) local: LocalName,
    pub(crate) point: Point,
}

/// Where foreign content lets HTML back in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Point {
    None,
    /// MathML `mi`, `mo`, `mn`, `ms`, `mtext`.
    MathText,
    /// SVG `foreignObject`, `desc`, `title`.
    Svg,
}

/// An entry of the list of active formatting elements (the sink keeps a
/// formatting element's attributes, for a copy).
pub(crate) enum Fmt {
    Marker,
    El {
        id: usize,
        name: LocalName,
        duplicates: bool,
    },
}

/// A token, as far as the choice of rules needs it.
#[derive(Clone, Copy)]
pub(crate) enum Tok<'a> {
    Text,
    Start(&'a LocalName),
    End,
}

thread_local! {
    static SPARE_OPEN: std::cell::Cell<Vec<Open>> = const { std::cell::Cell::new(Vec::new()) };
    static SPARE_ACTIVE: std::cell::Cell<Vec<Fmt>> = const { std::cell::Cell::new(Vec::new()) };
}

/// The stack of open elements, counting the `<p>`s on it: every start tag
/// of a block asks whether a `<p>` is in button scope, and without the
/// count that walk went down the whole stack, so that 20,000 nested
/// `<div>`s took 0.5 s (quadratic; html5ever does the same walk).
pub(crate) struct OpenStack {
    list: Reused<Open>,
    paragraphs: usize,
}

impl OpenStack {
    pub(crate) fn push(&mut self, o: Open) {
        self.paragraphs += usize::from(o.name == local_name!("p"));
        self.list.push(o);
    }

    pub(crate) fn pop(&mut self) -> Option<Open> {
        let o = self.list.pop()?;
        self.paragraphs -= usize::from(o.name == local_name!("p"));
        Some(o)
    }

    pub(crate) fn truncate(&mut self, len: usize) {
        while self.list.len() > len {
            self.pop();
        }
    }

    /// Whether an element named `p` is open, at any depth.
    pub(crate) fn has_paragraph(&self) -> bool {
        self.paragraphs > 0
    }
}

impl std::ops::Deref for OpenStack {
    type Target = [Open];
    fn deref(&self) -> &[Open] {
        &self.list
    }
}

/// The tree builder's state, building into the sink `S`.
pub(crate) struct Builder<S> {
    pub(crate) sink: S,
    pub(crate) open: OpenStack,
    pub(crate) active: Reused<Fmt>,
    pub(crate) mode: Mode,
    /// The document's quirks mode, as far as the tree builder cares (a
    /// `<table>` closes an open `<p>` unless in quirks mode).
    pub(crate) quirks: QuirksMode,
    pub(crate) head: bool,
    pub(crate) form: Option<usize>,
    pub(crate) ignore_lf: bool,
    /// The start tag being inserted had a repeated attribute: the flag of
    /// the element made for it (not of those implied or reconstructed on
    /// the way).
    pub(crate) duplicates: bool,
}

pub(crate) const DOCUMENT: usize = 0;

/// The leading run of whitespace of `t`, and the rest.
pub(crate) fn split_ws(t: &str) -> (&str, &str) {
    let n = t.bytes().take_while(|&b| is_ws(b)).count();
    t.split_at(n)
}

/// The scopes "has an element in scope" looks through.
#[derive(Clone, Copy)]
pub(crate) enum Scope {
    Default,
    ListItem,
    Button,
    Table,
}

impl Scope {
    /// Whether `o` ends the search.
    pub(crate) fn bounds(self, o: &Open) -> bool {
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

impl<S: Target> Builder<S> {
    pub(crate) fn new(sink: S) -> Self {
        Builder {
            sink,
            open: OpenStack {
                list: Reused::take(&SPARE_OPEN),
                paragraphs: 0,
            },
            active: Reused::take(&SPARE_ACTIVE),
            mode: Mode::Initial,
            quirks: QuirksMode::Quirks,
            head: false,
            form: None,
            ignore_lf: false,
            duplicates: false,
        }
    }

    pub(crate) fn current(&self) -> usize {
        self.open.last().map_or(DOCUMENT, |o| o.id)
    }

    pub(crate) fn current_is(&self, name: &LocalName) -> bool {
        self.open.last().is_some_and(|o| o.name == *name)
    }

    pub(crate) fn current_in(&self, set: fn(&LocalName) -> bool) -> bool {
        self.open.last().is_some_and(|o| set(&o.name))
    }

    /// Creates an element and appends it to the current node, as
    /// html5ever's `insert_element` does; `push`: it becomes the current
    /// node.
    pub(crate) fn insert(&mut self, name: LocalName, attrs: Vec<Attribute>, push: bool) -> usize {
        let parent = self.current();
        let flags = self.flags();
        let id =
            self.sink
                .create_element(QualName::new(None, ns!(html), name.clone()), attrs, flags);
        self.sink.append_node(parent, id);
        if push {
            self.open.push(Open {
                id,
                name,
                foreign: None,
            });
        }
        id
    }

    /// The flags of the element made for the current start tag (once).
    pub(crate) fn flags(&mut self) -> ElementFlags {
        let mut flags = ElementFlags::default();
        flags.had_duplicate_attributes = std::mem::take(&mut self.duplicates);
        flags
    }

    /// An element the algorithm implies (`<html>`, `<head>`, `<body>`,
    /// `<tbody>`, `<tr>` …), made on the way to the current token's.
    pub(crate) fn phantom(&mut self, name: LocalName) {
        let duplicates = std::mem::take(&mut self.duplicates);
        self.insert(name, Vec::new(), true);
        self.duplicates = duplicates;
    }

    pub(crate) fn pop(&mut self) {
        self.open.pop();
    }

    pub(crate) fn in_scope(&self, scope: Scope, want: impl Fn(&Open) -> bool) -> bool {
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

    pub(crate) fn in_scope_named(&self, scope: Scope, name: &LocalName) -> bool {
        if *name == local_name!("p") && !self.open.has_paragraph() {
            return false;
        }
        self.in_scope(scope, |o| o.name == *name)
    }

    pub(crate) fn generate_implied_end(&mut self, except: Option<&LocalName>) {
        while let Some(o) = self.open.last() {
            if !implied_end(&o.name) || except.is_some_and(|e| *e == o.name) {
                return;
            }
            self.open.pop();
        }
    }

    pub(crate) fn pop_until(&mut self, pred: impl Fn(&LocalName) -> bool) {
        while let Some(o) = self.open.pop() {
            if pred(&o.name) {
                return;
            }
        }
    }

    pub(crate) fn pop_until_named(&mut self, name: &LocalName) {
        self.pop_until(|n| n == name);
    }

    pub(crate) fn pop_until_current(&mut self, set: fn(&LocalName) -> bool) {
        while self.open.last().is_some_and(|o| !set(&o.name)) {
            self.open.pop();
        }
    }

    pub(crate) fn close_p(&mut self) {
        self.generate_implied_end(Some(&local_name!("p")));
        self.pop_until_named(&local_name!("p"));
    }

    pub(crate) fn close_p_in_button_scope(&mut self) {
        if self.in_scope_named(Scope::Button, &local_name!("p")) {
            self.close_p();
        }
    }

    pub(crate) fn is_open(&self, id: usize) -> bool {
        self.open.iter().rev().any(|o| o.id == id)
    }

    pub(crate) fn marker_or_open(&self, f: &Fmt) -> bool {
        match f {
            Fmt::Marker => true,
            Fmt::El { id, .. } => self.is_open(*id),
        }
    }

    pub(crate) fn reconstruct(&mut self) {
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
        let duplicates = std::mem::take(&mut self.duplicates);
        for k in at..self.active.len() {
            let Fmt::El {
                id,
                name,
                duplicates,
            } = &self.active[k]
            else {
                continue;
            };
            // A copy carries its original's flag, as html5ever's does.
            let (name, attrs, duplicates) = (name.clone(), self.sink.attrs_of(*id), *duplicates);
            self.duplicates = duplicates;
            let new = self.insert(name.clone(), attrs, true);
            self.active[k] = Fmt::El {
                id: new,
                name,
                duplicates,
            };
        }
        self.duplicates = duplicates;
    }

    pub(crate) fn clear_active_to_marker(&mut self) {
        while let Some(f) = self.active.pop() {
            if matches!(f, Fmt::Marker) {
                return;
            }
        }
    }

    /// The entries after the last marker.
    pub(crate) fn active_since_marker(&self) -> impl Iterator<Item = (usize, &Fmt)> {
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
    pub(crate) fn insert_formatting(&mut self, tag: Tag) -> R {
        let alike = self
            .active_since_marker()
            .filter(|(_, f)| matches!(f, Fmt::El { name, .. } if *name == tag.name))
            .count();
        if alike >= 3 {
            return Err("three formatting elements of a name open (Noah's ark)");
        }
        let duplicates = self.duplicates;
        let id = self.insert(tag.name.clone(), tag.attrs, true);
        self.active.push(Fmt::El {
            id,
            name: tag.name,
            duplicates,
        });
        Ok(())
    }

    pub(crate) fn append_text(&mut self, t: &str) {
        let parent = self.current();
        self.sink.append_text(parent, t);
    }

    /// A doctype token (`body`: what follows `<!DOCTYPE`): in the initial
    /// mode, the document's doctype and its quirks mode; anywhere else,
    /// ignored.
    pub(crate) fn doctype(&mut self, body: &str) -> R {
        self.ignore_lf = false;
        if self.mode != Mode::Initial {
            return Ok(());
        }
        let d = doctype::parse(body).ok_or("a doctype the tokenizer would flag")?;
        self.sink
            .doctype(&d.name, d.public.unwrap_or(""), d.system.unwrap_or(""));
        self.set_quirks(doctype::quirks_mode(&d));
        self.mode = Mode::BeforeHtml;
        Ok(())
    }

    pub(crate) fn set_quirks(&mut self, mode: QuirksMode) {
        self.quirks = mode;
        self.sink.quirks(mode);
    }

    /// A comment token: in foreign content, in the current node; else in
    /// the document before `<html>` and after its end, in `<html>` after
    /// the body, and in the current node everywhere else.
    pub(crate) fn comment(&mut self, text: &str) {
        self.ignore_lf = false;
        let parent = match self.mode {
            _ if self.in_foreign() => self.current(),
            Mode::Initial | Mode::BeforeHtml | Mode::AfterAfterBody => DOCUMENT,
            Mode::AfterBody => self.open.first().map_or(DOCUMENT, |o| o.id),
            _ => self.current(),
        };
        self.sink.comment(parent, text);
    }

    pub(crate) fn text(&mut self, t: &str) -> R {
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
    pub(crate) fn anything_else_before_body(&mut self) -> R {
        match self.mode {
            Mode::Initial => {
                self.set_quirks(QuirksMode::Quirks);
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
    pub(crate) fn eof(&mut self) -> R {
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
    pub(crate) fn start(&mut self, tag: Tag) -> R<Option<(Raw, LocalName)>> {
        self.ignore_lf = false;
        self.duplicates = tag.duplicates;
        if self.foreign_rules(Tok::Start(&tag.name)) {
            return self.foreign_start(tag);
        }
        self.start_mode(tag)
    }

    pub(crate) fn end(&mut self, name: &LocalName) -> R {
        self.ignore_lf = false;
        self.duplicates = false;
        if self.foreign_rules(Tok::End) {
            return self.foreign_end(name);
        }
        self.end_mode(name)
    }
}
