//! The page as the main-content reader sees it: a flat copy of scraper's
//! tree in document order, without what is never content (scripts,
//! styles, hidden elements, form controls, `--content-exclude`), with the
//! amount of text under each node counted.
//!
//! Flat and in document order, a node's descendants are the nodes after it
//! up to its `end`: every pass over the page is a loop, not a recursion, so
//! a page of a million nested `<div>`s costs time, never the stack.

use super::built::{Children, Nodes, children};
use crate::select::Expect;
use ego_tree::iter::Edge;
use html5ever::{Attribute, ns};
use scraper::{ElementRef, Html, Node};

/// An element of either tree: scraper's, or the fast reader's.
#[derive(Clone, Copy)]
pub(super) enum El<'a> {
    Tree(ElementRef<'a>),
    Built(&'a [Attribute]),
}

impl<'a> El<'a> {
    pub fn attr(self, name: &str) -> Option<&'a str> {
        match self {
            El::Tree(e) => e.value().attr(name),
            El::Built(attrs) => attrs
                .iter()
                .find(|a| a.name.ns == ns!() && &*a.name.local == name)
                .map(|a| &*a.value),
        }
    }
}

/// The attributes the boilerplate pass reads, from one walk over an
/// element's attributes.
#[derive(Clone, Copy, Default)]
pub(super) struct Marks<'a> {
    pub class: Option<&'a str>,
    pub id: Option<&'a str>,
    pub role: Option<&'a str>,
    style: Option<&'a str>,
    hidden: bool,
    aria_hidden: Option<&'a str>,
}

impl<'a> Marks<'a> {
    pub fn of(e: El<'a>) -> Marks<'a> {
        let mut m = Marks::default();
        let mut take = |name: &str, value: &'a str| match name {
            "class" => m.class = m.class.or(Some(value)),
            "id" => m.id = m.id.or(Some(value)),
            "role" => m.role = m.role.or(Some(value)),
            "style" => m.style = m.style.or(Some(value)),
            "hidden" => m.hidden = true,
            "aria-hidden" => m.aria_hidden = m.aria_hidden.or(Some(value)),
            _ => {}
        };
        match e {
            El::Tree(e) => e.value().attrs().for_each(|(k, v)| take(k, v)),
            El::Built(attrs) => attrs
                .iter()
                .filter(|a| a.name.ns == ns!())
                .for_each(|a| take(&a.name.local, &a.value)),
        }
        m
    }

    /// Tells whether the page hides the element from a reader: `hidden`,
    /// `aria-hidden="true"`, a class that hides it at every width
    /// (`class_hides`: [`hidden_by_class`] of its class list, which the
    /// caller keeps once a page for each list), or an inline
    /// `display: none` or `visibility: hidden`.
    pub fn hidden(&self, class_hides: bool) -> bool {
        self.hidden
            || self
                .aria_hidden
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
            || class_hides
            || self.style.is_some_and(|style| {
                let squeezed: String = style
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .flat_map(char::to_lowercase)
                    .collect();
                squeezed.contains("display:none") || squeezed.contains("visibility:hidden")
            })
    }
}

/// One node of the page.
pub(super) struct N<'a> {
    /// The element, or `None` for a text node.
    pub el: Option<El<'a>>,
    /// A text node's text (empty for an element).
    pub text: &'a str,
    /// The element's local name, lower case (empty for text).
    pub name: &'a str,
    /// One past the last of its descendants.
    pub end: usize,
    /// Letters and digits of the text under it (whitespace and punctuation
    /// left out), and how many of them are inside links.
    pub chars: u32,
    pub link_chars: u32,
    /// Left out of the main content, with everything under it.
    pub removed: bool,
    /// The parent's index (`usize::MAX` for the first node).
    pub parent: usize,
    /// Letters and digits of a text node's own text.
    pub own: u32,
    /// Inside an `<a>`.
    in_link: bool,
    /// Neither removed nor inside a removed node (set by [`count`]).
    live: bool,
}

impl N<'_> {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.el.and_then(|e| e.attr(name))
    }

    /// The text under it that is not inside a link.
    pub fn plain_chars(&self) -> u32 {
        self.chars - self.link_chars
    }
}

