package ui

import (
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/xuri/excelize/v2"

	"qiao/classroom"
	"qiao/i18n"
	"qiao/library"
	"qiao/metrics"
	"qiao/replica"
	"qiao/research"
	"qiao/school"
	"qiao/store"
)

// dashboardHarness is a main window on a new school of name with its user.
func dashboardHarness(t *testing.T, name string) (*harness, string) {
	t.Helper()
	h := newHarness(t, t.TempDir())
	ctx := context.Background()
	sch, err := h.sv.Save(ctx, school.School{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.sv.SaveUser(ctx, school.User{Name: "李校长", Role: school.Principal}); err != nil {
		t.Fatal(err)
	}
	h.w.refresh()
	return h, sch.ID
}

func (h *harness) showDashboard() {
	h.w.shell.show("schooldata")
	h.settle()
}

// fillThroughDomains gives school, through its domain services and at the
// present time: lessons hosted (数学 三年级 ×2, 语文 四年级 ×1) and one
// received (英语 三年级), a research activity, a resource opened, an
// inventory and a checklist score.
func fillThroughDomains(t *testing.T, h *harness, schoolID string) {
	t.Helper()
	ctx := context.Background()
	cls := classroom.New(h.st, schoolID)
	for _, l := range []classroom.Lesson{
		{Title: "分数的初步认识", Subject: "数学", Grade: 3},
		{Title: "长方形和正方形", Subject: "数学", Grade: 3},
		{Title: "古诗三首", Subject: "语文", Grade: 4},
	} {
		l.Starts, l.Minutes = time.Now(), 40
		l, err := cls.Schedule(ctx, l)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cls.Start(ctx, l.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := cls.End(ctx, l.ID); err != nil {
			t.Fatal(err)
		}
	}
	remote := classroom.Lesson{ID: store.NewID(), SchoolID: store.NewID(), Title: "My family", Subject: "英语", Grade: 3}
	if _, err := cls.Joined(ctx, remote); err != nil {
		t.Fatal(err)
	}
	if err := cls.Left(ctx, remote.ID); err != nil {
		t.Fatal(err)
	}

	rs := research.New(h.st, schoolID)
	g, err := rs.SaveGroup(ctx, research.Group{Name: "数学教研组", Kind: research.KindSchoolGroup, Subject: "数学", Year: time.Now().Year()})
	if err != nil {
		t.Fatal(err)
	}
	tch, err := rs.SaveTeacher(ctx, research.Teacher{Name: "王老师", Subject: "数学", Stage: "小学"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.LogActivity(ctx, research.Activity{GroupID: g.ID, Kind: "lesson_prep", Day: time.Now(), Minutes: 60,
		Attendees: []string{tch.ID}}, nil); err != nil {
		t.Fatal(err)
	}

	lib := library.New(h.st, h.w.deps.Files, schoolID)
	e, err := lib.Add(ctx, library.Entry{Title: "分数的初步认识 课件", Subject: "数学", Grade: 3, Kind: library.Courseware,
		Source: library.FromSchool, FileName: "fen-shu.txt"}, strings.NewReader("把一个蛋糕平均分成两份"))
	if err != nil {
		t.Fatal(err)
	}
	if err := lib.Opened(ctx, e.ID, "王老师"); err != nil {
		t.Fatal(err)
	}

	ms := metrics.NewService(h.st, schoolID)
	if err := ms.PutInventory(ctx, metrics.InventoryItem{Kind: metrics.SmartClassrooms, Count: 2},
		metrics.InventoryItem{Kind: metrics.TeacherCount, Count: 30}, metrics.InventoryItem{Kind: metrics.TeacherTerminals, Count: 24}); err != nil {
		t.Fatal(err)
	}
	if err := ms.Score(ctx, metrics.TermOf(time.Now()), metrics.DefaultChecklist[0].ID, 9, ""); err != nil {
		t.Fatal(err)
	}
}

// tiles are the headline tiles on screen, by indicator key.
func (h *harness) tiles() map[string]*HeadlineTile {
	out := map[string]*HeadlineTile{}
	for _, o := range h.objects() {
		if t, ok := o.(*HeadlineTile); ok {
			out[t.h.Key] = t
		}
	}
	return out
}

// wantTiles checks every tile shows what metrics computes for f.
func (h *harness) wantTiles(schoolID string, f metrics.Filter) *metrics.Dashboard {
	h.t.Helper()
	d, err := metrics.Build(context.Background(), h.st.DB, schoolID, f)
	if err != nil {
		h.t.Fatal(err)
	}
	tiles := h.tiles()
	if len(tiles) != len(metrics.Indicators) {
		h.t.Fatalf("%d tiles, want %d", len(tiles), len(metrics.Indicators))
	}
	for _, hl := range d.Headlines {
		if got, want := tiles[hl.Key].h, HeadlineFrom(hl); got != want {
			h.t.Errorf("%+v: tile %s shows %+v, want %+v", f, hl.Key, got, want)
		}
	}
	return d
}

// overlayShows reports whether the top dialog shows text.
func (h *harness) overlayShows(text string) bool { return textIn(h.overlayObjects(), text) }

// visibleText reports whether o shows text in a label that is visible
// with all its parents.
func visibleText(o fyne.CanvasObject, text string) bool {
	if o == nil || !o.Visible() {
		return false
	}
	switch x := o.(type) {
	case *widget.Label:
		return strings.Contains(x.Text, text)
	case *fyne.Container:
		for _, c := range x.Objects {
			if visibleText(c, text) {
				return true
			}
		}
		return false
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			if visibleText(c, text) {
				return true
			}
		}
	}
	return false
}

// drillRows are the cells of the drill-down's table in the top dialog.
func (h *harness) drillRows() [][]string {
	var out [][]string
	for _, o := range h.overlayObjects() {
		if tb, ok := o.(*widget.Table); ok {
			rows, cols := tb.Length()
			for r := 0; r < rows; r++ {
				var row []string
				for c := 0; c < cols; c++ {
					cell := tb.CreateCell()
					tb.UpdateCell(widget.TableCellID{Row: r, Col: c}, cell)
					row = append(row, cell.(*widget.Label).Text)
				}
				out = append(out, row)
			}
		}
	}
	return out
}

// saveTo makes the export buttons save to path.
func saveTo(t *testing.T, path string) {
	old := chooseSavePath
	chooseSavePath = func(_ fyne.Window, _ string, picked func(string)) { picked(path) }
	t.Cleanup(func() { chooseSavePath = old })
}

func TestDashboardTilesFiltersDrillAndExports(t *testing.T) {
	h, sid := dashboardHarness(t, "城关一小")
	fillThroughDomains(t, h, sid)
	h.showDashboard()
	term := metrics.TermOf(time.Now())

	// The tiles show what metrics computes.
	d := h.wantTiles(sid, metrics.Filter{Term: term})
	if v := h.tiles()[metrics.LessonsHosted].h.Value; v != 3 || metrics.Find(d.Headlines, metrics.LessonsReceived).Value != 1 {
		t.Fatalf("hosted tile %v", v)
	}
	if h.hasText(i18n.T("dashboard.empty", TermName(term))) {
		t.Error("a school with records is called empty")
	}
	if now := time.Now(); !h.hasText(i18n.T("dashboard.in_progress", term.WeekOf(now), len(term.Weeks()))) {
		t.Error("the term under way is not said to be under way")
	}
	if !h.hasText(i18n.T("dashboard.fresh.never")) || !h.hasText(i18n.T("dashboard.fresh.this_device")) {
		t.Error("the freshness card does not say this PC never synced")
	}

	// A filter changes them: 数学 has two lessons hosted, 数学 in 四年级 none.
	h.selectWith(i18n.T("dashboard.filter.all_subjects")).SetSelected("数学")
	h.settle()
	h.wantTiles(sid, metrics.Filter{Term: term, Subject: "数学"})
	if v := h.tiles()[metrics.LessonsHosted].h.Value; v != 2 {
		t.Fatalf("数学: hosted tile %v, want 2", v)
	}
	h.selectWith(i18n.T("library.grade.any")).SetSelected(gradeName(4))
	h.settle()
	h.wantTiles(sid, metrics.Filter{Term: term, Subject: "数学", Grade: 4})
	h.selectWith(i18n.T("dashboard.filter.all_subjects")).SetSelected(i18n.T("dashboard.filter.all_subjects"))
	h.settle()
	h.wantTiles(sid, metrics.Filter{Term: term, Grade: 4})
	if v := h.tiles()[metrics.LessonsHosted].h.Value; v != 1 {
		t.Fatalf("四年级: hosted tile %v, want 1", v)
	}
	h.selectWith(i18n.T("library.grade.any")).SetSelected(i18n.T("library.grade.any"))
	h.settle()
	prev := term.Prev()
	h.selectWith(TermName(prev)).SetSelected(TermName(prev))
	h.settle()
	h.wantTiles(sid, metrics.Filter{Term: prev})
	if v := h.tiles()[metrics.LessonsHosted].h.Value; v != 0 {
		t.Fatalf("last term: hosted tile %v, want 0", v)
	}
	h.selectWith(TermName(term)).SetSelected(TermName(term))
	h.settle()

	// Tapping a tile lists the records behind it.
	test.Tap(h.tiles()[metrics.LessonsHosted])
	h.settle()
	rows := h.drillRows()
	if !h.overlayShows(i18n.T("dashboard.drill.count", 3)) || len(rows) != 3 || rows[0][1] != "分数的初步认识" || rows[0][2] != "数学" ||
		rows[0][3] != gradeName(3) || !strings.HasPrefix(rows[0][5], i18n.T("dashboard.drill.role.host")) || rows[2][1] != "古诗三首" {
		t.Logf("rows %q", rows)
		t.Fatal("the drill-down of lessons hosted does not list the three lessons")
	}
	h.w.win.Canvas().Overlays().Top().Hide()
	test.Tap(h.tiles()[metrics.ResourcesOpened])
	h.settle()
	if rows := h.drillRows(); !h.overlayShows(i18n.T("dashboard.drill.count", 1)) || len(rows) != 1 || rows[0][1] != "分数的初步认识 课件" {
		t.Fatal("the drill-down of resources opened does not list the courseware")
	}
	h.w.win.Canvas().Overlays().Top().Hide()

	// Tapping a bar lists its subject's lessons, a week its week's.
	var bars *BarChart
	var weeks *TrendChart
	for _, o := range h.objects() {
		switch c := o.(type) {
		case *BarChart:
			if bars == nil {
				bars = c // by subject comes first
			}
		case *TrendChart:
			if c.style == TrendColumns {
				weeks = c
			}
		}
	}
	if bars == nil || weeks == nil || len(bars.items) != 3 || bars.items[0].Key != "数学" {
		t.Fatalf("charts: bars %v", bars)
	}
	bars.tap(0)
	h.settle()
	rows = h.drillRows()
	if len(rows) != 2 || rows[0][2] != "数学" || rows[1][2] != "数学" || !h.overlayShows("数学") {
		t.Fatalf("数学 bar drills to %q", rows)
	}
	h.w.win.Canvas().Overlays().Top().Hide()
	wk := term.WeekOf(time.Now())
	if len(weeks.items) != wk || weeks.items[wk-1].Value != 4 {
		t.Fatalf("weekly items %v, this week is %d", weeks.items, wk)
	}
	weeks.tap(wk - 1)
	h.settle()
	if rows := h.drillRows(); len(rows) != 4 || !h.overlayShows(WeekLabel(wk)) {
		t.Fatalf("this week drills to %q", rows)
	}
	h.w.win.Canvas().Overlays().Top().Hide()
	if wk > 1 {
		weeks.tap(0)
		h.settle()
		if rows := h.drillRows(); len(rows) != 0 || !h.overlayShows(i18n.T("dashboard.drill.empty")) {
			t.Fatalf("week 1 drills to %q", rows)
		}
		h.w.win.Canvas().Overlays().Top().Hide()
	}

	// 导出 Excel writes a workbook that reads back with the numbers.
	dir := t.TempDir()
	xlsx := filepath.Join(dir, "学校数据.xlsx")
	saveTo(t, xlsx)
	test.Tap(h.button(i18n.T("dashboard.export.xlsx")))
	h.settle()
	f, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err = f.GetRows("指标")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows {
		if len(r) > 2 && r[1] == IndicatorName(metrics.LessonsHosted) {
			found = r[2] == "3"
		}
	}
	if !found || !h.hasText(i18n.T("dashboard.export.done", xlsx)) {
		t.Fatalf("workbook rows %v", rows)
	}

	// 导出报告 writes the one-page report.
	pngPath := filepath.Join(dir, "报告.png")
	saveTo(t, pngPath)
	test.Tap(h.button(i18n.T("dashboard.export.report")))
	h.settle()
	pf, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	img, err := png.Decode(pf)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != ReportWidth || b.Dy() != ReportHeight {
		t.Fatalf("report %v", b)
	}
}

// TestDashboardEmptySchool: a fresh school shows clear empty states: no
// NaN, no 0/0, no rank, never synced.
func TestDashboardEmptySchool(t *testing.T) {
	h, _ := dashboardHarness(t, "新建学校")
	h.showDashboard()
	term := metrics.TermOf(time.Now())
	if !h.hasText(i18n.T("dashboard.empty", TermName(term))) {
		t.Error("no empty-state message")
	}
	for k, tile := range h.tiles() {
		s := tile.h.shown() + tile.h.targetLine()
		if strings.Contains(s, "NaN") || strings.Contains(s, "Inf") || strings.Contains(s, "0/0") {
			t.Errorf("%s shows %q", k, s)
		}
	}
	if h.tiles()[metrics.LessonRate].h.shown() != "–" {
		t.Errorf("课时达标率 with no classrooms shows %q", h.tiles()[metrics.LessonRate].h.shown())
	}
	if visibleText(h.w.win.Content(), i18n.T("dashboard.rank.title")) {
		t.Error("a rank card for a school that never synced")
	}
	if !h.hasText(i18n.T("dashboard.fresh.never")) {
		t.Error("the freshness card does not say never synced")
	}
	if !h.shows(i18n.T("dashboard.chart.empty")) {
		t.Error("empty charts do not say so")
	}
}

// TestDashboardRankFetchedThenCached: an enrolled school sees its rank from
// the district, and the cached one when the district cannot be reached.
func TestDashboardRankFetchedThenCached(t *testing.T) {
	srv, url := startDistrict(t)
	h, sid := dashboardHarness(t, "城关一小")
	ctx := context.Background()
	dsid, err := srv.DB().AddSchool(ctx, "城关一小", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := replica.Enrol(ctx, h.st, replica.EnrolOptions{Server: url, Code: newCode(t, srv, dsid), DeviceName: "校长办公室",
		Fingerprint: srv.Fingerprint()}); err != nil {
		t.Fatal(err)
	}
	sch, _, _ := h.sv.Current(ctx)
	if sch.ID != sid {
		sid = sch.ID // enrolment adopts the district's id for the school
	}
	fillThroughDomains(t, h, sid)
	rep, err := replica.Open(ctx, h.st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rep.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	h.w.refresh()
	h.showDashboard()
	ranked := i18n.T("dashboard.rank.value", 1, 1)
	if !visibleText(h.w.win.Content(), ranked) || h.hasText(i18n.T("dashboard.rank.cached")) {
		t.Fatal("the rank fetched from the district is not shown")
	}
	if h.hasText(i18n.T("dashboard.fresh.never")) {
		t.Error("freshness says never synced after a sync")
	}
	if !h.hasText("校长办公室") && !h.hasText(i18n.T("dashboard.fresh.this_device")) {
		t.Error("freshness lists no device")
	}
	if heading, _, _ := strings.Cut(i18n.T("dashboard.fresh.district", "\x00"), "\x00"); !h.hasText(heading) {
		t.Error("freshness does not list the devices' syncs as the district saw them")
	}

	stop, _ := stops.Load(srv)
	stop.(func())()
	h.showDashboard()
	if !visibleText(h.w.win.Content(), ranked) || !visibleText(h.w.win.Content(), i18n.T("dashboard.rank.cached")) {
		t.Fatal("the cached rank is not shown while the district is away")
	}
}

// TestDashboardScreenshot writes the dashboard and a drill-down in Chinese
// at 1280×800 on the sample school (a year of records) into $QIAO_SHOTS:
//
//	QIAO_SHOTS=$PWD/docs/screenshots go test -run TestDashboardScreenshot ./ui/
func TestDashboardScreenshot(t *testing.T) {
	h, dir := sampleShots(t)
	h.w.refresh()
	h.w.win.Resize(fyne.NewSize(1280, 800))
	h.showDashboard()
	shot(t, h, filepath.Join(dir, "dashboard-zh.png"), fyne.NewSize(1280, 800))
	test.Tap(h.tiles()[metrics.LessonsHosted])
	h.settle()
	shot(t, h, filepath.Join(dir, "dashboard-drill-zh.png"), fyne.NewSize(1280, 800))
	if os.Getenv("QIAO_SHOTS_TALL") != "" {
		h.w.win.Canvas().Overlays().Top().Hide()
		shot(t, h, filepath.Join(dir, "dashboard-tall.png"), fyne.NewSize(1280, 1700))
	}
}

// TestSchoolDataTabs: 学校数据 has the overview and the three pages for
// what the records do not know; a page opened again shows what changed
// meanwhile (here an inventory written by another window or a sync).
func TestSchoolDataTabs(t *testing.T) {
	h, id := dashboardHarness(t, "石桥镇中心小学")
	h.showDashboard()
	var tabs *container.AppTabs
	for _, o := range h.objects() {
		if at, ok := o.(*container.AppTabs); ok {
			tabs = at
		}
	}
	if tabs == nil || len(tabs.Items) != 4 {
		t.Fatalf("学校数据 tabs: %v", tabs)
	}
	for i, key := range []string{"dashboard.tab.overview", "schooldata.tab.inventory", "schooldata.tab.checklist", "schooldata.tab.targets"} {
		if tabs.Items[i].Text != i18n.T(key) {
			t.Fatalf("tab %d is %q, want %q", i, tabs.Items[i].Text, i18n.T(key))
		}
	}
	countShown := func() string {
		tabs.SelectIndex(1)
		h.settle()
		for _, o := range test.LaidOutObjects(tabs.Items[1].Content) {
			if e, ok := o.(*widget.Entry); ok && e.Text == "77" {
				return e.Text
			}
		}
		return ""
	}
	if countShown() != "" {
		t.Fatal("a count shows before any was entered")
	}
	if err := metrics.NewService(h.st, id).PutInventory(context.Background(), metrics.InventoryItem{Kind: metrics.TeacherTerminals, Count: 77}); err != nil {
		t.Fatal(err)
	}
	tabs.SelectIndex(0)
	h.settle()
	if countShown() != "77" {
		t.Fatal("the inventory tab opened again does not show the new count")
	}
}

// TestDrillDetailsInWords: the drill-down's detail column names kinds,
// states and schools in words, never by their codes or ids.
func TestDrillDetailsInWords(t *testing.T) {
	lead, unknown := store.NewID(), store.NewID()
	names := map[string]string{lead: "城关第一小学"}
	for _, c := range []struct {
		key  string
		it   metrics.Item
		want string
	}{
		{metrics.ResearchActivities, metrics.Item{Table: "research_activities", Detail: "lesson_prep 90min"},
			i18n.T("research.kind.lesson_prep") + " · " + i18n.T("dashboard.drill.minutes", 90)},
		{metrics.Outputs, metrics.Item{Table: "research_outputs", Detail: "lesson_plan accepted"},
			outputKindName("lesson_plan") + " · " + i18n.T("research.state.accepted")},
		{metrics.RemoteServed, metrics.Item{Table: "classroom_lessons", Detail: lead + "," + unknown},
			"城关第一小学、" + shortID(unknown)},
		{metrics.RemoteReached, metrics.Item{Table: "classroom_lessons", Detail: lead}, "城关第一小学"},
	} {
		if got := drillCell(c.key, c.it, "detail", "", names); got != c.want {
			t.Errorf("%s: detail %q, want %q", c.key, got, c.want)
		}
	}
}
