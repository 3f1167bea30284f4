package sample

import (
	"context"
	"testing"

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
	if p, err := library.New(st, nil, sch.ID).Search(ctx, "数学", library.Filter{}, 0, 10); err != nil || p.Total == 0 {
		t.Fatalf("no sample library entries for 数学: %+v %v", p, err)
	}
}
