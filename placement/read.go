package placement

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"qiao/sheet"
)

// Column roles and the header names that mean them (compared after
// trimming, removing spaces and lower-casing).
const (
	colID = iota
	colName
	colGender
	colBirth
	colScore
	colTogether
	colApart
	colSpecial
	colFixed
	numCols
)

var headerNames = [numCols][]string{
	colID:       {"学号", "学籍号", "编号", "考号", "id", "studentid", "no"},
	colName:     {"姓名", "学生姓名", "name"},
	colGender:   {"性别", "gender", "sex"},
	colBirth:    {"出生日期", "出生年月日", "出生年月", "生日", "birthdate", "birthday", "dateofbirth", "dob"},
	colScore:    {"成绩", "分数", "总分", "入学成绩", "score"},
	colTogether: {"同班", "together"},
	colApart:    {"分开", "apart"},
	colSpecial:  {"特殊", "special"},
	colFixed:    {"指定班级", "指定", "fixed", "class"},
}

var required = []int{colID, colName, colGender, colBirth}

// teacherSheetNames are sheet names that hold the head teachers.
var teacherSheetNames = []string{"班主任", "teachers", "headteachers"}

// ReadFile reads an enrolment list from .xlsx or .csv (UTF-8 or GBK). In a
// workbook the first sheet holds the pupils and a sheet named 班主任 or
// Teachers, if any, the head teachers. Any problem refuses the whole file
// with an *InputError listing every problem.
func ReadFile(path string) (*Roster, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &InputError{Problems: []Problem{{Code: ProblemUnreadable, Args: []any{err.Error()}}}}
	}
	return Read(filepath.Base(path), data)
}

// Read is ReadFile on data already in memory; name's extension decides
// the format.
func Read(name string, data []byte) (*Roster, error) {
	book, err := sheet.Read(name, data)
	if err != nil {
		return nil, &InputError{Problems: []Problem{{Code: ProblemUnreadable, Args: []any{err.Error()}}}}
	}
	sheets, date1904 := pickSheets(book.Sheets, book.Names), book.Date1904
	r := &Roster{}
	var problems []Problem
	r.Pupils, problems = parsePupils(sheets[0], date1904)
	if len(sheets) > 1 {
		var tp []Problem
		r.Teachers, tp = parseTeachers(sheets[1])
		problems = append(problems, tp...)
	}
	problems = append(problems, checkGroups(r.Pupils)...)
	if len(problems) > 0 {
		return nil, &InputError{Problems: problems}
	}
	return r, nil
}

// ReadTeachers reads a separate head-teacher list (.xlsx or .csv, a 姓名/Name column).
func ReadTeachers(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &InputError{Problems: []Problem{{Code: ProblemUnreadable, Args: []any{err.Error()}}}}
	}
	return ReadTeachersData(filepath.Base(path), data)
}

// ReadTeachersData is ReadTeachers on data already in memory; name's
// extension decides the format.
func ReadTeachersData(name string, data []byte) ([]string, error) {
	book, err := sheet.Read(name, data)
	if err != nil {
		return nil, &InputError{Problems: []Problem{{Code: ProblemUnreadable, Args: []any{err.Error()}}}}
	}
	rows := book.Sheets[0]
	if picked := pickSheets(book.Sheets, book.Names); len(picked) > 1 {
		rows = picked[1]
	}
	t, problems := parseTeachers(rows)
	if len(problems) > 0 {
		return nil, &InputError{Problems: problems}
	}
	return t, nil
}

// pickSheets returns the pupils' sheet and, if present, the teachers'.
func pickSheets(sheets [][][]string, names []string) [][][]string {
	pupils, teachers := -1, -1
	for i, n := range names {
		for _, t := range teacherSheetNames {
			if sheet.NormHeader(n) == t && teachers < 0 {
				teachers = i
			}
		}
		if i != teachers && pupils < 0 {
			pupils = i
		}
	}
	if pupils < 0 {
		return [][][]string{nil}
	}
	if teachers < 0 {
		return [][][]string{sheets[pupils]}
	}
	return [][][]string{sheets[pupils], sheets[teachers]}
}

// findHeader locates the header row (the first non-empty row) and maps
// column roles to indexes.
func findHeader(rows [][]string) (headerRow int, cols [numCols]int, headers []string, problems []Problem) {
	headerRow = sheet.HeaderRow(rows)
	if headerRow < 0 {
		for i := range cols {
			cols[i] = -1
		}
		return -1, cols, nil, []Problem{{Code: ProblemNoRows}}
	}
	headers = rows[headerRow]
	found, dups := sheet.Columns(headers, headerNames[:])
	copy(cols[:], found)
	for _, d := range dups {
		problems = append(problems, Problem{Row: headerRow + 1, Column: sheet.ColLabel(d[0], headers[d[0]]), Code: ProblemDuplicateColumn, Args: []any{headers[d[1]]}})
	}
	return headerRow, cols, headers, problems
}

