//! The "in body" rules: blocks, lists, headings, the active formatting
//! elements, and the adoption agency where it moves nothing.

use super::{Builder, Fmt, Mode, Scope};
use crate::fast::R;
use crate::fast::atoms::{
    adjust_foreign_attributes, adjust_mathml_attributes, adjust_svg_attributes,
};
use crate::fast::lexer::{Raw, Tag};
use crate::fast::sink::Target;
use crate::tags::{formatting, heading, is_special};
use html5ever::tree_builder::QuirksMode;
use html5ever::{LocalName, local_name, ns};

impl<S: Target> Builder<S> {
    pub(crate) fn start_in_body(&mut self, tag: Tag) -> R<Option<(Raw, LocalName)>> {
        match tag.name {
            local_name!("html") => return Err("a second <html>"),
            local_name!("body") => return Err("a second <body>"),
            local_name!("frameset") => return Err("a frameset"),
            local_name!("template") => return Err("a <template>"),
            local_name!("plaintext") => return Err("a <plaintext>"),
            local_name!("image") => {
                return self.start_in_body(Tag {
                    name: local_name!("img"),
                    ..tag
                });
            }
            local_name!("select") | local_name!("option") | local_name!("optgroup") => {
                return Err("a <select>");
            }
            local_name!("rb") | local_name!("rtc") | local_name!("rp") | local_name!("rt") => {
                return Err("ruby");
            }
            local_name!("math") | local_name!("svg") => self.start_foreign_root(tag)?,
            local_name!("address")
            | local_name!("article")
            | local_name!("aside")
            | local_name!("blockquote")
            | local_name!("center")
            | local_name!("details")
            | local_name!("dialog")
            | local_name!("dir")
            | local_name!("div")
            | local_name!("dl")
            | local_name!("fieldset")
            | local_name!("figcaption")
            | local_name!("figure")
            | local_name!("footer")
            | local_name!("header")
            | local_name!("hgroup")
            | local_name!("main")
            | local_name!("nav")
            | local_name!("ol")
            | local_name!("p")
            | local_name!("search")
            | local_name!("section")
            | local_name!("summary")
            | local_name!("ul")
            | local_name!("menu")
            | local_name!("h1")
            | local_name!("h2")
            | local_name!("h3")
            | local_name!("h4")
            | local_name!("h5")
            | local_name!("h6")
            | local_name!("pre")
            | local_name!("listing")
            | local_name!("form")
            | local_name!("li")
            | local_name!("dd")
            | local_name!("dt") => self.start_block(tag),
            local_name!("a")
            | local_name!("b")
            | local_name!("big")
            | local_name!("code")
            | local_name!("em")
            | local_name!("font")
            | local_name!("i")
            | local_name!("s")
            | local_name!("small")
            | local_name!("strike")
            | local_name!("strong")
            | local_name!("tt")
            | local_name!("u")
            | local_name!("nobr") => self.start_formatting(tag)?,
            local_name!("button") => {
                if self.in_scope_named(Scope::Default, &local_name!("button")) {
                    self.generate_implied_end(None);
                    self.pop_until_named(&local_name!("button"));
                }
                self.reconstruct();
                self.insert(tag.name, tag.attrs, true);
            }
            local_name!("applet") | local_name!("marquee") | local_name!("object") => {
                self.reconstruct();
                self.insert(tag.name, tag.attrs, true);
                self.active.push(Fmt::Marker);
            }
            local_name!("table") => {
                if self.quirks != QuirksMode::Quirks {
                    self.close_p_in_button_scope();
                }
                self.insert(tag.name, tag.attrs, true);
                self.mode = Mode::InTable;
            }
            local_name!("area")
            | local_name!("br")
            | local_name!("embed")
            | local_name!("img")
            | local_name!("keygen")
            | local_name!("wbr")
            | local_name!("input")
            | local_name!("param")
            | local_name!("source")
            | local_name!("track")
            | local_name!("hr") => self.start_void(tag),
            local_name!("textarea")
            | local_name!("xmp")
            | local_name!("iframe")
            | local_name!("noembed") => return Ok(self.start_raw(tag)),
            local_name!("caption")
            | local_name!("col")
            | local_name!("colgroup")
            | local_name!("frame")
            | local_name!("head")
            | local_name!("tbody")
            | local_name!("td")
            | local_name!("tfoot")
            | local_name!("th")
            | local_name!("thead")
            | local_name!("tr") => {}
            _ => {
                if let Some(raw) = self.head_element(&tag.name) {
                    return Ok(self.head_insert(tag, raw));
                }
                self.reconstruct();
                self.insert(tag.name, tag.attrs, true);
            }
        }
        Ok(None)
    }

