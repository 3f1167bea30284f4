package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"

	"qiao/i18n"
)

// TrendStyle is how a TrendChart draws its points.
type TrendStyle int

const (
	TrendColumns TrendStyle = iota // a column per point
	TrendLine                      // points joined by a line
)

// TrendChart is a value per period (第1周 … 第20周) left to right, as
// columns or a line, with an optional target line. When the labels or
// values do not all fit it shows every second, third … one, so that none
// overlap; tapping anywhere in a period's slot taps its point.
type TrendChart struct {
	chartBase
	style TrendStyle
}

// NewTrendChart shows items in order; onTap (may be nil) gets the tapped item.
func NewTrendChart(items []ChartItem, style TrendStyle, onTap func(ChartItem)) *TrendChart {
	c := &TrendChart{style: style}
	c.start(items, onTap)
	c.ExtendBaseWidget(c)
	return c
}

// WeekLabel is the label of the n-th week of a term: 第3周.
func WeekLabel(n int) string { return i18n.T("dashboard.chart.week", n) }

func (c *TrendChart) CreateRenderer() fyne.WidgetRenderer {
	return &chartRenderer{build: c.build, min: c.minSize}
}

func (c *TrendChart) minSize() fyne.Size {
	if len(c.items) == 0 {
		return emptyMin(c)
	}
	s := styleOf(c)
	w := float32(0)
	for _, it := range c.items {
		w = max(w, textSize(it.Label, s.caption, false).Width, textSize(formatValue(it.Value, c.decimals), s.caption, false).Width)
	}
	h := 2*textSize("0", s.caption, false).Height + 3*s.text + 2*s.pad
	if c.hasTarget {
		h += textSize("0", s.caption, false).Height + s.pad
	}
	return fyne.NewSize(2*w+2*s.pad, h)
}

// thinStep is the least step such that the texts at every step-th slot
// (0, step, 2·step …), centred on their slot and kept inside the width,
// leave at least gap between each other.
func thinStep(widths []float32, slot, width, gap float32) int {
	n := len(widths)
	for step := 1; step < n; step++ {
		ok, right := true, float32(-1e9)
		for i := 0; i < n; i += step {
			x := slotText(i, widths[i], slot, width)
			if x < right+gap {
				ok = false
				break
			}
			right = x + widths[i]
		}
		if ok {
			return step
		}
	}
	return max(n, 1)
}

// slotText is the left edge of a text of width w centred on slot i, moved
// inside [0, width].
func slotText(i int, w, slot, width float32) float32 {
	x := (float32(i)+0.5)*slot - w/2
	return max(min(x, width-w), 0)
}

func (c *TrendChart) build(size fyne.Size) []fyne.CanvasObject {
	s := styleOf(c)
	c.hits = c.hits[:0]
	n := len(c.items)
	if n == 0 {
		return s.emptyText(size)
	}
	capH := textSize("0", s.caption, false).Height
	top := float32(0)
	if c.hasTarget {
		top = capH + s.pad
	}
	plotTop := top + capH + s.pad/2 // room for the highest value
	plotBottom := size.Height - capH - s.pad
	plotH := max(plotBottom-plotTop, 0)
	slot := size.Width / float32(n)

	maxV := float64(0)
	if c.hasTarget {
		maxV = barValue(c.target)
	}
	labels := make([]string, n)
	values := make([]string, n)
	lw := make([]float32, n)
	vw := make([]float32, n)
	for i, it := range c.items {
		maxV = max(maxV, barValue(it.Value))
		labels[i] = fitText(it.Label, s.caption, false, size.Width)
		values[i] = fitText(formatValue(it.Value, c.decimals), s.caption, false, size.Width)
		lw[i] = textSize(labels[i], s.caption, false).Width
		vw[i] = textSize(values[i], s.caption, false).Width
		c.hits = append(c.hits, chartHit{pos: fyne.NewPos(float32(i)*slot, 0), size: fyne.NewSize(slot, size.Height), index: i})
	}
	if maxV == 0 {
		maxV = 1
	}
	yOf := func(v float64) float32 { return plotBottom - float32(barValue(v)/maxV*float64(plotH)) }
	cx := func(i int) float32 { return (float32(i) + 0.5) * slot }

	var objs []fyne.CanvasObject
	if h := c.hoverRect(s.th, s.v); h != nil {
		objs = append(objs, h)
	}
	axis := canvas.NewLine(s.color(theme.ColorNameSeparator))
	axis.StrokeWidth = 1
	axis.Position1 = fyne.NewPos(0, plotBottom)
	axis.Position2 = fyne.NewPos(size.Width, plotBottom)
	objs = append(objs, axis)

	primary := s.color(theme.ColorNamePrimary)
	switch c.style {
	case TrendLine:
		for i := 1; i < n; i++ {
			l := canvas.NewLine(primary)
			l.StrokeWidth = 2
			l.Position1 = fyne.NewPos(cx(i-1), yOf(c.items[i-1].Value))
			l.Position2 = fyne.NewPos(cx(i), yOf(c.items[i].Value))
			objs = append(objs, l)
		}
		r := min(s.pad, slot/3)
		for i, it := range c.items {
			dot := canvas.NewCircle(primary)
			dot.Move(fyne.NewPos(cx(i)-r, yOf(it.Value)-r))
			dot.Resize(fyne.NewSize(2*r, 2*r))
			objs = append(objs, dot)
		}
	default:
		bw := slot * 0.6
		for i, it := range c.items {
			y := yOf(it.Value)
			bar := canvas.NewRectangle(primary)
			bar.Move(fyne.NewPos(cx(i)-bw/2, y))
			bar.Resize(fyne.NewSize(bw, plotBottom-y))
			objs = append(objs, bar)
		}
	}

	if c.hasTarget {
		y := yOf(c.target)
		fg := s.color(theme.ColorNameForeground)
		line := canvas.NewLine(fg)
		line.StrokeWidth = 1.5
		line.Position1 = fyne.NewPos(0, y)
		line.Position2 = fyne.NewPos(size.Width, y)
		capt := fitText(targetCaption(c.target, c.decimals), s.caption, false, size.Width)
		cm := textSize(capt, s.caption, false)
		objs = append(objs, line, s.label(capt, s.caption, false, size.Width-cm.Width, 0))
	}

	gap := s.pad
	valStep := thinStep(vw, slot, size.Width, gap)
	for i := 0; i < n; i += valStep {
		x := slotText(i, vw[i], slot, size.Width)
		y := yOf(c.items[i].Value) - capH - s.pad/2
		if c.style == TrendLine {
			y -= min(s.pad, slot/3)
		}
		objs = append(objs, s.label(values[i], s.caption, false, x, max(y, top)))
	}
	labStep := thinStep(lw, slot, size.Width, gap)
	for i := 0; i < n; i += labStep {
		objs = append(objs, s.label(labels[i], s.caption, false, slotText(i, lw[i], slot, size.Width), plotBottom+s.pad/2))
	}
	return objs
}
