//! Archives (issue 29): `--warc` writes every exchange as it went over the
//! wire, with digests that verify, and a metadata record per URL; the
//! test reads the archive back itself, and with warcio when it is on PATH.

use crate::support::{Server, records, run};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;

/// One WARC record: its headers (names lower-cased) and its block.
#[derive(Debug)]
pub(crate) struct WarcRecord {
    headers: HashMap<String, String>,
    pub(crate) block: Vec<u8>,
}

impl WarcRecord {
    pub(crate) fn get(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }
}

/// Reads a whole archive (gzip members or plain), record by record,
/// failing on anything that is not well-formed WARC 1.1.
pub(crate) fn read_warc(path: &std::path::Path) -> Vec<WarcRecord> {
    let raw = std::fs::read(path).expect("read the archive");
    let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .expect("every member decompresses");
        out
    } else {
        raw
    };
    let mut recs = Vec::new();
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        let end = rest
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a header block");
        let head = std::str::from_utf8(&rest[..end]).expect("utf-8 headers");
        let mut lines = head.split("\r\n");
        assert_eq!(lines.next(), Some("WARC/1.1"));
        let headers: HashMap<String, String> = lines
            .map(|l| {
                let (n, v) = l.split_once(": ").expect("name: value");
                (n.to_ascii_lowercase(), v.to_owned())
            })
            .collect();
        let len: usize = headers["content-length"].parse().expect("length");
        let block = rest[end + 4..end + 4 + len].to_vec();
        assert_eq!(&rest[end + 4 + len..end + 8 + len], b"\r\n\r\n");
        rest = &rest[end + 8 + len..];
        recs.push(WarcRecord { headers, block });
    }
    recs
}

/// Each gzip member of the archive at `path`: its text, and whether its
/// first deflate block is a stored one (block type 00).
fn member_kinds(path: &std::path::Path) -> Vec<(String, bool)> {
    let raw = std::fs::read(path).expect("read the archive");
    let mut at = 0;
    let mut out = Vec::new();
    while at < raw.len() {
        // trawl's members have the 10-byte header (no name, no extra).
        assert_eq!(raw[at + 3], 0, "no optional gzip header fields");
        let stored = raw[at + 10] & 0b110 == 0;
        // A slice reads as far as the member goes and no further.
        let mut rest = &raw[at..];
        let mut text = Vec::new();
        flate2::bufread::GzDecoder::new(&mut rest)
            .read_to_end(&mut text)
            .expect("a member decompresses");
        at = raw.len() - rest.len();
        out.push((String::from_utf8_lossy(&text).into_owned(), stored));
    }
    out
}

/// Fails unless each line of a CDXJ `index` names a file in `dir` whose
/// bytes at its offset and length are one whole response (or revisit)
/// record for its URL, gzip member or plain.
fn index_points_at_responses(index: &str, dir: &std::path::Path) {
    assert!(!index.is_empty(), "an empty index proves nothing");
    for line in index.lines() {
        let json: serde_json::Value =
            serde_json::from_str(line.splitn(3, ' ').nth(2).unwrap_or("{}")).expect("json");
        let raw = std::fs::read(dir.join(json["filename"].as_str().unwrap_or_default()))
            .expect("the named file");
        let number = |k: &str| -> usize {
            json[k]
                .as_str()
                .and_then(|v| v.parse().ok())
                .expect("a number")
        };
        let slice = &raw[number("offset")..number("offset") + number("length")];
        let mut record = Vec::new();
        if slice.starts_with(&[0x1f, 0x8b]) {
            flate2::read::GzDecoder::new(slice)
                .read_to_end(&mut record)
                .expect("a member");
        } else {
            record = slice.to_vec();
        }
        let text = String::from_utf8_lossy(&record);
        assert!(text.starts_with("WARC/1.1\r\n"), "{line}");
        assert!(text.ends_with("\r\n\r\n"), "a whole record: {line}");
        assert!(text.contains("WARC-Type: response") || text.contains("WARC-Type: revisit"));
        let url = json["url"].as_str().unwrap_or("?");
        assert!(
            text.contains(&format!("WARC-Target-URI: {url}\r\n")),
            "{line}"
        );
    }
}