/// Elements never read as content, with all they hold.
fn never_content(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "template"
            | "head"
            | "svg"
            | "math"
            | "iframe"
            | "frame"
            | "object"
            | "embed"
            | "canvas"
            | "button"
            | "select"
            | "option"
            | "input"
            | "textarea"
            | "dialog"
            | "link"
            | "meta"
    )
}

/// Tells whether a class list hides its element at every screen size:
/// the hiding classes of CSS frameworks and sites (`hidden`, `d-none`,
/// `sr-only`, Amazon's `a-hidden`), unless another class shows it again
/// from some width on (`d-none d-md-block`, Tailwind's `hidden md:flex`).
pub(super) fn hidden_by_class(class: &str) -> bool {
    let mut hides = false;
    for c in class.split_ascii_whitespace() {
        if c.contains(':') || (c.starts_with("d-") && c != "d-none") {
            return false;
        }
        hides |= matches!(
            c,
            "hidden"
                | "hide"
                | "d-none"
                | "is-hidden"
                | "a-hidden"
                | "aok-hidden"
                | "sr-only"
                | "visually-hidden"
                | "screen-reader-text"
        );
    }
    hides
}

/// Counts what [`N::chars`] counts in `text`.
pub(super) fn count_chars(text: &str) -> u32 {
    let n = if text.is_ascii() {
        text.bytes().filter(u8::is_ascii_alphanumeric).count()
    } else {
        text.chars().filter(|c| c.is_alphanumeric()).count()
    };
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The page under `<body>` (or the whole document when it has none), with
/// what is never content and what `exclude` matches left out.
pub(super) fn flatten<'a>(doc: &'a Html, exclude: &[Expect]) -> Vec<N<'a>> {
    let root = doc
        .root_element()
        .children()
        .filter_map(ElementRef::wrap)
        .find(|e| e.value().name() == "body")
        .unwrap_or_else(|| doc.root_element());
    let mut nodes: Vec<N<'a>> = Vec::new();
    // Open elements, by index in `nodes`.
    let mut open: Vec<usize> = Vec::new();
    let mut skip: Option<ego_tree::NodeId> = None;
    for edge in root.traverse() {
        match edge {
            Edge::Open(node) if skip.is_none() => match node.value() {
                Node::Text(t) => {
                    let parent = open.last().copied().unwrap_or(usize::MAX);
                    nodes.push(N {
                        el: None,
                        text: t,
                        name: "",
                        end: nodes.len() + 1,
                        chars: 0,
                        link_chars: 0,
                        removed: false,
                        parent,
                        own: count_chars(t),
                        in_link: parent != usize::MAX && nodes[parent].in_link,
                        live: true,
                    });
                }
                Node::Element(e) => {
                    let Some(el) = ElementRef::wrap(node) else {
                        continue;
                    };
                    let name = e.name();
                    if never_content(name) || exclude.iter().any(|x| x.matches(el)) {
                        skip = Some(node.id());
                        continue;
                    }
                    let parent = open.last().copied().unwrap_or(usize::MAX);
                    let in_link = name == "a" || parent != usize::MAX && nodes[parent].in_link;
                    open.push(nodes.len());
                    nodes.push(N {
                        el: Some(El::Tree(el)),
                        text: "",
                        name,
                        end: 0,
                        chars: 0,
                        link_chars: 0,
                        removed: false,
                        parent,
                        own: 0,
                        in_link,
                        live: true,
                    });
                }
                Node::Fragment => skip = Some(node.id()),
                _ => {}
            },
            Edge::Close(node) if skip == Some(node.id()) => skip = None,
            Edge::Close(node) if skip.is_none() && node.value().is_element() => {
                if let Some(i) = open.pop() {
                    nodes[i].end = nodes.len();
                }
            }
            _ => {}
        }
    }
    count(&mut nodes);
    nodes
}

