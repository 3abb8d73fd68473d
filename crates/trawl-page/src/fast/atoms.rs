//! Names as atoms: tag and attribute names interned without hashing for
//! the common ones, and the SVG and MathML spellings the tree builder
//! restores.

use html5ever::{Attribute, LocalName, Prefix, QualName, local_name, ns};

/// A tag's name as an atom: the common ones without hashing.
pub(crate) fn tag_atom(name: &str) -> LocalName {
    match name {
        "a" => local_name!("a"),
        "abbr" => local_name!("abbr"),
        "area" => local_name!("area"),
        "article" => local_name!("article"),
        "aside" => local_name!("aside"),
        "b" => local_name!("b"),
        "base" => local_name!("base"),
        "blockquote" => local_name!("blockquote"),
        "body" => local_name!("body"),
        "br" => local_name!("br"),
        "button" => local_name!("button"),
        "caption" => local_name!("caption"),
        "center" => local_name!("center"),
        "cite" => local_name!("cite"),
        "code" => local_name!("code"),
        "col" => local_name!("col"),
        "colgroup" => local_name!("colgroup"),
        "dd" => local_name!("dd"),
        "details" => local_name!("details"),
        "div" => local_name!("div"),
        "dl" => local_name!("dl"),
        "dt" => local_name!("dt"),
        "em" => local_name!("em"),
        "font" => local_name!("font"),
        "footer" => local_name!("footer"),
        "form" => local_name!("form"),
        "h1" => local_name!("h1"),
        "h2" => local_name!("h2"),
        "h3" => local_name!("h3"),
        "h4" => local_name!("h4"),
        "h5" => local_name!("h5"),
        "h6" => local_name!("h6"),
        "head" => local_name!("head"),
        "header" => local_name!("header"),
        "hr" => local_name!("hr"),
        "html" => local_name!("html"),
        "i" => local_name!("i"),
        "iframe" => local_name!("iframe"),
        "img" => local_name!("img"),
        "input" => local_name!("input"),
        "kbd" => local_name!("kbd"),
        "label" => local_name!("label"),
        "li" => local_name!("li"),
        "link" => local_name!("link"),
        "main" => local_name!("main"),
        "meta" => local_name!("meta"),
        "nav" => local_name!("nav"),
        "noscript" => local_name!("noscript"),
        "ol" => local_name!("ol"),
        "option" => local_name!("option"),
        "p" => local_name!("p"),
        "path" => local_name!("path"),
        "pre" => local_name!("pre"),
        "s" => local_name!("s"),
        "samp" => local_name!("samp"),
        "script" => local_name!("script"),
        "section" => local_name!("section"),
        "select" => local_name!("select"),
        "small" => local_name!("small"),
        "source" => local_name!("source"),
        "span" => local_name!("span"),
        "strong" => local_name!("strong"),
        "style" => local_name!("style"),
        "sub" => local_name!("sub"),
        "summary" => local_name!("summary"),
        "sup" => local_name!("sup"),
        "svg" => local_name!("svg"),
        "table" => local_name!("table"),
        "tbody" => local_name!("tbody"),
        "td" => local_name!("td"),
        "textarea" => local_name!("textarea"),
        "tfoot" => local_name!("tfoot"),
        "th" => local_name!("th"),
        "thead" => local_name!("thead"),
        "time" => local_name!("time"),
        "title" => local_name!("title"),
        "tr" => local_name!("tr"),
        "tt" => local_name!("tt"),
        "u" => local_name!("u"),
        "ul" => local_name!("ul"),
        "var" => local_name!("var"),
        "wbr" => local_name!("wbr"),
        "g" => local_name!("g"),
        "rect" => local_name!("rect"),
        "circle" => local_name!("circle"),
        "line" => local_name!("line"),
        "use" => local_name!("use"),
        "figure" => local_name!("figure"),
        "figcaption" => local_name!("figcaption"),
        "picture" => local_name!("picture"),
        "video" => local_name!("video"),
        "nobr" => local_name!("nobr"),
        "big" => local_name!("big"),
        _ => lower_atom(name),
    }
}

/// An attribute's name as an atom: the common ones without hashing.
pub(crate) fn attr_atom(name: &str) -> LocalName {
    match name {
        "class" => local_name!("class"),
        "href" => local_name!("href"),
        "id" => local_name!("id"),
        "title" => local_name!("title"),
        "type" => local_name!("type"),
        "name" => local_name!("name"),
        "rel" => local_name!("rel"),
        "src" => local_name!("src"),
        "alt" => local_name!("alt"),
        "style" => local_name!("style"),
        "lang" => local_name!("lang"),
        "content" => local_name!("content"),
        "charset" => local_name!("charset"),
        "width" => local_name!("width"),
        "height" => local_name!("height"),
        "value" => local_name!("value"),
        "role" => local_name!("role"),
        "color" => local_name!("color"),
        "face" => local_name!("face"),
        "size" => local_name!("size"),
        _ => lower_atom(name),
    }
}

