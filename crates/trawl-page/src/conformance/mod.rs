//! The fast reader against html5ever, call by call, on the html5lib
//! tree-construction tests (`fixtures/html5lib-tests`).
//!
//! A recording sink takes the calls that build a document (elements,
//! text, comments, the doctype and the quirks mode, and the calls that
//! move nodes) and builds the tree they describe. html5ever's tree builder
//! runs into one recorder, the fast reader into another; for every
//! document the fast reader does not give up on, the two lists of calls
//! must be equal, and where html5ever's tree prints as the test's
//! `#document`, the fast reader's must too.
//!
//! Not recorded: the calls that build nothing (`parse_error`, `pop`,
//! `set_current_line`, `associate_with_form`,
//! `mark_script_already_started`) and the queries (`elem_name`,
//! `same_node`, `get_template_contents` …). Text appended to the same
//! parent by consecutive calls is one call: html5ever's tokenizer cuts
//! text at places of its own (a character reference, the end of a
//! buffer) and every sink joins such pieces into one text node.

mod generated;

use crate::fast::{self, Target};
use crate::stream::GaveUp;
use crate::testing::{Test, html5lib_tests};
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::tree_builder::{ElemName, ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::{Attribute, LocalName, Namespace, QualName, ns};
use std::borrow::Cow;
use std::cell::{Ref, RefCell};
use std::fmt::Write;

/// One call that builds the document, with what it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Call {
    Element {
        id: usize,
        name: String,
        attrs: Vec<String>,
        flags: String,
    },
    Comment {
        id: usize,
        text: String,
    },
    AppendNode {
        parent: usize,
        child: usize,
    },
    AppendText {
        parent: usize,
        text: String,
    },
    Doctype {
        name: String,
        public: String,
        system: String,
    },
    Quirks(String),
    /// A call that moves nodes or reaches back into the tree: foster
    /// parenting, the adoption agency, a second `<html>` or `<body>`.
    Other(String),
}

fn qual(name: &QualName) -> String {
    let ns = match name.ns {
        ns!(html) => "html",
        ns!(svg) => "svg",
        ns!(mathml) => "math",
        ns!(xlink) => "xlink",
        ns!(xml) => "xml",
        ns!(xmlns) => "xmlns",
        ns!() => "",
        _ => "?",
    };
    match &name.prefix {
        Some(p) => format!("{ns}:{p}:{}", name.local),
        None => format!("{ns}:{}", name.local),
    }
}

fn attrs(attrs: &[Attribute]) -> Vec<String> {
    attrs
        .iter()
        .map(|a| format!("{}={:?}", qual(&a.name), &*a.value))
        .collect()
}

fn flags(f: &ElementFlags) -> String {
    format!(
        "template={} annotation_xml={} duplicates={}",
        f.template, f.mathml_annotation_xml_integration_point, f.had_duplicate_attributes
    )
}

enum Kind {
    Document,
    Element {
        name: QualName,
        attrs: Vec<Attribute>,
        contents: Option<usize>,
        integration: bool,
    },
    /// A template's contents.
    Contents,
    Text(String),
    Comment(String),
    Doctype(String, String, String),
}

struct Node {
    kind: Kind,
    parent: Option<usize>,
    children: Vec<usize>,
}

/// The recording sink: every call, and the tree they build.
pub(crate) struct Recorder {
    calls: RefCell<Vec<Call>>,
    nodes: RefCell<Vec<Node>>,
}

impl Recorder {
    pub(crate) fn new() -> Recorder {
        Recorder {
            calls: RefCell::new(Vec::new()),
            nodes: RefCell::new(vec![Node {
                kind: Kind::Document,
                parent: None,
                children: Vec::new(),
            }]),
        }
    }

    pub(crate) fn calls(&self) -> Vec<Call> {
        self.calls.borrow().clone()
    }

