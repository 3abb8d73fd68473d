#!/usr/bin/env python3
"""Compares trawl's records with the reference's, page by page.

    compare.py [--min-pct 99.5] [--examples 5] [--plain TRAWL_PLAIN_JSONL] TRAWL_JSONL REF_JSONL

Joins the two files by `url` and compares `title` and `links`. Prints the
number of pages compared, the pages whose titles are equal, the pages whose
link lists are equal as strings ("raw") and equal after both sides went
through `whatwg_normalise` below ("after normalisation"), and sorts every
mismatching page into buckets, with counts and examples.

With --plain, the titles of a second trawl run made without --links are
compared too: without --links (nor -s, --meta) trawl reads the title with a
tokenizer-only fast path instead of the tree it builds for --links, so the
two runs check two title code paths.

Exit status: 0 when the title agreement (of both runs, with --plain) and
the link agreement after normalisation reach --min-pct percent of the
pages, 1 otherwise (2 for bad input). The raw link agreement is printed but not gated: the reference
resolves with urljoin, which leaves URLs as written, and trawl with the
WHATWG URL standard (Rust `url` crate), which normalises them; that
difference is expected and is what the normalisation bucket shows.

The normalisation (`whatwg_normalise`) rewrites an absolute URL the way the
WHATWG URL parser serialises it, as implemented by rust-url 2.5:

* leading and trailing C0 controls and spaces removed; tab, LF, CR removed
  everywhere;
* scheme lowercased;
* for the special schemes (http, https, ws, wss, ftp, file): backslashes
  read as slashes; the host percent-decoded, lowercased and, when not
  ASCII, converted with IDNA (Python's IDNA 2003 codec: close to, not the
  same as, UTS #46); the port dropped when it is the scheme's default (and
  written without leading zeros); an empty path written as "/"; dot
  segments ("." ".." and their %2e spellings) resolved;
* percent-encoding with rust-url's sets, UTF-8 for non-ASCII, uppercase
  hex, an existing %XX left alone:
  userinfo: C0 controls, DEL, non-ASCII, space " # < > ? ` { } / : ; = @ [ \\ ] ^ |
  path:     C0 controls, DEL, non-ASCII, space " # < > ? ` { }
  query:    C0 controls, DEL, non-ASCII, space " # < >, and ' for special schemes
  (non-special schemes: the host is left as written; an opaque path
  ("mailto:x", "urn:x") gets only C0 controls, DEL and non-ASCII encoded);
* the fragment dropped (both sides already drop it).

After normalising, each list is deduplicated again (first kept), since two
strings that urljoin keeps apart can be one URL to WHATWG.
"""

import argparse
import collections
import difflib
import json
import re
import sys

SPECIAL_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21, "file": None}

_C0_DEL = {chr(c) for c in range(0x20)} | {"\x7f"}
PATH_SET = _C0_DEL | set(' "#<>?`{}')
QUERY_SET = _C0_DEL | set(' "#<>')
SPECIAL_QUERY_SET = QUERY_SET | {"'"}
USERINFO_SET = PATH_SET | set("/:;=@[\\]^|")
OPAQUE_SET = _C0_DEL

SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")


def pct_encode(s, charset, rules, rule_ascii, rule_non_ascii="percent-encoding: non-ASCII as UTF-8"):
    out = []
    for ch in s:
        if ord(ch) > 0x7E and ch != "\x7f":
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass")))
            rules.add(rule_non_ascii)
        elif ch in charset:
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8")))
            rules.add(rule_ascii + f" ({ch!r})")
        else:
            out.append(ch)
    return "".join(out)


def _is_single_dot(seg):
    return seg == "." or seg.lower() == "%2e"


def _is_double_dot(seg):
    return seg.lower() in ("..", ".%2e", "%2e.", "%2e%2e")


