#!/usr/bin/env bash
# Prints the version to build: $1 if given; else the git tag on HEAD
# (v1.2.3 -> 1.2.3, or 1.2.3-N-gHASH past it); else the base version in
# app/version.go with the commit, e.g. 0.1.0-dev+ac8353a. Exits non-zero
# on a version that is unsafe in -ldflags and .rc string literals.
set -euo pipefail
cd "$(dirname "$0")/.."
v="${1:-}"
if [ -z "$v" ]; then
  v="$(git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null || true)"
  v="${v#v}"
fi
if [ -z "$v" ]; then
  base="$(sed -n 's/^var Version = "\(.*\)"/\1/p' app/version.go)"
  hash="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  v="${base:-0.1.0-dev}+$hash"
fi
[[ "$v" =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ ]] || { echo "bad VERSION '$v' (allowed: A-Za-z0-9._+-)" >&2; exit 1; }
echo "$v"
