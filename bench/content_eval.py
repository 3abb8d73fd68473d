#!/usr/bin/env python3
"""Main-content extraction (`--content`) scored against a gold corpus, as a user would run it.

(A copy of the scraping-benchmark harness's content_eval.py, so that bench/content.sh runs from
a clone alone; the default corpus here is the sample in fixtures/content.)

The corpus (default ../corpora/wcxb-dev-600: 600 pages of 7 types, each with its gold main
text) is served by a local HTTP server on 127.0.0.1, bytes as stored, Content-Type text/html
without a charset; trawl fetches the pages as a user would:
  $TRAWL -i URLS -q -c 16 --per-host 16 -t 60s --content text [EXTRA FLAGS]
and each record's `content.text` is its prediction (a missing record or null content scores 0).
Prints word F1 (mean over pages, and per page type), pages/s and CPU ms a page.

  TRAWL=target/release/trawl python3 content_eval.py [--limit N] [--peer] [--json OUT] [-- FLAGS]
--peer also scores Python trafilatura on the same HTML in-process (PEER_PYTHON, default
./.venv/bin/python after `bash setup.sh`; `pip install trafilatura lxml_html_clean` into it).
Exit 0 when trawl's F1 >= --min-f1 (default 0) and every page has a record.
"""
import argparse, gzip, http.server, importlib.util, io, json, os, re, resource, socketserver
import subprocess, sys, tarfile, tempfile, threading, time
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent / "fixtures" / "content"


def load_corpus(folder):
    """-> list of (id, html bytes, gold text, page type) from FOLDER/html/ID.html.gz and
    FOLDER/ground-truth/ID.json (main_content, page_type)"""
    folder = Path(folder)
    pages = []
    for g in sorted((folder / "ground-truth").glob("*.json")):
        d = json.loads(g.read_text())
        h = folder / "html" / f"{g.stem}.html.gz"
        if h.exists():
            pages.append((g.stem, gzip.decompress(h.read_bytes()), d.get("main_content") or "",
                          d.get("page_type") or "article"))
    return pages


def serve(root):
    class H(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(root), **k)

        def guess_type(self, path):
            return "text/html"

        def log_message(self, *a):
            pass

    class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    srv = S(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def run_trawl(pages, args):
    tmp = Path(tempfile.mkdtemp(prefix="content-eval-"))
    www = tmp / "www"
    www.mkdir()
    for pid, html, _, _ in pages:
        (www / f"{pid}.html").write_bytes(html)
    srv = serve(www)
    port = srv.server_address[1]
    urls = {f"http://127.0.0.1:{port}/{pid}.html": pid for pid, *_ in pages}
    (tmp / "urls.txt").write_text("".join(u + "\n" for u in urls))
    cmd = [os.environ.get("TRAWL", "target/release/trawl"), "-i", str(tmp / "urls.txt"), "-q",
           "-c", "16", "--per-host", "16", "-t", "60s", "--content", args.format] + args.extra
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, timeout=args.timeout)
    wall = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    srv.shutdown()
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    pred, bad = {}, 0
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            bad += 1
            continue
        pid = urls.get(rec.get("url"))
        c = rec.get("content")
        text = c.get("text") if isinstance(c, dict) else c
        if pid is not None:
            pred[pid] = text if isinstance(text, str) else ""
    info = {"rc": p.returncode, "wall_s": wall, "cpu_s": cpu, "records": len(pred), "bad_lines": bad,
            "stderr": p.stderr.decode("utf-8", "replace")[-600:]}
    return pred, info