/// `sha256:` base32 of `bytes`, as the archive writes digests.
fn digest(bytes: &[u8]) -> String {
    const ABC: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let d = Sha256::digest(bytes);
    let mut bits = String::new();
    for b in d.iter() {
        bits.push_str(&format!("{b:08b}"));
    }
    while !bits.len().is_multiple_of(40) {
        bits.push('0');
    }
    let mut out: String = bits
        .as_bytes()
        .chunks(5)
        .map(|c| {
            ABC[usize::from_str_radix(std::str::from_utf8(c).unwrap_or("0"), 2).unwrap_or(0)]
                as char
        })
        .collect();
    // 256 bits: 52 characters carry bits, 4 are padding.
    out.truncate(52);
    out.push_str("====");
    format!("sha256:{out}")
}

/// The HTTP head and body of a response block.
fn split_http(block: &[u8]) -> (String, &[u8]) {
    let end = block
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("http head");
    (
        String::from_utf8_lossy(&block[..end]).into_owned(),
        &block[end + 4..],
    )
}

#[test]
fn the_warc_holds_every_exchange_as_it_came_with_digests_that_verify() {
    let s = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let warc = dir.path().join("crawl.warc.gz");
    let warc_s = warc.to_str().expect("path");
    let input = [
        s.url("/page/simple.html"),
        s.url("/content/0001"),
        s.url("/redirect/2"),
        s.url("/status/404"),
        s.url("/br"),
        s.url("/big/200000"),
    ]
    .join("\n");
    let (recs, _, code) = run(
        &[
            "-q",
            "--warc",
            warc_s,
            "-H",
            "Authorization: Bearer s3cret",
            "--ok-status",
            "200-399",
        ],
        &input,
    );
    assert_eq!((recs.len(), code), (6, 1));
    let archive = read_warc(&warc);
    assert_eq!(archive[0].get("warc-type"), "warcinfo");
    let info = String::from_utf8_lossy(&archive[0].block);
    assert!(
        info.contains("software: trawl/") && info.contains("Bearer ***"),
        "{info}"
    );
    assert!(!info.contains("s3cret"));
    let responses: Vec<&WarcRecord> = archive
        .iter()
        .filter(|r| r.get("warc-type") == "response")
        .collect();
    // simple, content, three hops of the redirect, the 404, br, big.
    assert_eq!(
        responses.len(),
        8,
        "{:?}",
        responses
            .iter()
            .map(|r| r.get("warc-target-uri"))
            .collect::<Vec<_>>()
    );
    for r in &archive {
        assert!(r.get("warc-record-id").starts_with("<urn:uuid:"));
        let date = r.get("warc-date");
        assert_eq!(date.len(), "2026-12-07T20:00:00.123456Z".len(), "{date}");
        if !r.get("warc-block-digest").is_empty() {
            assert_eq!(r.get("warc-block-digest"), digest(&r.block), "block digest");
        }
    }
    for r in &responses {
        let (head, body) = split_http(&r.block);
        assert_eq!(r.get("warc-payload-digest"), digest(body), "payload digest");
        assert_eq!(r.get("warc-ip-address"), "127.0.0.1");
        assert!(!head.to_ascii_lowercase().contains("transfer-encoding"));
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .expect("a content-length");
        assert_eq!(length, body.len().to_string(), "{head}");
    }
    // The gzip page is stored as it came: still gzip, Content-Encoding kept.
    let content = responses
        .iter()
        .find(|r| r.get("warc-target-uri").ends_with("/content/0001"))
        .expect("the content page");
    let (head, body) = split_http(&content.block);
    assert!(head.contains("content-encoding: gzip"), "{head}");
    let stored =
        std::fs::read(crate::support::fixture("content/html/0001.html.gz")).expect("fixture");
    assert_eq!(body, &stored[..], "the body as it came over the wire");
    // Its record's gzip member stores it (deflate block type 00) rather
    // than deflating a compressed body again; a page that came plain is
    // deflated.
    let kinds = member_kinds(&warc);
    let member_of = |path: &str| {
        kinds
            .iter()
            .find(|(text, _)| {
                text.contains("WARC-Type: response") && text.contains(&format!("{path}\r\n"))
            })
            .map(|(_, stored)| *stored)
            .expect("a response member")
    };
    assert!(member_of("/content/0001"), "a gzip body is stored");
    assert!(!member_of("/page/simple.html"), "a plain body is deflated");
    // Requests: one a response, secrets masked.
    let requests: Vec<&WarcRecord> = archive
        .iter()
        .filter(|r| r.get("warc-type") == "request")
        .collect();
    assert_eq!(requests.len(), responses.len());
    for q in &requests {
        let text = String::from_utf8_lossy(&q.block);
        assert!(text.starts_with("GET /"), "{text}");
        assert!(text.contains("authorization: Bearer ***"), "{text}");
        assert!(!text.contains("s3cret"));
        assert!(
            responses
                .iter()
                .any(|r| r.get("warc-record-id") == q.get("warc-concurrent-to"))
        );
    }
    // The brotli page is stored compressed, and read decoded.
    let br = responses
        .iter()
        .find(|r| r.get("warc-target-uri").ends_with("/br"))
        .expect("the brotli page");
    let (head, body) = split_http(&br.block);
    assert!(head.contains("content-encoding: br"), "{head}");
    assert!(!body.windows(6).any(|w| w == b"brotli"), "still compressed");
    let m = crate::support::by_url(&recs);
    assert_eq!(m[&s.url("/br")]["title"], "brotli page");
    // The chunked page: de-chunked, whole, its length stated.
    let big = responses
        .iter()
        .find(|r| r.get("warc-target-uri").ends_with("/big/200000"))
        .expect("the chunked page");
    let (head, body) = split_http(&big.block);
    assert_eq!(body.len(), 200_000, "{head}");
    // One metadata record a URL, holding its trawl record.
    let metadata: Vec<&WarcRecord> = archive
        .iter()
        .filter(|r| r.get("warc-type") == "metadata")
        .collect();
    assert_eq!(metadata.len(), 6);
    for m in &metadata {
        assert!(m.get("warc-target-uri").starts_with("urn:trawl:http://"));
        assert_eq!(m.get("content-type"), "application/json");
        let rec = records(&m.block);
        assert_eq!(rec.len(), 1);
        assert!(recs.contains(&rec[0]), "{:?}", rec[0]);
    }
    // The records are as a run without --warc gives them.
    let (plain, _, _) = run(&["-q"], &input);
    let key = |r: &serde_json::Value| {
        (
            r["url"].clone(),
            r["status"].clone(),
            r["content_hash"].clone(),
            r["bytes"].clone(),
            r["title"].clone(),
        )
    };
    let mut a: Vec<_> = recs.iter().map(key).collect();
    let mut b: Vec<_> = plain.iter().map(key).collect();
    a.sort_by_key(|k| k.0.to_string());
    b.sort_by_key(|k| k.0.to_string());
    assert_eq!(a, b);
    warcio_check(&warc);
}

