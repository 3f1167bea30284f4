#!/usr/bin/env bash
# Measures Qiao's start-up to a visible window and its idle RSS against a
# bare Fyne window with the same libraries, under Xvfb. Results go in
# docs/BENCHMARKS.md. Usage: scripts/bench-startup.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
export LANG=zh_CN.UTF-8
mkdir -p dist
go build -o dist/qiao .
go build -o dist/qiao-barewindow ./cmd/qiao-barewindow
display=:$((90 + RANDOM % 100))
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null' EXIT
sleep 1
DISPLAY=$display dist/qiao bench startup --bare dist/qiao-barewindow --runs "${1:-5}"
