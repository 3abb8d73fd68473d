//! Finding the main content: what to drop as the page around it
//! (navigation, site header and footer, sidebars, banners, share and
//! "related" blocks), and which element holds what is left.
//!
//! Two passes over the flat page ([`super::tree`]):
//! 1. Boilerplate: elements that say what they are (`<nav>`, `<aside>`,
//!    `<footer>`, a site `<header>`, an ARIA landmark role) or whose class
//!    or id names a kind of boilerplate (`sidebar`, `cookie-banner`,
//!    `share-buttons`) are removed, unless they hold most of the page's
//!    text: a `<div class="has-sidebar">` wrapping the whole page is a
//!    layout, not a sidebar.
//! 2. The container: from `<main>` (or the body), go down into the child
//!    that holds most of the text while one does; the element where no
//!    child dominates holds the article, the thread, the product or the
//!    listing, and its siblings are the page around it.

use super::tree::{Marks, N};
use std::hash::BuildHasher;

/// Elements that are boilerplate by their name.
fn boilerplate_tag(name: &str) -> bool {
    matches!(name, "nav" | "aside" | "footer" | "menu")
}

/// ARIA roles of the page around the content.
fn boilerplate_role(role: &str) -> bool {
    role.split_ascii_whitespace().any(|r| {
        matches!(
            r.to_ascii_lowercase().as_str(),
            "navigation"
                | "banner"
                | "contentinfo"
                | "complementary"
                | "search"
                | "menu"
                | "menubar"
                | "toolbar"
                | "dialog"
                | "alertdialog"
        )
    })
}

/// Words in class names and ids that name a kind of boilerplate. A class
/// is cut into words at anything not a letter or digit and at lower-to-
/// upper case changes (`share-bar`, `share_bar`, `shareBar`), and a word
/// must match whole: `ad` is not `head`, `nav` is not `canvas`.
fn is_boilerplate_word(word: &[u8]) -> bool {
    matches!(
        word,
        b"nav"
            | b"navbar"
            | b"navigation"
            | b"menu"
            | b"menubar"
            | b"megamenu"
            | b"footer"
            | b"sidebar"
            | b"breadcrumb"
            | b"breadcrumbs"
            | b"cookie"
            | b"cookies"
            | b"consent"
            | b"gdpr"
            | b"newsletter"
            | b"subscribe"
            | b"subscription"
            | b"signup"
            | b"share"
            | b"sharing"
            | b"sharedaddy"
            | b"social"
            | b"socials"
            | b"related"
            | b"recommended"
            | b"recommendations"
            | b"upsell"
            | b"crosssell"
            | b"recently"
            | b"promo"
            | b"advert"
            | b"advertisement"
            | b"ad"
            | b"ads"
            | b"adsbygoogle"
            | b"sponsor"
            | b"sponsored"
            | b"popup"
            | b"modal"
            | b"masthead"
            | b"topbar"
            | b"toolbar"
            | b"offcanvas"
            | b"drawer"
            | b"signature"
            | b"postprofile"
            | b"userinfo"
            | b"userstats"
            | b"reviews"
            | b"yotpo"
            | b"okendo"
            | b"jdgm"
            | b"stamped"
            | b"trustpilot"
            | b"bazaarvoice"
            | b"loox"
    )
}

/// Words of consent managers' class names and ids (OneTrust, Cookiebot,
/// Quantcast, Didomi, TrustArc …): their dialogs hold pages of legal text,
/// so they are removed whatever their size.
fn is_consent_word(word: &[u8]) -> bool {
    matches!(
        word,
        b"cookie"
            | b"cookies"
            | b"consent"
            | b"gdpr"
            | b"onetrust"
            | b"optanon"
            | b"cookiebot"
            | b"didomi"
            | b"truste"
            | b"trustarc"
            | b"usercentrics"
            | b"cookieyes"
            | b"iubenda"
    )
}

/// The word before, where it changes what the next one names.
#[derive(Clone, Copy)]
enum Before {
    User,
    Comment,
    Quoted,
    Skip,
    Layout,
    Other,
}

