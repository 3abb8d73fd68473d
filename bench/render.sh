#!/usr/bin/env bash
# bench/render.sh: `trawl --render --tabs 4` against a Python Playwright script driving
# the same Debian Chromium with 4 pages at once, on 500 JavaScript-built pages served
# locally; then, with SOAK=N, one trawl run over N pages for the browser's memory.
#
#   bash bench/render.sh               # RUNS=3 rounds, alternating the two tools
#   PAGES=100 RUNS=1 bash bench/render.sh
#   SOAK=2000 bash bench/render.sh     # also: 2,000 pages in one run
#   SKIP_PEER=1 bash bench/render.sh   # trawl only
#
# Each page is an empty shell whose title and 50-item list are built by a shared
# external script (/app.js) from data inlined in the page; both tools wait for the load
# event and take the title. Memory is the peak of the whole process tree (the tool and
# its browser) sampled every 100 ms, as summed RSS and as summed PSS (bench/render_mem.py).
#
# Needs: chromium (apt-get install chromium), python3 with venv; the Playwright peer gets
# a venv of its own in bench/.run/render-venv (`pip install playwright`: the Python
# package and its driver only; no browser is downloaded, the peer runs /usr/bin/chromium).
# Env: PAGES (500), RUNS (3), TABS (4), SOAK (0), PORT (18917), SHARED_BENCH
# (../shared/bench), SKIP_BUILD=1, SKIP_PEER=1, MAX_LOAD (1.0: wait until the 1-minute
# load average per core is under it, up to 20 min).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

PAGES=${PAGES:-500}
RUNS=${RUNS:-3}
TABS=${TABS:-4}
SOAK=${SOAK:-0}
PORT=${PORT:-18917}
SHARED_BENCH=${SHARED_BENCH:-$root/../shared/bench}
MAX_LOAD=${MAX_LOAD:-1.0}
work=$root/bench/.run/render
mkdir -p "$work"

command -v chromium >/dev/null || { echo "no chromium: apt-get install chromium" >&2; exit 1; }

# ---- the site ----
make_site() { # N: $work/sN/p0.html …, and /app.js beside them
  local n=$1 site=$work/s$1
  rm -rf "$site" && mkdir -p "$site"
  cat > "$work/app.js" <<'EOF'
function render(d) {
  document.title = d.name + ' | shop';
  var ul = document.createElement('ul');
  for (var i = 0; i < d.items.length; i++) {
    var li = document.createElement('li');
    li.className = 'item';
    li.textContent = d.items[i];
    ul.appendChild(li);
  }
  document.getElementById('app').appendChild(ul);
}
EOF
  python3 - "$site" "$n" <<'EOF'
import json, sys
site, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    data = {"name": f"Item {i}", "items": [f"part {i}-{k}" for k in range(50)]}
    with open(f"{site}/p{i}.html", "w") as f:
        f.write(f"""<!doctype html><html><head><meta charset="utf-8"><title>loading</title>
<script src="/app.js"></script></head>
<body><div id="app"></div><script>render({json.dumps(data)});</script></body></html>
""")
EOF
  for i in $(seq 0 $((n - 1))); do echo "http://127.0.0.1:$PORT/s$n/p$i.html"; done > "$work/urls-$n.txt"
}

server_pid=""
start_server() {
  (cd "$work" && exec python3 -m http.server "$PORT" --bind 127.0.0.1 >/dev/null 2>&1) &
  server_pid=$!
  for _ in $(seq 1 50); do
    curl -fs -o /dev/null "http://127.0.0.1:$PORT/app.js" && return
    sleep 0.1
  done
  echo "the site did not start on port $PORT" >&2
  exit 1
}
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true' EXIT

wait_quiet() {
  local cores; cores=$(nproc)
  for _ in $(seq 1 240); do
    if awk -v c="$cores" -v m="$MAX_LOAD" '{ exit !($1 / c < m) }' /proc/loadavg; then return; fi
    sleep 5
  done
  echo "warning: the machine stayed busy ($(cut -d' ' -f1-3 /proc/loadavg)); figures are noisy" >&2
}

# ---- the tools ----
if [ -z "${SKIP_BUILD:-}" ]; then cargo build --release --locked -q; fi
target=${CARGO_TARGET_DIR:-$root/target}
trawl=$target/release/trawl

