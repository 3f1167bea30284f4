package ui

import (
	"context"
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"qiao/i18n"
	"qiao/research"
	"qiao/sheet"
)

// researchHarness is a main window on the sample school with its research
// records, showing the research section.
func researchHarness(t *testing.T, dir string) (*harness, *research.Service) {
	t.Helper()
	h := newHarness(t, dir)
	ctx := context.Background()
	if err := h.w.deps.UseSample(ctx); err != nil {
		t.Fatal(err)
	}
	h.w.refresh()
	h.w.shell.show("research")
	h.settle()
	sch, _, _ := h.sv.Current(ctx)
	return h, research.New(h.st, sch.ID)
}

func init() { queueJobs = true }

// settle runs the research section's background work, and the work that
// work starts, as the UI goroutine would run its results.
func (h *harness) settle() { settle(h.w) }

func settle(w *window) { w.jobs.run() }

func (h *harness) rs() *researchUI { return h.w.research.ui }

// shows reports whether text is on screen, in a label or as canvas text
// (card titles, tab names).
func (h *harness) shows(text string) bool { return textIn(h.objects(), text) }

// textIn reports whether one of objs is a label or canvas text holding text.
func textIn(objs []fyne.CanvasObject, text string) bool {
	for _, o := range objs {
		switch l := o.(type) {
		case *widget.Label:
			if strings.Contains(l.Text, text) {
				return true
			}
		case *canvas.Text:
			if strings.Contains(l.Text, text) {
				return true
			}
		}
	}
	return false
}

func groupIDs(gs []research.Group) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.ID
	}
	return out
}

func sampleGroups(t *testing.T, svc *research.Service) []research.Group {
	t.Helper()
	groups, err := svc.Groups(context.Background(), research.SampleScale.Year)
	if err != nil || len(groups) < 3 {
		t.Fatalf("sample groups: %v %v", groups, err)
	}
	return groups
}

func TestResearchLogActivityEndToEnd(t *testing.T) {
	h, svc := researchHarness(t, t.TempDir())
	ctx := context.Background()
	groups := sampleGroups(t, svc)
	g := groups[2]
	// The last group used on this computer is preselected.
	if err := h.st.SetSetting(ctx, lastGroupSetting, g.ID); err != nil {
		t.Fatal(err)
	}
	r := h.rs()
	h.rs().tabs.SelectIndex(tabLog)
	h.settle()
	f := r.log
	if f == nil || f.groupID != g.ID || f.group.Selected != g.Name {
		t.Fatalf("log form on group %q (%q), want %q", f.groupID, f.group.Selected, g.ID)
	}
	members, _ := svc.Members(ctx, g.ID)
	if len(f.checks) != len(members) {
		t.Fatalf("%d attendance ticks for %d members", len(f.checks), len(members))
	}
	for i, c := range f.checks {
		if !c.Checked || c.Text != members[i].Teacher.Name {
			t.Fatalf("attendance %d: %q ticked=%v", i, c.Text, c.Checked)
		}
	}
	if f.kind.Selected != i18n.T("research.kind.lesson_prep") || f.minutes.Text != "90" || f.day.Text != research.Day(rsToday()) {
		t.Fatalf("defaults: %q %q %q", f.kind.Selected, f.minutes.Text, f.day.Text)
	}
	present, absent := members[0].Teacher, members[1].Teacher
	before, _ := svc.GrowthArchive(ctx, present.ID)

	// A bad date and duration are refused with words to act on.
	f.day.SetText("2026-13-45")
	f.minutes.SetText("0")
	test.Tap(h.button(i18n.T("research.log.save")))
	h.settle()
	if !strings.Contains(f.msg.Text, i18n.T("research.log.err_day", research.Day(rsToday()))) ||
		!strings.Contains(f.msg.Text, i18n.T("research.log.err_minutes")) {
		t.Fatalf("message %q", f.msg.Text)
	}
	f.day.SetText(research.Day(rsToday()))
	f.minutes.SetText("90")

	// Untick the absent teacher, then save.
	test.Tap(f.checks[1])
	if f.checks[1].Checked || !strings.Contains(f.count.Text, "") {
		t.Fatal("untick did not take")
	}
	test.Type(f.place, "录播教室")
	test.Tap(h.button(i18n.T("research.log.save")))
	h.settle()
	if f.msg.Importance != widget.SuccessImportance || !strings.Contains(f.msg.Text, g.Name) {
		t.Fatalf("no confirmation: %q", f.msg.Text)
	}
	// The form is ready for the next activity of the same group.
	if f.groupID != g.ID || f.place.Text != "" || !f.checks[1].Checked {
		t.Fatal("form not reset to the same group")
	}

	day := rsToday()
	rows, err := svc.Activities(ctx, research.ActivityFilter{GroupID: g.ID, From: day, To: day}, 0, 10)
	if err != nil || len(rows) != 1 {
		t.Fatalf("activities logged today: %v %v", rows, err)
	}
	a := rows[0]
	if a.Kind != "lesson_prep" || a.Minutes != 90 || a.Place != "录播教室" || a.Attendees != len(members)-1 {
		t.Fatalf("activity %+v", a)
	}
	ids, _ := svc.Attendees(ctx, a.ID)
	for _, id := range ids {
		if id == absent.ID {
			t.Fatal("the unticked teacher is recorded as present")
		}
	}

	// The present teacher's growth archive shows the activity's credits.
	h.rs().tabs.SelectIndex(tabTeachers)
	h.settle()
	p := r.teachers
	test.Type(p.search, present.Name)
	h.settle()
	idx := -1
	for i, tc := range p.found {
		if tc.ID == present.ID {
			idx = i
		}
	}
	if idx < 0 {
		t.Fatalf("search for %q did not find them", present.Name)
	}
	p.list.Select(idx)
	h.settle()
	if p.archive == nil || p.archive.Teacher.ID != present.ID {
		t.Fatal("archive not open")
	}
	rules, _ := svc.Rules(ctx)
	earned := research.ActivityCredits(rules, "lesson_prep", 90)
	want := research.FormatCredits(before.Credits + earned)
	if !h.shows(i18n.T("research.archive.total", want)) {
		t.Fatalf("archive does not show %s credits in all", want)
	}
	found := false
	for _, y := range p.archive.Years {
		for _, ga := range y.Activities {
			found = found || (ga.ID == a.ID && ga.Credits == earned)
		}
	}
	if !found {
		t.Fatal("the activity is not in the archive with its credits")
	}
	if !h.shows(creditsText(earned)) {
		t.Fatal("the activity's credits are not on screen")
	}
}

