#!/usr/bin/env bash
# Cross-compiles the Qiao desktop app for Windows x86-64 from Debian:
#
#   packaging/build-windows.sh [VERSION]    ->  dist/qiao.exe
#
# VERSION defaults to what packaging/version.sh prints (tag, else app/version.go + commit).
# Steps: fill packaging/windows/qiao.rc.in (icon, manifest, VERSIONINFO), compile
# it with x86_64-w64-mingw32-windres into rsrc_windows_amd64.syso at the repo
# root (removed again on exit), `go build` with cgo + MinGW, then verify the exe
# (PE32+ x86-64 GUI, .rsrc with icon/manifest/version strings, no MinGW runtime
# DLL imports, version string linked in). Any failed check exits non-zero.
#
# Needs: go, gcc-mingw-w64-x86-64 + g++-mingw-w64-x86-64 (windres, gcc, objdump),
# file, python3.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WIN="$ROOT/packaging/windows"
cd "$ROOT"

die() { echo "build-windows: ERROR: $*" >&2; exit 1; }
log() { echo "build-windows: $*"; }

# ---- version ---------------------------------------------------------------
VERSION="$(bash packaging/version.sh "${1:-}")" || die "bad version"

# Numeric A.B.C.D for VS_FIXEDFILEINFO: [v]MAJOR.MINOR[.PATCH][-N-gHASH] -> MAJOR.MINOR.PATCH.N
if [[ "${VERSION#v}" =~ ^([0-9]+)\.([0-9]+)(\.([0-9]+))?(-([0-9]+)-g[0-9a-f]+)? ]]; then
  V1=${BASH_REMATCH[1]} V2=${BASH_REMATCH[2]} V3=${BASH_REMATCH[4]:-0} V4=${BASH_REMATCH[6]:-0}
else
  log "warning: VERSION '$VERSION' is not MAJOR.MINOR[.PATCH]...; numeric file version will be 0.0.0.0"
  V1=0 V2=0 V3=0 V4=0
fi
for n in "$V1" "$V2" "$V3" "$V4"; do
  [ "$((10#$n))" -le 65535 ] || die "version component $n > 65535"
done
V1=$((10#$V1)) V2=$((10#$V2)) V3=$((10#$V3)) V4=$((10#$V4))
FIXED="$V1.$V2.$V3.$V4"
case "$VERSION" in *-*) FILEFLAGS="0x2L" ;; *) FILEFLAGS="0x0L" ;; esac   # VS_FF_PRERELEASE
YEAR="$(date -u ${SOURCE_DATE_EPOCH:+-d "@$SOURCE_DATE_EPOCH"} +%Y)"

# ---- tools -----------------------------------------------------------------
WINDRES="${WINDRES:-x86_64-w64-mingw32-windres}"
OBJDUMP="${OBJDUMP:-x86_64-w64-mingw32-objdump}"
CC_WIN="${CC_WIN:-x86_64-w64-mingw32-gcc}"
CXX_WIN="${CXX_WIN:-x86_64-w64-mingw32-g++}"
for t in go "$WINDRES" "$OBJDUMP" "$CC_WIN" "$CXX_WIN" file python3; do
  command -v "$t" >/dev/null 2>&1 || die "missing tool: $t (apt-get install gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 file python3)"
done
for f in qiao.rc.in qiao.ico qiao.manifest verify-pe.py; do
  [ -f "$WIN/$f" ] || die "missing $WIN/$f"
done

# ---- resources -> .syso ----------------------------------------------------
SYSO="$ROOT/rsrc_windows_amd64.syso"
TMP="$(mktemp -d)"
cleanup() { rm -f "$SYSO"; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

sed -e "s/@VERSION@/$VERSION/g" \
    -e "s/@VERSION_COMMA@/$V1,$V2,$V3,$V4/g" \
    -e "s/@FILEFLAGS@/$FILEFLAGS/g" \
    -e "s/@YEAR@/$YEAR/g" \
    -e "s/@ICO@/qiao.ico/g" \
    -e "s/@MANIFEST@/qiao.manifest/g" \
    "$WIN/qiao.rc.in" > "$TMP/qiao.rc"
if grep -n '@[A-Z_]*@' "$TMP/qiao.rc"; then die "unfilled placeholder in qiao.rc"; fi

log "version $VERSION (file version $FIXED)"
# -I: windres looks up the ICON and manifest files in the include dirs.
"$WINDRES" --target=pe-x86-64 -I "$WIN" -i "$TMP/qiao.rc" -O coff -o "$SYSO"
log "windres -> $(basename "$SYSO") ($(stat -c %s "$SYSO") bytes)"

# ---- build -----------------------------------------------------------------
mkdir -p dist
OUT="dist/qiao.exe"
rm -f "$OUT"
t0=$(date +%s)
CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC="$CC_WIN" CXX="$CXX_WIN" \
  go build -trimpath -ldflags "-H windowsgui -s -w -X qiao/app.Version=$VERSION" -o "$OUT" .
t1=$(date +%s)
log "go build took $((t1 - t0))s -> $OUT ($(stat -c %s "$OUT") bytes)"

# ---- verify ----------------------------------------------------------------
log "checking $OUT"
FILE_OUT="$(file -b "$OUT")"
echo "  file: $FILE_OUT"
[[ "$FILE_OUT" == *"PE32+ executable"* ]] || die "not a PE32+ executable"
[[ "$FILE_OUT" == *"(GUI)"* ]]            || die "not a GUI-subsystem executable (-H windowsgui lost?)"
[[ "$FILE_OUT" == *"x86-64"* ]]           || die "not x86-64"

RSRC="$("$OBJDUMP" -h "$OUT" | awk '$2 == ".rsrc" {print "  objdump: .rsrc size 0x" $3 " vma 0x" $4}')"
[ -n "$RSRC" ] || die "no .rsrc section (the .syso was not linked in?)"
echo "$RSRC"

DLLS="$("$OBJDUMP" -p "$OUT" | sed -n 's/^[[:space:]]*DLL Name: //p' | sort -fu | xargs)"
echo "  imports: $DLLS"
BAD="$(tr ' ' '\n' <<<"$DLLS" | grep -iE '^(lib.*|.*mingw.*)\.dll$' || true)"
[ -z "$BAD" ] || die "imports MinGW runtime DLL(s) not present on a clean Windows: $BAD"

if ! grep -qaF -- "$VERSION" "$OUT"; then
  die "version string '$VERSION' not found in $OUT: did -X qiao/app.Version apply? (is there a 'var Version' in package qiao/app?)"
fi
echo "  -X qiao/app.Version=$VERSION: found in binary"

python3 "$WIN/verify-pe.py" "$OUT" \
  --manifest "$WIN/qiao.manifest" \
  --fixed-version "$FIXED" \
  --icon-name GLFW_ICON --icon-sizes 16,24,32,48,64,128,256 \
  --expect "CompanyName=Qiao" \
  --expect "FileDescription=桥 Qiao — 城乡同步课堂与教研" \
  --expect "ProductName=桥 Qiao" \
  --expect "FileVersion=$VERSION" \
  --expect "ProductVersion=$VERSION" \
  --expect "OriginalFilename=qiao.exe" \
  || die "resource checks failed"

log "OK: $OUT ($VERSION)"
