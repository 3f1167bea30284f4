package ui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"qiao/audio"
	"qiao/classroom"
	"qiao/classroom/live"
	"qiao/classroom/relay"
	"qiao/content"
	"qiao/i18n"
	"qiao/prefs"
	"qiao/school"
	"qiao/store"

	"fyne.io/fyne/v2/canvas"
	"github.com/pion/webrtc/v4"
)

// Lessons in tests run on loopback, with miniaudio's null backend and a tone
// as the microphone.
func init() {
	classroomLAN = lanConfig{loopback: true}
	classroomAPI = func() (*webrtc.API, func() error, error) {
		return relay.NewAPI(relay.NetConfig{IncludeLoopback: true, UDPOnly: true})
	}
	classroomAudio = &struct {
		Device    audio.DeviceConfig
		NewSource func() func([]int16)
	}{audio.DeviceConfig{Null: true}, func() func([]int16) {
		return (&audio.Tone{Freq: 440, Amplitude: 0.2}).Fill
	}}
}

// classroomHarness is a main window on the sample school showing the
// classroom section. The sample's year of lessons is cleared: these tests
// count the lessons and attendance they make.
func classroomHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, t.TempDir())
	if err := h.w.deps.UseSample(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := h.st.DB.Exec(`DELETE FROM classroom_attendance; DELETE FROM classroom_lessons`); err != nil {
		t.Fatal(err)
	}
	h.w.refresh()
	h.w.shell.show("classroom")
	h.settle()
	t.Cleanup(func() {
		if h.w.classroom != nil {
			h.w.classroom.shutdown()
		}
	})
	return h
}

