# Shared by bench/run.sh, bench/revalidate.sh and bench/crawl.sh: the copy of the shared
# harness they run from, its setup, and the release binary. Source it from the repo root
# with ROOT set; it sets SHARED_BENCH (absolute) and H (the copy, bench/.run/harness).

SHARED_BENCH="${SHARED_BENCH:-../shared/bench}"
[[ "$SHARED_BENCH" = /* ]] || SHARED_BENCH="$ROOT/$SHARED_BENCH"
H="$ROOT/bench/.run/harness"

# A fresh copy of the harness files ($SHARED_BENCH may be read-only, and the harness writes
# beside itself); its .venv (slow to build) and .run (URL lists) are kept.
harness_copy() {
  [[ -f "$SHARED_BENCH/lib.sh" ]] || { echo "error: no harness at $SHARED_BENCH (set SHARED_BENCH)" >&2; exit 1; }
  mkdir -p "$H"
  local f name
  for f in "$SHARED_BENCH"/* "$SHARED_BENCH"/.gitignore; do
    [[ -e "$f" ]] || continue
    name="$(basename "$f")"
    [[ "$name" == .venv || "$name" == .run ]] && continue
    [[ -e "$H/$name" ]] && { chmod -R u+w "$H/$name"; rm -rf "${H:?}/$name"; }
    cp -R "$f" "$H/$name"
  done
  chmod -R u+w "$H"
}

# The harness's setup.sh (apt packages the first time, which needs root; pip into .venv),
# unless SKIP_SETUP=1.
harness_setup() {
  if [[ "${SKIP_SETUP:-0}" != 1 ]]; then
    echo "== harness setup ($H/setup.sh)" >&2
    "$H/setup.sh" >&2
  fi
}

# Builds the release binary (unless SKIP_BUILD=1) and prints its absolute path
# (CARGO_TARGET_DIR and cargo's config respected).
release_bin() {
  if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    echo "== cargo build --release" >&2
    cargo build --release >&2
  fi
  local dir
  dir="$(cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
  [[ -x "$dir/release/trawl" ]] || { echo "error: $dir/release/trawl not built" >&2; exit 1; }
  echo "$dir/release/trawl"
}
