package research

import (
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// WriteGrowthXLSX writes a teacher's growth archive: a summary sheet of
// credits by year, then the activities and the outputs.
func WriteGrowthXLSX(w io.Writer, g Growth) error {
	f := excelize.NewFile()
	defer f.Close()
	sheets := []struct {
		name   string
		header []any
		rows   [][]any
	}{
		{"学分汇总", []any{"年度", "活动次数", "活动学分", "成果数", "成果学分", "合计学分"}, nil},
		{"研修活动", []any{"年度", "日期", "研修组", "活动类型", "时长(分钟)", "学分"}, nil},
		{"研修成果", []any{"年度", "日期", "成果类型", "标题", "审核", "意见"}, nil},
	}
	states := map[string]string{Submitted: "待审核", Accepted: "已通过", Returned: "已退回"}
	for _, y := range g.Years {
		sheets[0].rows = append(sheets[0].rows, []any{y.Year, len(y.Activities), credits(y.ActivityCredits),
			len(y.Outputs), credits(y.OutputCredits), credits(y.ActivityCredits + y.OutputCredits)})
		for _, a := range y.Activities {
			sheets[1].rows = append(sheets[1].rows, []any{y.Year, a.Day, a.Group, KindName(a.Kind), a.Minutes, credits(a.Credits)})
		}
		for _, o := range y.Outputs {
			sheets[2].rows = append(sheets[2].rows, []any{y.Year, Day(o.Day), outputName(o.Kind), o.Title, states[o.State], o.Comment})
		}
	}
	t := g.Teacher
	title := fmt.Sprintf("%s 教师数字成长档案（%s %s %s）  累计学分 %s", t.Name, t.School, t.Stage, t.Subject, FormatCredits(g.Credits))
	for i, sh := range sheets {
		if i == 0 {
			f.SetSheetName("Sheet1", sh.name)
		} else if _, err := f.NewSheet(sh.name); err != nil {
			return err
		}
		f.SetCellValue(sh.name, "A1", title)
		if err := f.SetSheetRow(sh.name, "A2", &sh.header); err != nil {
			return err
		}
		for r, row := range sh.rows {
			row := row
			if err := f.SetSheetRow(sh.name, "A"+strconv.Itoa(r+3), &row); err != nil {
				return err
			}
		}
	}
	return f.Write(w)
}

// WriteAssessmentXLSX writes the ranked yearly assessment of groups.
func WriteAssessmentXLSX(w io.Writer, year int, scores []Score) error {
	header := []any{"名次", "研修组", "类型", "学科", "基地学校", "成员", "活动次数", "通过成果", "退回成果",
		"参与率", "乡村教师参与", "预算执行", "得分"}
	return writeRows(w, strconv.Itoa(year)+"年度考核", header, len(scores), func(i int) ([]any, error) {
		s := scores[i]
		pct := func(v float64) string { return strconv.FormatFloat(v*100, 'f', 0, 64) + "%" }
		return []any{s.Rank, s.Group.Name, KindName(s.Group.Kind), s.Group.Subject, s.Group.BaseSchool, s.Members,
			s.Activities, s.Accepted, s.Returned, pct(s.Participation), fmt.Sprintf("%d/%d", s.RuralActive, s.RuralMembers),
			pct(s.Parts[5]), s.Points}, nil
	})
}

// credits turns hundredths into a number for a spreadsheet cell.
func credits(c int64) float64 { return float64(c) / 100 }

// outputName names an output kind for a spreadsheet.
func outputName(kind string) string {
	if n, ok := outputNames[kind]; ok {
		return n
	}
	return KindName(kind)
}
