package ui

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"qiao/classroom"
	"qiao/classroom/live"
	"qiao/classroom/recording"
	"qiao/i18n"
	"qiao/library"
)

// The host records every lesson (录播): the recording is written under the
// data directory while live and kept in the content store, named in the
// lesson's row, when the lesson ends (classroom.Recordings).

// recordings is the section's recordings keeper; nil without a content store.
func (c *classroomState) recordings() *classroom.Recordings {
	if c.recs == nil && c.w.deps.Files != nil {
		c.recs = classroom.NewRecordings(c.svc, c.w.deps.Files)
	}
	return c.recs
}

// recoverRecordings keeps, in the background, what a crash left of the
// recordings of earlier lessons.
func (c *classroomState) recoverRecordings() {
	rs := c.recordings()
	if rs == nil {
		return
	}
	ctx := c.w.ctx
	c.w.jobs.async(func() error { _, err := rs.Recover(ctx); return err }, func(err error) {
		if err != nil {
			fyne.LogError("classroom: keep left-over recordings", err)
		}
	})
}

// startRecording starts recording lesson l; nil (logged) when it cannot:
// the lesson goes on unrecorded. It runs off the UI goroutine.
func startRecording(ctx context.Context, rs *classroom.Recordings, l classroom.Lesson) *recording.Recorder {
	if rs == nil {
		return nil
	}
	rec, err := rs.Create(ctx, l)
	if err != nil {
		fyne.LogError("classroom: record the lesson", err)
		return nil
	}
	return rec
}

// keepRecording closes rec, keeps it as lesson l's recording and lists it
// in the school's resource library (录播课). It runs off the UI goroutine,
// after the session is closed.
func keepRecording(ctx context.Context, deps Deps, rs *classroom.Recordings, rec *recording.Recorder, l classroom.Lesson) {
	if rec == nil {
		return
	}
	if err := rec.Close(); err != nil {
		fyne.LogError("classroom: finish the recording", err)
	}
	r, err := rs.Keep(ctx, l.ID)
	if err != nil {
		fyne.LogError("classroom: keep the recording", err)
		return
	}
	if r.Hash == "" {
		return
	}
	if _, err := library.New(deps.Store, deps.Files, l.SchoolID).KeepLesson(ctx, library.Lesson{ID: l.ID, Title: l.Title,
		Subject: l.Subject, Grade: l.Grade, Teacher: l.Teacher, Started: l.Started, Hash: r.Hash, Size: r.Bytes}); err != nil {
		fyne.LogError("classroom: list the recording in the library", err)
	}
}

// elapsedClock is d as m:ss or h:mm:ss.
func elapsedClock(d time.Duration) string {
	s := int(d / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// showRecording shows "● 录制中 m:ss" in l, a label of row, while the
// host's session records.
func showRecording(l *widget.Label, row *fyne.Container, ll *liveLesson) {
	on, d := false, time.Duration(0)
	if ll.sess != nil && ll.rec != nil && ll.state != live.Ended && !ll.ending {
		on, d = ll.sess.Recording()
	}
	if on {
		l.SetText(i18n.T("classroom.recording_live", elapsedClock(d)))
	}
	if on != l.Visible() {
		l.Hidden = !on
		row.Refresh() // lay the row out again with or without it
	}
}

// recordingLine is the lesson list's note that a lesson has a recording,
// with its length and size (filled in the background).
func (c *classroomState) recordingLine(l classroom.Lesson) fyne.CanvasObject {
	if l.Recording == "" {
		return nil
	}
	line := rsCut("")
	id := l.ID
	var rec classroom.Recording
	c.w.jobs.async(func() error {
		var err error
		rec, err = c.svc.RecordingOf(c.w.ctx, id)
		return err
	}, func(err error) {
		if err == nil {
			line.SetText(i18n.T("classroom.recorded", elapsedClock(rec.Duration), humanSize(rec.Bytes)))
		}
	})
	return line
}
