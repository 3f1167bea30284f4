// Package assets holds the files bundled into the app: fonts, icons and translations.
package assets

import (
	_ "embed" // for the //go:embed directives below

	"fyne.io/fyne/v2"
)

// The Chinese UI fonts: subsets of Noto Sans CJK SC (SIL Open Font License
// 1.1, see fonts/LICENSE-OFL.txt) made by fonts/make-subset.sh. They cover
// ASCII, Latin-1, pinyin, common school symbols (× ÷ ± ≤ ≥ √ ° ℃ ① …), CJK
// and fullwidth punctuation, and every Han character of GBK, so Chinese text
// looks the same on Windows, macOS and Linux whatever fonts the system has.
// Both are OpenType files with CFF outlines, which Fyne's text stack
// (go-text/typesetting and go-text/render) reads and draws.
var (
	//go:embed fonts/NotoSansSC-Qiao-Regular.otf
	fontRegular []byte

	//go:embed fonts/NotoSansSC-Qiao-Bold.otf
	fontBold []byte
)

// FontRegular and FontBold are the regular and bold weights of the bundled
// Chinese font (family "Noto Sans CJK SC"), for a theme's Font method.
var FontRegular, FontBold = &fyne.StaticResource{
	StaticName:    "NotoSansSC-Qiao-Regular.otf",
	StaticContent: fontRegular,
}, &fyne.StaticResource{
	StaticName:    "NotoSansSC-Qiao-Bold.otf",
	StaticContent: fontBold,
}
