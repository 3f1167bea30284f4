#!/usr/bin/env bash
# Placement benchmarks for docs/BENCHMARKS.md: the draw's balance and speed
# against random and serpentine baselines (go test -bench), then the whole
# `qiao placement run` for 20,000 pupils into 400 classes, import and
# export included, with its peak memory (GNU time).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
export LANG=zh_CN.UTF-8
go test -run='^$' -bench='Draw|WriteXLSX' -benchtime=5x -benchmem ./placement/
mkdir -p dist
go build -o dist/qiao .
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dist/qiao placement sample --pupils 20000 --teachers 400 --out "$tmp/list.xlsx" >/dev/null
for i in 1 2 3; do
  /usr/bin/time -f "qiao placement run 20000→400: %e s wall, %M KB max RSS" \
    dist/qiao --data "$tmp/data" placement run --in "$tmp/list.xlsx" --classes 400 \
    --entropy "run $i" --out "$tmp/result.xlsx" >/dev/null
done
/usr/bin/time -f "qiao placement verify 20000→400: %e s wall, %M KB max RSS" \
  dist/qiao placement verify --in "$tmp/list.xlsx" --result "$tmp/result.xlsx" >/dev/null