#[test]
fn a_body_cut_at_max_body_is_marked_truncated_and_plain_warc_works() {
    let s = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let warc = dir.path().join("cut.warc");
    let (recs, _, _) = run(
        &[
            "-q",
            "--warc",
            warc.to_str().expect("path"),
            "--max-body",
            "1KiB",
        ],
        &format!("{}\n", s.url("/big/100000")),
    );
    assert_eq!(crate::support::kind(&recs[0]), "body_too_large");
    let archive = read_warc(&warc);
    let response = archive
        .iter()
        .find(|r| r.get("warc-type") == "response")
        .expect("a response");
    assert_eq!(response.get("warc-truncated"), "length");
    let (_, body) = split_http(&response.block);
    assert_eq!(body.len(), 1024);
    warcio_check(&warc);
}

/// Runs `warcio check` on `path` when warcio is installed (`.ci/run`
/// installs it); every digest must verify.
fn warcio_check(path: &std::path::Path) {
    let Ok(out) = std::process::Command::new("warcio")
        .arg("check")
        .arg("-v")
        .arg(path)
        .output()
    else {
        eprintln!("warcio is not installed: the archive was checked by this test only");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "warcio check failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("digest pass") && !text.contains("digest fail"),
        "{text}"
    );
}

#[test]
fn the_cdxj_index_points_at_each_response_and_the_wacz_packs_it_all() {
    let s = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let warc = dir.path().join("site.warc.gz");
    let cdxj = dir.path().join("site.cdxj");
    let wacz = dir.path().join("site.wacz");
    let input = [
        s.url("/page/simple.html?b=2&a=1"),
        s.url("/content/0001"),
        s.url("/redirect/1"),
    ]
    .join("\n");
    let (recs, _, code) = run(
        &[
            "-q",
            "--warc",
            warc.to_str().expect("path"),
            "--cdxj",
            cdxj.to_str().expect("path"),
            "--wacz",
            wacz.to_str().expect("path"),
        ],
        &input,
    );
    assert_eq!((recs.len(), code), (3, 0));
    let index = std::fs::read_to_string(&cdxj).expect("the index");
    let lines: Vec<&str> = index.lines().collect();
    assert_eq!(lines.len(), 4, "one a response, redirect hops too: {index}");
    let mut sorted = lines.clone();
    sorted.sort_unstable();
    assert_eq!(lines, sorted, "sorted");
    let raw = std::fs::read(&warc).expect("the warc");
    let port = s.addr.port();
    for line in &lines {
        let mut parts = line.splitn(3, ' ');
        let (surt, ts, json) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        assert!(surt.starts_with(&format!("1,0,0,127:{port})/")), "{surt}");
        assert_eq!(ts.len(), 14);
        let f: serde_json::Value = serde_json::from_str(json).expect("json");
        assert_eq!(f["filename"], "site.warc.gz");
        // offset and length are one gzip member: a response record.
        let offset: usize = f["offset"]
            .as_str()
            .and_then(|v| v.parse().ok())
            .expect("offset");
        let length: usize = f["length"]
            .as_str()
            .and_then(|v| v.parse().ok())
            .expect("length");
        let mut member = Vec::new();
        flate2::read::GzDecoder::new(&raw[offset..offset + length])
            .read_to_end(&mut member)
            .expect("a member");
        let text = String::from_utf8_lossy(&member);
        assert!(text.contains("WARC-Type: response"), "{text}");
        assert!(text.contains(&format!(
            "WARC-Target-URI: {}",
            f["url"].as_str().unwrap_or_default()
        )));
    }
    assert!(
        index.contains(&format!("1,0,0,127:{port})/page/simple.html?a=1&b=2 ")),
        "{index}"
    );
    // The package: stored entries, the same WARC byte for byte, hashes
    // that match, a page per ok HTML record.
    let entries = stored_zip(&std::fs::read(&wacz).expect("the package"));
    let unzip = |name: &str| -> Vec<u8> {
        entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.clone())
            .unwrap_or_else(|| panic!("no {name} in the package"))
    };
    assert_eq!(unzip("archive/site.warc.gz"), raw);
    assert_eq!(unzip("indexes/index.cdx"), index.as_bytes());
    let package: serde_json::Value =
        serde_json::from_slice(&unzip("datapackage.json")).expect("json");
    assert_eq!(package["profile"], "data-package");
    for r in package["resources"].as_array().expect("resources") {
        let bytes = unzip(r["path"].as_str().expect("path"));
        let hex: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let hash = format!("sha256:{hex}");
        assert_eq!(r["hash"], hash, "{r}");
        assert_eq!(r["bytes"], bytes.len());
    }
    let pages = String::from_utf8(unzip("pages/pages.jsonl")).expect("utf-8");
    let pages: Vec<&str> = pages.lines().collect();
    assert!(pages[0].contains("json-pages-1.0"));
    assert_eq!(pages.len(), 1 + 3, "{pages:?}");
}