    fn record(&self, call: Call) {
        let mut calls = self.calls.borrow_mut();
        if let (
            Call::AppendText { parent, text },
            Some(Call::AppendText {
                parent: last_parent,
                text: last,
            }),
        ) = (&call, calls.last_mut())
            && parent == last_parent
        {
            last.push_str(text);
            return;
        }
        calls.push(call);
    }

    fn add(&self, kind: Kind) -> usize {
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(Node {
            kind,
            parent: None,
            children: Vec::new(),
        });
        nodes.len() - 1
    }

    fn detach(&self, id: usize) {
        let mut nodes = self.nodes.borrow_mut();
        if let Some(p) = nodes[id].parent.take() {
            nodes[p].children.retain(|&c| c != id);
        }
    }

    /// Puts text or a node into `parent` at `at` (its end when `None`);
    /// text joins a text node it follows.
    fn insert(&self, parent: usize, at: Option<usize>, child: NodeOrText<usize>) {
        let at = at.unwrap_or(self.nodes.borrow()[parent].children.len());
        match child {
            NodeOrText::AppendText(t) => {
                let mut nodes = self.nodes.borrow_mut();
                if at > 0 {
                    let prev = nodes[parent].children[at - 1];
                    if let Kind::Text(s) = &mut nodes[prev].kind {
                        s.push_str(&t);
                        return;
                    }
                }
                drop(nodes);
                let id = self.add(Kind::Text(t.to_string()));
                let mut nodes = self.nodes.borrow_mut();
                nodes[id].parent = Some(parent);
                nodes[parent].children.insert(at, id);
            }
            NodeOrText::AppendNode(id) => {
                self.detach(id);
                let mut nodes = self.nodes.borrow_mut();
                let at = at.min(nodes[parent].children.len());
                nodes[id].parent = Some(parent);
                nodes[parent].children.insert(at, id);
            }
        }
    }

    /// The tree as the html5lib tests print it.
    pub(crate) fn print(&self) -> String {
        let nodes = self.nodes.borrow();
        let mut out = String::new();
        for &c in &nodes[0].children {
            print_node(&nodes, c, 0, &mut out);
        }
        out
    }
}

fn print_node(nodes: &[Node], id: usize, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    let children = |out: &mut String, depth: usize| {
        for &c in &nodes[id].children {
            print_node(nodes, c, depth, out);
        }
    };
    match &nodes[id].kind {
        Kind::Document | Kind::Contents => children(out, depth),
        Kind::Text(t) => {
            let _ = writeln!(out, "| {pad}\"{t}\"");
        }
        Kind::Comment(t) => {
            let _ = writeln!(out, "| {pad}<!-- {t} -->");
        }
        Kind::Doctype(name, public, system) => {
            if public.is_empty() && system.is_empty() {
                let _ = writeln!(out, "| {pad}<!DOCTYPE {name}>");
            } else {
                let _ = writeln!(out, "| {pad}<!DOCTYPE {name} \"{public}\" \"{system}\">");
            }
        }
        Kind::Element {
            name,
            attrs,
            contents,
            ..
        } => {
            let tag = match name.ns {
                ns!(svg) => format!("svg {}", name.local),
                ns!(mathml) => format!("math {}", name.local),
                _ => name.local.to_string(),
            };
            let _ = writeln!(out, "| {pad}<{tag}>");
            let mut shown: Vec<String> = attrs
                .iter()
                .map(|a| {
                    let prefix = match a.name.ns {
                        ns!(xlink) => "xlink ",
                        ns!(xml) => "xml ",
                        ns!(xmlns) => "xmlns ",
                        _ => "",
                    };
                    format!("{prefix}{}=\"{}\"", a.name.local, a.value)
                })
                .collect();
            shown.sort();
            for a in shown {
                let _ = writeln!(out, "| {pad}  {a}");
            }
            if let Some(c) = contents {
                let _ = writeln!(out, "| {pad}  content");
                print_node(nodes, *c, depth + 2, out);
            }
            children(out, depth + 1);
        }
    }
}

