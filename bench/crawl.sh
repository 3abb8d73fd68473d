#!/usr/bin/env bash
# trawl --crawl beside spider_cli, wget -r and Scrapy's CrawlSpider, in one sitting, on the
# Python docs site the shared harness serves (../shared/bench/crawl_peers.sh), then the page
# sets compared: what trawl found that wget did not, and the other way round.
#
# usage (from the repo root):  bash bench/crawl.sh
# env: RUNS=3, SHARED_BENCH=../shared/bench, SPIDER=path to spider_cli's `spider`
#      (default: `spider` on PATH; build it with
#       cargo install spider_cli --no-default-features --root DIR), SKIP_BUILD=1,
#      QUIET_MAX_WAIT (seconds the harness waits for a quiet machine before each run),
#      PYTHON_SHIM=1 (pipe trawl into `python3` as PATH finds it, shim or not; see below).
# trawl writes full records (`--crawl --depth 50 -c 64 --per-host 64`, scope host); the
# peers only print URLs. Everything goes to bench/.run/ (gitignored).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source "$ROOT/bench/lib.sh"
harness_copy
[[ -x "$H/.venv/bin/python" ]] || SKIP_SETUP=0 harness_setup
BIN="$(release_bin)"
export TRAWL_CMD="$(printf '%q' "$BIN") --crawl --depth 50 -c 64 --per-host 64 -q {start}"
export RUNS="${RUNS:-3}"
# The harness pipes trawl's records into `python3` to print their URLs. On a
# machine whose `python3` is a version manager's shim (pyenv's is a shell
# script that runs pyenv, then Python), starting the shim costs more CPU than
# the reading: 0.08 s here, a fifth of trawl's whole crawl, on the same two
# cores. The reader runs as the interpreter itself; PYTHON_SHIM=1 keeps the
# shim, to compare.
if [[ "${PYTHON_SHIM:-0}" != 1 ]]; then
  py="$(python3 -c 'import sys; print(sys.executable)')"
  mkdir -p "$ROOT/bench/.run/python"
  ln -sf "$py" "$ROOT/bench/.run/python/python3"
  export PATH="$ROOT/bench/.run/python:$PATH"
fi
echo "reader of trawl's records: $(command -v python3) -> $(readlink -f "$(command -v python3)")"
command -v "${SPIDER:-spider}" >/dev/null || { echo "error: no spider_cli (set SPIDER)" >&2; exit 1; }
(cd "$H" && ./crawl_peers.sh)
out="$H/.run/crawl"
pages() { grep -o 'http[^ ]*\.html' "$1" | sed 's/#.*//' | sort -u; }
echo
echo "## page sets (run 1): trawl vs wget"
pages "$out/trawl.1.urls" > "$out/trawl.pages"
pages "$out/wget.1.urls" > "$out/wget.pages"
echo "trawl $(wc -l < "$out/trawl.pages"), wget $(wc -l < "$out/wget.pages")"
echo "only trawl:"; comm -23 "$out/trawl.pages" "$out/wget.pages" | sed 's/^/  /'
echo "only wget:";  comm -13 "$out/trawl.pages" "$out/wget.pages" | sed 's/^/  /'
