#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine and opens Qiao on the embedded
# default: a local SQLite file in the user's data folder, with the sample
# school on first run. Extra arguments go to qiao (e.g. --data DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-debian.sh
export PATH="$PATH:/usr/local/go/bin"
export LANG="${LANG:-zh_CN.UTF-8}"
[ "$LANG" = C ] && export LANG=zh_CN.UTF-8
go build -o dist/qiao .
exec dist/qiao --sample "$@"
