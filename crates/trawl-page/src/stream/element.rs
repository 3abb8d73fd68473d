//! The stream's elements as the selector matcher sees them.

use super::{Node, Ns, Place, linked};
use html5ever::{Attribute, local_name};
use scraper::selector::{CssLocalName, CssString, NonTSPseudoClass, PseudoElement, Simple};
use selectors::attr::{AttrSelectorOperation, CaseSensitivity, NamespaceConstraint};
use selectors::bloom::BloomFilter;
use selectors::matching::{ElementSelectorFlags, MatchingContext};
use selectors::{Element, OpaqueElement};

/// An element of the stream, for the selector matcher: it knows its
/// attributes and its ancestors, which is all a streamed selector asks.
#[derive(Clone, Copy)]
pub(super) struct El<'a> {
    pub(super) nodes: &'a [Node],
    pub(super) attrs: &'a [Attribute],
    pub(super) id: usize,
}

impl std::fmt::Debug for El<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{}>", self.node().local)
    }
}

impl<'a> El<'a> {
    fn node(&self) -> &'a Node {
        &self.nodes[self.id]
    }

    fn attrs(&self) -> &'a [Attribute] {
        self.node().attrs.of(self.attrs)
    }
}

impl Element for El<'_> {
    type Impl = Simple;

    fn opaque(&self) -> OpaqueElement {
        OpaqueElement::new(self.node())
    }

    fn parent_element(&self) -> Option<Self> {
        linked(self.node().parent).map(|id| El {
            nodes: self.nodes,
            attrs: self.attrs,
            id,
        })
    }

    fn parent_node_is_shadow_root(&self) -> bool {
        false
    }

    fn containing_shadow_host(&self) -> Option<Self> {
        None
    }

    fn is_pseudo_element(&self) -> bool {
        false
    }

    fn is_part(&self, _name: &CssLocalName) -> bool {
        false
    }

    fn is_same_type(&self, other: &Self) -> bool {
        let (a, b) = (self.node(), other.node());
        a.local == b.local && a.ns == b.ns
    }

    fn imported_part(&self, _: &CssLocalName) -> Option<CssLocalName> {
        None
    }

    // Earlier siblings have all arrived (only their names are kept once
    // closed: enough for `:nth-child()` and `:nth-of-type()`); later ones,
    // children and emptiness are not known on arrival, and selectors that
    // ask for them are never streamed (`select::not_streamable`).
    fn prev_sibling_element(&self) -> Option<Self> {
        linked(self.node().prev).map(|id| El {
            nodes: self.nodes,
            attrs: self.attrs,
            id,
        })
    }

    fn next_sibling_element(&self) -> Option<Self> {
        None
    }

    fn first_element_child(&self) -> Option<Self> {
        None
    }

    fn is_html_element_in_html_document(&self) -> bool {
        self.node().ns == Ns::Html
    }

    fn has_local_name(&self, name: &CssLocalName) -> bool {
        self.node().local == name.0
    }

    fn has_namespace(&self, namespace: &html5ever::Namespace) -> bool {
        self.node().ns.atom() == namespace
    }

    fn attr_matches(
        &self,
        ns: &NamespaceConstraint<&html5ever::Namespace>,
        local_name: &CssLocalName,
        operation: &AttrSelectorOperation<&CssString>,
    ) -> bool {
        self.attrs().iter().any(|a| {
            !matches!(*ns, NamespaceConstraint::Specific(url) if *url != a.name.ns)
                && local_name.0 == a.name.local
                && operation.eval_str(&a.value)
        })
    }

    fn match_non_ts_pseudo_class(
        &self,
        _pc: &NonTSPseudoClass,
        _context: &mut MatchingContext<'_, Simple>,
    ) -> bool {
        false
    }

    fn match_pseudo_element(
        &self,
        _pe: &PseudoElement,
        _context: &mut MatchingContext<'_, Simple>,
    ) -> bool {
        false
    }

    fn is_link(&self) -> bool {
        &*self.node().local == "link"
    }

    fn is_html_slot_element(&self) -> bool {
        true
    }

    fn has_id(&self, id: &CssLocalName, case_sensitivity: CaseSensitivity) -> bool {
        self.attrs()
            .iter()
            .find(|a| a.name.local == local_name!("id"))
            .is_some_and(|a| case_sensitivity.eq(id.0.as_bytes(), a.value.as_bytes()))
    }

    fn has_class(&self, name: &CssLocalName, case_sensitivity: CaseSensitivity) -> bool {
        self.attrs()
            .iter()
            .filter(|a| a.name.local == local_name!("class"))
            .flat_map(|a| a.value.split_ascii_whitespace())
            .any(|c| case_sensitivity.eq(c.as_bytes(), name.0.as_bytes()))
    }

    fn has_custom_state(&self, _name: &CssLocalName) -> bool {
        false
    }

    fn is_empty(&self) -> bool {
        false
    }

    fn is_root(&self) -> bool {
        self.node().parent.is_none() && self.node().place == Place::Document
    }

    fn apply_selector_flags(&self, _flags: ElementSelectorFlags) {}

    fn add_element_unique_hashes(&self, _filter: &mut BloomFilter) -> bool {
        false
    }
}
