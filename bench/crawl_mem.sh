#!/usr/bin/env bash
# Bounded memory in a crawl: trawl --crawl over a generated site of 1,111,111
# pages (a ten-way tree six levels deep, every page also linking to the root
# and to its parent: cycles everywhere), served by nginx on 127.0.0.1 from a
# config alone (`return 200` with the page's links made from its URI; no
# files). Reports pages/s and peak RSS; the target is <= 150 MB, which the
# frontier on disk and the 16-byte hashes of the seen-set leave room for.
#
# usage (from the repo root):  bash bench/crawl_mem.sh
# env: DIGITS=6 (tree depth: 10^DIGITS leaves; 4 makes an 11,111-page smoke run)
#      C=64 (-c), PER_HOST=64, CARGO_TARGET_DIR and SKIP_BUILD=1 as for run.sh,
#      TRAWL_BIN=path to run that binary instead of building the release one
# Writes to bench/.run/crawlmem/ (gitignored). Needs nginx and GNU time.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DIGITS="${DIGITS:-6}"
C="${C:-64}"
PER_HOST="${PER_HOST:-64}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="${TRAWL_BIN:-$TARGET_DIR/release/trawl}"
W="$ROOT/bench/.run/crawlmem"
mkdir -p "$W/logs"
command -v nginx >/dev/null || { echo "error: nginx is not installed" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "error: GNU time (/usr/bin/time) is not installed" >&2; exit 1; }
(( DIGITS >= 2 )) || { echo "error: DIGITS must be 2 or more" >&2; exit 1; }
if [[ "${SKIP_BUILD:-0}" != 1 && -z "${TRAWL_BIN:-}" ]]; then
  cargo build --release --locked >&2
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
inner=$((DIGITS - 1))
cat > "$W/nginx.conf" <<EOF
worker_processes 1;
pid $W/nginx.pid;
error_log $W/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  default_type text/html;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$port;
    location = /t/ {
      return 200 '<!doctype html><title>root</title><a href="0">0</a><a href="1">1</a><a href="2">2</a><a href="3">3</a><a href="4">4</a><a href="5">5</a><a href="6">6</a><a href="7">7</a><a href="8">8</a><a href="9">9</a>';
    }
    # Inner pages: ten children (relative), the parent and the root.
    location ~ "^/t/(?<parent>\\d{0,$((inner - 1))})\\d\$" {
      return 200 '<!doctype html><title>\$uri</title><a href="/t/\$parent">up</a><a href="/t/">root</a><a href="\${uri}0">0</a><a href="\${uri}1">1</a><a href="\${uri}2">2</a><a href="\${uri}3">3</a><a href="\${uri}4">4</a><a href="\${uri}5">5</a><a href="\${uri}6">6</a><a href="\${uri}7">7</a><a href="\${uri}8">8</a><a href="\${uri}9">9</a>';
    }
    # Leaves: the parent and the root only.
    location ~ "^/t/(?<parent>\\d{$inner})\\d\$" {
      return 200 '<!doctype html><title>\$uri</title><a href="/t/\$parent">up</a><a href="/t/">root</a>';
    }
  }
}
EOF
nginx -c "$W/nginx.conf" -p "$W" -e "$W/logs/error.log"
trap 'kill "$(cat "$W/nginx.pid")" 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/t/" >/dev/null && break; sleep 0.1; done

expected=$(python3 -c "print(sum(10**d for d in range($DIGITS + 1)))")
echo "== trawl --crawl over $expected pages, -c $C --per-host $PER_HOST" >&2
/usr/bin/time -f '%e %U %S %M' -o "$W/time" \
  "$BIN" --crawl --depth "$DIGITS" -c "$C" --per-host "$PER_HOST" -q \
  --summary-json "$W/summary.json" -o "$W/records.jsonl" "http://127.0.0.1:$port/t/" || true
read -r wall user sys rss_kb < "$W/time"
python3 - "$W/summary.json" "$W/records.jsonl" "$expected" "$wall" "$user" "$sys" "$rss_kb" <<'PY'
import json, sys
summary, records, expected, wall, user, sys_s, rss_kb = sys.argv[1:]
s = json.load(open(summary))
n = sum(1 for _ in open(records))
wall, cpu, rss = float(wall), float(user) + float(sys_s), int(rss_kb) / 1024
print("| pages | ok | wall s | pages/s | CPU s | peak RSS MB |")
print("|---|---|---|---|---|---|")
print(f"| {n:,} | {s['ok']:,} | {wall:.1f} | {n / wall:,.0f} | {cpu:.1f} | {rss:.1f} |")
print()
print(f"{'ok  ' if n == int(expected) else 'MISS'} records: {n:,} of {int(expected):,} pages, each once")
print(f"{'ok  ' if rss <= 150 else 'MISS'} peak RSS: {rss:.1f} MB (target <= 150 MB)")
PY
