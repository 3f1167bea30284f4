package ui

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/i18n"
	"qiao/messages"
	"qiao/research"
)

// researchState is what the research section remembers across section
// switches and language changes: which sub-page, group, year and filter.
// Widgets are built anew each time the section is shown.
type researchState struct {
	tab     int
	year    int    // the groups page's year
	groupID string // the group open on the groups page
	filter  research.ActivityFilter
	teacher string // the teacher whose growth archive is open
	// logGroup is a group the log form should switch to when next shown.
	logGroup string
	ui       *researchUI // the section as last built
}

// lastGroupSetting is the device-local setting that remembers the group
// an activity was last logged for.
const lastGroupSetting = "ui.research_last_group"

// Sub-pages of the research section, in tab order.
const (
	tabGroups = iota
	tabLog
	tabActivities
	tabTeachers
	tabOutputs
	tabAssess
	tabRules
)

// researchUI is one build of the research section.
type researchUI struct {
	w     *window
	st    *researchState
	svc   *research.Service
	tabs  *container.AppTabs
	shown []func() // per tab: called each time it is selected
	built []bool

	groups     *groupsPage
	log        *logForm
	activities *activitiesPage
	teachers   *teachersPage
	outputs    *outputsPage
	assess     *assessPage
	rules      *rulesPage
}

// researchScreen is the research section: groups, logging an activity,
// the activity list, teachers and their growth archives, outputs and
// the yearly assessment, as sub-tabs.
func researchScreen(w *window) fyne.CanvasObject {
	if w.research == nil {
		w.research = &researchState{year: time.Now().Year()}
	}
	sch, _, _ := w.deps.Schools.Current(w.ctx)
	r := &researchUI{w: w, st: w.research, svc: research.New(w.deps.Store, sch.ID)}
	type page struct {
		key   string
		icon  fyne.Resource
		build func() (fyne.CanvasObject, func())
	}
	pages := []page{
		tabGroups:     {"research.tab.groups", theme.AccountIcon(), r.buildGroups},
		tabLog:        {"research.tab.log", theme.ContentAddIcon(), r.buildLog},
		tabActivities: {"research.tab.activities", theme.ListIcon(), r.buildActivities},
		tabTeachers:   {"research.tab.teachers", theme.AccountIcon(), r.buildTeachers},
		tabOutputs:    {"research.tab.outputs", theme.DocumentIcon(), r.buildOutputs},
		tabAssess:     {"research.tab.assess", theme.GridIcon(), r.buildAssess},
		tabRules:      {"research.tab.rules", theme.SettingsIcon(), r.buildRules},
	}
	items := make([]*container.TabItem, len(pages))
	r.shown = make([]func(), len(pages))
	r.built = make([]bool, len(pages))
	for i, p := range pages {
		items[i] = container.NewTabItemWithIcon(i18n.T(p.key), p.icon, container.NewStack())
	}
	r.tabs = container.NewAppTabs(items...)
	// Each sub-page is built the first time it is opened, so opening the
	// section reads only what the first page shows.
	open := func(i int) {
		if !r.built[i] {
			r.built[i] = true
			o, shown := pages[i].build()
			r.shown[i] = shown
			items[i].Content.(*fyne.Container).Objects = []fyne.CanvasObject{o}
			items[i].Content.Refresh()
		}
		r.st.tab = i
		if r.shown[i] != nil {
			r.shown[i]()
		}
	}
	r.tabs.OnSelected = func(t *container.TabItem) {
		for i, it := range items {
			if it == t {
				open(i)
			}
		}
	}
	start := min(max(r.st.tab, 0), len(pages)-1)
	r.tabs.SelectIndex(start)
	if !r.built[start] { // SelectIndex does not call OnSelected for the tab already selected
		open(start)
	}
	w.research.ui = r
	return r.tabs
}

// show switches to sub-page i.
func (r *researchUI) show(i int) {
	if r.tabs.SelectedIndex() != i {
		r.tabs.SelectIndex(i)
		return
	}
	if r.shown[i] != nil {
		r.shown[i]()
	}
}

// async runs work off the UI goroutine, then done with its error on it.
func (r *researchUI) async(work func() error, done func(error)) { r.w.jobs.async(work, done) }

