package ui

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/i18n"
	"qiao/prefs"
)

// chartApp is a test app in Qiao's theme.
func chartApp(t *testing.T, name string, scale float64) fyne.App {
	t.Helper()
	a := test.NewTempApp(t)
	a.Settings().SetTheme(newTheme(name, scale))
	i18n.Use(i18n.Chinese)
	return a
}

// Realistic numbers for one school's term.
var (
	subjects = []ChartItem{
		{Key: "chinese", Label: "语文", Value: 42}, {Key: "maths", Label: "数学", Value: 38},
		{Key: "english", Label: "英语", Value: 27}, {Key: "science", Label: "科学", Value: 12},
		{Key: "music", Label: "音乐", Value: 18}, {Key: "art", Label: "美术", Value: 15},
		{Key: "pe", Label: "体育", Value: 6}, {Key: "morality", Label: "道德与法治", Value: 9},
		{Key: "it", Label: "信息科技", Value: 5.5},
	}
	headlines = []Headline{
		{Key: "subjects", Label: "学科达标率", Value: 256.79, Unit: "%", Target: 100, HasTarget: true, Decimals: 2},
		{Key: "hours", Label: "课时达标率", Value: 179.9, Unit: "%", Target: 100, HasTarget: true, Decimals: 2},
		{Key: "subjects_per_room", Label: "每间智慧教室开设科目", Value: 2.4, Unit: "门", Target: 3, HasTarget: true, Decimals: 1},
		{Key: "terminals", Label: "每百名教师终端数", Value: 86, Unit: "台", Decimals: 0},
	}
)

func weeks(n int) []ChartItem {
	out := make([]ChartItem, n)
	for i := range out {
		out[i] = ChartItem{Key: fmt.Sprint(i + 1), Label: WeekLabel(i + 1), Value: float64(3 + (i*7)%11)}
	}
	return out
}

// texts is every text a widget draws.
func texts(o fyne.CanvasObject) []*canvas.Text {
	var out []*canvas.Text
	for _, x := range test.LaidOutObjects(o) {
		if t, ok := x.(*canvas.Text); ok && t.Visible() && t.Text != "" {
			out = append(out, t)
		}
	}
	return out
}

func hasText(o fyne.CanvasObject, s string) bool {
	for _, t := range texts(o) {
		if t.Text == s {
			return true
		}
	}
	return false
}

// outside says which of a widget's objects reach outside its size, if any.
func outside(w fyne.Widget) error {
	size := w.Size()
	const eps = 0.5
	in := func(p fyne.Position) bool {
		return p.X >= -eps && p.Y >= -eps && p.X <= size.Width+eps && p.Y <= size.Height+eps
	}
	for _, o := range test.WidgetRenderer(w).Objects() {
		if l, ok := o.(*canvas.Line); ok {
			if !in(l.Position1) || !in(l.Position2) {
				return fmt.Errorf("line %v–%v outside %v", l.Position1, l.Position2, size)
			}
			continue
		}
		if !in(o.Position()) || !in(o.Position().Add(o.Size())) {
			desc := fmt.Sprintf("%T", o)
			if t, ok := o.(*canvas.Text); ok {
				desc = fmt.Sprintf("text %q", t.Text)
			}
			return fmt.Errorf("%s at %v size %v outside %v", desc, o.Position(), o.Size(), size)
		}
	}
	return nil
}

// overlapping says which two texts on the same line overlap, if any.
func overlapping(ts []*canvas.Text) error {
	rows := map[float32][]*canvas.Text{}
	for _, t := range ts {
		rows[t.Position().Y] = append(rows[t.Position().Y], t)
	}
	for _, row := range rows {
		sort.Slice(row, func(i, j int) bool { return row[i].Position().X < row[j].Position().X })
		for i := 1; i < len(row); i++ {
			if row[i-1].Position().X+row[i-1].Size().Width > row[i].Position().X {
				return fmt.Errorf("%q overlaps %q", row[i-1].Text, row[i].Text)
			}
		}
	}
	return nil
}

