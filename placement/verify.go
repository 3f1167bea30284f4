package placement

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"qiao/sheet"
)

// Recorded is what a result workbook (written by WriteXLSX) says: its audit
// record, the class of every pupil, the head teachers and the class sheets.
type Recorded struct {
	Algorithm    string
	InputDigest  string
	Params       Params
	Entropy      string
	Commitment   string
	Secret       string
	Seed         string
	OutputDigest string
	Pupils       int // 学生人数 as recorded in the audit sheet
	School       string
	Title        string
	Created      time.Time // zero when not recorded
	Software     string

	// Placed are the rows of 全部学生 in sheet order; Class maps each
	// 学号 to its class number.
	Placed []Placed
	Class  map[string]int
	// Teachers holds the head teacher of class c at c-1, from 均衡报告
	// (nil when the draw had none).
	Teachers []string
	// Lists are the class sheets (1班, 2班, …) found in the workbook, by
	// class number.
	Lists []ClassList

	columns  [numCols]bool // which pupil columns 全部学生 has
	date1904 bool
}

// Placed is one row of the 全部学生 sheet.
type Placed struct {
	Row    int // spreadsheet row
	ID     string
	Class  int
	fields [numCols]string // raw cells, by the col* roles of read.go
}

// ClassList is one class sheet.
type ClassList struct {
	Class int
	Sheet string
	Title string   // the title row
	IDs   []string // 学号 of the pupils listed, in sheet order
	Rows  []int    // spreadsheet row of each
}

// ResultError says why a workbook cannot be read as a result: it is not a
// Qiao result, or it is damaged. Sheet and Row (1-based; 0 = the sheet as a
// whole) say where. Code is one of the Result* constants; the UI and CLI
// translate it as "placement.result.CODE".
type ResultError struct {
	Sheet  string
	Row    int
	Column string
	Code   string
	Args   []any
}

// ResultError codes.
const (
	ResultUnreadable    = "unreadable"     // not a workbook at all: Args[0] is the reason
	ResultNotQiao       = "not_qiao"       // no audit sheet: not a Qiao result
	ResultMissingSheet  = "missing_sheet"  // a sheet the result must have is absent
	ResultMissingKey    = "missing_key"    // Args[0]: audit key
	ResultDuplicateKey  = "duplicate_key"  // Args[0]: audit key
	ResultBadValue      = "bad_value"      // Args[0]: the value; Column names the key or column
	ResultMissingColumn = "missing_column" // Column: the header
	ResultEmpty         = "empty"          // a required cell is empty
	ResultDuplicateID   = "duplicate_id"   // Args[0]: 学号, Args[1]: row that has it first
	ResultDuplicateRow  = "duplicate_row"  // Args[0]: class number in 均衡报告 given twice
	ResultNoPupils      = "no_pupils"      // 全部学生 lists nobody
)

func (e *ResultError) Error() string {
	where := "placement: result workbook"
	if e.Sheet != "" {
		where += ", sheet " + e.Sheet
	}
	if e.Row > 0 {
		where += ", row " + strconv.Itoa(e.Row)
	}
	if e.Column != "" {
		where += ", " + e.Column
	}
	var what string
	switch e.Code {
	case ResultUnreadable:
		what = fmt.Sprintf("cannot be read: %v", e.Args...)
	case ResultNotQiao:
		what = "this is not a Qiao placement result (it has no " + SheetAudit + " sheet)"
	case ResultMissingSheet:
		what = "the sheet is missing"
	case ResultMissingKey:
		what = fmt.Sprintf("the audit record has no %q row", e.Args...)
	case ResultDuplicateKey:
		what = fmt.Sprintf("the audit record has %q twice", e.Args...)
	case ResultBadValue:
		what = fmt.Sprintf("%q is not a valid value", e.Args...)
	case ResultMissingColumn:
		what = "the column is missing"
	case ResultEmpty:
		what = "the cell is empty"
	case ResultDuplicateID:
		what = fmt.Sprintf("学号 %s is also in row %d", e.Args...)
	case ResultDuplicateRow:
		what = fmt.Sprintf("class %d is listed twice", e.Args...)
	case ResultNoPupils:
		what = "no pupils are listed"
	default:
		what = e.Code
	}
	return where + ": " + what
}

