//! Property tests for every parser that reads outside input: URL lists,
//! flags, pages, robots.txt, sitemaps, `Retry-After`, and trawl's own
//! output read back by `--resume`. Each property says what must hold, not
//! only that nothing panics; the HTML and robots properties also hold a
//! deadline.
//!
//! 64 cases a property by default, so `cargo test` stays fast;
//! `PROPTEST_CASES` sets another count (`bench/proptest-long.sh` runs
//! 100,000). A failure prints the smallest input it shrank to; inputs that
//! once broke something are kept below as plain tests, named by what broke.

use proptest::prelude::*;
use std::time::{Duration, Instant};
use url::Url;

/// Cases a property: `PROPTEST_CASES`, else 64.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: crate::page::proptest_cases(64),
        // Failures are reported with their shrunk input; they are not
        // written into the source tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text that looks like what people paste as URLs, with the characters
/// URL parsers trip on.
fn url_like() -> impl Strategy<Value = String> {
    let scheme = prop_oneof![
        Just("http://"),
        Just("https://"),
        Just("HTTP://"),
        Just("hTtPs:"),
        Just("http:/"),
        Just("http:\\\\"),
        Just("ftp://"),
        Just("file:///"),
        Just("mailto:"),
        Just("//"),
        Just(""),
    ];
    let host = prop_oneof![
        "[a-zA-Z0-9-]{1,10}(\\.[a-zA-Z0-9-]{1,6}){0,3}",
        Just("127.0.0.1".to_owned()),
        Just("0x7f.1".to_owned()),
        Just("[::1]".to_owned()),
        Just("xn--bcher-kva.example".to_owned()),
        Just("bücher.example".to_owned()),
        Just("EXAMPLE.com.".to_owned()),
        Just("user:pw@host".to_owned()),
        Just("%41.example".to_owned()),
    ];
    let port = prop_oneof![Just(String::new()), "(:[0-9]{0,6})"];
    let path = "(/[a-zA-Z0-9 %.~:@!$&'()*+,;=é\\\\\t-]{0,12}){0,4}";
    let query = prop_oneof![Just(String::new()), "\\?[a-z0-9=&%+ é]{0,12}"];
    let fragment = prop_oneof![Just(String::new()), "#[a-z0-9%#]{0,8}"];
    let junk = "[ \t\u{0}\u{b}\u{a0}]{0,2}";
    (junk, scheme, host, port, path, query, fragment, junk)
        .prop_map(|(a, s, h, p, pa, q, f, z)| format!("{a}{s}{h}{p}{pa}{q}{f}{z}"))
}

