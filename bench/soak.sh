#!/usr/bin/env bash
# The soak: 100,000 URLs (SOAK_URLS) against the tests' fault server on 127.0.0.1 and
# 127.0.0.2, 90 % fast pages and 10 % spread over every fault it serves (503, 500, 404,
# flaky, Retry-After, hang, drip, slow body, redirect chain and loop, 20 MB body, gzip bomb,
# bad gzip, text/plain, deeply nested HTML, invalid UTF-8, resets before and during the body,
# HTTP/1.0 close-delimited, chunked cut short), at -c 100 -t 2s --retries 1. Checks exactly one record
# per URL and no panic; prints the wall time, pages/s and trawl's peak RSS.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec cargo test --release --test politeness -- --ignored --nocapture soak
