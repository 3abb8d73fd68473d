#!/usr/bin/env bash
# --content, quality and speed, beside Python trafilatura.
#
#   bash bench/content.sh
#
# 1. Quality: bench/content_eval.py serves a gold corpus on 127.0.0.1, runs
#    the release trawl over it with `--content text`, and prints word F1
#    overall and per page type, pages/s and CPU ms a page; with a Python
#    that has trafilatura (PEER_PYTHON), trafilatura's F1 and CPU ms a page
#    on the same HTML, in process, without fetching. CORPUS: the 600-page
#    wcxb-dev-600 when ../shared/corpora has it, else the 49-page sample in
#    fixtures/content.
# 2. Speed: the Python documentation pages (DOCROOT, from the python3.11-doc
#    package), served by python3 -m http.server; trawl with only titles and
#    with `--content markdown`, RUNS rounds each; medians of CPU ms a page
#    (user + sys) and peak RSS, and what --content adds.
#
# Env: CORPUS, PEER_PYTHON (bench/.venv/bin/python: `python3 -m venv
# bench/.venv && bench/.venv/bin/pip install trafilatura lxml_html_clean`),
# RUNS (3), C (16), PORT (18191), DOCROOT, SKIP_BUILD=1, SKIP_SPEED=1.
# Honours CARGO_TARGET_DIR.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="$ROOT/bench/.run/content"
RUNS="${RUNS:-3}"; C="${C:-16}"; PORT="${PORT:-18191}"
mkdir -p "$RUN"
die() { echo "content: error: $*" >&2; exit 1; }

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
if [[ -z "${SKIP_BUILD:-}" ]]; then
  (cd "$ROOT" && cargo build --release --locked -q)
fi
TRAWL="$TARGET/release/trawl"
[[ -x "$TRAWL" ]] || die "no $TRAWL"

if [[ -z "${CORPUS:-}" ]]; then
  CORPUS="$ROOT/fixtures/content"
  [[ -d "$ROOT/../shared/corpora/wcxb-dev-600" ]] && CORPUS="$ROOT/../shared/corpora/wcxb-dev-600"
fi
PEER_PYTHON="${PEER_PYTHON:-$ROOT/bench/.venv/bin/python}"
peer=()
if "$PEER_PYTHON" -c 'import trafilatura' 2>/dev/null; then
  peer=(--peer)
else
  echo "content: no trafilatura at $PEER_PYTHON; trawl alone" >&2
fi
echo "== quality: $CORPUS" >&2
TRAWL="$TRAWL" PEER_PYTHON="$PEER_PYTHON" python3 "$ROOT/bench/content_eval.py" \
  --corpus "$CORPUS" "${peer[@]}" --json "$RUN/quality.json"

[[ -n "${SKIP_SPEED:-}" ]] && exit 0
if [[ -z "${DOCROOT:-}" ]]; then
  idx="$(dpkg -L python3.11-doc 2>/dev/null | grep -m1 '/html/index\.html$')" \
    || die "python3.11-doc not installed; set DOCROOT (or SKIP_SPEED=1)"
  DOCROOT="$(dirname "$idx")"
fi
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$DOCROOT" >/dev/null 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/index.html" && break
  sleep 0.1
done
urls="$RUN/urls.txt"
(cd "$DOCROOT" && find . -name '*.html' -type f | sed 's#^\./##' | LC_ALL=C sort) \
  | awk -v base="http://127.0.0.1:$PORT" '{ printf "%s/%s\n", base, $0 }' > "$urls"
n="$(wc -l < "$urls")"
echo "== speed: $n Python docs pages, c=$C, $RUNS rounds" >&2
: > "$RUN/times.tsv"
for round in $(seq "$RUNS"); do
  for mode in title content; do
    extra=()
    [[ "$mode" == content ]] && extra=(--content markdown)
    /usr/bin/time -f "$mode %e %U %S %M" -a -o "$RUN/times.tsv" \
      "$TRAWL" -i "$urls" -c "$C" --per-host "$C" -q "${extra[@]}" > "$RUN/out-$mode.jsonl"
    ok="$(grep -c '"ok":true' "$RUN/out-$mode.jsonl" || true)"
    [[ "$ok" == "$n" ]] || echo "content: $mode round $round: $ok of $n ok" >&2
  done
done
python3 - "$RUN/times.tsv" "$n" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
n = int(sys.argv[2])
med = {}
for mode in ("title", "content"):
    r = [x for x in rows if x[0] == mode]
    cpu = statistics.median((float(x[2]) + float(x[3])) * 1000 / n for x in r)
    wall = statistics.median(float(x[1]) for x in r)
    rss = statistics.median(int(x[4]) / 1024 for x in r)
    med[mode] = cpu
    print(f"{mode:8} {n / wall:7.0f} pages/s  {cpu:5.2f} CPU ms/page  peak RSS {rss:.0f} MB")
print(f"--content markdown adds {med['content'] - med['title']:.2f} CPU ms a page")
PY
