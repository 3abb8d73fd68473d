#!/usr/bin/env bash
# Streamed against tree extraction, end to end: the release trawl fetches
# every page of the Python docs (served on 127.0.0.1 by python3 -m
# http.server) with the benchmark's extraction (three selectors and
# --links), once as it runs (streamed) and once with one more field that
# only the tree can answer (`-s 'tree=h1 ~ h1'`, which matches nothing),
# which sends every page through the tree. Prints medians of wall time,
# pages/s, CPU ms per page (user + sys) and peak RSS.
#
#   bash bench/extract-speed.sh
#
# The server is a single Python process, so pages/s is bounded by it and
# says little; CPU ms/page and peak RSS are trawl's own. For the peers'
# comparison use bench/run.sh on a quiet machine.
# Env: RUNS (3), REPEAT (each page this many times, 2), C (concurrency, 16),
# PORT (18190), DOCROOT (the docs' html folder), SKIP_BUILD=1. Honours
# CARGO_TARGET_DIR.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="$ROOT/bench/.run/extract-speed"
RUNS="${RUNS:-3}"; REPEAT="${REPEAT:-2}"; C="${C:-16}"; PORT="${PORT:-18190}"
mkdir -p "$RUN"
die() { echo "extract-speed: error: $*" >&2; exit 1; }

if [[ -z "${DOCROOT:-}" ]]; then
  idx="$(dpkg -L python3.11-doc 2>/dev/null | grep -m1 '/html/index\.html$')" \
    || die "python3.11-doc not installed; set DOCROOT"
  DOCROOT="$(dirname "$idx")"
fi
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
if [[ -z "${SKIP_BUILD:-}" ]]; then
  (cd "$ROOT" && cargo build --release --locked -q)
fi
TRAWL="$TARGET/release/trawl"
[[ -x "$TRAWL" ]] || die "no $TRAWL"

python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$DOCROOT" >/dev/null 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/index.html" && break
  sleep 0.1
done

urls="$RUN/urls.txt"
(cd "$DOCROOT" && find . -name '*.html' -type f | sed 's#^\./##' | LC_ALL=C sort) \
  | awk -v base="http://127.0.0.1:$PORT" -v rep="$REPEAT" \
      '{ for (k = 1; k <= rep; k++) printf "%s/%s?rep=%d\n", base, $0, k }' > "$urls"
n="$(wc -l < "$urls")"
echo "extract-speed: $n URLs, c=$C, $RUNS rounds" >&2

flags=(-s 'h1=h1' -s 'headings[]=h2' -s 'refs[]=a.reference@href' --links)
: > "$RUN/times.tsv"
for round in $(seq "$RUNS"); do
  for mode in stream tree; do
    extra=()
    [[ "$mode" == tree ]] && extra=(-s 'tree=h1 ~ h1')
    /usr/bin/time -f "$mode %e %U %S %M" -a -o "$RUN/times.tsv" \
      "$TRAWL" -i "$urls" -c "$C" --per-host "$C" -q "${flags[@]}" "${extra[@]}" > "$RUN/out-$mode.jsonl"
    ok="$(grep -c '"ok":true' "$RUN/out-$mode.jsonl" || true)"
    [[ "$ok" == "$n" ]] || echo "extract-speed: round $round $mode: $ok of $n ok" >&2
  done
done

python3 - "$RUN/times.tsv" "$n" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
n = int(sys.argv[2])
print(f"{'path':8} {'wall s':>8} {'pages/s':>9} {'CPU ms/page':>12} {'peak RSS MB':>12}")
for mode in ("tree", "stream"):
    r = [x for x in rows if x[0] == mode]
    wall = statistics.median(float(x[1]) for x in r)
    cpu = statistics.median(float(x[2]) + float(x[3]) for x in r)
    rss = statistics.median(int(x[4]) for x in r) / 1024
    print(f"{mode:8} {wall:8.2f} {n / wall:9.0f} {1000 * cpu / n:12.2f} {rss:12.1f}")
PY
