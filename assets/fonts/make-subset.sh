#!/usr/bin/env bash
# make-subset.sh — regenerate Qiao's bundled Chinese fonts.
#
# Writes, next to this script:
#   NotoSansSC-Qiao-Regular.otf   (subset of Noto Sans CJK SC Regular)
#   NotoSansSC-Qiao-Bold.otf      (subset of Noto Sans CJK SC Bold)
#
# Source: Debian's fonts-noto-cjk package, which ships the fonts as OpenType
# collections (/usr/share/fonts/opentype/noto/NotoSansCJK-{Regular,Bold}.ttc)
# holding JP, KR, SC, TC, HK and Mono faces. The Simplified Chinese face is
# found by its PostScript name (NotoSansCJKsc-Regular / NotoSansCJKsc-Bold)
# with fontTools, never by a hard-coded index, and passed to the subsetter as
# --font-number=N (N was 2 in fonts-noto-cjk 1:20220127+repack1-1).
#
# Character set (see charset() below):
#   * ASCII, Latin-1, Latin Extended-A, the pinyin letters of Latin
#     Extended-B (ǎ ǐ ǒ ǔ ǖ ǘ ǚ ǜ ǹ), ɑ ɡ ḿ, Greek;
#   * general punctuation U+2000-206F, super/subscripts U+2070-209F,
#     letterlike symbols and number forms U+2100-218F (℃ № Ⅰ Ⅱ …),
#     arrows U+2190-21FF, mathematical operators U+2200-22FF (× ÷ ± ≤ ≥ √ …),
#     enclosed alphanumerics U+2460-24FF (① ⑴ ⒈ …), box drawing, block
#     elements and geometric shapes U+2500-25FF, CJK symbols and punctuation
#     U+3000-303F (、。〇《》【】 …), enclosed CJK U+3200-32FF (㈠ …),
#     fullwidth forms U+FF00-FFEF;
#   * every character that has a 2-byte code in GBK / GB18030 (decoded with
#     Python's codecs): that is all 20,902 CJK Unified Ideographs U+4E00-9FA5
#     (so rare name characters such as 玥 喆 昇 堃 are there), the 52
#     Extension A ideographs that GB18030 gives 2-byte codes (䶮 㑇 …), and
#     GBK's symbols, pinyin, bopomofo, kana, Greek and Cyrillic.
#   Characters the source font lacks are skipped (the script reports them).
#
# Size choices, all measured on the 2022-01-27 fonts (see README.md):
#   * --no-hinting: Fyne rasterises with go-text/render, which ignores hints.
#   * vertical-writing tables (vhea, vmtx, VORG) and BASE are dropped, and
#     only horizontal, language-neutral OpenType features are kept (no 'locl',
#     whose JP/KR/TC alternates Fyne never asks for, no 'vert').
#   * subroutines are kept (--desubroutinize made the files larger).
#   * CFF outlines are kept: go-text/typesetting (what Fyne 2.7 uses) reads
#     CID-keyed CFF and go-text/render draws its cubic curves; TrueType
#     conversion made the files bigger.
#
# Requirements (Debian/Ubuntu): apt-get install fonts-noto-cjk python3-fonttools
# Debian's python3-fonttools ships no `pyftsubset` command, so the subsetter
# is run as `python3 -m fontTools.subset` (the same program). Set PYTHON to
# choose the interpreter; by default the first of /usr/bin/python3, python3
# that can import fontTools is used.
#
# Usage:  assets/fonts/make-subset.sh        (from anywhere; re-runnable)
# The output is deterministic: re-running with the same inputs gives
# byte-identical files (the head.modified timestamp is left as in the source).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src_dir="${NOTO_CJK_DIR:-/usr/share/fonts/opentype/noto}"

# --- pick a Python with fontTools ------------------------------------------
if [[ -z "${PYTHON:-}" ]]; then
	for p in /usr/bin/python3 python3; do
		if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import fontTools.subset' 2>/dev/null; then
			PYTHON="$p"
			break
		fi
	done
fi
if [[ -z "${PYTHON:-}" ]]; then
	echo "make-subset.sh: no python3 with fontTools; apt-get install python3-fonttools" >&2
	exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# --- character set ----------------------------------------------------------
"$PYTHON" - "$work/unicodes.txt" <<'PY'
import sys

cps = set()
def add_range(lo, hi):
    cps.update(range(lo, hi + 1))

