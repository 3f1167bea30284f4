package placement

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// Meta is what a result workbook records besides the draw itself.
type Meta struct {
	School, Title string
	QiaoVersion   string
	Created       time.Time
	Commitment    string // published before the draw; "" if the school made none
}

// Sheet names of a result workbook. The class sheets are ClassSheetName(c),
// between SheetAll and SheetReport.
const (
	SheetAll    = "全部学生"
	SheetReport = "均衡报告"
	SheetAudit  = "审计记录"
)

// ClassSheetName is the name of class c's sheet: "1班", "2班", …
func ClassSheetName(c int) string { return strconv.Itoa(c) + "班" }

// Keys of the audit sheet (column A), in the order they are written.
const (
	AuditAlgorithm    = "算法版本 algorithm"
	AuditInputDigest  = "输入摘要 input_sha256"
	AuditEntropy      = "公开随机数 entropy"
	AuditCommitment   = "承诺 commitment"
	AuditSecret       = "揭示的秘密 secret"
	AuditSeed         = "种子 seed"
	AuditClasses      = "班级数 classes"
	AuditBalanceScore = "均衡成绩 balance_score"
	AuditBalanceAge   = "均衡年龄 balance_age"
	AuditOutputDigest = "结果摘要 output_sha256"
	AuditPupils       = "学生人数 pupils"
	AuditSchool       = "学校 school"
	AuditTitle        = "标题 title"
	AuditCreated      = "时间 created"
	AuditSoftware     = "软件 software"
)

var auditKeys = []string{AuditAlgorithm, AuditInputDigest, AuditEntropy, AuditCommitment, AuditSecret,
	AuditSeed, AuditClasses, AuditBalanceScore, AuditBalanceAge, AuditOutputDigest, AuditPupils,
	AuditSchool, AuditTitle, AuditCreated, AuditSoftware}

// Column headers.
var (
	allHeaders    = []string{"学号", "姓名", "性别", "出生日期", "成绩", "同班", "分开", "特殊", "指定班级", "班级"}
	allWidths     = []float64{14, 10, 6, 12, 8, 10, 10, 6, 10, 6}
	classHeaders  = []string{"序号", "学号", "姓名", "性别", "出生日期", "成绩"}
	classWidths   = []float64{6, 16, 14, 6, 13, 9}
	reportHeaders = []string{"班级", "班主任", "人数", "男", "女", "特殊", "平均出生日期", "出生日期标准差(天)", "平均成绩", "成绩标准差"}
	reportWidths  = []float64{8, 12, 6, 6, 6, 6, 14, 18, 10, 10}
	auditHeaders  = []string{"项目", "内容"}
	spreadLabel   = "最大差"
	teacherPrefix = "班主任："
)

// verifyHelp explains, below the audit record, how anyone can check the
// result.
var verifyHelp = []string{
	"如何核验本结果",
	"本文件由“桥”(Qiao) 阳光分班生成。分班结果完全由以下内容决定：学生名单（其 SHA-256 摘要即“输入摘要”）、班级数和均衡选项、公开随机数、揭示的秘密，以及公开的分班算法（“算法版本”）。同样的输入一定得到同样的结果。",
	"任何人都可以核验：取得学校公布的学生名单文件和本文件，运行 qiao placement verify --in 名单文件 --result 本文件 。程序会重新计算名单摘要、种子和每一位学生的班级及各班班主任，并与本文件逐项比对；任何改动，哪怕只改了一位学生的班级，都会被指出。",
	"如果学校在分班前公布了“承诺”，核验时还会检查“揭示的秘密”与承诺相符，证明秘密不是看到结果之后才挑选的。",
	"“结果摘要”是全部学生班级及各班班主任的 SHA-256 摘要。请勿修改本表和“全部学生”表中的内容，否则核验将不能通过。",
}