// maxResultSize bounds what ReadResult unzips, against zip bombs;
// maxClasses the 班级数 it accepts, so a damaged value allocates nothing
// absurd.
const (
	maxResultSize = 1 << 30
	maxClasses    = 10000
)

// ReadResultFile reads a result workbook from a file.
func ReadResultFile(path string) (*Recorded, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, &ResultError{Code: ResultUnreadable, Args: []any{err.Error()}}
	}
	defer fh.Close()
	return ReadResult(fh)
}

// ReadResult reads a result workbook written by WriteXLSX back: the audit
// record, every pupil's class from 全部学生, the head teachers from 均衡报告
// and the pupils listed on each class sheet. It checks the file's structure
// only; Verify checks its content. A file that is not a Qiao result or is
// damaged gives a *ResultError naming the sheet and row.
func ReadResult(rd io.Reader) (*Recorded, error) {
	f, err := excelize.OpenReader(rd, excelize.Options{UnzipSizeLimit: maxResultSize})
	if err != nil {
		return nil, &ResultError{Code: ResultUnreadable, Args: []any{err.Error()}}
	}
	defer f.Close()
	rec := &Recorded{}
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		rec.date1904 = *props.Date1904
	}
	sheets := map[string]bool{}
	for _, n := range f.GetSheetList() {
		sheets[n] = true
	}
	if !sheets[SheetAudit] {
		return nil, &ResultError{Code: ResultNotQiao}
	}
	for _, s := range []string{SheetAll, SheetReport} {
		if !sheets[s] {
			return nil, &ResultError{Sheet: s, Code: ResultMissingSheet}
		}
	}
	rows := func(sheet string) ([][]string, error) {
		r, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, &ResultError{Sheet: sheet, Code: ResultUnreadable, Args: []any{err.Error()}}
		}
		return r, nil
	}
	audit, err := rows(SheetAudit)
	if err != nil {
		return nil, err
	}
	if err := rec.readAudit(audit); err != nil {
		return nil, err
	}
	all, err := rows(SheetAll)
	if err != nil {
		return nil, err
	}
	if err := rec.readAll(all); err != nil {
		return nil, err
	}
	report, err := rows(SheetReport)
	if err != nil {
		return nil, err
	}
	if err := rec.readReport(report); err != nil {
		return nil, err
	}
	for _, n := range f.GetSheetList() {
		c, ok := classOfSheet(n)
		if !ok {
			continue
		}
		sheet, err := rows(n)
		if err != nil {
			return nil, err
		}
		list, err := readClassList(n, c, sheet)
		if err != nil {
			return nil, err
		}
		rec.Lists = append(rec.Lists, list)
	}
	sort.Slice(rec.Lists, func(i, j int) bool { return rec.Lists[i].Class < rec.Lists[j].Class })
	return rec, nil
}

// classOfSheet recognises the name of a class sheet, "12班".
func classOfSheet(name string) (int, bool) {
	num, ok := strings.CutSuffix(name, "班")
	if !ok || num == "" || num[0] == '0' || !sheet.Digits(num) || len(num) > 6 {
		return 0, false
	}
	c, err := strconv.Atoi(num)
	return c, err == nil
}

func cellAt(row []string, i int) string {
	if i < 0 || i >= len(row) {
		return ""
	}
	return strings.TrimSpace(row[i])
}

