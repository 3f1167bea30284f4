#!/usr/bin/env bash
# Opens the real Qiao window under Xvfb on the sample school, takes a
# screenshot and checks it is not blank, then checks that a second
# instance on the same data folder is refused. Leaves dist/smoke.png.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
export LANG=zh_CN.UTF-8
mkdir -p dist
go build -o dist/qiao .

data=$(mktemp -d)
app=""
source scripts/xvfb.sh
xvfb_on_exit '[ -n "$app" ] && kill "$app" 2>/dev/null; rm -rf "$data"'

fail() { echo "smoke: FAIL: $*"; exit 1; }
QIAO_REPORT_READY=1 dist/qiao --data "$data" --sample >"$data/out" 2>"$data/err" &
app=$!
for _ in $(seq 300); do grep -q QIAO_READY "$data/out" 2>/dev/null && break; kill -0 "$app" 2>/dev/null || fail "qiao exited: $(cat "$data/err")"; sleep 0.1; done
grep -q QIAO_READY "$data/out" || fail "no window after 30 s"
sleep 1
import -window root dist/smoke.png
colors=$(convert dist/smoke.png -format '%k' info:)
echo "smoke: window up, screenshot has $colors colours"
[ "$colors" -gt 64 ] || fail "screenshot looks blank ($colors colours)"

set +e
QIAO_LANG=en dist/qiao --data "$data" >"$data/out2" 2>"$data/err2" &
second=$!
for _ in $(seq 100); do kill -0 "$second" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$second" 2>/dev/null; then
  # Refused instances show their message in a window and wait: the message is on stderr already.
  kill "$second"
fi
wait "$second" 2>/dev/null
set -e
grep -q "already running" "$data/err2" || fail "second instance not refused: $(cat "$data/err2")"
kill -0 "$app" 2>/dev/null || fail "first instance died"
echo "smoke: second instance refused with: $(grep -m1 'already running' "$data/err2")"
echo "smoke: ok"