func TestBarChartShowsLabelsValuesAndTapsTheRightCategory(t *testing.T) {
	chartApp(t, prefs.Light, 1)
	var got []ChartItem
	c := NewBarChart(subjects, func(it ChartItem) { got = append(got, it) })
	c.SetTarget(10)
	w := test.NewWindow(c)
	defer w.Close()
	w.Resize(fyne.NewSize(500, 400))
	for _, s := range []string{"语文", "数学", "道德与法治", "信息科技", "42", "5.5", i18n.T("dashboard.chart.target", "10")} {
		if !hasText(c, s) {
			t.Errorf("%q not drawn", s)
		}
	}
	// Tap the value of 数学: the text's own place.
	for _, x := range texts(c) {
		if x.Text == "38" {
			test.TapAt(c, x.Position().Add(fyne.NewPos(2, 2)))
		}
	}
	if len(got) != 1 || got[0].Key != "maths" || got[0].Label != "数学" {
		t.Fatalf("tapping 38 called back with %+v", got)
	}
	// And the bar of the last category.
	test.TapAt(c, fyne.NewPos(c.Size().Width/2, c.Size().Height-c.rowHeight(styleOf(c))))
	if len(got) != 2 || got[1].Key != "it" {
		t.Fatalf("tapping the last bar called back with %+v", got[1:])
	}
}

func TestBarChartShortensALongLabel(t *testing.T) {
	chartApp(t, prefs.Light, 1.5)
	long := "综合实践活动（劳动教育与研学旅行）"
	c := NewBarChart([]ChartItem{{Label: long, Value: 12}, {Label: "语文", Value: 40}}, nil)
	w := test.NewWindow(c)
	defer w.Close()
	w.Resize(c.MinSize())
	if err := outside(c); err != nil {
		t.Fatal(err)
	}
	if hasText(c, long) || !hasText(c, "40") {
		t.Fatal("the long label was not shortened, or a value is missing")
	}
}

func TestTrendChartThinsLabelsAndTaps(t *testing.T) {
	chartApp(t, prefs.Light, 1.5)
	var got []ChartItem
	for _, style := range []TrendStyle{TrendColumns, TrendLine} {
		got = nil
		c := NewTrendChart(weeks(20), style, func(it ChartItem) { got = append(got, it) })
		c.SetTarget(8)
		w := test.NewWindow(c)
		w.Resize(fyne.NewSize(480, 300))
		ts := texts(c)
		if err := overlapping(ts); err != nil {
			t.Fatalf("style %d: %v", style, err)
		}
		if !hasText(c, "第1周") {
			t.Fatalf("style %d: the first week is not labelled", style)
		}
		if hasText(c, "第2周") {
			t.Fatalf("style %d: 20 weeks in 480 units at font scale 1.5 cannot all be labelled, yet 第2周 is", style)
		}
		// The fifth week's slot, wherever its label is.
		slot := c.Size().Width / 20
		test.TapAt(c, fyne.NewPos(4.5*slot, c.Size().Height/2))
		if len(got) != 1 || got[0].Key != "5" || got[0].Label != "第5周" {
			t.Fatalf("style %d: tapping week 5 called back with %+v", style, got)
		}
		// Wide enough, every week has its label.
		w.Resize(fyne.NewSize(2000, 300))
		if !hasText(c, "第2周") || !hasText(c, "第20周") {
			t.Fatalf("style %d: 2000 units wide and still thinned", style)
		}
		w.Close()
	}
}

func TestChartsSayWhenThereAreNoRecords(t *testing.T) {
	chartApp(t, prefs.Light, 1)
	empty := i18n.T("dashboard.chart.empty")
	for _, c := range []fyne.Widget{NewBarChart(nil, nil), NewTrendChart(nil, TrendLine, nil)} {
		w := test.NewWindow(c)
		w.Resize(fyne.NewSize(400, 300))
		if !hasText(c, empty) {
			t.Errorf("%T with no data does not say %q", c, empty)
		}
		for _, o := range test.LaidOutObjects(c) {
			if _, ok := o.(*canvas.Rectangle); ok {
				t.Errorf("%T with no data draws a box", c)
			}
		}
		w.Close()
	}
	// Data arriving replaces the message.
	c := NewBarChart(nil, nil)
	w := test.NewWindow(c)
	defer w.Close()
	w.Resize(fyne.NewSize(400, 300))
	c.SetItems(subjects[:2])
	if hasText(c, empty) || !hasText(c, "语文") {
		t.Fatal("the chart kept its empty message after SetItems")
	}
}

