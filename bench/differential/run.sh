#!/usr/bin/env bash
# Differential check of trawl's `title` and `--links` against an independent
# reference (html5lib + urllib.parse.urljoin) over the Python 3.11 docs,
# served by a private nginx on 127.0.0.1 (loopback only).
#
#   bash bench/differential/run.sh
#
# Env: TRAWL (a trawl binary; default: `cargo build --release`, honouring
# CARGO_TARGET_DIR), PORT (18181), DOCROOT (the docs' html folder; default
# from Debian's python3.11-doc, installed with apt-get when missing),
# JOBS (reference.py worker processes, 2), MIN_PCT (99.5), OUT (where the URL
# list, outputs and report go; .run/), SCRIPTING=1 (the reference parses
# with scripting on, as trawl does not: <noscript> contents are text),
# REF_ONLY=1 (serve and run the reference only: no trawl, no comparison).
# Writes everything under bench/differential/.run/ (gitignored).
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$DIR/../.." && pwd)"
RUN="$DIR/.run"                 # the venv and nginx's prefix
OUT="${OUT:-$RUN}"              # the URL list, the outputs and the report
PORT="${PORT:-18181}"
HOST=127.0.0.1
BASE="http://$HOST:$PORT"
JOBS="${JOBS:-2}"
MIN_PCT="${MIN_PCT:-99.5}"
NICE=(nice -n 10)