// researchErr explains a research error in words the user can act on.
func researchErr(err error) string {
	switch {
	case errors.Is(err, research.ErrNoName):
		return i18n.T("research.err.no_name")
	case errors.Is(err, research.ErrKind):
		return i18n.T("research.err.kind")
	case errors.Is(err, research.ErrNoGroup):
		return i18n.T("research.err.no_group")
	case errors.Is(err, research.ErrNoTeacher):
		return i18n.T("research.err.no_teacher")
	case errors.Is(err, research.ErrDate):
		return i18n.T("research.err.date")
	case errors.Is(err, research.ErrDuration):
		return i18n.T("research.err.duration")
	case errors.Is(err, research.ErrNeedComment):
		return i18n.T("research.err.need_comment")
	}
	return i18n.T("research.err.failed", messages.Error(err))
}

// rsProblemsView is a refused import: a headline, every problem, and a way back.
func rsProblemsView(headline string, problems []string, back func()) fyne.CanvasObject {
	head := widget.NewLabel(headline)
	head.Importance = widget.DangerImportance
	head.Wrapping = wrapMode()
	list := widget.NewList(func() int { return len(problems) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Wrapping = wrapMode()
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(problems[i]) })
	again := widget.NewButtonWithIcon(i18n.T("research.back"), theme.NavigateBackIcon(), back)
	return container.NewBorder(container.NewVBox(head, container.NewHBox(again)), nil, nil, nil, list)
}

// Names of kinds, roles and states in the user's language.

func activityKindName(kind string) string {
	if n, ok := research.CustomName(kind); ok {
		return n
	}
	return i18n.T("research.kind." + kind)
}

func outputKindName(kind string) string {
	if n, ok := research.CustomName(kind); ok {
		return n
	}
	return i18n.T("research.output_kind." + kind)
}

func groupKindName(kind string) string { return i18n.T("research.group_kind." + kind) }

func roleName(role string) string { return i18n.T("research.role." + role) }

func stateName(state string) string { return i18n.T("research.state." + state) }

func creditsText(c int64) string { return i18n.T("research.credits", research.FormatCredits(c)) }

// rsParseDay reads a day as people type it: 2026-11-27, 2026-1-5 or 2026/1/5.
func rsParseDay(s string) (time.Time, bool) {
	s = strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(s, "/", "-"), ".", "-"))
	for _, f := range []string{"2006-01-02", "2006-1-2"} {
		if t, err := time.ParseInLocation(f, s, time.Local); err == nil && t.Year() >= 2000 && t.Year() <= 2100 {
			return t, true
		}
	}
	return time.Time{}, false
}

// rsToday is the current calendar day.
func rsToday() time.Time {
	y, m, d := time.Now().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.Local)
}

// rsYears lists the years that have groups, and this year, newest first.
func rsYears(groups []research.Group) []int {
	seen := map[int]bool{time.Now().Year(): true}
	for _, g := range groups {
		if g.Year > 0 {
			seen[g.Year] = true
		}
	}
	var out []int
	for y := range seen {
		out = append(out, y)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(out)))
	return out
}

// yearPicker is a year selector whose years arrive later: it keeps its
// place (and size) while they are read.
type yearPicker struct {
	sel      *widget.Select
	years    []int
	onChange func(int)
}

func newYearPicker(current int, onChange func(int)) *yearPicker {
	y := &yearPicker{onChange: onChange}
	y.sel = widget.NewSelect(nil, func(string) {
		if i := y.sel.SelectedIndex(); i >= 0 && i < len(y.years) {
			y.onChange(y.years[i])
		}
	})
	y.set([]int{current}, current)
	return y
}

// set offers years with current selected, without calling onChange.
func (y *yearPicker) set(years []int, current int) {
	on := y.sel.OnChanged
	y.sel.OnChanged = nil
	y.years = years
	names := make([]string, len(years))
	for i, yr := range years {
		names[i] = i18n.T("research.year", yr)
	}
	y.sel.Options = names
	y.sel.SetSelectedIndex(indexOf(years, current))
	y.sel.OnChanged = on
}

