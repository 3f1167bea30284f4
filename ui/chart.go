package ui

import (
	"image/color"
	"math"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/i18n"
)

// The dashboard's charts (学校数据): a bar chart by category (BarChart), a
// weekly trend (TrendChart, chart_trend.go) and headline tiles
// (HeadlineTile, chart_tile.go). They draw with canvas objects in the
// theme's colours and sizes, rebuild on every layout so they fit any size,
// say so when there is no data, and call back when a number is tapped (the
// dashboard opens the records behind it).

// ChartItem is one category of a bar chart or one point of a trend.
type ChartItem struct {
	Key   string  // what the tap callback gets; the label when empty
	Label string  // shown under or beside the mark: 语文, 第3周
	Value float64 // negative and NaN values draw as 0
}

// formatValue shows v with the given number of decimals, without trailing
// zeros after the point (7.70 → 7.7, 96.0 → 96).
func formatValue(v float64, decimals int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if decimals > 0 {
		for s[len(s)-1] == '0' {
			s = s[:len(s)-1]
		}
		if s[len(s)-1] == '.' {
			s = s[:len(s)-1]
		}
	}
	return s
}

// barValue is the length a value draws with: at least 0.
func barValue(v float64) float64 {
	if math.IsNaN(v) || v < 0 {
		return 0
	}
	return v
}

// chartBase is what the charts share: the tap callback, the areas a tap
// hits (set by each layout), the hovered area and the pointer cursor.
type chartBase struct {
	widget.BaseWidget
	hits  []chartHit
	hover int // index into hits, -1 for none
	tap   func(index int)

	items     []ChartItem
	target    float64
	hasTarget bool
	decimals  int
	onTap     func(ChartItem)
}

// start sets a new chart's items and tap callback (onTap may be nil).
func (c *chartBase) start(items []ChartItem, onTap func(ChartItem)) {
	c.items, c.onTap, c.decimals, c.hover = items, onTap, 1, -1
	c.tap = func(i int) {
		if c.onTap != nil && i < len(c.items) {
			c.onTap(c.items[i])
		}
	}
}

// SetItems replaces the data.
func (c *chartBase) SetItems(items []ChartItem) {
	c.items = items
	c.hover = -1
	c.Refresh()
}

// SetTarget draws a target line at v.
func (c *chartBase) SetTarget(v float64) {
	c.target, c.hasTarget = v, true
	c.Refresh()
}

// ClearTarget removes the target line.
func (c *chartBase) ClearTarget() {
	c.hasTarget = false
	c.Refresh()
}

// SetDecimals sets how many decimals values show with (default 1).
func (c *chartBase) SetDecimals(n int) {
	c.decimals = n
	c.Refresh()
}

// chartHit is the area of one item: tapping anywhere in it taps the item.
type chartHit struct {
	pos   fyne.Position
	size  fyne.Size
	index int
}

func (c *chartBase) hitAt(p fyne.Position) int {
	for i, h := range c.hits {
		if p.X >= h.pos.X && p.X < h.pos.X+h.size.Width && p.Y >= h.pos.Y && p.Y < h.pos.Y+h.size.Height {
			return i
		}
	}
	return -1
}

// Tapped calls back with the item under the pointer.
func (c *chartBase) Tapped(ev *fyne.PointEvent) {
	if i := c.hitAt(ev.Position); i >= 0 && c.tap != nil {
		c.tap(c.hits[i].index)
	}
}

// Cursor is a pointing hand: the numbers open their records.
func (c *chartBase) Cursor() desktop.Cursor {
	if c.tap == nil {
		return desktop.DefaultCursor
	}
	return desktop.PointerCursor
}

func (c *chartBase) MouseIn(ev *desktop.MouseEvent) { c.MouseMoved(ev) }

func (c *chartBase) MouseMoved(ev *desktop.MouseEvent) {
	if i := c.hitAt(ev.Position); i != c.hover {
		c.hover = i
		c.Refresh()
	}
}

func (c *chartBase) MouseOut() {
	if c.hover != -1 {
		c.hover = -1
		c.Refresh()
	}
}

