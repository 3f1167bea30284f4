#!/usr/bin/env bash
# Installs what building, running and testing Qiao needs on Debian/Ubuntu,
# skipping what is already there. Safe to run again. Uses sudo when not root.
set -euo pipefail

pkgs=(
  gcc pkg-config file git ca-certificates       # cgo, checks
  libgl1-mesa-dev xorg-dev                      # Fyne's GLFW driver (X11/GL headers)
  xvfb imagemagick                              # start-up test: a real window and its screenshot
  gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64     # the Windows build
  python3                                       # the independent placement verifier (tools/placement-ref)
  $( { { command -v initdb || compgen -G '/usr/lib/postgresql/*/bin/initdb' || [ -x /usr/local/bin/initdb ]; } && id -u postgres; } >/dev/null 2>&1 || echo postgresql )  # throw-away servers for tests (internal/pgtest), unless initdb and user postgres are already there
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v go >/dev/null 2>&1; then
  missing+=(golang-go) # Go >= 1.21 then fetches the toolchain go.mod asks for
fi
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
export PATH="$PATH:/usr/local/go/bin"
go version
