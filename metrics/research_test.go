package metrics

import (
	"testing"
	"time"

	"qiao/research"
	"qiao/store"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, China) }

// researchFixture: school A's roster is T1, T2, T3; T4 is school B's.
// Group G1 (2025) holds, in autumn 2025, lesson_prep (60 min: T1, T2, T4)
// lecture (90 min: T1) and lesson_prep again (T1); in spring 2026 lesson_prep (T3). G2 (2025)
// holds nothing. Outputs: T1's lesson_plan accepted 2025-12-01, T2's
// paper submitted 2025-12-02, T3's paper accepted 2026-02-03.
func researchFixture(t *testing.T) (*store.Store, string) {
	st := openStore(t)
	school, other := store.NewID(), store.NewID()
	rs, rb := research.New(st, school), research.New(st, other)
	teacher := func(s *research.Service, name string) string {
		tc, err := s.SaveTeacher(ctx, research.Teacher{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		return tc.ID
	}
	t1, t2, t3, t4 := teacher(rs, "张一"), teacher(rs, "王二"), teacher(rs, "李三"), teacher(rb, "赵四")
	g1, err := rs.SaveGroup(ctx, research.Group{Name: "数学组", Kind: research.GroupKinds[0], Year: 2025})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.SaveGroup(ctx, research.Group{Name: "语文组", Kind: research.GroupKinds[0], Year: 2025}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []research.Activity{
		{GroupID: g1.ID, Kind: "lesson_prep", Day: day(2025, 10, 10), Minutes: 60, Attendees: []string{t1, t2, t4}},
		{GroupID: g1.ID, Kind: "lecture", Day: day(2025, 11, 11), Minutes: 90, Attendees: []string{t1}},
		{GroupID: g1.ID, Kind: "lesson_prep", Day: day(2025, 10, 20), Minutes: 60, Attendees: []string{t1}},
		{GroupID: g1.ID, Kind: "lesson_prep", Day: day(2026, 2, 2), Minutes: 60, Attendees: []string{t3}},
	} {
		if _, err := rs.LogActivity(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Deleted records count for nothing: an activity and an accepted output.
	gone, err := rs.LogActivity(ctx, research.Activity{GroupID: g1.ID, Kind: "lesson_prep", Day: day(2025, 10, 25), Minutes: 60, Attendees: []string{t2, t3}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	goneOut, err := rs.SubmitOutput(ctx, research.Output{TeacherID: t3, Kind: "award", Title: "获奖", Day: day(2025, 12, 5)})
	if err != nil {
		t.Fatal(err)
	}
	if err := rs.ReviewOutput(ctx, goneOut.ID, research.Accepted, ""); err != nil {
		t.Fatal(err)
	}
	if err := st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.Delete("research_activities", gone.ID); err != nil {
			return err
		}
		return tx.Delete("research_outputs", goneOut.ID)
	}); err != nil {
		t.Fatal(err)
	}
	for _, o := range []struct {
		teacher, kind string
		day           time.Time
		accept        bool
	}{{t1, "lesson_plan", day(2025, 12, 1), true}, {t2, "paper", day(2025, 12, 2), false}, {t3, "paper", day(2026, 2, 3), true}} {
		out, err := rs.SubmitOutput(ctx, research.Output{TeacherID: o.teacher, Kind: o.kind, Title: "成果", Day: o.day})
		if err != nil {
			t.Fatal(err)
		}
		if o.accept {
			if err := rs.ReviewOutput(ctx, out.ID, research.Accepted, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	return st, school
}

func TestResearchIndicators(t *testing.T) {
	st, school := researchFixture(t)
	f := Filter{Term: Term{2025, Autumn}}
	a := term(t, st, school, f)
	// 4 attendances of roster teachers (T4 is not A's) over 3 teachers.
	if Teachers(a) != 3 || !near(AttendancesPerTeacher(a), 4.0/3) {
		t.Errorf("teachers %d, attendances per teacher %v", Teachers(a), AttendancesPerTeacher(a))
	}
	if !near(ParticipationRate(a), 200.0/3) {
		t.Errorf("participation %v, want 66.67", ParticipationRate(a))
	}
	if AcceptedOutputs(a) != 1 {
		t.Errorf("accepted outputs %d", AcceptedOutputs(a))
	}
	// lesson_prep 100 × 3 + lecture 50/h × 1.5 h + lesson_plan 100.
	if Credits(a) != 475 || !near(TeacherCredits(a), 475.0/3) {
		t.Errorf("credits %d, per teacher %v", Credits(a), TeacherCredits(a))
	}
	if met, groups := GroupsMet(a, 5); met != 0 || groups != 2 {
		t.Errorf("groups meeting 5: %d of %d", met, groups)
	}
	if met, groups := GroupsMet(a, 3); met != 1 || groups != 2 {
		t.Errorf("groups meeting 3: %d of %d", met, groups)
	}
	if met, _ := GroupsMet(a, 4); met != 0 {
		t.Errorf("groups meeting 4: %d", met)
	}
	// Spring: T3 attended, T3's paper accepted (300).
	s := term(t, st, school, Filter{Term: Term{2026, Spring}})
	if !near(ParticipationRate(s), 100.0/3) || Credits(s) != 400 || AcceptedOutputs(s) != 1 {
		t.Errorf("spring: participation %v credits %d outputs %d", ParticipationRate(s), Credits(s), AcceptedOutputs(s))
	}

	// The district's rule replaces the default: lesson_prep 200.
	if err := research.New(st, "").SetRule(ctx, research.TargetActivity, "lesson_prep", research.Rule{Credits: 200}); err != nil {
		t.Fatal(err)
	}
	// The inventory's teacher count replaces the roster's.
	if err := NewService(st, school).PutInventory(ctx, InventoryItem{Kind: TeacherCount, Count: 5}); err != nil {
		t.Fatal(err)
	}
	a = term(t, st, school, f)
	if Credits(a) != 775 || !near(TeacherCredits(a), 155) || !near(ParticipationRate(a), 40) {
		t.Errorf("with rule and 5 teachers: credits %d, per teacher %v, participation %v", Credits(a), TeacherCredits(a), ParticipationRate(a))
	}
	items, err := Drill(ctx, st.DB, school, f, Participation)
	if err != nil || len(items) != 3 || items[0].Count != 3 || items[0].Title != "数学组" {
		t.Errorf("drill: %+v %v", items, err)
	}
	items, err = Drill(ctx, st.DB, school, f, Outputs)
	if err != nil || len(items) != 1 {
		t.Errorf("drill outputs: %+v %v", items, err)
	}
}
