package metrics

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"

	"qiao/store"
)

// TestWriteXLSXReadsBack writes a school's dashboard and reads the workbook
// back: every headline with its value and target, the weeks summing to the
// term, the subjects, the grades and the checklist.
func TestWriteXLSXReadsBack(t *testing.T) {
	st := openStore(t)
	school := store.NewID()
	tm := Term{2025, Autumn}
	attendance(t, st, school, store.NewID(), "host", school, "数学", 3, china(2025, 9, 3, 9, 0), 2400)
	attendance(t, st, school, store.NewID(), "host", school, "语文", 3, china(2025, 10, 8, 9, 0), 2700)
	attendance(t, st, school, store.NewID(), "remote", store.NewID(), "英语", 5, china(2025, 10, 9, 9, 0), 1800)
	svc := NewService(st, school)
	if err := svc.PutInventory(ctx, InventoryItem{Kind: SmartClassrooms, Count: 2}, InventoryItem{Kind: TeacherCount, Count: 20},
		InventoryItem{Kind: TeacherTerminals, Count: 25}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Score(ctx, tm, DefaultChecklist[0].ID, 8, "光纤到校"); err != nil {
		t.Fatal(err)
	}
	d, err := Build(ctx, st.DB, school, Filter{Term: tm})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.LoadTrend(ctx, st.DB); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, d, "城关一小", nil); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := []string{"指标", "每周趋势", "学期趋势", "各学科", "各年级", "数字校园自评"}
	if got := f.GetSheetList(); len(got) != len(want) {
		t.Fatalf("sheets %v, want %v", got, want)
	}
	rows := func(sheet string) [][]string {
		rs, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) < 2 || rs[0][0] != "城关一小 学校数据 2025年秋季学期" {
			t.Fatalf("%s starts %v", sheet, rs)
		}
		return rs[2:]
	}

	heads := rows("指标")
	if len(heads) != len(Indicators) {
		t.Fatalf("%d headline rows, want %d", len(heads), len(Indicators))
	}
	byKey := map[string][]string{}
	for _, r := range heads {
		byKey[r[1]] = r
	}
	for key, want := range map[string][]string{
		LessonsHosted:        {"同步课堂", LessonsHosted, "2"},
		LessonsPerClassroom:  {"同步课堂", LessonsPerClassroom, "1.5", "96", "未达标"},
		SubjectsPerClassroom: {"同步课堂", SubjectsPerClassroom, "1.5", "3", "未达标"},
		TeacherTerminals100:  {"装备与自评", TeacherTerminals100, "125", "100", "达标"},
		CreditsPerTeacher:    {"教研", CreditsPerTeacher, "0", "5", "未达标"},
		PupilTerminals100:    {"装备与自评", PupilTerminals100, "—"},
		ChecklistScore:       {"装备与自评", ChecklistScore, "8", "60", "未达标"},
	} {
		got := byKey[key]
		if len(got) < len(want) {
			t.Errorf("%s row %v, want %v", key, got, want)
			continue
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s row %v, want %v", key, got, want)
				break
			}
		}
	}

	weeks := rows("每周趋势")
	if len(weeks) != len(tm.Weeks()) {
		t.Fatalf("%d weeks, want %d", len(weeks), len(tm.Weeks()))
	}
	hosted := 0
	for _, r := range weeks {
		if len(r) > 3 && r[3] != "0" {
			hosted++
		}
	}
	if weeks[0][1] != "2025-09-01" || weeks[0][3] != "1" || hosted != 2 {
		t.Errorf("weeks: first %v, %d weeks with hosted lessons", weeks[0], hosted)
	}
	if terms := rows("学期趋势"); len(terms) != TrendTerms || terms[TrendTerms-1][0] != "2025年秋季学期" || terms[0][0] != "2023年春季学期" {
		t.Errorf("terms %v", terms)
	}
	subj := rows("各学科")
	if len(subj) != 3 || subj[0][0] != "数学" || subj[0][1] != "1" || subj[0][3] != "1" || subj[0][4] != "0.67" || subj[1][2] != "1" {
		t.Errorf("subjects %v", subj)
	}
	if g := rows("各年级"); len(g) != 2 || g[0][0] != "三年级" || g[0][1] != "2" || g[1][0] != "五年级" || g[1][2] != "1" {
		t.Errorf("grades %v", g)
	}
	check := rows("数字校园自评")
	if len(check) != len(DefaultChecklist) || check[0][1] != DefaultChecklist[0].Title || check[0][3] != "8" || check[0][4] != "光纤到校" || check[1][3] != "未评" {
		t.Errorf("checklist %v", check[:2])
	}
}

// TestWriteXLSXEmptySchool: a school with no records writes a workbook
// with every headline and no NaN.
func TestWriteXLSXEmptySchool(t *testing.T) {
	st := openStore(t)
	d, err := Build(ctx, st.DB, store.NewID(), Filter{Term: Term{2026, Autumn}})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, d, "新学校", func(k string) string { return "名" + k }); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rs, _ := f.GetRows("指标")
	if len(rs) != 2+len(Indicators) || rs[2][1] != "名"+LessonsHosted {
		t.Fatalf("rows %v", rs)
	}
	for _, r := range rs[2:] {
		for _, c := range r {
			if c == "NaN" || c == "+Inf" {
				t.Errorf("row %v", r)
			}
		}
	}
}
