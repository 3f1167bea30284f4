package placement

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// inputHeaders are the column headers of an enrolment list, as ReadFile
// reads them.
var inputHeaders = []string{"学号", "姓名", "性别", "出生日期", "成绩", "同班", "分开", "特殊", "指定班级"}

// WriteRosterXLSX writes a roster as an enrolment list that ReadFile reads
// back: the pupils on sheet 名单 and, when there are any, the head teachers on
// sheet 班主任. Schools use it as a template; tests and the sample school use
// it for generated lists.
func WriteRosterXLSX(w io.Writer, r *Roster) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "名单"); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter("名单")
	if err != nil {
		return err
	}
	if err := sw.SetRow("A1", headerValues(inputHeaders)); err != nil {
		return err
	}
	for i, p := range r.Pupils {
		special, fixed := "", any(nil)
		if p.Special {
			special = "是"
		}
		if p.Fixed > 0 {
			fixed = p.Fixed
		}
		var score any
		if p.HasScore {
			score = float64(p.Score) / 100
		}
		row := []any{p.ID, p.Name, genderText(p.Gender), p.Birth.String(), score, p.Together, p.Apart, special, fixed}
		if err := sw.SetRow(fmt.Sprintf("A%d", i+2), row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	if len(r.Teachers) > 0 {
		if _, err := f.NewSheet("班主任"); err != nil {
			return err
		}
		f.SetCellValue("班主任", "A1", "姓名")
		for i, t := range r.Teachers {
			f.SetCellValue("班主任", fmt.Sprintf("A%d", i+2), t)
		}
	}
	return f.Write(w)
}
