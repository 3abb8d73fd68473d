//! The page as trawl's own tree builder builds it, for `--content`: a sink
//! that keeps every node the fast reader appends, so that the main content
//! is read without html5ever's tree, several times dearer to build.
//!
//! The fast reader makes exactly the calls html5ever's tree builder makes
//! (the conformance tests hold that) and only appends, never moves a node;
//! a page that would need a move it gives up on, and that page is read
//! from html5ever's tree instead. So the tree here is the tree scraper
//! would build, and the content read from it the same (a test compares
//! the two on the gold sample).

use crate::fast::Target;
use crate::stream::GaveUp;
use html5ever::tree_builder::{ElementFlags, QuirksMode};
use html5ever::{Attribute, QualName};
use std::cell::RefCell;

/// One node: the document (index 0), an element or a text. Its children
/// are a list linked through the nodes (first and last child, next and
/// previous sibling), and its attributes and text are runs of the page's
/// two arenas ([`Nodes`]), so that a node costs no allocation of its own:
/// the fast reader only appends, so a node is linked once and its
/// attributes and text are written once, at the arenas' ends.
pub(crate) struct BNode {
    /// An element's local name; `None` for the document and texts.
    pub name: Option<QualName>,
    /// Where its attributes start in [`Nodes::attrs`], and how many.
    attrs: (u32, u32),
    /// Where a text node's text starts in [`Nodes::text`], and its length.
    text: (u32, u32),
    first: u32,
    last: u32,
    next: u32,
    prev: u32,
}

/// No node.
const NONE: u32 = u32::MAX;

impl BNode {
    fn new(name: Option<QualName>, attrs: (u32, u32), text: (u32, u32)) -> BNode {
        BNode {
            name,
            attrs,
            text,
            first: NONE,
            last: NONE,
            next: NONE,
            prev: NONE,
        }
    }
}

/// The built page: its nodes, the document first, and the arenas their
/// attributes and texts lie in. It derefs to the nodes.
pub(crate) struct Nodes {
    nodes: Vec<BNode>,
    attrs: Vec<Attribute>,
    text: String,
}

impl Nodes {
    /// A node's attributes (none for the document and texts).
    pub(crate) fn attrs(&self, n: &BNode) -> &[Attribute] {
        let (at, len) = (n.attrs.0 as usize, n.attrs.1 as usize);
        self.attrs.get(at..at + len).unwrap_or_default()
    }

    /// A text node's text (empty for the document and elements).
    pub(crate) fn text(&self, n: &BNode) -> &str {
        let (at, len) = (n.text.0 as usize, n.text.1 as usize);
        self.text.get(at..at + len).unwrap_or_default()
    }
}

impl std::ops::Deref for Nodes {
    type Target = [BNode];

    fn deref(&self) -> &[BNode] {
        &self.nodes
    }
}

/// The children of node `i`, first to last (or, reversed, last to first).
pub(crate) fn children(built: &[BNode], i: usize) -> Children<'_> {
    let (front, back) = built.get(i).map_or((NONE, NONE), |n| (n.first, n.last));
    Children { built, front, back }
}

/// See [`children`].
pub(crate) struct Children<'b> {
    built: &'b [BNode],
    front: u32,
    back: u32,
}

impl Iterator for Children<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.front == NONE {
            return None;
        }
        let at = self.front;
        if at == self.back {
            (self.front, self.back) = (NONE, NONE);
        } else {
            self.front = self.built[at as usize].next;
        }
        Some(at as usize)
    }
}

impl DoubleEndedIterator for Children<'_> {
    fn next_back(&mut self) -> Option<usize> {
        if self.back == NONE {
            return None;
        }
        let at = self.back;
        if at == self.front {
            (self.front, self.back) = (NONE, NONE);
        } else {
            self.back = self.built[at as usize].prev;
        }
        Some(at as usize)
    }
}

/// Links `child` (linked nowhere yet) as the last child of `parent`.
fn link(nodes: &mut [BNode], parent: usize, child: usize) {
    let (Ok(c), true) = (
        u32::try_from(child),
        parent < nodes.len() && child < nodes.len(),
    ) else {
        return;
    };
    let last = nodes[parent].last;
    nodes[child].prev = last;
    if last == NONE {
        nodes[parent].first = c;
    } else {
        nodes[last as usize].next = c;
    }
    nodes[parent].last = c;
}

/// The sink.
pub(crate) struct Built {
    page: RefCell<Nodes>,
    /// The arenas outgrew their 32-bit offsets (a page of gigabytes).
    too_big: std::cell::Cell<bool>,
}

impl Built {
    /// A sink for a page of `len` bytes.
    pub(crate) fn new(len: usize) -> Built {
        // Room for a dense page, so that the lists seldom move as they
        // grow: the 106 pages of the Python docs hold a node for every 23
        // bytes, an attribute for every 46, and text for about a quarter of their
        // bytes. Room never written is address space, not memory.
        let mut nodes = Vec::with_capacity(len / 20 + 16);
        nodes.push(BNode::new(None, (0, 0), (0, 0)));
        Built {
            page: RefCell::new(Nodes {
                nodes,
                attrs: Vec::with_capacity(len / 40 + 16),
                text: String::with_capacity(len / 3 + 16),
            }),
            too_big: std::cell::Cell::new(false),
        }
    }