/// What the words of a class list or id name: boilerplate, a consent
/// dialog.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
struct Named {
    boilerplate: bool,
    consent: bool,
    /// A section of readers' comments (`#comments`, `comment-list`,
    /// `disqus_thread`).
    comments: bool,
    /// A class list that hides the element at every width
    /// ([`super::tree::hidden_by_class`]; never an id).
    hides: bool,
}

impl Named {
    /// The words of `value` (a class list or an id).
    fn of(value: &str) -> Named {
        // Words are ASCII letters and digits, lower-cased into a small
        // buffer; a longer word is no word of the lists.
        let mut found = Named::default();
        let mut word = [0u8; 24];
        let mut len = 0usize;
        let mut prev_lower = false;
        // The word before, for names written in two (`user-info`,
        // `userExtras`): a forum post's author panel of join date, post
        // count and rank.
        // `skip-link` and `skip-to-content` are the link past the menu,
        // `skip-item` is not; `has-sidebar` and `with-sidebar` name a
        // layout around the content.
        let mut before = Before::Other;
        let mut end_word = |len: &mut usize, word: &[u8; 24]| {
            if *len > 0 && *len <= word.len() {
                let w = &word[..*len];
                found.boilerplate |= match before {
                    Before::Layout => false,
                    Before::User if matches!(w, b"info" | b"extras" | b"stats") => true,
                    Before::Skip if matches!(w, b"link" | b"links" | b"to" | b"nav") => true,
                    _ => is_boilerplate_word(w),
                };
                found.consent |= is_consent_word(w);
                found.comments |= match before {
                    // A store's quotes of its customers are content;
                    // `has-comments` names a layout.
                    Before::Quoted | Before::Layout => false,
                    Before::Comment => matches!(w, b"list" | b"area" | b"section" | b"thread"),
                    _ => matches!(w, b"comments" | b"commentlist" | b"disqus"),
                };
                before = match w {
                    b"comment" => Before::Comment,
                    b"testimonial" | b"testimonials" | b"review" | b"reviews" | b"customer" => {
                        Before::Quoted
                    }
                    b"user" => Before::User,
                    b"skip" => Before::Skip,
                    b"has" | b"with" | b"no" | b"without" | b"layout" => Before::Layout,
                    _ => Before::Other,
                };
            }
            *len = 0;
        };
        for b in value.bytes() {
            if b.is_ascii_alphanumeric() {
                if b.is_ascii_uppercase() && prev_lower {
                    end_word(&mut len, &word);
                }
                prev_lower = b.is_ascii_lowercase();
                if len < word.len() {
                    word[len] = b.to_ascii_lowercase();
                }
                len += 1;
            } else {
                end_word(&mut len, &word);
                prev_lower = false;
            }
        }
        end_word(&mut len, &word);
        found
    }

    /// The words of an element's class list and id; `memo` holds what
    /// class lists seen before name (a page repeats a few hundred of them
    /// over thousands of elements).
    fn of_marks<'a>(m: &Marks<'a>, memo: &mut ClassMemo<'a>) -> Named {
        let class = m
            .class
            .map(|c| {
                *memo.entry(c).or_insert_with(|| Named {
                    hides: super::tree::hidden_by_class(c),
                    ..Named::of(c)
                })
            })
            .unwrap_or_default();
        class.or(m.id.map(Named::of).unwrap_or_default())
    }

    /// What either names.
    fn or(self, other: Named) -> Named {
        Named {
            boilerplate: self.boilerplate || other.boilerplate,
            consent: self.consent || other.consent,
            comments: self.comments || other.comments,
            hides: self.hides || other.hides,
        }
    }
}

/// What class lists name, by class list.
type ClassMemo<'a> = std::collections::HashMap<&'a str, Named, foldhash::fast::RandomState>;