    /// The start tags of blocks, lists, headings and forms (the plain
    /// blocks last), which close an open `<p>`.
    #[inline]
    fn start_block(&mut self, tag: Tag) {
        match tag.name {
            local_name!("h1")
            | local_name!("h2")
            | local_name!("h3")
            | local_name!("h4")
            | local_name!("h5")
            | local_name!("h6") => {
                self.close_p_in_button_scope();
                if self.current_in(heading) {
                    self.pop();
                }
                self.insert(tag.name, tag.attrs, true);
            }
            local_name!("pre") | local_name!("listing") => {
                self.close_p_in_button_scope();
                self.insert(tag.name, tag.attrs, true);
                self.ignore_lf = true;
            }
            local_name!("form") => {
                if self.form.is_none() {
                    self.close_p_in_button_scope();
                    let id = self.insert(tag.name, tag.attrs, true);
                    self.form = Some(id);
                }
            }
            local_name!("li") | local_name!("dd") | local_name!("dt") => {
                let list = tag.name == local_name!("li");
                let mut to_close = None;
                for o in self.open.iter().rev() {
                    let closes = if list {
                        o.name == local_name!("li")
                    } else {
                        matches!(o.name, local_name!("dd") | local_name!("dt"))
                    };
                    if closes {
                        to_close = Some(o.name.clone());
                        break;
                    }
                    if is_special(&o.name)
                        && !matches!(
                            o.name,
                            local_name!("address") | local_name!("div") | local_name!("p")
                        )
                    {
                        break;
                    }
                }
                if let Some(name) = to_close {
                    self.generate_implied_end(Some(&name));
                    self.pop_until_named(&name);
                }
                self.close_p_in_button_scope();
                self.insert(tag.name, tag.attrs, true);
            }
            _ => {
                self.close_p_in_button_scope();
                self.insert(tag.name, tag.attrs, true);
            }
        }
    }

    /// The start tags of formatting elements (the plain ones last).
    #[inline]
    fn start_formatting(&mut self, tag: Tag) -> R {
        match tag.name {
            local_name!("a") => {
                if self
                    .active_since_marker()
                    .any(|(_, f)| matches!(f, Fmt::El { name, .. } if *name == local_name!("a")))
                {
                    return Err("a nested <a> (the adoption agency)");
                }
                self.reconstruct();
                self.insert_formatting(tag)?;
            }
            local_name!("nobr") => {
                self.reconstruct();
                if self.in_scope_named(Scope::Default, &local_name!("nobr")) {
                    return Err("a nested <nobr> (the adoption agency)");
                }
                self.insert_formatting(tag)?;
            }
            _ => {
                self.reconstruct();
                self.insert_formatting(tag)?;
            }
        }
        Ok(())
    }

    /// The start tags of void elements: inserted, never open.
    #[inline]
    fn start_void(&mut self, tag: Tag) {
        match tag.name {
            local_name!("param") | local_name!("source") | local_name!("track") => {}
            local_name!("hr") => self.close_p_in_button_scope(),
            _ => self.reconstruct(),
        }
        self.insert(tag.name, tag.attrs, false);
    }

    /// The start tags of elements whose content the tokenizer reads as
    /// text: the kind it reads, and the element's name.
    #[inline]
    fn start_raw(&mut self, tag: Tag) -> Option<(Raw, LocalName)> {
        match tag.name {
            local_name!("textarea") => {
                self.ignore_lf = true;
                return self.raw_insert(tag, Raw::Rcdata);
            }
            local_name!("xmp") => {
                self.close_p_in_button_scope();
                self.reconstruct();
            }
            _ => {}
        }
        self.raw_insert(tag, Raw::Rawtext)
    }

    /// `<math>` or `<svg>` in the body: foreign content begins.
    #[inline]
    fn start_foreign_root(&mut self, tag: Tag) -> R {
        self.reconstruct();
        let mut tag = tag;
        let ns = if tag.name == local_name!("svg") {
            adjust_svg_attributes(&mut tag.attrs);
            ns!(svg)
        } else {
            adjust_mathml_attributes(&mut tag.attrs);
            ns!(mathml)
        };
        adjust_foreign_attributes(&mut tag.attrs);
        self.insert_foreign(tag, ns)?;
        Ok(())
    }