def remove_dot_segments(path, rules):
    """WHATWG path parsing of an absolute path (starting with '/')."""
    segs = path.split("/")[1:]
    out = []
    for i, seg in enumerate(segs):
        last = i == len(segs) - 1
        if _is_double_dot(seg):
            rules.add("dot segments resolved")
            if out:
                out.pop()
            if last:
                out.append("")
        elif _is_single_dot(seg):
            rules.add("dot segments resolved")
            if last:
                out.append("")
        else:
            out.append(seg)
    return "/" + "/".join(out)


def _pct_decode(s):
    return re.sub(r"%([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), s)


def whatwg_normalise(url):
    """Returns (normalised url, set of the rules that changed something)."""
    rules = set()
    s = url.strip("".join(chr(c) for c in range(0x21)))
    if s != url:
        rules.add("C0/space trimmed")
    t = s.replace("\t", "").replace("\n", "").replace("\r", "")
    if t != s:
        rules.add("tab/newline removed")
    s = t
    m = SCHEME_RE.match(s)
    if not m:
        return s, rules
    scheme = m.group(1)
    if scheme != scheme.lower():
        rules.add("scheme lowercased")
    scheme = scheme.lower()
    rest = s[m.end():]
    special = scheme in SPECIAL_PORTS
    frag_at = rest.find("#")
    if frag_at >= 0:
        rest = rest[:frag_at]
    if special:
        if "\\" in rest.split("?", 1)[0]:
            rules.add("backslash read as slash")
            head, q, tail = rest.partition("?")
            rest = head.replace("\\", "/") + q + tail
    if not rest.startswith("//") and not special:
        # opaque path ("mailto:x") or path-only URL
        path, q, query = rest.partition("?")
        path = pct_encode(path, OPAQUE_SET, rules, "percent-encoding: opaque path")
        if q:
            query = pct_encode(query, QUERY_SET, rules, "percent-encoding: query")
        return scheme + ":" + path + (q + query), rules
    if special:
        stripped = rest.lstrip("/")
        if len(rest) - len(stripped) != 2:
            rules.add("slashes after scheme")
        rest = stripped
    else:
        rest = rest[2:]
    cut = len(rest)
    for c in "/?":
        i = rest.find(c)
        if 0 <= i < cut:
            cut = i
    authority, rest = rest[:cut], rest[cut:]
    userinfo, at, hostport = authority.rpartition("@")
    if at:
        user, colon, password = userinfo.partition(":")
        user = pct_encode(user, USERINFO_SET, rules, "percent-encoding: userinfo")
        password = pct_encode(password, USERINFO_SET, rules, "percent-encoding: userinfo")
        userinfo = user + (":" + password if password else "")
        if colon and not password:
            rules.add("empty password dropped")
        userinfo += "@" if userinfo else ""
        if not userinfo:
            rules.add("empty userinfo dropped")
    else:
        userinfo = ""
    if hostport.startswith("["):
        end = hostport.find("]")
        host, port = hostport[: end + 1], hostport[end + 1:].lstrip(":")
        if host != host.lower():
            rules.add("host lowercased")
        host = host.lower()
    else:
        host, _, port = hostport.partition(":")
        if special:
            h = _pct_decode(host)
            if h != host:
                rules.add("host percent-decoded")
            if h != h.lower():
                rules.add("host lowercased")
            h = h.lower()
            if not h.isascii():
                try:
                    h = h.encode("idna").decode("ascii")
                    rules.add("host IDNA")
                except UnicodeError:
                    pass
            host = h
    if port:
        if port.isdigit():
            p = int(port)
            if special and SPECIAL_PORTS.get(scheme) == p:
                rules.add("default port dropped")
                port = ""
            elif str(p) != port:
                rules.add("port leading zeros dropped")
                port = str(p)
    elif hostport.endswith(":"):
        rules.add("empty port dropped")
    path, q, query = rest.partition("?")
    if special:
        if path == "":
            rules.add("empty path written as /")
            path = "/"
        path = remove_dot_segments(path, rules)
    elif path.startswith("/"):
        path = remove_dot_segments(path, rules)
    path = pct_encode(path, PATH_SET, rules, "percent-encoding: path")
    if q:
        query = pct_encode(query, SPECIAL_QUERY_SET if special else QUERY_SET, rules, "percent-encoding: query")
    out = scheme + "://" + userinfo + host + (":" + port if port else "") + path + (q + query)
    return out, rules


FORBIDDEN_HOST = set(" #%/:<>?@[\\]^|") | {chr(c) for c in range(0x20)} | {"\x7f"}


def whatwg_problem(url):
    """Why the WHATWG parser would refuse `url` (special schemes only), or None.

    A rough check of the common failures: empty host, a forbidden host code
    point (after percent-decoding), an unclosed IPv6 bracket, a port that is
    not a number up to 65535, an IPv4-looking host with a part over 255.
    """
    m = SCHEME_RE.match(url)
    if not m or m.group(1).lower() not in SPECIAL_PORTS or m.group(1).lower() == "file":
        return None
    rest = url[m.end():].lstrip("/\\")
    authority = re.split(r"[/?#\\]", rest, maxsplit=1)[0]
    hostport = authority.rpartition("@")[2]
    if hostport.startswith("["):
        if "]" not in hostport:
            return "unclosed IPv6 bracket"
        host, port = hostport[: hostport.index("]") + 1], hostport[hostport.index("]") + 1:]
        if port and not port.startswith(":"):
            return "junk after IPv6 address"
        port = port[1:]
    else:
        host, _, port = hostport.partition(":")
        h = _pct_decode(host)
        if not h:
            return "empty host"
        bad = sorted(set(h) & FORBIDDEN_HOST)
        if bad:
            return f"forbidden host code point {''.join(bad)!r}"
        labels = h.rstrip(".").split(".")
        if labels and labels[-1].isdigit() and all(x.isdigit() for x in labels) and any(int(x) > 255 for x in labels):
            return "IPv4 part over 255"
    if port and (not port.isdigit() or int(port) > 65535):
        return "bad port"
    return None


def dedupe(xs):
    seen = set()
    out = []
    for x in xs:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


def load(path):
    recs = {}
    order = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"compare: {path}:{n}: not JSON: {e}")
            if r.get("url") in recs:
                print(f"compare: warning: {path}: {r.get('url')} appears twice; the first is used", file=sys.stderr)
                continue
            recs[r["url"]] = r
            order.append(r["url"])
    return recs, order


