//! Extraction without a tree: html5ever's tree builder runs as usual (so
//! implied end tags, the active formatting elements, foreign content and
//! `<noscript>` come out exactly as in the tree path), but into a sink that
//! keeps no document. Each element is looked at once, when the tree
//! builder attaches it, for the title, `<base>`, links, `--meta`, `-s`
//! and `--expect`; text flows into the few elements whose text is asked
//! for while they are open.
//!
//! That is exact as long as the document only grows at its end: every
//! element and text is appended to an element on the rightmost path of
//! the tree, so appending order is document order, and an element's
//! ancestors are final when it arrives. The tree builder breaks that on
//! some broken pages (foster parenting out of tables, the adoption agency
//! for misnested formatting, a second `<body>` adding attributes, a
//! `<frameset>` removing the body): the sink notices the first such call
//! and gives up, and the caller parses the page into a tree instead. It
//! never guesses.
//!
//! Selectors are matched on arrival, so only those that look at an element
//! and its ancestors are streamed ([`super::select`] says which); a run
//! asking for anything else takes the tree path for every page.

use super::dom::{self, Base};
use super::meta::MetaScan;
use super::reuse::Reused;
use super::select::{Fields, Want};
use super::{Extracted, Joined, ParseTimeout, Plan, missing_text};
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::tree_builder::{ElemName, ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::{Attribute, LocalName, Namespace, QualName, local_name, ns};
use std::borrow::Cow;
use std::cell::{Ref, RefCell};
use std::num::NonZeroU32;
use std::time::Instant;
use url::Url;

/// Why a page left the stream for the tree.
pub(super) type GaveUp = &'static str;

/// Extracts from a decoded page without building a tree. `Ok(Err(why))`:
/// the page is one the stream cannot answer exactly; parse it instead.
///
/// # Errors
/// Parsing outlived the deadline.
pub(super) fn extract(
    html: &str,
    url: &Url,
    plan: &Plan,
    deadline: Option<Instant>,
) -> Result<Result<Extracted, GaveUp>, ParseTimeout> {
    let sink = Sink::new(plan);
    let mut parser = html5ever::driver::parse_document(sink, super::parse_opts());
    let mut chunks = super::chunks(html).peekable();
    while let Some(chunk) = chunks.next() {
        parser.process(StrTendril::from_slice(chunk));
        if let Some(why) = parser.tokenizer.sink.sink.state.borrow().gave_up {
            return Ok(Err(why));
        }
        if chunks.peek().is_some() && deadline.is_some_and(|d| Instant::now() > d) {
            return Err(ParseTimeout);
        }
    }
    let state = parser.finish().state.into_inner();
    Ok(state.finish(url, plan))
}

/// The document node's handle.
const DOCUMENT: usize = 0;

/// What the sink remembers of a node: enough to answer the tree builder
/// and the selectors.
///
/// Kept small (32 bytes: a page of 2,000 elements writes 64 KB of them,
/// not 176 KB): a name is its local part and one of four namespaces, a
/// link to another node is its 32-bit index (the document's, 0, is never
/// linked to).
struct Node {
    local: LocalName,
    ns: Ns,
    place: Place,
    /// Where its attributes lie in the page's list of them, sorted by name
    /// as scraper keeps them (the first `id` is the one that counts).
    attrs: Span,
    /// The parent element; `None` for the root and for nodes not (yet)
    /// in the document.
    parent: Link,
    /// The previous sibling element, for `:nth-child()` and the like.
    prev: Link,
    /// The template's contents, for a `<template>`.
    contents: Link,
}

const _: () = assert!(std::mem::size_of::<Node>() == 32);

/// Another node, by its index; `None`: no node.
type Link = Option<NonZeroU32>;

/// Node `id` as a [`Link`]. Past 4 billion nodes a page, the sink gives
/// up ([`Sink::add`]) before a link is made that this could not hold.
fn link(id: usize) -> Link {
    u32::try_from(id).ok().and_then(NonZeroU32::new)
}

fn linked(link: Link) -> Option<usize> {
    link.map(|id| id.get() as usize)
}

/// The namespaces an HTML parser puts elements in (and none, for the
/// document, comments and a template's contents).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ns {
    None,
    Html,
    Svg,
    MathMl,
}

static NO_NS: Namespace = ns!();
static HTML_NS: Namespace = ns!(html);
static SVG_NS: Namespace = ns!(svg);
static MATHML_NS: Namespace = ns!(mathml);

