package research

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"qiao/sheet"
)

var ctx = context.Background()

func day(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

// fixture is a group of three teachers, one rural, with a host.
type fixture struct {
	s        *Service
	group    Group
	teachers []Teacher
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	s, _ := newService(t)
	f := fixture{s: s}
	for _, tc := range []Teacher{
		{Name: "王建华", School: "石桥镇中心小学", Stage: "小学", Subject: "语文", BirthYear: 1995, Rural: true},
		{Name: "李秀英", School: "青禾县实验小学", Stage: "小学", Subject: "数学", BirthYear: 1985},
		{Name: "张国庆", School: "青禾县实验小学", Stage: "初中", Subject: "语文", BirthYear: 1970},
	} {
		saved, err := s.SaveTeacher(ctx, tc)
		if err != nil {
			t.Fatal(err)
		}
		f.teachers = append(f.teachers, saved)
	}
	g, err := s.SaveGroup(ctx, Group{Name: "语文项目包", Kind: KindProject, Subject: "语文", Year: 2026, Budget: 20000, Spent: 18000})
	if err != nil {
		t.Fatal(err)
	}
	f.group = g
	for i, tc := range f.teachers {
		role := RoleMember
		if i == 0 {
			role = RoleHost
		}
		if err := s.SetMember(ctx, g.ID, tc.ID, role); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func TestActivityCreditsFollowRules(t *testing.T) {
	rules := map[string]map[string]Rule{TargetActivity: {"a": {150, false}, "b": {50, true}}, TargetOutput: {"p": {300, false}}}
	for _, c := range []struct {
		kind    string
		minutes int
		want    int64
	}{{"a", 90, 150}, {"b", 60, 50}, {"b", 90, 75}, {"b", 100, 83}, {"b", 1, 1}, {"missing", 60, 0}} {
		if got := ActivityCredits(rules, c.kind, c.minutes); got != c.want {
			t.Errorf("%s %d min: %d, want %d", c.kind, c.minutes, got, c.want)
		}
	}
	if OutputCredits(rules, "p", Submitted) != 0 || OutputCredits(rules, "p", Returned) != 0 || OutputCredits(rules, "p", Accepted) != 300 {
		t.Fatal("only accepted outputs earn credits")
	}
	if FormatCredits(150) != "1.5" || FormatCredits(83) != "0.83" || FormatCredits(200) != "2" || FormatCredits(5) != "0.05" {
		t.Fatal(FormatCredits(150), FormatCredits(83), FormatCredits(200), FormatCredits(5))
	}
}

func TestGrowthArchiveComputesCreditsAndFollowsRuleChanges(t *testing.T) {
	f := newFixture(t)
	s, host, other := f.s, f.teachers[0], f.teachers[1]
	if _, err := s.LogActivity(ctx, Activity{GroupID: f.group.ID, Kind: "lesson_prep", Day: day(2026, 3, 2), Minutes: 90,
		Attendees: []string{host.ID, other.ID}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LogActivity(ctx, Activity{GroupID: f.group.ID, Kind: "lecture", Day: day(2025, 11, 5), Minutes: 120,
		Attendees: []string{host.ID}}, nil); err != nil {
		t.Fatal(err)
	}
	o, err := s.SubmitOutput(ctx, Output{TeacherID: host.ID, Kind: "paper", Title: "乡村小学语文阅读教学", Day: day(2026, 5, 1)})
	if err != nil {
		t.Fatal(err)
	}
	g, _ := s.GrowthArchive(ctx, host.ID)
	if len(g.Years) != 2 || g.Years[0].Year != 2026 || g.Years[0].ActivityCredits != 100 || g.Years[0].OutputCredits != 0 ||
		g.Years[1].ActivityCredits != 100 || g.Credits != 200 {
		t.Fatalf("archive %+v", g)
	}
	if err := s.ReviewOutput(ctx, o.ID, Accepted, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRule(ctx, TargetActivity, "lesson_prep", Rule{Credits: 200}); err != nil {
		t.Fatal(err)
	}
	g, _ = s.GrowthArchive(ctx, host.ID)
	if g.Years[0].ActivityCredits != 200 || g.Years[0].OutputCredits != 300 || g.Credits != 600 {
		t.Fatalf("after accepting and a rule change: %+v", g.Years[0])
	}
	if g2, _ := s.GrowthArchive(ctx, f.teachers[2].ID); g2.Credits != 0 || len(g2.Years) != 0 {
		t.Fatalf("absent teacher earned %d", g2.Credits)
	}
}

func TestLogActivityValidatesAndIsAtomic(t *testing.T) {
	f := newFixture(t)
	base := Activity{GroupID: f.group.ID, Kind: "observe", Day: day(2026, 4, 1), Minutes: 45, Attendees: []string{f.teachers[0].ID}}
	for name, mutate := range map[string]func(*Activity){
		"kind":     func(a *Activity) { a.Kind = "karaoke" },
		"day":      func(a *Activity) { a.Day = time.Time{} },
		"duration": func(a *Activity) { a.Minutes = 0 },
		"group":    func(a *Activity) { a.GroupID = "nope" },
		"teacher":  func(a *Activity) { a.Attendees = append(a.Attendees, "ghost") },
	} {
		a := base
		a.Attendees = append([]string(nil), base.Attendees...)
		mutate(&a)
		if _, err := f.s.LogActivity(ctx, a, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if n, _ := f.s.CountActivities(ctx, ActivityFilter{}); n != 0 {
		t.Fatalf("refused activities left %d rows", n)
	}
	custom := base
	custom.Kind = Custom("送教下乡")
	a, err := f.s.LogActivity(ctx, custom, []Attachment{{Name: "教案.docx", Hash: string(bytes.Repeat([]byte("a"), 64)), Size: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if files, _ := f.s.Attachments(ctx, a.ID); len(files) != 1 || files[0].Name != "教案.docx" {
		t.Fatalf("attachments %v", files)
	}
	if KindName(a.Kind) != "送教下乡" {
		t.Fatal(KindName(a.Kind))
	}
}

func TestLogLessonIsAnObservedOnlineActivity(t *testing.T) {
	f := newFixture(t)
	a, err := f.s.LogLesson(ctx, f.group.ID, "lesson-123", day(2026, 6, 1), 40, []string{f.teachers[1].ID})
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.s.Activities(ctx, ActivityFilter{GroupID: f.group.ID}, 0, 10)
	if len(rows) != 1 || rows[0].Kind != KindObserve || !rows[0].Online || a.LessonID != "lesson-123" {
		t.Fatalf("%+v", rows)
	}
	if id, err := f.s.LessonActivity(ctx, "lesson-123"); err != nil || id != a.ID {
		t.Fatalf("the lesson's activity: %q %v, want %q", id, err, a.ID)
	}
	if id, _ := f.s.LessonActivity(ctx, "lesson-456"); id != "" {
		t.Fatalf("a lesson never logged has activity %q", id)
	}
	// Logged once only: a second time is refused and changes nothing.
	if _, err := f.s.LogLesson(ctx, f.group.ID, "lesson-123", day(2026, 6, 1), 40, nil); !errors.Is(err, ErrLessonLogged) {
		t.Fatalf("logging the lesson twice: %v", err)
	}
	if n, _ := f.s.CountActivities(ctx, ActivityFilter{}); n != 1 {
		t.Fatalf("%d activities after the refusal", n)
	}
}

func TestActivityFilters(t *testing.T) {
	f := newFixture(t)
	log := func(kind string, d time.Time, notes string, who ...string) {
		if _, err := f.s.LogActivity(ctx, Activity{GroupID: f.group.ID, Kind: kind, Day: d, Minutes: 60, Notes: notes, Attendees: who}, nil); err != nil {
			t.Fatal(err)
		}
	}
	log("lesson_prep", day(2026, 1, 10), "分数的意义", f.teachers[0].ID)
	log("observe", day(2026, 2, 10), "古诗教学", f.teachers[1].ID)
	log("observe", day(2026, 3, 10), "分数加减", f.teachers[0].ID, f.teachers[1].ID)
	for name, c := range map[string]struct {
		f    ActivityFilter
		want int
	}{
		"all":     {ActivityFilter{}, 3},
		"kind":    {ActivityFilter{Kind: "observe"}, 2},
		"range":   {ActivityFilter{From: day(2026, 2, 1), To: day(2026, 3, 10)}, 2},
		"text":    {ActivityFilter{Text: "分数"}, 2},
		"teacher": {ActivityFilter{TeacherID: f.teachers[1].ID}, 2},
		"none":    {ActivityFilter{GroupID: "other"}, 0},
	} {
		n, _ := f.s.CountActivities(ctx, c.f)
		rows, _ := f.s.Activities(ctx, c.f, 0, 50)
		if n != c.want || len(rows) != c.want {
			t.Errorf("%s: count %d rows %d, want %d", name, n, len(rows), c.want)
		}
	}
	rows, _ := f.s.Activities(ctx, ActivityFilter{}, 1, 1)
	if len(rows) != 1 || rows[0].Day != "2026-02-10" {
		t.Fatalf("paging: %+v", rows)
	}
}

func TestOutputReview(t *testing.T) {
	f := newFixture(t)
	o, err := f.s.SubmitOutput(ctx, Output{TeacherID: f.teachers[1].ID, Kind: "micro_lesson", Title: "认识钟表", Day: day(2026, 4, 2)})
	if err != nil || o.State != Submitted {
		t.Fatal(o, err)
	}
	if err := f.s.ReviewOutput(ctx, o.ID, Returned, " "); !errors.Is(err, ErrNeedComment) {
		t.Fatalf("return without comment: %v", err)
	}
	if err := f.s.ReviewOutput(ctx, o.ID, Returned, "请补充教学反思"); err != nil {
		t.Fatal(err)
	}
	outs, _ := f.s.Outputs(ctx, f.teachers[1].ID, Returned)
	if len(outs) != 1 || outs[0].Comment != "请补充教学反思" {
		t.Fatalf("%+v", outs)
	}
	if _, err := f.s.SubmitOutput(ctx, Output{TeacherID: "ghost", Kind: "paper", Title: "x", Day: day(2026, 1, 1)}); !errors.Is(err, ErrNoTeacher) {
		t.Fatal(err)
	}
}

func TestCompositionReportsUnmetTargets(t *testing.T) {
	f := newFixture(t)
	c, err := f.s.Composition(ctx, f.group.ID, DefaultTargets)
	if err != nil {
		t.Fatal(err)
	}
	// 3 members in 2026: ages 31, 41, 56; one rural of three.
	if c.Members != 3 || c.Rural != 1 || c.AgeTiers != [4]int{1, 1, 1, 0} || c.Stages["小学"] != 2 || c.Subjects["语文"] != 2 {
		t.Fatalf("%+v", c)
	}
	if len(c.Unmet) != 1 || c.Unmet[0] != FlagTooFew {
		t.Fatalf("unmet %v (a project package needs 15 members; rural share 33%% meets 30%%)", c.Unmet)
	}
	f.s.RemoveMember(ctx, f.group.ID, f.teachers[0].ID)
	c, _ = f.s.Composition(ctx, f.group.ID, DefaultTargets)
	if want := []string{FlagRuralShare, FlagTooFew, FlagAgeTier}; len(c.Unmet) != 3 || c.Unmet[0] != want[0] || c.Unmet[2] != want[2] {
		t.Fatalf("unmet %v, want %v", c.Unmet, want)
	}
}

func TestAssessmentScoresAndRanks(t *testing.T) {
	f := newFixture(t)
	s := f.s
	quiet, _ := s.SaveGroup(ctx, Group{Name: "沉默的小组", Kind: KindSchoolGroup, Year: 2026})
	s.SetMember(ctx, quiet.ID, f.teachers[2].ID, RoleHost)
	all := []string{f.teachers[0].ID, f.teachers[1].ID, f.teachers[2].ID}
	for i := 0; i < 5; i++ {
		s.LogActivity(ctx, Activity{GroupID: f.group.ID, Kind: "polish", Day: day(2026, 3, 1+i), Minutes: 90, Attendees: all[:2+i%2]}, nil)
	}
	s.LogActivity(ctx, Activity{GroupID: f.group.ID, Kind: "polish", Day: day(2025, 3, 1), Minutes: 90, Attendees: all}, nil) // another year
	o1, _ := s.SubmitOutput(ctx, Output{TeacherID: f.teachers[0].ID, Kind: "paper", Title: "a", Day: day(2026, 6, 1)})
	o2, _ := s.SubmitOutput(ctx, Output{TeacherID: f.teachers[1].ID, Kind: "paper", Title: "b", Day: day(2026, 6, 1)})
	s.ReviewOutput(ctx, o1.ID, Accepted, "")
	s.ReviewOutput(ctx, o2.ID, Returned, "重写")

	scores, err := s.Assess(ctx, 2026, DefaultWeights)
	if err != nil {
		t.Fatal(err)
	}
	if len(scores) != 2 || scores[0].Group.ID != f.group.ID || scores[0].Rank != 1 || scores[1].Rank != 2 {
		t.Fatalf("ranking %+v", scores)
	}
	p := scores[0]
	// Activities 5/10; outputs 1 accepted / 3 expected; quality 1/2; participation mean (2,3,2,3,2)/3 = 0.8;
	// rural 1/1; budget 18000/20000 → 0.9.
	want := [6]float64{0.5, 1.0 / 3, 0.5, 0.8, 1, 0.9}
	for i := range want {
		if d := p.Parts[i] - want[i]; d > 1e-9 || d < -1e-9 {
			t.Errorf("part %d = %v, want %v", i, p.Parts[i], want[i])
		}
	}
	points := (30*0.5 + 25.0/3 + 15*0.5 + 15*0.8 + 10*1 + 5*0.9)
	if p.Points != float64(int(points*10+0.5))/10 {
		t.Fatalf("points %v, want %.1f", p.Points, points)
	}
	if scores[1].Points != 10+5 { // no activities, no outputs: only rural (no rural members) and budget (none) count
		t.Fatalf("quiet group %v", scores[1].Points)
	}
}

func TestTeacherRosterImportProblemsAndAllOrNothing(t *testing.T) {
	s, _ := newService(t)
	bad := "姓名,学校,学段,出生年份,乡村,教师编号\n" +
		"王建华,石桥镇中心小学,小学,1995,是,T1\n" + // row 2 fine
		"李秀英,实验小学,大学,1985,否,T2\n" + // row 3 bad stage
		"张国庆,实验小学,初中,八零年,否,T3\n" + // row 4 bad year
		"赵丽娟,实验小学,初中,1980,也许,T4\n" + // row 5 bad yes/no
		"钱玉兰,实验小学,初中,1980,否,T1\n" + // row 6 duplicate code
		",实验小学,初中,1980,否,T6\n" // row 7 empty name
	_, err := ReadTeachers("roster.csv", []byte(bad))
	var ie *sheet.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("want problems, got %v", err)
	}
	want := map[int]string{3: ProblemBadStage, 4: ProblemBadYear, 5: ProblemBadYesNo, 6: problemDuplicateID, 7: problemEmpty}
	if len(ie.Problems) != len(want) {
		t.Fatalf("problems %+v", ie.Problems)
	}
	for _, p := range ie.Problems {
		if want[p.Row] != p.Code || p.Column == "" {
			t.Errorf("unexpected %+v", p)
		}
	}
	if ts, _ := s.Teachers(ctx, "", 0); len(ts) != 0 {
		t.Fatal("a refused roster left teachers")
	}
	if _, err := ReadTeachers("r.csv", []byte("学校,学段\n石桥,小学\n")); err == nil {
		t.Fatal("roster without a name column accepted")
	}
}

func TestTeacherRosterExportImportRoundTrip(t *testing.T) {
	s, _ := newService(t)
	if err := s.Generate(ctx, Scale{Teachers: 50, Year: 2026, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Teachers(ctx, "", 0)
	var buf bytes.Buffer
	if err := WriteTeachersXLSX(&buf, before); err != nil {
		t.Fatal(err)
	}
	read, err := ReadTeachers("roster.xlsx", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	added, updated, err := s.ImportTeachers(ctx, read)
	if err != nil || added != 0 || updated != 50 {
		t.Fatalf("re-import: added %d updated %d %v", added, updated, err)
	}
	after, _ := s.Teachers(ctx, "", 0)
	for i := range before {
		if before[i] != after[i] {
			t.Fatalf("changed by the round trip:\n%+v\n%+v", before[i], after[i])
		}
	}
}

func TestActivityImportFindsGroupsAndTeachersOrRefusesAll(t *testing.T) {
	f := newFixture(t)
	good := "研修组,活动类型,日期,时长(分钟),参加人员\n" +
		"语文项目包,集体备课,2026-03-05,90,王建华、李秀英\n" +
		"语文项目包,送教下乡,2026/3/12,120,张国庆\n"
	as, err := f.s.ReadActivities(ctx, "log.csv", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 2 || as[0].Kind != "lesson_prep" || len(as[0].Attendees) != 2 || as[1].Kind != Custom("送教下乡") {
		t.Fatalf("%+v", as)
	}
	bad := good + "数学项目包,集体备课,2026-03-05,90,王建华\n" + // row 4 unknown group
		"语文项目包,集体备课,2026-02-30,90,王建华\n" + // row 5 bad date
		"语文项目包,集体备课,2026-03-06,半天,刘某\n" // row 6 bad duration, unknown teacher
	_, err = f.s.ReadActivities(ctx, "log.csv", []byte(bad))
	var ie *sheet.InputError
	if !errors.As(err, &ie) || len(ie.Problems) != 4 {
		t.Fatalf("problems: %v", err)
	}
	codes := map[string]int{}
	for _, p := range ie.Problems {
		codes[p.Code] = p.Row
	}
	if codes[ProblemUnknownGroup] != 4 || codes[problemBadDate] != 5 || codes[ProblemBadDuration] != 6 || codes[ProblemUnknownTeacher] != 6 {
		t.Fatalf("%+v", ie.Problems)
	}
	if _, err := f.s.ReadActivities(ctx, "log.csv", []byte("组名,日期\n")); err == nil {
		t.Fatal("wrong headers accepted")
	}
	if err := f.s.ImportActivities(ctx, as); err != nil {
		t.Fatal(err)
	}
	// All or nothing: a batch with one activity naming a vanished teacher leaves no trace.
	broken := append([]Activity(nil), as...)
	broken[1].Attendees = []string{"ghost"}
	if err := f.s.ImportActivities(ctx, broken); err == nil {
		t.Fatal("import with a bad attendee accepted")
	}
	if n, _ := f.s.CountActivities(ctx, ActivityFilter{}); n != 2 {
		t.Fatalf("%d activities after a refused batch, want 2", n)
	}
}

func TestActivityExportImportsBack(t *testing.T) {
	f := newFixture(t)
	f.s.LogActivity(ctx, Activity{GroupID: f.group.ID, Kind: "reading", Day: day(2026, 4, 9), Minutes: 60, Place: "图书室",
		Notes: "读《给教师的建议》", Attendees: []string{f.teachers[0].ID, f.teachers[2].ID}}, nil)
	var buf bytes.Buffer
	if err := f.s.WriteActivitiesXLSX(ctx, &buf, ActivityFilter{}); err != nil {
		t.Fatal(err)
	}
	as, err := f.s.ReadActivities(ctx, "export.xlsx", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	a := as[0]
	if len(as) != 1 || a.Kind != "reading" || a.Minutes != 60 || a.Place != "图书室" || a.Notes != "读《给教师的建议》" || len(a.Attendees) != 2 || a.GroupID != f.group.ID {
		t.Fatalf("%+v", as)
	}
}

func TestGroupAndMemberValidation(t *testing.T) {
	f := newFixture(t)
	if _, err := f.s.SaveGroup(ctx, Group{Name: "x", Kind: "club", Year: 2026}); !errors.Is(err, ErrKind) {
		t.Fatal(err)
	}
	if _, err := f.s.SaveGroup(ctx, Group{Name: " ", Kind: KindStudio}); !errors.Is(err, ErrNoName) {
		t.Fatal(err)
	}
	if err := f.s.SetMember(ctx, f.group.ID, f.teachers[1].ID, "boss"); !errors.Is(err, ErrRole) {
		t.Fatal(err)
	}
	if err := f.s.SetMember(ctx, f.group.ID, "ghost", RoleMember); !errors.Is(err, ErrNoTeacher) {
		t.Fatal(err)
	}
	if err := f.s.SetMember(ctx, f.group.ID, f.teachers[1].ID, RoleMentor); err != nil {
		t.Fatal(err)
	}
	ms, _ := f.s.Members(ctx, f.group.ID)
	if len(ms) != 3 || ms[0].Role != RoleHost || ms[1].Role != RoleMentor {
		t.Fatalf("changing a role must not add a member: %+v", ms)
	}
}

func TestGrowthAndAssessmentExportsOpen(t *testing.T) {
	f := newFixture(t)
	f.s.LogActivity(ctx, Activity{GroupID: f.group.ID, Kind: "ethics", Day: day(2026, 4, 9), Minutes: 60, Attendees: []string{f.teachers[0].ID}}, nil)
	g, _ := f.s.GrowthArchive(ctx, f.teachers[0].ID)
	var buf bytes.Buffer
	if err := WriteGrowthXLSX(&buf, g); err != nil {
		t.Fatal(err)
	}
	book, err := sheet.Read("g.xlsx", buf.Bytes())
	if err != nil || len(book.Sheets) != 3 || book.Sheets[1][2][3] != "师德学习" {
		t.Fatalf("%v %v", err, book)
	}
	scores, _ := f.s.Assess(ctx, 2026, DefaultWeights)
	buf.Reset()
	if err := WriteAssessmentXLSX(&buf, 2026, scores); err != nil {
		t.Fatal(err)
	}
	book, err = sheet.Read("a.xlsx", buf.Bytes())
	if err != nil || book.Sheets[0][1][1] != "语文项目包" {
		t.Fatalf("%v %v", err, book)
	}
}