proptest! {
    #![proptest_config(config())]

    /// An input line classifies without panic; a URL is http(s) with a
    /// host, and its key is a fixed point: normalising it again changes
    /// nothing, so a repeat is caught however it was written.
    #[test]
    fn input_lines_classify_and_their_key_is_stable(
        raw in prop_oneof![url_like(), any::<String>()]
    ) {
        use crate::input::{Line, classify};
        let line = classify(&raw);
        if let Line::Url(url) = &line {
            prop_assert!(matches!(url.scheme(), "http" | "https"));
            prop_assert!(url.host_str().is_some_and(|h| !h.is_empty()));
            let key = line.key(raw.trim()).unwrap_or_default().to_owned();
            match classify(&key) {
                Line::Url(again) => prop_assert_eq!(again.as_str(), key.as_str()),
                other => prop_assert!(false, "key {key:?} classifies as {other:?}"),
            }
            prop_assert_eq!(crate::resume::key_of(&key), Some(key.clone()));
        }
    }

    /// `NAME=CSS@what` splits at the first `=` and the last `@` outside
    /// brackets, parentheses and quotes: `=` and `@` inside them stay in
    /// the selector.
    #[test]
    fn selector_specs_keep_their_brackets_and_quotes(
        name in "[a-z_][a-z0-9_-]{0,8}",
        many in any::<bool>(),
        value in "[a-z0-9=@ ._-]{0,8}",
        quote in prop_oneof![Just('"'), Just('\'')],
        tag in prop_oneof![Just("a"), Just("img"), Just("div.x"), Just("*")],
        want in prop_oneof![
            Just(String::new()),
            Just("@text".to_owned()),
            Just("@html".to_owned()),
            "@[a-z][a-z0-9-]{0,6}",
        ],
    ) {
        use crate::page::select::{Selection, Want};
        let css = format!("{tag}[data-v={quote}{value}{quote}]:not([title={quote}@={quote}])");
        let spec = format!("{name}{}={css}{want}", if many { "[]" } else { "" });
        let sel: Selection = spec.parse().map_err(|e| TestCaseError::fail(format!("{spec}: {e}")))?;
        prop_assert_eq!(&sel.name, &name);
        prop_assert_eq!(sel.many, many);
        prop_assert_eq!(&sel.css, &css);
        let expected = match want.as_str() {
            "" | "@text" => Want::Text,
            "@html" => Want::Html,
            attr => Want::Attr(attr[1..].to_owned()),
        };
        prop_assert_eq!(sel.want, expected);
    }

    /// Any spec at all parses or is refused with a message; never a panic.
    #[test]
    fn any_selector_spec_parses_or_is_refused(spec in any::<String>()) {
        let _ = spec.parse::<crate::page::select::Selection>();
        let _ = spec.parse::<crate::page::select::Expect>();
    }

    /// A duration printed by humantime parses back to itself; anything
    /// else parses to more than zero or is refused.
    #[test]
    fn durations_round_trip(ms in 1u64..10_000_000_000, junk in any::<String>()) {
        let d = Duration::from_millis(ms);
        let printed = humantime::format_duration(d).to_string();
        prop_assert_eq!(crate::units::parse_duration(&printed), Ok(d), "{}", printed);
        if let Ok(any) = crate::units::parse_duration(&junk) {
            prop_assert!(!any.is_zero());
        }
    }

    /// Sizes: a byte count and every unit mean what they say, exactly, or
    /// the size is refused (never wraps around). Found: counts past 2^53
    /// bytes came out rounded (they went through f64).
    #[test]
    fn sizes_mean_what_they_say(
        n in prop_oneof![1u64..10_000, 1u64..u64::MAX],
        unit in prop_oneof![
            Just(("", 1u64)), Just(("B", 1)), Just(("k", 1000)), Just(("KB", 1000)),
            Just(("KiB", 1024)), Just(("mb", 1_000_000)), Just(("MiB", 1 << 20)),
            Just(("GB", 1_000_000_000)), Just(("GiB", 1 << 30)),
        ],
        junk in any::<String>(),
    ) {
        let (suffix, factor) = unit;
        let text = format!("{n}{suffix}");
        match n.checked_mul(factor) {
            Some(bytes) => prop_assert_eq!(crate::units::parse_size(&text), Ok(bytes), "{}", text),
            None => prop_assert!(crate::units::parse_size(&text).is_err(), "{}", text),
        }
        let _ = crate::units::parse_size(&junk);
    }

    /// A status list printed from ranges parses to a set holding exactly
    /// those statuses.
    #[test]
    fn status_lists_hold_what_they_list(
        ranges in prop::collection::vec((100u16..=999, 0u16..50), 1..6),
        probe in 0u16..1200,
        junk in any::<String>(),
    ) {
        let ranges: Vec<(u16, u16)> = ranges
            .into_iter()
            .map(|(lo, len)| (lo, (lo + len).min(999)))
            .collect();
        let text = ranges
            .iter()
            .map(|&(lo, hi)| if lo == hi { lo.to_string() } else { format!("{lo}-{hi}") })
            .collect::<Vec<_>>()
            .join(",");
        let set: crate::units::StatusSet = text.parse().map_err(TestCaseError::fail)?;
        let want = ranges.iter().any(|&(lo, hi)| lo <= probe && probe <= hi);
        prop_assert_eq!(set.contains(probe), want, "{} {}", text, probe);
        let _ = junk.parse::<crate::units::StatusSet>();
    }

    /// A rate prints and parses back to itself; one that parses is never
    /// zero nor faster than a request a nanosecond.
    #[test]
    fn rates_round_trip(
        n in 1u32..100_000,
        per_ms in 1u64..100_000_000,
        junk in any::<String>(),
    ) {
        use crate::rate::Rate;
        let rate = Rate { n, per: Duration::from_millis(per_ms) };
        if rate.per / n >= Duration::from_nanos(1) {
            let printed = rate.to_string();
            prop_assert_eq!(printed.parse::<Rate>(), Ok(rate), "{}", printed);
        }
        if let Ok(any) = junk.parse::<Rate>() {
            prop_assert!(any.n > 0 && any.per / any.n >= Duration::from_nanos(1));
            prop_assert_eq!(any.to_string().parse::<Rate>(), Ok(any));
        }
    }

    /// A shard spec that parses prints back the same (`K/N`, 1 <= K <= N),
    /// and every key falls in exactly one shard.
    #[test]
    fn shard_specs_print_back_the_same(
        k in 1u64..1000, extra in 0u64..1000, junk in any::<String>(), key in any::<String>(),
    ) {
        use crate::shard::Shard;
        let spec = format!("{k}/{}", k + extra);
        let shard: Shard = spec.parse().map_err(TestCaseError::fail)?;
        prop_assert_eq!(shard.to_string(), spec);
        if let Ok(any) = junk.parse::<Shard>() {
            prop_assert!(1 <= any.k && any.k <= any.n);
            prop_assert_eq!(any.to_string().parse::<Shard>(), Ok(any));
        }
        let s = crate::shard::shard_of(&key, shard.n);
        prop_assert!((1..=shard.n).contains(&s));
    }

    /// The charset prescan: a byte-order mark wins; a `<meta charset>`
    /// after junk holding no `<` is found; any bytes give an encoding.
    #[test]
    fn the_charset_prescan_finds_meta_and_never_panics(
        // No `<`, and no U+FEFF (at the start, a byte-order mark wins).
        junk in "[^<\u{feff}]{0,200}",
        label in prop_oneof![Just("utf-8"), Just("windows-1251"), Just("shift_jis"), Just("ISO-8859-2"), Just("euc-kr")],
        quote in prop_oneof![Just(""), Just("\""), Just("'")],
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
    ) {
        use crate::content::sniff_encoding;
        let page = format!("{junk}<meta charset={quote}{label}{quote}>");
        if page.len() < 1000 {
            let want = encoding_rs::Encoding::for_label(label.as_bytes());
            prop_assert_eq!(Some(sniff_encoding(page.as_bytes(), None)), want, "{}", page);
        }
        let mut with_bom = b"\xEF\xBB\xBF".to_vec();
        with_bom.extend_from_slice(&bytes);
        prop_assert_eq!(sniff_encoding(&with_bom, Some("text/html; charset=latin1")), encoding_rs::UTF_8);
        let _ = sniff_encoding(&bytes, Some("text/html; charset=\"\u{0}"));
        let _ = sniff_encoding(&bytes, None);
    }

    /// `Retry-After`: seconds are seconds; a date in the past is no wait;
    /// anything else is a wait or nothing, never a panic.
    #[test]
    fn retry_after_reads_seconds_dates_and_junk(secs in any::<u64>(), junk in any::<String>(), past in 0u64..1_000_000_000) {
        use crate::http::retry_after;
        prop_assert_eq!(retry_after(&secs.to_string()), Some(Duration::from_secs(secs)));
        let date = httpdate::fmt_http_date(std::time::UNIX_EPOCH + Duration::from_secs(past));
        prop_assert_eq!(retry_after(&date), Some(Duration::ZERO));
        let _ = retry_after(&junk);
    }
}

