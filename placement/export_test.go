package placement

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// testDraw is a small draw with head teachers and a committed secret.
type testDraw struct {
	r    *Roster
	res  *Result
	meta Meta
	path string // the result workbook, in a temporary directory
}

func newTestDraw(t testing.TB, teachers bool) *testDraw {
	t.Helper()
	r := Generate(300, 7)
	if teachers {
		for i := range 12 {
			r.Teachers = append(r.Teachers, "老师"+strconv.Itoa(i+10))
		}
	}
	res, err := Draw(r, Params{Classes: 10, BalanceScore: true, BalanceAge: true}, "１２ 34  56", "校长的秘密")
	if err != nil {
		t.Fatal(err)
	}
	meta := Meta{School: "阳光实验小学", Title: "2025级一年级分班", QiaoVersion: "1.2.3",
		Created: time.Date(2025, 8, 20, 9, 30, 0, 0, time.FixedZone("CST", 8*3600)), Commitment: Commitment("校长的秘密")}
	d := &testDraw{r: r, res: res, meta: meta, path: filepath.Join(t.TempDir(), "分班结果.xlsx")}
	d.write(t)
	return d
}

func (d *testDraw) write(t testing.TB) {
	t.Helper()
	fh, err := os.Create(d.path)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteXLSX(fh, d.r, d.res, d.meta); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
}

// edit changes the result workbook on disk with excelize, as a person
// with a spreadsheet program would.
func (d *testDraw) edit(t testing.TB, change func(f *excelize.File) error) {
	t.Helper()
	f, err := excelize.OpenFile(d.path)
	if err != nil {
		t.Fatal(err)
	}
	if err := change(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestWriteXLSXLayout(t *testing.T) {
	d := newTestDraw(t, true)
	f, err := excelize.OpenFile(d.path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	k := d.res.Params.Classes
	want := []string{SheetAll}
	for c := 1; c <= k; c++ {
		want = append(want, ClassSheetName(c))
	}
	want = append(want, SheetReport, SheetAudit)
	if got := f.GetSheetList(); !slices.Equal(got, want) {
		t.Fatalf("sheets %v, want %v", got, want)
	}

	// 全部学生
	rows, err := f.GetRows(SheetAll)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], allHeaders) {
		t.Errorf("全部学生 header %v", rows[0])
	}
	if len(rows) != len(d.r.Pupils)+1 {
		t.Fatalf("全部学生 has %d rows for %d pupils", len(rows), len(d.r.Pupils))
	}
	for i, p := range d.r.Pupils {
		row := rows[i+1]
		row = append(row, make([]string, len(allHeaders)-len(row))...)
		if row[0] != p.ID || row[1] != p.Name || row[3] != p.Birth.String() || row[9] != strconv.Itoa(d.res.Class[i]) {
			t.Fatalf("row %d = %v for %+v in class %d", i+2, row, p, d.res.Class[i])
		}
		if (row[7] == "是") != p.Special {
			t.Fatalf("row %d: 特殊 %q for %+v", i+2, row[7], p)
		}
	}
	if typ, _ := f.GetCellType(SheetAll, "J2"); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("班级 is a %v cell, want a number", typ)
	}
	if typ, _ := f.GetCellType(SheetAll, "E2"); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("成绩 is a %v cell, want a number", typ)
	}
	if panes, err := f.GetPanes(SheetAll); err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("全部学生 panes %+v, %v; want the header frozen", panes, err)
	}

	// Class sheets: title, header, pupils by 学号, page setup.
	names := f.GetDefinedName()
	for c := 1; c <= k; c++ {
		name := ClassSheetName(c)
		rows, err := f.GetRows(name)
		if err != nil {
			t.Fatal(err)
		}
		title := d.meta.School + " " + d.meta.Title + " " + name + " 班主任：" + d.res.Teachers[c-1]
		if rows[0][0] != title {
			t.Errorf("%s title %q, want %q", name, rows[0][0], title)
		}
		if !slices.Equal(rows[1], classHeaders) {
			t.Errorf("%s header %v", name, rows[1])
		}
		var ids []string
		for i, p := range d.r.Pupils {
			if d.res.Class[i] == c {
				ids = append(ids, p.ID)
			}
		}
		var got []string
		for n, row := range rows[2:] {
			if row[0] != strconv.Itoa(n+1) {
				t.Errorf("%s row %d: 序号 %q", name, n+3, row[0])
			}
			got = append(got, row[1])
		}
		if !slices.Equal(got, ids) || !slices.IsSorted(got) {
			t.Errorf("%s lists %v, want %v", name, got, ids)
		}
		layout, err := f.GetPageLayout(name)
		if err != nil {
			t.Fatal(err)
		}
		if *layout.Size != 9 || *layout.Orientation != "portrait" || layout.FitToWidth == nil || *layout.FitToWidth != 1 ||
			layout.FitToHeight == nil || *layout.FitToHeight != 0 {
			t.Errorf("%s page layout %+v: want A4 portrait, one page wide", name, layout)
		}
		if props, err := f.GetSheetProps(name); err != nil || props.FitToPage == nil || !*props.FitToPage {
			t.Errorf("%s: fit to page not set (%v)", name, err)
		}
		found := false
		for _, dn := range names {
			if dn.Name == "_xlnm.Print_Titles" && dn.Scope == name {
				found = dn.RefersTo == "'"+name+"'!$1:$2"
			}
		}
		if !found {
			t.Errorf("%s: no print titles in %+v", name, names)
		}
	}

	// 均衡报告
	rows, err = f.GetRows(SheetReport)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], reportHeaders) {
		t.Errorf("均衡报告 header %v", rows[0])
	}
	rep := Balance(d.r, d.res)
	for c, cr := range rep.Classes {
		row := rows[c+1]
		if row[0] != strconv.Itoa(cr.Class) || row[1] != cr.Teacher || row[2] != strconv.Itoa(cr.Size) {
			t.Errorf("均衡报告 row %d = %v for %+v", c+2, row, cr)
		}
		if row[6] != Date(int32(cr.MeanBirth+0.5)).String() {
			t.Errorf("均衡报告 row %d: mean birth %q for %v", c+2, row[6], cr.MeanBirth)
		}
	}
	last := rows[k+1]
	if last[0] != spreadLabel || last[2] != strconv.Itoa(rep.Spread.Size) {
		t.Errorf("均衡报告 spread row %v", last)
	}

	// 审计记录: keys in column A, values as text.
	rows, err = f.GetRows(SheetAudit)
	if err != nil {
		t.Fatal(err)
	}
	vals := auditValues(d.r, d.res, d.meta)
	for i, key := range auditKeys {
		row := append(rows[i+1], "", "")
		if row[0] != key || row[1] != vals[key] {
			t.Errorf("审计记录 row %d = %q, want %q %q", i+2, row[:2], key, vals[key])
		}
		cell := "B" + strconv.Itoa(i+2)
		if typ, _ := f.GetCellType(SheetAudit, cell); vals[key] != "" && typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
			t.Errorf("审计记录 %s (%s) is a %v cell, want text", cell, key, typ)
		}
	}
	for key, want := range map[string]string{AuditEntropy: "12 34 56", AuditSoftware: "Qiao 1.2.3",
		AuditCreated: "2025-08-20T09:30:00+08:00", AuditClasses: "10", AuditBalanceAge: "1", AuditPupils: "300"} {
		if vals[key] != want {
			t.Errorf("%s = %q, want %q", key, vals[key], want)
		}
	}
	var text strings.Builder
	for _, row := range rows[len(auditKeys)+1:] {
		text.WriteString(strings.Join(row, ""))
	}
	if !strings.Contains(text.String(), "qiao placement verify --in 名单文件 --result 本文件") {
		t.Errorf("审计记录 does not explain how to verify: %q", text.String())
	}
}

