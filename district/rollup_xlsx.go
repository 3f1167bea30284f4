package district

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/xuri/excelize/v2"
)

// WriteXLSX writes the roll-up as a workbook: one sheet, a row per school
// in rank order with the values of every indicator (red where under the
// school's target), then the district averages, then the targets.
func (r Rollup) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Indicators"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	red, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Color: "A00000", Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFDDDD"}}})
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	set := func(col, row int, v any, style int) error {
		cell, err := excelize.CoordinatesToCellName(col, row)
		if err != nil {
			return err
		}
		if err := f.SetCellValue(sheet, cell, v); err != nil {
			return err
		}
		if style != 0 {
			return f.SetCellStyle(sheet, cell, cell, style)
		}
		return nil
	}
	header := []any{"Rank", "School", "School id"}
	for _, ind := range r.Indicators {
		header = append(header, ind.Label)
	}
	for i, h := range header {
		if err := set(i+1, 1, h, bold); err != nil {
			return err
		}
	}
	row := 2
	for _, s := range r.Schools {
		var rank any = s.Rank
		if s.Rank == 0 {
			rank = "—"
		}
		for i, v := range []any{rank, s.Name, s.ID} {
			if err := set(i+1, row, v, 0); err != nil {
				return err
			}
		}
		for i, ind := range r.Indicators {
			style := 0
			if s.IsBelow(ind.Key) {
				style = red
			}
			v, ok := s.Values[ind.Key]
			if !ok {
				continue // unknown: an empty cell
			}
			if err := set(4+i, row, v, style); err != nil {
				return err
			}
		}
		row++
	}
	if err := set(2, row, "District average", bold); err != nil {
		return err
	}
	for i, ind := range r.Indicators {
		if v, ok := r.Averages[ind.Key]; ok {
			if err := set(4+i, row, v, bold); err != nil {
				return err
			}
		}
	}
	if err := set(1, row+2, fmt.Sprintf("Term %s; ranked by %s; computed %s. Red: under the school's target.",
		r.Term, r.headlineLabel(), r.At.Format("2006-01-02 15:04")), 0); err != nil {
		return err
	}
	if err := f.SetColWidth(sheet, "B", "B", 28); err != nil {
		return err
	}
	return f.Write(w)
}

func (r Rollup) headlineLabel() string {
	for _, ind := range r.Indicators {
		if ind.Key == r.Headline {
			return ind.Label
		}
	}
	return r.Headline
}

// WriteText prints the roll-up as a table (schools below target marked *).
func (r Rollup) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "School indicators, term %s (ranked by %s; * under target)\n", r.Term, r.headlineLabel())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	cols := []string{"Rank", "School"}
	for _, ind := range r.Indicators {
		cols = append(cols, ind.Label)
	}
	fmt.Fprintln(tw, strings.Join(cols, "\t")+"\t")
	for _, s := range r.Schools {
		line := []string{fmt.Sprint(s.Rank), s.Name}
		if s.Rank == 0 {
			line[0] = "—"
		}
		for _, ind := range r.Indicators {
			v := valueText(s.Values, ind.Key)
			if s.IsBelow(ind.Key) {
				v += "*"
			}
			line = append(line, v)
		}
		fmt.Fprintln(tw, strings.Join(line, "\t")+"\t")
	}
	line := []string{"", "District average"}
	for _, ind := range r.Indicators {
		line = append(line, valueText(r.Averages, ind.Key))
	}
	fmt.Fprintln(tw, strings.Join(line, "\t")+"\t")
	return tw.Flush()
}