// parseCount reads a whole number as Excel may store it ("3" or "3.0").
func parseCount(s string) (int, bool) {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".0")
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func (rec *Recorded) readAudit(rows [][]string) error {
	want := map[string]bool{}
	for _, k := range auditKeys {
		want[k] = true
	}
	vals, at := map[string]string{}, map[string]int{}
	for i, r := range rows {
		key := cellAt(r, 0)
		if !want[key] {
			continue
		}
		if first, dup := at[key]; dup {
			return &ResultError{Sheet: SheetAudit, Row: i + 1, Code: ResultDuplicateKey, Args: []any{key, first}}
		}
		vals[key], at[key] = cellAt(r, 1), i+1
	}
	for _, k := range auditKeys {
		if _, ok := vals[k]; !ok {
			return &ResultError{Sheet: SheetAudit, Code: ResultMissingKey, Args: []any{k}}
		}
	}
	bad := func(key string) error {
		return &ResultError{Sheet: SheetAudit, Row: at[key], Column: key, Code: ResultBadValue, Args: []any{vals[key]}}
	}
	flag := func(key string) (bool, error) {
		switch vals[key] {
		case "1":
			return true, nil
		case "0":
			return false, nil
		}
		return false, bad(key)
	}
	rec.Algorithm = vals[AuditAlgorithm]
	rec.InputDigest = vals[AuditInputDigest]
	rec.Entropy = vals[AuditEntropy]
	rec.Commitment = vals[AuditCommitment]
	rec.Secret = vals[AuditSecret]
	rec.Seed = vals[AuditSeed]
	rec.OutputDigest = vals[AuditOutputDigest]
	rec.School = vals[AuditSchool]
	rec.Title = vals[AuditTitle]
	rec.Software = vals[AuditSoftware]
	var ok bool
	var err error
	if rec.Algorithm == "" {
		return bad(AuditAlgorithm)
	}
	if rec.Params.Classes, ok = parseCount(vals[AuditClasses]); !ok || rec.Params.Classes < 1 || rec.Params.Classes > maxClasses {
		return bad(AuditClasses)
	}
	if rec.Params.BalanceScore, err = flag(AuditBalanceScore); err != nil {
		return err
	}
	if rec.Params.BalanceAge, err = flag(AuditBalanceAge); err != nil {
		return err
	}
	if rec.Pupils, ok = parseCount(vals[AuditPupils]); !ok || rec.Pupils < 0 {
		return bad(AuditPupils)
	}
	if v := vals[AuditCreated]; v != "" {
		if rec.Created, err = time.Parse(time.RFC3339, v); err != nil {
			return bad(AuditCreated)
		}
	}
	return nil
}

// readAll reads 全部学生: 学号 and 班级 are required; the other columns
// are kept, when present, to compare with the enrolment list.
func (rec *Recorded) readAll(rows [][]string) error {
	if len(rows) == 0 {
		return &ResultError{Sheet: SheetAll, Code: ResultNoPupils}
	}
	cols := make([]int, len(allHeaders)) // by the position in allHeaders
	for i := range cols {
		cols[i] = -1
	}
	for ci, h := range rows[0] {
		h = sheet.NormHeader(h)
		for i, name := range allHeaders {
			if h == name && cols[i] < 0 {
				cols[i] = ci
			}
		}
	}
	classCol := len(allHeaders) - 1
	for _, i := range []int{colID, classCol} {
		if cols[i] < 0 {
			return &ResultError{Sheet: SheetAll, Row: 1, Column: allHeaders[i], Code: ResultMissingColumn}
		}
	}
	for role := range numCols {
		rec.columns[role] = cols[role] >= 0
	}
	rec.Class = make(map[string]int, len(rows))
	firstRow := make(map[string]int, len(rows))
	rec.Placed = make([]Placed, 0, len(rows)-1)
	for i := 1; i < len(rows); i++ {
		r := rows[i]
		if strings.TrimSpace(strings.Join(r, "")) == "" {
			continue
		}
		p := Placed{Row: i + 1}
		for role := range numCols {
			p.fields[role] = cellAt(r, cols[role])
		}
		p.ID = sheet.Clean(p.fields[colID])
		if p.ID == "" {
			return &ResultError{Sheet: SheetAll, Row: p.Row, Column: allHeaders[colID], Code: ResultEmpty}
		}
		if first, dup := firstRow[p.ID]; dup {
			return &ResultError{Sheet: SheetAll, Row: p.Row, Column: allHeaders[colID], Code: ResultDuplicateID, Args: []any{p.ID, first}}
		}
		v := cellAt(r, cols[classCol])
		c, ok := parseCount(strings.TrimSuffix(v, "班"))
		if v == "" {
			return &ResultError{Sheet: SheetAll, Row: p.Row, Column: allHeaders[classCol], Code: ResultEmpty}
		}
		if !ok {
			return &ResultError{Sheet: SheetAll, Row: p.Row, Column: allHeaders[classCol], Code: ResultBadValue, Args: []any{v}}
		}
		p.Class = c
		firstRow[p.ID] = p.Row
		rec.Class[p.ID] = c
		rec.Placed = append(rec.Placed, p)
	}
	if len(rec.Placed) == 0 {
		return &ResultError{Sheet: SheetAll, Code: ResultNoPupils}
	}
	return nil
}

