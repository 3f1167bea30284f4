package placement

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
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

func normHeader(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), ""))
}

// ReadFile reads an enrolment list from .xlsx or .csv (UTF-8 or GBK). In a
// workbook the first sheet holds the pupils and a sheet named 班主任 or
// Teachers, if any, the head teachers. Any problem refuses the whole file
// with an *InputError listing every problem.
func ReadFile(path string) (*Roster, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &InputError{[]Problem{{Code: ProblemUnreadable, Args: []any{err.Error()}}}}
	}
	return Read(filepath.Base(path), data)
}

// Read is ReadFile on data already in memory; name's extension decides
// the format.
func Read(name string, data []byte) (*Roster, error) {
	var sheets [][][]string
	var date1904 bool
	var err error
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".txt":
		var rows [][]string
		rows, err = readCSV(data)
		sheets = [][][]string{rows}
	default:
		var names []string
		sheets, names, date1904, err = readXLSX(data)
		if err == nil {
			sheets = pickSheets(sheets, names)
		}
	}
	if err != nil {
		return nil, &InputError{[]Problem{{Code: ProblemUnreadable, Args: []any{err.Error()}}}}
	}
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
		return nil, &InputError{problems}
	}
	return r, nil
}

// ReadTeachers reads a separate head-teacher list (.xlsx or .csv, a 姓名/Name column).
func ReadTeachers(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &InputError{[]Problem{{Code: ProblemUnreadable, Args: []any{err.Error()}}}}
	}
	return ReadTeachersData(filepath.Base(path), data)
}

// ReadTeachersData is ReadTeachers on data already in memory; name's
// extension decides the format.
func ReadTeachersData(name string, data []byte) ([]string, error) {
	var rows [][]string
	var err error
	if strings.EqualFold(filepath.Ext(name), ".csv") {
		rows, err = readCSV(data)
	} else {
		var sheets [][][]string
		var names []string
		sheets, names, _, err = readXLSX(data)
		if err == nil {
			rows = sheets[0]
			if picked := pickSheets(sheets, names); len(picked) > 1 {
				rows = picked[1]
			}
		}
	}
	if err != nil {
		return nil, &InputError{[]Problem{{Code: ProblemUnreadable, Args: []any{err.Error()}}}}
	}
	t, problems := parseTeachers(rows)
	if len(problems) > 0 {
		return nil, &InputError{problems}
	}
	return t, nil
}

// pickSheets returns the pupils' sheet and, if present, the teachers'.
func pickSheets(sheets [][][]string, names []string) [][][]string {
	pupils, teachers := -1, -1
	for i, n := range names {
		for _, t := range teacherSheetNames {
			if normHeader(n) == t && teachers < 0 {
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

func readCSV(data []byte) ([][]string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil {
			return nil, fmt.Errorf("neither UTF-8 nor GBK: %w", err)
		}
		data = dec
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	var rows [][]string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		rows = append(rows, rec)
	}
}

func readXLSX(data []byte) (sheets [][][]string, names []string, date1904 bool, err error) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, nil, false, err
	}
	defer f.Close()
	if props, perr := f.GetWorkbookProps(); perr == nil && props.Date1904 != nil {
		date1904 = *props.Date1904
	}
	for _, n := range f.GetSheetList() {
		rows, err := f.GetRows(n, excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, nil, false, err
		}
		sheets = append(sheets, rows)
		names = append(names, n)
	}
	if len(sheets) == 0 {
		return nil, nil, false, fmt.Errorf("the workbook has no sheets")
	}
	return sheets, names, date1904, nil
}

// findHeader locates the header row (the first non-empty row) and maps
// column roles to indexes.
func findHeader(rows [][]string) (headerRow int, cols [numCols]int, headers []string, problems []Problem) {
	for i := range cols {
		cols[i] = -1
	}
	headerRow = -1
	for i, r := range rows {
		if strings.TrimSpace(strings.Join(r, "")) != "" {
			headerRow = i
			break
		}
	}
	if headerRow < 0 {
		return -1, cols, nil, []Problem{{Code: ProblemNoRows}}
	}
	headers = rows[headerRow]
	for ci, h := range headers {
		n := normHeader(h)
		for role, names := range headerNames {
			for _, name := range names {
				if n != name {
					continue
				}
				if cols[role] >= 0 {
					problems = append(problems, Problem{Row: headerRow + 1, Column: colLabel(ci, h), Code: ProblemDuplicateColumn, Args: []any{headers[cols[role]]}})
				} else {
					cols[role] = ci
				}
			}
		}
	}
	return headerRow, cols, headers, problems
}

// colLabel names a column as the user sees it: its letter and header.
func colLabel(i int, header string) string {
	letter, _ := excelize.ColumnNumberToName(i + 1)
	if h := strings.TrimSpace(header); h != "" {
		return letter + "（" + h + "）"
	}
	return letter
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
		label := colLabel(ci, headers[ci])
		if ci >= len(r) {
			return "", label
		}
		return cleanText(r[ci]), label
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
		switch normHeader(h) {
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
			if n := cleanText(rows[i][col]); n != "" {
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	return names, problems
}

// cleanText trims a cell and turns tabs and line breaks into spaces, so
// the canonical form stays one line per pupil.
func cleanText(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\n', '\r', '\u00a0', '\u3000':
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
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

var dateLayouts = []string{"2006-1-2", "2006/1/2", "2006.1.2", "20060102", "2006年1月2日", "2006-01-02T15:04:05Z", "2006-1-2 15:04:05"}

// parseDate reads YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYYMMDD, YYYY年M月D日, or
// an Excel serial date (a raw date cell).
func parseDate(s string, date1904 bool) (Date, bool) {
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return plausible(DateOf(t.Year(), t.Month(), t.Day()))
		}
	}
	whole, frac, _ := strings.Cut(s, ".")
	if f, err := strconv.ParseFloat(s, 64); err == nil && digits(whole) && digits(frac) && f > 1000 && f < 200000 {
		t, err := excelize.ExcelDateToTime(math.Floor(f), date1904)
		if err == nil {
			return plausible(DateOf(t.Year(), t.Month(), t.Day()))
		}
	}
	return 0, false
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
	if intPart == "" && frac == "" || len(intPart) > maxScoreDigits || !digits(intPart) || !digits(frac) {
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

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
