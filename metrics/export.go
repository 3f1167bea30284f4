package metrics

import (
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// WriteXLSX writes the dashboard d of school (its name, for the title
// row) as a workbook with Chinese headers: the headlines with their
// targets, the weekly trend, the per-term trend (if LoadTrend ran), the
// lessons by subject and by grade, and the self-assessment checklist.
// name gives an indicator's name (nil: its key); credits are written in
// credits, not hundredths; a value missing an input is written "—".
func WriteXLSX(w io.Writer, d *Dashboard, school string, name func(key string) string) error {
	if name == nil {
		name = func(k string) string { return k }
	}
	f := excelize.NewFile()
	defer f.Close()
	type sheet struct {
		name   string
		header []any
		rows   [][]any
	}
	heads := sheet{name: "指标", header: []any{"类别", "指标", "数值", "目标", "是否达标"}}
	for _, h := range d.Headlines {
		var value, target, met any = "—", "", ""
		if h.Known {
			value = exportValue(h.Key, h.Value)
		}
		if h.HasTarget {
			target, met = exportValue(h.Key, h.Target), "未达标"
			if h.OK {
				met = "达标"
			}
			if !h.Known {
				met = "缺少数据"
			}
		}
		heads.rows = append(heads.rows, []any{GroupNames[GroupOf(h.Key)], name(h.Key), value, target, met})
	}
	weeks := sheet{name: "每周趋势", header: []any{"周次", "开始", "结束"}}
	for _, k := range Weekly {
		weeks.header = append(weeks.header, name(k))
	}
	for i, wk := range d.Weeks {
		row := []any{"第" + strconv.Itoa(wk.No) + "周", Day(wk.Span.From), Day(wk.Span.To.Add(-1))}
		for _, k := range Weekly {
			var v any
			if i < len(d.ByWeek[k]) {
				v = exportValue(k, d.ByWeek[k][i])
			}
			row = append(row, v)
		}
		weeks.rows = append(weeks.rows, row)
	}
	terms := sheet{name: "学期趋势", header: []any{"学期"}}
	if len(d.Terms) > 0 {
		for _, k := range Trend {
			terms.header = append(terms.header, name(k))
		}
	}
	for i, t := range d.Terms {
		row := []any{TermLabel(t)}
		for _, k := range Trend {
			var v any
			if i < len(d.ByTerm[k]) {
				v = exportValue(k, d.ByTerm[k][i])
			}
			row = append(row, v)
		}
		terms.rows = append(terms.rows, row)
	}
	breakdown := func(title, by string, bs []Breakdown, label func(Breakdown) string) sheet {
		s := sheet{name: title, header: []any{by, "主讲节数", "接收节数", "合计节数", "时长（小时）"}}
		for _, b := range bs {
			s.rows = append(s.rows, []any{label(b), b.Hosted, b.Received, b.Hosted + b.Received, round2(b.Hours)})
		}
		return s
	}
	bySubject := breakdown("各学科", "学科", d.BySubject, func(b Breakdown) string { return b.Subject })
	byGrade := breakdown("各年级", "年级", d.ByGrade, func(b Breakdown) string { return GradeLabel(b.Grade) })
	check := sheet{name: "数字校园自评", header: []any{"栏目", "项目", "满分", "得分", "说明"}}
	for _, e := range d.Checklist.Entries {
		var pts any = "未评"
		if e.Scored {
			pts = e.Points
		}
		check.rows = append(check.rows, []any{e.Item.Section, e.Item.Title, e.Item.MaxPoints, pts, e.Note})
	}
	title := school + " 学校数据 " + TermLabel(d.Filter.Term)
	if d.Filter.Subject != "" {
		title += " " + d.Filter.Subject
	}
	if d.Filter.Grade != 0 {
		title += " " + GradeLabel(d.Filter.Grade)
	}
	for i, sh := range []sheet{heads, weeks, terms, bySubject, byGrade, check} {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sh.name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(sh.name); err != nil {
			return err
		}
		if err := f.SetCellValue(sh.name, "A1", title); err != nil {
			return err
		}
		if err := f.SetSheetRow(sh.name, "A2", &sh.header); err != nil {
			return err
		}
		for r, row := range sh.rows {
			if err := f.SetSheetRow(sh.name, "A"+strconv.Itoa(r+3), &row); err != nil {
				return err
			}
		}
	}
	return f.Write(w)
}

// exportValue is v of indicator key as a spreadsheet shows it: credits
// in credits (they are kept in hundredths), two decimals at most.
func exportValue(key string, v float64) float64 {
	if key == CreditsPerTeacher {
		v /= 100
	}
	return round2(v)
}

func round2(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 2, 64), 64)
	return r
}

// Indicator groups: how the dashboard and the workbook group the headlines.
const (
	GroupLessons   = "lessons"   // 同步课堂
	GroupResearch  = "research"  // 教研
	GroupResources = "resources" // 资源
	GroupEquipment = "equipment" // 装备与自评
)

// Groups lists the groups in display order.
var Groups = []string{GroupLessons, GroupResearch, GroupResources, GroupEquipment}

// GroupNames are the groups' Chinese names, for the workbook.
var GroupNames = map[string]string{GroupLessons: "同步课堂", GroupResearch: "教研", GroupResources: "资源", GroupEquipment: "装备与自评"}

// GroupOf is the group of indicator key.
func GroupOf(key string) string {
	switch key {
	case LessonsHosted, LessonsReceived, LessonHours, SubjectsPerClassroom, SubjectRate, LessonsPerClassroom, LessonRate,
		RemoteServed, RemoteReached:
		return GroupLessons
	case ResearchActivities, ActivitiesPerTeacher, Participation, Outputs, CreditsPerTeacher, GroupsMeeting:
		return GroupResearch
	case ResourcesOpened, ResourcesDownloaded, ResourcesContributed:
		return GroupResources
	}
	return GroupEquipment
}

// TermLabel is a term in Chinese: 2026年秋季学期.
func TermLabel(t Term) string {
	if t.Season == Spring {
		return strconv.Itoa(t.Year) + "年春季学期"
	}
	return strconv.Itoa(t.Year) + "年秋季学期"
}

// GradeLabel is a grade in Chinese: 三年级, 高一; 0 is 不分年级.
func GradeLabel(g int) string {
	names := [...]string{"不分年级", "一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "七年级", "八年级", "九年级", "高一", "高二", "高三"}
	if g >= 0 && g < len(names) {
		return names[g]
	}
	return strconv.Itoa(g) + "年级"
}