    pub(crate) fn end_in_body(&mut self, name: &LocalName) -> R {
        match *name {
            local_name!("template") => return Err("a </template>"),
            // Read as `<br>`.
            local_name!("br") => {
                return self
                    .start_in_body(Tag {
                        name: local_name!("br"),
                        attrs: Vec::new(),
                        self_closing: false,
                        duplicates: false,
                    })
                    .map(drop);
            }
            local_name!("body") => {
                if self.in_scope_named(Scope::Default, &local_name!("body")) {
                    self.mode = Mode::AfterBody;
                }
            }
            local_name!("html") => {
                if self.in_scope_named(Scope::Default, &local_name!("body")) {
                    self.mode = Mode::AfterAfterBody;
                }
            }
            local_name!("address")
            | local_name!("article")
            | local_name!("aside")
            | local_name!("blockquote")
            | local_name!("button")
            | local_name!("center")
            | local_name!("details")
            | local_name!("dialog")
            | local_name!("dir")
            | local_name!("div")
            | local_name!("dl")
            | local_name!("fieldset")
            | local_name!("figcaption")
            | local_name!("figure")
            | local_name!("footer")
            | local_name!("header")
            | local_name!("hgroup")
            | local_name!("listing")
            | local_name!("main")
            | local_name!("menu")
            | local_name!("nav")
            | local_name!("ol")
            | local_name!("pre")
            | local_name!("search")
            | local_name!("section")
            | local_name!("select")
            | local_name!("summary")
            | local_name!("ul") => {
                if self.in_scope_named(Scope::Default, name) {
                    self.generate_implied_end(None);
                    self.pop_until_named(name);
                }
            }
            local_name!("form") => {
                let Some(form) = self.form.take() else {
                    return Ok(());
                };
                if !self.in_scope(Scope::Default, |o| o.id == form) {
                    return Ok(());
                }
                self.generate_implied_end(None);
                if self.current() != form {
                    return Err("a </form> with elements open inside it");
                }
                self.pop();
            }
            local_name!("p") => {
                if !self.in_scope_named(Scope::Button, &local_name!("p")) {
                    self.phantom(local_name!("p"));
                }
                self.close_p();
            }
            local_name!("li") | local_name!("dd") | local_name!("dt") => {
                let scope = if *name == local_name!("li") {
                    Scope::ListItem
                } else {
                    Scope::Default
                };
                if self.in_scope_named(scope, name) {
                    self.generate_implied_end(Some(name));
                    self.pop_until_named(name);
                }
            }
            local_name!("h1")
            | local_name!("h2")
            | local_name!("h3")
            | local_name!("h4")
            | local_name!("h5")
            | local_name!("h6") => {
                if self.in_scope(Scope::Default, |o| heading(&o.name)) {
                    self.generate_implied_end(None);
                    self.pop_until(heading);
                }
            }
            local_name!("applet") | local_name!("marquee") | local_name!("object") => {
                if self.in_scope_named(Scope::Default, name) {
                    self.generate_implied_end(None);
                    self.pop_until_named(name);
                    self.clear_active_to_marker();
                }
            }
            _ if formatting(name) => return self.adoption_agency(name),
            _ => self.any_other_end(name),
        }
        Ok(())
    }

    /// The adoption agency algorithm where it moves nothing; where it
    /// would, the page goes to html5ever.
    pub(crate) fn adoption_agency(&mut self, subject: &LocalName) -> R {
        if let Some(cur) = self.open.last()
            && cur.name == *subject
            && !self
                .active
                .iter()
                .any(|f| matches!(f, Fmt::El { id, .. } if *id == cur.id))
        {
            self.pop();
            return Ok(());
        }
        let Some((at, fmt)) = self.active_since_marker().find_map(|(i, f)| match f {
            Fmt::El { id, name, .. } if name == subject => Some((i, *id)),
            _ => None,
        }) else {
            self.any_other_end(subject);
            return Ok(());
        };
        let Some(depth) = self.open.iter().rposition(|o| o.id == fmt) else {
            self.active.remove(at);
            return Ok(());
        };
        if !self.in_scope(Scope::Default, |o| o.id == fmt) {
            return Ok(());
        }
        if self.open[depth..].iter().any(|o| is_special(&o.name)) {
            return Err("misnested formatting across a block (the adoption agency)");
        }
        self.open.truncate(depth);
        self.active.remove(at);
        Ok(())
    }

    pub(crate) fn any_other_end(&mut self, name: &LocalName) {
        for i in (0..self.open.len()).rev() {
            if self.open[i].name == *name {
                self.generate_implied_end(Some(name));
                self.open.truncate(i);
                return;
            }
            if is_special(&self.open[i].name) {
                return;
            }
        }
    }
}