pub(crate) fn lower_atom(name: &str) -> LocalName {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        LocalName::from(name.to_ascii_lowercase())
    } else {
        LocalName::from(name)
    }
}

/// SVG element names the tokenizer lowercased, as SVG spells them.
pub(crate) const SVG_TAGS: &[&str] = &[
    "altGlyph",
    "altGlyphDef",
    "altGlyphItem",
    "animateColor",
    "animateMotion",
    "animateTransform",
    "clipPath",
    "feBlend",
    "feColorMatrix",
    "feComponentTransfer",
    "feComposite",
    "feConvolveMatrix",
    "feDiffuseLighting",
    "feDisplacementMap",
    "feDistantLight",
    "feDropShadow",
    "feFlood",
    "feFuncA",
    "feFuncB",
    "feFuncG",
    "feFuncR",
    "feGaussianBlur",
    "feImage",
    "feMerge",
    "feMergeNode",
    "feMorphology",
    "feOffset",
    "fePointLight",
    "feSpecularLighting",
    "feSpotLight",
    "feTile",
    "feTurbulence",
    "foreignObject",
    "glyphRef",
    "linearGradient",
    "radialGradient",
    "textPath",
];

/// SVG attribute names, as SVG spells them.
pub(crate) const SVG_ATTRS: &[&str] = &[
    "attributeName",
    "attributeType",
    "baseFrequency",
    "baseProfile",
    "calcMode",
    "clipPathUnits",
    "diffuseConstant",
    "edgeMode",
    "filterUnits",
    "glyphRef",
    "gradientTransform",
    "gradientUnits",
    "kernelMatrix",
    "kernelUnitLength",
    "keyPoints",
    "keySplines",
    "keyTimes",
    "lengthAdjust",
    "limitingConeAngle",
    "markerHeight",
    "markerUnits",
    "markerWidth",
    "maskContentUnits",
    "maskUnits",
    "numOctaves",
    "pathLength",
    "patternContentUnits",
    "patternTransform",
    "patternUnits",
    "pointsAtX",
    "pointsAtY",
    "pointsAtZ",
    "preserveAlpha",
    "preserveAspectRatio",
    "primitiveUnits",
    "refX",
    "refY",
    "repeatCount",
    "repeatDur",
    "requiredExtensions",
    "requiredFeatures",
    "specularConstant",
    "specularExponent",
    "spreadMethod",
    "startOffset",
    "stdDeviation",
    "stitchTiles",
    "surfaceScale",
    "systemLanguage",
    "tableValues",
    "targetX",
    "targetY",
    "textLength",
    "viewBox",
    "viewTarget",
    "xChannelSelector",
    "yChannelSelector",
    "zoomAndPan",
];

/// `name` (lowercase) as `table` spells it, if it is there.
pub(crate) fn camel(table: &[&str], name: &LocalName) -> Option<LocalName> {
    table
        .iter()
        .find(|t| t.eq_ignore_ascii_case(name))
        .map(|t| LocalName::from(*t))
}

pub(crate) fn adjust_svg_attributes(attrs: &mut [Attribute]) {
    for a in attrs {
        if let Some(local) = camel(SVG_ATTRS, &a.name.local) {
            a.name = QualName::new(None, ns!(), local);
        }
    }
}

pub(crate) fn adjust_mathml_attributes(attrs: &mut [Attribute]) {
    for a in attrs {
        if a.name.local == local_name!("definitionurl") {
            a.name = QualName::new(None, ns!(), local_name!("definitionURL"));
        }
    }
}

/// `xlink:href` and the like: attributes in their own namespaces.
pub(crate) fn adjust_foreign_attributes(attrs: &mut [Attribute]) {
    for a in attrs {
        let (prefix, ns, local) = match &*a.name.local {
            "xlink:actuate" => ("xlink", ns!(xlink), local_name!("actuate")),
            "xlink:arcrole" => ("xlink", ns!(xlink), local_name!("arcrole")),
            "xlink:href" => ("xlink", ns!(xlink), local_name!("href")),
            "xlink:role" => ("xlink", ns!(xlink), local_name!("role")),
            "xlink:show" => ("xlink", ns!(xlink), local_name!("show")),
            "xlink:title" => ("xlink", ns!(xlink), local_name!("title")),
            "xlink:type" => ("xlink", ns!(xlink), local_name!("type")),
            "xml:lang" => ("xml", ns!(xml), local_name!("lang")),
            "xml:space" => ("xml", ns!(xml), local_name!("space")),
            "xmlns" => ("", ns!(xmlns), local_name!("xmlns")),
            "xmlns:xlink" => ("xmlns", ns!(xmlns), local_name!("xlink")),
            _ => continue,
        };
        a.name = QualName::new(Some(Prefix::from(prefix)), ns, local);
    }
}
