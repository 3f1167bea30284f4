#!/usr/bin/env bash
# Sync benchmarks for docs/BENCHMARKS.md: 100,000 changes pushed and pulled
# over loopback, 200 devices syncing at once, a school's day of changes over
# a 64 kbit/s link with 5 % loss. The server is the real `qiao-district serve`
# process, every measured device syncs in its own process, and both peaks
# are VmHWM. Sizes: QIAO_BENCH_N, QIAO_BENCH_SCHOOLS, QIAO_BENCH_DEVICES,
# QIAO_BENCH_WEAK; QIAO_BENCH_PROFILE_DIR=DIR keeps a CPU profile of every
# child sync there. Extra arguments go to `go test` (e.g. -run
# TestSyncBench/loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
QIAO_BENCH=1 go test -run TestSyncBench -v -count=1 -timeout 60m "$@" ./replica/ | tee "$log" | grep -v '^BENCHROW' || true
echo
echo "| what | time | bytes per change / per device | client peak, CPU | server peak, CPU / errors | load |"
echo "|---|---|---|---|---|---|"
sed -n 's/^BENCHROW //p' "$log"
grep -q '^ok' "$log"
