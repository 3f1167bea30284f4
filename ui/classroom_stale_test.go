package ui

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"qiao/classroom"
	"qiao/classroom/live"
	"qiao/i18n"
)

// TestClassroomStaleLessonResumesOrEnds: two lessons left live by an app
// that stopped (started, no session): the list offers to resume or end
// them; ending closes the host's stay at its last checkpoint, resuming
// goes live again with a new stay.
func TestClassroomStaleLessonResumesOrEnds(t *testing.T) {
	ctx := context.Background()
	h := classroomHarness(t)
	sch, _, _ := h.sv.Current(ctx)
	svc := classroom.New(h.st, sch.ID)
	var ids []string
	for _, title := range []string{"第一课", "第二课"} {
		l, err := svc.Schedule(ctx, classroom.Lesson{Title: title, Subject: "数学", Grade: 3, Minutes: 40, Starts: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Start(ctx, l.ID); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, l.ID)
	}
	// The host stays' last checkpoint: 5 minutes in.
	if _, err := h.st.DB.ExecContext(ctx, `UPDATE classroom_attendance SET seconds=300`); err != nil {
		t.Fatal(err)
	}
	h.w.classroom.showLessons()
	h.settle()
	if n := h.countButtons(i18n.T("classroom.resume")); n != 2 {
		t.Fatalf("%d resume buttons, want 2", n)
	}

	// End the first (the rows are in start order).
	h.buttons(i18n.T("classroom.end_stale"))[0].OnTapped()
	until(t, "the first lesson ended", func() bool {
		l, _ := svc.Lesson(ctx, ids[0])
		return l.State == classroom.Ended
	}, h)
	var secs int64
	h.st.DB.QueryRowContext(ctx, `SELECT seconds FROM classroom_attendance WHERE lesson_id=? AND left_at>0`, ids[0]).Scan(&secs)
	if secs != 300 {
		t.Errorf("the ended lesson's host stay is %d s, want its last checkpoint's 300 s", secs)
	}
	until(t, "one resume button left", func() bool { return h.countButtons(i18n.T("classroom.resume")) == 1 }, h)

	// Resume the second: live again, its old stay closed at 300 s, a new one open.
	test.Tap(h.button(i18n.T("classroom.resume")))
	hc := h.w.classroom
	until(t, "host live", func() bool { return hc.live != nil && hc.live.state == live.Live }, h)
	var closed, open int
	h.st.DB.QueryRowContext(ctx, `SELECT count(*) FROM classroom_attendance WHERE lesson_id=? AND left_at>0 AND seconds=300`, ids[1]).Scan(&closed)
	h.st.DB.QueryRowContext(ctx, `SELECT count(*) FROM classroom_attendance WHERE lesson_id=? AND left_at=0`, ids[1]).Scan(&open)
	if closed != 1 || open != 1 {
		t.Errorf("after resuming: %d stays closed at 300 s, %d open; want 1 and 1", closed, open)
	}
	if l, _ := svc.Lesson(ctx, ids[1]); l.State != classroom.Live || hc.live.lesson.ID != ids[1] {
		t.Errorf("resumed lesson %+v", l)
	}
}

// buttons are the visible buttons saying text, in screen order.
func (h *harness) buttons(text string) []*widget.Button {
	var out []*widget.Button
	for _, o := range h.objects() {
		if b, ok := o.(*widget.Button); ok && b.Text == text && b.Visible() {
			out = append(out, b)
		}
	}
	return out
}

func (h *harness) countButtons(text string) int { return len(h.buttons(text)) }
