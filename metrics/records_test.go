package metrics

import (
	"bytes"
	"errors"
	"testing"

	"github.com/xuri/excelize/v2"

	"qiao/sheet"
	"qiao/store"
)

func TestTargetsPerStage(t *testing.T) {
	st := openStore(t)
	if err := SetTarget(ctx, st, Target{Stage: Junior, Indicator: LessonsPerClassroom, Value: 50}); err != nil {
		t.Fatal(err)
	}
	if err := SetTarget(ctx, st, Target{Indicator: SubjectsPerClassroom, Value: 4}); err != nil {
		t.Fatal(err)
	}
	// Setting again changes the one row.
	if err := SetTarget(ctx, st, Target{Stage: Junior, Indicator: LessonsPerClassroom, Value: 60}); err != nil {
		t.Fatal(err)
	}
	j, err := LoadTargets(ctx, st.DB, Junior)
	if err != nil {
		t.Fatal(err)
	}
	p, err := LoadTargets(ctx, st.DB, Primary)
	if err != nil {
		t.Fatal(err)
	}
	if j[LessonsPerClassroom] != 60 || j[SubjectsPerClassroom] != 4 || p[LessonsPerClassroom] != 96 || p[SubjectsPerClassroom] != 4 {
		t.Errorf("初中 %v, 小学 %v", j, p)
	}
	if _, ok := p[ResourcesOpened]; ok {
		t.Errorf("resources opened has a target by default")
	}
	for _, bad := range []Target{{Stage: "大学", Indicator: LessonRate}, {Indicator: "nonsense"}, {Indicator: LessonRate, Value: -1}} {
		if err := SetTarget(ctx, st, bad); !errors.Is(err, ErrTarget) {
			t.Errorf("SetTarget(%+v) = %v", bad, err)
		}
	}
	// Clearing the all-stages subjects target brings the default back;
	// clearing one never set changes nothing.
	if err := ClearTarget(ctx, st, "", SubjectsPerClassroom); err != nil {
		t.Fatal(err)
	}
	if err := ClearTarget(ctx, st, Senior, SubjectsPerClassroom); err != nil {
		t.Fatal(err)
	}
	if err := ClearTarget(ctx, st, "大学", SubjectsPerClassroom); !errors.Is(err, ErrTarget) {
		t.Errorf("clearing a bad stage: %v", err)
	}
	if p, _ = LoadTargets(ctx, st.DB, Primary); p[SubjectsPerClassroom] != 3 {
		t.Errorf("after clearing, 小学 subjects %d, want the default 3", p[SubjectsPerClassroom])
	}
	if err := SetTarget(ctx, st, Target{Indicator: SubjectsPerClassroom, Value: 4}); err != nil {
		t.Fatal(err)
	}

	// A junior school (grade 8) is held to 60 lessons per room: 2 lessons
	// in 1 room fall short, and a target of 2 is met.
	school := store.NewID()
	tm := Term{2025, Autumn}
	attendance(t, st, school, store.NewID(), "host", school, "数学", 8, china(2025, 10, 1, 9, 0), 2400)
	attendance(t, st, school, store.NewID(), "host", school, "数学", 8, china(2025, 10, 2, 9, 0), 2400)
	d, err := Build(ctx, st.DB, school, Filter{Term: tm})
	if err != nil {
		t.Fatal(err)
	}
	h := Find(d.Headlines, LessonsPerClassroom)
	if d.Stage != Junior || h.Value != 2 || h.Target != 60 || h.OK {
		t.Errorf("stage %q, %+v", d.Stage, h)
	}
	wantHeadline(t, d.Headlines, LessonRate, 200.0/60, true, false)
	wantHeadline(t, d.Headlines, SubjectRate, 25, true, false)
	// No target: never green, never red.
	if h := Find(d.Headlines, LessonsHosted); h.HasTarget || h.OK {
		t.Errorf("hosted %+v", h)
	}
	if err := SetTarget(ctx, st, Target{Stage: Junior, Indicator: LessonsPerClassroom, Value: 2}); err != nil {
		t.Fatal(err)
	}
	d, _ = Build(ctx, st.DB, school, Filter{Term: tm})
	wantHeadline(t, d.Headlines, LessonsPerClassroom, 2, true, true)
	wantHeadline(t, d.Headlines, LessonRate, 100, true, true)
	// A grade filter of another stage takes that stage's targets.
	d, _ = Build(ctx, st.DB, school, Filter{Term: tm, Grade: 3})
	if d.Stage != Primary || Find(d.Headlines, LessonsPerClassroom).Target != 96 {
		t.Errorf("grade 3: stage %q %+v", d.Stage, Find(d.Headlines, LessonsPerClassroom))
	}
	// The roll-up gives the dashboard's numbers.
	hs, err := SchoolHeadlines(ctx, st.DB, []string{school, store.NewID()}, Filter{Term: tm})
	if err != nil {
		t.Fatal(err)
	}
	d, _ = Build(ctx, st.DB, school, Filter{Term: tm})
	for i, h := range hs[school] {
		if h != d.Headlines[i] {
			t.Errorf("roll-up %+v, dashboard %+v", h, d.Headlines[i])
		}
	}
}

