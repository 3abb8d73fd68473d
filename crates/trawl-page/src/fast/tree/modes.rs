//! Which rules a token goes by, insertion mode by insertion mode.

use super::{Builder, Fmt, Mode, Scope};
use crate::fast::R;
use crate::fast::lexer::{Raw, Tag};
use crate::fast::sink::Target;
use crate::tags::{table_body_context, table_row_context, td_th};
use html5ever::{LocalName, local_name};

/// What the rules of a mode did with a start tag.
pub(crate) enum Start {
    /// Handled: the raw-text kind the tokenizer reads next, if any.
    Done(Option<(Raw, LocalName)>),
    /// The mode changed; the tag goes to the rules of the new one.
    Again(Tag),
}

impl<S: Target> Builder<S> {
    /// A start tag by the rules of the current insertion mode.
    pub(crate) fn start_mode(&mut self, mut tag: Tag) -> R<Option<(Raw, LocalName)>> {
        loop {
            let step = match self.mode {
                Mode::Initial => {
                    self.anything_else_before_body()?;
                    Start::Again(tag)
                }
                Mode::BeforeHtml => {
                    if tag.name == local_name!("html") {
                        // html5ever makes the root without the flag.
                        self.duplicates = false;
                        self.insert(tag.name, tag.attrs, true);
                        self.mode = Mode::BeforeHead;
                        return Ok(None);
                    }
                    self.anything_else_before_body()?;
                    Start::Again(tag)
                }
                Mode::InBody => return self.start_in_body(tag),
                Mode::AfterBody | Mode::AfterAfterBody => {
                    if tag.name == local_name!("html") {
                        return Err("a second <html>");
                    }
                    self.mode = Mode::InBody;
                    Start::Again(tag)
                }
                Mode::InTable => return self.start_in_table(tag),
                Mode::BeforeHead => self.start_before_head(tag)?,
                Mode::InHead => self.start_in_head(tag)?,
                Mode::InHeadNoscript => self.start_in_head_noscript(tag)?,
                Mode::AfterHead => self.start_after_head(tag)?,
                Mode::InTableBody => self.start_in_table_body(tag)?,
                Mode::InRow => self.start_in_row(tag)?,
                Mode::InCell => self.start_in_cell(tag)?,
                Mode::InCaption => self.start_in_caption(tag)?,
                Mode::InColumnGroup => self.start_in_column_group(tag)?,
            };
            match step {
                Start::Done(next) => return Ok(next),
                Start::Again(again) => tag = again,
            }
        }
    }

    /// An end tag by the rules of the current insertion mode.
    pub(crate) fn end_mode(&mut self, name: &LocalName) -> R {
        loop {
            let before_body = matches!(
                *name,
                local_name!("head") | local_name!("body") | local_name!("html") | local_name!("br")
            );
            let handled = match self.mode {
                Mode::Initial => {
                    self.anything_else_before_body()?;
                    false
                }
                Mode::BeforeHtml | Mode::BeforeHead => {
                    if !before_body {
                        return Ok(());
                    }
                    self.anything_else_before_body()?;
                    false
                }
                Mode::InBody => return self.end_in_body(name),
                Mode::AfterBody => {
                    if *name == local_name!("html") {
                        self.mode = Mode::AfterAfterBody;
                        return Ok(());
                    }
                    self.mode = Mode::InBody;
                    false
                }
                Mode::AfterAfterBody => {
                    self.mode = Mode::InBody;
                    false
                }
                Mode::InTable => return self.end_in_table(name),
                Mode::InHead => self.end_in_head(name)?,
                Mode::InHeadNoscript => self.end_in_head_noscript(name)?,
                Mode::AfterHead => self.end_after_head(name)?,
                Mode::InTableBody => self.end_in_table_body(name)?,
                Mode::InRow => self.end_in_row(name)?,
                Mode::InCell => self.end_in_cell(name)?,
                Mode::InCaption => self.end_in_caption(name)?,
                Mode::InColumnGroup => self.end_in_column_group(name)?,
            };
            if handled {
                return Ok(());
            }
        }
    }

    /// A start tag in the "BeforeHead" insertion mode.
    fn start_before_head(&mut self, tag: Tag) -> R<Start> {
        match tag.name {
            local_name!("html") => return Err("a second <html>"),
            local_name!("head") => {
                self.insert(tag.name, tag.attrs, true);
                self.head = true;
                self.mode = Mode::InHead;
                return Ok(Start::Done(None));
            }
            _ => self.anything_else_before_body()?,
        }
        Ok(Start::Again(tag))
    }

