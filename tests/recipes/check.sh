#!/usr/bin/env bash
# Runs every recipe of docs/recipes.md against a local server (127.0.0.1
# only) and checks its output. The recipes are copied here, not read from
# the markdown (the checks need their own inputs and outputs): change both
# together. Each recipe's comment, `# N. Title`, is the title of its section
# there; tests/it/docs.rs checks that they match, in order, and runs this
# script. By hand, after `cargo build`:
#   bash tests/recipes/check.sh        (TRAWL=/path/to/trawl to override,
#                                       PORT=N for a port other than 8765)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
T=${TRAWL:-$HERE/../../target/debug/trawl}
PORT=${PORT:-8765}
B=http://127.0.0.1:$PORT

WORK=$(mktemp -d)
SRV=
cleanup() {
  if [ -n "$SRV" ]; then kill "$SRV" 2>/dev/null || true; wait "$SRV" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# a private copy of the site: recipe 10 changes pages between two runs
cp -r "$HERE/site" "$WORK/site"
# its absolute URLs name the default port: point them at this run's
{ grep -rl '127\.0\.0\.1:8765' "$WORK/site" || true; } | xargs -r sed -i "s|127\.0\.0\.1:8765|127.0.0.1:$PORT|g"
# plus three of the tests' fixture pages
for page in simple other no-title; do cp "$HERE/../../fixtures/pages/$page.html" "$WORK/site/"; done
cd "$WORK"
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$WORK/site" 2> server.log >/dev/null &
SRV=$!
for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done

# The recipes call `trawl`; exit 1 (some record not ok) is expected here and
# each check looks at the records instead. 2 or 130 still fail the script.
trawl() { "$T" "$@" || [ $? -eq 1 ]; }
fail() { echo "recipe $1 FAILED: $2" >&2; exit 1; }
ok() { echo "recipe $1 ok"; }
served() { grep -c "\"GET $1 " server.log || true; }   # requests the server saw for a path

# 4 ok, 3 not ok (404, connection refused, not a URL)
cat > urls.txt <<EOF
$B/simple.html
$B/other.html
$B/no-title.html
$B/product.html
$B/missing.html
http://127.0.0.1:9/refused.html
not a url
EOF

# 1. Titles of a URL list as CSV
trawl -i urls.txt -q \
  | jq -rn '["url","status","title"], (inputs | [.url, .status, .title]) | @csv' > titles.csv
[ "$(wc -l < titles.csv)" -eq 8 ] || fail 1 "expected a header and 7 rows"
[ "$(head -1 titles.csv)" = '"url","status","title"' ] || fail 1 "bad header"
grep -qx "\"$B/simple.html\",200,\"A simple page\"" titles.csv || fail 1 "simple.html row"
grep -qx "\"$B/no-title.html\",200," titles.csv || fail 1 "no-title row"
ok 1

# 2. Only the failures, and why
trawl -i urls.txt -q \
  | jq -r 'select(.ok | not) | [.url, .error.kind, .error.message] | @tsv' > failures.tsv
[ "$(wc -l < failures.tsv)" -eq 3 ] || fail 2 "expected 3 failures"
[ "$(cut -f2 failures.tsv | sort | tr '\n' ' ')" = "connect http_status invalid_url " ] || fail 2 "kinds"
[ "$(awk -F'\t' 'NF != 3' failures.tsv | wc -l)" -eq 0 ] || fail 2 "not 3 columns"
ok 2

# 3. Re-run only the failures
rm -f out.jsonl
trawl -i urls.txt -o out.jsonl -q
[ "$(wc -l < out.jsonl)" -eq 7 ] || fail 3 "first run: expected 7 records"
before_simple=$(served /simple.html) before_missing=$(served /missing.html)
jq -c 'select(.ok)' out.jsonl > out.tmp && mv out.tmp out.jsonl
trawl -i urls.txt -o out.jsonl --resume 2> resume.err
grep -q '4 already in the output file' resume.err || fail 3 "summary: $(cat resume.err)"
[ "$(served /simple.html)" -eq "$before_simple" ] || fail 3 "an ok URL was fetched again"
[ "$(served /missing.html)" -eq $((before_missing + 1)) ] || fail 3 "the failed URL was not fetched again"
[ "$(wc -l < out.jsonl)" -eq 7 ] || fail 3 "expected 7 records after resume"
[ "$(jq -r .url out.jsonl | sort -u | wc -l)" -eq 7 ] || fail 3 "a URL has two records"
[ "$(jq -c 'select(.ok | not)' out.jsonl | wc -l)" -eq 3 ] || fail 3 "failures should still fail"
ok 3

# 4. A polite scrape of someone else's site
# (robots.txt disallows /private/ for yourbot only)
printf '%s\n' "$B/simple.html" "$B/other.html" "$B/product.html" "$B/private/secret.html" > polite.txt
rm -f out.jsonl
start=$(date +%s.%N)
trawl -i polite.txt -o out.jsonl --robots --host-rate 1/s --per-host 2 \
  -A 'yourbot/1.0 (+https://you.example/bot)' --retries 3 --max-time 2m -q
took=$(echo "$(date +%s.%N) - $start" | bc)
[ "$(wc -l < out.jsonl)" -eq 4 ] || fail 4 "expected 4 records"
[ "$(jq -r 'select(.error.kind == "robots_disallowed") | .url' out.jsonl)" = "$B/private/secret.html" ] \
  || fail 4 "private page not disallowed"
[ "$(served /private/secret.html)" -eq 0 ] || fail 4 "a disallowed URL was requested"
# robots.txt + 3 pages at 1/s: at least 3 s
[ "$(echo "$took >= 3" | bc)" -eq 1 ] || fail 4 "--host-rate not held ($took s)"
# the same URL with the default user agent (token "trawl") is allowed
"$T" -q --robots "$B/private/secret.html" | jq -e '.ok' > /dev/null || fail 4 "UA token not used"
ok 4

# 5. A sitemap smoke check in CI
# (the sitemap: 3 pages with an h1 and one 404)
rc=0
"$T" --sitemap "$B/sitemap.xml" -q -t 10s \
  --expect 'h1' --max-latency 3s --allow-failures 1 --junit report.xml -o smoke.jsonl || rc=$?
[ "$rc" -eq 0 ] || fail 5 "with one failure allowed: exit $rc"
[ "$(wc -l < smoke.jsonl)" -eq 4 ] || fail 5 "expected 4 records"
grep -q '<testsuites name="trawl" tests="4" failures="1"' report.xml || fail 5 "junit counts"
grep -q '<failure type="http_status"' report.xml || fail 5 "junit failure"
rc=0; "$T" --sitemap "$B/sitemap.xml" -q --expect 'h1' -o smoke.jsonl || rc=$?
[ "$rc" -eq 1 ] || fail 5 "without an allowance: exit $rc"
rc=0; "$T" --sitemap "$B/sitemap.xml" -q -c 1 --expect 'footer' --max-failures 1 -o smoke.jsonl || rc=$?
[ "$rc" -eq 1 ] || fail 5 "--max-failures: exit $rc"
[ "$(wc -l < smoke.jsonl)" -lt 4 ] || fail 5 "--max-failures did not stop the run"
rc=0; "$T" --sitemap "$B/no-such-sitemap.xml" -q > smoke.jsonl || rc=$?
[ "$rc" -eq 1 ] || fail 5 "a missing sitemap: exit $rc"
jq -e 'select(.error.kind == "sitemap")' smoke.jsonl > /dev/null || fail 5 "no sitemap record"
ok 5

# 6. Four shards on one machine
# (two host names for the same server)
{ seq 100 | sed "s|^|$B/simple.html?n=|"; seq 100 | sed "s|^|http://localhost:$PORT/simple.html?n=|"; } > urls6.txt
rm -f shard-*.jsonl
( # a subshell, so that `wait` does not wait for the server too
for k in 1 2 3 4; do
  trawl -i urls6.txt --shard $k/4 --shard-by host -o shard-$k.jsonl --resume -q &
done; wait
)
cat shard-{1..4}.jsonl > out.jsonl
[ "$(wc -l < out.jsonl)" -eq 200 ] || fail 6 "expected 200 records"
[ "$(jq -r .url out.jsonl | sort -u | wc -l)" -eq 200 ] || fail 6 "shards overlap"
[ "$(jq -c 'select(.ok | not)' out.jsonl | wc -l)" -eq 0 ] || fail 6 "failures"
for k in 1 2 3 4; do  # each host lands in exactly one shard
  jq -r '.url | split("/")[2]' shard-$k.jsonl
done | sort | uniq -c | awk '$1 != 100 { exit 1 }' || fail 6 "a host is split over shards"
ok 6

# 7. Resume after Ctrl-C
# (2000 URLs at -c 2, interrupted after half a second)
seq 2000 | sed "s|^|$B/simple.html?n=|" > urls7.txt
rm -f out.jsonl
"$T" -i urls7.txt -o out.jsonl -c 2 -q & pid=$!
sleep 0.5; kill -INT $pid
rc=0; wait $pid || rc=$?
[ "$rc" -eq 130 ] || fail 7 "interrupted run: exit $rc"
n=$(wc -l < out.jsonl)
[ "$n" -gt 0 ] && [ "$n" -lt 2000 ] || fail 7 "interrupted run wrote $n records"
jq -e . out.jsonl > /dev/null || fail 7 "a torn line"
trawl -i urls7.txt -o out.jsonl -c 2 --resume -q
[ -z "$(jq -r .url out.jsonl | sort | uniq -d)" ] || fail 7 "a URL has two records"
[ "$(wc -l < out.jsonl)" -eq 2000 ] || fail 7 "expected 2000 records, got $(wc -l < out.jsonl)"
echo "  (interrupted after $n records; resume added $((2000 - n)))"
ok 7

# 8. Product pages: name, price, images, SKU
printf '%s\n' "$B/product.html" "$B/missing.html" > products.txt
trawl -i products.txt -q -s 'name=h1' -s 'price=.price' \
  -s 'images[]=.gallery img@src' -s 'sku=meta[itemprop=sku]@content' \
  | jq -r 'select(.ok) | [.url, .fields.name, .fields.price, .fields.sku, (.fields.images | join(" "))] | @csv' > products.csv
expected="\"$B/product.html\",\"Blue mug\",\"\$3.50\",\"MUG-BLUE-01\",\"$B/img/mug-1.jpg $B/img/mug-2.jpg https://cdn.shop.example/mug-3.jpg\""
[ "$(cat products.csv)" = "$expected" ] || fail 8 "got: $(cat products.csv)"
ok 8

# 9. A page's links as a new URL list
trawl -q --links "$B/links.html" \
  | jq -r ".links[]? | select(startswith(\"$B/\"))" | sort -u > next.txt
trawl -i next.txt -o next.jsonl 2> next.err   # the summary
[ "$(cat next.txt)" = "$(printf '%s\n' "$B/no-title.html" "$B/other.html" "$B/product.html" "$B/simple.html")" ] \
  || fail 9 "links: $(cat next.txt)"
[ "$(jq -c 'select(.ok)' next.jsonl | wc -l)" -eq 4 ] || fail 9 "expected 4 ok records"
ok 9

# 10. What changed between two runs
# (change a title, remove a page)
printf '%s\n' "$B/simple.html" "$B/other.html" "$B/no-title.html" "$B/product.html" > urls10.txt
trawl -i urls10.txt -q -o before.jsonl
sed -i 's|<title>Other page</title>|<title>Other page, new</title>|' site/other.html
rm site/no-title.html
trawl -i urls10.txt -q -o after.jsonl
tsv() { jq -r '[.url, (.status // .error.kind), .title] | @tsv' "$1" | LC_ALL=C sort; }
LC_ALL=C join -t $'\t' <(tsv before.jsonl) <(tsv after.jsonl) | awk -F'\t' '$2 != $4 || $3 != $5' > changed.tsv
expected=$(printf '%s\t%s\t%s\t%s\t%s\n' \
  "$B/no-title.html" 200 "" 404 "Error response" \
  "$B/other.html" 200 "Other page" 200 "Other page, new")
[ "$(cat changed.tsv)" = "$expected" ] || fail 10 "got: $(cat changed.tsv)"
ok 10

echo "all 10 recipes ok"