// rsHeading is a bold label in the heading size.
func rsHeading(text string, size fyne.ThemeSizeName) *widget.Label {
	l := widget.NewLabel(text)
	l.TextStyle = fyne.TextStyle{Bold: true}
	l.SizeName = size
	l.Wrapping = wrapMode()
	return l
}

// rsCard is a card with a bold title in the subheading size (a card's own
// title is as big as the page's).
func rsCard(title string, body fyne.CanvasObject) *widget.Card {
	return widget.NewCard("", "", container.NewBorder(rsHeading(title, theme.SizeNameSubHeadingText), nil, nil, nil, body))
}

// rsWrapped is a label that wraps.
func rsWrapped(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = wrapMode()
	return l
}

// rsCut is a label that ends in … when it does not fit.
func rsCut(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

// rsEms is a size in ems (text heights), so it grows with the font scale.
func rsEms(w, h float32) fyne.Size {
	em := theme.TextSize()
	return fyne.NewSize(w*em, h*em)
}

// rsTall makes o at least a touch target high.
func rsTall(o fyne.CanvasObject) fyne.CanvasObject {
	return container.NewStack(minSize(0, rsTouch), o)
}

// rsTouch is the least height of a button a finger or a projector
// remote should hit.
const rsTouch = 44

// rsCells lays out a row of cells. A positive value is a share of the
// width left over; a negative one is a fixed width of that many ems
// (text heights). Truncating labels in the cells keep a row from ever
// overflowing.
type rsCells []float32

func (c rsCells) fixed(i int) (float32, bool) {
	if i < len(c) && c[i] < 0 {
		return -c[i] * theme.TextSize(), true
	}
	return 0, false
}

func (c rsCells) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	pad := theme.Padding()
	for i, o := range objs {
		if w, ok := c.fixed(i); ok {
			s.Width += w
		}
		if i > 0 {
			s.Width += pad
		}
		s.Height = fyne.Max(s.Height, o.MinSize().Height)
	}
	return s
}

func (c rsCells) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	free := size.Width - pad*float32(max(len(objs)-1, 0))
	var total float32
	for i := range objs {
		if w, ok := c.fixed(i); ok {
			free -= w
		} else if i < len(c) {
			total += c[i]
		}
	}
	free = fyne.Max(free, 0)
	x := float32(0)
	for i, o := range objs {
		w, ok := c.fixed(i)
		if !ok && i < len(c) && total > 0 {
			w = free * c[i] / total
		}
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w + pad
	}
}

// rsRow lays out objs as cells of the given weights.
func rsRow(weights rsCells, objs ...fyne.CanvasObject) *fyne.Container {
	return container.New(weights, objs...)
}

// rsHeader is a list's bold column titles, laid out like its rows.
func rsHeader(weights rsCells, keys ...string) fyne.CanvasObject {
	objs := make([]fyne.CanvasObject, len(keys))
	for i, k := range keys {
		l := rsCut(i18n.T(k))
		l.TextStyle = fyne.TextStyle{Bold: true}
		objs[i] = l
	}
	return container.NewVBox(rsRow(weights, objs...), widget.NewSeparator())
}

// rsSet fills a row's labels with texts.
func rsSet(o fyne.CanvasObject, texts ...string) {
	for i, c := range o.(*fyne.Container).Objects {
		if l, ok := c.(*widget.Label); ok && i < len(texts) {
			l.SetText(texts[i])
		}
	}
}

// rsLabels is a row of n truncating labels.
func rsLabels(weights rsCells, n int) fyne.CanvasObject {
	objs := make([]fyne.CanvasObject, n)
	for i := range objs {
		objs[i] = rsCut("")
	}
	return rsRow(weights, objs...)
}

// rsPager reads a long list a page at a time, off the UI goroutine, keeping
// a few pages: a virtual widget.List asks it only for the rows it shows.
type rsPager[T any] struct {
	r       *researchUI
	list    *widget.List
	n       int
	gen     int
	pages   map[int][]T
	loading map[int]bool
	fetch   func(offset, limit int) ([]T, error)
	counted func(n int, err error)
}

// Page size and how many pages a pager keeps.
const (
	pageSize  = 50
	pagesKept = 6
)