impl Ns {
    fn of(ns: &Namespace) -> Option<Ns> {
        match *ns {
            ns!() => Some(Ns::None),
            ns!(html) => Some(Ns::Html),
            ns!(svg) => Some(Ns::Svg),
            ns!(mathml) => Some(Ns::MathMl),
            _ => None,
        }
    }

    fn atom(self) -> &'static Namespace {
        match self {
            Ns::None => &NO_NS,
            Ns::Html => &HTML_NS,
            Ns::Svg => &SVG_NS,
            Ns::MathMl => &MATHML_NS,
        }
    }
}

/// An element's name, as the tree builder asks for it.
#[derive(Debug)]
pub(super) struct Name<'a> {
    ns: &'static Namespace,
    local: Ref<'a, LocalName>,
}

impl ElemName for Name<'_> {
    fn ns(&self) -> &Namespace {
        self.ns
    }

    fn local_name(&self) -> &LocalName {
        &self.local
    }
}

/// A run of the page's attribute list: one list a page instead of one
/// allocation an element, and a node a third smaller.
#[derive(Clone, Copy, Default)]
struct Span {
    from: u32,
    len: u32,
}

impl Span {
    fn of(self, attrs: &[Attribute]) -> &[Attribute] {
        let from = self.from as usize;
        attrs
            .get(from..from + self.len as usize)
            .unwrap_or_default()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Created, not attached yet.
    Loose,
    /// A comment or processing instruction: never looked at.
    Comment,
    /// In the document: its element is on the rightmost path or closed.
    Document,
    /// A template's contents or inside them: not part of the document.
    Inert,
}

/// One open element on the rightmost path of the document.
struct Open {
    id: usize,
    /// The deepest path index, up to this one, of an element whose text is
    /// hidden (script, style, template, head), as [`dom::text`] skips.
    hidden: Option<usize>,
    block: bool,
    /// Its last child element so far.
    last_child: Option<usize>,
}

/// An element whose text is being collected while it is open.
struct Capture {
    /// Its index on the path.
    depth: usize,
    out: String,
    gap: bool,
    /// Every text node, as written (a title, a JSON-LD block), instead of
    /// the text a reader sees.
    raw: bool,
    to: Target,
}

enum Target {
    Title,
    Root,
    JsonLd,
    Hit { sel: usize, hit: usize },
}

/// A value a `-s` field took: text arrives while the element is open, an
/// attribute is resolved once the page's `<base>` is known.
enum Taken {
    Text(String),
    /// The attribute's value shares the node's buffer: no copy.
    Attr(StrTendril),
}

thread_local! {
    static SPARE_NODES: std::cell::Cell<Vec<Node>> = const { std::cell::Cell::new(Vec::new()) };
    static SPARE_PATH: std::cell::Cell<Vec<Open>> = const { std::cell::Cell::new(Vec::new()) };
    static SPARE_CAPTURES: std::cell::Cell<Vec<Capture>> = const { std::cell::Cell::new(Vec::new()) };
    static SPARE_ATTRS: std::cell::Cell<Vec<Attribute>> = const { std::cell::Cell::new(Vec::new()) };
    /// An emptied list of a tag's attributes, for the next tag that keeps
    /// some ([`take_tag_attrs`]).
    static TAG_ATTRS: std::cell::Cell<Vec<Attribute>> = const { std::cell::Cell::new(Vec::new()) };
}

/// An empty list for a tag's attributes, with the room the last tag's
/// had: the attributes move to the page's list and the list comes back,
/// so reading a tag allocates nothing.
pub(super) fn take_tag_attrs() -> Vec<Attribute> {
    TAG_ATTRS
        .try_with(std::cell::Cell::take)
        .unwrap_or_default()
}

pub(crate) fn give_back_tag_attrs(mut attrs: Vec<Attribute>) {
    attrs.clear();
    if attrs.capacity() <= 64 {
        let _ = TAG_ATTRS.try_with(|s| s.set(attrs));
    }
}

struct State {
    nodes: Reused<Node>,
    /// Every node's attributes, one run a node ([`Span`]).
    attrs: Reused<Attribute>,
    path: Reused<Open>,
    captures: Reused<Capture>,
    gave_up: Option<GaveUp>,
    title: Option<Option<String>>,
    base_href: Option<String>,
    /// Shared with the nodes' attributes: no copy.
    hrefs: Vec<StrTendril>,
    hits: Vec<Vec<Taken>>,
    met: Vec<bool>,
    meta: Option<MetaScan>,
    root_text: Option<String>,
}

/// The sink the tree builder feeds: html5ever's here, trawl's own in
/// [`super::fast`].
pub(super) struct Sink<'p> {
    plan: &'p Plan,
    /// The element names any `-s` field can take (all its selectors'
    /// `Selection::subjects` together); `None`: any element.
    takes: Option<Vec<LocalName>>,
    state: RefCell<State>,
}