add_range(0x0020, 0x007E)   # ASCII
add_range(0x00A0, 0x00FF)   # Latin-1
add_range(0x0100, 0x017F)   # Latin Extended-A (ā ē ě ī ō ū …)
cps.update([0x01CD, 0x01CE, 0x01CF, 0x01D0, 0x01D1, 0x01D2, 0x01D3, 0x01D4,
            0x01D5, 0x01D6, 0x01D7, 0x01D8, 0x01D9, 0x01DA, 0x01DB, 0x01DC,
            0x01F8, 0x01F9, 0x0251, 0x0261, 0x1E3E, 0x1E3F])  # pinyin
add_range(0x0391, 0x03C9)   # Greek (π α β Δ Ω μ …)
add_range(0x2000, 0x206F)   # general punctuation
add_range(0x2070, 0x209F)   # superscripts and subscripts
add_range(0x2100, 0x218F)   # letterlike symbols (℃ №), number forms (Ⅰ Ⅱ)
add_range(0x2190, 0x21FF)   # arrows
add_range(0x2200, 0x22FF)   # mathematical operators
add_range(0x2460, 0x24FF)   # enclosed alphanumerics (①)
add_range(0x2500, 0x25FF)   # box drawing, block elements, geometric shapes
add_range(0x3000, 0x303F)   # CJK symbols and punctuation (includes 〇)
add_range(0x3200, 0x32FF)   # enclosed CJK letters and months (㈠)
add_range(0xFF00, 0xFFEF)   # halfwidth and fullwidth forms
cps.add(0x3007)             # 〇, explicitly

def is_han(c):
    return 0x4E00 <= c <= 0x9FFF or 0x3400 <= c <= 0x4DBF

han = 0
for codec in ("gbk", "gb18030"):
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            if trail == 0x7F:
                continue
            try:
                s = bytes([lead, trail]).decode(codec)
            except UnicodeDecodeError:
                continue
            if len(s) != 1:
                continue
            c = ord(s)
            if 0xE000 <= c <= 0xF8FF:   # private use: no glyphs to take
                continue
            if c not in cps and is_han(c):
                han += 1
            cps.add(c)

with open(sys.argv[1], "w") as f:
    for c in sorted(cps):
        f.write("U+%04X\n" % c)
print("charset: %d code points, %d of them Han from GBK/GB18030" % (len(cps), han))
PY

# --- subset one weight -------------------------------------------------------
subset() { # $1 = Regular|Bold
	local weight="$1"
	local ttc="$src_dir/NotoSansCJK-$weight.ttc"
	local psname="NotoSansCJKsc-$weight"
	local out="$here/NotoSansSC-Qiao-$weight.otf"
	if [[ ! -r "$ttc" ]]; then
		echo "make-subset.sh: $ttc not found; apt-get install fonts-noto-cjk" >&2
		exit 1
	fi

	local n
	n="$("$PYTHON" - "$ttc" "$psname" <<'PY'
import sys
from fontTools.ttLib import TTCollection
ttc, want = sys.argv[1], sys.argv[2]
for i, f in enumerate(TTCollection(ttc, lazy=True).fonts):
    if f["name"].getDebugName(6) == want:
        print(i)
        break
else:
    sys.exit("no face named %s in %s" % (want, ttc))
PY
)"
	echo "$weight: $ttc face $n ($psname)"

	"$PYTHON" -m fontTools.subset "$ttc" \
		--font-number="$n" \
		--unicodes-file="$work/unicodes.txt" \
		--layout-features='ccmp,kern,liga,calt,clig,rlig,mark,mkmk' \
		--drop-tables+=vhea,vmtx,VORG,BASE \
		--no-hinting \
		--name-IDs='*' \
		--name-languages='*' \
		--notdef-outline \
		--output-file="$work/out.otf"

	# Check the result and list what the source font could not supply.
	"$PYTHON" - "$work/out.otf" "$work/unicodes.txt" <<'PY'
import sys
from fontTools.ttLib import TTFont
f = TTFont(sys.argv[1])
cmap = f.getBestCmap()
want = [int(l[2:], 16) for l in open(sys.argv[2])]
missing = [c for c in want if c not in cmap]
han_missing = [c for c in missing if 0x4E00 <= c <= 0x9FFF or 0x3400 <= c <= 0x4DBF]
if han_missing:
    sys.exit("Han characters missing from the subset: " +
             " ".join("U+%04X" % c for c in han_missing))
for ch in "桥玥喆昇堃〇×÷℃①":
    if ord(ch) not in cmap:
        sys.exit("missing %s" % ch)
print("  %d glyphs, %d characters mapped; %d requested characters not in the source font"
      % (len(f.getGlyphOrder()), len(cmap), len(missing)))
PY
	mv "$work/out.otf" "$out"
	echo "  wrote $out ($(stat -c %s "$out") bytes)"
}

subset Regular
subset Bold
