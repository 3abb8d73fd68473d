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
/// previous sibling), so that a node costs no allocation of its own for
/// them: the fast reader only appends, so a node is linked once.
pub(crate) struct BNode {
    /// An element's local name; `None` for the document and texts.
    pub name: Option<QualName>,
    pub attrs: Vec<Attribute>,
    /// A text node's text.
    pub text: String,
    first: u32,
    last: u32,
    next: u32,
    prev: u32,
}

/// No node.
const NONE: u32 = u32::MAX;

impl BNode {
    fn new(name: Option<QualName>, attrs: Vec<Attribute>, text: String) -> BNode {
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
    nodes: RefCell<Vec<BNode>>,
}

impl Built {
    /// A sink for a page of `len` bytes.
    pub(crate) fn new(len: usize) -> Built {
        // About one node for every 40 bytes of a real page.
        let mut nodes = Vec::with_capacity(len / 40 + 16);
        nodes.push(BNode::new(None, Vec::new(), String::new()));
        Built {
            nodes: RefCell::new(nodes),
        }
    }

    /// The nodes, the document first.
    pub(crate) fn into_nodes(self) -> Vec<BNode> {
        self.nodes.into_inner()
    }
}

impl Target for Built {
    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, _flags: ElementFlags) -> usize {
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(BNode::new(Some(name), attrs, String::new()));
        nodes.len() - 1
    }

    fn append_node(&self, parent: usize, child: usize) {
        link(&mut self.nodes.borrow_mut(), parent, child);
    }

    fn append_text(&self, parent: usize, text: &str) {
        let mut nodes = self.nodes.borrow_mut();
        // Text appended after text joins it, as html5ever's sinks do.
        if let Some(last) = nodes.get(parent).map(|p| p.last)
            && last != NONE
            && last != 0
            && nodes[last as usize].name.is_none()
        {
            nodes[last as usize].text.push_str(text);
            return;
        }
        nodes.push(BNode::new(None, Vec::new(), text.to_owned()));
        let id = nodes.len() - 1;
        link(&mut nodes, parent, id);
    }

    fn comment(&self, _parent: usize, _text: &str) {}

    fn doctype(&self, _name: &str, _public: &str, _system: &str) {}

    fn quirks(&self, _mode: QuirksMode) {}

    fn attrs_of(&self, id: usize) -> Vec<Attribute> {
        self.nodes
            .borrow()
            .get(id)
            .map(|n| n.attrs.clone())
            .unwrap_or_default()
    }

    fn gave_up(&self) -> Option<GaveUp> {
        None
    }
}
