#!/usr/bin/env bash
# Regenerates the app icon from scratch:
#   assets/icon/qiao.png        512x512 RGBA PNG (Fyne app icon, Linux hicolor icon)
#   packaging/windows/qiao.ico  16,24,32,48,64,128,256 (Windows exe icon, via windres)
#
# Needs Debian's imagemagick (IM6 `convert`) and fonts-noto-cjk (Noto Sans CJK SC Bold).
# The outputs are checked in, so ordinary builds never need this script or ImageMagick.
# Output is deterministic (metadata/timestamps stripped): rerunning it leaves git clean.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PNG_OUT="$ROOT/assets/icon/qiao.png"
ICO_OUT="$ROOT/packaging/windows/qiao.ico"

# Design parameters (master is drawn at 1024 and scaled down for clean antialiasing).
CHAR="桥"
BG_FROM="#2A8C9E"   # calm teal (top-left)
BG_TO="#143F6E"     # deep blue (bottom-right)
M=1024              # master size
INSET=32            # transparent margin around the rounded square (master px)
RADIUS=200          # corner radius (master px)
GLYPH=580           # glyph ink box (master px), ~57% of the tile
ICO_SIZES=(256 128 64 48 32 24 16)

die() { echo "make-icon: ERROR: $*" >&2; exit 1; }

# Prefer the real ImageMagick binary: IM7 `magick`, else Debian's IM6 `convert`.
if command -v magick >/dev/null 2>&1; then
  IM=(magick); ID=(magick identify)
elif [ -x /usr/bin/convert ]; then
  IM=(/usr/bin/convert); ID=(/usr/bin/identify)
elif command -v convert >/dev/null 2>&1; then
  IM=(convert); ID=(identify)
else
  die "ImageMagick not found (apt-get install imagemagick)"
fi

# Noto Sans CJK SC Bold. ImageMagick knows it by name via fontconfig; the .ttc
# holds several faces, so a name (which carries the face index) beats a path.
FONT="${QIAO_ICON_FONT:-Noto-Sans-CJK-SC-Bold}"
fonts="$("${IM[@]}" -list font)"   # (not piped into grep -q: SIGPIPE + pipefail)
grep -qx "  Font: ${FONT}" <<<"$fonts" \
  || die "font '${FONT}' not known to ImageMagick (apt-get install fonts-noto-cjk)"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

E=$((M - INSET - 1))
# 1) background gradient, clipped to a rounded square
"${IM[@]}" -size ${M}x${M} -define gradient:angle=135 "gradient:${BG_FROM}-${BG_TO}" "$TMP/grad.png"
"${IM[@]}" -size ${M}x${M} xc:black -fill white \
  -draw "roundrectangle ${INSET},${INSET} ${E},${E} ${RADIUS},${RADIUS}" "$TMP/mask.png"

# 2) the glyph: rendered big, trimmed to its ink, scaled, centred on the tile
"${IM[@]}" -background none -fill white -font "$FONT" -pointsize 800 "label:${CHAR}" \
  -trim +repage -resize ${GLYPH}x${GLYPH} \
  -gravity center -extent ${M}x${M} "$TMP/glyph.png"

# 3) a soft, subtle drop shadow under the glyph
"${IM[@]}" "$TMP/glyph.png" -alpha extract -background black -alpha shape \
  -channel A -evaluate multiply 0.28 +channel -blur 0x10 -roll +0+8 "$TMP/shadow.png"

# 4) compose master (RGBA, transparent outside the rounded square)
"${IM[@]}" "$TMP/grad.png" "$TMP/shadow.png" -compose over -composite \
  "$TMP/glyph.png" -compose over -composite \
  \( "$TMP/mask.png" \) -alpha off -compose CopyOpacity -composite \
  "$TMP/master.png"

STRIP=(-strip -define png:exclude-chunks=date,time -define png:color-type=6 -depth 8)

# 5) 512x512 PNG
mkdir -p "$(dirname "$PNG_OUT")" "$(dirname "$ICO_OUT")"
"${IM[@]}" "$TMP/master.png" -filter Lanczos -resize 512x512 "${STRIP[@]}" "PNG32:$PNG_OUT"

# 6) ICO: each size downscaled from the 1024 master (sharper than auto-resize from
#    512); the tiny sizes get a light unsharp so the strokes stay crisp.
ICO_IN=()
for s in "${ICO_SIZES[@]}"; do
  extra=()
  if [ "$s" -le 32 ]; then extra=(-unsharp 0x0.6+0.8+0); fi
  "${IM[@]}" "$TMP/master.png" -filter Lanczos -resize ${s}x${s} "${extra[@]}" "${STRIP[@]}" "PNG32:$TMP/ico-$s.png"
  ICO_IN+=("$TMP/ico-$s.png")
done
"${IM[@]}" "${ICO_IN[@]}" "$ICO_OUT"

# 7) sanity checks
got_png="$("${ID[@]}" -format '%wx%h %[channels]' "$PNG_OUT")"
case "$got_png" in 512x512\ srgba*|512x512\ rgba*) ;; *) die "unexpected PNG format: $got_png" ;; esac
corner="$("${ID[@]}" -format '%[fx:p{0,0}.a]' "$PNG_OUT")"
[ "$corner" = "0" ] || die "PNG corner is not transparent (alpha=$corner)"
got_ico="$("${ID[@]}" -format '%w ' "$ICO_OUT" | xargs -n1 | sort -n | xargs)"
[ "$got_ico" = "16 24 32 48 64 128 256" ] || die "ICO sizes are '$got_ico'"

echo "make-icon: wrote $PNG_OUT ($got_png)"
echo "make-icon: wrote $ICO_OUT (sizes: $got_ico)"
