package ui

import (
	"context"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"qiao/classroom"
	"qiao/i18n"
	"qiao/research"
)

// TestClassroomLogLessonAsResearch: an ended lesson's row offers 记为教研活动;
// the form pre-ticks the chosen group's members; logging records an 观课议课
// activity with the lesson's real start and minutes and the ticked
// teachers; the row then says it is logged and offers it no more.
func TestClassroomLogLessonAsResearch(t *testing.T) {
	ctx := context.Background()
	h := classroomHarness(t)
	sch, _, _ := h.sv.Current(ctx)
	svc := classroom.New(h.st, sch.ID)
	rs := research.New(h.st, sch.ID)

	g, err := rs.SaveGroup(ctx, research.Group{Name: "三年级数学同步课堂组", Kind: research.KindSchoolGroup, Subject: "数学", Year: time.Now().Year()})
	if err != nil {
		t.Fatal(err)
	}
	var teachers []string
	for _, name := range []string{"李老师", "王老师", "赵老师"} {
		tc, err := rs.SaveTeacher(ctx, research.Teacher{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if err := rs.SetMember(ctx, g.ID, tc.ID, research.RoleMember); err != nil {
			t.Fatal(err)
		}
		teachers = append(teachers, tc.ID)
	}

	// A lesson that ran 38 minutes (its times set as a past lesson's).
	l, err := svc.Schedule(ctx, classroom.Lesson{Title: "分数的初步认识", Subject: "数学", Grade: 3, Minutes: 40, Starts: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	svc.Start(ctx, l.ID)
	svc.End(ctx, l.ID)
	started := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	if _, err := h.st.DB.ExecContext(ctx, `UPDATE classroom_lessons SET started_at=?, ended_at=? WHERE id=?`,
		started.Unix(), started.Add(38*time.Minute).Unix(), l.ID); err != nil {
		t.Fatal(err)
	}
	h.w.classroom.showLessons()
	h.settle()
	test.Tap(h.button(i18n.T("classroom.log_research")))
	h.settle()
	h.selectWith("三年级数学同步课堂组").SetSelected("三年级数学同步课堂组")
	h.settle()
	var ticked int
	for _, o := range h.objects() {
		if c, ok := o.(*widget.Check); ok {
			if c.Text == "王老师" {
				c.SetChecked(false) // 王老师 was not there
			}
			if c.Checked {
				ticked++
			}
		}
	}
	if ticked != 2 {
		t.Fatalf("%d members ticked after unticking one of 3", ticked)
	}
	test.Tap(h.button(i18n.T("classroom.log_do")))
	h.settle()

	id, err := rs.LessonActivity(ctx, l.ID)
	if err != nil || id == "" {
		t.Fatalf("no activity for the lesson: %v", err)
	}
	rows, _ := rs.Activities(ctx, research.ActivityFilter{GroupID: g.ID}, 0, 10)
	if len(rows) != 1 || rows[0].Kind != research.KindObserve || rows[0].Minutes != 38 || rows[0].Day != research.Day(started) || rows[0].Attendees != 2 {
		t.Fatalf("activity %+v; want 观课议课 of 38 minutes on %s with 2 attendees", rows, research.Day(started))
	}
	who, _ := rs.Attendees(ctx, id)
	if slices.Contains(who, teachers[1]) || !slices.Contains(who, teachers[0]) || !slices.Contains(who, teachers[2]) {
		t.Errorf("attendees %v", who)
	}
	// Back on the list: logged, and not offered again.
	if !h.hasText(i18n.T("classroom.logged")) || h.hasButton(i18n.T("classroom.log_research")) {
		t.Fatal("the row does not say the lesson is logged, or still offers to log it")
	}
}