// classTitle is the title row of a class sheet.
func classTitle(school, title string, class int, teacher string) string {
	var parts []string
	for _, s := range []string{school, title, ClassSheetName(class)} {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	if teacher != "" {
		parts = append(parts, teacherPrefix+teacher)
	}
	return strings.Join(parts, " ")
}

// orNil leaves a cell without a value for an empty string.
func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func genderText(g Gender) string {
	if g == Male {
		return "男"
	}
	return "女"
}

func boolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// round rounds to the given number of decimals; NaN stays NaN.
func round(v float64, decimals int) float64 {
	p := math.Pow10(decimals)
	return math.Round(v*p) / p
}

// xlsxStyles are the cell styles of a result workbook.
type xlsxStyles struct {
	header, title, text, score, int, wrap, bold  int
	bText, bScore, bInt, bHeader                 int // bordered, for the class sheets
	score2, days1, reportText, reportInt, spread int
}

func newStyles(f *excelize.File) (*xlsxStyles, error) {
	var s xlsxStyles
	border := []excelize.Border{{Type: "left", Color: "000000", Style: 1}, {Type: "top", Color: "000000", Style: 1},
		{Type: "right", Color: "000000", Style: 1}, {Type: "bottom", Color: "000000", Style: 1}}
	fill := excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E7EEF7"}}
	center := &excelize.Alignment{Horizontal: "center", Vertical: "center"}
	days := "0.0"
	for _, d := range []struct {
		id *int
		st excelize.Style
	}{
		{&s.header, excelize.Style{Font: &excelize.Font{Bold: true}, Fill: fill, Alignment: center}},
		{&s.title, excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}, Alignment: &excelize.Alignment{Vertical: "center"}}},
		{&s.text, excelize.Style{NumFmt: 49}},
		{&s.score, excelize.Style{NumFmt: 2}},
		{&s.int, excelize.Style{NumFmt: 1, Alignment: center}},
		{&s.wrap, excelize.Style{NumFmt: 49, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
		{&s.bold, excelize.Style{Font: &excelize.Font{Bold: true}}},
		{&s.bText, excelize.Style{NumFmt: 49, Border: border, Alignment: &excelize.Alignment{Vertical: "center"}}},
		{&s.bScore, excelize.Style{NumFmt: 2, Border: border, Alignment: &excelize.Alignment{Vertical: "center"}}},
		{&s.bInt, excelize.Style{NumFmt: 1, Border: border, Alignment: center}},
		{&s.bHeader, excelize.Style{Font: &excelize.Font{Bold: true}, Fill: fill, Border: border, Alignment: center}},
		{&s.score2, excelize.Style{NumFmt: 2, Border: border}},
		{&s.days1, excelize.Style{CustomNumFmt: &days, Border: border}},
		{&s.reportText, excelize.Style{NumFmt: 49, Border: border, Alignment: center}},
		{&s.reportInt, excelize.Style{NumFmt: 1, Border: border, Alignment: center}},
		{&s.spread, excelize.Style{Font: &excelize.Font{Bold: true}, NumFmt: 49, Border: border, Alignment: center}},
	} {
		id, err := f.NewStyle(&d.st)
		if err != nil {
			return nil, err
		}
		*d.id = id
	}
	return &s, nil
}

// WriteXLSX writes the result workbook of a draw: every pupil with their
// class (全部学生), one printable sheet per class, the balance report
// (均衡报告) and the audit record (审计记录) that ReadResult and Verify read
// back. r must be the roster the draw was made from.
func WriteXLSX(w io.Writer, r *Roster, res *Result, meta Meta) error {
	k := res.Params.Classes
	if len(res.Class) != len(r.Pupils) {
		return fmt.Errorf("placement: the result has %d pupils, the roster %d", len(res.Class), len(r.Pupils))
	}
	if d := Digest(r); d != res.InputDigest {
		return errors.New("placement: the roster is not the one the result was drawn from")
	}
	for i, c := range res.Class {
		if c < 1 || c > k {
			return fmt.Errorf("placement: pupil %s has class %d, not 1..%d", r.Pupils[i].ID, c, k)
		}
	}
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	if err := f.SetSheetName(f.GetSheetName(0), SheetAll); err != nil {
		return err
	}
	for c := 1; c <= k; c++ {
		if _, err := f.NewSheet(ClassSheetName(c)); err != nil {
			return err
		}
	}
	for _, s := range []string{SheetReport, SheetAudit} {
		if _, err := f.NewSheet(s); err != nil {
			return err
		}
	}
	f.SetActiveSheet(0)
	if err := writeAll(f, st, r, res); err != nil {
		return err
	}
	if err := writeClasses(f, st, r, res, meta); err != nil {
		return err
	}
	if err := writeReport(f, st, r, res); err != nil {
		return err
	}
	if err := writeAudit(f, st, r, res, meta); err != nil {
		return err
	}
	return f.Write(w)
}

// cellRow is a reusable row of styled cells for StreamWriter.SetRow.
type cellRow struct {
	cells []excelize.Cell
	vals  []any
}

func newCellRow(styles ...int) *cellRow {
	cr := &cellRow{cells: make([]excelize.Cell, len(styles)), vals: make([]any, len(styles))}
	for i, s := range styles {
		cr.cells[i].StyleID = s
		cr.vals[i] = &cr.cells[i]
	}
	return cr
}

func (cr *cellRow) set(i int, v any) { cr.cells[i].Value = v }

func (cr *cellRow) write(sw *excelize.StreamWriter, row int, opts ...excelize.RowOpts) error {
	return sw.SetRow("A"+strconv.Itoa(row), cr.vals, opts...)
}

func headerValues(h []string) []any {
	v := make([]any, len(h))
	for i, s := range h {
		v[i] = s
	}
	return v
}

// setWidths sets column widths, from the last column: the stream writer
// puts each new <col> first, and Excel wants them in ascending order.
func setWidths(sw *excelize.StreamWriter, widths []float64) error {
	for i := len(widths) - 1; i >= 0; i-- {
		if err := sw.SetColWidth(i+1, i+1, widths[i]); err != nil {
			return err
		}
	}
	return nil
}

func freezeTop(sw *excelize.StreamWriter, rows int) error {
	cell := "A" + strconv.Itoa(rows+1)
	return sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: rows, TopLeftCell: cell, ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: cell, ActiveCell: cell, Pane: "bottomLeft"}}})
}

