//! The sink: what the tree builder calls to build the document.
//!
//! The calls are html5ever's `TreeSink` calls, with numbers for handles,
//! made in the order html5ever's tree builder makes them, so that a sink
//! cannot tell which of the two built the document. Two sinks take them:
//! the stream's ([`crate::stream::Sink`]), which extracts as the page
//! goes by, and in the tests a recording one that keeps every call and
//! the tree they build, to compare them with html5ever's call by call.

use crate::stream::{GaveUp, Sink};
use html5ever::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::{Attribute, QualName};

/// What the fast tree builder calls on its sink.
pub(crate) trait Target {
    /// `TreeSink::create_element`.
    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> usize;
    /// `TreeSink::append` of a node.
    fn append_node(&self, parent: usize, child: usize);
    /// `TreeSink::append` of text, without making a tendril of it.
    fn append_text(&self, parent: usize, text: &str);
    /// `TreeSink::create_comment`, then `TreeSink::append` of it to
    /// `parent`.
    fn comment(&self, parent: usize, text: &str);
    /// `TreeSink::append_doctype_to_document`.
    fn doctype(&self, name: &str, public: &str, system: &str);
    /// `TreeSink::set_quirks_mode`.
    fn quirks(&self, mode: QuirksMode);
    /// The attributes element `id` was created with, for a copy of it.
    fn attrs_of(&self, id: usize) -> Vec<Attribute>;
    /// Why the sink gave up on the page, if it did.
    fn gave_up(&self) -> Option<GaveUp>;
}

/// The stream's sink takes no comment, doctype or quirks mode: none of
/// them changes what it extracts.
impl Target for Sink<'_> {
    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> usize {
        TreeSink::create_element(self, name, attrs, flags)
    }

    fn append_node(&self, parent: usize, child: usize) {
        TreeSink::append(self, &parent, NodeOrText::AppendNode(child));
    }

    fn append_text(&self, parent: usize, text: &str) {
        self.append_str(parent, text);
    }

    fn comment(&self, _parent: usize, _text: &str) {}

    fn doctype(&self, _name: &str, _public: &str, _system: &str) {}

    fn quirks(&self, _mode: QuirksMode) {}

    fn attrs_of(&self, id: usize) -> Vec<Attribute> {
        Sink::attrs_of(self, id)
    }

    fn gave_up(&self) -> Option<GaveUp> {
        Sink::gave_up(self)
    }
}