venv=$root/bench/.run/render-venv
peer=$SHARED_BENCH/peers/render_playwright.py
if [ -z "${SKIP_PEER:-}" ]; then
  [ -f "$peer" ] || { echo "no $peer (set SHARED_BENCH)" >&2; exit 1; }
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import playwright' 2>/dev/null; then
    python3 -m venv "$venv"
    # The package and its driver; never `playwright install` (no downloaded browser).
    "$venv/bin/pip" install -q playwright
  fi
fi

run_trawl() { # URLS
  python3 "$root/bench/render_mem.py" -- "$trawl" -i "$1" --render --tabs "$TABS" -c 16 -q -t 30s
}
run_peer() { # URLS
  python3 "$root/bench/render_mem.py" -- "$venv/bin/python" "$peer" "$1" "$TABS"
}

results=$work/results-$(date -u +%Y%m%dT%H%M%SZ).jsonl
make_site "$PAGES"
start_server
urls=$work/urls-$PAGES.txt
# Warm the page cache and the browser's files once.
"$trawl" --render -q "http://127.0.0.1:$PORT/s$PAGES/p0.html" >/dev/null

for round in $(seq 1 "$RUNS"); do
  for tool in trawl peer; do
    [ "$tool" = peer ] && [ -n "${SKIP_PEER:-}" ] && continue
    wait_quiet
    line=$("run_$tool" "$urls")
    load=$(cut -d' ' -f1 /proc/loadavg)
    echo "{\"tool\":\"$tool\",\"round\":$round,\"pages\":$PAGES,\"load\":$load,\"m\":$line}" | tee -a "$results"
  done
done

python3 - "$results" "$PAGES" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
pages = int(sys.argv[2])
med = {}
for tool in ("trawl", "peer"):
    rs = [r["m"] for r in rows if r["tool"] == tool]
    if not rs:
        continue
    bad = [r for r in rs if r["lines"] != pages or r["exit"] != 0]
    med[tool] = {
        "pages_per_s": statistics.median(r["pages_per_s"] for r in rs),
        "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in rs),
        "peak_pss_mb": statistics.median(r["peak_pss_mb"] for r in rs),
    }
    print(f"{tool:6} pages/s {med[tool]['pages_per_s']:7.2f}   peak RSS {med[tool]['peak_rss_mb']:7.1f} MB"
          f"   peak PSS {med[tool]['peak_pss_mb']:7.1f} MB   runs {len(rs)}, short or failed {len(bad)}")
if "trawl" in med and "peer" in med:
    t, p = med["trawl"], med["peer"]
    print(f"target pages/s >= 1.2x Playwright: {t['pages_per_s'] / p['pages_per_s']:.2f}x")
    print(f"target peak memory <= Playwright's: RSS {t['peak_rss_mb'] / p['peak_rss_mb']:.2f}x,"
          f" PSS {t['peak_pss_mb'] / p['peak_pss_mb']:.2f}x")
EOF

# ---- the soak: the browser's memory after 100 pages and near the end ----
if [ "$SOAK" -gt 0 ]; then
  make_site "$SOAK"
  wait_quiet
  # The last mark is 10 pages before the end: once the last record is out
  # the browser is being closed.
  last=$((SOAK - 10))
  line=$(python3 "$root/bench/render_mem.py" --marks "100,$last" -- \
    "$trawl" -i "$work/urls-$SOAK.txt" --render --tabs "$TABS" -c 16 -q -t 30s)
  echo "{\"tool\":\"soak\",\"pages\":$SOAK,\"m\":$line}" | tee -a "$results"
  python3 - "$line" "$last" <<'EOF'
import json, sys
m, n = json.loads(sys.argv[1]), sys.argv[2]
a, b = m["without_root_at"].get("100"), m["without_root_at"].get(n)
if a and b:
    print(f"browser after 100 pages: RSS {a['rss_mb']} MB, PSS {a['pss_mb']} MB; after {n}: "
          f"RSS {b['rss_mb']} MB, PSS {b['pss_mb']} MB; target <= 1.5x: RSS {b['rss_mb'] / a['rss_mb']:.2f}x,"
          f" PSS {b['pss_mb'] / a['pss_mb']:.2f}x")
EOF
fi
echo "rows: $results"