#[test]
fn a_wacz_alone_keeps_its_warc_inside_only() {
    let s = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let wacz = dir.path().join("one.wacz");
    let (_, _, code) = run(
        &["-q", "--wacz", wacz.to_str().expect("path")],
        &s.url("/page/simple.html"),
    );
    assert_eq!(code, 0);
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    assert_eq!(left, ["one.wacz"], "no WARC or directory left beside it");
    let entries = stored_zip(&std::fs::read(&wacz).expect("the package"));
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "archive/data.warc.gz",
            "indexes/index.cdx",
            "pages/pages.jsonl",
            "datapackage.json",
            "datapackage-digest.json"
        ]
    );
}

/// The entries of a ZIP whose entries are all stored, read through their
/// local headers, each checked against its CRC; the end record must count
/// as many.
fn stored_zip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let u16_at = |i: usize| usize::from(u16::from_le_bytes([bytes[i], bytes[i + 1]]));
    let u32_at =
        |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    let mut out = Vec::new();
    let mut at = 0;
    while bytes[at..].starts_with(b"PK\x03\x04") {
        assert_eq!(u16_at(at + 8), 0, "stored, not deflated");
        let crc = u32_at(at + 14);
        let size = u32_at(at + 18) as usize;
        let name_len = u16_at(at + 26);
        let extra = u16_at(at + 28);
        let name = String::from_utf8(bytes[at + 30..at + 30 + name_len].to_vec()).expect("name");
        let start = at + 30 + name_len + extra;
        let data = bytes[start..start + size].to_vec();
        let mut check = flate2::Crc::new();
        check.update(&data);
        assert_eq!(check.sum(), crc, "{name}");
        out.push((name, data));
        at = start + size;
    }
    let end = bytes.len() - 22;
    assert_eq!(&bytes[end..end + 4], b"PK\x05\x06");
    assert_eq!(u16_at(end + 10), out.len());
    out
}

