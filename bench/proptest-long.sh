#!/usr/bin/env bash
# The long run of the property tests (each module's `props`, beside the code): every parser that reads outside
# input, PROPTEST_CASES cases a property (100,000 by default; `cargo test` runs 64).
# Release build, so the HTML and robots deadlines are those of a real run. Prints each
# property's wall time and the total; a failing property prints the smallest input it
# shrank to, the others still run, and the script exits 1.
#
#   bash bench/proptest-long.sh                    # 100,000 cases a property
#   PROPTEST_CASES=2000 bash bench/proptest-long.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PROPTEST_CASES="${PROPTEST_CASES:-100000}"
# Only the libraries' unit-test binaries (the properties live there): trawl's
# and the page engine's.
cargo test --release --lib --workspace --no-run --quiet
names=""
for pkg in trawl trawl-page; do
  for n in $(cargo test --release --quiet -p "$pkg" --lib -- --list 2>/dev/null | sed -n 's/: test$//p' | grep -E '(^|::)props::|never_differs'); do
    names="$names $pkg:$n"
  done
done
echo "== $(echo $names | wc -w) properties, $PROPTEST_CASES cases each (release build)"
failed=0
start=$(date +%s)
for item in $names; do
  pkg=${item%%:*}
  name=${item#*:}
  t0=$(date +%s.%N)
  if cargo test --release --quiet -p "$pkg" --lib "$name" -- --exact >/tmp/proptest-long.$$ 2>&1; then
    verdict=ok
  else
    verdict=FAILED
    failed=1
    grep -A20 'minimal failing input' /tmp/proptest-long.$$ || tail -20 /tmp/proptest-long.$$
  fi
  printf '%-80s %-6s %8.1f s\n' "$name" "$verdict" "$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { print a - b }')"
done
rm -f /tmp/proptest-long.$$
echo "== total $(( $(date +%s) - start )) s"
exit "$failed"
