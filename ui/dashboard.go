package ui

import (
	"context"
	"errors"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/district"
	"qiao/i18n"
	"qiao/metrics"
	"qiao/replica"
	"qiao/store"
)

// The 学校数据 section: the principal's dashboard (概览), read-only. Every
// number comes from metrics; filters rebuild it off the UI goroutine, and
// tapping a number opens the records behind it (dashboard_drill.go).

// dashboardTerms is how many terms the term filter offers: this one and
// the earlier ones (three school years).
const dashboardTerms = 6

// dashboardNow is the clock the term filter starts from (tests set it).
var dashboardNow = time.Now

// rankTimeout bounds the question to the district; the cached rank
// shows if it does not answer in time.
const rankTimeout = 10 * time.Second

// dashboard is the overview tab's state and widgets.
type dashboard struct {
	w          *window
	school     string
	schoolName string
	terms      []metrics.Term // newest first
	filter     metrics.Filter
	subjects   []string // the subjects seen in the records, for the filter
	gen        int      // the latest build asked for; older results are dropped

	data  *metrics.Dashboard // nil until the first build
	fresh metrics.Freshness
	rank  district.RankInfo
	// rankState: 0 none known, 1 fetched now, 2 cached (the district did not answer).
	rankState int

	termSel, subjSel, gradeSel *widget.Select
	busy                       *widget.ProgressBarInfinite
	msg                        *widget.Label
	tiles                      map[string]*HeadlineTile
	weekly                     *TrendChart
	trend                      *TrendChart
	trendSel                   *widget.Select
	trendKey                   string
	bySubject, byGrade         *BarChart
	rankBox, freshBox          *fyne.Container
	rankCard                   fyne.CanvasObject
	drillDialog                dialog.Dialog // the drill-down on screen
	root                       *fyne.Container
}

// dashboardScreen is the 学校数据 section: tabs, the overview first (the
// editors of the inventory, checklist and targets are added next to it).
func dashboardScreen(w *window) fyne.CanvasObject {
	d := newDashboard(w)
	// The other tabs are built, and read their data, when first opened;
	// opened again, they read it anew (another tab or a sync may have
	// changed it).
	type page struct {
		build  func() fyne.CanvasObject
		reload func()
	}
	pages := []*page{{reload: func() { d.rebuild(false) }}, {}, {}, {}}
	pages[1].build = func() fyne.CanvasObject {
		p := w.newInventoryPage()
		pages[1].reload = p.reload
		return p.box
	}
	pages[2].build = func() fyne.CanvasObject {
		p := w.newChecklistPage(time.Now())
		pages[2].reload = p.reload
		return p.content()
	}
	pages[3].build = func() fyne.CanvasObject {
		p := w.newTargetsPage()
		pages[3].reload = p.reload
		return p.content()
	}
	tabs := container.NewAppTabs(
		container.NewTabItemWithIcon(i18n.T("dashboard.tab.overview"), theme.InfoIcon(), d.overview()),
		container.NewTabItemWithIcon(i18n.T("schooldata.tab.inventory"), theme.ComputerIcon(), container.NewStack()),
		container.NewTabItemWithIcon(i18n.T("schooldata.tab.checklist"), theme.ConfirmIcon(), container.NewStack()),
		container.NewTabItemWithIcon(i18n.T("schooldata.tab.targets"), theme.RadioButtonCheckedIcon(), container.NewStack()))
	tabs.OnSelected = func(item *container.TabItem) {
		pg := pages[tabs.SelectedIndex()]
		if pg.reload != nil {
			pg.reload()
			return
		}
		box := item.Content.(*fyne.Container)
		box.Objects = []fyne.CanvasObject{pg.build()}
		box.Refresh()
	}
	return tabs
}

func newDashboard(w *window) *dashboard {
	sch, _, _ := w.deps.Schools.Current(w.ctx)
	now := metrics.TermOf(dashboardNow())
	d := &dashboard{w: w, school: sch.ID, schoolName: sch.Name, filter: metrics.Filter{Term: now},
		tiles: map[string]*HeadlineTile{}, trendKey: metrics.LessonRate}
	past := now.Last(dashboardTerms)
	for i := len(past) - 1; i >= 0; i-- {
		d.terms = append(d.terms, past[i])
	}
	return d
}

