//! The elements the "in head" rules insert, and raw text.

use super::Builder;
use crate::fast::lexer::{Raw, Tag};
use crate::fast::sink::Target;
use html5ever::{LocalName, local_name};

impl<S: Target> Builder<S> {
    /// Elements the "in head" rules insert: `Some(raw)` where raw says
    /// what the tokenizer reads next.
    pub(crate) fn head_element(&self, name: &LocalName) -> Option<Option<Raw>> {
        match *name {
            local_name!("base")
            | local_name!("basefont")
            | local_name!("bgsound")
            | local_name!("link")
            | local_name!("meta") => Some(None),
            local_name!("title") => Some(Some(Raw::Rcdata)),
            local_name!("noframes") | local_name!("style") => Some(Some(Raw::Rawtext)),
            local_name!("script") => Some(Some(Raw::Script)),
            _ => None,
        }
    }

    /// Inserts an element by the "in head" rules, at the current node.
    pub(crate) fn head_insert(&mut self, tag: Tag, raw: Option<Raw>) -> Option<(Raw, LocalName)> {
        let name = tag.name.clone();
        self.insert(tag.name, tag.attrs, raw.is_some());
        raw.map(|r| (r, name))
    }

    /// An element whose content is raw text: inserted, and the tokenizer
    /// told.
    pub(crate) fn raw_insert(&mut self, tag: Tag, raw: Raw) -> Option<(Raw, LocalName)> {
        let name = tag.name.clone();
        self.insert(tag.name, tag.attrs, true);
        Some((raw, name))
    }

    /// The text of a raw-text element (the "text" insertion mode): it goes
    /// to the element, whatever the mode around it.
    pub(crate) fn raw_text(&mut self, t: &str) {
        let mut t = t;
        if std::mem::take(&mut self.ignore_lf)
            && let Some(rest) = t.strip_prefix('\n')
        {
            t = rest;
        }
        if !t.is_empty() {
            self.append_text(t);
        }
    }

    /// The end tag of a raw-text element: it is the current node.
    pub(crate) fn end_raw(&mut self) {
        self.ignore_lf = false;
        self.pop();
    }
}