func TestResearchLastGroupIsRememberedAcrossWindows(t *testing.T) {
	h, svc := researchHarness(t, t.TempDir())
	groups := sampleGroups(t, svc)
	r := h.rs()
	r.show(tabLog)
	h.settle()
	f := r.log
	want := -1
	for i, g := range f.groups {
		if g.ID == groups[1].ID {
			want = i
		}
	}
	f.group.SetSelectedIndex(want)
	h.settle()
	test.Tap(h.button(i18n.T("research.log.save")))
	h.settle()
	if f.msg.Importance != widget.SuccessImportance {
		t.Fatalf("not saved: %q", f.msg.Text)
	}

	w2 := newWindow(h.app, h.w.deps)
	w2.shell.show("research")
	settle(w2)
	w2.research.ui.show(tabLog)
	settle(w2)
	if got := w2.research.ui.log.groupID; got != groups[1].ID {
		t.Fatalf("new window's log form is on %q, want %q", got, groups[1].ID)
	}
}

func TestResearchActivityImportWithProblemsImportsNothing(t *testing.T) {
	h, svc := researchHarness(t, t.TempDir())
	ctx := context.Background()
	groups := sampleGroups(t, svc)
	before, _ := svc.CountActivities(ctx, research.ActivityFilter{})
	csv := "研修组,活动类型,日期,时长(分钟),参加人员\n" +
		groups[0].Name + ",集体备课,2026-03-02,90,\n" + // fine
		"没有这个组,集体备课,2026-03-03,90,\n" + // unknown group
		groups[0].Name + ",观课议课,2026-02-30,90,\n" + // bad date
		groups[0].Name + ",观课议课,2026-03-04,半天,\n" + // bad duration
		groups[0].Name + ",读书分享,2026-03-05,60,查无此人\n" // unknown teacher
	_, err := svc.ReadActivities(ctx, "log.csv", []byte(csv))
	var input *sheet.InputError
	if !errors.As(err, &input) || len(input.Problems) != 4 {
		t.Fatalf("read: %v", err)
	}
	r := h.rs()
	r.show(tabActivities)
	h.settle()
	p := r.activities
	p.loaded("log.csv", nil, err)
	h.settle()
	if len(p.problems) != 4 {
		t.Fatalf("problems %q", p.problems)
	}
	if !h.shows(i18n.T("research.activities.refused", "log.csv", 4)) {
		t.Fatal("no refusal headline")
	}
	var list *widget.List
	for _, o := range h.objects() {
		if l, ok := o.(*widget.List); ok && l.Length() == 4 {
			list = l
		}
	}
	if list == nil {
		t.Fatal("the problems are not listed")
	}
	for i, want := range []string{"第 3 行", "第 4 行", "第 5 行", "第 6 行"} {
		if !strings.HasPrefix(p.problems[i], want) || strings.Contains(p.problems[i], "problem.") {
			t.Fatalf("problem %d: %q", i, p.problems[i])
		}
	}
	if !strings.Contains(p.problems[0], "没有这个组") || !strings.Contains(p.problems[3], "查无此人") ||
		!strings.Contains(p.problems[1], i18n.T("problem.bad_date", "2026-02-30")) {
		t.Fatalf("problems do not say what is wrong: %q", p.problems)
	}
	if after, _ := svc.CountActivities(ctx, research.ActivityFilter{}); after != before {
		t.Fatalf("%d activities imported from a refused log", after-before)
	}
	// Back to the list.
	test.Tap(h.button(i18n.T("research.back")))
	h.settle()
	if p.pager.n != before {
		t.Fatalf("list shows %d of %d activities", p.pager.n, before)
	}
}

