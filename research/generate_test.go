package research

import (
	"context"
	"testing"
	"unicode/utf8"

	"qiao/store"
)

func newService(t testing.TB) (*Service, *store.Store) {
	t.Helper()
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return New(st, "school-1"), st
}

func TestGenerateMakesConsistentRecords(t *testing.T) {
	ctx := context.Background()
	s, st := newService(t)
	if err := s.Generate(ctx, SampleScale); err != nil {
		t.Fatal(err)
	}
	groups, _ := s.Groups(ctx, SampleScale.Year)
	if len(groups) != SampleScale.Groups {
		t.Fatalf("%d groups", len(groups))
	}
	for _, g := range groups {
		if !utf8.ValidString(g.Name) {
			t.Fatalf("bad name %q", g.Name)
		}
		ms, _ := s.Members(ctx, g.ID)
		if len(ms) < 8 || ms[0].Role != RoleHost {
			t.Fatalf("group %s: %d members, first %v", g.Name, len(ms), ms)
		}
	}
	n, _ := s.CountActivities(ctx, ActivityFilter{})
	if n != SampleScale.Activities {
		t.Fatalf("%d activities", n)
	}
	var orphans int
	st.DB.QueryRow(`SELECT count(*) FROM research_attendance t LEFT JOIN research_teachers r ON r.id = t.teacher_id WHERE r.id IS NULL`).Scan(&orphans)
	if orphans != 0 {
		t.Fatalf("%d attendance rows without a teacher", orphans)
	}
}
