package metrics

import (
	"reflect"
	"testing"
	"time"

	"qiao/classroom"
	"qiao/store"
)

// hold schedules, starts and ends a lesson through the classroom service.
func hold(t *testing.T, cs *classroom.Service, subject string, grade int, remote ...string) classroom.Lesson {
	t.Helper()
	l, err := cs.Schedule(ctx, classroom.Lesson{Title: subject + "课", Subject: subject, Grade: grade, Minutes: 40, Starts: time.Now(), Remote: remote})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Start(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	if l, err = cs.End(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	return l
}

// twoClassrooms: school A has two classroom devices. A1 hosts 数学 g3
// (inviting B) and 语文 g3 (inviting B and C); A2 hosts 数学 g4 (inviting
// nobody) and receives B's 英语 g4. A1's file then holds A2's rows too.
func twoClassrooms(t *testing.T) (a1 *store.Store, school, hostB string, lessons []classroom.Lesson) {
	a1, a2 := openStore(t), openStore(t)
	school, hostB, c := store.NewID(), store.NewID(), store.NewID()
	s1, s2 := classroom.New(a1, school), classroom.New(a2, school)
	lessons = append(lessons, hold(t, s1, "数学", 3, hostB), hold(t, s1, "语文", 3, hostB, c), hold(t, s2, "数学", 4))
	// A lesson scheduled but not held serves nobody.
	if _, err := s1.Schedule(ctx, classroom.Lesson{Subject: "数学", Grade: 3, Minutes: 40, Starts: time.Now(), Remote: []string{store.NewID()}}); err != nil {
		t.Fatal(err)
	}
	bLesson := classroom.Lesson{ID: store.NewID(), SchoolID: hostB, Title: "英语课", Subject: "英语", Grade: 4}
	if _, err := s2.Joined(ctx, bLesson); err != nil {
		t.Fatal(err)
	}
	if err := s2.Left(ctx, bLesson.ID); err != nil {
		t.Fatal(err)
	}
	copyChanges(t, a2, a1)
	return a1, school, hostB, append(lessons, bLesson)
}

func TestLessonIndicators(t *testing.T) {
	st, school, hostB, _ := twoClassrooms(t)
	f := Filter{Term: TermOf(time.Now())}
	a := term(t, st, school, f)
	if Hosted(a) != 3 || Received(a) != 1 {
		t.Fatalf("hosted %d received %d, want 3 and 1", Hosted(a), Received(a))
	}
	// No inventory: the 2 classroom devices that held lessons.
	if Classrooms(a) != 2 {
		t.Fatalf("classrooms %d, want 2", Classrooms(a))
	}
	// A1 taught 数学 and 语文, A2 数学 and 英语: 4 subjects over 2 rooms.
	if got := SubjectsPerRoom(a); !near(got, 2) {
		t.Errorf("subjects per room %v, want 2", got)
	}
	if got := Rate(SubjectsPerRoom(a), 3); !near(got, 200.0/3) {
		t.Errorf("学科达标率 %v, want 66.67", got)
	}
	// 4 lessons over 2 rooms, against 96.
	if got := LessonsPerRoom(a); !near(got, 2) {
		t.Errorf("lessons per room %v, want 2", got)
	}
	if got := Rate(LessonsPerRoom(a), 96); !near(got, 200.0/96) {
		t.Errorf("课时达标率 %v", got)
	}
	// Served: B and C invited; reached: B.
	if Served(a) != 2 || Reached(a) != 1 || a.Reached[hostB] != 1 {
		t.Errorf("served %d reached %v", Served(a), a.Reached)
	}

	// The inventory's 4 smart classrooms replace the devices counted.
	if err := NewService(st, school).PutInventory(ctx, InventoryItem{Kind: SmartClassrooms, Count: 4}); err != nil {
		t.Fatal(err)
	}
	a = term(t, st, school, f)
	if Classrooms(a) != 4 || !near(SubjectsPerRoom(a), 1) || !near(LessonsPerRoom(a), 1) {
		t.Errorf("with 4 rooms: %d rooms, %v subjects, %v lessons per room", Classrooms(a), SubjectsPerRoom(a), LessonsPerRoom(a))
	}

	// Filters.
	if a := term(t, st, school, Filter{Term: f.Term, Subject: "数学"}); Hosted(a) != 2 || Received(a) != 0 || Served(a) != 1 {
		t.Errorf("数学: hosted %d received %d served %d", Hosted(a), Received(a), Served(a))
	}
	if a := term(t, st, school, Filter{Term: f.Term, Grade: 4}); Hosted(a) != 1 || Received(a) != 1 || Served(a) != 0 {
		t.Errorf("grade 4: hosted %d received %d served %d", Hosted(a), Received(a), Served(a))
	}
	if a := term(t, st, school, Filter{Term: f.Term, Subject: "物理"}); Hosted(a)+Received(a) != 0 || SubjectsPerRoom(a) != 0 {
		t.Errorf("物理: %d lessons", Hosted(a)+Received(a))
	}
	// Another term sees none of it.
	if a := term(t, st, school, Filter{Term: f.Term.Prev()}); Hosted(a)+Received(a) != 0 {
		t.Errorf("previous term: %d lessons", Hosted(a)+Received(a))
	}
	// Another school's partition is not this school's.
	if a := term(t, st, hostB, f); Hosted(a)+Received(a) != 0 {
		t.Errorf("school B in A's file: %d lessons", Hosted(a)+Received(a))
	}
}

func TestDeletedAttendanceDoesNotCount(t *testing.T) {
	st, school, _, lessons := twoClassrooms(t)
	var ids []string
	rows, err := st.DB.QueryContext(ctx, `SELECT id FROM classroom_attendance WHERE lesson_id = ?`, lessons[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	if err := st.Update(ctx, func(tx *store.Tx) error {
		for _, id := range ids {
			if err := tx.Delete("classroom_attendance", id); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	a := term(t, st, school, Filter{Term: TermOf(time.Now())})
	if Hosted(a) != 2 {
		t.Errorf("hosted %d after deleting one lesson's attendance, want 2", Hosted(a))
	}
	items, err := Drill(ctx, st.DB, school, Filter{Term: TermOf(time.Now())}, LessonsHosted)
	if err != nil || len(items) != 2 {
		t.Fatalf("drill: %v %v", items, err)
	}
	for _, it := range items {
		if it.ID == lessons[0].ID {
			t.Errorf("drill lists the deleted lesson")
		}
	}
}

func TestTermBoundaryLessons(t *testing.T) {
	st := openStore(t)
	school := store.NewID()
	late, early := store.NewID(), store.NewID()
	// The late lesson was resumed after midnight: a second host stay on
	// Feb 1 that still belongs to the lesson begun on Jan 31.
	attendance(t, st, school, late, "host", school, "数学", 7, china(2026, 1, 31, 23, 30), 1200)
	attendance(t, st, school, late, "host", school, "数学", 7, china(2026, 2, 1, 0, 5), 1200)
	attendance(t, st, school, early, "host", school, "物理", 8, china(2026, 2, 1, 0, 30), 1800)
	autumn, spring := Term{2025, Autumn}, Term{2026, Spring}
	a, s := term(t, st, school, Filter{Term: autumn}), term(t, st, school, Filter{Term: spring})
	if Hosted(a) != 1 || !near(Hours(a), 2400.0/3600) || Hosted(s) != 1 || !near(Hours(s), 0.5) {
		t.Fatalf("autumn %d lessons %v h, spring %d lessons %v h", Hosted(a), Hours(a), Hosted(s), Hours(s))
	}
	if a.Lessons[0].Subject != "数学" || s.Lessons[0].Subject != "物理" {
		t.Errorf("autumn %v spring %v", a.Lessons, s.Lessons)
	}
	d, err := Build(ctx, st.DB, school, Filter{Term: autumn})
	if err == nil {
		err = d.LoadTrend(ctx, st.DB)
	}
	if err != nil {
		t.Fatal(err)
	}
	w := d.ByWeek[LessonsHosted]
	if len(w) != len(autumn.Weeks()) || w[len(w)-1] != 1 || sum(w) != 1 {
		t.Errorf("autumn weekly hosted %v", w)
	}
	if got := d.ByTerm[LessonsHosted]; got[len(got)-1] != 1 || sum(got) != 1 {
		t.Errorf("per-term hosted %v (the spring lesson is after the dashboard's term)", got)
	}
	d, err = Build(ctx, st.DB, school, Filter{Term: spring})
	if err == nil {
		err = d.LoadTrend(ctx, st.DB)
	}
	if err != nil {
		t.Fatal(err)
	}
	if both, err := BuildWithTrend(ctx, st.DB, school, Filter{Term: spring}); err != nil || !reflect.DeepEqual(both, d) {
		t.Errorf("BuildWithTrend %+v (%v), want Build then LoadTrend: %+v", both, err, d)
	}
	if w := d.ByWeek[LessonsHosted]; w[0] != 1 || sum(w) != 1 {
		t.Errorf("spring weekly hosted %v", w)
	}
	if got := d.ByTerm[LessonsHosted]; len(got) != TrendTerms || got[TrendTerms-2] != 1 || got[TrendTerms-1] != 1 {
		t.Errorf("per-term hosted %v", got)
	}
	items, err := Drill(ctx, st.DB, school, Filter{Term: spring}, LessonsHosted)
	if err != nil || len(items) != 1 || items[0].ID != early || items[0].Count != 1800 {
		t.Errorf("spring drill %+v %v", items, err)
	}
	if d.Stage != Junior {
		t.Errorf("stage %q, want 初中 (grade 8)", d.Stage)
	}
	if len(d.BySubject) != 1 || d.BySubject[0].Subject != "物理" || len(d.ByGrade) != 1 || d.ByGrade[0].Grade != 8 {
		t.Errorf("breakdowns %v %v", d.BySubject, d.ByGrade)
	}
}

func sum(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s
}

func TestNoLessons(t *testing.T) {
	st := openStore(t)
	school := store.NewID()
	d, err := Build(ctx, st.DB, school, Filter{Term: Term{2025, Autumn}})
	if err != nil {
		t.Fatal(err)
	}
	wantHeadline(t, d.Headlines, LessonsHosted, 0, true, false)
	wantHeadline(t, d.Headlines, SubjectsPerClassroom, 0, false, false)
	wantHeadline(t, d.Headlines, SubjectRate, 0, false, false)
	wantHeadline(t, d.Headlines, LessonRate, 0, false, false)
	wantHeadline(t, d.Headlines, Participation, 0, false, false)
	wantHeadline(t, d.Headlines, TeacherTerminals100, 0, false, false)
	if d.Stage != "" || len(d.BySubject) != 0 {
		t.Errorf("stage %q, subjects %v", d.Stage, d.BySubject)
	}
	if len(d.Headlines) != len(Indicators) {
		t.Errorf("%d headlines", len(d.Headlines))
	}
}

// The published figures: 7.7 subjects and 172.7 lessons per smart
// classroom are 256.79 % and 179.90 % of the default targets.
func TestPublishedFiguresFitDefaults(t *testing.T) {
	if got := Rate(7.7037, DefaultTargets[SubjectsPerClassroom]); got < 256.785 || got > 256.795 {
		t.Errorf("学科达标率 %v", got)
	}
	if got := Rate(172.7, DefaultTargets[LessonsPerClassroom]); got < 179.895 || got > 179.905 {
		t.Errorf("课时达标率 %v", got)
	}
}