// readReport takes the head teachers from 均衡报告.
func (rec *Recorded) readReport(rows [][]string) error {
	classCol, teacherCol := -1, -1
	if len(rows) > 0 {
		for ci, h := range rows[0] {
			switch sheet.NormHeader(h) {
			case reportHeaders[0]:
				classCol = ci
			case reportHeaders[1]:
				teacherCol = ci
			}
		}
	}
	for i, c := range []int{classCol, teacherCol} {
		if c < 0 {
			return &ResultError{Sheet: SheetReport, Row: 1, Column: reportHeaders[i], Code: ResultMissingColumn}
		}
	}
	k := rec.Params.Classes
	teachers := make([]string, k)
	seen := map[int]int{}
	named := false
	for i := 1; i < len(rows); i++ {
		v := cellAt(rows[i], classCol)
		if v == spreadLabel {
			break
		}
		c, ok := parseCount(v)
		if !ok {
			continue // notes, blank rows
		}
		if _, dup := seen[c]; dup {
			return &ResultError{Sheet: SheetReport, Row: i + 1, Column: reportHeaders[0], Code: ResultDuplicateRow, Args: []any{c}}
		}
		seen[c] = i + 1
		if c >= 1 && c <= k {
			teachers[c-1] = sheet.Clean(cellAt(rows[i], teacherCol))
			named = named || teachers[c-1] != ""
		}
	}
	if named {
		rec.Teachers = teachers
	}
	return nil
}

// readClassList reads a class sheet: the title row, then the header row
// with 学号, then one pupil per row.
func readClassList(sheetName string, class int, rows [][]string) (ClassList, error) {
	l := ClassList{Class: class, Sheet: sheetName}
	header, idCol := -1, -1
	for i, r := range rows {
		for ci, h := range r {
			if sheet.NormHeader(h) == classHeaders[1] {
				header, idCol = i, ci
				break
			}
		}
		if header >= 0 {
			break
		}
		if l.Title == "" {
			l.Title = strings.TrimSpace(strings.Join(r, ""))
		}
	}
	if header < 0 {
		return l, &ResultError{Sheet: sheetName, Column: classHeaders[1], Code: ResultMissingColumn}
	}
	for i := header + 1; i < len(rows); i++ {
		if id := sheet.Clean(cellAt(rows[i], idCol)); id != "" {
			l.IDs = append(l.IDs, id)
			l.Rows = append(l.Rows, i+1)
		}
	}
	return l, nil
}

// ErrUnknownAlgorithm is returned (wrapped) by Verify for a result made by
// a draw algorithm this version of Qiao does not implement.
var ErrUnknownAlgorithm = errors.New("placement: unknown placement algorithm")

// Difference is one way a result workbook disagrees with a recomputation
// or with itself. Code is one of the Diff* constants; the UI and CLI
// translate it as "placement.verify.CODE".
type Difference struct {
	Code    string
	PupilID string // for pupil differences
	Class   int    // for teacher and class sheet differences
	Sheet   string // where the recorded value is, if in one place
	Row     int
	Column  string // for DiffPupilDetails: the column in 全部学生
	// Recorded is what the workbook says; Recomputed what the
	// recomputation gives or, for the file's consistency checks, what the
	// rest of the workbook implies.
	Recorded, Recomputed string
}