func TestResearchRosterImportWithProblems(t *testing.T) {
	h, _ := researchHarness(t, t.TempDir())
	_, err := research.ReadTeachers("roster.csv", []byte("教师编号,姓名,学段,出生年份,乡村\nT1,甲,大学,1985,是\nT1,乙,小学,八五,也许\n"))
	if err == nil {
		t.Fatal("bad roster read")
	}
	r := h.rs()
	r.show(tabTeachers)
	h.settle()
	r.teachers.loaded("roster.csv", nil, err)
	if len(r.teachers.problems) != 4 || !h.shows(i18n.T("research.teachers.refused", "roster.csv", 4)) {
		t.Fatalf("problems %q", r.teachers.problems)
	}
	for _, p := range r.teachers.problems {
		if strings.Contains(p, "problem.") || strings.Contains(p, "学号") {
			t.Fatalf("problem worded for pupils or untranslated: %q", p)
		}
	}
}

func TestResearchOutputReview(t *testing.T) {
	h, svc := researchHarness(t, t.TempDir())
	ctx := context.Background()
	groups := sampleGroups(t, svc)
	members, _ := svc.Members(ctx, groups[0].ID)
	author := members[0].Teacher
	before, _ := svc.GrowthArchive(ctx, author.ID)

	r := h.rs()
	h.rs().tabs.SelectIndex(tabOutputs)
	h.settle()
	p := r.outputs
	// Submitting: the author is picked by name, the title is required.
	test.Tap(h.button(i18n.T("research.outputs.submit")))
	if !strings.Contains(p.msg.Text, i18n.T("research.pick_teacher_first")) || !strings.Contains(p.msg.Text, i18n.T("research.outputs.err_title")) {
		t.Fatalf("message %q", p.msg.Text)
	}
	p.setTeacher(author)
	h.settle()
	p.kind.SetSelectedIndex(indexOf(research.OutputKinds, "lesson_plan"))
	test.Type(p.title, "分数的初步认识 教学设计")
	test.Tap(h.button(i18n.T("research.outputs.submit")))
	h.settle()
	mine, _ := svc.Outputs(ctx, author.ID, research.Submitted)
	var out research.Output
	for _, o := range mine {
		if o.Title == "分数的初步认识 教学设计" {
			out = o
		}
	}
	if out.ID == "" {
		t.Fatalf("output not submitted: %q", p.msg.Text)
	}

	// The host can narrow the list to their group's members.
	var outsider research.Group
	for _, g := range groups {
		ms, _ := svc.Members(ctx, g.ID)
		in := false
		for _, m := range ms {
			in = in || m.Teacher.ID == author.ID
		}
		if !in {
			outsider = g
		}
	}
	listed := func() bool {
		for _, o := range p.pending {
			if o.ID == out.ID {
				return true
			}
		}
		return false
	}
	if outsider.ID != "" {
		p.groupSel.SetSelectedIndex(1 + indexOf(groupIDs(p.groups), outsider.ID))
		h.settle()
		if listed() || p.groupID != outsider.ID {
			t.Fatal("an outsider's group lists the author's output")
		}
	}
	p.groupSel.SetSelectedIndex(1 + indexOf(groupIDs(p.groups), groups[0].ID))
	h.settle()
	if !listed() {
		t.Fatal("the author's group does not list their output")
	}

	// Reviewing: pick it; returning without a comment is refused.
	idx := -1
	for i, o := range p.pending {
		if o.ID == out.ID {
			idx = i
		}
	}
	if idx < 0 {
		t.Fatal("submitted output not in the review list")
	}
	p.list.Select(idx)
	test.Tap(h.button(i18n.T("research.review.return")))
	h.settle()
	if !h.shows(i18n.T("research.err.need_comment")) {
		t.Fatal("return without a comment not refused")
	}
	if o, _ := svc.Outputs(ctx, author.ID, research.Submitted); len(o) != len(mine) {
		t.Fatal("returned without a comment")
	}
	test.Tap(h.button(i18n.T("research.review.accept")))
	h.settle()
	accepted, _ := svc.Outputs(ctx, author.ID, research.Accepted)
	ok := false
	for _, o := range accepted {
		ok = ok || o.ID == out.ID
	}
	if !ok {
		t.Fatal("output not accepted")
	}
	for _, o := range p.pending {
		if o.ID == out.ID {
			t.Fatal("accepted output still waits for review")
		}
	}

	// Another one is returned with a comment.
	other, _ := svc.SubmitOutput(ctx, research.Output{TeacherID: author.ID, Kind: "paper", Title: "论文初稿", Day: rsToday()})
	p.reload()
	h.settle()
	for i, o := range p.pending {
		if o.ID == other.ID {
			p.list.Select(i)
		}
	}
	test.Type(p.comment, "请补充课堂实录")
	test.Tap(h.button(i18n.T("research.review.return")))
	h.settle()
	returned, _ := svc.Outputs(ctx, author.ID, research.Returned)
	ok = false
	for _, o := range returned {
		ok = ok || (o.ID == other.ID && o.Comment == "请补充课堂实录")
	}
	if !ok {
		t.Fatal("output not returned with its comment")
	}

	// The accepted output's credits are in the author's archive.
	h.rs().tabs.SelectIndex(tabTeachers)
	h.settle()
	r.teachers.openArchive(author.ID)
	h.settle()
	rules, _ := svc.Rules(ctx)
	earned := research.OutputCredits(rules, "lesson_plan", research.Accepted)
	if earned == 0 {
		t.Fatal("lesson plans earn nothing")
	}
	if !h.shows(i18n.T("research.archive.total", research.FormatCredits(before.Credits+earned))) {
		t.Fatal("archive total does not include the accepted output")
	}
	var y research.GrowthYear
	for _, gy := range r.teachers.archive.Years {
		if gy.Year == rsToday().Year() {
			y = gy
		}
	}
	if !h.shows(i18n.T("research.archive.outputs", len(y.Outputs), research.FormatCredits(y.OutputCredits))) {
		t.Fatal("outputs heading missing")
	}
	if !h.shows("分数的初步认识 教学设计") {
		t.Fatal("accepted output not listed in the archive")
	}
}