#[test]
fn resume_cuts_a_torn_archive_and_captures_whose_records_died() {
    let s = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["run.warc.gz", "run.warc"] {
        let warc = dir.path().join(name);
        let out = dir.path().join(format!("{name}.jsonl"));
        let (warc_s, out_s) = (warc.to_str().expect("path"), out.to_str().expect("path"));
        let cdxj = dir.path().join(format!("{name}.cdxj"));
        let cdxj_s = cdxj.to_str().expect("path");
        let urls: Vec<String> = (0..12)
            .map(|i| s.url(&format!("/page/simple.html?i={i}")))
            .collect();
        let input = urls.join("\n");
        let (_, _, code) = run(&["-q", "-c", "4", "-o", out_s, "--warc", warc_s], &input);
        assert_eq!(code, 0);
        // A crash: three JSON lines never made it, and the archive ends in
        // half a record. They are taken from the middle, so that records
        // kept after the first cut have to move up (a crash loses the
        // last lines, whose captures may lie anywhere near the end).
        let text = std::fs::read_to_string(&out).expect("records");
        let kept: String = (text.lines().enumerate())
            .filter(|(i, _)| !(3..6).contains(i))
            .map(|(_, l)| format!("{l}\n"))
            .collect();
        std::fs::write(&out, kept).expect("write");
        let mut raw = std::fs::read(&warc).expect("archive");
        let torn = raw[raw.len() / 2..raw.len() / 2 + 300].to_vec();
        raw.extend_from_slice(if name.ends_with(".gz") {
            &[0x1f, 0x8b, 8, 0, 0, 0]
        } else {
            b"WARC/1.1\r\nWARC-Type: resp"
        });
        raw.extend_from_slice(&torn);
        std::fs::write(&warc, raw).expect("write");
        let (_, _, code) = run(
            &[
                "-q", "-c", "4", "-o", out_s, "--warc", warc_s, "--resume", "--cdxj", cdxj_s,
            ],
            &input,
        );
        assert_eq!(code, 0);
        let recs = records(&std::fs::read(&out).expect("records"));
        assert_eq!(recs.len(), 12);
        let archive = read_warc(&warc);
        for u in &urls {
            let responses = archive
                .iter()
                .filter(|r| r.get("warc-type") == "response" && r.get("warc-target-uri") == u)
                .count();
            assert_eq!(responses, 1, "{name}: {u}");
            let metadata = archive
                .iter()
                .filter(|r| {
                    r.get("warc-type") == "metadata"
                        && r.get("warc-target-uri") == format!("urn:trawl:{u}")
                })
                .count();
            assert_eq!(metadata, 1, "{name}: {u}");
        }
        let infos = archive
            .iter()
            .filter(|r| r.get("warc-type") == "warcinfo")
            .count();
        assert_eq!(infos, 2, "one a run");
        // The index of the resumed archive points at its records where the
        // cut moved them, one line a URL.
        let index = std::fs::read_to_string(&cdxj).expect("index");
        assert_eq!(index.lines().count(), 12);
        index_points_at_responses(&index, dir.path());
        warcio_check(&warc);
    }
}