    /// A start tag in the "InHead" insertion mode.
    fn start_in_head(&mut self, tag: Tag) -> R<Start> {
        match tag.name {
            local_name!("html") => return Err("a second <html>"),
            local_name!("head") => return Ok(Start::Done(None)),
            local_name!("template") => return Err("a <template>"),
            local_name!("noscript") => {
                self.insert(tag.name, tag.attrs, true);
                self.mode = Mode::InHeadNoscript;
                return Ok(Start::Done(None));
            }
            _ => {
                if let Some(raw) = self.head_element(&tag.name) {
                    return Ok(Start::Done(self.head_insert(tag, raw)));
                }
                self.anything_else_before_body()?;
            }
        }
        Ok(Start::Again(tag))
    }

    /// A start tag in the "InHeadNoscript" insertion mode.
    fn start_in_head_noscript(&mut self, tag: Tag) -> R<Start> {
        match tag.name {
            local_name!("html") => return Err("a second <html>"),
            local_name!("head") | local_name!("noscript") => return Ok(Start::Done(None)),
            local_name!("basefont")
            | local_name!("bgsound")
            | local_name!("link")
            | local_name!("meta")
            | local_name!("noframes")
            | local_name!("style") => {
                let raw = self.head_element(&tag.name);
                return Ok(Start::Done(self.head_insert(tag, raw.flatten())));
            }
            _ => self.anything_else_before_body()?,
        }
        Ok(Start::Again(tag))
    }

    /// A start tag in the "AfterHead" insertion mode.
    fn start_after_head(&mut self, tag: Tag) -> R<Start> {
        match tag.name {
            local_name!("html") => return Err("a second <html>"),
            local_name!("body") => {
                self.insert(tag.name, tag.attrs, true);
                self.mode = Mode::InBody;
                return Ok(Start::Done(None));
            }
            local_name!("frameset") => return Err("a frameset"),
            local_name!("head") => return Ok(Start::Done(None)),
            _ if self.head_element(&tag.name).is_some() || tag.name == local_name!("template") => {
                return Err("a head element after the head");
            }
            _ => self.anything_else_before_body()?,
        }
        Ok(Start::Again(tag))
    }