/// robots.txt text with the lines that matter and the junk that does not.
fn robots_txt() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("User-agent: *".to_owned()),
        Just("User-agent: trawl".to_owned()),
        "(Dis)?[aA]llow: /[a-z*$%/?=.]{0,12}",
        "Crawl-delay: [0-9.e+-]{0,6}",
        "Sitemap: [a-z:/.]{0,12}",
        "[#a-zA-Z*$: /\u{0}\u{feff}]{0,20}",
        Just("Disallow: /*****************************************a$".to_owned()),
    ];
    prop::collection::vec(line, 0..40).prop_map(|l| l.join("\n"))
}

proptest! {
    #![proptest_config(config())]

    /// The robots.txt matcher: any file and any path answer within a
    /// deadline; a file without a Disallow line allows everything.
    #[test]
    fn the_robots_matcher_answers_in_time(
        txt in prop_oneof![robots_txt(), any::<String>()],
        path in "/[a-z*$%/?=.]{0,30}",
    ) {
        let began = Instant::now();
        let url = format!("http://a.test{path}");
        if let Ok(robot) = texting_robots::Robot::new("trawl", txt.as_bytes()) {
            let allowed = robot.allowed(&url);
            if !txt.to_ascii_lowercase().contains("disallow") {
                prop_assert!(allowed, "{txt:?} disallows {url}");
            }
        }
        prop_assert!(began.elapsed() < Duration::from_secs(2), "{:?}", began.elapsed());
    }

    /// The sitemap reader: a urlset lists its `<loc>`s in order, trimmed;
    /// any bytes give URLs or an error, never a panic.
    #[test]
    fn sitemaps_list_their_locs(
        locs in prop::collection::vec("https?://[a-z]{1,8}\\.test/[a-z0-9/?=&]{0,10}", 0..20),
        index in any::<bool>(),
        junk in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        use crate::sitemap::{Sitemap, parse};
        let (root, item) = if index { ("sitemapindex", "sitemap") } else { ("urlset", "url") };
        let mut xml = format!("<?xml version=\"1.0\"?>\n<{root} xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">");
        for l in &locs {
            let escaped = l.replace('&', "&amp;");
            xml.push_str(&format!("<{item}><loc>\n  {escaped} </loc><lastmod>2020</lastmod></{item}>"));
        }
        xml.push_str(&format!("</{root}>"));
        let got = parse(xml.as_bytes()).map_err(TestCaseError::fail)?;
        let want = if index { Sitemap::Index(locs.clone()) } else { Sitemap::Urls(locs.clone()) };
        prop_assert_eq!(got, want);
        let _ = parse(&junk);
    }

    /// The resume reader, on any bytes: a file of records ends with their
    /// URLs done and nothing cut; a torn last line that is the beginning of
    /// a record is cut off and reported; any other last line without a
    /// newline, and a complete line that is not a record, are refused with
    /// the file left as it was. Never a panic.
    #[test]
    fn the_resume_reader_takes_records_cuts_torn_lines_and_refuses_garbage(
        urls in prop::collection::vec(url_like(), 0..8),
        tail in prop::collection::vec(any::<u8>(), 0..64),
        cut in any::<prop::sample::Index>(),
        torn_record in any::<bool>(),
        garbage in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        use crate::record::{Record, write_json_line};
        let fail = |e: &dyn std::fmt::Display| TestCaseError::fail(e.to_string());
        let dir = tempfile::tempdir().map_err(|e| fail(&e))?;
        let path = dir.path().join("out.jsonl");
        let mut file = Vec::new();
        for u in &urls {
            write_json_line(&Record::empty(u.clone()), &mut file).map_err(|e| fail(&e))?;
            file.push(b'\n');
        }
        let whole = file.len() as u64;
        // The last line: a record cut short anywhere, or any bytes, without
        // a newline.
        let torn: Vec<u8> = if torn_record {
            let mut line = Vec::new();
            write_json_line(&Record::empty("https://a.test/".into()), &mut line).map_err(|e| fail(&e))?;
            line.truncate(cut.index(line.len()));
            line
        } else {
            tail.iter().copied().filter(|&b| b != b'\n').collect()
        };
        let start = b"{\"url\":";
        let n = torn.len().min(start.len());
        let record_start = torn[..n] == start[..n];
        file.extend_from_slice(&torn);
        std::fs::write(&path, &file).map_err(|e| fail(&e))?;
        match crate::resume::prepare(&path) {
            Ok(got) => {
                prop_assert!(record_start, "{:?} was cut", String::from_utf8_lossy(&torn));
                prop_assert_eq!(got.records, urls.len() as u64);
                prop_assert_eq!(got.torn.is_some(), !torn.is_empty());
                prop_assert_eq!(std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0), whole);
                for u in &urls {
                    if let Some(key) = crate::resume::key_of(u) {
                        prop_assert!(got.done.contains(&key), "{u:?}");
                    }
                }
            }
            Err(_) => {
                prop_assert!(!record_start, "{:?} was refused", String::from_utf8_lossy(&torn));
                prop_assert_eq!(std::fs::read(&path).map_err(|e| fail(&e))?, file);
            }
        }
        // A complete line of garbage (a NUL, say) is not a record.
        let mut bad = garbage.clone();
        bad.retain(|&b| b != b'\n');
        bad.push(0);
        bad.push(b'\n');
        std::fs::write(&path, &bad).map_err(|e| fail(&e))?;
        prop_assert!(crate::resume::prepare(&path).is_err());
        prop_assert_eq!(std::fs::read(&path).map_err(|e| fail(&e))?, bad);
    }
}

