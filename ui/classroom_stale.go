package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/classroom"
	"qiao/i18n"
)

// checkpointEvery is how often a running lesson notes its stays' seconds.
var checkpointEvery = classroom.CheckpointEvery

// staleActions are the actions of a lesson row that says live while no
// session here runs it (the app stopped during the lesson): take it up
// again, or end it at its last known time.
func (c *classroomState) staleActions(l classroom.Lesson, reload func(), msg *widget.Label) []fyne.CanvasObject {
	if l.State != classroom.Live || (c.live != nil && c.live.lesson.ID == l.ID) {
		return nil
	}
	resume := widget.NewButtonWithIcon(i18n.T("classroom.resume"), theme.MediaPlayIcon(), func() { c.startHost(l) })
	resume.Importance = widget.HighImportance
	end := widget.NewButtonWithIcon(i18n.T("classroom.end_stale"), theme.MediaStopIcon(), func() {
		c.w.jobs.async(func() error { _, err := c.svc.EndStale(c.w.ctx, l.ID); return err }, func(err error) {
			if err != nil {
				msg.SetText(classroomErr(err))
				msg.Show()
			}
			reload()
		})
	})
	return []fyne.CanvasObject{end, resume}
}

// checkpoints notes the lesson's open stays every checkpointEvery until
// stop closes, so that a crash loses at most that much of them.
func (ll *liveLesson) checkpoints(stop chan struct{}) {
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		ll.post(func() {
			if !ll.host && !ll.joinedAt || ll.leftAt {
				return
			}
			c, id := ll.c, ll.lesson.ID
			c.w.jobs.async(func() error { return c.svc.Checkpoint(c.w.ctx, id) }, func(err error) {
				if err != nil {
					fyne.LogError("classroom: checkpoint", err)
				}
			})
		})
	}
}
