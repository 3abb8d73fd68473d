//! Which rules a token goes by, insertion mode by insertion mode.

use super::{Builder, Fmt, Mode, Scope};
use crate::fast::R;
use crate::fast::lexer::{Raw, Tag};
use crate::fast::sink::Target;
use crate::tags::{table_body_context, table_row_context, td_th};
use html5ever::{LocalName, local_name};

impl<S: Target> Builder<S> {
    /// A start tag by the rules of the current insertion mode.
    pub(crate) fn start_mode(&mut self, tag: Tag) -> R<Option<(Raw, LocalName)>> {
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

    /// An end tag by the rules of the current insertion mode.
    pub(crate) fn end_mode(&mut self, name: &LocalName) -> R {
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
}
