//! `--content`: a page's main content (what a reader came for, without the
//! page around it) as Markdown, plain text or a clean HTML fragment, with
//! its headline, author, date and language.
//!
//! Read from the parsed tree in three steps: `tree` copies the body
//! without what is never content and counts the text under each node;
//! `detect` removes the page's boilerplate and finds the element that
//! holds the content (or takes the elements `--content-select` names);
//! `render` writes it out. `about` reads the metadata.

mod about;
mod built;
mod detect;
mod render;
mod tree;

use crate::ParseTimeout;
use crate::dom::Base;
use crate::select::Expect;
use scraper::Html;
use serde::{Deserialize, Serialize};
use std::time::Instant;
use url::Url;

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
    let nodes = tree::flatten(doc, &plan.exclude);
    content(nodes, about::about(doc), base, plan)
}

/// Reads the main content of a decoded page with trawl's own tree builder,
/// without html5ever's tree. `Ok(None)`: the fast reader gives up on the
/// page, or the plan selects or excludes elements (which matching on
/// scraper's tree answers); read it with [`read`].
///
/// # Errors
/// Reading outlived the deadline.
pub(crate) fn read_fast(
    html: &str,
    url: &Url,
    plan: &ContentPlan,
    deadline: Option<Instant>,
) -> Result<Option<Content>, ParseTimeout> {
    if !plan.select.is_empty() || !plan.exclude.is_empty() {
        return Ok(None);
    }
    let Ok(built) = crate::fast::build(html, built::Built::new(html.len()), deadline)? else {
        return Ok(None);
    };
    let built = built.into_nodes();
    let base = Base::new(url, base_href(&built));
    let about = about::about_built(&built);
    let nodes = tree::flatten_built(&built);
    Ok(Some(content(nodes, about, &base, plan)))
}

/// The first `<base href>` of the page, as the tree path finds it. The
/// fast reader only appends, so its nodes stand in document order: the
/// first in the list.
fn base_href(built: &built::Nodes) -> Option<&str> {
    built.iter().skip(1).find_map(|n| match &n.name {
        Some(q) if q.local == html5ever::local_name!("base") && q.ns == html5ever::ns!(html) => {
            tree::El::Built(built.attrs(n)).attr("href")
        }
        _ => None,
    })
}

/// As [`base_href`], walking the links (the order the tree gives).
#[cfg(test)]
fn base_href_by_links(built: &built::Nodes) -> Option<&str> {
    let mut stack: Vec<usize> = built::children(built, 0).rev().collect();
    while let Some(i) = stack.pop() {
        let n = &built[i];
        if let Some(q) = &n.name
            && &*q.local == "base"
            && q.ns == html5ever::ns!(html)
            && let Some(href) = tree::El::Built(built.attrs(n)).attr("href")
        {
            return Some(href);
        }
        stack.extend(built::children(built, i).rev());
    }
    None
}

