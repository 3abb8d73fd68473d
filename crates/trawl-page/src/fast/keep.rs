//! Which attributes the lexer keeps: those the run's plan can look at.

use crate::Plan;
use html5ever::LocalName;

/// The attributes the sink can look at, by the run's plan: the rest are
/// skipped unread (values not decoded, names not interned). What each
/// selector looks at was worked out when it was compiled
/// ([`crate::select::AttributeUse`]); this turns it into a table by
/// element, once a page.
pub(crate) struct Keep<'p> {
    /// `--meta`, or a selector that may look at any attribute.
    pub(crate) all: bool,
    /// Kept on every element.
    pub(crate) any: Vec<&'p str>,
    /// Elements with attributes of their own kept: each with all it keeps
    /// (`any` included).
    pub(crate) tags: Vec<(LocalName, Vec<&'p str>)>,
}

/// What trawl itself looks at, whatever the selectors: links and `<base>`;
/// `<input type=hidden>` in a table; a `<font>` that leaves SVG.
pub(crate) const ALWAYS: [(&[&str], &[&str]); 3] = [
    (&["a", "area", "base"], &["href"]),
    (&["input"], &["type"]),
    (&["font"], &["color", "face", "size"]),
];

impl<'p> Keep<'p> {
    pub(crate) fn for_plan(plan: &'p Plan) -> Keep<'p> {
        let uses = || {
            plan.selections
                .iter()
                .map(|s| s.attribute_uses())
                .chain(plan.expect.iter().map(|e| e.attribute_uses()))
        };
        let all = plan.meta || uses().any(|u| u.is_none());
        let uses = || uses().flatten().flatten();
        let mut any: Vec<&str> = Vec::new();
        for u in uses().filter(|u| u.elements.is_none()) {
            any.extend(u.attributes.iter().map(String::as_str));
        }
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        for (tags, attrs) in ALWAYS {
            for tag in tags {
                pairs.extend(attrs.iter().map(|a| (*tag, *a)));
            }
        }
        for u in uses() {
            for tag in u.elements.iter().flatten() {
                pairs.extend(u.attributes.iter().map(|a| (tag.as_str(), a.as_str())));
                // `<image>` becomes `<img>` in HTML but stays `<image>` in
                // SVG; the tokenizer does not know which, so it keeps what
                // either would want.
                if tag == "img" {
                    pairs.extend(u.attributes.iter().map(|a| ("image", a.as_str())));
                }
            }
        }
        let mut tags: Vec<(LocalName, Vec<&str>)> = Vec::new();
        for (tag, attr) in pairs {
            let tag = LocalName::from(tag);
            let at = match tags.iter().position(|(t, _)| *t == tag) {
                Some(at) => at,
                None => {
                    tags.push((tag, any.clone()));
                    tags.len() - 1
                }
            };
            tags[at].1.push(attr);
        }
        Keep { all, any, tags }
    }

    /// Attribute `name` (as written, any case) of element `tag` (lower
    /// case).
    #[cfg(test)]
    pub(crate) fn wants(&self, tag: &str, name: &str) -> bool {
        self.for_tag(&LocalName::from(tag)).wants(name)
    }

    /// The attributes kept of element `tag`.
    pub(crate) fn for_tag(&self, tag: &LocalName) -> TagKeep<'_> {
        let names = match self.tags.iter().find(|(t, _)| t == tag) {
            Some((_, names)) => names,
            None => &self.any,
        };
        TagKeep {
            all: self.all,
            names,
            foreign: true,
        }
    }
}

/// The attributes kept of one element ([`Keep::for_tag`]).
pub(crate) struct TagKeep<'k> {
    pub(crate) all: bool,
    pub(crate) names: &'k [&'k str],
    /// Names with a `:`, which may become foreign attributes.
    pub(crate) foreign: bool,
}

impl TagKeep<'_> {
    /// Nothing kept: an end tag's attributes.
    pub(crate) const NONE: TagKeep<'static> = TagKeep {
        all: false,
        names: &[],
        foreign: false,
    };

    /// Attribute `name` (as written, any case). One with a `:` may become
    /// a foreign attribute (`xlink:href`), so it is kept.
    #[inline]
    pub(crate) fn wants(&self, name: &str) -> bool {
        self.all
            || self
                .names
                .iter()
                .any(|a| a.len() == name.len() && a.eq_ignore_ascii_case(name))
            || (self.foreign && name.as_bytes().contains(&b':'))
    }
}
