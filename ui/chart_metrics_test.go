package ui

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"qiao/classroom"
	"qiao/i18n"
	"qiao/metrics"
	"qiao/prefs"
	"qiao/store"
)

func TestEveryIndicatorHasANameAndAView(t *testing.T) {
	for _, lang := range i18n.Languages {
		i18n.Use(lang)
		for _, k := range metrics.Indicators {
			if n := IndicatorName(k); n == "dashboard.ind."+k || n == "" {
				t.Errorf("%s: %s has no name", lang, k)
			}
			v, ok := indicatorViews[k]
			if !ok {
				t.Errorf("%s has no unit or decimals", k)
				continue
			}
			if u := i18n.T("dashboard.unit." + v.unit); u == "dashboard.unit."+v.unit {
				t.Errorf("%s: unit %q of %s is not translated", lang, v.unit, k)
			}
		}
	}
	i18n.Use(i18n.Chinese)
	// Credits are kept in hundredths and shown whole; a missing input shows no colour.
	h := HeadlineFrom(metrics.Headline{Key: metrics.CreditsPerTeacher, Value: 612, Known: true, Target: 500, HasTarget: true})
	if h.Value != 6.12 || h.Target != 5 || !h.Met() || h.Unit != "学分" || h.Label != "人均研修学分" {
		t.Fatalf("credits: %+v", h)
	}
	h = HeadlineFrom(metrics.Headline{Key: metrics.TeacherTerminals100, Known: false, Target: 100, HasTarget: true})
	if !h.Missing || h.Met() || h.shown() != "–" {
		t.Fatalf("missing input: %+v", h)
	}
}

// TestReportFromARealDashboard builds a school's dashboard from lessons
// held through classroom on a real store and renders its report.
func TestReportFromARealDashboard(t *testing.T) {
	chartApp(t, prefs.Light, 1)
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	school := store.NewID()
	cs := classroom.New(st, school)
	for _, subject := range []string{"数学", "数学", "语文"} {
		l, err := cs.Schedule(ctx, classroom.Lesson{Subject: subject, Grade: 3, Minutes: 40, Starts: time.Now(), Remote: []string{"r1"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cs.Start(ctx, l.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := cs.End(ctx, l.ID); err != nil {
			t.Fatal(err)
		}
	}
	term := metrics.TermOf(time.Now())
	d, err := metrics.Build(ctx, st.DB, school, metrics.Filter{Term: term})
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := readFreshness(ctx, st, school)
	if err != nil {
		t.Fatal(err)
	}
	subjects := LessonsBySubject(d)
	if len(subjects) != 2 || subjects[0].Label != "数学" || subjects[0].Value != 2 || subjects[1].Key != "语文" {
		t.Fatalf("by subject: %+v", subjects)
	}
	weekly := WeekItems(d, metrics.LessonsHosted)
	if len(weekly) != len(d.Weeks) || weekly[0].Label != "第1周" {
		t.Fatalf("weeks: %d items for %d weeks, first %+v", len(weekly), len(d.Weeks), weekly[:1])
	}
	sum := 0.0
	for _, it := range weekly {
		sum += it.Value
	}
	if sum != 3 {
		t.Fatalf("weekly hosted lessons add up to %v, not 3", sum)
	}
	r := ReportFrom(d, "城关第一小学", fresh, time.Now())
	if len(r.Tiles) != len(ReportHeadlines) || r.Term != TermName(term) || r.DataAsOf != (time.Time{}) {
		t.Fatalf("report: %+v", r)
	}
	img := RenderReport(r)
	if img.Bounds().Dx() != ReportWidth {
		t.Fatal(img.Bounds())
	}
	if dir := os.Getenv("QIAO_SHOTS"); dir != "" {
		savePNG(t, filepath.Join(os.TempDir(), "dashboard-report-real.png"), img)
	}
}
