package metrics_test

// The library's indicators, from usage events recorded through the
// library itself. An external test: library reaches the district, which
// imports metrics.

import (
	"context"
	"strings"
	"testing"
	"time"

	"qiao/content"
	"qiao/library"
	"qiao/metrics"
	"qiao/store"
)

// load is the aggregates of school's records in f's term.
func load(t *testing.T, st *store.Store, school string, f metrics.Filter) *metrics.Aggregates {
	t.Helper()
	m, err := metrics.Load(context.Background(), st.DB, []string{school}, f, []metrics.Span{f.Term.Span()})
	if err != nil {
		t.Fatal(err)
	}
	return m[school][0]
}

func TestLibraryIndicators(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	files, err := content.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	school := store.NewID()
	ls := library.New(st, files, school)
	entry := func(subject string, grade int) string {
		e, err := ls.Put(ctx, library.Entry{Title: subject + "课件", Subject: subject, Grade: grade, Kind: library.Courseware,
			Source: library.FromDistrict, Hash: strings.Repeat("a", 64)})
		if err != nil {
			t.Fatal(err)
		}
		return e.ID
	}
	math, chinese := entry("数学", 3), entry("语文", 4)
	for _, err := range []error{ls.Opened(ctx, math, "张老师"), ls.Opened(ctx, math, "王老师"), ls.Opened(ctx, chinese, "张老师"),
		ls.Downloaded(ctx, math, "张老师"), ls.Contributed(ctx, chinese, "王老师")} {
		if err != nil {
			t.Fatal(err)
		}
	}
	f := metrics.Filter{Term: metrics.TermOf(time.Now())}
	a := load(t, st, school, f)
	if metrics.LibraryUse(a, "opened") != 3 || metrics.LibraryUse(a, "downloaded") != 1 || metrics.LibraryUse(a, "contributed") != 1 {
		t.Errorf("library %v", a.Library)
	}
	a = load(t, st, school, metrics.Filter{Term: f.Term, Subject: "数学"})
	if metrics.LibraryUse(a, "opened") != 2 || metrics.LibraryUse(a, "contributed") != 0 {
		t.Errorf("数学 library %v", a.Library)
	}
	a = load(t, st, school, metrics.Filter{Term: f.Term, Grade: 4})
	if metrics.LibraryUse(a, "opened") != 1 || metrics.LibraryUse(a, "contributed") != 1 {
		t.Errorf("grade 4 library %v", a.Library)
	}
	items, err := metrics.Drill(ctx, st.DB, school, f, metrics.ResourcesOpened)
	if err != nil || len(items) != 3 || items[0].Title == "" {
		t.Errorf("drill %+v %v", items, err)
	}
}