func TestResearchAssessmentRanksGroups(t *testing.T) {
	h, svc := researchHarness(t, t.TempDir())
	groups := sampleGroups(t, svc)
	r := h.rs()
	r.st.year = research.SampleScale.Year
	h.rs().tabs.SelectIndex(tabAssess)
	h.settle()
	p := r.assess
	if len(p.rows) != len(groups) {
		t.Fatalf("%d rows for %d groups", len(p.rows), len(groups))
	}
	var table *widget.Table
	for _, o := range h.objects() {
		if tb, ok := o.(*widget.Table); ok {
			table = tb
		}
	}
	if table == nil {
		t.Fatal("no table on screen")
	}
	if rows, cols := table.Length(); rows != len(groups) || cols != len(assessCols) {
		t.Fatalf("table %d×%d", rows, cols)
	}
	for i := 1; i < len(p.scores); i++ {
		if p.scores[i].Points > p.scores[i-1].Points || p.scores[i].Rank < p.scores[i-1].Rank {
			t.Fatal("not ranked")
		}
	}
	if p.rows[0][0] != "1" || p.rows[0][1] != p.scores[0].Group.Name {
		t.Fatalf("first row %q", p.rows[0])
	}
	if !h.shows(i18n.T("research.assess.points")) || !h.shows(i18n.T("research.assess.note", research.SampleScale.Year, len(groups))) {
		t.Fatal("table headers or note not drawn")
	}
}

