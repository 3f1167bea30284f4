package ui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/classroom"
	"qiao/i18n"
	"qiao/metrics"
	"qiao/store"
)

// The dashboard's drill-down (the records behind a number) and its
// exports (the workbook and the one-page report).

// drillColumns are the drill-down table's columns' keys and widths in ems.
var drillColumns = []struct {
	key   string
	width float32
}{{"date", 9}, {"title", 15}, {"subject", 7}, {"grade", 4.5}, {"count", 5.5}, {"detail", 12}}

// drill lists the records behind indicator key under f (only those of
// week, if given) in a dialog.
func (d *dashboard) drill(key string, f metrics.Filter, week *metrics.Week) {
	var items []metrics.Item
	var names map[string]string
	st := d.w.deps.Store
	d.w.jobs.async(func() (err error) {
		if items, err = metrics.Drill(d.w.ctx, st.DB, d.school, f, key); err != nil {
			return err
		}
		names, err = schoolNames(d.w.ctx, st)
		return err
	}, func(err error) {
		if err != nil {
			dialog.ShowInformation(IndicatorName(key), metricsErrText(err), d.w.win)
			return
		}
		d.showDrill(key, f, week, items, names)
	})
}

// drillTitle names what a drill-down lists: 主讲同步课堂 · 2026年秋季学期 · 数学 · 第3周.
func drillTitle(key string, f metrics.Filter, week *metrics.Week) string {
	parts := []string{IndicatorName(key), TermName(f.Term)}
	if f.Subject != "" {
		parts = append(parts, f.Subject)
	}
	if f.Grade != 0 {
		parts = append(parts, gradeName(f.Grade))
	}
	if week != nil {
		parts = append(parts, WeekLabel(week.No))
	}
	return strings.Join(parts, " · ")
}

// showDrill shows items in a table: date, title, subject, grade, count,
// detail; tapping a lesson with a recording replays it.
func (d *dashboard) showDrill(key string, f metrics.Filter, week *metrics.Week, items []metrics.Item, names map[string]string) {
	cut := len(items) >= metrics.DrillLimit
	if week != nil {
		var in []metrics.Item
		for _, it := range items {
			if week.Span.Contains(it.At) {
				in = append(in, it)
			}
		}
		// The drill-down lists the term's first records: a later week may lack some.
		cut = cut && (len(items) == 0 || !items[len(items)-1].At.After(week.Span.To))
		items = in
	}
	note := i18n.T("dashboard.drill.count", len(items))
	if cut {
		note = i18n.T("dashboard.drill.cut", len(items), metrics.DrillLimit)
	}
	msg := rsWrapped("")
	msg.Hide()
	var body fyne.CanvasObject
	if len(items) == 0 {
		body = rsWrapped(i18n.T("dashboard.drill.empty"))
	} else {
		table := widget.NewTableWithHeaders(func() (int, int) { return len(items), len(drillColumns) },
			func() fyne.CanvasObject { return rsCut("") },
			func(id widget.TableCellID, o fyne.CanvasObject) {
				o.(*widget.Label).SetText(drillCell(key, items[id.Row], drillColumns[id.Col].key, d.w.deps.Store.Device, names))
			})
		table.ShowHeaderColumn = false
		table.CreateHeader = func() fyne.CanvasObject { return rsCut("") }
		table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
			l := o.(*widget.Label)
			l.TextStyle = fyne.TextStyle{Bold: true}
			if id.Col >= 0 {
				l.SetText(i18n.T("dashboard.drill.col." + drillColumns[id.Col].key))
			}
		}
		em := theme.TextSize()
		for i, c := range drillColumns {
			table.SetColumnWidth(i, c.width*em)
		}
		table.OnSelected = func(id widget.TableCellID) {
			table.UnselectAll()
			if id.Row >= 0 && id.Row < len(items) && items[id.Row].Table == "classroom_lessons" {
				d.replayLesson(items[id.Row].ID, msg)
			}
		}
		body = table
	}
	top := container.NewVBox(rsWrapped(note))
	dl := dialog.NewCustom(drillTitle(key, f, week), i18n.T("action.close"), container.NewBorder(top, msg, nil, nil, body), d.w.win)
	d.drillDialog = dl
	dl.Resize(dialogSize(d.w.win))
	dl.Show()
}

// schoolNames are the names of the district's schools this PC knows (sync
// brings the list), by id.
func schoolNames(ctx context.Context, st *store.Store) (map[string]string, error) {
	rows, err := st.DB.QueryContext(ctx, `SELECT id, name FROM schools WHERE deleted = 0`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names := map[string]string{}
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		names[id] = name
	}
	return names, rows.Err()
}

// schoolName is a school's name, or the end of its id when this PC does
// not know it.
func schoolName(names map[string]string, id string) string {
	if n := names[id]; n != "" {
		return n
	}
	return shortID(id)
}