/// An element's name, as the tree builder asks for it.
#[derive(Debug)]
pub(crate) struct Name<'a>(Ref<'a, QualName>);

impl ElemName for Name<'_> {
    fn ns(&self) -> &Namespace {
        &self.0.ns
    }

    fn local_name(&self) -> &LocalName {
        &self.0.local
    }
}

impl TreeSink for Recorder {
    type Handle = usize;
    type Output = Self;
    type ElemName<'a> = Name<'a>;

    fn finish(self) -> Self {
        self
    }

    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> usize {
        0
    }

    fn elem_name<'a>(&'a self, target: &'a usize) -> Name<'a> {
        Name(Ref::map(self.nodes.borrow(), |n| match &n[*target].kind {
            Kind::Element { name, .. } => name,
            _ => panic!("elem_name of a node that is not an element"),
        }))
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, f: ElementFlags) -> usize {
        let contents = f.template.then(|| self.add(Kind::Contents));
        let id = self.add(Kind::Element {
            name: name.clone(),
            attrs: attrs.clone(),
            contents,
            integration: f.mathml_annotation_xml_integration_point,
        });
        self.record(Call::Element {
            id,
            name: qual(&name),
            attrs: self::attrs(&attrs),
            flags: flags(&f),
        });
        id
    }

    fn create_comment(&self, text: StrTendril) -> usize {
        let id = self.add(Kind::Comment(text.to_string()));
        self.record(Call::Comment {
            id,
            text: text.to_string(),
        });
        id
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> usize {
        self.record(Call::Other("create_pi".into()));
        self.add(Kind::Comment(String::new()))
    }

    fn append(&self, parent: &usize, child: NodeOrText<usize>) {
        self.record(match &child {
            NodeOrText::AppendNode(c) => Call::AppendNode {
                parent: *parent,
                child: *c,
            },
            NodeOrText::AppendText(t) => Call::AppendText {
                parent: *parent,
                text: t.to_string(),
            },
        });
        self.insert(*parent, None, child);
    }

    fn append_based_on_parent_node(&self, element: &usize, prev: &usize, child: NodeOrText<usize>) {
        let parent = self.nodes.borrow()[*element].parent;
        self.record(Call::Other(format!(
            "append_based_on_parent_node({element}, {prev}, {})",
            show(&child)
        )));
        match parent {
            Some(_) => self.insert_before(*element, child),
            None => self.insert(*prev, None, child),
        }
    }

    fn append_doctype_to_document(&self, name: StrTendril, public: StrTendril, system: StrTendril) {
        self.record(Call::Doctype {
            name: name.to_string(),
            public: public.to_string(),
            system: system.to_string(),
        });
        let id = self.add(Kind::Doctype(
            name.to_string(),
            public.to_string(),
            system.to_string(),
        ));
        self.insert(0, None, NodeOrText::AppendNode(id));
    }

    fn get_template_contents(&self, target: &usize) -> usize {
        match &self.nodes.borrow()[*target].kind {
            Kind::Element {
                contents: Some(c), ..
            } => *c,
            _ => panic!("template contents of a node that is not a template"),
        }
    }

    fn same_node(&self, x: &usize, y: &usize) -> bool {
        x == y
    }

    fn set_quirks_mode(&self, mode: QuirksMode) {
        self.record(Call::Quirks(format!("{mode:?}")));
    }

    fn append_before_sibling(&self, sibling: &usize, child: NodeOrText<usize>) {
        self.record(Call::Other(format!(
            "append_before_sibling({sibling}, {})",
            show(&child)
        )));
        self.insert_before(*sibling, child);
    }

    fn add_attrs_if_missing(&self, target: &usize, add: Vec<Attribute>) {
        self.record(Call::Other(format!(
            "add_attrs_if_missing({target}, {:?})",
            attrs(&add)
        )));
        if let Kind::Element { attrs, .. } = &mut self.nodes.borrow_mut()[*target].kind {
            for a in add {
                if !attrs.iter().any(|b| b.name == a.name) {
                    attrs.push(a);
                }
            }
        }
    }

    fn remove_from_parent(&self, target: &usize) {
        self.record(Call::Other(format!("remove_from_parent({target})")));
        self.detach(*target);
    }

    fn reparent_children(&self, node: &usize, new_parent: &usize) {
        self.record(Call::Other(format!(
            "reparent_children({node}, {new_parent})"
        )));
        let children = std::mem::take(&mut self.nodes.borrow_mut()[*node].children);
        let mut nodes = self.nodes.borrow_mut();
        for c in children {
            nodes[c].parent = Some(*new_parent);
            nodes[*new_parent].children.push(c);
        }
    }

    fn is_mathml_annotation_xml_integration_point(&self, handle: &usize) -> bool {
        matches!(
            self.nodes.borrow()[*handle].kind,
            Kind::Element {
                integration: true,
                ..
            }
        )
    }
}

impl Recorder {
    fn insert_before(&self, sibling: usize, child: NodeOrText<usize>) {
        let Some(parent) = self.nodes.borrow()[sibling].parent else {
            return;
        };
        if let NodeOrText::AppendNode(c) = &child {
            self.detach(*c);
        }
        let at = self.nodes.borrow()[parent]
            .children
            .iter()
            .position(|&c| c == sibling);
        self.insert(parent, at, child);
    }
}

fn show(child: &NodeOrText<usize>) -> String {
    match child {
        NodeOrText::AppendNode(c) => format!("node {c}"),
        NodeOrText::AppendText(t) => format!("text {:?}", &**t),
    }
}

/// The fast reader's calls go through the same recording.
impl Target for Recorder {
    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> usize {
        TreeSink::create_element(self, name, attrs, flags)
    }

