package sample

import (
	"context"
	"testing"
	"time"

	"qiao/classroom"
	"qiao/library"
	"qiao/metrics"
	"qiao/research"
	"qiao/school"
	"qiao/store"
)

func TestUseFillsTheSampleSchool(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	schools := school.NewService(st)
	if err := Use(ctx, st, schools); err != nil {
		t.Fatal(err)
	}
	sch, ok, _ := schools.Current(ctx)
	if !ok || !sch.Sample {
		t.Fatal("no sample school")
	}
	groups, _ := research.New(st, sch.ID).Groups(ctx, 0)
	if len(groups) == 0 {
		t.Fatal("no sample research groups")
	}
	if inv, err := metrics.NewService(st, sch.ID).Inventory(ctx); err != nil || len(inv) != len(metrics.InventoryKinds) {
		t.Fatalf("sample inventory %v %v", inv, err)
	}
	now := time.Now()
	lessons, err := classroom.New(st, sch.ID).Lessons(ctx, now.AddDate(-1, 0, 0), now)
	if err != nil || len(lessons) < 700 {
		t.Fatalf("%d sample lessons in the last year (%v), want a lead school's year", len(lessons), err)
	}
	for _, l := range lessons {
		if l.State != classroom.Ended || l.Ended.After(now) || len(l.Remote) == 0 {
			t.Fatalf("sample lesson %+v: want held and ended, with remote classrooms", l)
		}
	}
	d, err := metrics.Build(ctx, st.DB, sch.ID, metrics.Filter{Term: metrics.TermOf(now).Prev()})
	if err != nil {
		t.Fatal(err)
	}
	if h := metrics.Find(d.Headlines, metrics.LessonsHosted); !h.Known || h.Value < 200 {
		t.Fatalf("the sample's last term: %+v lessons hosted", h)
	}
	if h := metrics.Find(d.Headlines, metrics.ResourcesOpened); h.Value < 100 {
		t.Fatalf("the sample's last term: %+v", h)
	}
	if h := metrics.Find(d.Headlines, metrics.LessonRate); !h.Known || h.Value <= 0 {
		t.Fatalf("the sample's last term: %+v", h)
	}
	if p, err := library.New(st, nil, sch.ID).Search(ctx, "数学", library.Filter{}, 0, 10); err != nil || p.Total == 0 {
		t.Fatalf("no sample library entries for 数学: %+v %v", p, err)
	}
}
