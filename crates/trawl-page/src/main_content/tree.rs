//! The page as the main-content reader sees it: a flat copy of scraper's
//! tree in document order, without what is never content (scripts,
//! styles, hidden elements, form controls, `--content-exclude`), with the
//! amount of text under each node counted.
//!
//! Flat and in document order, a node's descendants are the nodes after it
//! up to its `end`: every pass over the page is a loop, not a recursion, so
//! a page of a million nested `<div>`s costs time, never the stack.

use crate::select::Expect;
use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node};

/// One node of the page.
pub(super) struct N<'a> {
    /// The element, or `None` for a text node.
    pub el: Option<ElementRef<'a>>,
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
    parent: usize,
    /// Letters and digits of a text node's own text.
    own: u32,
    /// Inside an `<a>`.
    in_link: bool,
    /// Neither removed nor inside a removed node (set by [`count`]).
    live: bool,
}

impl N<'_> {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.el.and_then(|e| e.value().attr(name))
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

/// Tells whether the page hides the element from a reader: `hidden`,
/// `aria-hidden="true"`, or an inline `display: none` or
/// `visibility: hidden`.
pub(super) fn hidden(el: ElementRef<'_>) -> bool {
    let e = el.value();
    if e.attr("hidden").is_some() {
        return true;
    }
    if e.attr("aria-hidden")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    {
        return true;
    }
    e.attr("style").is_some_and(|style| {
        let squeezed: String = style
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect();
        squeezed.contains("display:none") || squeezed.contains("visibility:hidden")
    })
}

/// Counts what [`N::chars`] counts in `text`.
pub(super) fn count_chars(text: &str) -> u32 {
    let n = text.chars().filter(|c| c.is_alphanumeric()).count();
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
                        el: Some(el),
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

/// Sets [`N::chars`] and [`N::link_chars`] of every node, leaving out the
/// removed ones: forwards to see which nodes are live, then backwards, each
/// node adding its totals to its parent's.
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
        let (chars, links, p) = (nodes[i].chars, nodes[i].link_chars, nodes[i].parent);
        if nodes[i].live && p != usize::MAX {
            nodes[p].chars += chars;
            nodes[p].link_chars += links;
        }
    }
    for n in nodes.iter_mut().filter(|n| !n.live) {
        n.chars = 0;
        n.link_chars = 0;
    }
}
