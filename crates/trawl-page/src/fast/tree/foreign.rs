//! Foreign content: SVG and MathML, and where they let HTML back in.

use super::{Builder, Foreign, Open, Point, Tok};
use crate::fast::R;
use crate::fast::atoms::{
    SVG_TAGS, adjust_foreign_attributes, adjust_mathml_attributes, adjust_svg_attributes, camel,
};
use crate::fast::lexer::{Raw, Tag};
use crate::fast::sink::Target;
use html5ever::{LocalName, Namespace, QualName, local_name, ns};

impl<S: Target> Builder<S> {
    /// Whether the current node is SVG or MathML (where `<![CDATA[` is
    /// text).
    pub(crate) fn in_foreign(&self) -> bool {
        self.open.last().is_some_and(|o| o.foreign.is_some())
    }

    /// Whether a token goes by the rules for foreign content: the current
    /// node is SVG or MathML, and not a point that lets this token in as
    /// HTML.
    pub(crate) fn foreign_rules(&self, token: Tok) -> bool {
        let Some(f) = self.open.last().and_then(|o| o.foreign.as_ref()) else {
            return false;
        };
        match (f.point, token) {
            (Point::MathText, Tok::Text) | (Point::Svg, Tok::Text | Tok::Start(_)) => false,
            (Point::MathText, Tok::Start(name)) => {
                matches!(*name, local_name!("mglyph") | local_name!("malignmark"))
            }
            _ => true,
        }
    }

    /// Pops foreign elements until the current node is HTML or a point
    /// that lets HTML in.
    pub(crate) fn pop_to_html(&mut self) {
        while self
            .open
            .last()
            .and_then(|o| o.foreign.as_ref())
            .is_some_and(|f| f.point == Point::None)
        {
            self.open.pop();
        }
    }

    /// Creates an SVG or MathML element at the current node.
    pub(crate) fn insert_foreign(
        &mut self,
        tag: Tag,
        ns: Namespace,
    ) -> R<Option<(Raw, LocalName)>> {
        let point = match (&ns, &tag.name) {
            (&ns!(mathml), &local_name!("annotation-xml")) => {
                return Err("a MathML annotation-xml");
            }
            (
                &ns!(mathml),
                &(local_name!("mi")
                | local_name!("mo")
                | local_name!("mn")
                | local_name!("ms")
                | local_name!("mtext")),
            ) => Point::MathText,
            (
                &ns!(svg),
                &(local_name!("foreignObject") | local_name!("desc") | local_name!("title")),
            ) => Point::Svg,
            _ => Point::None,
        };
        let parent = self.current();
        let flags = self.flags();
        let id = self.sink.create_element(
            QualName::new(None, ns.clone(), tag.name.clone()),
            tag.attrs,
            flags,
        );
        self.sink.append_node(parent, id);
        if !tag.self_closing {
            self.open.push(Open {
                id,
                name: local_name!(""),
                foreign: Some(Foreign {
                    ns,
                    local: tag.name,
                    point,
                }),
            });
        }
        Ok(None)
    }

    /// A start tag by the rules for foreign content.
    pub(crate) fn foreign_start(&mut self, mut tag: Tag) -> R<Option<(Raw, LocalName)>> {
        let breaks_out = matches!(
            tag.name,
            local_name!("b")
                | local_name!("big")
                | local_name!("blockquote")
                | local_name!("body")
                | local_name!("br")
                | local_name!("center")
                | local_name!("code")
                | local_name!("dd")
                | local_name!("div")
                | local_name!("dl")
                | local_name!("dt")
                | local_name!("em")
                | local_name!("embed")
                | local_name!("h1")
                | local_name!("h2")
                | local_name!("h3")
                | local_name!("h4")
                | local_name!("h5")
                | local_name!("h6")
                | local_name!("head")
                | local_name!("hr")
                | local_name!("i")
                | local_name!("img")
                | local_name!("li")
                | local_name!("listing")
                | local_name!("menu")
                | local_name!("meta")
                | local_name!("nobr")
                | local_name!("ol")
                | local_name!("p")
                | local_name!("pre")
                | local_name!("ruby")
                | local_name!("s")
                | local_name!("small")
                | local_name!("span")
                | local_name!("strong")
                | local_name!("strike")
                | local_name!("sub")
                | local_name!("sup")
                | local_name!("table")
                | local_name!("tt")
                | local_name!("u")
                | local_name!("ul")
                | local_name!("var")
        ) || (tag.name == local_name!("font")
            && tag.attrs.iter().any(|a| {
                a.name.ns == ns!()
                    && matches!(
                        a.name.local,
                        local_name!("color") | local_name!("face") | local_name!("size")
                    )
            }));
        if breaks_out {
            self.pop_to_html();
            return self.start_mode(tag);
        }
        let Some(ns) = self
            .open
            .last()
            .and_then(|o| o.foreign.as_ref())
            .map(|f| f.ns.clone())
        else {
            return Err("an unexpected insertion mode");
        };
        if ns == ns!(svg) {
            if let Some(name) = camel(SVG_TAGS, &tag.name) {
                tag.name = name;
            }
            adjust_svg_attributes(&mut tag.attrs);
        } else {
            adjust_mathml_attributes(&mut tag.attrs);
        }
        adjust_foreign_attributes(&mut tag.attrs);
        self.insert_foreign(tag, ns)
    }

    /// An end tag by the rules for foreign content.
    pub(crate) fn foreign_end(&mut self, name: &LocalName) -> R {
        if matches!(*name, local_name!("br") | local_name!("p")) {
            self.pop_to_html();
            return self.end_mode(name);
        }
        let mut first = true;
        for at in (1..self.open.len()).rev() {
            let o = &self.open[at];
            let local = match &o.foreign {
                Some(f) => &f.local,
                None if !first => return self.end_mode(name),
                None => &o.name,
            };
            if local.eq_ignore_ascii_case(name) {
                self.open.truncate(at);
                return Ok(());
            }
            first = false;
        }
        Ok(())
    }
}
