package ui

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"qiao/classroom"
	"qiao/classroom/live"
	"qiao/classroom/recording"
	"qiao/i18n"
	"qiao/library"
)

// TestClassroomRecordsTheLesson: the host records the lesson it starts,
// says so in the header, and once the lesson ends the list shows its
// recording, which the content store holds and which replays.
func TestClassroomRecordsTheLesson(t *testing.T) {
	h := classroomHarness(t)
	ctx := context.Background()
	c := h.w.classroom
	l, err := c.svc.Schedule(ctx, classroom.Lesson{Title: "分数的初步认识", Subject: "数学", Grade: 3, Minutes: 40, Starts: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	c.showLessons()
	h.settle()
	test.Tap(h.button(i18n.T("classroom.start")))
	until(t, "host live", func() bool { return c.live != nil && c.live.state == live.Live }, h)
	recording0 := strings.TrimSuffix(i18n.T("classroom.recording_live", ""), " ")
	until(t, "the header says it records", func() bool { c.live.update(); return h.visible(recording0) }, h)
	time.Sleep(1500 * time.Millisecond)
	test.Tap(h.button(i18n.T("classroom.next")))
	test.Tap(h.button(i18n.T("classroom.end")))
	until(t, "ended", func() bool { return h.hasButton(i18n.T("classroom.back")) && c.live.ended }, h)
	if h.visible(recording0) {
		t.Error("the header still says it records after the lesson ended")
	}

	rec, err := c.svc.RecordingOf(ctx, l.ID)
	if err != nil || rec.Hash == "" || rec.Duration < time.Second {
		t.Fatalf("the ended lesson's recording: %+v, %v", rec, err)
	}
	p, err := h.w.deps.Files.Path(rec.Hash)
	if err != nil {
		t.Fatal(err)
	}
	f, err := recording.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if f.Header.LessonID != l.ID || f.Duration != rec.Duration {
		t.Errorf("kept file: lesson %q, %v; row says %v", f.Header.LessonID, f.Duration, rec.Duration)
	}
	if sch, _, _ := h.w.deps.Schools.Current(ctx); f.Header.SchoolName != sch.Name || sch.Name == "" {
		t.Errorf("the recording names the host school %q, want %q", f.Header.SchoolName, sch.Name)
	}
	lib := library.New(h.st, h.w.deps.Files, l.SchoolID)
	p2, err := lib.Search(ctx, l.Title, library.Filter{Kind: library.Recording}, 0, 50)
	n := 0
	for _, e := range p2.Entries {
		if e.LessonID == l.ID {
			n++
			if e.Hash != rec.Hash || e.Subject != l.Subject || e.Grade != l.Grade {
				t.Errorf("the lesson's library entry: %+v", e)
			}
		}
	}
	if err != nil || n != 1 {
		t.Errorf("the library lists the lesson %d times (%v)", n, err)
	}
	if ents, _ := os.ReadDir(c.recs.Dir()); len(ents) != 0 {
		t.Errorf("left in the recordings folder: %v", ents)
	}
	test.Tap(h.button(i18n.T("classroom.back")))
	h.settle()
	line := i18n.T("classroom.recorded", elapsedClock(rec.Duration), humanSize(rec.Bytes))
	until(t, "the list shows the recording", func() bool { return h.visible(line) }, h)
}
