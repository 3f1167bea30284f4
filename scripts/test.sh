#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine and runs every test: vet, unit and
# UI tests, race tests of the concurrent packages, the pure-Go district
# build, the Windows cross-build, and a real window under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-debian.sh
export PATH="$PATH:/usr/local/go/bin"
export LANG=zh_CN.UTF-8 # Fyne reads the locale; "C" makes it log parse errors

step() { printf '\n== %s\n' "$*"; }

step "go vet"
go vet ./...

step "unit and UI tests"
go test -count=1 ./...

step "race detector on the concurrent packages"
go test -count=1 -race ./store/ ./content/ ./library/ ./metrics/ ./syncproto/ ./replica/ ./internal/... ./district/... ./cmd/qiao-district/ ./ui/ ./audio/ ./classroom/...

step "district server is pure Go"
CGO_ENABLED=0 go build -o dist/qiao-district ./cmd/qiao-district

step "Windows build"
bash packaging/build-windows.sh

step "start-up test: a real window under Xvfb"
bash scripts/smoke-window.sh

echo
echo "all tests passed"