/// Tells whether node `i` presents itself as the page around the content.
fn looks_like_boilerplate(
    n: &N<'_>,
    marks: &Marks<'_>,
    named: Named,
    in_article: bool,
    holds_paragraph: bool,
) -> bool {
    if boilerplate_tag(n.name) {
        return true;
    }
    if n.name == "form" && n.plain_chars() < FORM_TEXT && !holds_paragraph {
        return true;
    }
    // A header inside an article is its headline and byline.
    if n.name == "header" && !in_article {
        return true;
    }
    if marks.role.is_some_and(boilerplate_role) {
        return true;
    }
    // An article or main element says what it is by its name: its class
    // words are its kind (`node--type-newsletter-article`). So does an
    // element whose id names nothing but the content (WordPress's
    // `#primary`, `#main-content`): its class words are the theme's
    // (`newspaper-x-sidebar`).
    named.boilerplate
        && !matches!(n.name, "article" | "main")
        && !marks.id.is_some_and(names_the_content)
}

/// Tells whether an id is made of words that name the main content and
/// nothing else: `primary`, `main-content`, `content_area`; not
/// `nav-main` or `sidebar-content`.
fn names_the_content(id: &str) -> bool {
    let mut words = id
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .peekable();
    words.peek().is_some()
        && words.all(|w| {
            matches!(
                w.to_ascii_lowercase().as_str(),
                "main" | "content" | "primary" | "article" | "post" | "entry" | "area" | "inner"
            )
        })
}

