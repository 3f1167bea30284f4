package ui

import (
	"bytes"
	"errors"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/software"
	"fyne.io/fyne/v2/theme"
	"github.com/go-pdf/fpdf"

	"qiao/i18n"
	"qiao/prefs"
)

// The one-page report for the school meeting: the dashboard's headline
// tiles, a chart or two and a footer saying whose data it is and how fresh,
// drawn without a window by Fyne's software painter into an A4 page at
// 150 dpi, saved as PNG (or as a PDF holding that picture).

// ReportWidth and ReportHeight are an A4 portrait page at 150 dpi, in pixels.
const (
	ReportWidth  = 1240
	ReportHeight = 1754
)

// reportScale is pixels per Fyne unit on the page: 14-unit body text is
// 21 px, 10 pt at 150 dpi.
const reportScale = 1.5

// Report is what the one-page report shows.
type Report struct {
	School   string
	Term     string    // 2026年秋季学期
	Printed  time.Time // the date printed on the page
	DataAsOf time.Time // this device's last sync; zero: never synced
	Pending  int       // changes on this device not yet synced
	Tiles    []Headline
	Charts   []ReportChart // one or two fit well
}

// ReportChart is one chart on the report.
type ReportChart struct {
	Title     string
	Items     []ChartItem
	Trend     bool // a weekly trend in columns; otherwise bars by category
	Target    float64
	HasTarget bool
	Decimals  int
}

// reportTileColumns is how many headline tiles share a row.
const reportTileColumns = 3

// RenderReport draws r on a ReportWidth×ReportHeight page in the light
// theme, whatever the app's theme and font scale. Call it on the UI
// goroutine: it lays out Fyne widgets.
func RenderReport(r Report) image.Image {
	th := newTheme(prefs.Light, 1)
	c := software.NewCanvas()
	c.SetPadded(false)
	c.SetScale(reportScale)
	page := fyne.NewSize(ReportWidth/reportScale, ReportHeight/reportScale)
	c.SetContent(container.NewThemeOverride(reportPage(r, th, page), th))
	c.Resize(page)
	shot := c.Capture()
	// The canvas rounds its size; the page is exactly A4 at 150 dpi.
	out := image.NewNRGBA(image.Rect(0, 0, ReportWidth, ReportHeight))
	draw.Draw(out, out.Bounds(), image.NewUniform(th.Color(theme.ColorNameBackground, theme.VariantLight)), image.Point{}, draw.Src)
	draw.Draw(out, out.Bounds(), shot, shot.Bounds().Min, draw.Over)
	return out
}