/// The content of a flattened page.
fn content(
    mut nodes: Vec<tree::N<'_>>,
    about: about::About,
    base: &Base,
    plan: &ContentPlan,
) -> Content {
    let text = if nodes.is_empty() {
        String::new()
    } else if plan.select.is_empty() {
        detect::remove_boilerplate(&mut nodes, about.discussion);
        let root = detect::container(&nodes);
        detect::prune_link_blocks(&mut nodes, root);
        detect::drop_related(&mut nodes, root);
        detect::drop_repeats(&mut nodes, root);
        let text = write(&nodes, &[root], base, plan.format);
        with_description(text, about.product_description.as_deref(), plan.format)
    } else {
        let roots = selected(&nodes, &plan.select);
        write(&nodes, &roots, base, plan.format)
    };
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

/// Adds a product's description from its JSON-LD when the page's text
/// does not hold it (a script fills it in): a description is what a
/// reader of a product page came for.
fn with_description(text: String, description: Option<&str>, format: Format) -> String {
    let Some(d) = description else {
        return text;
    };
    let wanted = words(d);
    if wanted < DESCRIPTION_WORDS || words(&text) >= 2 * wanted || holds_words_of(&text, d) {
        return text;
    }
    let mut para = String::new();
    match format {
        Format::Html => {
            para.push_str("<p>");
            render::escape_html(&mut para, d, false);
            para.push_str("</p>");
        }
        Format::Markdown => render::push_markdown_text(&mut para, d),
        Format::Text => para.push_str(d),
    }
    if text.is_empty() {
        para
    } else {
        format!("{para}\n\n{text}")
    }
}

/// Words a product's description needs to be added.
const DESCRIPTION_WORDS: u64 = 15;

/// Tells whether most words of `part` (lower-cased) are words of `text`:
/// the page holds it, though written a little differently (an entity
/// left escaped in the JSON-LD, a sentence cut short).
fn holds_words_of(text: &str, part: &str) -> bool {
    let lower = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let have: std::collections::HashSet<String> = lower(text).into_iter().collect();
    let want = lower(part);
    let found = want.iter().filter(|w| have.contains(*w)).count();
    found * 10 >= want.len() * 7
}

/// The outermost nodes `select` matches, in document order.
fn selected(nodes: &[tree::N<'_>], select: &[Expect]) -> Vec<usize> {
    let mut roots = Vec::new();
    let mut i = 0;
    while i < nodes.len() {
        if let Some(tree::El::Tree(el)) = nodes[i].el
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
    let bytes = text.as_bytes();
    // Whether the byte (or char) before was a word's, as 1 or 0.
    let (mut n, mut in_word) = (0, 0u32);
    let mut at = 0;
    while at < bytes.len() {
        // Eight ASCII bytes at a time, without a branch on each: a mask of
        // their word bytes, and the words that start in it counted as the
        // bits set whose lower neighbour (or the byte before) is not.
        // Text is mostly ASCII, and a branch a byte on whether a word
        // starts there mispredicts at every word.
        if let Some(Ok(eight)) = bytes.get(at..at + 8).map(<[u8; 8]>::try_from)
            && u64::from_le_bytes(eight) & 0x8080_8080_8080_8080 == 0
        {
            let mut mask = 0u32;
            for (i, b) in eight.into_iter().enumerate() {
                mask |= u32::from(WORD_BYTE[usize::from(b)]) << i;
            }
            n += u64::from((mask & !((mask << 1) | in_word)).count_ones());
            in_word = (mask >> 7) & 1;
            at += 8;
            continue;
        }
        let b = bytes[at];
        let (w, len) = if b.is_ascii() {
            (WORD_BYTE[usize::from(b)], 1)
        } else {
            let c = text.get(at..).and_then(|t| t.chars().next()).unwrap_or(' ');
            (c.is_alphanumeric(), c.len_utf8())
        };
        n += u64::from(w && in_word == 0);
        in_word = u32::from(w);
        at += len;
    }
    n
}

/// The ASCII bytes of a word: letters, digits and `_`.
const WORD_BYTE: [bool; 128] = {
    let mut table = [false; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'_';
        b += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::{ContentPlan, Format};
    use crate::{Plan, Via, extract_via};
    use std::io::Read;
    use std::path::PathBuf;

    /// The pages of the gold sample (fixtures/content), or of the corpus
    /// that `CONTENT_CORPUS` names (laid out the same), decompressed.
    fn pages() -> Vec<(String, Vec<u8>)> {
        let dir = std::env::var_os("CONTENT_CORPUS").map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/content"),
            PathBuf::from,
        );
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("html"))
            .expect("the sample's html folder")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|f| {
                let raw = std::fs::read(&f).expect("read a page");
                let mut body = Vec::new();
                flate2::read::GzDecoder::new(raw.as_slice())
                    .read_to_end(&mut body)
                    .expect("gunzip");
                (f.display().to_string(), body)
            })
            .collect()
    }

    /// The main content's text of `page`, fetched from `url`, in `format`,
    /// read by `via`; empty when there is none.
    fn read_as(page: &str, url: &str, format: Format, via: Via) -> String {
        let plan = Plan {
            content: Some(ContentPlan {
                format,
                select: vec![],
                exclude: vec![],
            }),
            ..Plan::default()
        };
        let url = url::Url::parse(url).expect("url");
        extract_via(page.as_bytes(), Some("text/html"), &url, &plan, via)
            .ok()
            .flatten()
            .and_then(|e| e.content)
            .map(|c| c.text)
            .unwrap_or_default()
    }

    #[test]
    fn metadata_read_along_the_nodes_is_what_a_walk_of_the_tree_reads() {
        // The fast reader only appends, so its nodes stand in document
        // order; `about_built` relies on that.
        let mut built_pages = 0;
        for (name, body) in pages() {
            let (html, _, _) = crate::content::sniff_encoding(&body, None).decode(&body);
            let Ok(Ok(built)) =
                crate::fast::build(&html, super::built::Built::new(html.len()), None)
            else {
                continue;
            };
            let nodes = built.into_nodes();
            assert_eq!(
                super::about::about_built(&nodes),
                super::about::about_built_by_links(&nodes),
                "{name}"
            );
            assert_eq!(
                super::base_href(&nodes),
                super::base_href_by_links(&nodes),
                "{name}"
            );
            built_pages += 1;
        }
        assert!(built_pages > 0);
    }

    #[test]
    fn the_fast_reader_and_html5evers_tree_give_the_same_content() {
        let url = url::Url::parse("https://site.test/dir/page.html").expect("url");
        let pages = pages();
        assert!(!pages.is_empty());
        let mut fast = 0;
        for format in [Format::Markdown, Format::Text, Format::Html] {
            let plan = Plan {
                content: Some(ContentPlan {
                    format,
                    select: vec![],
                    exclude: vec![],
                }),
                ..Plan::default()
            };
            for (name, body) in &pages {
                let read = |via| {
                    extract_via(body, Some("text/html"), &url, &plan, via)
                        .ok()
                        .flatten()
                        .and_then(|e| e.content)
                };
                assert_eq!(read(Via::Fast), read(Via::Tree), "{name} as {format:?}");
                let (html, _, _) = crate::content::sniff_encoding(body, None).decode(body);
                let want = plan.content.as_ref().expect("asked");
                if format == Format::Text
                    && super::read_fast(&html, &url, want, None)
                        .ok()
                        .flatten()
                        .is_some()
                {
                    fast += 1;
                }
            }
        }
        eprintln!("the fast reader took on {fast} of {} pages", pages.len());
        assert!(
            fast * 2 >= pages.len(),
            "the fast reader took on only {fast} pages"
        );
    }

    #[test]
    fn a_notice_to_enable_javascript_is_not_content_but_a_noscript_image_is() {
        let content = |page: &str, format| {
            [Via::Fast, Via::Tree].map(|via| read_as(page, "https://site.test/", format, via))
        };
        let app = "<!doctype html><title>App</title><body><noscript>You need to enable \
                   JavaScript to run this app.</noscript><div id=root></div>";
        assert_eq!(content(app, Format::Text), [String::new(), String::new()]);
        let article = "<!doctype html><title>A</title><article><h1>Rain</h1><p>It rained \
                       all week over the hills and the river rose.</p><noscript><img \
                       src=chart.png alt=Rainfall></noscript></article>";
        for text in content(article, Format::Markdown) {
            assert!(text.contains("It rained all week"), "{text}");
            assert!(
                text.contains("![Rainfall](https://site.test/chart.png)"),
                "{text}"
            );
        }
    }

    #[test]
    fn markdown_link_destinations_escape_their_spaces_and_parentheses() {
        let page = "<!doctype html><title>R</title><article><h1>Rust</h1><p>The \
                    <a href=\"/wiki/Rust_(programming_language)\">language</a> and its \
                    <a href=\"/a b/c\">book</a>, with a chart of its growth over the \
                    years it has been used.</p><img src=\"/img/chart (1).png\" alt=Chart>\
                    </article>";
        for via in [Via::Fast, Via::Tree] {
            let text = read_as(page, "https://site.test/", Format::Markdown, via);
            for want in [
                "[language](https://site.test/wiki/Rust_%28programming_language%29)",
                "[book](https://site.test/a%20b/c)",
                "![Chart](https://site.test/img/chart%20%281%29.png)",
            ] {
                assert!(text.contains(want), "{want} in {text}");
            }
        }
    }

    #[test]
    fn a_form_of_options_is_dropped_and_a_comment_written_in_a_form_is_kept() {
        let page = "<!doctype html><title>Mug</title><main><h1>Blue mug</h1><p>A stoneware \
                    mug that holds a pint of tea and keeps it warm.</p><form action=/cart>\
                    <label>Colour</label><select><option>Blue<option>Green</select>\
                    <button>Add to basket</button></form><div class=thread><form \
                    class=usertext><div class=md><p>Mine chipped within a week.</p></div>\
                    </form></div></main>";
        for via in [Via::Fast, Via::Tree] {
            let text = read_as(page, "https://site.test/", Format::Text, via);
            assert!(text.contains("keeps it warm"), "{text}");
            assert!(text.contains("Mine chipped within a week"), "{text}");
            assert!(!text.contains("Add to basket"), "{text}");
            assert!(!text.contains("Colour"), "{text}");
        }
    }

    #[test]
    fn an_articles_comments_are_dropped_and_a_forums_replies_kept() {
        let story = "The council voted last night to reopen the old river ferry, closed \
                     since the flood, after a petition signed by four thousand people. "
            .repeat(12);
        let reply = "About time too, I used to take it every day to work and back. ".repeat(4);
        let comments = format!(
            "<div id=comments class=comments-area><ol class=comment-list><li><p>{reply}</p>\
             <li><p>{reply}</p><li><p>Who pays for the crossing though?</p></ol></div>"
        );
        let page = |head: &str| {
            format!(
                "<!doctype html><title>Ferry</title>{head}<body><div class=wrap>\
                 <article><h1>Ferry returns</h1><p>{story}</p></article>{comments}\
                 </div>"
            )
        };
        let forum = r#"<meta property="og:type" content="forum">"#;
        // A thread whose first post sits in the comment section.
        let thread = format!(
            "<!doctype html><title>Ferry?</title><body><h1>Ferry?</h1><div id=comments>\
             <div class=post><p>{story}</p></div><div class=post><p>{reply} Who pays \
             for the crossing though?</p></div></div>"
        );
        for via in [Via::Fast, Via::Tree] {
            let text = |page: &str| read_as(page, "https://site.test/", Format::Text, via);
            let article = text(&page(""));
            assert!(article.contains("reopen the old river ferry"), "{article}");
            assert!(!article.contains("Who pays"), "{article}");
            let discussion = text(&page(forum));
            assert!(discussion.contains("Who pays"), "{discussion}");
            let thread = text(&thread);
            assert!(thread.contains("reopen the old river ferry"), "{thread}");
            assert!(thread.contains("Who pays"), "{thread}");
        }
    }

    #[test]
    fn words_are_runs_of_letters_digits_and_underscores() {
        for (text, want) in [
            ("", 0),
            ("one two  three", 3),
            ("snake_case and x86-64", 4),
            ("café crème, naïve", 3),
            ("東京 and 大阪", 3),
            ("a—b – c", 3),
            ("emoji 🦀 between", 2),
            ("ends with é", 3),
            ("é", 1),
            ("__init__()", 1),
            ("abcdefgh ijklmnop", 2),
            ("abcdefghijklmnopq", 1),
            ("seven_7 eight_88 x", 3),
            ("1234567é89 abcdefg", 2),
            ("abcdefgé", 1),
            ("a b c d e f g h i j", 10),
            ("........word", 1),
        ] {
            assert_eq!(super::words(text), want, "{text:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(crate::testing::config())]
        /// The eight-bytes-at-a-time count is the count a char at a time.
        #[test]
        fn words_counts_what_a_char_at_a_time_counts(text in "[a-zA-Z0-9_ .,é東🦀\n-]{0,40}") {
            let mut want = 0;
            let mut in_word = false;
            for c in text.chars() {
                let w = c.is_alphanumeric() || c == '_';
                want += u64::from(w && !in_word);
                in_word = w;
            }
            proptest::prop_assert_eq!(super::words(&text), want);
        }
    }

    #[test]
    fn a_product_description_only_in_json_ld_is_added_once() {
        let description = "Engineered for comfort and designed to stand out, higher than \
                           an ankle sock and lower than a calf sock, right for a million \
                           different shoes.";
        let page = |body: &str| {
            format!(
                "<!doctype html><title>Socks</title><script type=application/ld+json>\
                 {{\"@context\":\"https://schema.org\",\"@type\":\"Product\",\
                 \"name\":\"Quarter Socks\",\"description\":\"{description}\"}}</script>\
                 <main><h1>Quarter Socks</h1><p>$14.00</p>{body}</main>"
            )
        };
        for format in [Format::Text, Format::Markdown, Format::Html] {
            for via in [Via::Fast, Via::Tree] {
                let text = |page: &str| read_as(page, "https://shop.test/p/socks", format, via);
                // A script would have written the description: the JSON-LD
                // holds the only copy.
                let bare = text(&page(""));
                assert!(
                    bare.contains("Engineered for comfort"),
                    "{format:?}: {bare}"
                );
                assert!(bare.contains("Quarter Socks"), "{format:?}: {bare}");
                // Written in the page, it is not added again.
                let full = text(&page(&format!("<p>{description}</p>")));
                assert_eq!(
                    full.matches("Engineered for comfort").count(),
                    1,
                    "{format:?}: {full}"
                );
            }
        }
    }

    #[test]
    fn a_main_holding_a_featured_strip_does_not_hide_the_feed_beside_it() {
        let card = |title: &str| {
            format!(
                "<article class=card><h2><a href=/{title}>{title} rises again</a></h2><p>The \
                 figures for {title} came out this morning, above what markets expected.</p>\
                 </article>"
            )
        };
        let featured: String = ["Gold", "Oil", "Silver"].map(card).concat();
        let feed: String = ["Wheat", "Copper", "Coffee", "Cotton", "Sugar", "Cocoa"]
            .map(card)
            .concat();
        let page = format!(
            "<!doctype html><title>Economy</title><body><div id=root><main \
             id=featured>{featured}</main><div class=container><section \
             class=feed>{feed}</section></div></div>"
        );
        for via in [Via::Fast, Via::Tree] {
            let text = read_as(&page, "https://news.test/economy/", Format::Text, via);
            assert!(text.contains("Gold rises again"), "{text}");
            assert!(text.contains("Cocoa rises again"), "{text}");
        }
    }

    #[test]
    fn a_product_description_written_as_html_in_json_ld_is_read_as_text() {
        let page = "<!doctype html><title>Socks</title><script type=application/ld+json>\
                    {\"@type\":\"Product\",\"name\":\"Wool Socks\",\"description\":\
                    \"<p>Soft merino &amp; nylon, knitted in Portugal for walkers who want \
                    warm feet</p><ul><li>Cushioned heel and toe for long days</li></ul>\"}\
                    </script><main><h1>Wool Socks</h1><p>$18.00</p></main>";
        for format in [Format::Text, Format::Markdown, Format::Html] {
            for via in [Via::Fast, Via::Tree] {
                let text = read_as(page, "https://shop.test/p/socks", format, via);
                assert!(text.contains("Soft merino"), "{format:?}: {text}");
                assert!(text.contains("Cushioned heel"), "{format:?}: {text}");
                assert!(!text.contains("&amp;amp;"), "{format:?}: {text}");
                if format != Format::Html {
                    assert!(
                        !text.contains("<p>") && !text.contains("&amp;"),
                        "{format:?}: {text}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_json_ld_description_past_16_kib_is_not_read() {
        // Parsed as HTML outside the page's deadline, 100,000 nested <div>s
        // there took 54 s; nothing that long is a product's blurb.
        let description = "<div>".repeat(4000)
            + "buried under more markup than any shop writes for the blurb of a pair \
               of socks on its product page";
        let page = format!(
            "<!doctype html><title>Socks</title><script type=application/ld+json>\
             {{\"@type\":\"Product\",\"description\":\"{description}\"}}</script>\
             <main><h1>Socks</h1><p>$9.00</p></main>"
        );
        for via in [Via::Fast, Via::Tree] {
            let text = read_as(&page, "https://shop.test/p", Format::Text, via);
            assert!(text.contains("Socks"), "{text}");
            assert!(!text.contains("buried"), "{text}");
        }
    }
}
