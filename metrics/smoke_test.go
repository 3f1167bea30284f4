package metrics

import (
	"context"
	"testing"
	"time"

	"qiao/classroom"
	"qiao/store"
)

func TestBuildSmoke(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	school := store.NewID()
	cs := classroom.New(st, school)
	l, err := cs.Schedule(ctx, classroom.Lesson{Subject: "数学", Grade: 3, Minutes: 40, Starts: time.Now(), Remote: []string{"r1"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Start(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.End(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	d, err := Build(ctx, st.DB, school, Filter{Term: TermOf(time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range d.Headlines {
		t.Logf("%+v", h)
	}
	if h := Find(d.Headlines, LessonsHosted); h.Value != 1 {
		t.Fatalf("hosted %v", h.Value)
	}
	for _, k := range Indicators {
		if _, err := Drill(ctx, st.DB, school, d.Filter, k); err != nil {
			t.Fatal(k, err)
		}
	}
}
