//! `--meta`: the page's description, canonical URL, language, robots
//! directives, Open Graph and Twitter card properties, and its JSON-LD
//! blocks.

use super::dom::Base;
use html5ever::{LocalName, local_name, ns};
use scraper::ElementRef;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

/// The `meta` object of a record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meta {
    /// `<meta name="description">`'s content.
    pub description: Option<String>,
    /// `<link rel="canonical">`'s href, absolute.
    pub canonical: Option<String>,
    /// `<html lang>`.
    pub lang: Option<String>,
    /// `<meta name="robots">`'s content.
    pub robots: Option<String>,
    /// Every `og:*` and `twitter:*` property, the first of each name, in
    /// document order; names in lower case.
    pub properties: Vec<(String, String)>,
}

impl Serialize for Meta {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(4 + self.properties.len()))?;
        map.serialize_entry("description", &self.description)?;
        map.serialize_entry("canonical", &self.canonical)?;
        map.serialize_entry("lang", &self.lang)?;
        map.serialize_entry("robots", &self.robots)?;
        for (k, v) in &self.properties {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// Reads a `meta` object back from an earlier record (`--revalidate`),
/// keeping the order of its properties.
impl<'de> Deserialize<'de> for Meta {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = Meta;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a meta object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Meta, A::Error> {
                let mut meta = Meta::default();
                while let Some(name) = map.next_key::<String>()? {
                    let slot = match name.as_str() {
                        "description" => &mut meta.description,
                        "canonical" => &mut meta.canonical,
                        "lang" => &mut meta.lang,
                        "robots" => &mut meta.robots,
                        _ => {
                            let value: String = map.next_value()?;
                            meta.properties.push((name, value));
                            continue;
                        }
                    };
                    *slot = map.next_value()?;
                }
                Ok(meta)
            }
        }
        d.deserialize_map(Visit)
    }
}

/// What `--meta` found on a page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageMeta {
    pub meta: Meta,
    /// The parsed `application/ld+json` blocks, in document order.
    pub json_ld: Vec<Value>,
    /// Blocks that were not valid JSON, skipped.
    pub json_ld_invalid: u32,
}

/// Collects `--meta` while the page is walked once (or streamed).
#[derive(Debug, Default)]
pub struct MetaScan {
    found: PageMeta,
    canonical: Option<String>,
    /// Property names already taken (a page may repeat thousands).
    seen: std::collections::HashSet<String>,
}

impl MetaScan {
    /// Looks at one element of a tree, in document order.
    pub fn visit(&mut self, el: ElementRef<'_>) {
        if el.value().name.ns == ns!(html)
            && self.visit_html(&el.value().name.local, |a| el.attr(a))
        {
            self.json_ld(&el.text().collect::<String>());
        }
    }

    /// Looks at one HTML element, named `name`, whose attributes `attr`
    /// gives, in document order. Returns true for a JSON-LD block: its text
    /// goes to [`MetaScan::json_ld`].
    pub(super) fn visit_html<'v>(
        &mut self,
        name: &LocalName,
        attr: impl Fn(&str) -> Option<&'v str>,
    ) -> bool {
        let m = &mut self.found.meta;
        if *name == local_name!("meta") {
            let Some(content) = attr("content") else {
                return false;
            };
            let content = content.trim();
            if let Some(name) = attr("name") {
                let name = name.trim();
                if name.eq_ignore_ascii_case("description") {
                    m.description.get_or_insert_with(|| content.to_owned());
                    return false;
                }
                if name.eq_ignore_ascii_case("robots") {
                    m.robots.get_or_insert_with(|| content.to_owned());
                    return false;
                }
            }
            // Open Graph uses `property`, Twitter cards `name`; pages mix
            // them up, so both are read for both.
            for key in [attr("property"), attr("name")].into_iter().flatten() {
                let key = key.trim().to_ascii_lowercase();
                if (key.starts_with("og:") || key.starts_with("twitter:"))
                    && key.len() > key.find(':').map_or(0, |i| i + 1)
                    && self.seen.insert(key.clone())
                {
                    m.properties.push((key, content.to_owned()));
                }
            }
        } else if *name == local_name!("link") {
            if self.canonical.is_none()
                && let (Some(rel), Some(href)) = (attr("rel"), attr("href"))
                && rel
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("canonical"))
            {
                self.canonical = Some(href.to_owned());
            }
        } else if *name == local_name!("html") {
            if m.lang.is_none()
                && let Some(lang) = attr("lang")
            {
                m.lang = Some(lang.trim().to_owned());
            }
        } else if *name == local_name!("script") && is_json_ld(attr("type")) {
            return true;
        }
        false
    }

    /// Takes the text of a JSON-LD block.
    pub(super) fn json_ld(&mut self, text: &str) {
        match serde_json::from_str::<Value>(text.trim()) {
            Ok(v) => self.found.json_ld.push(v),
            Err(_) => self.found.json_ld_invalid += 1,
        }
    }

    /// What was found, with the canonical URL resolved.
    pub fn finish(mut self, base: &Base) -> PageMeta {
        self.found.meta.canonical = self
            .canonical
            .map(|h| base.join(&h).map_or(h, String::from));
        self.found
    }
}