die() { echo "differential: error: $*" >&2; exit 1; }
say() { echo "differential: $*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b - a}'; }

T0="$(now)"
mkdir -p "$RUN" "$OUT"

# --- packages: the docs and nginx (Debian), as root ------------------------------------
need=()
if [[ -z "${DOCROOT:-}" ]]; then
  dpkg-query -W -f '${Status}' python3.11-doc 2>/dev/null | grep -q 'install ok installed' \
    || need+=(python3.11-doc)
fi
command -v nginx >/dev/null || need+=(nginx-light)
if [[ ${#need[@]} -gt 0 ]]; then
  say "installing ${need[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q && apt-get install -y -q "${need[@]}"
fi
if [[ -z "${DOCROOT:-}" ]]; then
  idx="$(dpkg -L python3.11-doc | grep -m1 '/html/index\.html$')" || die "python3.11-doc has no html/index.html"
  DOCROOT="$(dirname "$idx")"
fi
[[ -f "$DOCROOT/index.html" ]] || die "DOCROOT=$DOCROOT has no index.html"
DOCROOT="$(cd "$DOCROOT" && pwd)"   # nginx reads a relative root from its prefix

# --- (a) the reference's venv ------------------------------------------------------------
PY="$RUN/venv/bin/python"
if ! [[ -x "$PY" ]] || ! "$PY" -c 'import html5lib' 2>/dev/null; then
  say "creating $RUN/venv with html5lib"
  python3 -m venv "$RUN/venv"
  "$RUN/venv/bin/pip" install -q 'html5lib==1.1'
fi

# --- trawl ------------------------------------------------------------------------------
if [[ -n "${REF_ONLY:-}" ]]; then
  :
elif [[ -n "${TRAWL:-}" ]]; then
  [[ -x "$TRAWL" ]] || die "TRAWL=$TRAWL is not executable"
else
  say "building trawl (cargo build --release)"
  (cd "$ROOT" && "${NICE[@]}" cargo build --release -q)
  target="${CARGO_TARGET_DIR:-target}"
  [[ "$target" = /* ]] || target="$ROOT/$target"   # cargo reads a relative dir from its cwd ($ROOT)
  TRAWL="$target/release/trawl"
fi
if [[ -z "${REF_ONLY:-}" ]]; then
  "$TRAWL" --help 2>&1 | grep -q -- '--links' || die "$TRAWL has no --links flag yet"
fi

# --- (b) nginx on loopback, stopped on exit --------------------------------------------
NG="$RUN/nginx"
NGINX_PID=""
stop_nginx() {
  if [[ -n "$NGINX_PID" ]] && kill -0 "$NGINX_PID" 2>/dev/null; then
    kill -QUIT "$NGINX_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$NGINX_PID" 2>/dev/null && kill -TERM "$NGINX_PID" 2>/dev/null
    wait "$NGINX_PID" 2>/dev/null || true
    say "nginx stopped (pid $NGINX_PID)"
  fi
  NGINX_PID=""
}
trap stop_nginx EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if curl -s -o /dev/null -m 1 "$BASE/" 2>/dev/null; then
  die "something already answers on $BASE (set PORT)"
fi
mkdir -p "$NG"/{tmp_body,tmp_proxy,tmp_fastcgi,tmp_uwsgi,tmp_scgi}
cat > "$NG/nginx.conf" <<EOF
# written by bench/differential/run.sh
worker_processes  1;
pid        $NG/nginx.pid;
error_log  $NG/error.log warn;
events { worker_connections 1024; }
http {
    access_log   off;
    sendfile     on;
    keepalive_timeout 65s;
    keepalive_requests 100000;
    gzip         off;
    charset      utf-8;
    types { text/html html htm; text/css css; application/javascript js; image/png png; image/svg+xml svg; text/plain txt; }
    default_type application/octet-stream;
    client_body_temp_path $NG/tmp_body;
    proxy_temp_path       $NG/tmp_proxy;
    fastcgi_temp_path     $NG/tmp_fastcgi;
    uwsgi_temp_path       $NG/tmp_uwsgi;
    scgi_temp_path        $NG/tmp_scgi;
    server {
        listen      $HOST:$PORT;
        server_name localhost;
        root        $DOCROOT;
        location / { try_files \$uri =404; }
    }
}
EOF
nginx -t -q -p "$NG" -e "$NG/error.log" -c "$NG/nginx.conf" || die "nginx config test failed ($NG/nginx.conf)"
nginx -p "$NG" -e "$NG/error.log" -c "$NG/nginx.conf" -g 'daemon off;' </dev/null >>"$NG/stdout.log" 2>&1 &
NGINX_PID=$!
for _ in $(seq 1 50); do
  curl -s -o /dev/null -m 1 "$BASE/index.html" && break
  kill -0 "$NGINX_PID" 2>/dev/null || die "nginx exited (see $NG/error.log)"
  sleep 0.1
done
curl -sf -o /dev/null -m 2 "$BASE/index.html" || die "nginx did not come up on $BASE"
say "nginx up: pid $NGINX_PID, $BASE serving $DOCROOT"

# --- (c) the URL list -------------------------------------------------------------------
URLS="$OUT/urls.txt"
(cd "$DOCROOT" && find . -name '*.html' -type f | sed 's#^\./##' | LC_ALL=C sort) \
  | awk -v base="$BASE" '{print base "/" $0}' > "$URLS"
N="$(wc -l < "$URLS")"
say "$N URLs in $URLS"

# --- (d) trawl ---------------------------------------------------------------------------
T_TRAWL=-
if [[ -z "${REF_ONLY:-}" ]]; then
t="$(now)"
rc=0
"${NICE[@]}" "$TRAWL" -i "$URLS" --links -c 16 --per-host 16 -q -o "$OUT/trawl.jsonl" || rc=$?
T_TRAWL="$(since "$t")"
[[ $rc -eq 0 || $rc -eq 1 ]] || die "trawl exited $rc"
[[ $rc -eq 0 ]] || say "warning: trawl exited 1 (some record is not ok); compare.py shows which"
say "trawl: ${T_TRAWL}s -> $OUT/trawl.jsonl"
# again without --links: the title then comes from trawl's tokenizer-only fast path
rc=0
"${NICE[@]}" "$TRAWL" -i "$URLS" -c 16 --per-host 16 -q -o "$OUT/trawl-plain.jsonl" || rc=$?
[[ $rc -eq 0 || $rc -eq 1 ]] || die "trawl (without --links) exited $rc"
fi

# --- (e) the reference -------------------------------------------------------------------
t="$(now)"
"${NICE[@]}" "$PY" "$DIR/reference.py" -j "$JOBS" ${SCRIPTING:+--scripting} "$URLS" > "$OUT/ref.jsonl"
T_REF="$(since "$t")"
say "reference: ${T_REF}s -> $OUT/ref.jsonl"

stop_nginx
if [[ -n "${REF_ONLY:-}" ]]; then
  echo "times: reference ${T_REF}s, whole run $(since "$T0")s (REF_ONLY: no trawl, no comparison)"
  exit 0
fi

# --- (f) compare -------------------------------------------------------------------------
rc=0
"$PY" "$DIR/compare.py" --min-pct "$MIN_PCT" --plain "$OUT/trawl-plain.jsonl" "$OUT/trawl.jsonl" "$OUT/ref.jsonl" | tee "$OUT/report.txt" || rc=$?
echo "times: trawl ${T_TRAWL}s, reference ${T_REF}s, whole run $(since "$T0")s"
exit "$rc"
