#!/usr/bin/env bash
# Builds the Linux x86-64 release:
#
#   packaging/build-linux.sh [VERSION]
#     dist/qiao                 desktop app (cgo: GLFW/OpenGL via Fyne)
#     dist/qiao-district        district server (CGO_ENABLED=0, must be static)
#     dist/linux/               install tree (a prefix: /usr/local, ~/.local, ...)
#       bin/qiao, bin/qiao-district
#       share/applications/qiao.desktop
#       share/icons/hicolor/512x512/apps/qiao.png
#     dist/qiao-linux-amd64-VERSION.tar.gz   that tree under qiao-linux-amd64-VERSION/
#
# VERSION defaults to what packaging/version.sh prints (tag, else app/version.go + commit).
# Checks (any failure exits non-zero): both are ELF x86-64; qiao-district is
# statically linked (`file` and `ldd`); the -X version string made it into
# dist/qiao; the .desktop file validates (if desktop-file-validate exists);
# the tarball lists exactly the expected files.
#
# Needs: go, gcc, the X11/GL headers Fyne needs (Debian: xorg-dev libgl1-mesa-dev),
# file, ldd, tar, gzip.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

die() { echo "build-linux: ERROR: $*" >&2; exit 1; }
log() { echo "build-linux: $*"; }

VERSION="$(bash packaging/version.sh "${1:-}")" || die "bad version"

for t in go file ldd tar gzip; do
  command -v "$t" >/dev/null 2>&1 || die "missing tool: $t"
done
ICON="$ROOT/assets/icon/qiao.png"
DESKTOP="$ROOT/packaging/linux/qiao.desktop"
[ -f "$ICON" ] || die "missing $ICON (run packaging/make-icon.sh)"
[ -f "$DESKTOP" ] || die "missing $DESKTOP"

LDFLAGS="-s -w -X qiao/app.Version=$VERSION"
# The district server keeps its own `var Version` in package main (and may also
# link qiao/app): stamp both; -X on a symbol that is not linked is a no-op.
LDFLAGS_DISTRICT="-s -w -X main.Version=$VERSION -X qiao/app.Version=$VERSION"
mkdir -p dist
rm -f dist/qiao dist/qiao-district

log "version $VERSION"
t0=$(date +%s)
CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags "$LDFLAGS" -o dist/qiao .
t1=$(date +%s)
log "go build qiao took $((t1 - t0))s ($(stat -c %s dist/qiao) bytes)"
CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags "$LDFLAGS_DISTRICT" -o dist/qiao-district ./cmd/qiao-district
t2=$(date +%s)
log "go build qiao-district took $((t2 - t1))s ($(stat -c %s dist/qiao-district) bytes)"

# ---- checks ----------------------------------------------------------------
log "checking binaries"
F_APP="$(file -b dist/qiao)"
F_SRV="$(file -b dist/qiao-district)"
echo "  file qiao:          $F_APP"
echo "  file qiao-district: $F_SRV"
[[ "$F_APP" == ELF\ 64-bit*x86-64* ]] || die "dist/qiao is not an x86-64 ELF"
[[ "$F_SRV" == ELF\ 64-bit*x86-64* ]] || die "dist/qiao-district is not an x86-64 ELF"
[[ "$F_SRV" == *"statically linked"* ]] || die "dist/qiao-district is not statically linked (file)"
LDD_SRV="$(ldd dist/qiao-district 2>&1 || true)"
echo "  ldd qiao-district:  $(echo $LDD_SRV)"
[[ "$LDD_SRV" == *"not a dynamic executable"* || "$LDD_SRV" == *"statically linked"* ]] \
  || die "dist/qiao-district has dynamic dependencies (ldd): $LDD_SRV"
echo "  ldd qiao:           $(ldd dist/qiao | awk '{print $1}' | xargs)"
if ldd dist/qiao | grep -q "not found"; then die "dist/qiao has unresolved libraries"; fi
# Informational: the oldest glibc dist/qiao can run on is the build machine's
# newest symbol version it uses (2.34 when built on Debian 12).
GLIBC_MIN="$(objdump -T dist/qiao 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1 || true)"
echo "  qiao needs:         ${GLIBC_MIN:-?} or newer"

grep -qaF -- "$VERSION" dist/qiao \
  || die "version string '$VERSION' not in dist/qiao: did -X qiao/app.Version apply? (is there a 'var Version' in package qiao/app?)"
echo "  -X qiao/app.Version=$VERSION: found in qiao"
grep -qaF -- "$VERSION" dist/qiao-district \
  || die "version string '$VERSION' not in dist/qiao-district: did -X main.Version apply?"
echo "  -X main.Version=$VERSION: found in qiao-district"

# ---- install tree + tarball --------------------------------------------------
TREE="dist/linux"
rm -rf "$TREE"
install -Dm755 dist/qiao          "$TREE/bin/qiao"
install -Dm755 dist/qiao-district "$TREE/bin/qiao-district"
install -Dm644 "$DESKTOP"         "$TREE/share/applications/qiao.desktop"
install -Dm644 "$ICON"            "$TREE/share/icons/hicolor/512x512/apps/qiao.png"
if command -v desktop-file-validate >/dev/null 2>&1; then
  desktop-file-validate "$TREE/share/applications/qiao.desktop" || die "qiao.desktop does not validate"
  echo "  desktop-file-validate: ok"
else
  echo "  note: desktop-file-validate not installed (Debian: desktop-file-utils); .desktop not validated"
fi

NAME="qiao-linux-amd64-$VERSION"
TARBALL="dist/$NAME.tar.gz"
# Reproducible: sorted, root-owned, fixed mtime (SOURCE_DATE_EPOCH, else last commit, else now), gzip -n.
EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"
tar -C "$TREE" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$EPOCH" \
    --transform "s,^\.,$NAME," -cf - . | gzip -n -9 > "$TARBALL"

WANT="$NAME/bin/qiao
$NAME/bin/qiao-district
$NAME/share/applications/qiao.desktop
$NAME/share/icons/hicolor/512x512/apps/qiao.png"
GOT="$(tar -tzf "$TARBALL" | grep -v '/$' | sort)"
[ "$GOT" = "$WANT" ] || die "tarball contents differ from expected:
$GOT"
log "tarball $TARBALL ($(stat -c %s "$TARBALL") bytes):"
tar -tvzf "$TARBALL" | sed 's/^/  /'
log "OK: dist/qiao, dist/qiao-district, $TREE/, $TARBALL ($VERSION)"
