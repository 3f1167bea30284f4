package research

import (
	"context"
	"reflect"
	"testing"
	"time"
)

func TestCustomKinds(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	if got, err := s.CustomKinds(ctx, TargetActivity); err != nil || len(got) != 0 {
		t.Fatalf("empty store: %v %v", got, err)
	}
	if _, err := s.CustomKinds(ctx, "group"); err == nil {
		t.Fatal("unknown target accepted")
	}
	// Rules: a built-in kind (not custom), custom kinds of both targets.
	for _, r := range []struct{ target, kind string }{
		{TargetActivity, "polish"}, {TargetActivity, Custom("送教下乡")}, {TargetActivity, Custom("课题开题")},
		{TargetOutput, Custom("课题报告")}, {TargetActivity, Custom("送教下乡")}, // set twice
	} {
		if err := s.SetRule(ctx, r.target, r.kind, Rule{Credits: 150}); err != nil {
			t.Fatal(err)
		}
	}
	// An activity of a custom kind no rule names yet, and one of a kind with a rule.
	g, err := s.SaveGroup(ctx, Group{Name: "青禾县初中数学项目包", Kind: KindProject, Year: 2026})
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.Local)
	for _, k := range []string{Custom("名师送课"), Custom("送教下乡"), "reading"} {
		if _, err := s.LogActivity(ctx, Activity{GroupID: g.ID, Kind: k, Day: day, Minutes: 60}, nil); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.CustomKinds(ctx, TargetActivity)
	want := []string{Custom("名师送课"), Custom("课题开题"), Custom("送教下乡")}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("activity kinds %q %v, want %q", got, err, want)
	}
	got, err = s.CustomKinds(ctx, TargetOutput)
	if err != nil || !reflect.DeepEqual(got, []string{Custom("课题报告")}) {
		t.Fatalf("output kinds %q %v", got, err)
	}
	// A custom kind's rule counts in the credits.
	rules, _ := s.Rules(ctx)
	if c := ActivityCredits(rules, Custom("送教下乡"), 60); c != 150 {
		t.Fatalf("custom kind earns %d", c)
	}
}