func TestResearchGroupPage(t *testing.T) {
	h, svc := researchHarness(t, t.TempDir())
	ctx := context.Background()
	groups := sampleGroups(t, svc)
	r := h.rs()
	p := r.groups
	if len(p.groups) != len(groups) || r.st.groupID != groups[0].ID {
		t.Fatalf("groups page: %d groups, on %q", len(p.groups), r.st.groupID)
	}
	p.list.Select(3)
	h.settle()
	g := groups[3]
	members, _ := svc.Members(ctx, g.ID)
	comp, _ := svc.Composition(ctx, g.ID, research.DefaultTargets)
	if !h.shows(i18n.T("research.group.members", len(members))) || !h.shows(members[0].Teacher.Name) {
		t.Fatal("members not shown")
	}
	if members[0].Role != research.RoleHost || !h.shows(i18n.T("research.member_value", members[0].Teacher.Name, roleName(research.RoleHost))) {
		t.Fatal("host not first")
	}
	danger := 0
	for _, o := range h.objects() {
		if l, ok := o.(*widget.Label); ok && l.Importance == widget.DangerImportance && l.Text != "" {
			danger++
		}
	}
	if (len(comp.Unmet) > 0) != (danger > 0) {
		t.Fatalf("unmet %v but %d danger labels", comp.Unmet, danger)
	}
	n, _ := svc.CountActivities(ctx, research.ActivityFilter{GroupID: g.ID})
	if p.recent.n != n || !h.shows(i18n.T("research.group.activity_count", n)) {
		t.Fatalf("recent activities %d, want %d", p.recent.n, n)
	}

	// The group's log button opens the log form on this group.
	test.Tap(h.button(i18n.T("research.group.log")))
	h.settle()
	if r.tabs.SelectedIndex() != tabLog || r.log.groupID != g.ID {
		t.Fatal("log button did not open the form on this group")
	}

	// A new group is refused without a name, then saved.
	h.rs().tabs.SelectIndex(tabGroups)
	h.settle()
	test.Tap(h.button(i18n.T("research.group.new")))
	test.Tap(h.button(i18n.T("action.save")))
	if !h.shows(i18n.T("research.group.err_name")) {
		t.Fatal("nameless group not refused")
	}
	test.Type(h.entries()[0], "青禾县小学英语联片教研")
	test.Tap(h.button(i18n.T("action.save")))
	h.settle()
	if len(p.groups) != len(groups)+1 || !h.shows("青禾县小学英语联片教研") {
		t.Fatal("new group not listed")
	}
}

