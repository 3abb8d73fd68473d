#!/usr/bin/env bash
# Flat memory at any input size: trawl over 100,000 and 1,000,000 distinct URLs
# of a tiny page (the shared harness's memscale scenario, nginx on 127.0.0.1),
# -c 256 -q, one run each, then the check: peak RSS <= 100 MB at 1M URLs, and
# the 100k run no more than 20 MB below it (memory must not grow with the list
# beyond the 16 bytes per URL of the repeat check: 1M URLs = 16 MB of it).
#
# usage (from the repo root):  bash bench/memscale.sh
# env: SIZES="100000 1000000"   PEERS_TOO=1 also runs the harness's standard
#      memscale scenario (200,000 URLs, c=256) with py-asyncio-lxml and curl beside
#      trawl, RUNS (3) rounds; SKIP_SETUP / SKIP_BUILD / CARGO_TARGET_DIR as for run.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SIZES="${SIZES:-100000 1000000}"
mkdir -p bench/.run/results
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
rows=()
first=1
for n in $SIZES; do
  out="bench/.run/results/memscale-$n-$stamp.tsv"
  skip_build=$([[ $first == 1 ]] && echo "${SKIP_BUILD:-0}" || echo 1)
  skip_setup=$([[ $first == 1 ]] && echo "${SKIP_SETUP:-0}" || echo 1)
  first=0
  echo "== trawl, $n URLs, c=256" >&2
  RESULTS="$ROOT/$out" N_MEMSCALE="$n" RUNS=1 PEERS=trawl SKIP_BUILD="$skip_build" \
    SKIP_SETUP="$skip_setup" bash bench/run.sh memscale >/dev/null
  rows+=("$out")
done
python3 - "${rows[@]}" <<'PY'
import csv, sys
print("| URLs | wall s | pages/s | CPU s | peak RSS MB | ok |")
print("|---|---|---|---|---|---|")
rss = {}
for path in sys.argv[1:]:
    for r in csv.DictReader(open(path, newline=""), delimiter="\t"):
        if r["tool"] != "trawl":
            continue
        n = int(r["n"]); rss[n] = float(r["maxrss_mb"])
        print(f"| {n:,} | {float(r['wall_s']):.2f} | {float(r['pages_per_s']):,.0f} | {float(r['cpu_s']):.2f} | {rss[n]:.1f} | {r['ok']}/{n} |")
if len(rss) >= 2:
    lo, hi = min(rss), max(rss)
    ok1 = rss[hi] <= 100
    ok2 = rss[hi] - rss[lo] <= 20
    print()
    print(f"{'ok  ' if ok1 else 'MISS'} peak RSS at {hi:,} URLs: {rss[hi]:.1f} MB (target <= 100 MB)")
    print(f"{'ok  ' if ok2 else 'MISS'} growth from {lo:,} to {hi:,} URLs: {rss[hi] - rss[lo]:+.1f} MB (target <= 20 MB)")
PY
if [[ "${PEERS_TOO:-0}" == 1 ]]; then
  echo
  echo "== the standard memscale scenario beside the peers" >&2
  PEERS="trawl py-asyncio-lxml curl-parallel" SKIP_BUILD=1 SKIP_SETUP=1 bash bench/run.sh memscale \
    | sed -n '/^|/p'
fi