#[test]
fn a_revalidated_page_is_a_revisit_of_the_earlier_capture() {
    let s = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let day1 = dir.path().join("day1.jsonl");
    let warc = dir.path().join("day2.warc.gz");
    let urls = [s.url("/cache/a?etag=strong"), s.url("/cache/b")].join("\n");
    let (_, _, code) = run(&["-q", "-o", day1.to_str().expect("path")], &urls);
    assert_eq!(code, 0);
    let earlier = records(&std::fs::read(&day1).expect("day 1"));
    let (recs, _, code) = run(
        &[
            "-q",
            "--revalidate",
            day1.to_str().expect("path"),
            "--warc",
            warc.to_str().expect("path"),
        ],
        &urls,
    );
    assert_eq!(code, 0);
    let archive = read_warc(&warc);
    // a: a 304 answering its ETag, a server-not-modified revisit of day 1.
    let a = s.url("/cache/a?etag=strong");
    let revisit = archive
        .iter()
        .find(|r| r.get("warc-target-uri") == a && r.get("warc-type") == "revisit")
        .expect("a revisit record for a");
    assert_eq!(
        revisit.get("warc-profile"),
        "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
    );
    assert_eq!(revisit.get("warc-refers-to-target-uri"), a);
    let day1_a = earlier.iter().find(|r| r["url"] == a).expect("day 1's a");
    assert_eq!(
        revisit.get("warc-refers-to-date"),
        day1_a["fetched_at"].as_str().unwrap_or_default()
    );
    assert!(String::from_utf8_lossy(&revisit.block).starts_with("HTTP/1.1 304"));
    // b: no validator, fetched whole, the same body: an identical-payload
    // revisit, its payload not stored again.
    let b = s.url("/cache/b");
    let revisit = archive
        .iter()
        .find(|r| r.get("warc-target-uri") == b && r.get("warc-type") == "revisit")
        .expect("a revisit record for b");
    assert_eq!(
        revisit.get("warc-profile"),
        "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
    );
    let (_, body) = split_http(&revisit.block);
    assert!(body.is_empty());
    assert!(revisit.get("warc-payload-digest").starts_with("sha256:"));
    assert_eq!(recs.len(), 2);
    assert!(
        archive.iter().all(|r| r.get("warc-type") != "response"),
        "nothing stored twice"
    );
    warcio_check(&warc);
}

