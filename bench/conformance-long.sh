#!/usr/bin/env bash
# The long run of the conformance properties: a million generated documents and a million
# mutated pages (crates/trawl-page/src/conformance/generated.rs), each read by html5ever's
# tree builder and by the fast reader into recording sinks; the fast reader must give up
# or make html5ever's calls, call by call. `cargo test` runs 4,096 of each.
#
#   bash bench/conformance-long.sh              # 1,000,000 cases a property
#   CASES=100000 bash bench/conformance-long.sh
#
# A failure prints the shrunk document ("minimal failing input"); add it to
# fixtures/conformance/regressions.jsonl as a JSON string with the fix. Release build of the
# engine alone (no network stack); honours CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CASES="${CASES:-1000000}"
# The properties run sixteen times the configured cases.
export PROPTEST_CASES=$(( (CASES + 15) / 16 ))
start=$(date +%s)
cargo test --release --locked -p trawl-page --lib conformance:: -- --nocapture
echo "== $CASES cases a property, $(( $(date +%s) - start )) s"