    /// A start tag in the "InTableBody" insertion mode.
    fn start_in_table_body(&mut self, tag: Tag) -> R<Start> {
        match tag.name {
            local_name!("tr") => {
                self.pop_until_current(table_body_context);
                self.insert(tag.name, tag.attrs, true);
                self.mode = Mode::InRow;
                return Ok(Start::Done(None));
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
                    return Ok(Start::Done(None));
                }
            }
            _ => return self.start_in_table(tag).map(Start::Done),
        }
        Ok(Start::Again(tag))
    }

    /// A start tag in the "InRow" insertion mode.
    fn start_in_row(&mut self, tag: Tag) -> R<Start> {
        match tag.name {
            local_name!("th") | local_name!("td") => {
                self.pop_until_current(table_row_context);
                self.insert(tag.name, tag.attrs, true);
                self.mode = Mode::InCell;
                self.active.push(Fmt::Marker);
                return Ok(Start::Done(None));
            }
            local_name!("caption")
            | local_name!("col")
            | local_name!("colgroup")
            | local_name!("tbody")
            | local_name!("tfoot")
            | local_name!("thead")
            | local_name!("tr") => {
                if !self.row_to_table_body() {
                    return Ok(Start::Done(None));
                }
            }
            _ => return self.start_in_table(tag).map(Start::Done),
        }
        Ok(Start::Again(tag))
    }

    /// A start tag in the "InCell" insertion mode.
    fn start_in_cell(&mut self, tag: Tag) -> R<Start> {
        match tag.name {
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
                    return Ok(Start::Done(None));
                }
                self.close_cell();
            }
            _ => return self.start_in_body(tag).map(Start::Done),
        }
        Ok(Start::Again(tag))
    }

    /// A start tag in the "InCaption" insertion mode.
    fn start_in_caption(&mut self, tag: Tag) -> R<Start> {
        match tag.name {
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
                    return Ok(Start::Done(None));
                }
            }
            _ => return self.start_in_body(tag).map(Start::Done),
        }
        Ok(Start::Again(tag))
    }

    /// A start tag in the "InColumnGroup" insertion mode.
    fn start_in_column_group(&mut self, tag: Tag) -> R<Start> {
        match tag.name {
            local_name!("html") => return Err("a second <html>"),
            local_name!("col") => {
                self.insert(tag.name, tag.attrs, false);
                return Ok(Start::Done(None));
            }
            local_name!("template") => return Err("a <template>"),
            _ => self.anything_else_before_body()?,
        }
        Ok(Start::Again(tag))
    }

    /// An end tag in the "InHead" insertion mode: whether it was
    /// handled (`false`: the mode changed, and it goes to the next).
    fn end_in_head(&mut self, name: &LocalName) -> R<bool> {
        match *name {
            local_name!("head") => {
                self.pop();
                self.mode = Mode::AfterHead;
                return Ok(true);
            }
            local_name!("body") | local_name!("html") | local_name!("br") => {
                self.anything_else_before_body()?;
            }
            local_name!("template") => return Err("a </template>"),
            _ => return Ok(true),
        }
        Ok(false)
    }

    /// An end tag in the "InHeadNoscript" insertion mode: whether it was
    /// handled (`false`: the mode changed, and it goes to the next).
    fn end_in_head_noscript(&mut self, name: &LocalName) -> R<bool> {
        match *name {
            local_name!("noscript") => {
                self.pop();
                self.mode = Mode::InHead;
                return Ok(true);
            }
            local_name!("br") => self.anything_else_before_body()?,
            _ => return Ok(true),
        }
        Ok(false)
    }

    /// An end tag in the "AfterHead" insertion mode: whether it was
    /// handled (`false`: the mode changed, and it goes to the next).
    fn end_after_head(&mut self, name: &LocalName) -> R<bool> {
        match *name {
            local_name!("template") => return Err("a </template>"),
            local_name!("body") | local_name!("html") | local_name!("br") => {
                self.anything_else_before_body()?;
            }
            _ => return Ok(true),
        }
        Ok(false)
    }

    /// An end tag in the "InTableBody" insertion mode: whether it was
    /// handled (`false`: the mode changed, and it goes to the next).
    fn end_in_table_body(&mut self, name: &LocalName) -> R<bool> {
        match *name {
            local_name!("tbody") | local_name!("tfoot") | local_name!("thead") => {
                if self.in_scope_named(Scope::Table, name) {
                    self.pop_until_current(table_body_context);
                    self.pop();
                    self.mode = Mode::InTable;
                }
                return Ok(true);
            }
            local_name!("table") => {
                if !self.table_body_to_table() {
                    return Ok(true);
                }
            }
            local_name!("body")
            | local_name!("caption")
            | local_name!("col")
            | local_name!("colgroup")
            | local_name!("html")
            | local_name!("td")
            | local_name!("th")
            | local_name!("tr") => return Ok(true),
            _ => return self.end_in_table(name).map(|()| true),
        }
        Ok(false)
    }

    /// An end tag in the "InRow" insertion mode: whether it was
    /// handled (`false`: the mode changed, and it goes to the next).
    fn end_in_row(&mut self, name: &LocalName) -> R<bool> {
        match *name {
            local_name!("tr") => {
                self.row_to_table_body();
                return Ok(true);
            }
            local_name!("table") => {
                if !self.row_to_table_body() {
                    return Ok(true);
                }
            }
            local_name!("tbody") | local_name!("tfoot") | local_name!("thead") => {
                if !self.in_scope_named(Scope::Table, name) || !self.row_to_table_body() {
                    return Ok(true);
                }
            }
            local_name!("body")
            | local_name!("caption")
            | local_name!("col")
            | local_name!("colgroup")
            | local_name!("html")
            | local_name!("td")
            | local_name!("th") => return Ok(true),
            _ => return self.end_in_table(name).map(|()| true),
        }
        Ok(false)
    }

    /// An end tag in the "InCell" insertion mode: whether it was
    /// handled (`false`: the mode changed, and it goes to the next).
    fn end_in_cell(&mut self, name: &LocalName) -> R<bool> {
        match *name {
            local_name!("td") | local_name!("th") => {
                if self.in_scope_named(Scope::Table, name) {
                    self.generate_implied_end(None);
                    self.pop_until_named(name);
                    self.clear_active_to_marker();
                    self.mode = Mode::InRow;
                }
                return Ok(true);
            }
            local_name!("body")
            | local_name!("caption")
            | local_name!("col")
            | local_name!("colgroup")
            | local_name!("html") => return Ok(true),
            local_name!("table")
            | local_name!("tbody")
            | local_name!("tfoot")
            | local_name!("thead")
            | local_name!("tr") => {
                if !self.in_scope_named(Scope::Table, name) {
                    return Ok(true);
                }
                self.close_cell();
            }
            _ => return self.end_in_body(name).map(|()| true),
        }
        Ok(false)
    }

    /// An end tag in the "InCaption" insertion mode: whether it was
    /// handled (`false`: the mode changed, and it goes to the next).
    fn end_in_caption(&mut self, name: &LocalName) -> R<bool> {
        match *name {
            local_name!("caption") => {
                self.close_caption();
                return Ok(true);
            }
            local_name!("table") => {
                if !self.close_caption() {
                    return Ok(true);
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
            | local_name!("tr") => return Ok(true),
            _ => return self.end_in_body(name).map(|()| true),
        }
        Ok(false)
    }

    /// An end tag in the "InColumnGroup" insertion mode: whether it was
    /// handled (`false`: the mode changed, and it goes to the next).
    fn end_in_column_group(&mut self, name: &LocalName) -> R<bool> {
        match *name {
            local_name!("colgroup") => {
                if self.current_is(&local_name!("colgroup")) {
                    self.pop();
                    self.mode = Mode::InTable;
                }
                return Ok(true);
            }
            local_name!("col") => return Ok(true),
            local_name!("template") => return Err("a </template>"),
            _ => self.anything_else_before_body()?,
        }
        Ok(false)
    }
}