func TestResearchActivityListFiltersAndPages(t *testing.T) {
	h, svc := researchHarness(t, t.TempDir())
	ctx := context.Background()
	groups := sampleGroups(t, svc)
	// Enough activities for several pages.
	members, _ := svc.Members(ctx, groups[0].ID)
	var acts []research.Activity
	for i := 0; i < 130; i++ {
		acts = append(acts, research.Activity{GroupID: groups[0].ID, Kind: "reading", Day: rsToday().AddDate(0, 0, -i%200),
			Minutes: 60, Notes: "读书会", Attendees: []string{members[0].Teacher.ID}})
	}
	if err := svc.ImportActivities(ctx, acts); err != nil {
		t.Fatal(err)
	}
	r := h.rs()
	r.tabs.SelectIndex(tabActivities)
	h.settle()
	p := r.activities
	all, _ := svc.CountActivities(ctx, research.ActivityFilter{})
	if p.pager.n != all || !h.shows(i18n.T("research.activities.count", all)) {
		t.Fatalf("list has %d of %d", p.pager.n, all)
	}
	// Rows are read a page at a time, and only a few pages are kept.
	if _, ok := p.pager.item(3 * pageSize); ok {
		t.Fatal("a far page was at hand before it was read")
	}
	h.settle()
	row, ok := p.pager.item(3 * pageSize)
	want, _ := svc.Activities(ctx, research.ActivityFilter{}, 3*pageSize, 1)
	if !ok || row.ID != want[0].ID {
		t.Fatal("page not read")
	}
	for pg := 0; pg*pageSize < all; pg++ {
		p.pager.item(pg * pageSize)
		h.settle()
	}
	if len(p.pager.pages) > pagesKept {
		t.Fatalf("%d pages kept", len(p.pager.pages))
	}

	// Filter by group and kind.
	p.group.SetSelectedIndex(1 + indexOf(groupIDs(p.groups), groups[0].ID))
	h.settle()
	p.kind.SetSelectedIndex(1 + indexOf(research.ActivityKinds, "reading"))
	h.settle()
	f := research.ActivityFilter{GroupID: groups[0].ID, Kind: "reading"}
	n, _ := svc.CountActivities(ctx, f)
	if p.pager.n != n || n < 130 {
		t.Fatalf("filtered list has %d, want %d", p.pager.n, n)
	}
	// A date it cannot read is said, and the list is left as it was.
	p.from.SetText("2026-02-30x")
	test.Tap(h.button(i18n.T("research.filter.apply")))
	h.settle()
	if !strings.Contains(p.msg.Text, i18n.T("research.filter.err_from", research.Day(rsToday()))) || p.msg.Hidden {
		t.Fatalf("message %q", p.msg.Text)
	}
	p.from.SetText(research.Day(rsToday().AddDate(0, 0, -9)))
	test.Type(p.text, "读书会")
	test.Tap(h.button(i18n.T("research.filter.apply")))
	h.settle()
	f.From, f.Text = rsToday().AddDate(0, 0, -9), "读书会"
	n, _ = svc.CountActivities(ctx, f)
	if p.pager.n != n || n != 10 || !p.msg.Hidden {
		t.Fatalf("date and text filter: %d, want %d (10)", p.pager.n, n)
	}
	// The filter is kept across a section switch.
	h.w.shell.show("home")
	h.w.shell.show("research")
	h.settle()
	if h.rs().activities.pager.n != n {
		t.Fatal("filter lost")
	}
}

// rulesRow is the rules page's row for kind of target.
func rulesRow(t *testing.T, p *rulesPage, target, kind string) *ruleRow {
	t.Helper()
	s := p.acts
	if target == research.TargetOutput {
		s = p.outs
	}
	for _, row := range s.rows {
		if row.kind == kind {
			return row
		}
	}
	t.Fatalf("no %s row for %q", target, kind)
	return nil
}

func TestResearchRulesChangeShowsInArchive(t *testing.T) {
	h, svc := researchHarness(t, t.TempDir())
	ctx := context.Background()
	groups := sampleGroups(t, svc)
	members, _ := svc.Members(ctx, groups[0].ID)
	var teacher research.Teacher
	var kind string
	for _, m := range members {
		g, _ := svc.GrowthArchive(ctx, m.Teacher.ID)
		for _, y := range g.Years {
			for _, a := range y.Activities {
				if kind == "" {
					teacher, kind = m.Teacher, a.Kind
				}
			}
		}
	}
	if kind == "" {
		t.Fatal("no sample teacher attended anything")
	}
	before, _ := svc.GrowthArchive(ctx, teacher.ID)

	r := h.rs()
	r.tabs.SelectIndex(tabRules)
	h.settle()
	p := r.rules
	if len(p.acts.rows) < len(research.ActivityKinds) || len(p.outs.rows) < len(research.OutputKinds) {
		t.Fatalf("%d activity rows, %d output rows", len(p.acts.rows), len(p.outs.rows))
	}
	if !h.shows(i18n.T("research.rules.note")) || !h.shows(i18n.T("research.kind.polish")) {
		t.Fatal("note or kind names not shown")
	}
	if row := rulesRow(t, p, research.TargetActivity, "polish"); row.credits.Text != "1.5" || row.perHour.Checked {
		t.Fatalf("polish shows %q per hour %v", row.credits.Text, row.perHour.Checked)
	}
	row := rulesRow(t, p, research.TargetActivity, kind)

	// Negative or non-numeric credits are refused next to the row; nothing is saved.
	for _, bad := range []string{"-1", "一分", "1.234"} {
		row.credits.SetText(bad)
		test.Tap(h.button(i18n.T("research.rules.save")))
		h.settle()
		if row.err.Hidden || row.err.Text != i18n.T("research.rules.err_credits") || p.msg.Text != i18n.T("research.rules.err_rows", 1) {
			t.Fatalf("%q: row %q, message %q", bad, row.err.Text, p.msg.Text)
		}
	}
	if rules, _ := svc.Rules(ctx); rules[research.TargetActivity][kind] != research.DefaultRules[research.TargetActivity][kind] {
		t.Fatal("a refused rule was saved")
	}

	row.credits.SetText("7.25")
	test.Tap(h.button(i18n.T("research.rules.save")))
	h.settle()
	if !row.err.Hidden || p.msg.Importance != widget.SuccessImportance || p.msg.Text != i18n.T("research.rules.saved", 1) {
		t.Fatalf("not saved: %q", p.msg.Text)
	}
	rules, _ := svc.Rules(ctx)
	if got := rules[research.TargetActivity][kind]; got.Credits != 725 || got.PerHour != research.DefaultRules[research.TargetActivity][kind].PerHour {
		t.Fatalf("rule %+v", got)
	}
	after, _ := svc.GrowthArchive(ctx, teacher.ID)
	if after.Credits == before.Credits {
		t.Fatal("the rule change did not change the teacher's credits")
	}

	r.tabs.SelectIndex(tabTeachers)
	h.settle()
	r.teachers.openArchive(teacher.ID)
	h.settle()
	if !h.shows(i18n.T("research.archive.total", research.FormatCredits(after.Credits))) {
		t.Fatalf("archive does not show %s credits", research.FormatCredits(after.Credits))
	}
}

