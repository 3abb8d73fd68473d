//! `--content`: a page's main content (what a reader came for, without the
//! page around it) as Markdown, plain text or a clean HTML fragment, with
//! its headline, author, date and language.
//!
//! Read from the parsed tree in three steps: [`tree`] copies the body
//! without what is never content and counts the text under each node;
//! [`detect`] removes the page's boilerplate and finds the element that
//! holds the content (or takes the elements `--content-select` names);
//! [`render`] writes it out. [`about`] reads the metadata.

mod about;
mod detect;
mod render;
mod tree;

use crate::dom::Base;
use crate::select::Expect;
use scraper::Html;
use serde::{Deserialize, Serialize};

/// The format of `--content`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Markdown,
    Text,
    Html,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Markdown => "markdown",
            Format::Text => "text",
            Format::Html => "html",
        }
    }
}

/// What `--content`, `--content-select` and `--content-exclude` ask for.
#[derive(Debug, Clone)]
pub struct ContentPlan {
    pub format: Format,
    /// Take the content from these elements, in document order.
    pub select: Vec<Expect>,
    /// Drop these elements first.
    pub exclude: Vec<Expect>,
}

/// The `content` object of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Content {
    pub format: Format,
    pub text: String,
    pub title: Option<String>,
    pub author: Option<String>,
    pub published: Option<String>,
    pub lang: Option<String>,
    /// Words of `text`: runs of letters, digits and `_`.
    pub words: u64,
}

/// Reads the main content of `doc`, fetched from where `base` says.
pub fn read(doc: &Html, base: &Base, plan: &ContentPlan) -> Content {
    let mut nodes = tree::flatten(doc, &plan.exclude);
    let text = if nodes.is_empty() {
        String::new()
    } else if plan.select.is_empty() {
        detect::remove_boilerplate(&mut nodes);
        let root = detect::container(&nodes);
        detect::prune_link_blocks(&mut nodes, root);
        write(&nodes, &[root], base, plan.format)
    } else {
        let roots = selected(&nodes, &plan.select);
        write(&nodes, &roots, base, plan.format)
    };
    let about = about::about(doc);
    Content {
        format: plan.format,
        words: words(&text),
        text,
        title: about.title,
        author: about.author,
        published: about.published,
        lang: about.lang,
    }
}

/// The outermost nodes `select` matches, in document order.
fn selected(nodes: &[tree::N<'_>], select: &[Expect]) -> Vec<usize> {
    let mut roots = Vec::new();
    let mut i = 0;
    while i < nodes.len() {
        if let Some(el) = nodes[i].el
            && select.iter().any(|s| s.matches(el))
        {
            roots.push(i);
            i = nodes[i].end.max(i + 1);
        } else {
            i += 1;
        }
    }
    roots
}

/// Writes the content of `roots` (each with what it holds).
fn write(nodes: &[tree::N<'_>], roots: &[usize], base: &Base, format: Format) -> String {
    match format {
        Format::Html => roots
            .iter()
            .map(|&r| render::html(nodes, r, base))
            .filter(|h| !h.is_empty())
            .collect::<Vec<_>>()
            .join("\n"),
        Format::Markdown | Format::Text => {
            let mut w = render::Writer::new(nodes, base, format == Format::Markdown);
            for &r in roots {
                w.node(r, 0);
            }
            w.finish()
        }
    }
}

/// Counts runs of letters, digits and `_` (the `\w+` of most regex
/// engines).
pub fn words(text: &str) -> u64 {
    let mut n = 0;
    let mut in_word = false;
    for c in text.chars() {
        let w = c.is_alphanumeric() || c == '_';
        if w && !in_word {
            n += 1;
        }
        in_word = w;
    }
    n
}