// drillCell is one cell of a drill-down row; self is this device's id,
// names the schools' names by id.
func drillCell(key string, it metrics.Item, col, self string, names map[string]string) string {
	switch col {
	case "date":
		if it.At.IsZero() {
			return ""
		}
		at := it.At.In(metrics.China)
		if at.Hour() == 0 && at.Minute() == 0 {
			return at.Format("2006-01-02")
		}
		return at.Format("2006-01-02 15:04")
	case "title":
		return it.Title
	case "subject":
		return it.Subject
	case "grade":
		if it.Grade > 0 {
			return gradeName(it.Grade)
		}
		return ""
	case "count":
		if it.Table == "classroom_lessons" && metrics.GroupOf(key) == metrics.GroupLessons && key != metrics.RemoteServed && key != metrics.RemoteReached {
			return i18n.T("dashboard.drill.minutes", (it.Count+30)/60) // seconds
		}
		return strconv.FormatInt(it.Count, 10)
	case "detail":
		f := strings.Fields(it.Detail)
		switch {
		case it.Table == "research_activities" && len(f) == 2: // "kind 90min"
			return activityKindName(f[0]) + " · " + i18n.T("dashboard.drill.minutes", atoiOr(strings.TrimSuffix(f[1], "min")))
		case it.Table == "research_outputs" && len(f) == 2: // "kind state"
			return outputKindName(f[0]) + " · " + stateName(f[1])
		case it.Table == "classroom_lessons" && key == metrics.RemoteServed: // the invited schools' ids
			var out []string
			for _, id := range strings.Split(it.Detail, ",") {
				if id != "" {
					out = append(out, schoolName(names, id))
				}
			}
			return strings.Join(out, "、")
		case it.Table == "classroom_lessons" && key == metrics.RemoteReached: // the lead school's id
			return schoolName(names, it.Detail)
		}
		if it.Table == "classroom_lessons" && (key != metrics.RemoteServed && key != metrics.RemoteReached) {
			// "role device": 主讲 · 教室 3f2a…
			if len(f) == 2 {
				dev := shortID(f[1])
				if f[1] == self {
					dev = i18n.T("dashboard.fresh.this_device")
				}
				return trOr("dashboard.drill.role."+f[0], f[0]) + " · " + dev
			}
		}
		return it.Detail
	}
	return ""
}

// replayLesson replays the recording of lesson id, if it has one on this PC.
func (d *dashboard) replayLesson(id string, msg *widget.Label) {
	if d.w.deps.Files == nil {
		return
	}
	sch, _, _ := d.w.deps.Schools.Current(d.w.ctx)
	svc := classroom.New(d.w.deps.Store, sch.ID)
	var path string
	d.w.jobs.async(func() error {
		l, err := svc.Lesson(d.w.ctx, id)
		if err != nil || l.Recording == "" {
			return errText(i18n.T("dashboard.drill.no_recording"))
		}
		if path, err = d.w.deps.Files.Path(l.Recording); err != nil {
			return errText(i18n.T("dashboard.drill.no_recording"))
		}
		return nil
	}, func(err error) {
		if err != nil {
			msg.SetText(err.Error())
			msg.Show()
			return
		}
		if d.drillDialog != nil {
			d.drillDialog.Hide()
		}
		d.w.shell.show("classroom")
		d.w.classroom.replayPath(path, func(err error) {
			if err != nil {
				dialog.ShowError(errText(replayErrText(err)), d.w.win)
			}
		})
	})
}

// chooseSavePath asks where to save a file named name (tests replace it).
var chooseSavePath = func(win fyne.Window, name string, picked func(path string)) {
	dl := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil || wc == nil {
			return
		}
		path := wc.URI().Path()
		wc.Close()
		picked(path)
	}, win)
	dl.SetFileName(name)
	if ext := filepath.Ext(name); ext != "" {
		dl.SetFilter(storage.NewExtensionFileFilter([]string{ext}))
	}
	dl.Resize(dialogSize(win))
	dl.Show()
}

// exportName is a file name for the dashboard's exports: 学校数据-2026年秋季学期.xlsx.
func (d *dashboard) exportName(ext string) string {
	return i18n.T("dashboard.export.name", TermName(d.filter.Term)) + ext
}

// askXLSX asks where to save the workbook.
func (d *dashboard) askXLSX() {
	if d.data == nil {
		return
	}
	chooseSavePath(d.w.win, d.exportName(".xlsx"), d.exportXLSX)
}

// exportXLSX writes the dashboard on screen to path as a workbook, whole
// or not at all, off the UI goroutine.
func (d *dashboard) exportXLSX(path string) {
	data := d.data
	name := d.schoolName
	d.w.jobs.async(func() error {
		var buf bytes.Buffer
		if err := metrics.WriteXLSX(&buf, data, name, IndicatorName); err != nil {
			return err
		}
		return writeWhole(path, buf.Bytes())
	}, func(err error) { d.saved(path, err) })
}

// askReport asks where to save the one-page report (.png or .pdf).
func (d *dashboard) askReport() {
	if d.data == nil {
		return
	}
	chooseSavePath(d.w.win, d.exportName(".pdf"), d.exportReport)
}

// exportReport saves the one-page report of the dashboard on screen; it
// lays out widgets, so it runs on the UI goroutine.
func (d *dashboard) exportReport(path string) {
	d.saved(path, SaveReport(path, ReportFrom(d.data, d.schoolName, d.fresh, time.Now())))
}

// saved says where an export went, or why it did not.
func (d *dashboard) saved(path string, err error) {
	if err != nil {
		d.showMsg(i18n.T("dashboard.export.failed", err.Error()))
		return
	}
	d.showMsg(i18n.T("dashboard.export.done", path))
}

// writeWhole writes data to path through a temporary file renamed into place.
func writeWhole(path string, data []byte) error {
	tmp := path + ".part"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// atoiOr is the whole number in s, or 0.
func atoiOr(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
