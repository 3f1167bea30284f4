package placement

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

const goodCSV = "学号,姓名,性别,出生日期,成绩,同班,分开,特殊,指定班级\n" +
	"A003,张三,男,2019-09-01,88.5,,,,\n" +
	"A001,李四,女,2019/10/3,92,T1,,是,\n" +
	"A002,王五,M,20200115,79.995,T1,,,2\n"

func problemsOf(t *testing.T, err error) []Problem {
	t.Helper()
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("want *InputError, got %v", err)
	}
	return ie.Problems
}

func hasProblem(ps []Problem, row int, code string) bool {
	for _, p := range ps {
		if p.Row == row && p.Code == code {
			return true
		}
	}
	return false
}

func TestReadCSVNormalisesAndSorts(t *testing.T) {
	r, err := Read("list.csv", []byte(goodCSV))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Pupils) != 3 || r.Pupils[0].ID != "A001" || r.Pupils[2].ID != "A003" {
		t.Fatalf("pupils %+v", r.Pupils)
	}
	p := r.Pupils[1] // A002
	if p.Gender != Male || p.Birth != DateOf(2020, 1, 15) || p.Score != 8000 || p.Together != "T1" || p.Fixed != 2 {
		t.Fatalf("A002 = %+v (score 79.995 must round half up to 80.00)", p)
	}
	if q := r.Pupils[0]; !q.Special || q.Birth != DateOf(2019, 10, 3) || q.Score != 9200 {
		t.Fatalf("A001 = %+v", q)
	}
}

func TestReadGBKCSVAndEnglishHeadersInAnyOrder(t *testing.T) {
	text := "Gender,Name,ID,Birthdate,Score\nF,赵六,B1,2019-12-31,70\n男,钱七,B2,2019-09-09,\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Read("gbk.csv", []byte(gbk))
	if err != nil {
		t.Fatal(err)
	}
	if r.Pupils[0].Name != "赵六" || r.Pupils[1].Gender != Male || r.Pupils[1].HasScore {
		t.Fatalf("%+v", r.Pupils)
	}
}

func TestReadXLSXWithDateCellsAndTeacherSheet(t *testing.T) {
	f := excelize.NewFile()
	f.SetSheetName("Sheet1", "名单")
	f.SetSheetRow("名单", "A1", &[]any{"姓名", "学号", "性别", "出生日期", "成绩"})
	f.SetSheetRow("名单", "A2", &[]any{"孙八", "C1", "女", time.Date(2019, 11, 5, 0, 0, 0, 0, time.UTC), 95.5})
	f.SetSheetRow("名单", "A3", &[]any{"周九", "C2", "男", "2020-02-29", 60})
	style, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	f.SetCellStyle("名单", "D2", "D2", style)
	f.NewSheet("班主任")
	f.SetSheetRow("班主任", "A1", &[]any{"姓名"})
	f.SetSheetRow("班主任", "A2", &[]any{"吴老师"})
	f.SetSheetRow("班主任", "A3", &[]any{"郑老师"})
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	r, err := Read("list.xlsx", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if r.Pupils[0].Birth != DateOf(2019, 11, 5) || r.Pupils[0].Score != 9550 || r.Pupils[1].Birth != DateOf(2020, 2, 29) {
		t.Fatalf("%+v", r.Pupils)
	}
	if strings.Join(r.Teachers, ",") != "吴老师,郑老师" {
		t.Fatalf("teachers %v", r.Teachers)
	}
}

func TestEveryProblemIsReportedByRowAndColumn(t *testing.T) {
	csv := "学号,姓名,性别,出生日期,成绩,同班,分开,指定班级\n" +
		"D1,甲,男,2019-09-01,80,,,\n" + // row 2: fine
		"D1,乙,女,2019-09-02,81,,,\n" + // row 3: duplicate ID
		"D3,,女,2019-09-03,82,,,\n" + // row 4: empty name
		"D4,丁,X,2019-09-04,83,,,\n" + // row 5: bad gender
		"D5,戊,男,2019-13-45,84,,,\n" + // row 6: bad date
		"D6,己,女,2019-09-06,八十,,,\n" + // row 7: bad score
		"D7,庚,男,2019-09-07,80,,,第一\n" + // row 8: bad fixed
		"D8,辛,男,2019-09-08,80,G,,1\n" + // row 9: together fixed to 1 …
		"D9,壬,女,2019-09-09,80,G,,2\n" + // row 10: … and to 2
		"D10,癸,女,2019-09-09,80,H,X,\n" + // row 11: together H with apart X …
		"D11,子,女,2019-09-09,80,H,X,\n" + // row 12: … twice
		"D12,丑,男,2019-09-09,80,,Y,3\n" + // row 13: apart Y fixed to 3 …
		"D13,寅,男,2019-09-09,80,,Y,3\n" + // row 14: … twice
		"D14,卯,,,80,,,\n" // row 15: empty gender and date
	_, err := Read("bad.csv", []byte(csv))
	ps := problemsOf(t, err)
	for _, want := range []struct {
		row  int
		code string
	}{
		{3, ProblemDuplicateID}, {4, ProblemEmpty}, {5, ProblemBadGender}, {6, ProblemBadDate},
		{7, ProblemBadScore}, {8, ProblemBadFixed}, {10, ProblemTogetherFixed}, {12, ProblemTogetherApart},
		{14, ProblemApartFixed}, {15, ProblemEmpty},
	} {
		if !hasProblem(ps, want.row, want.code) {
			t.Errorf("row %d: no %s among %+v", want.row, want.code, ps)
		}
	}
	for _, p := range ps {
		if p.Row == 0 || p.Column == "" {
			t.Errorf("problem without row or column: %+v", p)
		}
	}
}

func TestMissingAndDuplicateColumns(t *testing.T) {
	_, err := Read("x.csv", []byte("学号,姓名,出生日期\nA,甲,2019-09-01\n"))
	if ps := problemsOf(t, err); !hasProblem(ps, 1, ProblemMissingColumn) {
		t.Fatalf("%+v", ps)
	}
	_, err = Read("x.csv", []byte("学号,姓名,性别,出生日期,Name\nA,甲,男,2019-09-01,x\n"))
	if ps := problemsOf(t, err); !hasProblem(ps, 1, ProblemDuplicateColumn) {
		t.Fatalf("%+v", ps)
	}
	_, err = Read("x.csv", []byte("学号,姓名,性别,出生日期\n"))
	if ps := problemsOf(t, err); !hasProblem(ps, 1, ProblemNoRows) {
		t.Fatalf("%+v", ps)
	}
	_, err = Read("x.csv", nil)
	if ps := problemsOf(t, err); ps[0].Code != ProblemNoRows {
		t.Fatalf("%+v", ps)
	}
}

func TestUnreadableFiles(t *testing.T) {
	_, err := Read("x.xlsx", []byte("this is no workbook"))
	if ps := problemsOf(t, err); ps[0].Code != ProblemUnreadable {
		t.Fatalf("%+v", ps)
	}
	_, err = ReadFile(filepath.Join(t.TempDir(), "missing.xlsx"))
	if ps := problemsOf(t, err); ps[0].Code != ProblemUnreadable {
		t.Fatalf("%+v", ps)
	}
}

func TestReadTeachersFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "t.csv")
	os.WriteFile(p, []byte("姓名\n钱老师\n\n赵老师\n"), 0o644)
	ts, err := ReadTeachers(p)
	if err != nil || strings.Join(ts, ",") != "赵老师,钱老师" {
		t.Fatalf("%v %v", ts, err)
	}
	os.WriteFile(p, []byte("科目\n语文\n"), 0o644)
	if _, err := ReadTeachers(p); err == nil {
		t.Fatal("teacher list without a name column accepted")
	}
}