func writeAll(f *excelize.File, st *xlsxStyles, r *Roster, res *Result) error {
	sw, err := f.NewStreamWriter(SheetAll)
	if err != nil {
		return err
	}
	if err := setWidths(sw, allWidths); err != nil {
		return err
	}
	if err := freezeTop(sw, 1); err != nil {
		return err
	}
	if err := sw.SetRow("A1", headerValues(allHeaders), excelize.RowOpts{StyleID: st.header}); err != nil {
		return err
	}
	row := newCellRow(st.text, st.text, st.text, st.text, st.score, st.text, st.text, st.text, st.int, st.int)
	for i, p := range r.Pupils {
		row.set(0, p.ID)
		row.set(1, p.Name)
		row.set(2, genderText(p.Gender))
		row.set(3, p.Birth.String())
		if p.HasScore {
			row.set(4, float64(p.Score)/100)
		} else {
			row.set(4, nil)
		}
		row.set(5, orNil(p.Together))
		row.set(6, orNil(p.Apart))
		if p.Special {
			row.set(7, "是")
		} else {
			row.set(7, nil)
		}
		if p.Fixed > 0 {
			row.set(8, p.Fixed)
		} else {
			row.set(8, nil)
		}
		row.set(9, res.Class[i])
		if err := row.write(sw, i+2); err != nil {
			return err
		}
	}
	return sw.Flush()
}