/// As [`flatten`], for the fast reader's tree.
pub(super) fn flatten_built(built: &Nodes) -> Vec<N<'_>> {
    let is = |i: usize, name: &str| built[i].name.as_ref().is_some_and(|q| &*q.local == name);
    let Some(html) = children(built, 0).find(|&c| built[c].name.is_some()) else {
        return Vec::new();
    };
    let root = children(built, html)
        .find(|&c| is(c, "body"))
        .unwrap_or(html);
    let mut nodes: Vec<N<'_>> = Vec::with_capacity(built.len());
    // (its index in `nodes`, its children still to visit)
    let mut stack: Vec<(usize, Children<'_>)> = Vec::new();
    fn push<'a>(
        built: &'a Nodes,
        b: usize,
        nodes: &mut Vec<N<'a>>,
        stack: &mut Vec<(usize, Children<'a>)>,
    ) {
        let parent = stack.last().map_or(usize::MAX, |s| s.0);
        let in_parent_link = parent != usize::MAX && nodes[parent].in_link;
        let node = &built[b];
        match &node.name {
            None => nodes.push(N {
                el: None,
                text: built.text(node),
                name: "",
                end: nodes.len() + 1,
                chars: 0,
                link_chars: 0,
                removed: false,
                parent,
                own: count_chars(built.text(node)),
                in_link: in_parent_link,
                live: true,
            }),
            Some(q) => {
                let name: &str = &q.local;
                if never_content(name) {
                    return;
                }
                stack.push((nodes.len(), children(built, b)));
                nodes.push(N {
                    el: Some(El::Built(built.attrs(node))),
                    text: "",
                    name,
                    end: 0,
                    chars: 0,
                    link_chars: 0,
                    removed: false,
                    parent,
                    own: 0,
                    in_link: name == "a" || in_parent_link,
                    live: true,
                });
            }
        }
    }
    push(built, root, &mut nodes, &mut stack);
    while let Some(top) = stack.last_mut() {
        if let Some(child) = top.1.next() {
            push(built, child, &mut nodes, &mut stack);
        } else {
            let at = top.0;
            nodes[at].end = nodes.len();
            stack.pop();
        }
    }
    count(&mut nodes);
    nodes
}

/// The text under node `i`, as written (scripts and the like are not in
/// the page).
pub(super) fn text_under(nodes: &[N<'_>], i: usize) -> String {
    let mut out = String::new();
    for n in &nodes[i + 1..nodes[i].end.max(i + 1)] {
        if n.el.is_none() {
            out.push_str(n.text);
        }
    }
    out
}

/// Sets [`N::chars`] and [`N::link_chars`] of every node, leaving out the
/// removed ones: forwards to see which nodes are live, then backwards, each
/// live node adding its totals to its parent's. A node's descendants come
/// after it, so when the backward pass reaches it they have all been added;
/// a node not live had none added (its descendants are not live either),
/// and its own totals are zeroed there.
pub(super) fn count(nodes: &mut [N<'_>]) {
    for i in 0..nodes.len() {
        let p = nodes[i].parent;
        let parent_live = p == usize::MAX || nodes[p].live;
        let n = &mut nodes[i];
        n.live = parent_live && !n.removed;
        n.chars = n.own;
        n.link_chars = if n.in_link { n.own } else { 0 };
    }
    for i in (0..nodes.len()).rev() {
        let n = &mut nodes[i];
        if !n.live {
            (n.chars, n.link_chars) = (0, 0);
            continue;
        }
        let (chars, links, p) = (n.chars, n.link_chars, n.parent);
        if let Some(parent) = nodes.get_mut(p) {
            parent.chars += chars;
            parent.link_chars += links;
        }
    }
}

/// [`count`] again after nodes were removed; nothing to do when none was
/// since the last count (a node removed since is still marked live), as
/// on most pages after the later passes.
pub(super) fn recount(nodes: &mut [N<'_>]) {
    if nodes.iter().any(|n| n.removed && n.live) {
        count(nodes);
    }
}

#[cfg(test)]
mod tests {
    use super::hidden_by_class;

    #[test]
    fn classes_that_hide_at_every_width() {
        assert!(hidden_by_class("a-section a-hidden"));
        assert!(hidden_by_class("sr-only"));
        assert!(hidden_by_class("d-none"));
        assert!(!hidden_by_class("d-none d-md-block"));
        assert!(!hidden_by_class("hidden md:flex"));
        assert!(!hidden_by_class("hidden-xs"));
        assert!(!hidden_by_class("content"));
    }
}