#[test]
fn a_big_archive_goes_on_in_numbered_files_each_whole() {
    let s = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let warc = dir.path().join("big.warc.gz");
    let cdxj = dir.path().join("big.cdxj");
    let wacz = dir.path().join("big.wacz");
    let urls: Vec<String> = (0..10)
        .map(|i| s.url(&format!("/page/simple.html?i={i}")))
        .collect();
    let (recs, _, code) = run(
        &[
            "-q",
            "--warc",
            warc.to_str().expect("path"),
            "--warc-max-size",
            "2KB",
            "--cdxj",
            cdxj.to_str().expect("path"),
            "--wacz",
            wacz.to_str().expect("path"),
        ],
        &urls.join("\n"),
    );
    assert_eq!((recs.len(), code), (10, 0));
    let mut files = vec![warc.clone()];
    for n in 1.. {
        let next = dir.path().join(format!("big-{n:05}.warc.gz"));
        if !next.exists() {
            break;
        }
        files.push(next);
    }
    assert!(files.len() >= 3, "{} files", files.len());
    let mut responses = Vec::new();
    for f in &files {
        let archive = read_warc(f);
        assert_eq!(archive[0].get("warc-type"), "warcinfo", "{}", f.display());
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        assert_eq!(archive[0].get("warc-filename"), name);
        responses.extend(
            archive
                .iter()
                .filter(|r| r.get("warc-type") == "response")
                .map(|r| r.get("warc-target-uri").to_owned()),
        );
        warcio_check(f);
    }
    responses.sort_unstable();
    let mut want = urls.clone();
    want.sort_unstable();
    assert_eq!(responses, want, "each page once, across the files");
    // The index names the file of each response.
    index_points_at_responses(&std::fs::read_to_string(&cdxj).expect("index"), dir.path());
    let packed = stored_zip(&std::fs::read(&wacz).expect("package"));
    let warcs = packed
        .iter()
        .filter(|(n, _)| n.starts_with("archive/"))
        .count();
    assert_eq!(warcs, files.len());
}

#[test]
fn a_sigkill_at_a_random_moment_then_resume_leaves_one_capture_a_url() {
    let s = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let warc = dir.path().join("k.warc.gz");
    let out = dir.path().join("k.jsonl");
    let urls: Vec<String> = (0..2000)
        .map(|i| s.url(&format!("/delay/10?i={i}")))
        .collect();
    let list = dir.path().join("urls.txt");
    std::fs::write(&list, urls.join("\n")).expect("write");
    let args = [
        "-q",
        "-c",
        "16",
        "--per-host",
        "16",
        "-i",
        list.to_str().expect("path"),
        "-o",
        out.to_str().expect("path"),
        "--warc",
        warc.to_str().expect("path"),
    ];
    let mut child = crate::support::trawl().args(args).spawn().expect("spawn");
    // A moment between the 100th and the 1,300th record.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let at = 100 + (nanos % 1200) as usize;
    let started = std::time::Instant::now();
    loop {
        let lines = std::fs::read(&out).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
        if lines >= at || started.elapsed() > std::time::Duration::from_secs(30) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    crate::support::signal(&child, "-KILL");
    let _ = child.wait();
    let mut resumed = args.to_vec();
    resumed.push("--resume");
    let (_, _, code) = run(&resumed, "");
    assert_eq!(code, 0);
    let recs = records(&std::fs::read(&out).expect("records"));
    assert_eq!(recs.len(), 2000, "killed after {at}");
    let archive = read_warc(&warc);
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for r in archive.iter().filter(|r| r.get("warc-type") == "response") {
        *seen.entry(r.get("warc-target-uri")).or_default() += 1;
    }
    for u in &urls {
        assert_eq!(seen.get(u.as_str()), Some(&1), "{u} (killed after {at})");
    }
    warcio_check(&warc);
}

#[test]
fn the_warcinfo_masks_secret_headers_however_the_flag_is_written() {
    let s = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let warc = dir.path().join("a.warc");
    let (recs, stderr, code) = run(
        &[
            "-q",
            "--warc",
            warc.to_str().expect("path"),
            "-HX-Api-Key: k3y-attached",
            "--header=Cookie: sid=c00kie-equals",
            "-H",
            "Authorization: Bearer t0ken-apart",
            "-H",
            "X-Trace: visible-value",
        ],
        &s.url("/page/simple.html"),
    );
    assert_eq!((recs.len(), code), (1, 0), "{stderr}");
    let archive = read_warc(&warc);
    let info = String::from_utf8_lossy(&archive[0].block).into_owned();
    for secret in ["k3y-attached", "c00kie-equals", "t0ken-apart"] {
        assert!(!info.contains(secret), "{secret} in {info}");
    }
    assert!(info.contains("-HX-Api-Key: ***"), "{info}");
    assert!(info.contains("sid=***"), "{info}");
    assert!(info.contains("Bearer ***"), "{info}");
    assert!(info.contains("X-Trace: visible-value"), "{info}");
    // The request record shows the headers as sent, masked by one rule.
    let request = archive
        .iter()
        .find(|r| r.get("warc-type") == "request")
        .expect("a request record");
    let sent = String::from_utf8_lossy(&request.block).into_owned();
    for secret in ["k3y-attached", "c00kie-equals", "t0ken-apart"] {
        assert!(!sent.contains(secret), "{secret} in {sent}");
    }
    assert!(sent.contains("x-api-key: ***"), "{sent}");
    assert!(sent.contains("x-trace: visible-value"), "{sent}");
}

#[test]
fn two_outputs_in_one_file_are_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("x.warc.gz");
    let f = f.to_str().expect("path");
    for args in [["-o", f, "--warc", f], ["--warc", f, "--wacz", f]] {
        let out = crate::support::trawl()
            .args(args)
            .arg("http://127.0.0.1:9/")
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("name the same file"));
    }
}