impl<'p> Sink<'p> {
    pub(super) fn new(plan: &'p Plan) -> Self {
        let document = Node {
            local: local_name!(""),
            ns: Ns::None,
            place: Place::Document,
            attrs: Span::default(),
            parent: None,
            prev: None,
            contents: None,
        };
        let mut nodes = Reused::take(&SPARE_NODES);
        nodes.push(document);
        let takes = plan
            .selections
            .iter()
            .try_fold(Vec::new(), |mut names, sel| {
                for n in sel.subjects()? {
                    if !names.contains(&n.0) {
                        names.push(n.0.clone());
                    }
                }
                Some(names)
            });
        Sink {
            plan,
            takes,
            state: RefCell::new(State {
                nodes,
                attrs: Reused::take(&SPARE_ATTRS),
                path: Reused::take(&SPARE_PATH),
                captures: Reused::take(&SPARE_CAPTURES),
                gave_up: None,
                title: None,
                base_href: None,
                hrefs: Vec::new(),
                hits: plan.selections.iter().map(|_| Vec::new()).collect(),
                met: vec![false; plan.expect.len()],
                meta: plan.meta.then(MetaScan::default),
                root_text: None,
            }),
        }
    }

    fn give_up(&self, why: GaveUp) {
        let mut st = self.state.borrow_mut();
        st.gave_up.get_or_insert(why);
    }

    /// Why the sink gave up, if it did.
    pub(super) fn gave_up(&self) -> Option<GaveUp> {
        self.state.borrow().gave_up
    }

    /// Text appended to `parent`, as `append` takes it, without making a
    /// tendril of it.
    pub(super) fn append_str(&self, parent: usize, text: &str) {
        let mut st = self.state.borrow_mut();
        if st.nodes[parent].place != Place::Document {
            drop(st);
            return self.give_up("text appended outside the document");
        }
        if !st.reach(parent) {
            drop(st);
            return self.give_up("text appended before the end of the document");
        }
        st.text(text);
    }

    /// The attributes of element `id`, for a copy of it.
    pub(super) fn attrs_of(&self, id: usize) -> Vec<Attribute> {
        let st = self.state.borrow();
        st.nodes[id].attrs.of(&st.attrs).to_vec()
    }

    /// The answer, once the whole page went through.
    pub(super) fn answer(self, url: &Url, plan: &Plan) -> Result<Extracted, GaveUp> {
        self.state.into_inner().finish(url, plan)
    }

    fn add(&self, name: QualName, mut attrs: Vec<Attribute>, place: Place) -> usize {
        let mut st = self.state.borrow_mut();
        let Some(ns) = Ns::of(&name.ns) else {
            st.gave_up
                .get_or_insert("an element in a namespace HTML does not use");
            return DOCUMENT;
        };
        if st.nodes.len() >= u32::MAX as usize {
            st.gave_up.get_or_insert("over 4 billion nodes");
            return DOCUMENT;
        }
        let span = match (u32::try_from(st.attrs.len()), u32::try_from(attrs.len())) {
            (Ok(from), Ok(len)) => Span { from, len },
            // Past 4 billion attributes a page: the rest are not kept.
            _ => Span::default(),
        };
        if span.len > 0 {
            st.attrs.append(&mut attrs);
        }
        give_back_tag_attrs(attrs);
        st.nodes.push(Node {
            local: name.local,
            ns,
            place,
            attrs: span,
            parent: None,
            prev: None,
            contents: None,
        });
        st.nodes.len() - 1
    }
}