/// Tells whether a script `type` is JSON-LD (case and parameters aside).
pub(crate) fn is_json_ld(ty: Option<&str>) -> bool {
    ty.is_some_and(|t| {
        t.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .eq_ignore_ascii_case("application/ld+json")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::Html;
    use serde_json::json;

    #[test]
    fn meta_reads_back_as_written_in_order() {
        let meta = Meta {
            description: Some("d".into()),
            canonical: None,
            lang: Some("en".into()),
            robots: None,
            properties: vec![
                ("twitter:card".into(), "summary".into()),
                ("og:title".into(), "T".into()),
            ],
        };
        let text = serde_json::to_string(&meta).unwrap();
        let back: Meta = serde_json::from_str(&text).unwrap();
        assert_eq!(back, meta);
        assert_eq!(serde_json::to_string(&back).unwrap(), text);
    }
    use url::Url;

    fn scan(page: &str) -> PageMeta {
        let doc = Html::parse_document(page);
        let mut m = MetaScan::default();
        use super::super::dom;
        dom::walk(&doc, |el| m.visit(el));
        m.finish(&Base::new(
            &Url::parse("http://h.test/a/b.html").unwrap(),
            None,
        ))
    }

    #[test]
    fn reads_the_usual_tags() {
        let page = r#"<html lang=" en-GB "><head>
            <meta name="Description" content=" A page. ">
            <meta name="description" content="second, ignored">
            <META NAME=robots CONTENT="noindex,follow">
            <link rel="alternate canonical" href="../c.html#x">
            <meta property="og:title" content="OG title">
            <meta property="OG:Image" content="/i.png">
            <meta property="og:image" content="/second.png">
            <meta name="twitter:card" content="summary">
            <meta property="og:" content="no name">
            <meta name="og:site_name" content="by name">
            <meta property="article:author" content="not og">
            <svg><meta name="robots" content="svg, not html"/></svg>
            </head></html>"#;
        let got = scan(page);
        assert_eq!(
            serde_json::to_value(&got.meta).unwrap(),
            json!({
                "description": "A page.",
                "canonical": "http://h.test/c.html#x",
                "lang": "en-GB",
                "robots": "noindex,follow",
                "og:title": "OG title",
                "og:image": "/i.png",
                "twitter:card": "summary",
                "og:site_name": "by name",
            })
        );
        // Keys keep document order.
        let keys: Vec<_> = got
            .meta
            .properties
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(
            keys,
            ["og:title", "og:image", "twitter:card", "og:site_name"]
        );
    }

    #[test]
    fn absent_fields_are_null() {
        let got = scan("<p>bare</p>");
        assert_eq!(
            serde_json::to_value(&got.meta).unwrap(),
            json!({"description": null, "canonical": null, "lang": null, "robots": null})
        );
        assert!(got.json_ld.is_empty());
        assert_eq!(got.json_ld_invalid, 0);
    }

    #[test]
    fn json_ld_blocks_parse_and_bad_ones_are_counted() {
        let page = r#"<script type="application/ld+json">{"@type": "Thing", "name": "a</b>"}</script>
            <script type=" Application/LD+JSON; charset=utf-8">[1, 2]</script>
            <script type="application/ld+json">{"broken": </script>
            <script type="application/ld+json"></script>
            <script type="application/json">{"not": "ld"}</script>
            <template><script type="application/ld+json">{"in": "template"}</script></template>"#;
        let got = scan(page);
        assert_eq!(
            got.json_ld,
            vec![json!({"@type": "Thing", "name": "a</b>"}), json!([1, 2])]
        );
        assert_eq!(got.json_ld_invalid, 2);
    }
}