/// HTML, nested arbitrarily: the elements that change how a parser reads
/// what follows (tables, templates, foreign content, raw text), links and
/// `<base>`, meta and JSON-LD, entities such as lone surrogates, NUL.
fn html() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        "[a-zA-Z &;<>\"'=/#\u{0}\u{85}\u{2028}]{0,16}",
        Just("&#xD800;&#0;&#x1b;[31m&nbsp;".to_owned()),
        Just("::error::forged\r\n".to_owned()),
        "<a href=\"[a-z:/.#?%@ \t\u{0}\\\\]{0,20}\">x</a>",
        "<area href='[a-z:/.#]{0,12}'>",
        "<base href=\"[a-z:/.#]{0,16}\">",
        "<meta (name|property)=\"(og:title|description|robots)\" content=\"[a-z &#;]{0,10}\">",
        "<meta charset=\"[a-z0-9-]{0,10}\">",
        Just("<script type=\"application/ld+json\">{\"@type\":\"Thing\",\"name\":\"\\u0000\"}</script>".to_owned()),
        Just("<script type=\"application/ld+json\">{{{{[[[[</script>".to_owned()),
        Just("<img src=x srcset=\"a.png 1x, ,, b.png 2x\">".to_owned()),
        Just("<title>t&#xD800;i\u{0}tle</title>".to_owned()),
        Just("<!--".to_owned()),
        Just("<![CDATA[".to_owned()),
        Just("</".to_owned()),
    ];
    let tag = prop_oneof![
        Just("div"),
        Just("p"),
        Just("a"),
        Just("table"),
        Just("tr"),
        Just("td"),
        Just("template"),
        Just("svg"),
        Just("math"),
        Just("title"),
        Just("noscript"),
        Just("select"),
        Just("option"),
        Just("textarea"),
        Just("style"),
        Just("script"),
        Just("head"),
        Just("body"),
        Just("html"),
        Just("frameset"),
        Just("b"),
        Just("i"),
        Just("form"),
        Just("button"),
        Just("li"),
        Just("h1"),
    ];
    leaf.prop_recursive(6, 200, 8, move |inner| {
        (
            tag.clone(),
            prop::collection::vec(inner, 0..8),
            any::<bool>(),
        )
            .prop_map(|(tag, kids, close)| {
                let kids = kids.concat();
                if close {
                    format!("<{tag} class=x id=\"y\">{kids}</{tag}>")
                } else {
                    format!("<{tag}>{kids}")
                }
            })
    })
}

