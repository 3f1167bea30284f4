package ui

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"qiao/i18n"
	"qiao/metrics"
	"qiao/research"
	"qiao/school"
)

// schoolDataHarness is a main window on a real store with its own school
// (not enrolled: a school's device) and the school's metrics service.
func schoolDataHarness(t *testing.T) (*harness, *metrics.Service) {
	t.Helper()
	h := newHarness(t, t.TempDir())
	s, err := h.sv.Save(context.Background(), school.School{Name: "城关一小"})
	if err != nil {
		t.Fatal(err)
	}
	return h, metrics.NewService(h.st, s.ID)
}

// show puts a tab's content in the window and runs its background work.
func (h *harness) showTab(o fyne.CanvasObject) {
	h.w.win.SetContent(o)
	h.settle()
}

func (p *inventoryPage) row(kind string) *invRow {
	for _, r := range p.rows {
		if r.kind == kind {
			return r
		}
	}
	return nil
}

func inventorySheet(t *testing.T, items ...metrics.InventoryItem) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := metrics.WriteInventoryTemplate(&buf, items...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSchoolDataKindsAreTranslated(t *testing.T) {
	for _, lang := range i18n.Languages {
		i18n.Use(lang)
		for _, k := range metrics.InventoryKinds {
			if key := "schooldata.kind." + k.Kind; i18n.T(key) == key {
				t.Errorf("%s: %q missing", lang, key)
			}
		}
	}
	i18n.Use(i18n.Chinese)
}

func TestInventoryEditInPlace(t *testing.T) {
	h, svc := schoolDataHarness(t)
	ctx := context.Background()
	// Two teachers on the research roster: what the records know.
	sch, _, _ := h.sv.Current(ctx)
	if _, _, err := research.New(h.st, sch.ID).ImportTeachers(ctx, []research.Teacher{{Name: "王芳"}, {Name: "李强"}}); err != nil {
		t.Fatal(err)
	}
	p := h.w.newInventoryPage()
	h.showTab(p.box)
	if !strings.Contains(p.known.Text, i18n.T("schooldata.inventory.known", 2, 0)) {
		t.Errorf("known: %q", p.known.Text)
	}
	r := p.row(metrics.TeacherTerminals)
	if r.state.Text != i18n.T("schooldata.inventory.not_entered") || !r.del.Disabled() {
		t.Errorf("a kind not entered: state %q, delete enabled %v", r.state.Text, !r.del.Disabled())
	}

	// Bad input is refused with the message; nothing is written.
	for _, bad := range []string{"-3", "12.5", "很多", "", "1000001"} {
		test.Type(r.count, "x") // focus, then replace
		r.count.SetText(bad)
		test.Tap(r.save)
		h.settle()
		if r.state.Text != i18n.T("schooldata.inventory.err_count") || !p.msg.Visible() ||
			p.msg.Text != i18n.T("schooldata.inventory.err_count_long", i18n.T("schooldata.kind.teacher_terminals"), strings.TrimSpace(bad)) {
			t.Errorf("%q: state %q, message %q", bad, r.state.Text, p.msg.Text)
		}
		if inv, err := svc.Inventory(ctx); err != nil || inv.Has(metrics.TeacherTerminals) {
			t.Fatalf("%q was written: %v %v", bad, inv, err)
		}
	}

	// A good count is saved, with its note.
	r.count.SetText(" 120 ")
	r.note.SetText("2025 年配齐")
	test.Tap(r.save)
	h.settle()
	items, err := svc.InventoryItems(ctx)
	if err != nil || len(items) != 1 || items[0] != (metrics.InventoryItem{Kind: metrics.TeacherTerminals, Count: 120, Note: "2025 年配齐"}) {
		t.Fatalf("saved %+v %v", items, err)
	}
	if r.count.Text != "120" || r.state.Text != "" || r.del.Disabled() ||
		p.msg.Text != i18n.T("schooldata.inventory.saved", i18n.T("schooldata.kind.teacher_terminals"), 120) {
		t.Errorf("after saving: count %q, state %q, message %q", r.count.Text, r.state.Text, p.msg.Text)
	}

	// Entering the teachers overrides the roster; deleting it goes back.
	tr := p.row(metrics.TeacherCount)
	tr.count.SetText("80")
	test.Tap(tr.save)
	h.settle()
	if inv, _ := svc.Inventory(ctx); inv[metrics.TeacherCount] != 80 {
		t.Errorf("teachers: %v", inv)
	}
	p.remove(metrics.TeacherCount) // what the confirmed delete does
	h.settle()
	if inv, _ := svc.Inventory(ctx); inv.Has(metrics.TeacherCount) || inv[metrics.TeacherTerminals] != 120 {
		t.Errorf("after delete: %v", inv)
	}
	if tr.count.Text != "" || tr.state.Text != i18n.T("schooldata.inventory.not_entered") {
		t.Errorf("deleted row: %q %q", tr.count.Text, tr.state.Text)
	}
}

func TestInventoryImportIsAllOrNothing(t *testing.T) {
	h, svc := schoolDataHarness(t)
	ctx := context.Background()
	p := h.w.newInventoryPage()
	h.showTab(p.box)
	good := []metrics.InventoryItem{{Kind: metrics.TeacherTerminals, Count: 90, Note: "含备用"},
		{Kind: metrics.PupilTerminals, Count: 600}, {Kind: metrics.MultimediaCount, Count: 24},
		{Kind: metrics.SmartClassrooms, Count: 3}, {Kind: metrics.TeacherCount, Count: 100}, {Kind: metrics.PupilCount, Count: 1200}}
	p.importSheet("设备清单.xlsx", inventorySheet(t, good...))
	h.settle()
	items, err := svc.InventoryItems(ctx)
	if err != nil || fmt.Sprint(items) != fmt.Sprint(good) {
		t.Fatalf("imported %+v %v", items, err)
	}
	if p.row(metrics.PupilCount).count.Text != "1200" || !strings.Contains(p.msg.Text, "设备清单.xlsx") || p.problems != nil {
		t.Errorf("after import: %q, message %q, problems %v", p.row(metrics.PupilCount).count.Text, p.msg.Text, p.problems)
	}

	// A sheet with blank counts (the template as downloaded, one filled
	// in) is refused whole: every problem by row and column, nothing changed.
	bad := inventorySheet(t, metrics.InventoryItem{Kind: metrics.TeacherTerminals, Count: 5})
	p.importSheet("设备清单（空）.xlsx", bad)
	h.settle()
	if len(p.problems) != len(metrics.InventoryKinds)-1 {
		t.Fatalf("problems %q", p.problems)
	}
	for i, pr := range p.problems {
		want := i18n.T("placement.where.row_col", i+3, "B（数量）") + i18n.T("problem.empty")
		if pr != want {
			t.Errorf("problem %d = %q, want %q", i, pr, want)
		}
	}
	if !h.shows(i18n.T("schooldata.inventory.refused", "设备清单（空）.xlsx", len(p.problems))) || !h.shows(p.problems[0]) {
		t.Error("the refused import's problems are not on screen")
	}
	if items, _ := svc.InventoryItems(ctx); fmt.Sprint(items) != fmt.Sprint(good) {
		t.Errorf("a refused sheet changed the inventory: %+v", items)
	}
	test.Tap(h.button(i18n.T("research.back")))
	if !h.shows(i18n.T("schooldata.inventory.intro")) {
		t.Error("back does not return to the form")
	}
}

func TestChecklistScoreChangesTotal(t *testing.T) {
	h, svc := schoolDataHarness(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, metrics.China)
	term := metrics.TermOf(now)
	p := h.w.newChecklistPage(now)
	h.showTab(p.content())
	if p.pick.Selected != TermName(term) || len(p.pick.Options) != checklistTerms || p.pick.Options[1] != TermName(term.Prev()) {
		t.Errorf("terms %q, selected %q", p.pick.Options, p.pick.Selected)
	}
	if want := i18n.T("schooldata.checklist.total", 0, 100, "0.0"); p.total.Text != want {
		t.Errorf("total %q, want %q", p.total.Text, want)
	}
	first := metrics.DefaultChecklist[0]
	r := p.rows[first.ID]
	if r == nil || r.state.Text != i18n.T("schooldata.checklist.not_scored") {
		t.Fatalf("row of %q: %+v", first.Title, r)
	}
	// A school device: the district's (built-in) items have no edit or delete.
	if h.countButtons(i18n.T("schooldata.edit")) != 0 || p.forDistrict.Visible() {
		t.Error("district items editable on a school device")
	}

	// Beyond the maximum: refused with the message, nothing written.
	r.points.SetText("11")
	test.Tap(r.save)
	h.settle()
	if r.state.Text != i18n.T("schooldata.checklist.err_points_short", first.MaxPoints) ||
		p.msg.Text != i18n.T("schooldata.checklist.err_points", first.Title, first.MaxPoints) {
		t.Errorf("11 of 10: state %q, message %q", r.state.Text, p.msg.Text)
	}
	if c, _ := svc.Checklist(ctx, term); c.Points != 0 {
		t.Errorf("a refused score was written: %d", c.Points)
	}

	p.rows[first.ID].points.SetText("8")
	p.rows[first.ID].note.SetText("主楼已覆盖")
	test.Tap(p.rows[first.ID].save)
	h.settle()
	if want := i18n.T("schooldata.checklist.total", 8, 100, "8.0"); p.total.Text != want {
		t.Errorf("total %q, want %q", p.total.Text, want)
	}
	if e := p.rows[first.ID]; e.points.Text != "8" || e.note.Text != "主楼已覆盖" {
		t.Errorf("scored row shows %q %q", e.points.Text, e.note.Text)
	}

	// The school's own item: added, scored, changed, deleted.
	p.section.SetText("特色应用")
	p.title.SetText("")
	p.most.SetText("20")
	test.Tap(h.button(i18n.T("schooldata.checklist.add")))
	h.settle()
	if p.msg.Text != i18n.T("schooldata.checklist.err_title") {
		t.Errorf("no title: %q", p.msg.Text)
	}
	p.title.SetText("建成录播教室")
	test.Tap(h.button(i18n.T("schooldata.checklist.add")))
	h.settle()
	c, _ := svc.Checklist(ctx, term)
	own := c.Entries[len(c.Entries)-1].Item
	if own.Title != "建成录播教室" || own.SchoolID == "" || c.MaxPoints != 120 || !h.shows(i18n.T("schooldata.checklist.own", own.Title)) {
		t.Fatalf("own item %+v, max %d", own, c.MaxPoints)
	}
	if h.countButtons(i18n.T("schooldata.edit")) != 1 {
		t.Errorf("edit buttons: %d, want 1 (the school's own item)", h.countButtons(i18n.T("schooldata.edit")))
	}
	p.rows[own.ID].points.SetText("20")
	test.Tap(p.rows[own.ID].save)
	h.settle()
	if want := i18n.T("schooldata.checklist.total", 28, 120, "23.3"); p.total.Text != want {
		t.Errorf("total %q, want %q", p.total.Text, want)
	}
	own.MaxPoints = 10
	p.edit(svc, own) // what the edit dialog's save does
	h.settle()
	if want := i18n.T("schooldata.checklist.total", 18, 110, "16.4"); p.total.Text != want {
		t.Errorf("after lowering the maximum: %q, want %q", p.total.Text, want)
	}

	// An earlier term has its own scores.
	p.pick.SetSelectedIndex(1)
	h.settle()
	if want := i18n.T("schooldata.checklist.total", 0, 110, "0.0"); p.total.Text != want || p.term != term.Prev() {
		t.Errorf("earlier term: %q, want %q", p.total.Text, want)
	}
	p.pick.SetSelectedIndex(0)
	h.settle()
	p.remove(own)
	h.settle()
	if want := i18n.T("schooldata.checklist.total", 8, 100, "8.0"); p.total.Text != want {
		t.Errorf("after deleting the own item: %q, want %q", p.total.Text, want)
	}
}

func TestTargetsShowDefaultsAndTheDistricts(t *testing.T) {
	h, _ := schoolDataHarness(t)
	p := h.w.newTargetsPage()
	h.showTab(p.content())
	cell := func(key string, stage int) string {
		for i, k := range p.keys {
			if k == key {
				return p.cells[i][stage].Text
			}
		}
		t.Fatalf("no row for %s", key)
		return ""
	}
	for _, k := range p.keys { // named in words, never by a translation key
		if name := targetName(k); name == "" || strings.Contains(name, ".") || !h.hasText(name) {
			t.Errorf("target %s is shown as %q", k, name)
		}
	}
	def := i18n.T("schooldata.targets.from_default")
	for s := range sdStages {
		if got, want := cell(metrics.SubjectsPerClassroom, s), i18n.T("schooldata.targets.cell", "3", def); got != want {
			t.Errorf("subjects, stage %d: %q, want %q", s, got, want)
		}
		if got, want := cell(metrics.LessonsPerClassroom, s), i18n.T("schooldata.targets.cell", "96", def); got != want {
			t.Errorf("lessons, stage %d: %q, want %q", s, got, want)
		}
	}
	if got := cell(metrics.CreditsPerTeacher, 0); got != i18n.T("schooldata.targets.cell", "5.00", def) {
		t.Errorf("credits: %q", got)
	}
	if p.form.Visible() || p.note.Text != i18n.T("schooldata.targets.note_school") {
		t.Error("targets editable on a school device")
	}
	// Targets the district set (as sync brings them) say so.
	for _, tg := range []metrics.Target{{Stage: metrics.Junior, Indicator: metrics.LessonsPerClassroom, Value: 60},
		{Indicator: metrics.SubjectsPerClassroom, Value: 4}} {
		if err := metrics.SetTarget(context.Background(), h.st, tg); err != nil {
			t.Fatal(err)
		}
	}
	p.reload()
	h.settle()
	if got := cell(metrics.LessonsPerClassroom, 1); got != i18n.T("schooldata.targets.cell", "60", i18n.T("schooldata.targets.from_district")) {
		t.Errorf("初中 lessons: %q", got)
	}
	if got := cell(metrics.LessonsPerClassroom, 0); got != i18n.T("schooldata.targets.cell", "96", def) {
		t.Errorf("小学 lessons: %q", got)
	}
	if got := cell(metrics.SubjectsPerClassroom, 2); got != i18n.T("schooldata.targets.cell", "4", i18n.T("schooldata.targets.from_district_all")) {
		t.Errorf("高中 subjects: %q", got)
	}
}

func TestParseTarget(t *testing.T) {
	for _, c := range []struct {
		key, text string
		want      int64
		ok        bool
	}{
		{metrics.LessonsPerClassroom, " 96 ", 96, true}, {metrics.Participation, "80%", 80, true},
		{metrics.LessonsPerClassroom, "9.5", 0, false}, {metrics.LessonsPerClassroom, "-1", 0, false},
		{metrics.CreditsPerTeacher, "4.5", 450, true}, {metrics.CreditsPerTeacher, "5", 500, true},
		{metrics.CreditsPerTeacher, "0.29", 29, true}, {metrics.CreditsPerTeacher, "1.234", 0, false},
		{metrics.CreditsPerTeacher, "-2", 0, false}, {metrics.CreditsPerTeacher, "NaN", 0, false},
	} {
		if got, ok := parseTarget(c.key, c.text); got != c.want || ok != c.ok {
			t.Errorf("parseTarget(%s, %q) = %d %v, want %d %v", c.key, c.text, got, ok, c.want, c.ok)
		}
	}
}

// TestDistrictAdminSetsTargetsAndItems: on a district administrator's
// device the targets and the district's checklist items are editable; what
// it sets reaches a school's device through a real district server.
func TestDistrictAdminSetsTargetsAndItems(t *testing.T) {
	srv, url := startDistrict(t)
	ctx := context.Background()
	rep, st, files := adminDevice(t, srv, url)
	admin := &harness{t: t, st: st, sv: school.NewService(st), app: test.NewTempApp(t)}
	admin.w = newWindow(admin.app, Deps{Store: st, Schools: admin.sv, Files: files, Version: "test"})
	admin.w.win.Resize(fyne.NewSize(1100, 700))

	p := admin.w.newTargetsPage()
	admin.showTab(p.content())
	if !p.form.Visible() || p.note.Text != i18n.T("schooldata.targets.note_admin") {
		t.Fatal("targets not editable on a district administrator's device")
	}
	p.stage.SetSelectedIndex(2) // 初中
	p.indicator.SetSelectedIndex(indexOf(p.keys, metrics.LessonsPerClassroom))
	p.value.SetText("九十")
	p.save()
	admin.settle()
	if p.msg.Text != i18n.T("schooldata.targets.err_value") {
		t.Errorf("bad value: %q", p.msg.Text)
	}
	p.value.SetText("80")
	test.Tap(admin.button(i18n.T("schooldata.save")))
	admin.settle()
	if tg, _ := metrics.LoadTargets(ctx, st.DB, metrics.Junior); tg[metrics.LessonsPerClassroom] != 80 {
		t.Fatalf("target not set: %v (%q)", tg, p.msg.Text)
	}
	// 恢复默认 takes a district target away again (here one for 高中).
	p.stage.SetSelectedIndex(3)
	p.value.SetText("70")
	p.save()
	admin.settle()
	if tg, _ := metrics.LoadTargets(ctx, st.DB, metrics.Senior); tg[metrics.LessonsPerClassroom] != 70 {
		t.Fatalf("高中 target not set: %v (%q)", tg, p.msg.Text)
	}
	test.Tap(admin.button(i18n.T("schooldata.targets.clear")))
	admin.settle()
	if tg, _ := metrics.LoadTargets(ctx, st.DB, metrics.Senior); tg[metrics.LessonsPerClassroom] != 96 {
		t.Fatalf("after 恢复默认, 高中 lessons %d, want the default 96 (%q)", tg[metrics.LessonsPerClassroom], p.msg.Text)
	}

	c := admin.w.newChecklistPage(time.Now())
	admin.showTab(c.content())
	builtIn := len(metrics.DefaultChecklist)
	if !c.forDistrict.Visible() || admin.countButtons(i18n.T("schooldata.edit")) != builtIn {
		t.Error("admin: the district tick is hidden, or the built-in items are not the district's to edit")
	}
	c.title.SetText("区县统一：接入教育专网")
	c.most.SetText("10")
	c.forDistrict.SetChecked(true)
	test.Tap(admin.button(i18n.T("schooldata.checklist.add")))
	admin.settle()
	if admin.countButtons(i18n.T("schooldata.edit")) != builtIn+1 {
		t.Errorf("the district item is not editable on the admin's device: %q", c.msg.Text)
	}
	if _, err := rep.Sync(ctx); err != nil {
		t.Fatal(err)
	}

	// A school's device, enrolled and synced, shows both read-only.
	h, _ := schoolDataHarness(t)
	h.enrolSynced(srv, url, "城关一小", "校长室")
	sp := h.w.newTargetsPage()
	h.showTab(sp.content())
	want := i18n.T("schooldata.targets.cell", "80", i18n.T("schooldata.targets.from_district"))
	if got := sp.cells[indexOf(sp.keys, metrics.LessonsPerClassroom)][1].Text; got != want || sp.form.Visible() {
		t.Errorf("school device: 初中 lessons %q (want %q), form visible %v", got, want, sp.form.Visible())
	}
	sc := h.w.newChecklistPage(time.Now())
	h.showTab(sc.content())
	if !h.shows("区县统一：接入教育专网") || h.countButtons(i18n.T("schooldata.edit")) != 0 || len(sc.current.Entries) != builtIn+1 {
		t.Errorf("school device: district items %+v, editable %d", sc.current.Entries, h.countButtons(i18n.T("schooldata.edit")))
	}
}

// TestSchoolDataScreenshots writes the inventory and the checklist tabs in
// Chinese at 1100×700 into $QIAO_SHOTS:
//
//	QIAO_SHOTS=$PWD/docs/screenshots go test -run TestSchoolDataScreenshots ./ui/
func TestSchoolDataScreenshots(t *testing.T) {
	h, dir := sampleShots(t)
	ctx := context.Background()
	sch, _, _ := h.sv.Current(ctx)
	svc := metrics.NewService(h.st, sch.ID)
	if err := svc.PutInventory(ctx, metrics.InventoryItem{Kind: metrics.TeacherTerminals, Count: 86, Note: "2025 年更新 20 台"},
		metrics.InventoryItem{Kind: metrics.MultimediaCount, Count: 24}, metrics.InventoryItem{Kind: metrics.SmartClassrooms, Count: 2, Note: "同步课堂主讲教室"},
		metrics.InventoryItem{Kind: metrics.PupilCount, Count: 1180}); err != nil {
		t.Fatal(err)
	}
	p := h.w.newInventoryPage()
	h.showTab(p.box)
	r := p.row(metrics.PupilTerminals)
	r.count.SetText("很多")
	test.Tap(r.save)
	h.settle()
	shot(t, h, filepath.Join(dir, "schooldata-inventory-zh.png"), fyne.NewSize(1100, 700))

	term := metrics.TermOf(time.Now())
	for i, pts := range []int64{10, 8, 9, 6, 12, 15} {
		if err := svc.Score(ctx, term, metrics.DefaultChecklist[i].ID, pts, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.PutItem(ctx, metrics.ChecklistItem{Section: "特色应用", Title: "建成录播教室并常态使用", MaxPoints: 10, Position: 1}); err != nil {
		t.Fatal(err)
	}
	c := h.w.newChecklistPage(time.Now())
	h.showTab(c.content())
	row := c.rows[metrics.DefaultChecklist[6].ID]
	row.points.SetText("12")
	test.Tap(row.save)
	h.settle()
	shot(t, h, filepath.Join(dir, "schooldata-checklist-zh.png"), fyne.NewSize(1100, 700))
}

// sampleShots is a window on the sample school for a screenshot test, and
// the folder $QIAO_SHOTS the screenshots go to; without it the test is
// skipped.
func sampleShots(t *testing.T) (*harness, string) {
	dir := os.Getenv("QIAO_SHOTS")
	if dir == "" {
		t.Skip("QIAO_SHOTS not set")
	}
	h := newHarness(t, t.TempDir())
	if err := h.w.deps.UseSample(context.Background()); err != nil {
		t.Fatal(err)
	}
	return h, dir
}

// shot writes the window at size as a PNG.
func shot(t *testing.T, h *harness, path string, size fyne.Size) {
	t.Helper()
	h.w.win.Resize(size.SubtractWidthHeight(100, 100)) // a change of size lays the window out again
	h.w.win.Resize(size)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, h.w.win.Canvas().Capture()); err != nil {
		t.Fatal(err)
	}
}