// Difference codes.
const (
	DiffInputDigest      = "input_digest"       // the enrolment list is not the one the result was drawn from
	DiffCommitment       = "commitment"         // the revealed secret does not match the published commitment
	DiffSeed             = "seed"               // the recorded seed is not the one the recorded inputs give
	DiffDraw             = "draw_failed"        // the recorded parameters cannot be drawn: Recomputed is why
	DiffOutputDigest     = "output_digest"      // the recorded result digest differs from the recomputed one
	DiffAssignmentDigest = "assignment_digest"  // the recorded result digest does not match the recorded classes and teachers
	DiffPupilCount       = "pupil_count"        // 学生人数 differs from the rows of 全部学生
	DiffClass            = "class"              // a pupil's recorded class differs from the recomputed one
	DiffPupilMissing     = "pupil_missing"      // a pupil of the list is absent from 全部学生
	DiffPupilExtra       = "pupil_extra"        // a pupil in 全部学生 is not on the list
	DiffPupilDetails     = "pupil_details"      // a pupil's details in 全部学生 differ from the list (Column says which)
	DiffTeacher          = "teacher"            // a class's recorded head teacher differs from the recomputed one
	DiffClassSheet       = "class_sheet"        // a pupil is on another class's sheet (or is not on the list)
	DiffClassSheetAbsent = "class_sheet_absent" // a pupil is on no class sheet (or Class's sheet is missing)
	DiffClassSheetTwice  = "class_sheet_twice"  // a pupil is listed twice on its class sheet
	DiffClassSheetTitle  = "class_sheet_title"  // a class sheet's title (school, title, head teacher) differs
)

func (d Difference) String() string {
	var who string
	switch {
	case d.PupilID != "":
		who = "pupil " + d.PupilID + ": "
	case d.Class > 0:
		who = "class " + strconv.Itoa(d.Class) + ": "
	}
	where := ""
	if d.Sheet != "" {
		where = " (sheet " + d.Sheet
		if d.Row > 0 {
			where += " row " + strconv.Itoa(d.Row)
		}
		where += ")"
	}
	col := ""
	if d.Column != "" {
		col = " " + d.Column
	}
	return fmt.Sprintf("%s%s%s: recorded %q, recomputed %q%s", who, d.Code, col, d.Recorded, d.Recomputed, where)
}

// Verification is the outcome of Verify.
type Verification struct {
	InputDigest  string // of the enrolment list given
	InputMatches bool   // it is the one the result was drawn from
	Seed         string // recomputed; "" when the list differs
	OutputDigest string // recomputed; "" when the draw was not redone
	Differences  []Difference
}

// OK reports whether the result is exactly what the draw gives.
func (v *Verification) OK() bool { return len(v.Differences) == 0 }