/// Removes the boilerplate of pass 1, then counts the text again.
///
/// Unless `discussion` (the page says it is a forum's thread), that
/// includes a section of readers' comments that follows the content it
/// comments on: an article's or a blog post's comments are not what a
/// reader came for. A thread whose first post sits inside the section (a
/// forum's `#comments`) has no text before it, and stays.
pub(super) fn remove_boilerplate(nodes: &mut [N<'_>], discussion: bool) {
    let Some(total) = nodes.first().map(|n| n.chars) else {
        return;
    };
    // The text of the largest <article> or <main> under each node.
    let mut article_below = vec![0u32; nodes.len()];
    for j in (1..nodes.len()).rev() {
        let n = &nodes[j];
        let own = if matches!(n.name, "article" | "main") {
            n.chars
        } else {
            0
        };
        let p = n.parent;
        if p < nodes.len() {
            article_below[p] = article_below[p].max(article_below[j]).max(own);
        }
    }
    let mut article_end = 0usize;
    let mut memo = ClassMemo::default();
    // Letters and digits of the text kept so far.
    let mut before = 0u32;
    let mut i = 0;
    while i < nodes.len() {
        let n = &nodes[i];
        let Some(el) = n.el else {
            // A script's data written out as text (a page's state in a
            // hidden <div>) is not for a reader.
            if looks_like_json(n.text) {
                nodes[i].removed = true;
            } else {
                before = before.saturating_add(n.own);
            }
            i += 1;
            continue;
        };
        let marks = Marks::of(el);
        let mut named = Named::of_marks(&marks, &mut memo);
        if matches!(n.name, "article" | "main") && i >= article_end {
            article_end = n.end;
        }
        // Hidden, it is a menu or a dialog, unless it holds a good deal of
        // text of its own (a tab of specifications, the content itself on a
        // page that a script shows: React's streamed `<div hidden>`) or
        // half the page (hidden until a script has run, against a flash of
        // unstyled content).
        if marks.hidden(named.hides)
            && (n.plain_chars() < 200 || n.link_chars * 2 > n.chars)
            && u64::from(n.chars) * 2 < u64::from(total)
        {
            nodes[i].removed = true;
            i = nodes[i].end;
            continue;
        }
        // "You need to enable JavaScript to run this app": a notice to a
        // browser that runs no scripts, not content (a noscript's image, a
        // lazy page's fallback, stays).
        if n.name == "noscript" && n.chars < 300 && speaks_of_javascript(nodes, i) {
            nodes[i].removed = true;
            i = nodes[i].end;
            continue;
        }
        // Holding an article that holds most of its text, it is the
        // column the article sits in (`col-sm-9 sidebar-first-only`).
        if u64::from(article_below[i]) * 2 >= u64::from(n.chars) && n.chars > 0 {
            named.boilerplate = false;
        }
        // A consent dialog, whatever it holds.
        if i > 0 && named.consent {
            nodes[i].removed = true;
            i = nodes[i].end;
            continue;
        }
        // Holding half the page's text, it is the page's layout, unless
        // that text is links: a store's menu of every category.
        if i > 0
            && looks_like_boilerplate(n, &marks, named, i < article_end, holds_paragraph(nodes, i))
            && (u64::from(n.chars) * 2 < u64::from(total)
                || f64::from(n.link_chars) >= LINK_DENSE * f64::from(n.chars))
        {
            nodes[i].removed = true;
            i = nodes[i].end;
            continue;
        }
        if named.comments && !discussion && i > 0 && before >= COMMENTS_AFTER {
            nodes[i].removed = true;
            i = nodes[i].end;
            continue;
        }
        i += 1;
    }
    super::tree::recount(nodes);
}

/// Text (letters and digits) before a comment section for it to be
/// comments on something.
const COMMENTS_AFTER: u32 = 1000;

/// Tells whether the text under node `i` names JavaScript.
fn speaks_of_javascript(nodes: &[N<'_>], i: usize) -> bool {
    nodes[i..nodes[i].end.max(i + 1)].iter().any(|t| {
        t.el.is_none()
            && t.text
                .as_bytes()
                .windows(10)
                .any(|w| w.eq_ignore_ascii_case(b"javascript"))
    })
}

/// A form with less text than this (letters and digits outside links),
/// and no paragraph, is a search box, a store's filters or a product's
/// options: not content.
const FORM_TEXT: u32 = 500;

/// Tells whether a form element holds a paragraph with text: a comment
/// written in a form (old Reddit's `usertext`), not a form's labels.
fn holds_paragraph(nodes: &[N<'_>], i: usize) -> bool {
    nodes[i].name == "form"
        && nodes[i + 1..nodes[i].end.max(i + 1)]
            .iter()
            .any(|d| d.name == "p" && d.chars > 0)
}

/// Tells whether a text is a JSON object or array of objects: `{"` or
/// `[{"` at its start, `}` or `]` at its end, and long enough not to be
/// a line of prose about JSON.
fn looks_like_json(text: &str) -> bool {
    // Most texts are short: told so before any trimming.
    if text.len() < 80 {
        return false;
    }
    let t = text.trim();
    t.len() >= 80
        && (t.starts_with("{\"") || t.starts_with("[{\""))
        && (t.ends_with('}') || t.ends_with(']'))
}

/// Text that counts towards choosing a container: links weigh less, a
/// block of nothing but links (a menu the pass above missed) little.
fn weight(n: &N<'_>) -> f64 {
    f64::from(n.plain_chars()) + 0.5 * f64::from(n.link_chars)
}

/// The children of node `i` (kept ones), by index.
pub(super) fn children<'n>(nodes: &'n [N<'_>], i: usize) -> impl Iterator<Item = usize> + 'n {
    let end = nodes[i].end;
    let mut at = i + 1;
    std::iter::from_fn(move || {
        while at < end {
            let c = at;
            at = nodes[c].end.max(c + 1);
            if !nodes[c].removed {
                return Some(c);
            }
        }
        None
    })
}

/// The element whose content is the page's main content.
pub(super) fn container(nodes: &[N<'_>]) -> usize {
    if nodes.is_empty() {
        return 0;
    }
    let total = weight(&nodes[0]);
    // Where to start: a `<main>` (or role=main) holding half the page's
    // text. One holding less is a part of the page (a news section's
    // featured strip) whose rest, its feed of stories, runs outside it.
    let mut cur = (0..nodes.len())
        .find(|&i| {
            !nodes[i].removed
                && (nodes[i].name == "main"
                    || nodes[i]
                        .attr("role")
                        .is_some_and(|r| r.eq_ignore_ascii_case("main")))
                && weight(&nodes[i]) >= MAIN_SHARE * total
                && !inside_removed(nodes, i)
        })
        .unwrap_or(0);
    loop {
        let here = weight(&nodes[cur]);
        let best = children(nodes, cur)
            .filter(|&c| nodes[c].el.is_some())
            .max_by(|&a, &b| weight(&nodes[a]).total_cmp(&weight(&nodes[b])));
        match best {
            Some(c)
                if here > 0.0
                    && weight(&nodes[c]) >= DOMINANT * here
                    && !is_text_block(nodes[c].name)
                    && !has_like_sibling(nodes, cur, c) =>
            {
                cur = c;
            }
            _ => return cur,
        }
    }
}

/// Tells whether an element is a block of text (a paragraph, a heading,
/// a listing of code, a quotation, a list item or a cell): one long
/// paragraph is part of the content, never all of it.
fn is_text_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "pre"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "blockquote"
            | "li"
            | "dt"
            | "dd"
            | "td"
            | "th"
    )
}

/// Tells whether child `c` of `parent` is one of a run of like elements
/// (the same tag and class list) that hold text: the posts of a thread,
/// the items of a list. One long post is not the thread.
fn has_like_sibling(nodes: &[N<'_>], parent: usize, c: usize) -> bool {
    let (name, class) = (nodes[c].name, nodes[c].attr("class"));
    children(nodes, parent).any(|s| {
        s != c
            && nodes[s].chars >= LIKE_CHARS
            && nodes[s].name == name
            && nodes[s].attr("class") == class
    })
}

/// Text a like sibling must hold to count.
const LIKE_CHARS: u32 = 30;

/// Removes, inside the container `root`, blocks that are mostly links
/// and small beside it: tag lists, "more from" link lists, pagers and
/// menus that name no kind of boilerplate. Leaves the counts as they
/// were (the passes after it read them so); [`drop_repeats`], the last,
/// counts again.
pub(super) fn prune_link_blocks(nodes: &mut [N<'_>], root: usize) {
    let total = f64::from(nodes[root].chars.max(1));
    // A listing's items are links: there the links are the content.
    if f64::from(nodes[root].link_chars) > LISTING * total {
        return;
    }
    let mut i = root + 1;
    while i < nodes[root].end {
        let n = &nodes[i];
        if n.removed || n.el.is_none() {
            i = n.end.max(i + 1);
            continue;
        }
        let dense = f64::from(n.link_chars) >= LINK_DENSE * f64::from(n.chars.max(1));
        if n.chars > 0
            && dense
            && f64::from(n.chars) < SMALL * total
            && matches!(
                n.name,
                "ul" | "ol" | "div" | "section" | "table" | "dl" | "header" | "form"
            )
        {
            nodes[i].removed = true;
            i = nodes[i].end.max(i + 1);
            continue;
        }
        i += 1;
    }
}

/// Removes, inside the container `root`, the blocks that a heading names
/// as the page around the content ("Related articles", "You may also
/// like", "Customers also bought"): the outermost element that the
/// heading opens, below the container and holding under half of it.
pub(super) fn drop_related(nodes: &mut [N<'_>], root: usize) {
    let end = nodes[root].end;
    let half = nodes[root].chars / 2;
    let mut i = root + 1;
    while i < end {
        let n = &nodes[i];
        if n.removed {
            i = n.end.max(i + 1);
            continue;
        }
        if !matches!(n.name, "h2" | "h3" | "h4" | "h5" | "h6") || n.chars > 60 {
            i += 1;
            continue;
        }
        let text = super::tree::text_under(nodes, i);
        if !names_related(&text) {
            i += 1;
            continue;
        }
        // Up while the parent's first text is the heading's.
        let mut w = i;
        loop {
            let p = nodes[w].parent;
            if p <= root || p >= end || nodes[p].chars > half {
                break;
            }
            let first = (p + 1..nodes[p].end)
                .find(|&j| nodes[j].el.is_none() && nodes[j].own > 0 && !nodes[j].removed);
            if !first.is_some_and(|j| j > i && j < nodes[i].end) {
                break;
            }
            w = p;
        }
        if w != i {
            nodes[w].removed = true;
            i = nodes[w].end.max(i + 1);
        } else {
            i += 1;
        }
    }
}

/// Tells whether a heading names a block of other pages or products.
fn names_related(heading: &str) -> bool {
    let words: Vec<String> = heading
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    matches!(
        words.as_slice(),
        ["related", ..]
            | ["similar", ..]
            | ["recommended", ..]
            | ["trending", ..]
            | ["popular", "posts" | "articles" | "stories" | "products", ..]
            | ["recent", "posts" | "articles" | "stories", ..]
            | [
                "more",
                "from" | "like" | "stories" | "articles" | "news" | "to",
                ..
            ]
            | ["read", "next" | "more" | "also", ..]
            | ["see", "also"]
            | ["you", "may" | "might" | "will", "also", ..]
            | ["customers", "also" | "who", ..]
            | ["people", "also", ..]
            | ["frequently", "bought", ..]
            | ["also", "bought" | "viewed" | "read", ..]
            | ["other", "products" | "articles" | "posts", ..]
            | ["you", "may" | "might" | "will", "like" | "enjoy", ..]
            | ["recently", "viewed", ..]
            | ["complete" | "shop" | "get", "the", "look", ..]
            | ["shop", "similar" | "more", ..]
            | ["pairs" | "goes" | "works", "well", "with", ..]
            | ["bought", "together", ..]
            | ["sponsored", ..]
            | ["inspired", "by", "your", ..]
            | ["compare", "similar", ..]
    )
}

/// Removes, inside the container `root`, an element whose text repeats
/// an earlier element's word for word: the slides of a carousel written
/// twice for two screen sizes, a notice under every tab, a product's
/// blurb in the gallery and again in the description. The first stays.
pub(super) fn drop_repeats(nodes: &mut [N<'_>], root: usize) {
    let end = nodes[root].end;
    // Under each node: a polynomial hash of its text nodes' hashes (each
    // text node one symbol, whitespace-only ones left out), the base to
    // the power of their number, the letters and digits under it, and
    // the blocks holding text (up to two). Built from the last node to
    // the first, so a parent meets its children last to first and puts
    // each in front of what it has. Copies are exact: a text node is
    // hashed as written, less the whitespace around it.
    let size = end - root;
    let mut hash = vec![0u64; size];
    let mut power = vec![1u64; size];
    let mut len = vec![0u32; size];
    // A repeated single paragraph (a disclaimer under each offer, a
    // callout in each of a guide's language tabs) is the page's own; a
    // repeated run of blocks is a copy of the page's content.
    let mut blocks = vec![0u8; size];
    let text_hash = foldhash::fast::FixedState::with_seed(HASH_SEED);
    for j in (root..end).rev() {
        let n = &nodes[j];
        let k = j - root;
        if n.removed {
            continue;
        }
        if n.el.is_none() && n.own > 0 {
            hash[k] = text_hash.hash_one(n.text.trim());
            power[k] = HASH_BASE;
            len[k] = n.own;
        }
        let own = u8::from(n.el.is_some() && len[k] > 0 && super::render::is_block(n.name));
        let p = n.parent;
        if j > root && p >= root && p < end {
            let q = p - root;
            hash[q] = hash[k].wrapping_mul(power[q]).wrapping_add(hash[q]);
            power[q] = power[q].wrapping_mul(power[k]);
            len[q] += len[k];
            blocks[q] = (blocks[q] + blocks[k] + own).min(2);
        }
    }
    let least = REPEAT_MIN.max((f64::from(len[0]) * REPEAT_SHARE) as u32);
    let mut seen: std::collections::HashMap<(u64, u32), usize, foldhash::fast::RandomState> =
        Default::default();
    let mut i = root + 1;
    while i < end {
        if nodes[i].removed || nodes[i].el.is_none() {
            i = nodes[i].end.max(i + 1);
            continue;
        }
        let key = (hash[i - root], len[i - root]);
        if key.1 >= least && blocks[i - root] >= 2 {
            match seen.get(&key) {
                // An element holding nothing but this one: the same text.
                Some(&j) if nodes[j].end >= nodes[i].end => {}
                Some(_) => {
                    nodes[i].removed = true;
                    i = nodes[i].end.max(i + 1);
                    continue;
                }
                None => {
                    seen.insert(key, i);
                }
            }
        }
        i += 1;
    }
    super::tree::recount(nodes);
}

const REPEAT_SHARE: f64 = 0.02;
const HASH_BASE: u64 = 0x0100_0000_01b3;
const HASH_SEED: u64 = 0x7472_6177_6c21;
/// Letters and digits an element must hold for its repeat to go: a
/// short label ("Add to cart", a price) is left to repeat.
const REPEAT_MIN: u32 = 80;

const LINK_DENSE: f64 = 0.8;
const SMALL: f64 = 0.1;
const LISTING: f64 = 0.2;

/// The share of the page's text that a `<main>` must hold to be where the
/// container is looked for (measured on wcxb-dev-600: 0.25 and 0.35 left
/// two listings' feeds out, 0.45 to 0.55 took them in, 0.6 lost a
/// product page).
const MAIN_SHARE: f64 = 0.5;

/// The share of its parent's text that a child must hold to be gone
/// into.
const DOMINANT: f64 = 0.8;

/// Tells whether a removed element holds node `i`.
fn inside_removed(nodes: &[N<'_>], i: usize) -> bool {
    let mut j = 0;
    while j < i {
        if nodes[j].removed && nodes[j].end > i {
            return true;
        }
        j = if nodes[j].removed || nodes[j].end <= i {
            nodes[j].end.max(j + 1)
        } else {
            j + 1
        };
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_words_match_whole() {
        let bp = |v: &str| Named::of(v).boilerplate;
        assert!(bp("site-footer"));
        assert!(bp("shareBar"));
        assert!(bp("ad"));
        assert!(bp("col cookie_notice"));
        assert!(!bp("head"));
        assert!(!bp("canvas"));
        assert!(!bp("shadow"));
        assert!(!bp("entry-content"));
        assert!(bp("skip-link"));
        assert!(bp("skipToContent"));
        assert!(!bp("skip-item"));
        assert!(!bp("interior-page-content-has-sidebar"));
        assert!(!bp("c-layout-sidebar-left"));
        assert!(bp("content-sidebar"));
        assert!(bp("message-userExtras"));
        assert!(!bp("message-userContent"));
        assert!(bp("postprofile"));
        assert!(Named::of("onetrust-consent-sdk").consent);
        let comments = |v: &str| Named::of(v).comments;
        assert!(comments("comments-area"));
        assert!(comments("comment-list"));
        assert!(comments("disqus_thread"));
        assert!(!comments("comment"));
        assert!(!comments("comment-author"));
        assert!(!comments("testimonials-comments"));
        assert!(!comments("post has-comments"));
        assert!(!Named::of("cmp-container").consent);
    }

    #[test]
    fn headings_that_name_related_blocks() {
        assert!(names_related("Related articles"));
        assert!(names_related("You may also like"));
        assert!(names_related("Customers who bought this also bought"));
        assert!(names_related("More from this author"));
        assert!(names_related("Complete the look"));
        assert!(names_related("Recently viewed items"));
        // A review's "Top picks" and a store's "Best sellers" are content.
        assert!(!names_related("Top picks"));
        assert!(!names_related("More"));
        assert!(!names_related("Relatedness of species"));
        assert!(!names_related("Installation"));
    }

    #[test]
    fn json_state_is_not_prose() {
        let state = format!("{{\"asins\":[{}\"B0\"]}}", "\"B0CX\",".repeat(20));
        assert!(looks_like_json(&state));
        assert!(!looks_like_json("{\"a\": 1}"));
        assert!(!looks_like_json(
            "Write {\"key\": value} pairs in the file, one for each setting you change, and save it."
        ));
    }

    #[test]
    fn ids_that_name_the_content() {
        assert!(names_the_content("primary"));
        assert!(names_the_content("main-content"));
        assert!(names_the_content("content_area"));
        assert!(!names_the_content("nav-main"));
        assert!(!names_the_content("sidebar-content"));
        assert!(!names_the_content(""));
    }
}
