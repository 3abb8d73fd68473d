#!/usr/bin/env python3
"""Reference extractor for trawl's `title` and `links` (the contract's rules).

    reference.py [-j N] [--scripting] URLS_FILE > ref.jsonl

Fetches every URL of URLS_FILE (one a line; blank lines and lines starting
with '#' skipped, like trawl), parses the body with html5lib and prints one
JSON line per URL, in input order:

    {"url", "final_url", "status", "title", "links", "error"}

Rules (trawl's contract, written independently of trawl's code):

* title: the first `title` element in the HTML namespace in tree order; its
  text content (all descendant text), whitespace runs collapsed to one space
  and trimmed (`" ".join(text.split())`); null when there is none.
* links: every `a` and `area` element in the HTML namespace with an `href`
  attribute, in tree order. Base: the first `base` element (any, in tree
  order) that has an `href`: urljoin(final_url, href stripped of ASCII
  whitespace); else the final URL. Each href is stripped of leading and
  trailing ASCII whitespace; one starting with '#' is skipped (an empty href
  is kept: it resolves to the base); it is resolved with urljoin(base, href),
  its fragment dropped; a result whose scheme is not http or https (any
  case) is skipped; repeats are dropped, the first one kept.
* Elements inside a <template> are not part of the document (the DOM puts
  them in the template's content fragment, which html5lib's etree builder
  does not model): they are skipped, for the title and for links.
* A URL that does not resolve is skipped: urljoin raising ValueError (e.g.
  "http://[::1/"), or a result that is not absolute (no scheme: a relative
  href against a base like "javascript:void(0)"). A <base href> that urljoin
  cannot resolve is ignored (the final URL is the base).

--scripting parses with html5lib's scripting flag on, as a browser with
JavaScript does (trawl parses with it off, as the contract says): the
contents of <noscript> are then text, not elements. Off by default.

Only the standard library and html5lib are used. Pages are fetched and
parsed in a small process pool (-j, default 2): html5lib is pure Python and
the parse, not the fetch, is the slow part.
"""

import argparse
import concurrent.futures
import json
import sys
import urllib.error
import urllib.request
from urllib.parse import urldefrag, urljoin, urlsplit

import html5lib

HTML_NS = "{http://www.w3.org/1999/xhtml}"
ASCII_WS = " \t\n\r\x0c"  # WHATWG "ASCII whitespace"
KEPT_SCHEMES = {"http", "https"}
TIMEOUT_S = 30


def collapse(text):
    return " ".join(text.split())


def elements(root):
    """The elements of the document in tree order, outside <template> contents."""
    stack = [root]
    while stack:
        el = stack.pop()
        if not isinstance(el.tag, str):  # comments, processing instructions
            continue
        yield el
        if el.tag == HTML_NS + "template":
            continue
        stack.extend(reversed(list(el)))


def resolve(base, href):
    try:
        url = urljoin(base, href)
    except ValueError:
        return None
    return url if urlsplit(url).scheme else None


def extract(text, final_url, scripting=False):
    """Returns (title, links) for the decoded HTML `text` served at `final_url`."""
    root = html5lib.parse(text, treebuilder="etree", namespaceHTMLElements=True, scripting=scripting)
    title = None
    base_href = None
    anchors = []
    for el in elements(root):  # document (tree) order
        tag = el.tag
        if tag == HTML_NS + "title":
            if title is None:
                title = collapse("".join(el.itertext()))
        elif tag == HTML_NS + "base":
            if base_href is None and "href" in el.attrib:
                base_href = el.attrib["href"]
        elif tag in (HTML_NS + "a", HTML_NS + "area"):
            if "href" in el.attrib:
                anchors.append(el.attrib["href"])

    base = None if base_href is None else resolve(final_url, base_href.strip(ASCII_WS))
    base = base or final_url
    links = []
    seen = set()
    for href in anchors:
        href = href.strip(ASCII_WS)
        if href.startswith("#"):
            continue
        url = resolve(base, href)
        if url is None:
            continue
        url = urldefrag(url).url
        if urlsplit(url).scheme.lower() not in KEPT_SCHEMES:
            continue
        if url not in seen:
            seen.add(url)
            links.append(url)
    return title, links


def charset_of(content_type):
    for param in (content_type or "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"\'')
    return "utf-8"


SCRIPTING = False


def one(url):
    rec = {"url": url, "final_url": None, "status": None, "title": None, "links": None, "error": None}
    try:
        req = urllib.request.Request(url, headers={"User-Agent": "trawl-differential-reference"})
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
            rec["status"] = resp.status
            rec["final_url"] = resp.geturl()
            body = resp.read()
            content_type = resp.headers.get("Content-Type")
    except urllib.error.HTTPError as e:
        rec["status"] = e.code
        rec["error"] = f"http_status {e.code}"
        return rec
    except Exception as e:  # noqa: BLE001 - every URL gets a record
        rec["error"] = f"{type(e).__name__}: {e}"
        return rec
    try:
        charset = charset_of(content_type)
        try:
            text = body.decode(charset, errors="replace")
        except LookupError:
            text = body.decode("utf-8", errors="replace")
        rec["title"], rec["links"] = extract(text, rec["final_url"], SCRIPTING)
    except Exception as e:  # noqa: BLE001
        rec["error"] = f"parse: {type(e).__name__}: {e}"
    return rec


def _set_scripting(on):
    global SCRIPTING
    SCRIPTING = on


def read_urls(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                yield line


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("urls_file")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--scripting", action="store_true",
                    help="parse as with JavaScript on: <noscript> contents are text")
    args = ap.parse_args()
    global SCRIPTING
    SCRIPTING = args.scripting
    urls = list(read_urls(args.urls_file))
    out = sys.stdout
    if args.jobs <= 1:
        results = map(one, urls)
        for rec in results:
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    else:
        with concurrent.futures.ProcessPoolExecutor(
            max_workers=args.jobs, initializer=_set_scripting, initargs=(args.scripting,)
        ) as pool:
            for rec in pool.map(one, urls, chunksize=4):
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