def pct(n, d):
    return f"{100.0 * n / d:.2f} %" if d else "n/a"


def short(s, n=160):
    s = json.dumps(s, ensure_ascii=False)
    return s if len(s) <= n else s[: n - 1] + "…"


def main():
    ap = argparse.ArgumentParser(description="compare trawl's title/links with the reference's")
    ap.add_argument("trawl_jsonl")
    ap.add_argument("ref_jsonl")
    ap.add_argument("--min-pct", type=float, default=99.5)
    ap.add_argument("--examples", type=int, default=5, help="examples shown per bucket")
    ap.add_argument("--plain", metavar="TRAWL_PLAIN_JSONL",
                    help="records of a trawl run without --links (its fast title path)")
    args = ap.parse_args()

    trawl, _ = load(args.trawl_jsonl)
    plain = load(args.plain)[0] if args.plain else None
    plain_title_eq = plain_compared = 0
    ref, order = load(args.ref_jsonl)

    buckets = collections.OrderedDict()  # name -> list of example strings; counts in bucket_n
    bucket_n = collections.Counter()
    link_rules = collections.Counter()  # normalisation rule -> number of links it changed
    rule_examples = {}

    def add(bucket, example):
        bucket_n[bucket] += 1
        ex = buckets.setdefault(bucket, [])
        if len(ex) < args.examples:
            ex.append(example)

    compared = title_eq = links_raw_eq = links_norm_eq = both_norm_eq = 0
    links_total_trawl = links_total_ref = 0
    only_ref_pages = [u for u in ref if u not in trawl]
    only_trawl_pages = [u for u in trawl if u not in ref]
    for u in only_ref_pages:
        add("page missing from trawl's output", u)
    for u in only_trawl_pages:
        add("page missing from the reference's output", u)

    for url in order:
        if url not in trawl:
            continue
        t, r = trawl[url], ref[url]
        if r.get("error"):
            add("reference could not fetch/parse the page (page skipped)", f"{url}: {r['error']}")
            continue
        compared += 1
        if t.get("error") or not t.get("ok", True):
            add("trawl record not ok (still compared)", f"{url}: {short(t.get('error'))}")
        if t.get("final_url") != r.get("final_url"):
            add("final_url differs (still compared)", f"{url}: trawl {t.get('final_url')!r}, ref {r.get('final_url')!r}")

        # ---- title
        tt, rt = t.get("title"), r.get("title")
        if tt == rt:
            title_eq += 1
        elif tt is None or rt is None:
            add("title differs: null on one side", f"{url}: trawl {short(tt)} | ref {short(rt)}")
        elif " ".join(tt.split()) == " ".join(rt.split()):
            add("title differs: whitespace only", f"{url}: trawl {short(tt)} | ref {short(rt)}")
        else:
            add("title differs", f"{url}: trawl {short(tt)} | ref {short(rt)}")

        if plain is not None:
            if url not in plain:
                add("page missing from trawl's plain output (no --links)", url)
            else:
                plain_compared += 1
                pt = plain[url].get("title")
                if pt == rt:
                    plain_title_eq += 1
                else:
                    add("title differs, trawl without --links (fast title path)",
                        f"{url}: trawl {short(pt)} | ref {short(rt)}")

        # ---- links
        if "links" not in t or t.get("links") is None:
            add("trawl record has no links field", url)
            continue
        tl, rl = t["links"], r["links"] or []
        links_total_trawl += len(tl)
        links_total_ref += len(rl)
        if tl == rl:
            links_raw_eq += 1
            links_norm_eq += 1
            both_norm_eq += tt == rt
            continue
        tn = [whatwg_normalise(x) for x in tl]
        rn = [whatwg_normalise(x) for x in rl]
        tnl, rnl = dedupe(x for x, _ in tn), dedupe(x for x, _ in rn)
        # per-link: which reference strings needed which rule to meet trawl's
        tset = set(tl)
        pairs = []
        for raw, (norm, rules) in zip(rl, rn):
            if raw not in tset and norm in set(tnl):
                tr_raw = next((a for a, (b, _) in zip(tl, tn) if b == norm), None)
                for rule in rules or {"(no rule: differs on trawl's side)"}:
                    link_rules[rule] += 1
                    rule_examples.setdefault(rule, f"ref {raw!r} -> trawl {tr_raw!r}  (page {url})")
                pairs.append(f"ref {raw!r} -> trawl {tr_raw!r}")
        if tnl == rnl:
            links_norm_eq += 1
            both_norm_eq += tt == rt
            extra = ""
            if len(tl) != len(rl):
                extra = f" (trawl {len(tl)} links, ref {len(rl)}: WHATWG makes some of the reference's links one)"
            add("url normalisation only: WHATWG (trawl) vs urljoin (reference)",
                f"{url}: " + "; ".join(pairs[:3]) + (f"; … {len(pairs)} in all" if len(pairs) > 3 else "") + extra)
            continue
        st, sr = set(tnl), set(rnl)
        if st == sr:
            first = next(i for i, (a, b) in enumerate(zip(tnl, rnl)) if a != b)
            add("link order differs (same links after normalisation)",
                f"{url}: first difference at #{first}: trawl {tnl[first]!r}, ref {rnl[first]!r}")
            continue
        only_t = [x for x in tnl if x not in sr]
        only_r = [x for x in rnl if x not in st]
        # pair a reference link with the trawl link that stands in its place
        # (same href, resolved differently) by aligning the two lists
        ot, orr = set(only_t), set(only_r)
        paired_t, paired_r, pairs = set(), set(), []
        sm = difflib.SequenceMatcher(None, rnl, tnl, autojunk=False)
        for op, i1, i2, j1, j2 in sm.get_opcodes():
            if op != "replace":
                continue
            for a, b in zip(rnl[i1:i2], tnl[j1:j2]):
                if a in orr and b in ot and a not in paired_r and b not in paired_t:
                    paired_r.add(a)
                    paired_t.add(b)
                    pairs.append((a, b))
        if pairs:
            add("same href resolved differently (WHATWG parser vs urljoin, beyond normalisation)",
                f"{url}: " + "; ".join(f"ref {a!r} vs trawl {b!r}" + (
                    f" (ref's is not a valid URL: {whatwg_problem(a)})" if whatwg_problem(a) else "")
                    for a, b in pairs[:3]))
        rest_r = [x for x in only_r if x not in paired_r]
        rest_t = [x for x in only_t if x not in paired_t]
        invalid = [(x, whatwg_problem(x)) for x in rest_r]
        invalid = [(x, why) for x, why in invalid if why]
        if invalid:
            add("link only in reference: not a valid URL to WHATWG (trawl leaves out what does not resolve)",
                f"{url}: " + ", ".join(f"{x!r} ({why})" for x, why in invalid[:3]))
        rest_r = [x for x in rest_r if not whatwg_problem(x)]
        if rest_t:
            add("link only in trawl (after normalisation)",
                f"{url}: {len(rest_t)}: " + ", ".join(repr(x) for x in rest_t[:3]))
        if rest_r:
            add("link only in reference (after normalisation)",
                f"{url}: {len(rest_r)}: " + ", ".join(repr(x) for x in rest_r[:3]))
        common_t = [x for x in tnl if x in sr]
        common_r = [x for x in rnl if x in st]
        if common_t != common_r:
            add("link order differs too (on the links both have)", url)

    print(f"pages in trawl's output: {len(trawl)}, in the reference's: {len(ref)}")
    print(f"pages compared: {compared}")
    print(f"links: trawl {links_total_trawl}, reference {links_total_ref} (over the pages compared)")
    print(f"equal title:                         {title_eq:6d}  {pct(title_eq, compared)}")
    if plain is not None:
        print(f"equal title, trawl w/o --links:      {plain_title_eq:6d}  {pct(plain_title_eq, plain_compared)}"
              " (fast title path)")
    print(f"equal links (raw strings):           {links_raw_eq:6d}  {pct(links_raw_eq, compared)}")
    print(f"equal links (after normalisation):   {links_norm_eq:6d}  {pct(links_norm_eq, compared)}")
    print(f"equal title and links (after norm.): {both_norm_eq:6d}  {pct(both_norm_eq, compared)}")
    if buckets:
        print("\nmismatches by class (pages):")
        for name, ex in buckets.items():
            print(f"  {bucket_n[name]:5d}  {name}")
            for e in ex:
                print(f"           e.g. {e}")
    if link_rules:
        print("\nnormalisation rules behind the raw link differences (links changed by each rule):")
        for rule, n in link_rules.most_common():
            print(f"  {n:5d}  {rule}")
            print(f"           e.g. {rule_examples[rule]}")

    ok = compared > 0 and 100.0 * title_eq / compared >= args.min_pct and 100.0 * links_norm_eq / compared >= args.min_pct
    if plain is not None:
        ok = ok and plain_compared == compared and 100.0 * plain_title_eq / compared >= args.min_pct
    plain_s = f" (without --links {pct(plain_title_eq, compared)})" if plain is not None else ""
    print(f"\n{'PASS' if ok else 'FAIL'}: titles {pct(title_eq, compared)}{plain_s}, links after normalisation "
          f"{pct(links_norm_eq, compared)} (gate: >= {args.min_pct} % each; raw links {pct(links_raw_eq, compared)}, not gated)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
