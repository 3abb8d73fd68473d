#!/usr/bin/env bash
# The streaming extraction path against the tree path, over whole corpora
# made by different generators: every page through both, every difference
# listed, and the CPU time per page of both (one thread, medians).
#
#   bash bench/differential/stream.sh
#
# Corpora (each a folder searched for .html/.htm files), by default:
#   * the Python 3.11 docs (Sphinx; Debian's python3.11-doc, as bench/ uses);
#   * every other /usr/share/doc/<package> folder that holds HTML (gtk-doc,
#     DocBook, Node's doc tool, Doxygen, hand-written pages);
#   * fixtures/pages and fixtures/broken (pages written with deliberately
#     broken nesting).
# Env: CORPORA (colon-separated folders instead of those), ROUNDS (timing
# rounds, 5). Honours CARGO_TARGET_DIR. Exits non-zero when any page's
# records differ between the paths.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

if [[ -z "${CORPORA:-}" ]]; then
  corpora=()
  idx="$(dpkg -L python3.11-doc 2>/dev/null | grep -m1 '/html/index\.html$' || true)"
  pydocs=""
  if [[ -n "$idx" ]]; then pydocs="$(dirname "$idx")"; corpora+=("$pydocs"); fi
  for d in /usr/share/doc/*/; do
    d="${d%/}"
    [[ -n "$pydocs" && "$pydocs" == "$d"/* ]] && continue
    if find -L "$d" -maxdepth 4 \( -name '*.html' -o -name '*.htm' \) -print -quit 2>/dev/null | grep -q .; then
      corpora+=("$d")
    fi
  done
  corpora+=("$ROOT/fixtures/pages" "$ROOT/fixtures/broken")
  CORPORA="$(IFS=:; echo "${corpora[*]}")"
fi

echo "stream-differential: corpora: ${CORPORA//:/ }" >&2
TRAWL_CORPUS="$CORPORA" TRAWL_ROUNDS="${ROUNDS:-5}" \
  cargo test --release --locked --lib -- --ignored --nocapture --test-threads 1 stream_corpus \
  2>&1 | grep -v '^\s*$' | grep -Ev '^(running|test result|     Running|    Finished|   Compiling)' 
