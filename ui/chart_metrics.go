package ui

import (
	"strconv"
	"time"

	"qiao/i18n"
	"qiao/metrics"
)

// The charts' adapter from metrics.Dashboard: the indicators' names, units
// and decimals in the current language, and their series as chart items.

// indicatorView is how an indicator's number shows: its unit's key, its
// decimals and what its value is divided by (credits are in hundredths).
type indicatorView struct {
	unit     string
	decimals int
	per      float64
}

var indicatorViews = map[string]indicatorView{
	metrics.LessonsHosted:        {"lessons", 0, 1},
	metrics.LessonsReceived:      {"lessons", 0, 1},
	metrics.LessonHours:          {"hours", 1, 1},
	metrics.SubjectsPerClassroom: {"subjects", 1, 1},
	metrics.SubjectRate:          {"percent", 2, 1},
	metrics.LessonsPerClassroom:  {"lessons", 1, 1},
	metrics.LessonRate:           {"percent", 2, 1},
	metrics.RemoteServed:         {"schools", 0, 1},
	metrics.RemoteReached:        {"schools", 0, 1},
	metrics.ResearchActivities:   {"times", 0, 1},
	metrics.ActivitiesPerTeacher: {"times", 1, 1},
	metrics.Participation:        {"percent", 1, 1},
	metrics.Outputs:              {"items", 0, 1},
	metrics.CreditsPerTeacher:    {"credits", 2, 100},
	metrics.GroupsMeeting:        {"groups", 0, 1},
	metrics.ResourcesOpened:      {"times", 0, 1},
	metrics.ResourcesDownloaded:  {"times", 0, 1},
	metrics.ResourcesContributed: {"items", 0, 1},
	metrics.TeacherTerminals100:  {"terminals", 1, 1},
	metrics.PupilTerminals100:    {"terminals", 1, 1},
	metrics.MultimediaRooms:      {"rooms", 0, 1},
	metrics.ChecklistScore:       {"percent", 1, 1},
}

// viewOf is key's view; an indicator not listed shows plainly.
func viewOf(key string) indicatorView {
	if v, ok := indicatorViews[key]; ok {
		return v
	}
	return indicatorView{decimals: 1, per: 1}
}

// IndicatorName is an indicator's name in the current language: 学科达标率.
func IndicatorName(key string) string { return i18n.T("dashboard.ind." + key) }

// HeadlineFrom is a tile's Headline for one of metrics' headlines.
func HeadlineFrom(h metrics.Headline) Headline {
	v := viewOf(h.Key)
	out := Headline{Key: h.Key, Label: IndicatorName(h.Key), Value: h.Value / v.per, Decimals: v.decimals,
		Target: h.Target / v.per, HasTarget: h.HasTarget, Missing: !h.Known}
	if v.unit != "" {
		out.Unit = i18n.T("dashboard.unit." + v.unit)
	}
	return out
}

// HeadlinesFrom is the tiles of the dashboard's headlines of keys, in
// that order (all of them, in metrics' order, with no keys).
func HeadlinesFrom(d *metrics.Dashboard, keys ...string) []Headline {
	var out []Headline
	if len(keys) == 0 {
		for _, h := range d.Headlines {
			out = append(out, HeadlineFrom(h))
		}
		return out
	}
	for _, k := range keys {
		for _, h := range d.Headlines {
			if h.Key == k {
				out = append(out, HeadlineFrom(h))
			}
		}
	}
	return out
}

// WeekItems is the weekly trend of indicator key (one of metrics.Weekly):
// an item per week of the term, labelled 第N周, its Key the week number.
func WeekItems(d *metrics.Dashboard, key string) []ChartItem {
	per := viewOf(key).per
	vals := d.ByWeek[key]
	out := make([]ChartItem, 0, len(d.Weeks))
	for i, w := range d.Weeks {
		if i >= len(vals) {
			break
		}
		out = append(out, ChartItem{Key: strconv.Itoa(w.No), Label: WeekLabel(w.No), Value: vals[i] / per})
	}
	return out
}

// LessonsBySubject is lessons hosted and received by subject, most first;
// each item's Key is the subject (the dashboard's subject filter).
func LessonsBySubject(d *metrics.Dashboard) []ChartItem {
	out := make([]ChartItem, 0, len(d.BySubject))
	for _, b := range d.BySubject {
		out = append(out, ChartItem{Key: b.Subject, Label: b.Subject, Value: float64(b.Hosted + b.Received)})
	}
	return out
}

// LessonsByGrade is lessons hosted and received by grade; each item's Key
// is the grade's number ("0": lessons of no one grade).
func LessonsByGrade(d *metrics.Dashboard) []ChartItem {
	out := make([]ChartItem, 0, len(d.ByGrade))
	for _, b := range d.ByGrade {
		label := i18n.T("library.grade.none")
		if b.Grade > 0 {
			label = i18n.T("grade." + strconv.Itoa(b.Grade))
		}
		out = append(out, ChartItem{Key: strconv.Itoa(b.Grade), Label: label, Value: float64(b.Hosted + b.Received)})
	}
	return out
}

// TermName is a term as users say it: 2026年秋季学期.
func TermName(t metrics.Term) string {
	if t.Season == metrics.Spring {
		return i18n.T("dashboard.term.spring", t.Year)
	}
	return i18n.T("dashboard.term.autumn", t.Year)
}

// ReportHeadlines are the tiles the one-page report shows.
var ReportHeadlines = []string{
	metrics.SubjectRate, metrics.LessonRate, metrics.LessonsHosted, metrics.LessonsReceived,
	metrics.Participation, metrics.ResourcesDownloaded,
}

// ReportFrom is the one-page report of a dashboard: ReportHeadlines, the
// lessons by subject and the weekly lessons, and the data's freshness.
func ReportFrom(d *metrics.Dashboard, schoolName string, fresh metrics.Freshness, printed time.Time) Report {
	weekly := WeekItems(d, metrics.LessonsHosted)
	for i, it := range WeekItems(d, metrics.LessonsReceived) {
		if i < len(weekly) {
			weekly[i].Value += it.Value
		}
	}
	r := Report{
		School: schoolName, Term: TermName(d.Filter.Term), Printed: printed,
		DataAsOf: fresh.LastSync, Pending: int(fresh.Pending),
		Tiles: HeadlinesFrom(d, ReportHeadlines...),
		Charts: []ReportChart{
			{Title: i18n.T("dashboard.chart.by_subject"), Items: LessonsBySubject(d)},
			{Title: i18n.T("dashboard.chart.by_week"), Items: weekly, Trend: true},
		},
	}
	return r
}