func xlsx(t *testing.T, rows ...[]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestInventoryImport(t *testing.T) {
	st := openStore(t)
	school := store.NewID()
	s := NewService(st, school)
	good := xlsx(t, []any{"项目", "数量", "备注"}, []any{"教师终端", 80, "2025 年配齐"}, []any{"学生终端", 600}, []any{"教师人数", 100},
		[]any{"学生人数", 1200}, []any{"多媒体教室", 24})
	items, err := s.ImportInventory(ctx, "设备.xlsx", good)
	if err != nil || len(items) != 5 {
		t.Fatalf("import: %v %v", items, err)
	}
	inv, err := s.Inventory(ctx)
	if err != nil || inv[TeacherTerminals] != 80 || inv[PupilCount] != 1200 || inv.Has(SmartClassrooms) {
		t.Fatalf("inventory %v %v", inv, err)
	}
	d, err := Build(ctx, st.DB, school, Filter{Term: Term{2025, Autumn}})
	if err != nil {
		t.Fatal(err)
	}
	wantHeadline(t, d.Headlines, TeacherTerminals100, 80, true, false)
	wantHeadline(t, d.Headlines, PupilTerminals100, 50, true, false)
	wantHeadline(t, d.Headlines, MultimediaRooms, 24, true, false)

	// A bad sheet is refused whole: every problem named, nothing changed.
	bad := xlsx(t, []any{"项目", "数量"}, []any{"教师终端", 90}, []any{"投影仪", 3}, []any{"学生终端", "很多"},
		[]any{"教师终端", 5}, []any{"", 1}, []any{"学生人数", -3})
	_, err = s.ImportInventory(ctx, "设备.xlsx", bad)
	var ie *sheet.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("bad sheet: %v", err)
	}
	want := []struct {
		row  int
		code string
	}{{3, ProblemBadKind}, {4, ProblemBadCount}, {5, "duplicate_id"}, {6, "empty"}, {7, ProblemBadCount}}
	if len(ie.Problems) != len(want) {
		t.Fatalf("problems %+v", ie.Problems)
	}
	for i, w := range want {
		if p := ie.Problems[i]; p.Row != w.row || p.Code != w.code {
			t.Errorf("problem %d = %+v, want row %d %s", i, p, w.row, w.code)
		}
	}
	if inv, _ := s.Inventory(ctx); inv[TeacherTerminals] != 80 {
		t.Errorf("a refused sheet changed the inventory: %v", inv)
	}
	for name, data := range map[string][]byte{
		"no column": xlsx(t, []any{"项目", "备注"}, []any{"教师终端", "x"}),
		"no rows":   xlsx(t, []any{"项目", "数量"}),
		"garbage":   []byte("not a workbook"),
	} {
		if _, err := ReadInventory("x.xlsx", data); !errors.As(err, &ie) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if drill, err := Drill(ctx, st.DB, school, Filter{Term: Term{2025, Autumn}}, MultimediaRooms); err != nil || len(drill) != 5 {
		t.Errorf("drill %+v %v", drill, err)
	}
	// The school's id changes when it joins the district: its rows keep
	// their ids, and entering a kind again changes the same row.
	joined := store.NewID()
	if err := st.Update(ctx, func(tx *store.Tx) error { return tx.Rekey(school, joined) }); err != nil {
		t.Fatal(err)
	}
	s = NewService(st, joined)
	if err := s.PutInventory(ctx, InventoryItem{Kind: PupilCount, Count: 1300}); err != nil {
		t.Fatal(err)
	}
	var rows int
	st.DB.QueryRow(`SELECT count(*) FROM school_inventory WHERE kind = ?`, PupilCount).Scan(&rows)
	if inv, _ := s.Inventory(ctx); inv[PupilCount] != 1300 || rows != 1 {
		t.Errorf("after rekey: %v, %d rows", inv, rows)
	}
	if err := s.PutInventory(ctx, InventoryItem{Kind: "robots", Count: 1}); !errors.Is(err, ErrInventory) {
		t.Errorf("unknown kind: %v", err)
	}
	if err := s.DeleteInventory(ctx, TeacherTerminals); err != nil {
		t.Fatal(err)
	}
	if inv, _ := s.Inventory(ctx); inv.Has(TeacherTerminals) {
		t.Errorf("deleted kind still there: %v", inv)
	}
}

func TestChecklist(t *testing.T) {
	st := openStore(t)
	school := store.NewID()
	s := NewService(st, school)
	tm := Term{2025, Autumn}
	c, err := s.Checklist(ctx, tm)
	if err != nil || c.MaxPoints != 100 || c.Points != 0 || len(c.Entries) != len(DefaultChecklist) {
		t.Fatalf("default checklist %+v %v", c, err)
	}
	own, err := s.PutItem(ctx, ChecklistItem{Section: "特色", Title: "开设人工智能课程", MaxPoints: 20, Position: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Score(ctx, tm, DefaultChecklist[0].ID, 8, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Score(ctx, tm, own.ID, 20, "已开设"); err != nil {
		t.Fatal(err)
	}
	if err := s.Score(ctx, tm, own.ID, 21, ""); !errors.Is(err, ErrChecklistPoints) {
		t.Errorf("21 of 20: %v", err)
	}
	if err := s.Score(ctx, tm, store.NewID(), 1, ""); !errors.Is(err, ErrNoItem) {
		t.Errorf("unknown item: %v", err)
	}
	c, _ = s.Checklist(ctx, tm)
	if c.Points != 28 || c.MaxPoints != 120 || !near(c.Percent(), 28.0/120*100) {
		t.Errorf("checklist %d of %d", c.Points, c.MaxPoints)
	}
	if next, _ := s.Checklist(ctx, tm.Next()); next.Points != 0 {
		t.Errorf("next term has points %d", next.Points)
	}
	// The district's first item joins the built-in ones, which become the
	// district's own (the school's points on them stay); then the district
	// can take a built-in item out.
	if _, err := PutDistrictItem(ctx, st, ChecklistItem{Title: "网络", MaxPoints: 50}); err != nil {
		t.Fatal(err)
	}
	c, _ = s.Checklist(ctx, tm)
	if c.MaxPoints != 170 || c.Points != 28 || len(c.Entries) != len(DefaultChecklist)+2 {
		t.Errorf("with a district item: %d of %d in %d items", c.Points, c.MaxPoints, len(c.Entries))
	}
	d, _ := Build(ctx, st.DB, school, Filter{Term: tm})
	wantHeadline(t, d.Headlines, ChecklistScore, 28.0/170*100, true, false)
	if err := NewService(st, "").DeleteItem(ctx, DefaultChecklist[1].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteItem(ctx, own.ID); err != nil {
		t.Fatal(err)
	}
	if c, _ = s.Checklist(ctx, tm); c.MaxPoints != 140 || c.Points != 8 {
		t.Errorf("after deletes: %d of %d", c.Points, c.MaxPoints)
	}
	if _, err := s.PutItem(ctx, ChecklistItem{Title: " ", MaxPoints: 5}); !errors.Is(err, ErrChecklistItem) {
		t.Errorf("empty title: %v", err)
	}
}

func TestFreshness(t *testing.T) {
	st, other := openStore(t), openStore(t)
	school := store.NewID()
	attendance(t, st, school, store.NewID(), "host", school, "数学", 3, china(2025, 10, 1, 9, 0), 60)
	attendance(t, other, school, store.NewID(), "host", school, "数学", 3, china(2025, 10, 1, 9, 0), 60)
	copyChanges(t, other, st)
	f, err := ReadFreshness(ctx, st, school, SyncState{Pending: 1})
	if err != nil {
		t.Fatal(err)
	}
	// This device never synced: its change waits.
	if !f.NeverSynced || !f.LastSync.IsZero() || f.Pending != 1 || len(f.Devices) != 2 {
		t.Fatalf("%+v", f)
	}
	for _, d := range f.Devices {
		if d.Rows != 1 || d.Last.IsZero() || (d.Device != st.Device && d.Device != other.Device) {
			t.Errorf("device %+v", d)
		}
	}
}
