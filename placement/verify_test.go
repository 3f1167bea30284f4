package placement

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func readResult(t *testing.T, path string) *Recorded {
	t.Helper()
	rec, err := ReadResultFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func verify(t *testing.T, r *Roster, rec *Recorded) *Verification {
	t.Helper()
	v, err := Verify(r, rec)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// findDiff returns the differences with the given code.
func findDiff(v *Verification, code string) []Difference {
	var out []Difference
	for _, d := range v.Differences {
		if d.Code == code {
			out = append(out, d)
		}
	}
	return out
}

func logDiffs(t *testing.T, v *Verification) {
	t.Helper()
	for _, d := range v.Differences {
		t.Log(d)
	}
}

// rowOf is the 全部学生 row of the i-th pupil of the roster.
func rowOf(i int) string { return strconv.Itoa(i + 2) }

func TestReadResultRoundTrip(t *testing.T) {
	d := newTestDraw(t, true)
	rec := readResult(t, d.path)
	res, meta := d.res, d.meta
	if rec.Algorithm != res.Algorithm || rec.InputDigest != res.InputDigest || rec.Params != res.Params ||
		rec.Entropy != res.Entropy || rec.Secret != res.Secret || rec.Seed != res.Seed ||
		rec.OutputDigest != res.OutputDigest || rec.Commitment != meta.Commitment {
		t.Errorf("audit read back as %+v\nwritten from %+v", rec, res)
	}
	if rec.Pupils != len(d.r.Pupils) || rec.School != meta.School || rec.Title != meta.Title ||
		!rec.Created.Equal(meta.Created) || rec.Software != "Qiao "+meta.QiaoVersion {
		t.Errorf("meta read back as %d %q %q %v %q", rec.Pupils, rec.School, rec.Title, rec.Created, rec.Software)
	}
	if len(rec.Class) != len(d.r.Pupils) || len(rec.Placed) != len(d.r.Pupils) {
		t.Fatalf("%d classes and %d rows read back for %d pupils", len(rec.Class), len(rec.Placed), len(d.r.Pupils))
	}
	for i, p := range d.r.Pupils {
		if rec.Class[p.ID] != res.Class[i] {
			t.Errorf("pupil %s: class %d read back, %d written", p.ID, rec.Class[p.ID], res.Class[i])
		}
		if pl := rec.Placed[i]; pl.ID != p.ID || pl.Row != i+2 || pl.Class != res.Class[i] {
			t.Errorf("row %d read back as %+v", i+2, pl)
		}
	}
	if !slices.Equal(rec.Teachers, res.Teachers) {
		t.Errorf("teachers read back as %q, written %q", rec.Teachers, res.Teachers)
	}
	if len(rec.Lists) != res.Params.Classes {
		t.Fatalf("%d class sheets read back", len(rec.Lists))
	}
	for c, l := range rec.Lists {
		if l.Class != c+1 || l.Sheet != ClassSheetName(c+1) || !strings.HasSuffix(l.Title, "班主任："+res.Teachers[c]) {
			t.Errorf("class sheet %d read back as %s %q", c+1, l.Sheet, l.Title)
		}
	}

	// The same through an io.Reader, and without head teachers.
	d = newTestDraw(t, false)
	data, err := os.ReadFile(d.path)
	if err != nil {
		t.Fatal(err)
	}
	rec, err = ReadResult(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Teachers != nil || rec.OutputDigest != d.res.OutputDigest {
		t.Errorf("without teachers: read back %q, digest %s", rec.Teachers, rec.OutputDigest)
	}
}

func TestVerifyGenuine(t *testing.T) {
	for _, teachers := range []bool{true, false} {
		d := newTestDraw(t, teachers)
		v := verify(t, d.r, readResult(t, d.path))
		logDiffs(t, v)
		if !v.OK() || !v.InputMatches || v.Seed != d.res.Seed || v.OutputDigest != d.res.OutputDigest {
			t.Errorf("teachers %v: genuine result refused: %+v", teachers, v)
		}
	}
}

// The enrolment list read again from its own file verifies too.
func TestVerifyFromListFile(t *testing.T) {
	d := newTestDraw(t, false)
	list := filepath.Join(t.TempDir(), "名单.csv")
	var b strings.Builder
	b.WriteString("学号,姓名,性别,出生日期,成绩,同班,分开,特殊,指定班级\n")
	for _, p := range d.r.Pupils {
		special := ""
		if p.Special {
			special = "是"
		}
		b.WriteString(strings.Join([]string{p.ID, p.Name, genderText(p.Gender), p.Birth.String(), p.ScoreString(), p.Together, p.Apart, special, ""}, ",") + "\n")
	}
	if err := os.WriteFile(list, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := ReadFile(list)
	if err != nil {
		t.Fatal(err)
	}
	if v := verify(t, r, readResult(t, d.path)); !v.OK() {
		logDiffs(t, v)
		t.Error("result refused against the list file")
	}
}

func TestVerifyChangedClass(t *testing.T) {
	d := newTestDraw(t, true)
	const i = 41
	p := d.r.Pupils[i]
	was := d.res.Class[i]
	now := was%d.res.Params.Classes + 1
	d.edit(t, func(f *excelize.File) error { return f.SetCellInt(SheetAll, "J"+rowOf(i), int64(now)) })
	v := verify(t, d.r, readResult(t, d.path))
	logDiffs(t, v)
	if v.OK() {
		t.Fatal("a changed class was accepted")
	}
	classes := findDiff(v, DiffClass)
	want := Difference{Code: DiffClass, PupilID: p.ID, Sheet: SheetAll, Row: i + 2, Recorded: strconv.Itoa(now), Recomputed: strconv.Itoa(was)}
	if len(classes) != 1 || classes[0] != want {
		t.Errorf("class differences %+v, want just %+v", classes, want)
	}
	if len(findDiff(v, DiffAssignmentDigest)) != 1 {
		t.Error("the result digest no longer matching the classes was not reported")
	}
	if len(findDiff(v, DiffOutputDigest)) != 0 || len(findDiff(v, DiffSeed)) != 0 || len(findDiff(v, DiffInputDigest)) != 0 {
		t.Error("differences reported beyond the changed class")
	}
	if len(v.Differences) != 2 {
		t.Errorf("%d differences, want the class and the result digest", len(v.Differences))
	}
	if !strings.Contains(classes[0].String(), p.ID) {
		t.Errorf("%q does not name the pupil", classes[0])
	}
}

// Changing a class and the result digest to match it is still caught by
// the recomputation; changing the digest alone by the file's own check.
func TestVerifyChangedDigest(t *testing.T) {
	d := newTestDraw(t, false)
	auditRow := func(key string) string { return "B" + strconv.Itoa(slices.Index(auditKeys, key)+2) }
	d.edit(t, func(f *excelize.File) error {
		return f.SetCellStr(SheetAudit, auditRow(AuditOutputDigest), strings.Repeat("0", 64))
	})
	v := verify(t, d.r, readResult(t, d.path))
	logDiffs(t, v)
	if v.OK() || len(findDiff(v, DiffAssignmentDigest)) != 1 || len(findDiff(v, DiffOutputDigest)) != 1 || len(findDiff(v, DiffClass)) != 0 {
		t.Error("a changed result digest was not reported as such")
	}

	d = newTestDraw(t, false)
	class := slices.Clone(d.res.Class)
	class[7] = class[7]%d.res.Params.Classes + 1
	d.edit(t, func(f *excelize.File) error {
		if err := f.SetCellInt(SheetAll, "J"+rowOf(7), int64(class[7])); err != nil {
			return err
		}
		return f.SetCellStr(SheetAudit, auditRow(AuditOutputDigest), OutputDigest(d.r, class, nil))
	})
	v = verify(t, d.r, readResult(t, d.path))
	logDiffs(t, v)
	if v.OK() || len(findDiff(v, DiffAssignmentDigest)) != 0 || len(findDiff(v, DiffOutputDigest)) != 1 || len(findDiff(v, DiffClass)) != 1 {
		t.Error("a class changed together with the result digest was not caught")
	}
}

func TestVerifyChangedInput(t *testing.T) {
	d := newTestDraw(t, true)
	rec := readResult(t, d.path)
	r := &Roster{Pupils: slices.Clone(d.r.Pupils), Teachers: d.r.Teachers}
	const i = 17
	r.Pupils[i].Score += 150 // 1.5 points more
	v := verify(t, r, rec)
	logDiffs(t, v)
	if v.OK() || v.InputMatches {
		t.Fatal("a changed list was accepted")
	}
	in := findDiff(v, DiffInputDigest)
	if len(in) != 1 || in[0].Recorded != d.res.InputDigest || in[0].Recomputed != Digest(r) {
		t.Errorf("input differences %+v", in)
	}
	// The draw is not redone, and 全部学生 shows which pupil differs.
	if len(findDiff(v, DiffClass)) != 0 || len(findDiff(v, DiffSeed)) != 0 || v.Seed != "" {
		t.Error("the draw was redone from a different list")
	}
	details := findDiff(v, DiffPupilDetails)
	if len(details) != 1 || details[0].PupilID != r.Pupils[i].ID || details[0].Column != "成绩" ||
		details[0].Recomputed != r.Pupils[i].ScoreString() {
		t.Errorf("detail differences %+v", details)
	}
	if len(v.Differences) != 2 {
		t.Errorf("%d differences, want the input digest and the score", len(v.Differences))
	}

	// A pupil added to the list, and the head teachers changed.
	r = &Roster{Pupils: slices.Clone(d.r.Pupils), Teachers: d.r.Teachers[1:]}
	r.Pupils = append(r.Pupils, Pupil{ID: "S999999", Name: "新同学", Gender: Female, Birth: DateOf(2020, 1, 1)})
	v = verify(t, r, rec)
	logDiffs(t, v)
	if v.OK() || len(findDiff(v, DiffInputDigest)) != 1 {
		t.Fatal("a longer list was accepted")
	}
	if m := findDiff(v, DiffPupilMissing); len(m) != 1 || m[0].PupilID != "S999999" {
		t.Errorf("missing pupils %+v", m)
	}
}

func TestVerifyChangedEntropy(t *testing.T) {
	d := newTestDraw(t, true)
	row := "B" + strconv.Itoa(slices.Index(auditKeys, AuditEntropy)+2)
	d.edit(t, func(f *excelize.File) error { return f.SetCellStr(SheetAudit, row, "12 34 57") })
	rec := readResult(t, d.path)
	if rec.Entropy != "12 34 57" {
		t.Fatalf("entropy read back as %q", rec.Entropy)
	}
	v := verify(t, d.r, rec)
	if v.OK() {
		t.Fatal("a changed entropy was accepted")
	}
	seed := findDiff(v, DiffSeed)
	if len(seed) != 1 || seed[0].Recorded != d.res.Seed {
		t.Errorf("seed differences %+v", seed)
	}
	if len(findDiff(v, DiffOutputDigest)) != 1 || len(findDiff(v, DiffClass)) == 0 {
		t.Errorf("the other draw's classes were not reported: %d differences", len(v.Differences))
	}
	if len(findDiff(v, DiffAssignmentDigest)) != 0 {
		t.Error("the file's own digest was reported although only the entropy changed")
	}
}

func TestVerifyChangedTeacher(t *testing.T) {
	d := newTestDraw(t, true)
	d.edit(t, func(f *excelize.File) error { return f.SetCellStr(SheetReport, "B4", "别的老师") })
	v := verify(t, d.r, readResult(t, d.path))
	logDiffs(t, v)
	want := Difference{Code: DiffTeacher, Class: 3, Sheet: SheetReport, Row: 4, Recorded: "别的老师", Recomputed: d.res.Teachers[2]}
	if tc := findDiff(v, DiffTeacher); len(tc) != 1 || tc[0] != want {
		t.Errorf("teacher differences %+v, want %+v", tc, want)
	}
	if len(findDiff(v, DiffAssignmentDigest)) != 1 || len(v.Differences) != 2 {
		t.Error("a changed teacher was not caught by the result digest alone")
	}

	// The teacher changed in a class sheet's title only.
	d = newTestDraw(t, true)
	title := classTitle(d.meta.School, d.meta.Title, 3, "别的老师")
	d.edit(t, func(f *excelize.File) error { return f.SetCellStr(ClassSheetName(3), "A1", title) })
	v = verify(t, d.r, readResult(t, d.path))
	logDiffs(t, v)
	want = Difference{Code: DiffClassSheetTitle, Class: 3, Sheet: "3班", Row: 1, Recorded: title,
		Recomputed: classTitle(d.meta.School, d.meta.Title, 3, d.res.Teachers[2])}
	if len(v.Differences) != 1 || v.Differences[0] != want {
		t.Errorf("differences %+v, want %+v", v.Differences, want)
	}
}

func TestVerifyCommitment(t *testing.T) {
	d := newTestDraw(t, false)
	d.meta.Commitment = Commitment("另一个秘密")
	d.write(t)
	v := verify(t, d.r, readResult(t, d.path))
	if c := findDiff(v, DiffCommitment); v.OK() || len(c) != 1 || c[0].Recomputed != Commitment("校长的秘密") {
		t.Errorf("a secret not matching the commitment: %+v", v.Differences)
	}
}

// Sorting 全部学生 in a spreadsheet program changes no assignment.
func TestVerifyReorderedRows(t *testing.T) {
	d := newTestDraw(t, false)
	d.edit(t, func(f *excelize.File) error {
		rows, err := f.GetRows(SheetAll, excelize.Options{RawCellValue: true})
		if err != nil {
			return err
		}
		a, b := rows[2], rows[200]
		for _, swap := range []struct {
			row  int
			vals []string
		}{{3, b}, {201, a}} {
			for c := range allHeaders {
				cell, _ := excelize.CoordinatesToCellName(c+1, swap.row)
				v := ""
				if c < len(swap.vals) {
					v = swap.vals[c]
				}
				if n, err := strconv.ParseFloat(v, 64); err == nil && (c == 4 || c == 8 || c == 9) {
					err = f.SetCellFloat(SheetAll, cell, n, -1, 64)
				} else {
					err = f.SetCellStr(SheetAll, cell, v)
				}
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	rec := readResult(t, d.path)
	if rec.Placed[1].ID != d.r.Pupils[199].ID {
		t.Fatalf("rows not swapped: %+v", rec.Placed[1])
	}
	if v := verify(t, d.r, rec); !v.OK() {
		logDiffs(t, v)
		t.Error("reordered rows refused")
	}
}

func TestVerifyUnknownAlgorithm(t *testing.T) {
	d := newTestDraw(t, false)
	rec := readResult(t, d.path)
	rec.Algorithm = "qiao-placement-9"
	if _, err := Verify(d.r, rec); !errors.Is(err, ErrUnknownAlgorithm) || !strings.Contains(err.Error(), "qiao-placement-9") {
		t.Errorf("unknown algorithm: %v", err)
	}
}

func TestReadResultNotQiao(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "名单.xlsx")
	f := excelize.NewFile()
	_ = f.SetSheetRow("Sheet1", "A1", &[]any{"学号", "姓名", "班级"})
	_ = f.SetSheetRow("Sheet1", "A2", &[]any{"S1", "张三", 1})
	if err := f.SaveAs(plain); err != nil {
		t.Fatal(err)
	}
	_, err := ReadResultFile(plain)
	var re *ResultError
	if !errors.As(err, &re) || re.Code != ResultNotQiao || !strings.Contains(err.Error(), "not a Qiao placement result") {
		t.Errorf("a plain workbook: %v", err)
	}

	text := filepath.Join(dir, "result.xlsx")
	if err := os.WriteFile(text, []byte("学号,班级\nS1,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadResultFile(text); !errors.As(err, &re) || re.Code != ResultUnreadable {
		t.Errorf("a text file: %v", err)
	}
	if _, err := ReadResultFile(filepath.Join(dir, "none.xlsx")); !errors.As(err, &re) || re.Code != ResultUnreadable {
		t.Errorf("no file: %v", err)
	}
}

func TestReadResultDamaged(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(f *excelize.File) error
		want   ResultError
		text   string
	}{
		{"bad class", func(f *excelize.File) error { return f.SetCellStr(SheetAll, "J12", "三") },
			ResultError{Sheet: SheetAll, Row: 12, Column: "班级", Code: ResultBadValue}, "sheet 全部学生, row 12, 班级"},
		{"empty class", func(f *excelize.File) error { return f.SetCellStr(SheetAll, "J5", "") },
			ResultError{Sheet: SheetAll, Row: 5, Column: "班级", Code: ResultEmpty}, "row 5"},
		{"duplicate ID", func(f *excelize.File) error { return f.SetCellStr(SheetAll, "A9", "S000003") },
			ResultError{Sheet: SheetAll, Row: 9, Column: "学号", Code: ResultDuplicateID}, "S000003 is also in row 4"},
		{"no class column", func(f *excelize.File) error { return f.SetCellStr(SheetAll, "J1", "Class") },
			ResultError{Sheet: SheetAll, Row: 1, Column: "班级", Code: ResultMissingColumn}, "column is missing"},
		{"missing key", func(f *excelize.File) error { return f.SetCellStr(SheetAudit, "A7", "") },
			ResultError{Sheet: SheetAudit, Code: ResultMissingKey}, AuditSeed},
		{"bad classes", func(f *excelize.File) error { return f.SetCellStr(SheetAudit, "B8", "十") },
			ResultError{Sheet: SheetAudit, Row: 8, Column: AuditClasses, Code: ResultBadValue}, "十"},
		{"too many classes", func(f *excelize.File) error { return f.SetCellStr(SheetAudit, "B8", "1000000000") },
			ResultError{Sheet: SheetAudit, Row: 8, Column: AuditClasses, Code: ResultBadValue}, "1000000000"},
		{"bad created", func(f *excelize.File) error { return f.SetCellStr(SheetAudit, "B15", "昨天") },
			ResultError{Sheet: SheetAudit, Row: 15, Column: AuditCreated, Code: ResultBadValue}, "昨天"},
		{"no report", func(f *excelize.File) error { return f.DeleteSheet(SheetReport) },
			ResultError{Sheet: SheetReport, Code: ResultMissingSheet}, "sheet 均衡报告"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDraw(t, true)
			d.edit(t, tc.change)
			_, err := ReadResultFile(d.path)
			var re *ResultError
			if !errors.As(err, &re) {
				t.Fatalf("error %v, want a *ResultError", err)
			}
			if re.Sheet != tc.want.Sheet || re.Row != tc.want.Row || re.Column != tc.want.Column || re.Code != tc.want.Code ||
				!strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %+v (%v), want %+v mentioning %q", *re, err, tc.want, tc.text)
			}
		})
	}
}

// A pupil moved on the class sheets only (the printed lists).
func TestVerifyMovedOnClassSheet(t *testing.T) {
	d := newTestDraw(t, false)
	var id, to string
	d.edit(t, func(f *excelize.File) error {
		id, _ = f.GetCellValue(ClassSheetName(2), "B3")
		if err := f.SetCellStr(ClassSheetName(2), "B3", ""); err != nil {
			return err
		}
		rows, err := f.GetRows(ClassSheetName(4))
		if err != nil {
			return err
		}
		to = strconv.Itoa(len(rows) + 1)
		return f.SetSheetRow(ClassSheetName(4), "A"+to, &[]any{len(rows) - 1, id})
	})
	v := verify(t, d.r, readResult(t, d.path))
	logDiffs(t, v)
	row, _ := strconv.Atoi(to)
	want := []Difference{
		{Code: DiffClassSheet, PupilID: id, Sheet: "4班", Row: row, Recorded: "4", Recomputed: "2"},
	}
	if !slices.Equal(v.Differences, want) {
		t.Errorf("differences %+v, want %+v", v.Differences, want)
	}
}

// A class sheet that lost a pupil, or the whole sheet, is reported.
func TestVerifyClassSheets(t *testing.T) {
	d := newTestDraw(t, false)
	var first string
	d.edit(t, func(f *excelize.File) error {
		first, _ = f.GetCellValue(ClassSheetName(2), "B3")
		if err := f.SetCellStr(ClassSheetName(2), "B3", ""); err != nil {
			return err
		}
		return f.DeleteSheet(ClassSheetName(5))
	})
	v := verify(t, d.r, readResult(t, d.path))
	logDiffs(t, v)
	absent := findDiff(v, DiffClassSheetAbsent)
	var ids []string
	missingSheet := false
	for _, a := range absent {
		if a.PupilID != "" {
			ids = append(ids, a.PupilID)
		} else if a.Class == 5 {
			missingSheet = true
		}
	}
	if !missingSheet || !slices.Equal(ids, []string{first}) {
		t.Errorf("class sheet differences %+v (want %s and sheet 5班)", absent, first)
	}
	if len(v.Differences) != len(absent) {
		t.Error("differences beyond the class sheets")
	}
}

func TestVerify20000(t *testing.T) {
	if testing.Short() {
		t.Skip("draws 20000 pupils")
	}
	r, res := bench20000()
	path := filepath.Join(t.TempDir(), "result.xlsx")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteXLSX(fh, r, res, benchMeta); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
	rec := readResult(t, path)
	if v := verify(t, r, rec); !v.OK() {
		logDiffs(t, v)
		t.Error("refused")
	}
}