func parsePupils(rows [][]string, date1904 bool) ([]Pupil, []Problem) {
	hr, cols, headers, problems := findHeader(rows)
	if hr < 0 {
		return nil, problems
	}
	for _, role := range required {
		if cols[role] < 0 {
			problems = append(problems, Problem{Row: hr + 1, Column: headerNames[role][0] + "/" + headerNames[role][len(headerNames[role])-1], Code: ProblemMissingColumn})
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	cell := func(r []string, role int) (string, string) {
		ci := cols[role]
		if ci < 0 {
			return "", ""
		}
		label := sheet.ColLabel(ci, headers[ci])
		if ci >= len(r) {
			return "", label
		}
		return sheet.Clean(r[ci]), label
	}
	var pupils []Pupil
	firstRow := map[string]int{}
	for i := hr + 1; i < len(rows); i++ {
		r := rows[i]
		if strings.TrimSpace(strings.Join(r, "")) == "" {
			continue
		}
		row := i + 1
		p := Pupil{Row: row}
		bad := func(label, code string, args ...any) {
			problems = append(problems, Problem{Row: row, Column: label, Code: code, Args: args})
		}
		var v, label string
		if v, label = cell(r, colID); v == "" {
			bad(label, ProblemEmpty)
		} else if first, dup := firstRow[v]; dup {
			bad(label, ProblemDuplicateID, v, first)
		} else {
			firstRow[v] = row
			p.ID = v
		}
		if p.Name, label = cell(r, colName); p.Name == "" {
			bad(label, ProblemEmpty)
		}
		v, label = cell(r, colGender)
		switch g, ok := parseGender(v); {
		case v == "":
			bad(label, ProblemEmpty)
		case !ok:
			bad(label, ProblemBadGender, v)
		default:
			p.Gender = g
		}
		v, label = cell(r, colBirth)
		switch d, ok := parseDate(v, date1904); {
		case v == "":
			bad(label, ProblemEmpty)
		case !ok:
			bad(label, ProblemBadDate, v)
		default:
			p.Birth = d
		}
		if v, label = cell(r, colScore); v != "" {
			s, ok := parseScore(v)
			if !ok {
				bad(label, ProblemBadScore, v)
			}
			p.Score, p.HasScore = s, ok
		}
		p.Together, _ = cell(r, colTogether)
		p.Apart, _ = cell(r, colApart)
		v, _ = cell(r, colSpecial)
		p.Special = v != "" && v != "0" && v != "否" && !strings.EqualFold(v, "no") && !strings.EqualFold(v, "false")
		if v, label = cell(r, colFixed); v != "" {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSuffix(v, "班"), ".0"))
			if err != nil || n < 1 {
				bad(label, ProblemBadFixed, v, 0)
			} else {
				p.Fixed = n
			}
		}
		pupils = append(pupils, p)
	}
	if len(pupils) == 0 && len(problems) == 0 {
		problems = append(problems, Problem{Row: hr + 1, Code: ProblemNoRows})
	}
	sort.Slice(pupils, func(i, j int) bool { return pupils[i].ID < pupils[j].ID })
	return pupils, problems
}

func parseTeachers(rows [][]string) ([]string, []Problem) {
	hr, _, headers, problems := findHeader(rows)
	if hr < 0 {
		return nil, problems
	}
	col := -1
	for ci, h := range headers {
		switch sheet.NormHeader(h) {
		case "姓名", "name", "班主任", "教师", "teacher":
			if col < 0 {
				col = ci
			}
		}
	}
	if col < 0 {
		return nil, []Problem{{Row: hr + 1, Column: "姓名/Name", Code: ProblemMissingColumn}}
	}
	var names []string
	for i := hr + 1; i < len(rows); i++ {
		if col < len(rows[i]) {
			if n := sheet.Clean(rows[i][col]); n != "" {
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	return names, problems
}

func parseGender(s string) (Gender, bool) {
	switch strings.ToLower(s) {
	case "男", "男生", "m", "male", "boy", "1":
		return Male, true
	case "女", "女生", "f", "female", "girl", "2":
		return Female, true
	}
	return 0, false
}

// parseDate reads a birth date in any form sheet.ParseDate knows.
func parseDate(s string, date1904 bool) (Date, bool) {
	t, ok := sheet.ParseDate(s, date1904)
	if !ok {
		return 0, false
	}
	return plausible(DateOf(t.Year(), t.Month(), t.Day()))
}

// plausible refuses dates no pupil can have been born on.
func plausible(d Date) (Date, bool) {
	y := d.Time().Year()
	return d, y >= 1950 && y <= 2100
}

// maxScoreDigits bounds a score's whole part (up to 99,999 points), so sums
// of squares over a whole year stay far inside 64 bits.
const maxScoreDigits = 5

// parseScore reads a decimal number into hundredths, rounding any further
// decimals half away from zero, exactly (no binary floating point).
func parseScore(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	if neg || strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" && frac == "" || len(intPart) > maxScoreDigits || !sheet.Digits(intPart) || !sheet.Digits(frac) {
		return 0, false
	}
	frac += "000"
	v, _ := strconv.ParseInt("0"+intPart+frac[:2], 10, 64)
	if frac[2] >= '5' {
		v++
	}
	if neg {
		v = -v
	}
	return v, true
}