// overview builds the tab and starts reading its numbers.
func (d *dashboard) overview() fyne.CanvasObject {
	termNames := make([]string, len(d.terms))
	for i, t := range d.terms {
		termNames[i] = TermName(t)
	}
	d.termSel = widget.NewSelect(termNames, nil)
	d.termSel.SetSelectedIndex(0)
	d.termSel.OnChanged = func(string) {
		if i := d.termSel.SelectedIndex(); i >= 0 && d.terms[i] != d.filter.Term {
			d.filter.Term = d.terms[i]
			d.rebuild(true)
		}
	}
	d.subjSel = widget.NewSelect([]string{i18n.T("dashboard.filter.all_subjects")}, nil)
	d.subjSel.SetSelectedIndex(0)
	d.subjSel.OnChanged = func(string) {
		s := ""
		if i := d.subjSel.SelectedIndex(); i > 0 && i <= len(d.subjects) {
			s = d.subjects[i-1]
		}
		if s != d.filter.Subject {
			d.filter.Subject = s
			d.rebuild(false)
		}
	}
	grades := []string{i18n.T("library.grade.any")}
	for g := 1; g <= 12; g++ {
		grades = append(grades, gradeName(g))
	}
	d.gradeSel = widget.NewSelect(grades, nil)
	d.gradeSel.SetSelectedIndex(0)
	d.gradeSel.OnChanged = func(string) {
		if g := max(d.gradeSel.SelectedIndex(), 0); g != d.filter.Grade {
			d.filter.Grade = g
			d.rebuild(false)
		}
	}
	d.busy = widget.NewProgressBarInfinite()
	d.busy.Hide()
	wide := func(sel *widget.Select, ems float32) fyne.CanvasObject {
		return container.NewStack(minSize(ems*theme.TextSize(), 0), sel)
	}
	filters := container.NewHBox(widget.NewLabel(i18n.T("dashboard.filter.term")), wide(d.termSel, 12),
		widget.NewLabel(i18n.T("dashboard.filter.subject")), wide(d.subjSel, 6),
		widget.NewLabel(i18n.T("dashboard.filter.grade")), wide(d.gradeSel, 6))
	exports := container.NewHBox(
		widget.NewButtonWithIcon(i18n.T("dashboard.export.xlsx"), theme.DocumentSaveIcon(), d.askXLSX),
		widget.NewButtonWithIcon(i18n.T("dashboard.export.report"), theme.DocumentPrintIcon(), d.askReport))
	top := container.NewBorder(nil, nil, filters, exports, container.NewStack(container.NewCenter(d.busy)))
	d.msg = rsWrapped("")
	d.msg.Hide()

	body := container.NewVBox()
	for _, g := range metrics.Groups {
		grid := container.NewGridWithColumns(dashboardTileColumns)
		for _, k := range metrics.Indicators {
			if metrics.GroupOf(k) != g {
				continue
			}
			t := NewHeadlineTile(HeadlineFrom(metrics.Headline{Key: k}), func(h Headline) { d.drill(h.Key, d.filter, nil) })
			d.tiles[k] = t
			grid.Add(t)
		}
		body.Add(rsHeading(i18n.T("dashboard.group."+g), theme.SizeNameSubHeadingText))
		body.Add(grid)
	}

	d.weekly = NewTrendChart(nil, TrendColumns, d.tapWeek)
	d.weekly.SetDecimals(0)
	trendNames := make([]string, len(metrics.Trend))
	for i, k := range metrics.Trend {
		trendNames[i] = IndicatorName(k)
	}
	d.trendSel = widget.NewSelect(trendNames, nil)
	for i, k := range metrics.Trend {
		if k == d.trendKey {
			d.trendSel.SetSelectedIndex(i)
		}
	}
	d.trendSel.OnChanged = func(string) {
		if i := d.trendSel.SelectedIndex(); i >= 0 {
			d.trendKey = metrics.Trend[i]
			d.showTrend()
		}
	}
	d.trend = NewTrendChart(nil, TrendLine, d.tapTerm)
	d.bySubject = NewBarChart(nil, func(it ChartItem) {
		f := d.filter
		f.Subject = it.Key
		d.drill(metrics.LessonHours, f, nil)
	})
	d.bySubject.SetDecimals(0)
	d.byGrade = NewBarChart(nil, func(it ChartItem) {
		f := d.filter
		f.Grade, _ = strconv.Atoi(it.Key)
		d.drill(metrics.LessonHours, f, nil)
	})
	d.byGrade.SetDecimals(0)
	chart := func(c fyne.CanvasObject) fyne.CanvasObject {
		return container.NewStack(minSize(0, dashboardChartHeight), c)
	}
	body.Add(rsCard(i18n.T("dashboard.chart.by_term"), container.NewBorder(container.NewHBox(d.trendSel), nil, nil, nil, chart(d.trend))))
	body.Add(container.NewGridWithColumns(2,
		rsCard(i18n.T("dashboard.chart.by_subject"), chart(d.bySubject)),
		rsCard(i18n.T("dashboard.chart.by_grade"), chart(d.byGrade))))

	d.rankBox = container.NewVBox()
	d.rankCard = rsCard(i18n.T("dashboard.rank.title"), d.rankBox)
	d.rankCard.Hide()
	d.freshBox = container.NewVBox(rsWrapped(i18n.T("dashboard.loading")))
	side := container.NewVBox(d.rankCard, rsCard(i18n.T("dashboard.chart.by_week"), chart(d.weekly)),
		rsCard(i18n.T("dashboard.fresh.title"), d.freshBox))
	d.root = container.NewBorder(container.NewVBox(top, d.msg), nil, nil,
		container.NewStack(minSize(dashboardSideWidth, 0), side), body)
	d.rebuild(true)
	d.loadFreshness()
	return d.root
}