// Verify checks a result workbook against the enrolment list: the list
// must be the one drawn from (its digest); the draw redone from the
// recorded parameters, entropy and secret must give the recorded seed,
// classes, head teachers and result digest; and the workbook must agree
// with itself (result digest against the recorded classes, class sheets
// against 全部学生, secret against commitment). When the list differs the
// draw is not redone, since every class would differ. A result of an
// algorithm this version does not know is an error wrapping
// ErrUnknownAlgorithm.
func Verify(r *Roster, rec *Recorded) (*Verification, error) {
	if rec.Algorithm != Algorithm {
		return nil, fmt.Errorf("%w: the result was made with %q; this version of Qiao implements %q", ErrUnknownAlgorithm, rec.Algorithm, Algorithm)
	}
	v := &Verification{InputDigest: Digest(r)}
	v.InputMatches = v.InputDigest == rec.InputDigest
	diff := func(d Difference) { v.Differences = append(v.Differences, d) }
	if !v.InputMatches {
		diff(Difference{Code: DiffInputDigest, Sheet: SheetAudit, Recorded: rec.InputDigest, Recomputed: v.InputDigest})
	}
	if rec.Commitment != "" {
		if c := Commitment(rec.Secret); c != rec.Commitment {
			diff(Difference{Code: DiffCommitment, Sheet: SheetAudit, Recorded: rec.Commitment, Recomputed: c})
		}
	}
	if rec.Pupils != len(rec.Placed) {
		diff(Difference{Code: DiffPupilCount, Sheet: SheetAudit, Recorded: strconv.Itoa(rec.Pupils), Recomputed: strconv.Itoa(len(rec.Placed))})
	}
	if d := recordedDigest(rec); d != rec.OutputDigest {
		diff(Difference{Code: DiffAssignmentDigest, Sheet: SheetAudit, Recorded: rec.OutputDigest, Recomputed: d})
	}

	var res *Result
	if v.InputMatches {
		seed := Seed(v.InputDigest, rec.Params, rec.Entropy, rec.Secret)
		v.Seed = fmt.Sprintf("%x", seed[:])
		if v.Seed != rec.Seed {
			diff(Difference{Code: DiffSeed, Sheet: SheetAudit, Recorded: rec.Seed, Recomputed: v.Seed})
		}
		var err error
		if res, err = Draw(r, rec.Params, rec.Entropy, rec.Secret); err != nil {
			diff(Difference{Code: DiffDraw, Sheet: SheetAudit, Recorded: rec.Params.canonical(), Recomputed: err.Error()})
		} else {
			v.OutputDigest = res.OutputDigest
			if res.OutputDigest != rec.OutputDigest {
				diff(Difference{Code: DiffOutputDigest, Sheet: SheetAudit, Recorded: rec.OutputDigest, Recomputed: res.OutputDigest})
			}
		}
	}

	// Pupils: presence, details and (when the draw was redone) classes.
	placed := make(map[string]*Placed, len(rec.Placed))
	for i := range rec.Placed {
		placed[rec.Placed[i].ID] = &rec.Placed[i]
	}
	inRoster := make(map[string]bool, len(r.Pupils))
	for i, p := range r.Pupils {
		inRoster[p.ID] = true
		pl := placed[p.ID]
		if pl == nil {
			d := Difference{Code: DiffPupilMissing, PupilID: p.ID, Sheet: SheetAll}
			if res != nil {
				d.Recomputed = strconv.Itoa(res.Class[i])
			}
			diff(d)
			continue
		}
		for _, d := range detailDiffs(rec, pl, p) {
			diff(d)
		}
		if res != nil && pl.Class != res.Class[i] {
			diff(Difference{Code: DiffClass, PupilID: p.ID, Sheet: SheetAll, Row: pl.Row,
				Recorded: strconv.Itoa(pl.Class), Recomputed: strconv.Itoa(res.Class[i])})
		}
	}
	for _, pl := range rec.Placed {
		if !inRoster[pl.ID] {
			diff(Difference{Code: DiffPupilExtra, PupilID: pl.ID, Sheet: SheetAll, Row: pl.Row, Recorded: strconv.Itoa(pl.Class)})
		}
	}

	// Head teachers.
	if res != nil {
		for c := 1; c <= rec.Params.Classes; c++ {
			want, got := teacherOf(res.Teachers, c), teacherOf(rec.Teachers, c)
			if want != got {
				diff(Difference{Code: DiffTeacher, Class: c, Sheet: SheetReport, Row: c + 1, Recorded: got, Recomputed: want})
			}
		}
	}

	// The class sheets, against the recomputed draw or, when it was not
	// redone, against 全部学生 and 均衡报告.
	class, teachers := rec.Class, rec.Teachers
	if res != nil {
		class, teachers = make(map[string]int, len(r.Pupils)), res.Teachers
		for i, p := range r.Pupils {
			class[p.ID] = res.Class[i]
		}
	}
	for _, d := range classSheetDiffs(rec, class, teachers) {
		diff(d)
	}
	return v, nil
}

func teacherOf(teachers []string, c int) string {
	if c-1 < len(teachers) {
		return teachers[c-1]
	}
	return ""
}

// recordedDigest is the result digest of the classes and teachers the
// workbook records, whatever order 全部学生 is sorted in.
func recordedDigest(rec *Recorded) string {
	ids := make([]Placed, len(rec.Placed))
	copy(ids, rec.Placed)
	sort.Slice(ids, func(i, j int) bool { return ids[i].ID < ids[j].ID })
	r := &Roster{Pupils: make([]Pupil, len(ids))}
	class := make([]int, len(ids))
	for i, p := range ids {
		r.Pupils[i].ID, class[i] = p.ID, p.Class
	}
	return OutputDigest(r, class, rec.Teachers)
}

