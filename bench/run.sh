#!/usr/bin/env bash
# trawl beside its peers on the shared scraping benchmark harness.
#
# usage (from the repo root):  bash bench/run.sh [throughput|latency|memscale ...]
#   default scenarios: throughput latency memscale
# env:
#   RUNS=3                 rounds per tool (round-robin)
#   SHARED_BENCH=../shared/bench   the read-only harness to copy (relative to the repo root)
#   PEERS="trawl trawl-extract py-asyncio-lxml scrapy curl-parallel"   tools to run in throughput
#                          and latency (wrk and the others
#                          from the harness's run_all.sh are accepted too)
#   MAX_OTHER_LOAD=0.15    runs disturbed by other processes (in cores) are left out of the medians
#   CARGO_TARGET_DIR       respected by the release build
#   SKIP_SETUP=1 / SKIP_BUILD=1   skip the harness setup.sh / cargo build (the binary must exist)
#   BASELINE_BIN=/path/to/trawl   an A/B sitting: also accept the tools trawl-base and
#                          trawl-extract-base (the same commands with that binary) in PEERS,
#                          e.g. a release build of the commit before a change
# Everything the run writes goes to bench/.run/ (gitignored): the harness copy in
# bench/.run/harness (its .venv is kept between runs), results in bench/.run/results/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source "$ROOT/bench/lib.sh"
WORK="$ROOT/bench/.run"
export RUNS="${RUNS:-3}"
PEERS="${PEERS:-trawl trawl-extract py-asyncio-lxml scrapy curl-parallel}"
# memscale (200,000 tiny pages): Scrapy would take ~15 min a round there and the
# harness leaves it out of that scenario too; extraction adds nothing on a tiny page.
MEMSCALE_PEERS="${MEMSCALE_PEERS:-trawl py-asyncio-lxml curl-parallel}"
MAX_OTHER_LOAD="${MAX_OTHER_LOAD:-0.15}"
scenarios=("$@"); [[ ${#scenarios[@]} -gt 0 ]] || scenarios=(throughput latency memscale)
start=$SECONDS

[[ -x "$SHARED_BENCH/run_all.sh" ]] || { echo "error: no harness at $SHARED_BENCH (set SHARED_BENCH)" >&2; exit 1; }

# 1. fresh copy of the harness files; keep .venv (slow to build) and .run (URL lists)
mkdir -p "$H" "$WORK/results"
if [[ -f "$H/.run/nginx.master.pid" ]] && kill -0 "$(cat "$H/.run/nginx.master.pid")" 2>/dev/null; then
  echo "error: an nginx from an earlier run is still up (pid $(cat "$H/.run/nginx.master.pid"));" \
       "stop it with: (cd $H && source lib.sh && server_stop)" >&2
  exit 1
fi
harness_copy
# The harness takes one tool under test (TOOL_CMD); the copy learns a second
# one, trawl-extract, from $EXTRA_CMDS (a file of CMD[name]=... lines).
sed -i 's|^if \[\[ -n "${TOOL_CMD:-}" \]\]; then CMD\[$TOOL_NAME\]="$TOOL_CMD"; fi$|&\n[[ -n "${EXTRA_CMDS:-}" ]] \&\& source "$EXTRA_CMDS"|' "$H/run_all.sh"
grep -q EXTRA_CMDS "$H/run_all.sh" || { echo "error: could not teach $H/run_all.sh a second tool" >&2; exit 1; }

# 2. harness setup (apt packages need root the first time; pip into .venv)
harness_setup

# 3. release build; the binary's absolute path (CARGO_TARGET_DIR / cargo config respected)
BIN="$(release_bin)"

# 4. the run. --per-host {c}: all URLs go to one host, so trawl's per-host cap (default 8)
#    would otherwise hold it below the scenario's concurrency.
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
export RESULTS="${RESULTS:-$WORK/results/trawl-$stamp.tsv}"
export TOOL_NAME=trawl
export TOOL_CMD="$(printf '%q' "$BIN") -i {urls} -c {c} --per-host {c} -t {timeout}s -q"
# trawl-extract: the same run with three selectors and --links (a full parse
# of every page, URLs resolved), the work of the extraction targets.
EXTRACT_FLAGS="-s 'h1=h1' -s 'headings[]=h2' -s 'refs[]=a.reference@href' --links"
export EXTRA_CMDS="$WORK/extra_cmds.sh"
printf 'CMD[trawl-extract]=%q\n' "$TOOL_CMD $EXTRACT_FLAGS" > "$EXTRA_CMDS"
if [[ -n "${BASELINE_BIN:-}" ]]; then
  [[ -x "$BASELINE_BIN" ]] || { echo "error: BASELINE_BIN=$BASELINE_BIN is not executable" >&2; exit 1; }
  BASE_CMD="$(printf '%q' "$BASELINE_BIN") -i {urls} -c {c} --per-host {c} -t {timeout}s -q"
  printf 'CMD[trawl-base]=%q\nCMD[trawl-extract-base]=%q\n' "$BASE_CMD" "$BASE_CMD $EXTRACT_FLAGS" >> "$EXTRA_CMDS"
  echo "== baseline: $BASE_CMD" >&2
fi
echo "== $(basename "$BIN") $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || true)$(git -C "$ROOT" diff --quiet HEAD -- src Cargo.toml Cargo.lock 2>/dev/null || echo ' (+ uncommitted changes)')" >&2
echo "== TOOL_CMD: $TOOL_CMD" >&2
echo "== trawl-extract: $TOOL_CMD $EXTRACT_FLAGS" >&2
echo "== RUNS=$RUNS PEERS='$PEERS' MEMSCALE_PEERS='$MEMSCALE_PEERS' scenarios: ${scenarios[*]}" >&2
# One harness call per scenario, all into one RESULTS file: one table below.
for sc in "${scenarios[@]}"; do
  peers="$PEERS"; [[ "$sc" == memscale ]] && peers="$MEMSCALE_PEERS"
  PEERS="$peers" "$H/run_all.sh" "$sc" >/dev/null   # its own (unfiltered) table is replaced below
done

# 5. medians of the runs with other_load <= MAX_OTHER_LOAD, then trawl's ratios and targets
echo
echo "## medians (runs with other_load <= $MAX_OTHER_LOAD), $RESULTS"
echo
(cd "$H" && python3 summarize.py --max-other-load "$MAX_OTHER_LOAD" "$RESULTS")
echo
python3 - "$RESULTS" "$MAX_OTHER_LOAD" "${DELAY_MS:-200}" <<'PY'
import csv, math, statistics, sys
path, max_load, delay = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]) / 1000
rows = list(csv.DictReader(open(path, newline=""), delimiter="\t"))
bad = [r for r in rows if r["tool"] != "wrk" and (r["rc"] != "0" or r["ok"] != r["n"] or r["lines"] != r["n"])]
clean = [r for r in rows if float(r["other_load"] or 0) <= max_load]
def med(sc, tool, k):
    v = [float(r[k]) for r in clean if r["scenario"] == sc and r["tool"] == tool]
    return statistics.median(v) if v else None
def mark(ok): return "ok  " if ok else "MISS"
print("## trawl: ratios and targets")
print()
t_pps, p_pps = med("throughput", "trawl", "pages_per_s"), med("throughput", "py-asyncio-lxml", "pages_per_s")
t_cpu, p_cpu = med("throughput", "trawl", "cpu_s"), med("throughput", "py-asyncio-lxml", "cpu_s")
if t_pps and p_pps:
    r = t_pps / p_pps
    print(f"{mark(r >= 2)} throughput pages/s  trawl {t_pps:.0f} / py-asyncio-lxml {p_pps:.0f} = {r:.2f}x   (target >= 2x)")
if t_cpu is not None and p_cpu:
    print(f"{mark(t_cpu < p_cpu)} throughput CPU s    trawl {t_cpu:.2f} vs py-asyncio-lxml {p_cpu:.2f} = {t_cpu / p_cpu:.2f}x   (target < 1x)")
rss = med("throughput", "trawl", "maxrss_mb")
if rss is not None:
    print(f"     throughput peak RSS {rss:.1f} MB (c=64; no target)")
if t_pps and p_pps:
    r = t_pps / p_pps
    print(f"{mark(r >= 10)} title-only pages/s  trawl {t_pps:.0f} / py-asyncio-lxml {p_pps:.0f} = {r:.1f}x   (target >= 10x)")
x_pps, x_cpu = med("throughput", "trawl-extract", "pages_per_s"), med("throughput", "trawl-extract", "cpu_s")
s_pps, s_cpu = med("throughput", "scrapy", "pages_per_s"), med("throughput", "scrapy", "cpu_s")
if x_pps:
    n = int(next(r for r in rows if r["scenario"] == "throughput")["n"])
    if p_pps:
        print(f"{mark(x_pps >= 3 * p_pps)} extract pages/s     trawl-extract {x_pps:.0f} / py-asyncio-lxml {p_pps:.0f} = {x_pps / p_pps:.1f}x   (target >= 3x)")
    if s_pps:
        print(f"{mark(x_pps >= 8 * s_pps)} extract pages/s     trawl-extract {x_pps:.0f} / scrapy {s_pps:.0f} = {x_pps / s_pps:.1f}x   (target >= 8x)")
    for name, cpu in (("py-asyncio-lxml", p_cpu), ("scrapy", s_cpu)):
        if cpu and x_cpu is not None:
            print(f"{mark(x_cpu < cpu)} extract CPU/page    trawl-extract {1000 * x_cpu / n:.2f} ms vs {name} {1000 * cpu / n:.2f} ms   (target: fewer)")
w = med("latency", "trawl", "wall_s")
if w is not None:
    r0 = next(r for r in rows if r["scenario"] == "latency")
    ideal = math.ceil(int(r0["n"]) / int(r0["c"])) * delay
    print(f"{mark(w <= 1.05 * ideal)} latency wall        trawl {w:.2f} s / ideal {ideal:.1f} s = {w / ideal:.3f}x   (target <= 1.05x)")
    rss = med("latency", "trawl", "maxrss_mb")
    print(f"{mark(rss <= 40)} latency peak RSS    trawl {rss:.1f} MB at c={r0['c']}   (target <= 40 MB)")
    for other in ("trawl-base", "wrk"):
        wo = med("latency", other, "wall_s")
        if wo is not None:
            print(f"     latency wall        {other} {wo:.2f} s / ideal {ideal:.1f} s = {wo / ideal:.3f}x")
m_t, m_p = med("memscale", "trawl", "pages_per_s"), med("memscale", "py-asyncio-lxml", "pages_per_s")
m_rt, m_rp = med("memscale", "trawl", "maxrss_mb"), med("memscale", "py-asyncio-lxml", "maxrss_mb")
if m_t and m_p:
    print(f"     memscale pages/s    trawl {m_t:.0f} / py-asyncio-lxml {m_p:.0f} = {m_t / m_p:.1f}x")
if m_rt and m_rp:
    print(f"     memscale peak RSS   trawl {m_rt:.1f} MB vs py-asyncio-lxml {m_rp:.1f} MB = {m_rt / m_rp:.2f}x")
if not any(r["tool"] == "trawl" for r in clean):
    print("no clean trawl runs (all had other_load > max): see", path)
print()
if bad:
    print("runs with rc != 0 or fewer than N ok lines:")
    for r in bad:
        print(f"  {r['scenario']} {r['tool']} run {r['run']}: rc={r['rc']} ok={r['ok']} lines={r['lines']} n={r['n']}")
else:
    print("every run: rc=0 and N of N lines ok")
PY
echo
echo "total time: $(( SECONDS - start )) s"