/// GETs `path` from 127.0.0.1:`port` over a plain socket; the whole
/// answer, or `None` when nothing listens yet.
fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::Write;
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    conn.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .ok()?;
    write!(
        conn,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n"
    )
    .ok()?;
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).ok()?;
    Some(String::from_utf8_lossy(&answer).into_owned())
}

#[test]
fn pywb_replays_a_crawled_page_from_the_warc_and_its_index() {
    // .ci/run installs pywb beside warcio; a machine without it skips.
    if std::process::Command::new("wayback")
        .arg("--help")
        .output()
        .is_err()
    {
        eprintln!("pywb is not installed: the replay test is skipped");
        return;
    }
    let s = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let coll = dir.path().join("collections/site");
    std::fs::create_dir_all(coll.join("archive")).expect("mkdir");
    std::fs::create_dir_all(coll.join("indexes")).expect("mkdir");
    let warc = coll.join("archive/site.warc.gz");
    let cdxj = coll.join("indexes/index.cdxj");
    let page = s.url("/page/simple.html");
    let (_, _, code) = run(
        &[
            "-q",
            "--crawl",
            "--depth",
            "1",
            "--warc",
            warc.to_str().expect("path"),
            "--cdxj",
            cdxj.to_str().expect("path"),
            &page,
        ],
        "",
    );
    assert_eq!(code, 0);
    // A free port for the replay server.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let mut wayback = std::process::Command::new("wayback")
        .args(["-p", &port.to_string(), "-b", "127.0.0.1"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start pywb");
    let started = std::time::Instant::now();
    let mut answer = None;
    while started.elapsed() < std::time::Duration::from_secs(60) {
        if let Some(a) = http_get(port, &format!("/site/2026id_/{page}")) {
            answer = Some(a);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let _ = wayback.kill();
    let _ = wayback.wait();
    let answer = answer.expect("pywb answered");
    assert!(
        answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200"),
        "{answer}"
    );
    assert!(answer.contains("Nothing to see here."), "{answer}");
}

#[test]
fn a_post_lines_request_record_holds_its_body_and_length() {
    let s = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let warc = dir.path().join("p.warc");
    let line = serde_json::json!({"url": s.url("/method"), "method": "POST", "form": {"q": "x y"}});
    let (recs, _, code) = run(
        &["-q", "--warc", warc.to_str().expect("path")],
        &format!("{line}\n"),
    );
    assert_eq!((recs.len(), code), (1, 0));
    let archive = read_warc(&warc);
    let request = archive
        .iter()
        .find(|r| r.get("warc-type") == "request")
        .expect("a request record");
    let text = String::from_utf8_lossy(&request.block);
    assert!(text.starts_with("POST /method HTTP/1.1\r\n"), "{text}");
    assert!(
        text.contains("content-length: 5\r\n") && text.ends_with("\r\n\r\nq=x+y"),
        "{text}"
    );
    warcio_check(&warc);
}