// detailDiffs compares a pupil's row in 全部学生 with the enrolment list,
// column by column (only the columns the sheet has).
func detailDiffs(rec *Recorded, pl *Placed, p Pupil) []Difference {
	var out []Difference
	cmp := func(role int, recorded, list string) {
		if rec.columns[role] && recorded != list {
			out = append(out, Difference{Code: DiffPupilDetails, PupilID: p.ID, Sheet: SheetAll, Row: pl.Row,
				Column: allHeaders[role], Recorded: pl.fields[role], Recomputed: list})
		}
	}
	f := pl.fields
	cmp(colName, sheet.Clean(f[colName]), p.Name)
	gender := f[colGender]
	if g, ok := parseGender(sheet.Clean(gender)); ok {
		gender = genderText(g)
	}
	cmp(colGender, gender, genderText(p.Gender))
	birth := f[colBirth]
	if d, ok := parseDate(sheet.Clean(birth), rec.date1904); ok {
		birth = d.String()
	}
	cmp(colBirth, birth, p.Birth.String())
	score := sheet.Clean(f[colScore])
	if s, ok := parseScore(score); ok && score != "" {
		score = formatHundredths(s)
	}
	cmp(colScore, score, p.ScoreString())
	cmp(colTogether, sheet.Clean(f[colTogether]), p.Together)
	cmp(colApart, sheet.Clean(f[colApart]), p.Apart)
	special := sheet.Clean(f[colSpecial])
	isSpecial := special != "" && special != "0" && special != "否" && !strings.EqualFold(special, "no") && !strings.EqualFold(special, "false")
	if isSpecial != p.Special {
		want := ""
		if p.Special {
			want = "是"
		}
		cmp(colSpecial, special, want)
	}
	fixed := strings.TrimSuffix(sheet.Clean(f[colFixed]), "班")
	if n, ok := parseCount(fixed); ok {
		fixed = strconv.Itoa(n)
	}
	want := ""
	if p.Fixed > 0 {
		want = strconv.Itoa(p.Fixed)
	}
	cmp(colFixed, fixed, want)
	return out
}

// classSheetDiffs checks the class sheets against the pupils' classes and
// the head teachers: every pupil on exactly its class's sheet, the titles
// as WriteXLSX writes them.
func classSheetDiffs(rec *Recorded, class map[string]int, teachers []string) []Difference {
	var out []Difference
	listed := make(map[string]int, len(class))
	have := map[int]bool{}
	for _, l := range rec.Lists {
		have[l.Class] = true
		if l.Class <= rec.Params.Classes {
			want := classTitle(rec.School, rec.Title, l.Class, teacherOf(teachers, l.Class))
			if l.Title != want {
				out = append(out, Difference{Code: DiffClassSheetTitle, Class: l.Class, Sheet: l.Sheet, Row: 1, Recorded: l.Title, Recomputed: want})
			}
		}
		for i, id := range l.IDs {
			listed[id]++
			c, ok := class[id]
			if ok && c == l.Class && listed[id] > 1 {
				out = append(out, Difference{Code: DiffClassSheetTwice, PupilID: id, Sheet: l.Sheet, Row: l.Rows[i], Recorded: strconv.Itoa(l.Class)})
			} else if !ok || c != l.Class {
				d := Difference{Code: DiffClassSheet, PupilID: id, Sheet: l.Sheet, Row: l.Rows[i], Recorded: strconv.Itoa(l.Class)}
				if ok {
					d.Recomputed = strconv.Itoa(c)
				}
				out = append(out, d)
			}
		}
	}
	for c := 1; c <= rec.Params.Classes; c++ {
		if !have[c] {
			out = append(out, Difference{Code: DiffClassSheetAbsent, Class: c, Sheet: ClassSheetName(c), Recomputed: ClassSheetName(c)})
		}
	}
	ids := make([]string, 0, len(class))
	for id := range class {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if c := class[id]; listed[id] == 0 && have[c] {
			out = append(out, Difference{Code: DiffClassSheetAbsent, PupilID: id, Sheet: ClassSheetName(c), Recomputed: strconv.Itoa(c)})
		}
	}
	return out
}