// reset starts over with a new count and fetch (a new filter).
func (p *rsPager[T]) reset(count func() (int, error), fetch func(offset, limit int) ([]T, error)) {
	p.gen++
	gen := p.gen
	p.fetch = fetch
	p.pages, p.loading = map[int][]T{}, map[int]bool{}
	var n int
	p.r.async(func() (err error) {
		n, err = count()
		return err
	}, func(err error) {
		if gen != p.gen {
			return
		}
		p.n = n
		if err != nil {
			p.n = 0
		}
		if p.list != nil {
			p.list.Refresh()
		}
		if p.counted != nil {
			p.counted(p.n, err)
		}
	})
}

// item returns row i if its page is at hand, and starts reading it if not.
func (p *rsPager[T]) item(i int) (T, bool) {
	var zero T
	pg := i / pageSize
	if rows, ok := p.pages[pg]; ok {
		if i%pageSize < len(rows) {
			return rows[i%pageSize], true
		}
		return zero, false
	}
	if p.loading[pg] || p.fetch == nil {
		return zero, false
	}
	p.loading[pg] = true
	gen, fetch := p.gen, p.fetch
	var rows []T
	p.r.async(func() (err error) {
		rows, err = fetch(pg*pageSize, pageSize)
		return err
	}, func(err error) {
		if gen != p.gen {
			return
		}
		delete(p.loading, pg)
		if err != nil {
			fyne.LogError("research: read a page", err)
			return
		}
		p.pages[pg] = rows
		for len(p.pages) > pagesKept { // drop the page farthest from this one
			far, dist := -1, -1
			for k := range p.pages {
				if d := rsAbs(k - pg); d > dist {
					far, dist = k, d
				}
			}
			delete(p.pages, far)
		}
		if p.list != nil {
			p.list.Refresh()
		}
	})
	return zero, false
}

func rsAbs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// saveFile asks where to write name and writes it with write off the UI
// goroutine, under a progress dialog.
func (w *window) saveFile(name string, write func(io.Writer) error) {
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil || wc == nil {
			return
		}
		path := wc.URI().Path()
		busy := dialog.NewCustomWithoutButtons(i18n.T("research.exporting"), widget.NewProgressBarInfinite(), w.win)
		busy.Show()
		w.jobs.async(func() error {
			err := write(wc)
			if cerr := wc.Close(); err == nil {
				err = cerr
			}
			return err
		}, func(err error) {
			busy.Hide()
			if err != nil {
				dialog.ShowError(errors.New(i18n.T("research.export_failed", messages.Error(err))), w.win)
				return
			}
			dialog.ShowInformation(i18n.T("research.export"), i18n.T("research.exported", path), w.win)
		})
	}, w.win)
	d.SetFileName(fileSafe.Replace(name) + ".xlsx")
	d.SetFilter(storage.NewExtensionFileFilter([]string{".xlsx"}))
	d.Show()
}

// fileSafe replaces the characters Windows refuses in file names.
var fileSafe = strings.NewReplacer("/", "-", "\\", "-", ":", "-", "*", "-", "?", "-", "\"", "-", "<", "-", ">", "-", "|", "-")

// openSheet asks for a .xlsx or .csv file and hands its name and bytes to
// read, off the UI goroutine, under a progress dialog; done gets the result.
func (w *window) openSheet(read func(name string, data []byte) error, done func(name string, err error)) {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil || rc == nil {
			return
		}
		name := rc.URI().Name()
		busy := dialog.NewCustomWithoutButtons(i18n.T("research.reading"), widget.NewProgressBarInfinite(), w.win)
		busy.Show()
		w.jobs.async(func() error {
			data, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				return err
			}
			return read(name, data)
		}, func(err error) {
			busy.Hide()
			done(name, err)
		})
	}, w.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".xlsx", ".csv"}))
	d.Show()
}

// rsPercent writes a share as a whole percentage.
func rsPercent(v float64) string { return strconv.FormatFloat(v*100, 'f', 0, 64) + "%" }

// rsYuan writes an amount of money.
func rsYuan(v int64) string {
	s := strconv.FormatInt(v, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && c != '-' && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return fmt.Sprintf("¥%s", b.String())
}