func TestResearchCustomKindInLogForm(t *testing.T) {
	h, svc := researchHarness(t, t.TempDir())
	ctx := context.Background()
	r := h.rs()
	r.tabs.SelectIndex(tabRules)
	h.settle()
	p := r.rules
	s := p.acts

	// A name and valid credits are required.
	s.credits.SetText("-2")
	test.Tap(s.addBtn)
	h.settle()
	if !strings.Contains(s.msg.Text, i18n.T("research.rules.err_name")) || !strings.Contains(s.msg.Text, i18n.T("research.rules.err_credits")) {
		t.Fatalf("message %q", s.msg.Text)
	}
	test.Type(s.name, "送教下乡")
	s.credits.SetText("2")
	test.Tap(s.addBtn)
	h.settle()
	kind := research.Custom("送教下乡")
	if s.msg.Importance != widget.SuccessImportance {
		t.Fatalf("not added: %q", s.msg.Text)
	}
	rulesRow(t, p, research.TargetActivity, kind)
	if rules, _ := svc.Rules(ctx); rules[research.TargetActivity][kind] != (research.Rule{Credits: 200}) {
		t.Fatalf("rule %+v", rules[research.TargetActivity][kind])
	}
	// The same name again is refused.
	test.Type(s.name, "送教下乡")
	s.credits.SetText("1")
	test.Tap(s.addBtn)
	if !strings.Contains(s.msg.Text, i18n.T("research.rules.err_exists", "送教下乡")) {
		t.Fatalf("duplicate: %q", s.msg.Text)
	}

	// The log form offers it after the built-in kinds, and logs with it.
	r.tabs.SelectIndex(tabLog)
	h.settle()
	f := r.log
	if n := len(f.kind.Options); n != len(research.ActivityKinds)+1 || f.kind.Options[n-1] != "送教下乡" {
		t.Fatalf("kinds offered %q", f.kind.Options)
	}
	if f.kind.Selected != i18n.T("research.kind.lesson_prep") {
		t.Fatalf("default kind %q", f.kind.Selected)
	}
	f.kind.SetSelected("送教下乡")
	test.Tap(h.button(i18n.T("research.log.save")))
	h.settle()
	if f.msg.Importance != widget.SuccessImportance || !strings.Contains(f.msg.Text, "送教下乡") {
		t.Fatalf("not logged: %q", f.msg.Text)
	}
	day := rsToday()
	rows, err := svc.Activities(ctx, research.ActivityFilter{Kind: kind, From: day, To: day}, 0, 10)
	if err != nil || len(rows) != 1 || rows[0].GroupID != f.groupID {
		t.Fatalf("logged %+v %v", rows, err)
	}
	// The attendees earn its credits.
	ids, _ := svc.Attendees(ctx, rows[0].ID)
	g, _ := svc.GrowthArchive(ctx, ids[0])
	found := false
	for _, y := range g.Years {
		for _, a := range y.Activities {
			found = found || (a.ID == rows[0].ID && a.Credits == 200)
		}
	}
	if !found {
		t.Fatal("the custom kind's credits are not in the archive")
	}
}