/// Elements that break a line when rendered ([`dom::BLOCKS`]), and whose
/// text is hidden ([`dom::HIDDEN`]), as [`dom::text`] reads them; by atom,
/// not by string (a test keeps the lists in step).
fn is_block(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("address")
            | local_name!("article")
            | local_name!("aside")
            | local_name!("blockquote")
            | local_name!("br")
            | local_name!("caption")
            | local_name!("dd")
            | local_name!("details")
            | local_name!("dialog")
            | local_name!("div")
            | local_name!("dl")
            | local_name!("dt")
            | local_name!("fieldset")
            | local_name!("figcaption")
            | local_name!("figure")
            | local_name!("footer")
            | local_name!("form")
            | local_name!("h1")
            | local_name!("h2")
            | local_name!("h3")
            | local_name!("h4")
            | local_name!("h5")
            | local_name!("h6")
            | local_name!("header")
            | local_name!("hr")
            | local_name!("legend")
            | local_name!("li")
            | local_name!("main")
            | local_name!("nav")
            | local_name!("ol")
            | local_name!("option")
            | local_name!("p")
            | local_name!("pre")
            | local_name!("section")
            | local_name!("summary")
            | local_name!("table")
            | local_name!("tbody")
            | local_name!("td")
            | local_name!("tfoot")
            | local_name!("th")
            | local_name!("thead")
            | local_name!("tr")
            | local_name!("ul")
    )
}

fn is_hidden(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("script")
            | local_name!("style")
            | local_name!("template")
            | local_name!("head")
    )
}

impl State {
    /// Closes path entries deeper than `depth`.
    fn close_to(&mut self, depth: usize) {
        while self.path.len() > depth {
            let Some(open) = self.path.pop() else { break };
            let at = self.path.len();
            while self.captures.last().is_some_and(|c| c.depth == at) {
                if let Some(c) = self.captures.pop() {
                    self.done(c);
                }
            }
            if open.block {
                for c in &mut self.captures {
                    if !c.raw && open.hidden.is_none_or(|h| h <= c.depth) {
                        c.gap = true;
                    }
                }
            }
        }
    }

    fn done(&mut self, c: Capture) {
        match c.to {
            Target::Title => self.title = Some(Some(dom::collapse(std::iter::once(&*c.out)))),
            Target::Root => self.root_text = Some(c.out),
            Target::JsonLd => {
                if let Some(m) = self.meta.as_mut() {
                    m.json_ld(&c.out);
                }
            }
            Target::Hit { sel, hit } => {
                if let Some(slot) = self.hits.get_mut(sel).and_then(|h| h.get_mut(hit)) {
                    *slot = Taken::Text(c.out);
                }
            }
        }
    }

    /// Makes `parent` the deepest open element, closing what lies below
    /// it; false when it is not on the path (the tree would not grow at
    /// its end).
    fn reach(&mut self, parent: usize) -> bool {
        if parent == DOCUMENT {
            // Only the root element is appended to the document (comments
            // and the doctype never come here).
            return self.path.is_empty();
        }
        match self.path.iter().rposition(|o| o.id == parent) {
            Some(i) => {
                self.close_to(i + 1);
                true
            }
            None => false,
        }
    }

    fn text(&mut self, text: &str) {
        let Some(deepest) = self.path.last() else {
            return;
        };
        let hidden = deepest.hidden;
        for c in &mut self.captures {
            if c.raw {
                c.out.push_str(text);
            } else if hidden.is_none_or(|h| h <= c.depth) {
                dom::push_words(&mut c.out, &mut c.gap, text);
            }
        }
    }

    fn finish(mut self, url: &Url, plan: &Plan) -> Result<Extracted, GaveUp> {
        if let Some(why) = self.gave_up {
            return Err(why);
        }
        self.close_to(0);
        let base = Base::new(url, self.base_href.as_deref());
        let hrefs: Vec<&str> = self.hrefs.iter().map(|h| &**h).collect();
        let joined = plan.links.then(|| Joined::new(&hrefs, &base));
        // A URL field (`a@href`) whose value is a link's takes the link's
        // resolution instead of joining it again.
        // (`url_attr`: whether `a` is one, asked once a field.)
        let value_of = |a: &str, url_attr: bool, raw: &str| {
            joined
                .as_ref()
                .filter(|_| url_attr)
                .and_then(|j| j.attr_value(raw))
                .unwrap_or_else(|| base.attr_value(a, raw))
        };
        let fields = (!plan.selections.is_empty()).then(|| {
            Fields(
                plan.selections
                    .iter()
                    .zip(std::mem::take(&mut self.hits))
                    .map(|(sel, hits)| {
                        let url_attr = matches!(&sel.want, Want::Attr(a) if dom::is_url_attr(a));
                        let values = hits.into_iter().map(|t| match (t, &sel.want) {
                            (Taken::Attr(raw), Want::Attr(a)) => value_of(a, url_attr, &raw),
                            (Taken::Attr(raw), _) => String::from(&*raw),
                            (Taken::Text(s), _) => s,
                        });
                        (sel.name.clone(), sel.field(values))
                    })
                    .collect(),
            )
        });
        Ok(Extracted {
            title: self.title.flatten(),
            fields,
            links: joined.map(Joined::into_links),
            meta: self.meta.map(|m| m.finish(&base)),
            unmet: plan
                .expect
                .iter()
                .zip(&self.met)
                .find(|(_, met)| !**met)
                .map(|(e, _)| format!("nothing on the page matches --expect '{}'", e.css))
                .or_else(|| missing_text(self.root_text.as_deref().unwrap_or_default(), plan)),
            // Never streamed: a plan with content reads the tree.
            content: None,
        })
    }
}