func FuzzRead(f *testing.F) {
	f.Add("list.csv", []byte(goodCSV))
	f.Add("list.csv", []byte("学号,姓名,性别,出生日期\n1,a,男,44000\n"))
	f.Add("list.xlsx", []byte("PK\x03\x04"))
	fx := excelize.NewFile()
	fx.SetSheetRow("Sheet1", "A1", &[]any{"学号", "姓名", "性别", "出生日期"})
	fx.SetSheetRow("Sheet1", "A2", &[]any{"1", "甲", "女", 44000})
	var buf bytes.Buffer
	fx.Write(&buf)
	f.Add("list.xlsx", buf.Bytes())
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		r, err := Read(name, data)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || len(ie.Problems) == 0 {
				t.Fatalf("error is not a list of problems: %v", err)
			}
			return
		}
		// Whatever is accepted is sorted, unique and well-formed.
		for i, p := range r.Pupils {
			if p.ID == "" || p.Name == "" || (p.Gender != Male && p.Gender != Female) {
				t.Fatalf("accepted a bad pupil %+v", p)
			}
			if i > 0 && r.Pupils[i-1].ID >= p.ID {
				t.Fatalf("not sorted/unique at %d", i)
			}
			if strings.ContainsAny(p.ID+p.Name+p.Together+p.Apart, "\t\n") {
				t.Fatalf("field would break the canonical form: %+v", p)
			}
		}
		Digest(r)
	})
}

func TestScoreAndDateParsingEdges(t *testing.T) {
	for in, want := range map[string]int64{"85": 8500, "85.5": 8550, "-3.125": -313, "+7": 700, "0.005": 1, "99999.99": 9999999} {
		if got, ok := parseScore(in); !ok || got != want {
			t.Errorf("parseScore(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "-+5", "+-5", "1e3", "0x10", "100000", "八十", "1.2.3"} {
		if _, ok := parseScore(bad); ok {
			t.Errorf("parseScore(%q) accepted", bad)
		}
	}
	if _, ok := parseDate("0x1p15", false); ok {
		t.Error("hex float accepted as an Excel date")
	}
	if d, ok := parseDate("43831", false); !ok || d != DateOf(2020, 1, 1) {
		t.Errorf("Excel serial 43831 = %v %v", d, ok)
	}
}