/// A plan that asks for everything, `@html` included.
fn plan_for_everything() -> crate::page::Plan {
    let spec = |s: &str| s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
    crate::page::Plan {
        selections: vec![
            spec("h=h1"),
            spec("all[]=a@href"),
            spec("raw=div@html"),
            spec("src[]=img@srcset"),
            spec("t[]=title@text"),
        ],
        links: true,
        meta: true,
        parse_timeout: Some(Duration::from_secs(5)),
        expect: vec!["body".parse().unwrap_or_else(|e| panic!("{e}"))],
        expect_text: vec!["forged".into()],
    }
}

proptest! {
    #![proptest_config(config())]

    /// The HTML path on arbitrary nesting and bytes: no panic, done within
    /// a deadline, every link an absolute http(s) URL without a fragment,
    /// and the record it makes is one line of JSON.
    #[test]
    fn the_html_path_holds_on_hostile_pages(
        page in html(),
        raw in prop::collection::vec(any::<u8>(), 0..1024),
        title_only in any::<bool>(),
    ) {
        let url = Url::parse("https://a.test/dir/page?q=1#top").map_err(|e| TestCaseError::fail(e.to_string()))?;
        let plan = if title_only {
            crate::page::Plan { parse_timeout: Some(Duration::from_secs(5)), ..Default::default() }
        } else {
            plan_for_everything()
        };
        for body in [page.as_bytes(), raw.as_slice()] {
            let began = Instant::now();
            let got = crate::page::extract(body, Some("text/html"), &url, &plan)
                .map_err(|_| TestCaseError::fail("parse timeout"))?
                .ok_or_else(|| TestCaseError::fail("not HTML"))?;
            prop_assert!(began.elapsed() < Duration::from_secs(5));
            for link in got.links.iter().flatten() {
                let parsed = Url::parse(link).map_err(|e| TestCaseError::fail(format!("{link}: {e}")))?;
                prop_assert!(matches!(parsed.scheme(), "http" | "https"), "{link}");
                prop_assert!(parsed.fragment().is_none(), "{link}");
                prop_assert_eq!(parsed.as_str(), link.as_str());
            }
            // Whitespace collapsed: a title is one line.
            if let Some(title) = &got.title {
                prop_assert!(!title.contains(['\n', '\r', '\t']), "{title:?}");
            }
            let mut rec = crate::record::Record::empty(url.to_string());
            rec.title = got.title.clone();
            rec.fields = got.fields.map(Some);
            rec.links = got.links.map(Some);
            let mut line = Vec::new();
            crate::record::write_json_line(&rec, &mut line).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let text = String::from_utf8(line).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(text.lines().count(), 1);
            let breaks = |c: char| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}');
            prop_assert!(!text.chars().any(breaks), "{}", text);
        }
    }
}
