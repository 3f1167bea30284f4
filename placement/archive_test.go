package placement

import (
	"context"
	"testing"
	"time"

	"qiao/store"
)

func TestArchiveKeepsEveryDraw(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := NewArchive(st)
	r := Generate(120, 5)
	p := Params{Classes: 3, BalanceScore: true, BalanceAge: true}
	first, _ := Draw(r, p, "1", "")
	again, _ := Draw(r, p, "2", "")
	t0 := time.Date(2026, 8, 20, 9, 0, 0, 0, time.UTC)
	id1, err := a.Save(ctx, "school-1", "2026级一年级分班", r, first, "", t0)
	if err != nil {
		t.Fatal(err)
	}
	id2, err := a.Save(ctx, "school-1", "2026级一年级分班", r, again, "", t0.Add(time.Hour))
	if err != nil || id1 == id2 {
		t.Fatalf("re-draw did not make a new record: %v %s %s", err, id1, id2)
	}
	list, _ := a.List(ctx, "school-1")
	if len(list) != 2 || list[0].ID != id2 || list[1].OutputSHA != first.OutputDigest || list[0].Pupils != 120 {
		t.Fatalf("%+v", list)
	}
	var changes int
	st.DB.QueryRow(`SELECT count(*) FROM changes WHERE tbl='placement_draws'`).Scan(&changes)
	if changes != 2 {
		t.Fatalf("%d change-log entries", changes)
	}
	if other, _ := a.List(ctx, "school-2"); len(other) != 0 {
		t.Fatal("another school's draws listed")
	}
}
