package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"

	"qiao/i18n"
)

// Headline is one number of the dashboard's "this term at a glance".
type Headline struct {
	Key       string  // what the tap callback gets
	Label     string  // 学科达标率
	Value     float64 // 256.79
	Unit      string  // %, 节, 门; may be empty
	Target    float64 // 100
	HasTarget bool    // false: no target, no colour
	Decimals  int     // decimals shown (trailing zeros dropped)
	Missing   bool    // an input is missing (no teachers entered …): shows "–", no colour
}

// Met reports whether the value reaches its target.
func (h Headline) Met() bool { return h.HasTarget && !h.Missing && h.Value >= h.Target }

// shown is the value as the tile shows it.
func (h Headline) shown() string {
	if h.Missing {
		return "–"
	}
	return formatValue(h.Value, h.Decimals)
}

// HeadlineTile shows a Headline: its label, the value large with its unit,
// and the target with 达标/未达标. A met target tints the tile with the
// theme's success colour and a stripe, a missed one with its error colour;
// the text stays in the foreground colour so it reads in every theme.
type HeadlineTile struct {
	chartBase
	h     Headline
	onTap func(Headline)
}

// NewHeadlineTile shows h; onTap (may be nil) gets it when tapped.
func NewHeadlineTile(h Headline, onTap func(Headline)) *HeadlineTile {
	t := &HeadlineTile{h: h, onTap: onTap}
	t.hover = -1
	t.tap = func(int) {
		if t.onTap != nil {
			t.onTap(t.h)
		}
	}
	t.ExtendBaseWidget(t)
	return t
}

// SetHeadline replaces the number.
func (t *HeadlineTile) SetHeadline(h Headline) {
	t.h = h
	t.Refresh()
}

func (t *HeadlineTile) CreateRenderer() fyne.WidgetRenderer {
	return &chartRenderer{build: t.build, min: t.minSize}
}

// bigSize is the value's text size.
func (s chartStyle) bigSize() float32 { return s.text * 2.2 }

// targetLine is the line under the value: 目标 3 门 · 达标.
func (h Headline) targetLine() string {
	switch {
	case h.Missing:
		return i18n.T("dashboard.tile.missing")
	case !h.HasTarget:
		return i18n.T("dashboard.tile.no_target")
	}
	status := i18n.T("dashboard.tile.missed")
	if h.Met() {
		status = i18n.T("dashboard.tile.met")
	}
	return i18n.T("dashboard.tile.target", formatValue(h.Target, h.Decimals)+h.Unit, status)
}

func (t *HeadlineTile) minSize() fyne.Size {
	s := styleOf(t)
	stripe := s.pad
	w := max(textSize(t.h.Label, s.text, false).Width,
		textSize(t.h.targetLine(), s.caption, false).Width,
		textSize(t.h.shown(), s.bigSize(), true).Width+textSize(t.h.Unit, s.text, false).Width+s.pad/2)
	// A long label may shorten; keep the tile at least as wide as its value.
	w = min(w, max(textSize(t.h.shown(), s.bigSize(), true).Width*2, 8*s.text))
	h := textSize("0", s.text, false).Height + textSize("0", s.bigSize(), true).Height + textSize("0", s.caption, false).Height + 3*s.pad
	return fyne.NewSize(w+stripe+3*s.pad, h)
}

// tint is c at a fifth of its strength, over the background.
func tint(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0x38}
}

func (t *HeadlineTile) build(size fyne.Size) []fyne.CanvasObject {
	s := styleOf(t)
	t.hits = append(t.hits[:0], chartHit{size: size})
	status := s.color(theme.ColorNameSeparator)
	bg := s.color(theme.ColorNameInputBackground)
	if t.h.HasTarget && !t.h.Missing {
		status = s.color(theme.ColorNameError)
		if t.h.Met() {
			status = s.color(theme.ColorNameSuccess)
		}
		bg = tint(status)
	}
	if t.hover == 0 {
		bg = s.color(theme.ColorNameHover)
	}
	back := canvas.NewRectangle(bg)
	back.CornerRadius = s.pad
	back.Resize(size)
	stripe := canvas.NewRectangle(status)
	stripe.Resize(fyne.NewSize(s.pad, size.Height))
	objs := []fyne.CanvasObject{back, stripe}

	x := 2*s.pad + s.pad
	w := max(size.Width-x-s.pad, 0)
	y := s.pad
	lab := fitText(t.h.Label, s.text, false, w)
	objs = append(objs, s.label(lab, s.text, false, x, y))
	y += textSize("0", s.text, false).Height

	// The value shrinks rather than overflow a narrow tile.
	val := t.h.shown()
	big := s.bigSize()
	unitW := textSize(t.h.Unit, s.text, false).Width
	for big > s.text && textSize(val, big, true).Width+unitW+s.pad/2 > w {
		big -= 1
	}
	val = fitText(val, big, true, w)
	vm := textSize(val, big, true)
	objs = append(objs, s.label(val, big, true, x, y))
	if t.h.Unit != "" && !t.h.Missing && vm.Width+s.pad/2 < w {
		um := textSize(t.h.Unit, s.text, false)
		unit := fitText(t.h.Unit, s.text, false, max(w-vm.Width-s.pad/2, 0))
		objs = append(objs, s.label(unit, s.text, false, x+vm.Width+s.pad/2, y+vm.Height-um.Height-s.pad/2))
	}
	y += textSize("0", s.bigSize(), true).Height + s.pad
	objs = append(objs, s.label(fitText(t.h.targetLine(), s.caption, false, w), s.caption, false, x, y))
	return objs
}