func TestHeadlineTileColoursAndTap(t *testing.T) {
	for _, th := range prefs.Themes {
		chartApp(t, th, 1)
		tt := newTheme(th, 1)
		variant := fyne.CurrentApp().Settings().ThemeVariant()
		for _, h := range []Headline{headlines[0], headlines[2], headlines[3]} {
			var got []Headline
			tile := NewHeadlineTile(h, func(h Headline) { got = append(got, h) })
			w := test.NewWindow(tile)
			w.Resize(fyne.NewSize(260, 140))
			stripe := test.WidgetRenderer(tile).Objects()[1].(*canvas.Rectangle).FillColor
			want := tt.Color(theme.ColorNameSeparator, variant)
			switch {
			case h.HasTarget && h.Value >= h.Target:
				want = tt.Color(theme.ColorNameSuccess, variant)
			case h.HasTarget:
				want = tt.Color(theme.ColorNameError, variant)
			}
			if stripe != want {
				t.Errorf("%s, %s: stripe %v, want %v", th, h.Label, stripe, want)
			}
			fg := tt.Color(theme.ColorNameForeground, variant)
			for _, x := range texts(tile) {
				if x.Color != fg {
					t.Errorf("%s, %s: %q is not in the foreground colour", th, h.Label, x.Text)
				}
			}
			if !hasText(tile, h.Label) || !hasText(tile, formatValue(h.Value, h.Decimals)) {
				t.Errorf("%s: label or value missing", h.Label)
			}
			test.Tap(tile)
			if len(got) != 1 || got[0].Key != h.Key {
				t.Errorf("%s: tap called back with %+v", h.Label, got)
			}
			w.Close()
		}
	}
	if !headlines[0].Met() || headlines[2].Met() || headlines[3].Met() {
		t.Fatal("Met is wrong")
	}
}