func writeClasses(f *excelize.File, st *xlsxStyles, r *Roster, res *Result, meta Meta) error {
	k := res.Params.Classes
	members := make([][]int, k+1)
	for i, c := range res.Class { // roster order is 学号 order
		members[c] = append(members[c], i)
	}
	a4, portrait, one, zero, fit := 9, "portrait", 1, 0, true
	margin, edge := 0.5, 0.3
	row := newCellRow(st.bInt, st.bText, st.bText, st.bText, st.bText, st.bScore)
	for c := 1; c <= k; c++ {
		name := ClassSheetName(c)
		// Sheet properties are written when the stream starts, page setup
		// and header/footer when it is flushed; both go into the worksheet
		// the stream writer holds.
		if err := f.SetSheetProps(name, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
			return err
		}
		sw, err := f.NewStreamWriter(name)
		if err != nil {
			return err
		}
		if err := f.SetPageLayout(name, &excelize.PageLayoutOptions{Size: &a4, Orientation: &portrait, FitToWidth: &one, FitToHeight: &zero}); err != nil {
			return err
		}
		if err := f.SetPageMargins(name, &excelize.PageLayoutMarginsOptions{Left: &margin, Right: &margin, Top: &margin, Bottom: &margin, Header: &edge, Footer: &edge}); err != nil {
			return err
		}
		if err := f.SetHeaderFooter(name, &excelize.HeaderFooterOptions{OddFooter: "&C" + name + "  第 &P 页，共 &N 页"}); err != nil {
			return err
		}
		if err := setWidths(sw, classWidths); err != nil {
			return err
		}
		if err := freezeTop(sw, 2); err != nil {
			return err
		}
		teacher := ""
		if c <= len(res.Teachers) {
			teacher = res.Teachers[c-1]
		}
		title := classTitle(meta.School, meta.Title, c, teacher)
		if err := sw.SetRow("A1", []any{excelize.Cell{StyleID: st.title, Value: title}}, excelize.RowOpts{Height: 24}); err != nil {
			return err
		}
		if err := sw.SetRow("A2", headerValues(classHeaders), excelize.RowOpts{StyleID: st.bHeader, Height: 18}); err != nil {
			return err
		}
		for n, i := range members[c] {
			p := r.Pupils[i]
			row.set(0, n+1)
			row.set(1, p.ID)
			row.set(2, p.Name)
			row.set(3, genderText(p.Gender))
			row.set(4, p.Birth.String())
			if p.HasScore {
				row.set(5, float64(p.Score)/100)
			} else {
				row.set(5, nil)
			}
			if err := row.write(sw, n+3, excelize.RowOpts{Height: 18}); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	return printTitles(f, k)
}

// printTitles repeats rows 1-2 (title and header) of every class sheet on
// each printed page. File.SetDefinedName checks a new name against every
// earlier one and lists all sheets for each of those, so 400 classes took
// 0.5 s and 2.9 GB; so only the first name goes through it and the others
// are copies of it with their own sheet and range. Class c's sheet has
// index c (全部学生 is 0).
func printTitles(f *excelize.File, k int) error {
	const name = "_xlnm.Print_Titles"
	refersTo := func(c int) string { return "'" + ClassSheetName(c) + "'!$1:$2" }
	if err := f.SetDefinedName(&excelize.DefinedName{Name: name, RefersTo: refersTo(1), Scope: ClassSheetName(1)}); err != nil {
		return err
	}
	wb := f.WorkBook
	if wb == nil || wb.DefinedNames == nil || len(wb.DefinedNames.DefinedName) != 1 ||
		wb.DefinedNames.DefinedName[0].LocalSheetID == nil || *wb.DefinedNames.DefinedName[0].LocalSheetID != 1 {
		// Not laid out as expected: take the slow, general way.
		for c := 2; c <= k; c++ {
			if err := f.SetDefinedName(&excelize.DefinedName{Name: name, RefersTo: refersTo(c), Scope: ClassSheetName(c)}); err != nil {
				return err
			}
		}
		return nil
	}
	first := wb.DefinedNames.DefinedName[0]
	for c := 2; c <= k; c++ {
		d, idx := first, c
		d.LocalSheetID, d.Data = &idx, refersTo(c)
		wb.DefinedNames.DefinedName = append(wb.DefinedNames.DefinedName, d)
	}
	return nil
}

func writeReport(f *excelize.File, st *xlsxStyles, r *Roster, res *Result) error {
	rep := Balance(r, res)
	sw, err := f.NewStreamWriter(SheetReport)
	if err != nil {
		return err
	}
	if err := setWidths(sw, reportWidths); err != nil {
		return err
	}
	if err := freezeTop(sw, 1); err != nil {
		return err
	}
	if err := sw.SetRow("A1", headerValues(reportHeaders), excelize.RowOpts{StyleID: st.bHeader}); err != nil {
		return err
	}
	num := func(v float64, decimals int) any {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return round(v, decimals)
	}
	row := newCellRow(st.reportInt, st.reportText, st.reportInt, st.reportInt, st.reportInt, st.reportInt,
		st.reportText, st.days1, st.score2, st.score2)
	for i, cr := range rep.Classes {
		row.set(0, cr.Class)
		row.set(1, orNil(cr.Teacher))
		row.set(2, cr.Size)
		row.set(3, cr.Boys)
		row.set(4, cr.Girls)
		row.set(5, cr.Special)
		if cr.Size > 0 {
			row.set(6, Date(math.Round(cr.MeanBirth)).String())
		} else {
			row.set(6, nil)
		}
		row.set(7, num(cr.SDBirth, 1))
		row.set(8, num(cr.MeanScore, 2))
		row.set(9, num(cr.SDScore, 2))
		if err := row.write(sw, i+2); err != nil {
			return err
		}
	}
	s := rep.Spread
	row.cells[0].StyleID = st.spread
	row.set(0, spreadLabel)
	row.set(1, nil)
	row.set(2, s.Size)
	row.set(3, s.Boys)
	row.set(4, s.Girls)
	row.set(5, s.Special)
	row.cells[6].StyleID = st.days1
	row.set(6, num(s.MeanBirth, 1))
	row.set(7, num(s.SDBirth, 1))
	row.set(8, num(s.MeanScore, 2))
	row.set(9, num(s.SDScore, 2))
	if err := row.write(sw, len(rep.Classes)+2); err != nil {
		return err
	}
	note := "说明：“最大差”是各班该项数值的最大值减最小值；平均出生日期一行的最大差以天计。"
	if err := sw.SetRow("A"+strconv.Itoa(len(rep.Classes)+4), []any{note}); err != nil {
		return err
	}
	return sw.Flush()
}

// auditValues are the audit record's values, keyed like auditKeys.
func auditValues(r *Roster, res *Result, meta Meta) map[string]string {
	created := ""
	if !meta.Created.IsZero() {
		created = meta.Created.Format(time.RFC3339)
	}
	software := "Qiao"
	if v := strings.TrimSpace(meta.QiaoVersion); v != "" {
		software += " " + v
	}
	return map[string]string{
		AuditAlgorithm:    res.Algorithm,
		AuditInputDigest:  res.InputDigest,
		AuditEntropy:      res.Entropy,
		AuditCommitment:   meta.Commitment,
		AuditSecret:       res.Secret,
		AuditSeed:         res.Seed,
		AuditClasses:      strconv.Itoa(res.Params.Classes),
		AuditBalanceScore: boolDigit(res.Params.BalanceScore),
		AuditBalanceAge:   boolDigit(res.Params.BalanceAge),
		AuditOutputDigest: res.OutputDigest,
		AuditPupils:       strconv.Itoa(len(r.Pupils)),
		AuditSchool:       meta.School,
		AuditTitle:        meta.Title,
		AuditCreated:      created,
		AuditSoftware:     software,
	}
}

func writeAudit(f *excelize.File, st *xlsxStyles, r *Roster, res *Result, meta Meta) error {
	sw, err := f.NewStreamWriter(SheetAudit)
	if err != nil {
		return err
	}
	if err := setWidths(sw, []float64{24, 72}); err != nil {
		return err
	}
	if err := sw.SetRow("A1", headerValues(auditHeaders), excelize.RowOpts{StyleID: st.header}); err != nil {
		return err
	}
	vals := auditValues(r, res, meta)
	row := newCellRow(st.text, st.text)
	for i, key := range auditKeys {
		row.set(0, key)
		row.set(1, orNil(vals[key]))
		if err := row.write(sw, i+2); err != nil {
			return err
		}
	}
	n := len(auditKeys) + 3
	for i, para := range verifyHelp {
		ref := "A" + strconv.Itoa(n+i)
		if i == 0 {
			if err := sw.SetRow(ref, []any{excelize.Cell{StyleID: st.bold, Value: para}}); err != nil {
				return err
			}
			continue
		}
		// About 40 Chinese characters fit on a line of the merged A:B.
		lines := (len([]rune(para)) + 39) / 40
		if err := sw.SetRow(ref, []any{excelize.Cell{StyleID: st.wrap, Value: para}}, excelize.RowOpts{Height: float64(16 * max(lines, 1))}); err != nil {
			return err
		}
		if err := sw.MergeCell(ref, "B"+strconv.Itoa(n+i)); err != nil {
			return err
		}
	}
	return sw.Flush()
}
