// Package sheet reads the spreadsheets schools keep (.xlsx, and .csv in
// UTF-8 or GBK) into rows of text, and holds the small rules every import
// shares: header names compared loosely, cells cleaned, columns named as
// the user sees them, dates in the forms Chinese schools write them.
package sheet

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Book is a spreadsheet read as text: its sheets in order (a CSV file is
// one sheet named after the file).
type Book struct {
	Names    []string
	Sheets   [][][]string
	Date1904 bool // dates in raw cells count from 1904 (old Mac workbooks)
}

// Read reads a workbook or CSV file; name's extension decides the format.
func Read(name string, data []byte) (*Book, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".txt":
		rows, err := ReadCSV(data)
		if err != nil {
			return nil, err
		}
		return &Book{Names: []string{strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))}, Sheets: [][][]string{rows}}, nil
	}
	sheets, names, date1904, err := ReadXLSX(data)
	if err != nil {
		return nil, err
	}
	return &Book{Names: names, Sheets: sheets, Date1904: date1904}, nil
}

// ReadCSV reads CSV text, UTF-8 (with or without BOM) or else GBK/GB18030.
func ReadCSV(data []byte) ([][]string, error) {
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

// ReadXLSX reads every sheet of a workbook as raw cell text (dates as serial numbers).
func ReadXLSX(data []byte) (sheets [][][]string, names []string, date1904 bool, err error) {
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

// ColLabel names a column as the user sees it: its letter and header.
func ColLabel(i int, header string) string {
	letter, _ := excelize.ColumnNumberToName(i + 1)
	if h := strings.TrimSpace(header); h != "" {
		return letter + "（" + h + "）"
	}
	return letter
}

// Clean trims a cell and turns tabs and line breaks into spaces, so
// the canonical form stays one line per pupil.
func Clean(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\n', '\r', '\u00a0', '\u3000':
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// NormHeader prepares a header for comparison: no spaces, lower case.
func NormHeader(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), ""))
}

var dateLayouts = []string{"2006-1-2", "2006/1/2", "2006.1.2", "20060102", "2006年1月2日", "2006-01-02T15:04:05Z", "2006-1-2 15:04:05"}

// ParseDate reads YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYYMMDD, YYYY年M月D日, or
// an Excel serial date (a raw date cell: plain digits between 1000 and
// 200000), as a calendar day at midnight UTC.
func ParseDate(s string, date1904 bool) (time.Time, bool) {
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), true
		}
	}
	whole, frac, _ := strings.Cut(s, ".")
	if f, err := strconv.ParseFloat(s, 64); err == nil && Digits(whole) && Digits(frac) && f > 1000 && f < 200000 {
		t, err := excelize.ExcelDateToTime(math.Floor(f), date1904)
		if err == nil {
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), true
		}
	}
	return time.Time{}, false
}

// Digits reports whether s is only ASCII digits (the empty string is).
func Digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Columns finds, in a header row, the column of each role: aliases[role]
// lists the header names that mean it (already normalised with
// NormHeader). A role with no column gets -1. A second column meaning a
// role already found is returned in dups, as (column, first column).
func Columns(headers []string, aliases [][]string) (cols []int, dups [][2]int) {
	cols = make([]int, len(aliases))
	for i := range cols {
		cols[i] = -1
	}
	for ci, h := range headers {
		n := NormHeader(h)
		for role, names := range aliases {
			for _, name := range names {
				if n != name {
					continue
				}
				if cols[role] >= 0 {
					dups = append(dups, [2]int{ci, cols[role]})
				} else {
					cols[role] = ci
				}
			}
		}
	}
	return cols, dups
}

// HeaderRow is the index of the first row with any text, or -1.
func HeaderRow(rows [][]string) int {
	for i, r := range rows {
		if !Blank(r) {
			return i
		}
	}
	return -1
}

// Blank reports whether a row holds no text.
func Blank(r []string) bool { return strings.TrimSpace(strings.Join(r, "")) == "" }

// Cell returns row r's cell in column i, cleaned; "" when the row is short or i < 0.
func Cell(r []string, i int) string {
	if i < 0 || i >= len(r) {
		return ""
	}
	return Clean(r[i])
}