// dashboardParts lays out tiles and the two charts as the dashboard will.
func dashboardParts(onTap func(string)) (fyne.CanvasObject, []fyne.Widget) {
	var ws []fyne.Widget
	tiles := container.NewGridWithColumns(len(headlines))
	for _, h := range headlines {
		tile := NewHeadlineTile(h, func(h Headline) { onTap(h.Key) })
		ws = append(ws, tile)
		tiles.Add(tile)
	}
	bar := NewBarChart(subjects, func(it ChartItem) { onTap(it.Key) })
	bar.SetDecimals(1)
	trend := NewTrendChart(weeks(18), TrendColumns, func(it ChartItem) { onTap(it.Key) })
	trend.SetTarget(6)
	ws = append(ws, bar, trend)
	title := func(k string) fyne.CanvasObject {
		return widget.NewLabelWithStyle(k, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	charts := container.NewGridWithColumns(2,
		container.NewBorder(title("各学科同步课堂课时（节）"), nil, nil, nil, bar),
		container.NewBorder(title("每周同步课堂课时（节）"), nil, nil, nil, trend))
	return container.NewVScroll(container.NewBorder(tiles, nil, nil, nil, charts)), ws
}

func TestChartsFitAt1024x640InEveryThemeAndFontScale(t *testing.T) {
	for _, th := range prefs.Themes {
		for _, scale := range []float64{1, 1.5} {
			chartApp(t, th, scale)
			parts, ws := dashboardParts(func(string) {})
			w := test.NewWindow(parts)
			w.Resize(fyne.NewSize(1024, 640))
			for _, x := range ws {
				if err := outside(x); err != nil {
					t.Errorf("%s ×%v: %T: %v", th, scale, x, err)
				}
				if x.Size().Width > 1024 {
					t.Errorf("%s ×%v: %T is %v wide", th, scale, x, x.Size().Width)
				}
				if err := overlapping(texts(x)); err != nil {
					t.Errorf("%s ×%v: %T: %v", th, scale, x, err)
				}
			}
			// Any size at least the minimum, narrow or wide.
			for _, x := range ws {
				for _, size := range []fyne.Size{{Width: 200, Height: 120}, {Width: 330, Height: 500}, {Width: 1024, Height: 640}} {
					x.Resize(size.Max(x.MinSize()))
					if err := outside(x); err != nil {
						t.Errorf("%s ×%v at %v: %T: %v", th, scale, x.Size(), x, err)
					}
				}
			}
			w.Close()
		}
	}
}

func TestReportIsAnA4PageAtA150DPI(t *testing.T) {
	chartApp(t, prefs.Dark, 1.5) // the report is light and its own size whatever the app's
	r := sampleReport()
	img := RenderReport(r)
	if b := img.Bounds(); b.Dx() != ReportWidth || b.Dy() != ReportHeight {
		t.Fatalf("report is %v", b)
	}
	// White page, dark ink in the title's place and in the footer's.
	bg := newTheme(prefs.Light, 1).Color(theme.ColorNameBackground, theme.VariantLight)
	if !sameColour(img.At(5, 5), bg) {
		t.Fatalf("page background %v, want %v", img.At(5, 5), bg)
	}
	for _, band := range []image.Rectangle{image.Rect(60, 60, 900, 110), image.Rect(60, ReportHeight-120, 900, ReportHeight-60)} {
		if ink(img, band) == 0 {
			t.Errorf("nothing drawn in %v", band)
		}
	}

	dir := t.TempDir()
	for _, name := range []string{"report.png", "report.pdf"} {
		p := filepath.Join(dir, name)
		if err := SaveReport(p, r); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		switch name {
		case "report.png":
			cfg, err := png.DecodeConfig(bytes.NewReader(data))
			if err != nil || cfg.Width != ReportWidth || cfg.Height != ReportHeight {
				t.Fatalf("saved PNG: %v %+v", err, cfg)
			}
		case "report.pdf":
			if !bytes.HasPrefix(data, []byte("%PDF-")) {
				t.Fatalf("saved PDF starts %q", data[:8])
			}
		}
	}
	p := filepath.Join(dir, "report.docx")
	err := SaveReport(p, r)
	if err == nil || !strings.Contains(err.Error(), ".png") {
		t.Fatalf("a .docx name gave %v", err)
	}
	if _, serr := os.Stat(p); !errors.Is(serr, os.ErrNotExist) {
		t.Fatal("a refused report left a file")
	}
	if os.Getenv("QIAO_SHOTS") != "" {
		savePNG(t, filepath.Join(os.Getenv("QIAO_SHOTS"), "dashboard-report-zh.png"), img)
	}
}

func sampleReport() Report {
	return Report{
		School: "城关第一小学", Term: "2026年秋季学期",
		Printed:  time.Date(2026, 11, 27, 0, 0, 0, 0, time.Local),
		DataAsOf: time.Date(2026, 11, 27, 16, 5, 0, 0, time.Local), Pending: 12,
		Tiles: append(headlines, Headline{Key: "research", Label: "人均教研活动", Value: 4.2, Unit: "次", Target: 4, HasTarget: true, Decimals: 1},
			Headline{Key: "downloads", Label: "资源下载", Value: 1284, Unit: "次"}),
		Charts: []ReportChart{
			{Title: "各学科同步课堂课时（节）", Items: subjects, Decimals: 1},
			{Title: "每周同步课堂课时（节）", Items: weeks(18), Trend: true, Target: 6, HasTarget: true},
		},
	}
}

func sameColour(a, b color.Color) bool {
	r1, g1, b1, a1 := a.RGBA()
	r2, g2, b2, a2 := b.RGBA()
	return r1>>8 == r2>>8 && g1>>8 == g2>>8 && b1>>8 == b2>>8 && a1>>8 == a2>>8
}

// ink counts the dark pixels in r.
func ink(img image.Image, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if cr+cg+cb < 3*0x6000 {
				n++
			}
		}
	}
	return n
}

func savePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// TestDashboardPartsScreenshot writes the tiles and charts in Chinese at
// 1024×640 into $QIAO_SHOTS (and the one-page report, from the test above):
//
//	QIAO_SHOTS=$PWD/docs/screenshots go test -run 'TestDashboardPartsScreenshot|TestReportIsAnA4' ./ui/
func TestDashboardPartsScreenshot(t *testing.T) {
	dir := os.Getenv("QIAO_SHOTS")
	if dir == "" {
		t.Skip("QIAO_SHOTS not set")
	}
	chartApp(t, prefs.Light, 1)
	parts, _ := dashboardParts(func(string) {})
	w := test.NewWindow(parts)
	defer w.Close()
	w.Resize(fyne.NewSize(1024, 640))
	savePNG(t, filepath.Join(dir, "dashboard-parts-zh.png"), w.Canvas().Capture())
}

// BenchmarkRenderReport draws the sample one-page report:
//
//	go test -run '^$' -bench RenderReport -benchtime 20x ./ui/
func BenchmarkRenderReport(b *testing.B) {
	a := test.NewTempApp(b)
	a.Settings().SetTheme(newTheme(prefs.Light, 1))
	r := sampleReport()
	for b.Loop() {
		RenderReport(r)
	}
}