// reportPage places the report's parts on a page of the given size.
func reportPage(r Report, th fyne.Theme, page fyne.Size) fyne.CanvasObject {
	s := styleFor(th, theme.VariantLight)
	const margin = 40
	inner := page.Width - 2*margin
	objs := []fyne.CanvasObject{}
	back := canvas.NewRectangle(s.color(theme.ColorNameBackground))
	back.Resize(page)
	objs = append(objs, back)
	add := func(o fyne.CanvasObject, x, y float32, size fyne.Size) {
		o.Move(fyne.NewPos(x, y))
		o.Resize(size)
		objs = append(objs, o)
	}

	y := float32(margin)
	head := th.Size(theme.SizeNameHeadingText)
	title := fitText(i18n.T("dashboard.report.title", r.School), head, true, inner)
	t := s.label(title, head, true, margin, y)
	objs = append(objs, t)
	y += t.Size().Height + s.pad
	sub := fitText(i18n.T("dashboard.report.subtitle", r.Term, r.Printed.Format("2006-01-02")), s.text, false, inner)
	objs = append(objs, s.label(sub, s.text, false, margin, y))
	y += textSize(sub, s.text, false).Height + 2*s.pad
	add(canvas.NewRectangle(s.color(theme.ColorNamePrimary)), margin, y, fyne.NewSize(inner, 2))
	y += 2 + 3*s.pad

	// Headline tiles, reportTileColumns to a row.
	gap := 3 * s.pad
	tileW := (inner - gap*(reportTileColumns-1)) / reportTileColumns
	for i := 0; i < len(r.Tiles); i += reportTileColumns {
		rowH := float32(0)
		tiles := []fyne.CanvasObject{}
		for j := i; j < min(i+reportTileColumns, len(r.Tiles)); j++ {
			// Each part under the page's theme before it is measured.
			tile := container.NewThemeOverride(NewHeadlineTile(r.Tiles[j], nil), th)
			tiles = append(tiles, tile)
			rowH = max(rowH, tile.MinSize().Height)
		}
		for j, tile := range tiles {
			add(tile, margin+float32(j)*(tileW+gap), y, fyne.NewSize(tileW, rowH))
		}
		y += rowH + gap
	}

	// The footer, bottom up.
	foot := reportFooter(r)
	footH := textSize(foot[0], s.caption, false).Height
	fy := page.Height - margin - float32(len(foot))*footH
	for i, line := range foot {
		objs = append(objs, s.label(fitText(line, s.caption, false, inner), s.caption, false, margin, fy+float32(i)*footH))
	}
	add(canvas.NewRectangle(s.color(theme.ColorNameSeparator)), margin, fy-s.pad, fyne.NewSize(inner, 1))

	// The charts share what is left: bars take at most what they need
	// (with room to breathe), trends the rest.
	titleH := textSize("0", s.text, true).Height + s.pad
	charts := make([]fyne.CanvasObject, len(r.Charts))
	heights := make([]float32, len(r.Charts))
	left, trends := fy-2*s.pad-y, 0
	for i, rc := range r.Charts {
		charts[i] = container.NewThemeOverride(reportChart(rc), th)
		left -= titleH + gap
		if rc.Trend {
			trends++
		}
	}
	for i, rc := range r.Charts {
		if !rc.Trend {
			heights[i] = min(charts[i].MinSize().Height*1.6, left/float32(len(r.Charts)))
			left -= heights[i]
		}
	}
	for i, rc := range r.Charts {
		if rc.Trend {
			heights[i] = left / float32(trends)
		}
		objs = append(objs, s.label(fitText(rc.Title, s.text, true, inner), s.text, true, margin, y))
		add(charts[i], margin, y+titleH, fyne.NewSize(inner, max(heights[i], 0)))
		y += titleH + heights[i] + gap
	}
	return container.NewWithoutLayout(objs...)
}

// reportChart is the chart widget of rc, not tappable.
func reportChart(rc ReportChart) fyne.Widget {
	if rc.Trend {
		c := NewTrendChart(rc.Items, TrendColumns, nil)
		c.SetDecimals(rc.Decimals)
		if rc.HasTarget {
			c.SetTarget(rc.Target)
		}
		return c
	}
	c := NewBarChart(rc.Items, nil)
	c.SetDecimals(rc.Decimals)
	if rc.HasTarget {
		c.SetTarget(rc.Target)
	}
	return c
}

// reportFooter is the footer's lines: whose data, and how fresh.
func reportFooter(r Report) []string {
	fresh := i18n.T("dashboard.report.never_synced")
	if !r.DataAsOf.IsZero() {
		fresh = i18n.T("dashboard.report.as_of", r.DataAsOf.Format("2006-01-02 15:04"))
	}
	if r.Pending > 0 {
		fresh += i18n.T("dashboard.report.pending", r.Pending)
	}
	return []string{
		i18n.T("dashboard.report.footer", r.School, r.Term, r.Printed.Format("2006-01-02")),
		fresh,
	}
}

// SaveReport renders r and writes it to path: a PNG, or for a name ending
// in .pdf an A4 PDF holding the picture. The file appears whole or not at
// all. The error for another extension says so in the current language.
func SaveReport(path string, r Report) error {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".png" && ext != ".pdf" {
		return errors.New(i18n.T("dashboard.report.err_ext"))
	}
	img := RenderReport(r)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return err
	}
	data := buf.Bytes()
	if ext == ".pdf" {
		var err error
		if data, err = reportPDF(data); err != nil {
			return err
		}
	}
	tmp := path + ".part"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// reportPDF is an A4 page filled with the report's PNG.
func reportPDF(pngData []byte) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(0, 0, 0)
	pdf.SetAutoPageBreak(false, 0)
	pdf.AddPage()
	name := "report" + strconv.Itoa(len(pngData))
	pdf.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(pngData))
	pdf.ImageOptions(name, 0, 0, 210, 297, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