func TestWriteXLSXRefusesOtherRoster(t *testing.T) {
	d := newTestDraw(t, false)
	other := Generate(300, 8)
	if err := WriteXLSX(io.Discard, other, d.res, d.meta); err == nil {
		t.Fatal("wrote a result with a roster it was not drawn from")
	}
}

// The 全部学生 sheet has the enrolment list's columns, so a result
// workbook read as an enrolment list gives the same list back (without the
// head teachers, which are on no sheet of their own).
func TestResultReadsAsRoster(t *testing.T) {
	d := newTestDraw(t, false)
	data, err := os.ReadFile(d.path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Read("result.xlsx", data)
	if err != nil {
		t.Fatal(err)
	}
	if Digest(r) != d.res.InputDigest {
		t.Fatal("the result workbook read as a list has another digest")
	}
}

var bench20000 = sync.OnceValues(func() (*Roster, *Result) {
	r := Generate(20000, 1)
	res, err := Draw(r, Params{Classes: 400, BalanceScore: true, BalanceAge: true}, "x", "")
	if err != nil {
		panic(err)
	}
	return r, res
})

var benchMeta = Meta{School: "示例中学", Title: "2025级新生分班", QiaoVersion: "test", Created: time.Unix(1750000000, 0)}

func BenchmarkWriteXLSX20000(b *testing.B) {
	r, res := bench20000()
	for b.Loop() {
		if err := WriteXLSX(io.Discard, r, res, benchMeta); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadResult20000(b *testing.B) {
	r, res := bench20000()
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, r, res, benchMeta); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := ReadResult(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len())/1e6, "file-MB")
}
