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

/// One node: the document (index 0), an element or a text.
pub(crate) struct BNode {
    /// An element's local name; `None` for the document and texts.
    pub name: Option<QualName>,
    pub attrs: Vec<Attribute>,
    /// A text node's text.
    pub text: String,
    pub children: Vec<usize>,
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
        nodes.push(BNode {
            name: None,
            attrs: Vec::new(),
            text: String::new(),
            children: Vec::new(),
        });
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
        nodes.push(BNode {
            name: Some(name),
            attrs,
            text: String::new(),
            children: Vec::new(),
        });
        nodes.len() - 1
    }

    fn append_node(&self, parent: usize, child: usize) {
        if let Some(p) = self.nodes.borrow_mut().get_mut(parent) {
            p.children.push(child);
        }
    }

    fn append_text(&self, parent: usize, text: &str) {
        let mut nodes = self.nodes.borrow_mut();
        // Text appended after text joins it, as html5ever's sinks do.
        if let Some(&last) = nodes.get(parent).and_then(|p| p.children.last())
            && nodes[last].name.is_none()
            && last != 0
        {
            nodes[last].text.push_str(text);
            return;
        }
        nodes.push(BNode {
            name: None,
            attrs: Vec::new(),
            text: text.to_owned(),
            children: Vec::new(),
        });
        let id = nodes.len() - 1;
        if let Some(p) = nodes.get_mut(parent) {
            p.children.push(id);
        }
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