// secondWindow is another main window of the same test app on its own
// store: a remote classroom's PC, with its own school.
func secondWindow(t *testing.T, h *harness, schoolName string) *harness {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p, _ := prefs.Load(context.Background(), st)
	files, err := content.Open(filepath.Join(dir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	h2 := &harness{t: t, st: st, sv: school.NewService(st), app: h.app}
	if _, err := h2.sv.Save(context.Background(), school.School{Name: schoolName}); err != nil {
		t.Fatal(err)
	}
	h2.w = newWindow(h.app, Deps{Store: st, Schools: h2.sv, Files: files, Prefs: p, Version: "test"})
	h2.w.win.Resize(fyne.NewSize(1100, 700))
	h2.w.shell.show("classroom")
	h2.settle()
	t.Cleanup(func() {
		if h2.w.classroom != nil {
			h2.w.classroom.shutdown()
		}
	})
	return h2
}

// until runs both windows' queued work until cond holds.
func until(t *testing.T, what string, cond func() bool, hs ...*harness) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		for _, h := range hs {
			h.settle()
		}
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *harness) entryWithHint(hint string) *widget.Entry {
	h.t.Helper()
	for _, e := range h.entries() {
		if e.PlaceHolder == hint {
			return e
		}
	}
	h.t.Fatalf("no entry with hint %q", hint)
	return nil
}

func (h *harness) selectWith(option string) *widget.Select {
	h.t.Helper()
	for _, o := range h.objects() {
		if s, ok := o.(*widget.Select); ok {
			for _, opt := range s.Options {
				if opt == option {
					return s
				}
			}
		}
	}
	h.t.Fatalf("no select offering %q", option)
	return nil
}

func TestClassroomScheduleFormShowsFieldErrors(t *testing.T) {
	h := classroomHarness(t)
	starts := h.entryWithHint(startLayout)
	starts.SetText("tomorrow")
	test.Tap(h.button(i18n.T("classroom.schedule_do")))
	h.settle()
	for _, key := range []string{"classroom.err.subject", "classroom.err.grade"} {
		if !h.shows(i18n.T(key)) {
			t.Errorf("no message %q", i18n.T(key))
		}
	}
	if !h.shows(i18n.T("classroom.err.starts_format", startLayout)) {
		t.Error("no message about the start time's format")
	}
	// Fix all but the minutes.
	test.Type(h.entryWithHint(i18n.T("classroom.subject_hint")), "数学")
	h.selectWith(gradeName(3)).SetSelected(gradeName(3))
	starts.SetText(time.Now().Format(startLayout))
	for _, e := range h.entries() {
		if e.Text == "40" {
			e.SetText("500")
		}
	}
	test.Tap(h.button(i18n.T("classroom.schedule_do")))
	h.settle()
	if !h.visible(i18n.T("classroom.err.minutes")) || h.visible(i18n.T("classroom.err.subject")) {
		t.Fatal("the minutes error is not shown alone")
	}
	sch, _, _ := h.sv.Current(context.Background())
	from, to := weekRange(time.Now())
	if ls, _ := classroom.New(h.st, sch.ID).Lessons(context.Background(), from, to); len(ls) != 0 {
		t.Fatalf("an invalid lesson was stored: %+v", ls)
	}
}

// TestClassroomLiveLesson hosts a LAN lesson with the embedded relay on
// loopback; a second window joins it as a remote classroom.
func TestClassroomLiveLesson(t *testing.T) {
	h := classroomHarness(t)
	ctx := context.Background()

	// Schedule through the form.
	test.Type(h.entryWithHint(i18n.T("classroom.subject_hint")), "数学")
	test.Type(h.entryWithHint(i18n.T("classroom.title_hint")), "分数的初步认识")
	h.selectWith(gradeName(3)).SetSelected(gradeName(3))
	h.entryWithHint(startLayout).SetText(time.Now().Format(startLayout))
	test.Tap(h.button(i18n.T("classroom.schedule_do")))
	h.settle()
	if !h.shows("分数的初步认识") {
		t.Fatal("the scheduled lesson is not in the list")
	}

	// Start it: the relay, the host's session, the join code on screen.
	test.Tap(h.button(i18n.T("classroom.start")))
	hc := h.w.classroom
	until(t, "host live", func() bool { return hc.live != nil && hc.live.state == live.Live }, h)
	ll := hc.live
	if !h.shows(i18n.T("classroom.state_live.live")) || !h.shows(ll.code) || !h.shows(ll.addrs[0]) {
		t.Fatal("the host's screen does not show the state, the code and the address")
	}

	// A remote classroom joins from its own window.
	r := secondWindow(t, h, "草原小学")
	test.Type(r.entryWithHint(i18n.T("classroom.addr_hint")), ll.addrs[0])
	test.Type(r.entryWithHint(i18n.T("classroom.code_hint")), ll.code)
	test.Tap(r.button(i18n.T("classroom.join_do")))
	rc := r.w.classroom
	until(t, "remote live", func() bool { return rc.live != nil && rc.live.state == live.Live }, h, r)
	until(t, "the host lists the remote", func() bool { return h.shows("草原小学") }, h, r)
	if !r.shows(i18n.T("classroom.state_live.live")) {
		t.Fatal("the remote's screen does not say it is live")
	}

	// Page turn.
	test.Tap(h.button(i18n.T("classroom.next")))
	until(t, "the remote shows page 2", func() bool { return r.shows(i18n.T("classroom.page", 2)) }, h, r)

	// Raise hand → the host grants the mic → 你们正在发言.
	test.Tap(r.button(i18n.T("classroom.raise")))
	until(t, "the host sees the hand", func() bool { return h.hasButton(i18n.T("classroom.grant")) }, h, r)
	test.Tap(h.button(i18n.T("classroom.grant")))
	until(t, "the remote holds the mic", func() bool { return r.shows(i18n.T("classroom.you_speak")) && r.visible(i18n.T("classroom.you_speak")) }, h, r)
	until(t, "the host can take it back", func() bool { return h.hasButton(i18n.T("classroom.revoke")) }, h, r)
	test.Tap(h.button(i18n.T("classroom.revoke")))
	until(t, "the remote lost the mic", func() bool { return !r.visible(i18n.T("classroom.you_speak")) }, h, r)

	// Quiz: true/false; the remote answers 对; the host's tally counts it.
	for _, o := range h.objects() {
		if rg, ok := o.(*widget.RadioGroup); ok {
			rg.SetSelected(i18n.T("classroom.quiz.truefalse"))
		}
	}
	test.Tap(h.button(i18n.T("classroom.quiz.start")))
	until(t, "the remote sees the quiz", func() bool { return r.hasButton(i18n.T("classroom.quiz.true")) }, h, r)
	test.Tap(r.button(i18n.T("classroom.quiz.true")))
	tally := i18n.T("classroom.quiz.true") + ": 1"
	until(t, "the host's tally", func() bool {
		return h.shows(tally) && h.shows(i18n.T("classroom.quiz.open", 1, 1)) &&
			h.shows(i18n.T("classroom.quiz.answered_as", i18n.T("classroom.quiz.true")))
	}, h, r)

	// 下课: both screens say it has ended; attendance is recorded.
	test.Tap(h.button(i18n.T("classroom.end")))
	until(t, "both ended", func() bool {
		return h.shows(i18n.T("classroom.state_live.ended")) && r.shows(i18n.T("classroom.state_live.ended")) &&
			h.hasButton(i18n.T("classroom.back")) && r.hasButton(i18n.T("classroom.back"))
	}, h, r)
	if !r.visible(i18n.T("classroom.err.lesson_ended")) {
		t.Errorf("the remote does not say the lesson ended (%v)", rc.live.err)
	}
	count := func(st *store.Store, role string) (n int) {
		// Closed stays (left_at set) of role.
		until(t, "attendance of "+role, func() bool {
			_ = st.DB.QueryRowContext(ctx, `SELECT count(*) FROM classroom_attendance WHERE role=? AND left_at>0 AND deleted=0`, role).Scan(&n)
			return n > 0
		}, h, r)
		return n
	}
	if count(h.st, "host") != 1 || count(r.st, "remote") != 1 {
		t.Fatal("attendance rows missing")
	}
	// The remote's stay is under the host's lesson, with its details.
	var lessonID, hostSchool, subject, title string
	var grade int
	if err := r.st.DB.QueryRowContext(ctx, `SELECT lesson_id, host_school, subject, title, grade FROM classroom_attendance
		WHERE role='remote' AND deleted=0`).Scan(&lessonID, &hostSchool, &subject, &title, &grade); err != nil {
		t.Fatal(err)
	}
	if lessonID != ll.lesson.ID || hostSchool != ll.lesson.SchoolID || subject != "数学" || title != "分数的初步认识" || grade != 3 {
		t.Errorf("remote attendance under %q of %q: %q %q grade %d; want the host's lesson %q of %q", lessonID, hostSchool,
			subject, title, grade, ll.lesson.ID, ll.lesson.SchoolID)
	}
	l, err := hc.svc.Lesson(ctx, ll.lesson.ID)
	if err != nil || l.State != classroom.Ended {
		t.Fatalf("lesson %+v, %v", l, err)
	}
	test.Tap(h.button(i18n.T("classroom.back")))
	test.Tap(r.button(i18n.T("classroom.back")))
	h.settle()
	r.settle()
	if !h.hasButton(i18n.T("classroom.join_do")) || !r.hasButton(i18n.T("classroom.join_do")) {
		t.Fatal("back did not return to the lesson list")
	}
}

func (h *harness) hasButton(text string) bool {
	for _, o := range h.objects() {
		if b, ok := o.(*widget.Button); ok && b.Text == text && b.Visible() {
			return true
		}
	}
	return false
}

// visible reports whether canvas text or a label with text is on screen,
// inside no hidden container.
func (h *harness) visible(text string) bool {
	var walk func(o fyne.CanvasObject) bool
	walk = func(o fyne.CanvasObject) bool {
		if o == nil || !o.Visible() {
			return false
		}
		switch x := o.(type) {
		case *canvas.Text:
			return strings.Contains(x.Text, text)
		case *widget.Label:
			return strings.Contains(x.Text, text)
		case *fyne.Container:
			for _, c := range x.Objects {
				if walk(c) {
					return true
				}
			}
			return false
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				if walk(c) {
					return true
				}
			}
		}
		return false
	}
	return walk(h.w.win.Content())
}