    /// The page built.
    pub(crate) fn into_nodes(self) -> Nodes {
        self.page.into_inner()
    }
}

/// `at` as an arena offset, or `None` past 4 GiB.
fn offset(at: usize) -> Option<u32> {
    u32::try_from(at).ok()
}

impl Target for Built {
    fn create_element(
        &self,
        name: QualName,
        mut attrs: Vec<Attribute>,
        _flags: ElementFlags,
    ) -> usize {
        let mut page = self.page.borrow_mut();
        let page = &mut *page;
        let run = match (offset(page.attrs.len()), offset(attrs.len())) {
            (Some(at), Some(len)) => {
                page.attrs.append(&mut attrs);
                (at, len)
            }
            _ => {
                // Still a node, so that the tree stays whole until the
                // reader sees the sink gave up.
                self.too_big.set(true);
                attrs.clear();
                (0, 0)
            }
        };
        // The emptied list goes back to the reader, for the next tag.
        crate::stream::give_back_tag_attrs(attrs);
        page.nodes.push(BNode::new(Some(name), run, (0, 0)));
        page.nodes.len() - 1
    }

    fn append_node(&self, parent: usize, child: usize) {
        link(&mut self.page.borrow_mut().nodes, parent, child);
    }

    fn append_text(&self, parent: usize, text: &str) {
        let mut page = self.page.borrow_mut();
        let page = &mut *page;
        let end = page.text.len();
        let Some(grown) = offset(end + text.len()) else {
            self.too_big.set(true);
            return;
        };
        // Text appended after text joins it, as html5ever's sinks do. The
        // text before is the arena's last (the reader only appends), but
        // should it not be, it is copied to the end first.
        if let Some(last) = page.nodes.get(parent).map(|p| p.last)
            && last != NONE
            && last != 0
            && page.nodes[last as usize].name.is_none()
        {
            let (at, len) = page.nodes[last as usize].text;
            if (at + len) as usize != end {
                let Some(grown) = offset(end + len as usize + text.len()) else {
                    self.too_big.set(true);
                    return;
                };
                let before = page.text[at as usize..(at + len) as usize].to_owned();
                page.text.push_str(&before);
                page.text.push_str(text);
                page.nodes[last as usize].text = (end as u32, grown - end as u32);
            } else {
                page.text.push_str(text);
                page.nodes[last as usize].text = (at, grown - at);
            }
            return;
        }
        page.text.push_str(text);
        page.nodes
            .push(BNode::new(None, (0, 0), (end as u32, grown - end as u32)));
        let id = page.nodes.len() - 1;
        link(&mut page.nodes, parent, id);
    }

    fn comment(&self, _parent: usize, _text: &str) {}

    fn doctype(&self, _name: &str, _public: &str, _system: &str) {}

    fn quirks(&self, _mode: QuirksMode) {}

    fn attrs_of(&self, id: usize) -> Vec<Attribute> {
        let page = self.page.borrow();
        page.nodes
            .get(id)
            .map(|n| page.attrs(n).to_vec())
            .unwrap_or_default()
    }

    fn gave_up(&self) -> Option<GaveUp> {
        self.too_big
            .get()
            .then_some("the page's text or attributes are past 4 GiB")
    }
}

#[cfg(test)]
mod tests {
    use super::{Built, Target, children};
    use html5ever::tree_builder::ElementFlags;
    use html5ever::{Attribute, QualName, local_name, ns};

    fn element(b: &Built, name: html5ever::LocalName, attrs: Vec<Attribute>) -> usize {
        b.create_element(
            QualName::new(None, ns!(html), name),
            attrs,
            ElementFlags::default(),
        )
    }

    #[test]
    fn texts_and_attributes_lie_in_the_arenas_as_appended() {
        let b = Built::new(64);
        let class = Attribute {
            name: QualName::new(None, ns!(), local_name!("class")),
            value: "lead".into(),
        };
        let (p, q) = (
            element(&b, local_name!("p"), vec![class]),
            element(&b, local_name!("p"), Vec::new()),
        );
        b.append_node(0, p);
        b.append_node(0, q);
        b.append_text(p, "one ");
        b.append_text(q, "two");
        // Text after text joins it, though another text came between.
        b.append_text(p, "three");
        b.append_text(q, " four");
        assert_eq!(b.attrs_of(p).len(), 1);
        let page = b.into_nodes();
        let texts =
            |at: usize| -> Vec<&str> { children(&page, at).map(|c| page.text(&page[c])).collect() };
        assert_eq!(texts(p), ["one three"]);
        assert_eq!(texts(q), ["two four"]);
        assert_eq!(&*page.attrs(&page[p])[0].value, "lead");
        assert!(page.attrs(&page[q]).is_empty());
        assert_eq!(page.text(&page[p]), "");
    }
}
