#!/usr/bin/env bash
# Re-runs with --revalidate: the throughput scenario's 5,000 docs pages, served by the
# harness's nginx (which sends ETag and Last-Modified for static files), fetched twice
# with three selectors and --links; the second run revalidates against the first run's
# output. Prints the body bytes read (the sum of "bytes") and the wall time of both.
#
# Targets (issue 15): the re-run reads <= 1% of the first run's bytes and is >= 5x faster,
# and its records equal the first run's but for fetched_at, elapsed_ms, status, bytes,
# changed and not_modified.
#
# usage (from the repo root):  bash bench/revalidate.sh
# env:
#   RUNS=3                          pairs of runs; the medians are printed
#   SHARED_BENCH=../shared/bench    the read-only harness (copied to bench/.run/harness
#                                   unless bench/run.sh already made that copy)
#   SKIP_SETUP=1 / SKIP_BUILD=1     skip the harness setup.sh / cargo build --release
#   N_THROUGHPUT=5000 C_THROUGHPUT=64   the scenario's size and concurrency
#   TRAWL_BIN=/path/to/trawl        measure this binary instead of building one
#   BENCH_PORT=18080 QUIET_MAX_WAIT=1200   as in the harness (port; how long to wait
#                                   for a quiet machine before each run)
# Outputs go to bench/.run/revalidate/ (gitignored).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source "$ROOT/bench/lib.sh"
WORK="$ROOT/bench/.run"
OUT="$WORK/revalidate"
RUNS="${RUNS:-3}"
mkdir -p "$OUT"

harness_copy
harness_setup
if [[ -n "${TRAWL_BIN:-}" ]]; then
  BIN="$(cd "$(dirname "$TRAWL_BIN")" && pwd)/$(basename "$TRAWL_BIN")"
else
  BIN="$(release_bin)"
fi
[[ -x "$BIN" ]] || { echo "error: $BIN is not executable" >&2; exit 1; }

# The harness's helpers: nginx, the URL list, waiting for a quiet machine.
# shellcheck source=/dev/null
source "$H/lib.sh"   # cds into $H
# The harness is written for shells without pipefail (`dpkg -L … | grep -m1` ends early).
set +o pipefail
server_start
trap '[[ "${SERVER_STARTED_HERE:-0}" == 1 ]] && server_stop' EXIT
urls="$(make_urls throughput)"
n="$(scenario_n throughput)"; c="$(scenario_c throughput)"
warm_up throughput
ETAG="$(curl -sI "$(head -1 "$urls")" | awk -F': ' 'tolower($1)=="etag"{print $2}' | tr -d '\r')"
echo "== $n URLs from $urls, -c $c; nginx's ETag for the first: ${ETAG:-none}" >&2

FLAGS=(-i "$urls" -c "$c" --per-host "$c" -t "${TIMEOUT_S}s" -q
       -s 'h1=h1' -s 'headings[]=h2' -s 'refs[]=a.reference@href' --links)

# wall seconds of one run: run CMD...
timed() {
  local t0 t1
  t0="$(date +%s.%N)"
  "$@" || true
  t1="$(date +%s.%N)"
  awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b - a}'
}

rows="$OUT/results.tsv"
printf 'run\tfirst_s\tsecond_s\tfirst_bytes\tsecond_bytes\tnot_modified\tchanged\tequal\n' > "$rows"
for run in $(seq 1 "$RUNS"); do
  first="$OUT/first.jsonl"; second="$OUT/second.jsonl"
  wait_quiet || true
  w1="$(timed "$BIN" "${FLAGS[@]}" -o "$first")"
  wait_quiet || true
  w2="$(timed "$BIN" "${FLAGS[@]}" -o "$second" --revalidate "$first")"
  python3 - "$first" "$second" "$run" "$w1" "$w2" >> "$rows" <<'PY'
import json, sys
first, second, run, w1, w2 = sys.argv[1:]
def load(p):
    return {r["url"]: r for r in map(json.loads, open(p))}
a, b = load(first), load(second)
volatile = {"fetched_at", "elapsed_ms", "status", "bytes", "changed", "not_modified"}
strip = lambda r: {k: v for k, v in r.items() if k not in volatile}
equal = sum(1 for u in a if u in b and strip(a[u]) == strip(b[u]))
nm = sum(1 for r in b.values() if r.get("not_modified"))
ch = sum(1 for r in b.values() if r.get("changed") is not False)
print(f"{run}\t{w1}\t{w2}\t{sum(r['bytes'] for r in a.values())}\t"
      f"{sum(r['bytes'] for r in b.values())}\t{nm}\t{ch}\t{equal}/{len(a)}")
PY
  tail -1 "$rows" | awk -F'\t' '{printf "  run %s: first %6.2fs %12d B | revalidate %6.2fs %10d B, %d not modified, %d not unchanged, records equal %s\n", $1, $2, $4, $3, $5, $6, $7, $8}' >&2
done

python3 - "$rows" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
med = lambda k: statistics.median(float(r[k]) for r in rows)
w1, w2, b1, b2 = med("first_s"), med("second_s"), med("first_bytes"), med("second_bytes")
share = b2 / b1 if b1 else 0.0
speed = w1 / w2 if w2 else 0.0
mark = lambda ok: "ok  " if ok else "MISS"
print()
print(f"## --revalidate, medians of {len(rows)} pairs ({sys.argv[1]})")
print(f"     first run   {w1:7.2f} s  {int(b1):>12,} body bytes read")
print(f"     re-run      {w2:7.2f} s  {int(b2):>12,} body bytes read")
print(f"{mark(share <= 0.01)} bytes read   {100 * share:.3f}% of the first run's   (target <= 1%)")
print(f"{mark(speed >= 5)} wall time    {speed:.1f}x faster                 (target >= 5x)")
eq = {r["equal"] for r in rows}
print(f"     records equal but for timing, status, bytes, changed, not_modified: {', '.join(sorted(eq))}")
PY
