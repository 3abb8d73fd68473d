//! Tables: the table, its sections, rows, cells and captions.

use super::{Builder, Fmt, Mode, Scope};
use crate::fast::R;
use crate::fast::lexer::{Raw, Tag};
use crate::fast::sink::Target;
use crate::tags::{table_body_context, table_row_context, table_scope, td_th};
use html5ever::{LocalName, local_name};

impl<S: Target> Builder<S> {
    pub(crate) fn start_in_table(&mut self, tag: Tag) -> R<Option<(Raw, LocalName)>> {
        match tag.name {
            local_name!("caption") => {
                self.pop_until_current(table_scope);
                self.active.push(Fmt::Marker);
                self.insert(tag.name, tag.attrs, true);
                self.mode = Mode::InCaption;
                Ok(None)
            }
            local_name!("colgroup") => {
                self.pop_until_current(table_scope);
                self.insert(tag.name, tag.attrs, true);
                self.mode = Mode::InColumnGroup;
                Ok(None)
            }
            local_name!("col") => {
                self.pop_until_current(table_scope);
                self.phantom(local_name!("colgroup"));
                self.mode = Mode::InColumnGroup;
                self.start(tag)
            }
            local_name!("tbody") | local_name!("tfoot") | local_name!("thead") => {
                self.pop_until_current(table_scope);
                self.insert(tag.name, tag.attrs, true);
                self.mode = Mode::InTableBody;
                Ok(None)
            }
            local_name!("td") | local_name!("th") | local_name!("tr") => {
                self.pop_until_current(table_scope);
                self.phantom(local_name!("tbody"));
                self.mode = Mode::InTableBody;
                self.start(tag)
            }
            local_name!("table") => Err("a <table> directly in a <table>"),
            local_name!("style") | local_name!("script") => {
                let raw = self.head_element(&tag.name).flatten();
                Ok(self.head_insert(tag, raw))
            }
            local_name!("template") => Err("a <template>"),
            local_name!("input")
                if tag.attrs.iter().any(|a| {
                    a.name.local == local_name!("type") && a.value.eq_ignore_ascii_case("hidden")
                }) =>
            {
                self.insert(tag.name, tag.attrs, false);
                Ok(None)
            }
            _ => Err("foster parenting (content misplaced in a table)"),
        }
    }

    /// In the table body: `<caption>`, `<col>`, … or `</table>` close the
    /// body first; false when there is none to close (the tag is dropped).
    pub(crate) fn table_body_to_table(&mut self) -> bool {
        // html5ever's set: table, tbody, tfoot.
        if !self.in_scope(Scope::Table, |o| {
            matches!(
                o.name,
                local_name!("table") | local_name!("tbody") | local_name!("tfoot")
            )
        }) {
            return false;
        }
        self.pop_until_current(table_body_context);
        self.pop();
        self.mode = Mode::InTable;
        true
    }

    pub(crate) fn row_to_table_body(&mut self) -> bool {
        if !self.in_scope_named(Scope::Table, &local_name!("tr")) {
            return false;
        }
        self.pop_until_current(table_row_context);
        self.pop();
        self.mode = Mode::InTableBody;
        true
    }

    pub(crate) fn close_cell(&mut self) {
        self.generate_implied_end(None);
        self.pop_until(td_th);
        self.clear_active_to_marker();
        self.mode = Mode::InRow;
    }

    /// Closes the caption; false when there is none in table scope.
    pub(crate) fn close_caption(&mut self) -> bool {
        if !self.in_scope_named(Scope::Table, &local_name!("caption")) {
            return false;
        }
        self.generate_implied_end(None);
        self.pop_until_named(&local_name!("caption"));
        self.clear_active_to_marker();
        self.mode = Mode::InTable;
        true
    }

    pub(crate) fn reset_mode(&mut self) -> R {
        for (i, o) in self.open.iter().enumerate().rev() {
            let last = i == 0;
            self.mode = match o.name {
                local_name!("td") | local_name!("th") if !last => Mode::InCell,
                local_name!("tr") => Mode::InRow,
                local_name!("tbody") | local_name!("thead") | local_name!("tfoot") => {
                    Mode::InTableBody
                }
                local_name!("caption") => Mode::InCaption,
                local_name!("colgroup") => Mode::InColumnGroup,
                local_name!("table") => Mode::InTable,
                local_name!("template") | local_name!("frameset") => {
                    return Err("an unusual insertion mode");
                }
                local_name!("head") if !last => Mode::InHead,
                local_name!("body") => Mode::InBody,
                local_name!("html") => {
                    if self.head {
                        Mode::AfterHead
                    } else {
                        Mode::BeforeHead
                    }
                }
                _ => continue,
            };
            return Ok(());
        }
        self.mode = Mode::InBody;
        Ok(())
    }

    pub(crate) fn end_in_table(&mut self, name: &LocalName) -> R {
        match *name {
            local_name!("table") => {
                if self.in_scope_named(Scope::Table, &local_name!("table")) {
                    self.pop_until_named(&local_name!("table"));
                    self.reset_mode()?;
                }
                Ok(())
            }
            local_name!("body")
            | local_name!("caption")
            | local_name!("col")
            | local_name!("colgroup")
            | local_name!("html")
            | local_name!("tbody")
            | local_name!("td")
            | local_name!("tfoot")
            | local_name!("th")
            | local_name!("thead")
            | local_name!("tr") => Ok(()),
            _ => Err("foster parenting (an end tag misplaced in a table)"),
        }
    }
}