// Overview sizes: tiles to a row, a chart's least height, the side column.
const (
	dashboardTileColumns = 4
	dashboardChartHeight = 220
	dashboardSideWidth   = 300
)

// rebuild computes the dashboard for the filter off the UI goroutine
// (and asks the district for the rank when the term changed); a result
// that is no longer the latest is dropped.
func (d *dashboard) rebuild(termChanged bool) {
	d.gen++
	gen, f := d.gen, d.filter
	d.busy.Show()
	d.busy.Start()
	var data *metrics.Dashboard
	st := d.w.deps.Store
	d.w.jobs.async(func() (err error) {
		data, err = metrics.BuildWithTrend(d.w.ctx, st.DB, d.school, f)
		return err
	}, func(err error) {
		if gen != d.gen {
			return
		}
		d.busy.Stop()
		d.busy.Hide()
		if err != nil {
			d.showMsg(i18n.T("dashboard.error", metricsErrText(err)))
			return
		}
		d.show(data)
	})
	if termChanged {
		d.loadRank(f.Term)
	}
}

// show puts a computed dashboard on screen.
func (d *dashboard) show(data *metrics.Dashboard) {
	d.data = data
	for _, h := range data.Headlines {
		if t := d.tiles[h.Key]; t != nil {
			t.SetHeadline(HeadlineFrom(h))
		}
	}
	now := dashboardNow()
	switch term := data.Filter.Term; {
	case dashboardEmpty(data):
		d.showMsg(i18n.T("dashboard.empty", TermName(term)))
	case term.Span().Contains(now):
		d.showMsg(i18n.T("dashboard.in_progress", term.WeekOf(now), len(data.Weeks)))
	default:
		d.showMsg("")
	}
	d.noteSubjects(data)
	weekly := WeekItems(data, metrics.LessonsHosted)
	for i, it := range WeekItems(data, metrics.LessonsReceived) {
		if i < len(weekly) {
			weekly[i].Value += it.Value
		}
	}
	// The weeks still to come of the term on screen are not zeros yet.
	for len(weekly) > 0 && data.Weeks[len(weekly)-1].Span.From.After(now) {
		weekly = weekly[:len(weekly)-1]
	}
	if allZero(weekly) {
		weekly = nil // "no records yet" rather than twenty empty weeks
	}
	d.weekly.SetItems(weekly)
	d.bySubject.SetItems(LessonsBySubject(data))
	d.byGrade.SetItems(LessonsByGrade(data))
	d.showTrend()
}

// dashboardEmpty reports whether the term has no lessons, research or
// resource use: the screen says so instead of leaving rows of zeros.
func dashboardEmpty(data *metrics.Dashboard) bool {
	for _, h := range data.Headlines {
		if g := metrics.GroupOf(h.Key); g != metrics.GroupEquipment && h.Known && h.Value != 0 {
			return false
		}
	}
	return true
}

func allZero(items []ChartItem) bool {
	for _, it := range items {
		if it.Value != 0 {
			return false
		}
	}
	return true
}

// noteSubjects adds the subjects of data's lessons to the subject filter.
func (d *dashboard) noteSubjects(data *metrics.Dashboard) {
	added := false
	for _, b := range data.BySubject {
		known := b.Subject == ""
		for _, s := range d.subjects {
			known = known || s == b.Subject
		}
		if !known {
			d.subjects = append(d.subjects, b.Subject)
			added = true
		}
	}
	if !added {
		return
	}
	// Subjects are only appended: the selected index stays right.
	d.subjSel.Options = append([]string{i18n.T("dashboard.filter.all_subjects")}, d.subjects...)
	d.subjSel.Refresh()
}