    fn append_node(&self, parent: usize, child: usize) {
        TreeSink::append(self, &parent, NodeOrText::AppendNode(child));
    }

    fn append_text(&self, parent: usize, text: &str) {
        TreeSink::append(self, &parent, NodeOrText::AppendText(text.into()));
    }

    fn comment(&self, parent: usize, text: &str) {
        let id = TreeSink::create_comment(self, text.into());
        TreeSink::append(self, &parent, NodeOrText::AppendNode(id));
    }

    fn doctype(&self, name: &str, public: &str, system: &str) {
        TreeSink::append_doctype_to_document(self, name.into(), public.into(), system.into());
    }

    fn quirks(&self, mode: QuirksMode) {
        TreeSink::set_quirks_mode(self, mode);
    }

    fn attrs_of(&self, id: usize) -> Vec<Attribute> {
        match &self.nodes.borrow()[id].kind {
            Kind::Element { attrs, .. } => attrs.clone(),
            _ => Vec::new(),
        }
    }

    fn gave_up(&self) -> Option<GaveUp> {
        None
    }
}

/// html5ever's tree builder, as trawl runs it, into a recorder.
pub(crate) fn html5ever(html: &str) -> Recorder {
    html5ever::driver::parse_document(Recorder::new(), crate::parse_opts())
        .one(StrTendril::from_slice(html))
}

/// The fast reader into a recorder, every attribute kept; `Err`: it gave
/// up, and why.
pub(crate) fn fast_reader(html: &str) -> Result<Recorder, GaveUp> {
    fast::record(html, Recorder::new())
}

/// Where two lists of calls first differ, for a failure message.
fn first_difference(a: &[Call], b: &[Call]) -> String {
    let at = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    format!(
        "call {at}: html5ever {:?}\n         fast reader {:?}",
        a.get(at),
        b.get(at)
    )
}

#[test]
fn the_fast_reader_makes_html5evers_calls_on_every_html5lib_document_it_takes_on() {
    let tests = html5lib_tests();
    assert!(tests.len() > 1500, "{} documents", tests.len());
    let (mut printed, mut taken, mut gave_up) = (0, 0, 0);
    let mut reasons: std::collections::BTreeMap<GaveUp, usize> = Default::default();
    let mut failures = Vec::new();
    for t in &tests {
        let theirs = html5ever(&t.data);
        let tree = theirs.print();
        let matches = tree == t.document;
        printed += usize::from(matches);
        let ours = match fast_reader(&t.data) {
            Ok(ours) => ours,
            Err(why) => {
                gave_up += 1;
                *reasons.entry(why).or_default() += 1;
                continue;
            }
        };
        taken += 1;
        let (a, b) = (theirs.calls(), ours.calls());
        if a != b {
            failures.push(format!(
                "{} {:?}\n  {}",
                t.file,
                t.data,
                first_difference(&a, &b)
            ));
        } else if ours.print() != tree {
            failures.push(format!(
                "{} {:?}: the same calls, another tree",
                t.file, t.data
            ));
        }
    }
    eprintln!(
        "html5lib tree construction: {} documents; html5ever's tree prints as the test's on {printed}; \
         the fast reader took on {taken} and gave up on {gave_up}",
        tests.len()
    );
    for (why, n) in &reasons {
        eprintln!("  gave up {n:>4}: {why}");
    }
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The recorder builds trees right: html5ever's print as the suite
    // says on every test but those written for a parser with scripting
    // and the four where a sink is to copy an `<option>` into
    // `<selectedcontent>` (a sink's job, which the recorder does not do).
    let unlike: Vec<&Test> = tests
        .iter()
        .filter(|t| !t.scripting && html5ever(&t.data).print() != t.document)
        .collect();
    assert!(
        unlike.len() <= 4 && unlike.iter().all(|t| t.data.contains("<selectedcontent>")),
        "html5ever's tree is not the suite's on {:?}",
        unlike.iter().map(|t| &t.data).collect::<Vec<_>>()
    );
    // The fast reader takes on what real pages are made of; the suite is
    // mostly the algorithm's corners.
    assert!(
        taken * 4 > tests.len(),
        "the fast reader took on only {taken}"
    );
}

/// The inputs of the suite's tokenizer tests, read as documents: the
/// corners of character references, comments, doctypes, tags and
/// attributes, through the whole reader. Inputs written with escapes
/// (`doubleEscaped`: lone surrogates and the like) are left out.
fn tokenizer_inputs() -> Vec<(String, String)> {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/html5lib-tests/tokenizer"
    );
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("fixtures/html5lib-tests/tokenizer")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "test"))
        .collect();
    files.sort();
    let mut inputs = Vec::new();
    for path in files {
        let file = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("a .test file"))
                .expect("JSON");
        for t in json["tests"].as_array().into_iter().flatten() {
            if t["doubleEscaped"].as_bool() == Some(true) {
                continue;
            }
            if let Some(input) = t["input"].as_str() {
                inputs.push((file.clone(), input.to_owned()));
            }
        }
    }
    inputs
}

#[test]
fn the_fast_reader_makes_html5evers_calls_on_the_tokenizer_tests_inputs() {
    let inputs = tokenizer_inputs();
    assert!(inputs.len() > 6000, "{} inputs", inputs.len());
    let (mut taken, mut failures) = (0, Vec::new());
    for (file, input) in &inputs {
        let Ok(ours) = fast_reader(input) else {
            continue;
        };
        taken += 1;
        let (a, b) = (html5ever(input).calls(), ours.calls());
        if a != b {
            failures.push(format!("{file} {input:?}\n  {}", first_difference(&a, &b)));
        }
    }
    eprintln!(
        "html5lib tokenizer inputs: {}; the fast reader took on {taken}",
        inputs.len()
    );
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        taken * 2 > inputs.len(),
        "the fast reader took on only {taken}"
    );
}