// hoverRect is the highlight under the hovered item, or nil.
func (c *chartBase) hoverRect(th fyne.Theme, v fyne.ThemeVariant) fyne.CanvasObject {
	if c.hover < 0 || c.hover >= len(c.hits) {
		return nil
	}
	h := c.hits[c.hover]
	r := canvas.NewRectangle(th.Color(theme.ColorNameHover, v))
	r.Move(h.pos)
	r.Resize(h.size)
	return r
}

// chartRenderer rebuilds a chart's objects for every size and refresh.
type chartRenderer struct {
	build func(fyne.Size) []fyne.CanvasObject
	min   func() fyne.Size
	size  fyne.Size
	objs  []fyne.CanvasObject
}

func (r *chartRenderer) Layout(s fyne.Size) {
	r.size = s
	r.objs = r.build(s)
}
func (r *chartRenderer) MinSize() fyne.Size           { return r.min() }
func (r *chartRenderer) Refresh()                     { r.objs = r.build(r.size) }
func (r *chartRenderer) Objects() []fyne.CanvasObject { return r.objs }
func (r *chartRenderer) Destroy()                     {}

// chartStyle is a chart's theme lookups for one build.
type chartStyle struct {
	th      fyne.Theme
	v       fyne.ThemeVariant
	text    float32 // body text size
	caption float32
	pad     float32
}

func styleOf(w fyne.Widget) chartStyle {
	return styleFor(theme.CurrentForWidget(w), fyne.CurrentApp().Settings().ThemeVariant())
}

func styleFor(th fyne.Theme, v fyne.ThemeVariant) chartStyle {
	return chartStyle{
		th: th, v: v,
		text:    th.Size(theme.SizeNameText),
		caption: th.Size(theme.SizeNameCaptionText),
		pad:     th.Size(theme.SizeNamePadding),
	}
}

func (s chartStyle) color(n fyne.ThemeColorName) color.Color { return s.th.Color(n, s.v) }

// label is a text in the theme's foreground colour at (x, y), its top left.
func (s chartStyle) label(text string, size float32, bold bool, x, y float32) *canvas.Text {
	t := canvas.NewText(text, s.color(theme.ColorNameForeground))
	t.TextSize = size
	t.TextStyle.Bold = bold
	t.Move(fyne.NewPos(x, y))
	t.Resize(textSize(text, size, bold))
	return t
}

func textSize(text string, size float32, bold bool) fyne.Size {
	return fyne.MeasureText(text, size, fyne.TextStyle{Bold: bold})
}

// fitText shortens text with an ellipsis until it is at most w wide.
func fitText(text string, size float32, bold bool, w float32) string {
	if textSize(text, size, bold).Width <= w {
		return text
	}
	r := []rune(text)
	for len(r) > 0 {
		r = r[:len(r)-1]
		if s := string(r) + "…"; textSize(s, size, bold).Width <= w {
			return s
		}
	}
	return ""
}

// emptyText is the "no records yet" message centred in size.
func (s chartStyle) emptyText(size fyne.Size) []fyne.CanvasObject {
	msg := fitText(i18n.T("dashboard.chart.empty"), s.text, false, size.Width)
	m := textSize(msg, s.text, false)
	t := s.label(msg, s.text, false, (size.Width-m.Width)/2, (size.Height-m.Height)/2)
	t.Color = s.color(theme.ColorNamePlaceHolder)
	return []fyne.CanvasObject{t}
}

// emptyMin is the least size that shows the "no records yet" message.
func emptyMin(w fyne.Widget) fyne.Size {
	s := styleOf(w)
	m := textSize(i18n.T("dashboard.chart.empty"), s.text, false)
	return fyne.NewSize(m.Width+2*s.pad, m.Height+2*s.pad)
}

// targetCaption is the label of a target line: 目标 96.
func targetCaption(target float64, decimals int) string {
	return i18n.T("dashboard.chart.target", formatValue(target, decimals))
}

// BarChart is a horizontal bar per category (subjects, grades), its value at
// the end of the bar and an optional target line across all bars.
// Horizontal bars keep long labels (道德与法治) whole.
type BarChart struct {
	chartBase
}

// NewBarChart shows items; onTap (may be nil) gets the tapped item.
func NewBarChart(items []ChartItem, onTap func(ChartItem)) *BarChart {
	c := &BarChart{}
	c.start(items, onTap)
	c.ExtendBaseWidget(c)
	return c
}