// showTrend shows the chosen indicator over the terms.
func (d *dashboard) showTrend() {
	if d.data == nil {
		return
	}
	v := viewOf(d.trendKey)
	var items []ChartItem
	for i, t := range d.data.Terms {
		if i < len(d.data.ByTerm[d.trendKey]) {
			items = append(items, ChartItem{Key: t.Key(), Label: TermName(t), Value: d.data.ByTerm[d.trendKey][i] / v.per})
		}
	}
	if allZero(items) {
		items = nil
	}
	d.trend.SetDecimals(v.decimals)
	if h := metrics.Find(d.data.Headlines, d.trendKey); h.HasTarget {
		d.trend.SetTarget(h.Target / v.per)
	} else {
		d.trend.ClearTarget()
	}
	d.trend.SetItems(items)
}

// tapWeek opens the lessons of a week.
func (d *dashboard) tapWeek(it ChartItem) {
	if d.data == nil {
		return
	}
	n, _ := strconv.Atoi(it.Key)
	for _, w := range d.data.Weeks {
		if w.No == n {
			w := w
			d.drill(metrics.LessonHours, d.data.Filter, &w)
		}
	}
}

// tapTerm opens the records of the trend's indicator in a term.
func (d *dashboard) tapTerm(it ChartItem) {
	t, err := metrics.ParseTerm(it.Key)
	if err != nil || d.data == nil {
		return
	}
	f := d.data.Filter
	f.Term = t
	d.drill(d.trendKey, f, nil)
}

// showMsg shows a line above the tiles ("" hides it).
func (d *dashboard) showMsg(text string) {
	d.msg.SetText(text)
	d.msg.Hidden = text == ""
	d.msg.Refresh()
}

// metricsErrText is an error of metrics in the user's words.
func metricsErrText(err error) string {
	var me metrics.Error
	if errors.As(err, &me) {
		return i18n.T("metrics.error." + me.Code)
	}
	return err.Error()
}

// readFreshness is metrics' freshness with this device's sync status.
func readFreshness(ctx context.Context, st *store.Store, school string) (metrics.Freshness, error) {
	s, err := replica.ReadStatus(ctx, st)
	if err != nil {
		return metrics.Freshness{}, err
	}
	return metrics.ReadFreshness(ctx, st, school, metrics.SyncState{LastSync: s.LastSync, LastTry: s.LastTry,
		LastError: s.LastError, Pending: s.Pending})
}

// loadFreshness reads this device's sync and each device's last change,
// apart from the dashboard (it reads every row of the school).
func (d *dashboard) loadFreshness() {
	var fr metrics.Freshness
	st := d.w.deps.Store
	d.w.jobs.async(func() (err error) {
		fr, err = readFreshness(d.w.ctx, st, d.school)
		return err
	}, func(err error) {
		if err != nil {
			d.freshBox.Objects = []fyne.CanvasObject{rsWrapped(i18n.T("dashboard.error", err.Error()))}
			d.root.Refresh()
			return
		}
		d.fresh = fr
		d.showFreshness()
	})
}

// loadRank asks the district for the school's rank in term when this
// device is enrolled, else (or when it does not answer) shows the rank
// last fetched; nothing when there is none.
func (d *dashboard) loadRank(term metrics.Term) {
	st := d.w.deps.Store
	var info district.RankInfo
	state := 0
	d.w.jobs.async(func() error {
		if rep, err := replica.Open(d.w.ctx, st); err == nil {
			ctx, cancel := context.WithTimeout(d.w.ctx, rankTimeout)
			info, err = rep.FetchRank(ctx, term.Key())
			cancel()
			if err == nil {
				state = 1
				return nil
			}
		}
		cached, ok, err := replica.CachedRank(d.w.ctx, st, term.Key())
		if ok {
			info, state = cached, 2
		}
		return err
	}, func(err error) {
		if term != d.filter.Term {
			return
		}
		if err != nil {
			fyne.LogError("dashboard: rank", err)
		}
		d.rank, d.rankState = info, state
		d.showRank()
		d.showFreshness()
	})
}

