package assets

import (
	"bytes"
	"image"
	"image/color"
	"math"
	"testing"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"github.com/go-text/typesetting/font"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// fontFamily is the family name recorded in the fonts (and in fonts/README.md).
const fontFamily = "Noto Sans CJK SC"

// sample mixes everyday words of the app, rare name characters, 〇, Chinese
// punctuation, Latin letters and digits, and school symbols.
const sample = "桥阳光分班集体备课观课议课玥喆昇堃䶮〇，。、；：？！“”‘’《》（）【】…—" +
	"ABCabc123ǎǐǒǔǚü×÷±≤≥√°℃①②⑩→∵∴"

// parse loads a font the way Fyne does (painter.loadMeasureFont).
func parse(t *testing.T, res fyne.Resource) *font.Face {
	t.Helper()
	face, err := font.ParseTTF(bytes.NewReader(res.Content()))
	if err != nil {
		t.Fatalf("%s: go-text/typesetting cannot parse it: %v", res.Name(), err)
	}
	return face
}

func TestFontsParseAndCoverSample(t *testing.T) {
	for _, tc := range []struct {
		res    fyne.Resource
		weight font.Weight
	}{
		{FontRegular, font.WeightNormal},
		{FontBold, font.WeightBold},
	} {
		face := parse(t, tc.res)
		desc := face.Describe()
		if desc.Family != fontFamily {
			t.Errorf("%s: family %q, want %q", tc.res.Name(), desc.Family, fontFamily)
		}
		if desc.Aspect.Weight != tc.weight {
			t.Errorf("%s: weight %v, want %v", tc.res.Name(), desc.Aspect.Weight, tc.weight)
		}
		for _, r := range sample {
			gid, ok := face.NominalGlyph(r)
			if !ok || gid == 0 {
				t.Errorf("%s: no glyph for %q (U+%04X)", tc.res.Name(), r, r)
				continue
			}
			if adv := face.HorizontalAdvance(gid); adv <= 0 {
				t.Errorf("%s: %q has advance %v", tc.res.Name(), r, adv)
			}
			// The outline must be readable (CFF charstrings), or Fyne draws nothing.
			out, ok := face.GlyphData(gid).(font.GlyphOutline)
			if !ok || len(out.Segments) == 0 {
				t.Errorf("%s: %q has no outline (%T)", tc.res.Name(), r, face.GlyphData(gid))
			}
		}
		// The cmap check above must be able to fail: a Thai letter and an
		// Extension B ideograph (𠮷) are outside the subset.
		for _, r := range "ก𠮷" {
			if _, ok := face.NominalGlyph(r); ok {
				t.Errorf("%s: unexpected glyph for %q; is the subset what make-subset.sh says?", tc.res.Name(), r)
			}
		}
	}
}

// TestFontsCoverGBK checks the promise that every Han character of GBK is in
// both fonts, decoding all two-byte GBK codes independently of make-subset.sh.
func TestFontsCoverGBK(t *testing.T) {
	dec := simplifiedchinese.GBK.NewDecoder()
	var han []rune
	for lead := 0x81; lead <= 0xFE; lead++ {
		for trail := 0x40; trail <= 0xFE; trail++ {
			if trail == 0x7F {
				continue
			}
			out, err := dec.Bytes([]byte{byte(lead), byte(trail)})
			if err != nil || utf8.RuneCount(out) != 1 {
				continue
			}
			r, _ := utf8.DecodeRune(out)
			if (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF) {
				han = append(han, r)
			}
		}
	}
	if len(han) < 20902 {
		t.Fatalf("decoded only %d Han characters from GBK", len(han))
	}
	for _, res := range []fyne.Resource{FontRegular, FontBold} {
		face := parse(t, res)
		var missing []rune
		for _, r := range han {
			if _, ok := face.NominalGlyph(r); !ok {
				missing = append(missing, r)
			}
		}
		if len(missing) > 0 {
			t.Errorf("%s: %d GBK Han characters missing, e.g. %q", res.Name(), len(missing), string(missing[:min(len(missing), 20)]))
		}
	}
}

// qiaoTheme is the smallest theme that uses the bundled fonts.
type qiaoTheme struct{ fyne.Theme }

func (q qiaoTheme) Font(s fyne.TextStyle) fyne.Resource {
	if s.Bold {
		return FontBold
	}
	return FontRegular
}

// render draws black text on white with Fyne's software painter (the test
// driver) and returns the picture and the number of dark pixels.
func render(t *testing.T, text string, style fyne.TextStyle) (*image.NRGBA, int) {
	t.Helper()
	txt := canvas.NewText(text, color.Black)
	txt.TextSize = 40
	txt.TextStyle = style
	w := test.NewTempWindow(t, container.NewStack(canvas.NewRectangle(color.White), txt))
	w.SetPadded(false)
	w.Resize(fyne.NewSize(120, 80))
	img, ok := w.Canvas().Capture().(*image.NRGBA)
	if !ok {
		t.Fatalf("capture is not NRGBA")
	}
	ink := 0
	for i := 0; i < len(img.Pix); i += 4 {
		if img.Pix[i] < 128 {
			ink++
		}
	}
	return img, ink
}

func TestFyneMeasuresAndDrawsChinese(t *testing.T) {
	a := test.NewTempApp(t)
	a.Settings().SetTheme(qiaoTheme{theme.DefaultTheme()})

	// Width: Fyne's measurement must come from the bundled font's advances.
	const size = 20
	face := parse(t, FontRegular)
	gid, _ := face.NominalGlyph('桥')
	want := size * face.HorizontalAdvance(gid) / float32(face.Upem())
	got := fyne.MeasureText("桥桥桥桥", size, fyne.TextStyle{}).Width
	if got <= 0 || math.Abs(float64(got-4*want)) > 0.5 {
		t.Errorf("width of 桥桥桥桥 at %vpt = %v, want %v", size, got, 4*want)
	}

	// Pixels: two different ideographs must draw different, non-empty
	// shapes, unlike an uncovered code point (tofu).
	imgQiao, inkQiao := render(t, "桥", fyne.TextStyle{})
	imgYang, inkYang := render(t, "阳", fyne.TextStyle{})
	imgTofu, _ := render(t, "\U0010FFFD", fyne.TextStyle{})
	if inkQiao < 50 || inkYang < 50 {
		t.Fatalf("too little ink: 桥 %d px, 阳 %d px", inkQiao, inkYang)
	}
	if bytes.Equal(imgQiao.Pix, imgYang.Pix) {
		t.Error("桥 and 阳 render identically (tofu?)")
	}
	if bytes.Equal(imgQiao.Pix, imgTofu.Pix) {
		t.Error("桥 renders like an uncovered code point")
	}

	// Bold: the theme's bold font must be used, and it is heavier.
	_, inkBold := render(t, "桥", fyne.TextStyle{Bold: true})
	if inkBold <= inkQiao {
		t.Errorf("bold 桥 has %d ink pixels, regular %d; want more", inkBold, inkQiao)
	}
}
