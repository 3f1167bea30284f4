package research

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"qiao/sheet"
	"qiao/store"
)

// Problem codes of research imports, beside the shared ones (unreadable,
// no_rows, missing_column, duplicate_column, empty, duplicate_id, bad_date).
const (
	ProblemBadStage         = "bad_stage"
	ProblemBadYear          = "bad_year"
	ProblemBadYesNo         = "bad_yes_no"
	ProblemUnknownGroup     = "unknown_group"
	ProblemUnknownTeacher   = "unknown_teacher"
	ProblemAmbiguousTeacher = "ambiguous_teacher"
	ProblemBadDuration      = "bad_duration"
	ProblemDuplicateTeacher = "duplicate_teacher"
	problemMissingColumn    = "missing_column"
	problemDuplicateColumn  = "duplicate_column"
	problemEmpty            = "empty"
	problemNoRows           = "no_rows"
	problemDuplicateID      = "duplicate_id"
	problemBadDate          = "bad_date"
)

// table is one sheet of an import with its columns found.
type table struct {
	rows    [][]string
	header  int
	cols    []int
	headers []string
	book    *sheet.Book
}

// readTable reads the first sheet of name/data and finds the columns of
// aliases; required roles missing and duplicate columns are problems.
func readTable(name string, data []byte, aliases [][]string, required []int) (*table, []sheet.Problem) {
	book, err := sheet.Read(name, data)
	if err != nil {
		return nil, sheet.Unreadable(err).Problems
	}
	rows := book.Sheets[0]
	t := &table{rows: rows, header: sheet.HeaderRow(rows), book: book}
	if t.header < 0 {
		return nil, []sheet.Problem{{Code: problemNoRows}}
	}
	t.headers = rows[t.header]
	var dups [][2]int
	t.cols, dups = sheet.Columns(t.headers, aliases)
	var problems []sheet.Problem
	for _, d := range dups {
		problems = append(problems, sheet.Problem{Row: t.header + 1, Column: sheet.ColLabel(d[0], t.headers[d[0]]), Code: problemDuplicateColumn, Args: []any{t.headers[d[1]]}})
	}
	for _, r := range required {
		if t.cols[r] < 0 {
			problems = append(problems, sheet.Problem{Row: t.header + 1, Column: aliases[r][0], Code: problemMissingColumn})
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return t, nil
}

// each calls fn for every non-blank data row with a cell reader and a
// problem reporter for that row.
func (t *table) each(fn func(row int, cell func(role int) (string, string), bad func(label, code string, args ...any))) []sheet.Problem {
	var problems []sheet.Problem
	n := 0
	for i := t.header + 1; i < len(t.rows); i++ {
		r := t.rows[i]
		if sheet.Blank(r) {
			continue
		}
		n++
		row := i + 1
		cell := func(role int) (string, string) {
			ci := t.cols[role]
			if ci < 0 {
				return "", ""
			}
			return sheet.Cell(r, ci), sheet.ColLabel(ci, t.headers[ci])
		}
		bad := func(label, code string, args ...any) {
			problems = append(problems, sheet.Problem{Row: row, Column: label, Code: code, Args: args})
		}
		fn(row, cell, bad)
	}
	if n == 0 && len(problems) == 0 {
		problems = append(problems, sheet.Problem{Row: t.header + 1, Code: problemNoRows})
	}
	return problems
}

// Teacher roster columns.
const (
	tcCode = iota
	tcName
	tcSchool
	tcSubject
	tcStage
	tcBirth
	tcTitle
	tcRural
)

var teacherHeaders = [][]string{
	tcCode:    {"教师编号", "工号", "编号", "code", "teacherid", "id"},
	tcName:    {"姓名", "教师姓名", "name"},
	tcSchool:  {"学校", "所在学校", "单位", "school"},
	tcSubject: {"学科", "任教学科", "subject"},
	tcStage:   {"学段", "stage"},
	tcBirth:   {"出生年份", "出生年", "出生年月", "出生日期", "birthyear", "birth", "born"},
	tcTitle:   {"职称", "title"},
	tcRural:   {"乡村", "乡村学校", "农村", "rural"},
}

// ReadTeachers reads a teacher roster (.xlsx or .csv). Every bad row is a
// problem; any problem refuses the whole roster.
func ReadTeachers(name string, data []byte) ([]Teacher, error) {
	t, problems := readTable(name, data, teacherHeaders, []int{tcName})
	if t == nil {
		return nil, &sheet.InputError{Problems: problems}
	}
	var out []Teacher
	seen := map[string]int{}
	problems = t.each(func(row int, cell func(int) (string, string), bad func(string, string, ...any)) {
		var tc Teacher
		var label, v string
		if tc.Name, label = cell(tcName); tc.Name == "" {
			bad(label, problemEmpty)
		}
		tc.Code, label = cell(tcCode)
		tc.School, _ = cell(tcSchool)
		key := "code:" + tc.Code
		if tc.Code == "" {
			key = "name:" + tc.Name + "\x00" + tc.School
		}
		if first, dup := seen[key]; dup && tc.Name != "" {
			if tc.Code != "" {
				bad(label, problemDuplicateID, tc.Code, first)
			} else {
				_, nl := cell(tcName)
				bad(nl, ProblemDuplicateTeacher, tc.Name, first)
			}
		} else {
			seen[key] = row
		}
		tc.Subject, _ = cell(tcSubject)
		if tc.Stage, label = cell(tcStage); tc.Stage != "" && !known(Stages, tc.Stage) {
			bad(label, ProblemBadStage, tc.Stage)
		}
		if v, label = cell(tcBirth); v != "" {
			y, ok := parseBirthYear(v, t.book.Date1904)
			if !ok {
				bad(label, ProblemBadYear, v)
			}
			tc.BirthYear = y
		}
		tc.Title, _ = cell(tcTitle)
		tc.Rural = yesNoCell(cell, tcRural, bad)
		out = append(out, tc)
	})
	if len(problems) > 0 {
		return nil, &sheet.InputError{Problems: problems}
	}
	return out, nil
}

// parseBirthYear reads a year (1960), or a date of birth in any form
// sheet.ParseDate knows.
func parseBirthYear(v string, date1904 bool) (int, bool) {
	if y, err := strconv.Atoi(strings.TrimSuffix(v, "年")); err == nil && y >= 1940 && y <= 2015 {
		return y, true
	}
	if d, ok := sheet.ParseDate(v, date1904); ok && d.Year() >= 1940 && d.Year() <= 2015 {
		return d.Year(), true
	}
	if d, err := time.Parse("2006-1", v); err == nil && d.Year() >= 1940 && d.Year() <= 2015 {
		return d.Year(), true
	}
	if d, err := time.Parse("2006.1", v); err == nil && d.Year() >= 1940 && d.Year() <= 2015 {
		return d.Year(), true
	}
	return 0, false
}

// yesNoCell reads a yes/no column of the row (empty is no), reporting
// anything else as a problem.
func yesNoCell(cell func(int) (string, string), role int, bad func(string, string, ...any)) bool {
	v, label := cell(role)
	if v == "" {
		return false
	}
	yes, ok := parseYesNo(v)
	if !ok {
		bad(label, ProblemBadYesNo, v)
	}
	return yes
}

func parseYesNo(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "是", "乡村", "农村", "y", "yes", "1", "true", "√":
		return true, true
	case "否", "城镇", "城市", "县城", "n", "no", "0", "false", "×":
		return false, true
	}
	return false, false
}

// ImportTeachers saves a roster in one transaction: a teacher already
// known by code (or, without a code, by name and school) is updated, the
// rest are added. It returns how many were added and updated.
func (s *Service) ImportTeachers(ctx context.Context, ts []Teacher) (added, updated int, err error) {
	err = s.st.Update(ctx, func(tx *store.Tx) error {
		added, updated = 0, 0
		for _, t := range ts {
			var id string
			q := `SELECT id FROM research_teachers WHERE deleted=0 AND code=? AND code<>'' LIMIT 1`
			args := []any{t.Code}
			if t.Code == "" {
				q = `SELECT id FROM research_teachers WHERE deleted=0 AND name=? AND school_name=? LIMIT 1`
				args = []any{t.Name, t.School}
			}
			if err := tx.QueryRowContext(ctx, q, args...).Scan(&id); err == nil {
				updated++
			} else {
				added++
			}
			if _, err := tx.Put("research_teachers", s.schoolID, id, teacherFields(t)); err != nil {
				return err
			}
		}
		return nil
	})
	return added, updated, err
}

// teacherHeaderRow is the header of an exported roster: the first name
// of each column, so the file imports back unchanged.
func teacherHeaderRow() []any {
	row := make([]any, len(teacherHeaders))
	for i, h := range teacherHeaders {
		row[i] = h[0]
	}
	row[tcBirth] = "出生年份"
	return row
}

// WriteTeachersXLSX writes a roster that ReadTeachers reads back.
func WriteTeachersXLSX(w io.Writer, ts []Teacher) error {
	return writeRows(w, "教师", teacherHeaderRow(), len(ts), func(i int) ([]any, error) {
		t := ts[i]
		rural := "否"
		if t.Rural {
			rural = "是"
		}
		var birth any
		if t.BirthYear > 0 {
			birth = t.BirthYear
		}
		return []any{t.Code, t.Name, t.School, t.Subject, t.Stage, birth, t.Title, rural}, nil
	})
}

// writeRows streams a one-sheet workbook: a bold header, then n rows.
func writeRows(w io.Writer, sheetName string, header []any, n int, row func(int) ([]any, error)) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheetName); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheetName)
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := sw.SetRow("A1", header, excelize.RowOpts{StyleID: bold}); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		values, err := row(i)
		if err == nil {
			err = sw.SetRow("A"+strconv.Itoa(i+2), values)
		}
		if err != nil {
			return fmt.Errorf("row %d: %w", i+2, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}