impl Sink<'_> {
    /// `id` has just entered the document, below `parent`, at the end:
    /// it is looked at once, as the tree path's walk looks at it.
    fn arrive(&self, parent: usize, id: usize) {
        let plan = self.plan;
        let mut st = self.state.borrow_mut();
        let st = &mut *st;
        st.nodes[id].parent = link(parent);
        st.nodes[id].place = Place::Document;
        if let Some(p) = st.path.last_mut() {
            st.nodes[id].prev = p.last_child.replace(id).and_then(link);
        }
        let depth = st.path.len();
        let node = &st.nodes[id];
        let local = &node.local;
        let html = node.ns == Ns::Html;
        let hidden = if is_hidden(local) {
            Some(depth)
        } else {
            st.path.last().and_then(|o| o.hidden)
        };
        let block = is_block(local);
        st.path.push(Open {
            id,
            hidden,
            block,
            last_child: None,
        });
        if block {
            for c in &mut st.captures {
                if !c.raw && hidden.is_none_or(|h| h <= c.depth) {
                    c.gap = true;
                }
            }
        }
        let attrs = node.attrs.of(&st.attrs);
        let attr = |name: &str| attr(attrs, name);
        let el = El {
            nodes: &st.nodes,
            attrs: &st.attrs,
            id,
        };
        for (e, met) in plan.expect.iter().zip(st.met.iter_mut()) {
            *met = *met || e.matches_any(&el);
        }
        if st.title.is_none() && html && *local == local_name!("title") {
            st.title = Some(None);
            st.captures.push(Capture {
                depth,
                out: String::new(),
                gap: false,
                raw: true,
                to: Target::Title,
            });
        } else if st.base_href.is_none() && html && *local == local_name!("base") {
            st.base_href = attr("href").map(str::to_owned);
        } else if plan.links
            && html
            && (*local == local_name!("a") || *local == local_name!("area"))
            && let Some(href) = attr_tendril(attrs, "href")
        {
            st.hrefs.push(href.clone());
        }
        if html
            && let Some(m) = st.meta.as_mut()
            && m.visit_html(local, attr)
        {
            st.captures.push(Capture {
                depth,
                out: String::new(),
                gap: false,
                raw: true,
                to: Target::JsonLd,
            });
        }
        if depth == 0 && !plan.expect_text.is_empty() {
            st.captures.push(Capture {
                depth,
                out: String::new(),
                gap: false,
                raw: false,
                to: Target::Root,
            });
        }
        let may_take = self
            .takes
            .as_ref()
            .is_none_or(|names| names.contains(local));
        let selections = if may_take { &plan.selections[..] } else { &[] };
        for (i, sel) in selections.iter().enumerate() {
            let found = st.hits[i].len();
            if !sel.takes_with(&el, found, |a| attr(a).is_some()) {
                continue;
            }
            match &sel.want {
                Want::Attr(a) => {
                    let raw = attr_tendril(attrs, a).cloned().unwrap_or_default();
                    st.hits[i].push(Taken::Attr(raw));
                }
                _ => {
                    st.hits[i].push(Taken::Text(String::new()));
                    st.captures.push(Capture {
                        depth,
                        out: String::new(),
                        gap: false,
                        raw: false,
                        to: Target::Hit { sel: i, hit: found },
                    });
                }
            }
        }
    }
}

/// The value of attribute `name` (no namespace), as scraper's
/// `Element::attr` finds it.
fn attr<'n>(attrs: &'n [Attribute], name: &str) -> Option<&'n str> {
    attr_tendril(attrs, name).map(|v| &**v)
}