// showRank fills the rank card: N / M 所学校, the district's average of the
// headline it ranks by and the school's value, as of the roll-up's time.
func (d *dashboard) showRank() {
	if d.rankState == 0 {
		d.rankCard.Hide()
		d.root.Refresh()
		return
	}
	r := d.rank
	objs := []fyne.CanvasObject{}
	if r.Rank > 0 {
		big := widget.NewLabel(i18n.T("dashboard.rank.value", r.Rank, r.Schools))
		big.TextStyle = fyne.TextStyle{Bold: true}
		big.SizeName = theme.SizeNameHeadingText
		objs = append(objs, big)
	} else {
		objs = append(objs, rsWrapped(i18n.T("dashboard.rank.not_ranked", r.Schools)))
	}
	if r.Headline != "" {
		show := func(v float64) string {
			hv := HeadlineFrom(metrics.Headline{Key: r.Headline, Value: v, Known: true})
			return formatValue(hv.Value, hv.Decimals) + hv.Unit
		}
		if v, ok := r.Values[r.Headline]; ok {
			objs = append(objs, rsWrapped(i18n.T("dashboard.rank.ours", IndicatorName(r.Headline), show(v))))
		}
		if v, ok := r.Averages[r.Headline]; ok {
			objs = append(objs, rsWrapped(i18n.T("dashboard.rank.average", show(v))))
		}
	}
	if len(r.Below) > 0 {
		names := ""
		for i, k := range r.Below {
			if i > 0 {
				names += i18n.T("dashboard.list_sep")
			}
			names += IndicatorName(k)
		}
		objs = append(objs, rsWrapped(i18n.T("dashboard.rank.below", names)))
	}
	asOf := i18n.T("dashboard.rank.as_of", r.At.In(metrics.China).Format("2006-01-02 15:04"))
	if d.rankState == 2 {
		asOf += i18n.T("dashboard.rank.cached")
	}
	objs = append(objs, rsWrapped(asOf))
	d.rankBox.Objects = objs
	d.rankCard.Show()
	d.root.Refresh() // the side column's height changed
}

// showFreshness fills the data freshness card.
func (d *dashboard) showFreshness() {
	f := d.fresh
	if f.Device == "" {
		return // not read yet
	}
	when := func(t time.Time) string { return t.In(metrics.China).Format("2006-01-02 15:04") }
	objs := []fyne.CanvasObject{}
	if f.NeverSynced {
		objs = append(objs, rsWrapped(i18n.T("dashboard.fresh.never")))
	} else {
		objs = append(objs, rsWrapped(i18n.T("dashboard.fresh.last_sync", when(f.LastSync))))
	}
	objs = append(objs, rsWrapped(i18n.T("dashboard.fresh.pending", f.Pending)))
	if f.LastError != "" {
		objs = append(objs, rsWrapped(i18n.T("dashboard.fresh.error", f.LastError)))
	}
	names := map[string]string{}
	for _, dev := range d.rank.Devices {
		names[dev.ID] = dev.Name
	}
	if len(f.Devices) > 0 {
		objs = append(objs, rsHeading(i18n.T("dashboard.fresh.devices"), theme.SizeNameText))
	}
	for i, dev := range f.Devices {
		if i == dashboardDevices {
			objs = append(objs, rsCut(i18n.T("dashboard.fresh.more", len(f.Devices)-i)))
			break
		}
		name := names[dev.Device]
		switch {
		case dev.Device == f.Device:
			name = i18n.T("dashboard.fresh.this_device")
		case name == "":
			name = shortID(dev.Device)
		}
		objs = append(objs, rsCut(i18n.T("dashboard.fresh.device", name, when(dev.Last))))
	}
	objs = append(objs, d.districtSyncs(when)...)
	d.freshBox.Objects = objs
	d.root.Refresh() // the side column's height changed
}

// districtSyncs lists the last sync of each of the school's devices as the
// district saw it when it last answered (nothing before it ever has).
func (d *dashboard) districtSyncs(when func(time.Time) string) []fyne.CanvasObject {
	if d.rankState == 0 || len(d.rank.Devices) == 0 {
		return nil
	}
	objs := []fyne.CanvasObject{rsHeading(i18n.T("dashboard.fresh.district", when(d.rank.At)), theme.SizeNameText)}
	for _, dev := range d.rank.Devices {
		if dev.Revoked {
			continue
		}
		name := dev.Name
		if dev.ID == d.w.deps.Store.Device {
			name = i18n.T("dashboard.fresh.this_device")
		}
		last := i18n.T("dashboard.fresh.district_never")
		if t := max(dev.LastPush, dev.LastPull); t > 0 {
			last = when(time.Unix(t, 0))
		}
		objs = append(objs, rsCut(i18n.T("dashboard.fresh.device", name, last)))
	}
	return objs
}

// dashboardDevices is how many devices the freshness card lists.
const dashboardDevices = 6
