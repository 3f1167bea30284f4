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

display=:$((90 + RANDOM % 100))
data=$(mktemp -d)
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
app=""
cleanup() { [ -n "$app" ] && kill "$app" 2>/dev/null; kill "$xvfb" 2>/dev/null; rm -rf "$data"; }
trap cleanup EXIT
export DISPLAY=$display
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; [ -e "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done

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