func (c *BarChart) CreateRenderer() fyne.WidgetRenderer {
	return &chartRenderer{build: c.build, min: c.minSize}
}

// rowHeight is the height of one bar's row.
func (c *BarChart) rowHeight(s chartStyle) float32 {
	return textSize("0", s.text, false).Height + 2*s.pad
}

func (c *BarChart) minSize() fyne.Size {
	if len(c.items) == 0 {
		return emptyMin(c)
	}
	s := styleOf(c)
	h := float32(len(c.items)) * c.rowHeight(s)
	if c.hasTarget {
		h += textSize("0", s.caption, false).Height + s.pad
	}
	// Room for a label of up to five characters, a short bar and a value.
	w := 5*s.text + textSize("000.0", s.text, false).Width + 60 + 4*s.pad
	return fyne.NewSize(w, h)
}

func (c *BarChart) build(size fyne.Size) []fyne.CanvasObject {
	s := styleOf(c)
	c.hits = c.hits[:0]
	if len(c.items) == 0 {
		return s.emptyText(size)
	}
	bottom := float32(0)
	if c.hasTarget {
		bottom = textSize("0", s.caption, false).Height + s.pad
	}
	rowH := (size.Height - bottom) / float32(len(c.items))
	if rowH < 1 {
		rowH = 1
	}
	// Label and value columns: as wide as the widest, at most a third each.
	labelW, valueW := float32(0), float32(0)
	maxV := barValue(c.target)
	if !c.hasTarget {
		maxV = 0
	}
	for _, it := range c.items {
		labelW = max(labelW, textSize(it.Label, s.text, false).Width)
		valueW = max(valueW, textSize(formatValue(it.Value, c.decimals), s.text, false).Width)
		maxV = max(maxV, barValue(it.Value))
	}
	labelW = min(labelW, size.Width/3)
	valueW = min(valueW, size.Width/3)
	if maxV == 0 {
		maxV = 1
	}
	x0 := labelW + 2*s.pad
	barW := size.Width - x0 - valueW - 2*s.pad
	if barW < 0 {
		barW = 0
	}
	var objs []fyne.CanvasObject
	for i := range c.items {
		y := float32(i) * rowH
		c.hits = append(c.hits, chartHit{pos: fyne.NewPos(0, y), size: fyne.NewSize(size.Width, rowH), index: i})
	}
	if h := c.hoverRect(s.th, s.v); h != nil {
		objs = append(objs, h)
	}
	for i, it := range c.items {
		y := float32(i) * rowH
		lab := fitText(it.Label, s.text, false, labelW)
		lm := textSize(lab, s.text, false)
		objs = append(objs, s.label(lab, s.text, false, labelW-lm.Width+s.pad, y+(rowH-lm.Height)/2))
		w := float32(barValue(it.Value) / maxV * float64(barW))
		bar := canvas.NewRectangle(s.color(theme.ColorNamePrimary))
		bh := rowH * 0.6
		bar.Move(fyne.NewPos(x0, y+(rowH-bh)/2))
		bar.Resize(fyne.NewSize(w, bh))
		objs = append(objs, bar)
		val := fitText(formatValue(it.Value, c.decimals), s.text, false, valueW)
		vm := textSize(val, s.text, false)
		objs = append(objs, s.label(val, s.text, false, x0+w+s.pad, y+(rowH-vm.Height)/2))
	}
	if c.hasTarget {
		x := x0 + float32(barValue(c.target)/maxV*float64(barW))
		line := canvas.NewLine(s.color(theme.ColorNameForeground))
		line.StrokeWidth = 2
		line.Position1 = fyne.NewPos(x, 0)
		line.Position2 = fyne.NewPos(x, size.Height-bottom)
		objs = append(objs, line)
		capt := fitText(targetCaption(c.target, c.decimals), s.caption, false, size.Width)
		cm := textSize(capt, s.caption, false)
		cx := min(max(x-cm.Width/2, 0), size.Width-cm.Width)
		objs = append(objs, s.label(capt, s.caption, false, cx, size.Height-cm.Height))
	}
	return objs
}