/// As [`attr`], the value as the node holds it.
fn attr_tendril<'n>(attrs: &'n [Attribute], name: &str) -> Option<&'n StrTendril> {
    attrs
        .iter()
        .find(|a| a.name.ns == ns!() && a.name.prefix.is_none() && &*a.name.local == name)
        .map(|a| &a.value)
}

impl TreeSink for Sink<'_> {
    type Handle = usize;
    type Output = Self;
    type ElemName<'a>
        = Name<'a>
    where
        Self: 'a;

    fn finish(self) -> Self {
        self
    }

    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> usize {
        DOCUMENT
    }

    fn elem_name<'a>(&'a self, target: &'a usize) -> Name<'a> {
        let st = self.state.borrow();
        let ns = st.nodes[*target].ns.atom();
        Name {
            ns,
            local: Ref::map(st, |st| &st.nodes[*target].local),
        }
    }

    fn create_element(
        &self,
        name: QualName,
        mut attrs: Vec<Attribute>,
        flags: ElementFlags,
    ) -> usize {
        attrs.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        let id = self.add(name, attrs, Place::Loose);
        if flags.template {
            let contents = self.add(
                QualName::new(None, ns!(), local_name!("")),
                Vec::new(),
                Place::Inert,
            );
            self.state.borrow_mut().nodes[id].contents = link(contents);
        }
        id
    }

    fn create_comment(&self, _text: StrTendril) -> usize {
        self.add(
            QualName::new(None, ns!(), local_name!("")),
            Vec::new(),
            Place::Comment,
        )
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> usize {
        self.create_comment(StrTendril::new())
    }

    fn append(&self, parent: &usize, child: NodeOrText<usize>) {
        let parent = *parent;
        let parent_place = self.state.borrow().nodes[parent].place;
        match (parent_place, child) {
            (Place::Inert, NodeOrText::AppendNode(c)) => {
                self.state.borrow_mut().nodes[c].place = Place::Inert;
            }
            (Place::Inert, NodeOrText::AppendText(_)) => {}
            (Place::Loose | Place::Comment, _) => {
                self.give_up("a node appended to one outside the document");
            }
            (Place::Document, NodeOrText::AppendNode(c)) => {
                let mut st = self.state.borrow_mut();
                match st.nodes[c].place {
                    // Not looked at, and not on the path.
                    Place::Comment => return,
                    Place::Loose => {}
                    Place::Document | Place::Inert => {
                        drop(st);
                        return self.give_up("a node moved");
                    }
                }
                if !st.reach(parent) {
                    drop(st);
                    return self.give_up("a node appended before the end of the document");
                }
                drop(st);
                self.arrive(parent, c);
            }
            (Place::Document, NodeOrText::AppendText(text)) => {
                let mut st = self.state.borrow_mut();
                if !st.reach(parent) {
                    drop(st);
                    return self.give_up("text appended before the end of the document");
                }
                st.text(&text);
            }
        }
    }

    fn append_based_on_parent_node(
        &self,
        _element: &usize,
        _prev_element: &usize,
        _child: NodeOrText<usize>,
    ) {
        self.give_up("foster parenting (content misplaced in a table)");
    }

    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {}

    fn get_template_contents(&self, target: &usize) -> usize {
        let st = self.state.borrow();
        // The tree builder asks only for a template's; a handle to an
        // inert node keeps whatever it appends out of the document.
        linked(st.nodes[*target].contents).unwrap_or(*target)
    }

    fn same_node(&self, x: &usize, y: &usize) -> bool {
        x == y
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    fn append_before_sibling(&self, _sibling: &usize, _new_node: NodeOrText<usize>) {
        self.give_up("a node inserted before another (foster parenting)");
    }

    fn add_attrs_if_missing(&self, target: &usize, attrs: Vec<Attribute>) {
        let st = self.state.borrow();
        let have = st.nodes[*target].attrs.of(&st.attrs);
        if attrs.iter().any(|a| !have.iter().any(|b| b.name == a.name)) {
            drop(st);
            self.give_up("attributes added to an element already looked at");
        }
    }

    fn remove_from_parent(&self, _target: &usize) {
        self.give_up("a node removed (the adoption agency, or a frameset)");
    }

    fn reparent_children(&self, _node: &usize, _new_parent: &usize) {
        self.give_up("children moved (the adoption agency)");
    }
}

#[cfg(test)]
mod corpus;
mod element;
#[cfg(test)]
pub(crate) mod tests;

use element::El;
