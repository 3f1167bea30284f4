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
source scripts/xvfb.sh
dist/qiao bench startup --bare dist/qiao-barewindow --runs "${1:-5}"