def run_trafilatura(pages):
    venv = Path(os.environ.get("PEER_PYTHON", HERE / ".venv/bin/python"))
    code = r"""
import json, sys, time, resource, trafilatura
pages = json.load(sys.stdin)
out = {}
t0 = resource.getrusage(resource.RUSAGE_SELF)
for pid, html in pages:
    out[pid] = trafilatura.extract(html, output_format="txt", include_comments=False) or ""
t1 = resource.getrusage(resource.RUSAGE_SELF)
json.dump({"pred": out, "cpu_s": t1.ru_utime - t0.ru_utime + t1.ru_stime - t0.ru_stime,
           "version": trafilatura.__version__}, sys.stdout)
"""
    payload = json.dumps([(pid, html.decode("utf-8", "replace")) for pid, html, _, _ in pages])
    p = subprocess.run([str(venv), "-c", code], input=payload.encode(), capture_output=True, timeout=1800)
    if p.returncode != 0:
        raise SystemExit("trafilatura peer failed: " + p.stderr.decode()[-800:])
    d = json.loads(p.stdout)
    return d["pred"], {"cpu_s": d["cpu_s"], "version": d["version"]}


def word_f1(pred, ref):
    pt, rt = re.findall(r"\w+", (pred or "").lower()), re.findall(r"\w+", (ref or "").lower())
    if not rt:
        return (1.0, 1.0, 1.0) if not pt else (0.0, 0.0, 0.0)
    if not pt:
        return (0.0, 0.0, 0.0)
    ov = sum((Counter(pt) & Counter(rt)).values())
    p, r = ov / len(pt), ov / len(rt)
    return (p, r, 2 * p * r / (p + r) if p + r else 0.0)


def score(pages, pred):
    """Word F1 a page (lower-cased \\w+ tokens, multiset overlap), averaged over pages and per
    page type: the benchmark's own measure."""
    res, by = [], defaultdict(list)
    for pid, _, gold, pt in pages:
        f = word_f1(pred.get(pid, ""), gold)
        res.append(f)
        by[pt].append(f[2])
    n = len(res)
    return {"f1": sum(r[2] for r in res) / n, "precision": sum(r[0] for r in res) / n,
            "recall": sum(r[1] for r in res) / n,
            "per_type": {k: round(sum(v) / len(v), 3) for k, v in sorted(by.items())}}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(DEFAULT_CORPUS), help="a folder laid out as corpora/wcxb-dev-600")
    ap.add_argument("--format", default="text")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--peer", action="store_true")
    ap.add_argument("--no-tool", action="store_true")
    ap.add_argument("--min-f1", type=float, default=0.0)
    ap.add_argument("--timeout", type=int, default=900)
    ap.add_argument("--json")
    ap.add_argument("extra", nargs="*", help="extra trawl flags after --")
    args = ap.parse_args()
    pages = load_corpus(args.corpus)
    if args.limit:
        pages = pages[: args.limit]
    out, ok = {"corpus": args.corpus, "pages": len(pages)}, True
    if not args.no_tool:
        pred, info = run_trawl(pages, args)
        s = score(pages, pred)
        out["trawl"] = {**s, **{k: v for k, v in info.items() if k != "stderr"}}
        print(f"trawl      F1 {s['f1']:.3f} (P {s['precision']:.3f} R {s['recall']:.3f}) on {len(pages)} pages; "
              f"{len(pages) / info['wall_s']:.1f} pages/s, {1000 * info['cpu_s'] / len(pages):.2f} CPU ms/page; "
              f"records {info['records']}, rc {info['rc']}")
        if "per_type" in s:
            print("           per type: " + ", ".join(f"{k} {v}" for k, v in s["per_type"].items()))
        if info["records"] < len(pages) or info["rc"] not in (0, 1):
            print("           stderr: " + info["stderr"].strip().replace("\n", " | ")[-400:])
        ok = s["f1"] >= args.min_f1 and info["records"] == len(pages)
    if args.peer:
        pred, info = run_trafilatura(pages)
        s = score(pages, pred)
        out["trafilatura"] = {**s, **info}
        print(f"trafilatura {info['version']} F1 {s['f1']:.3f} (P {s['precision']:.3f} R {s['recall']:.3f}); "
              f"{1000 * info['cpu_s'] / len(pages):.2f} CPU ms/page (in-process, no fetch)")
        if "per_type" in s:
            print("           per type: " + ", ".join(f"{k} {v}" for k, v in s["per_type"].items()))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
