package ui

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/audio"
	"qiao/classroom"
	"qiao/classroom/recording"
	"qiao/classroom/relay"
	"qiao/i18n"
)

// The replay screen (录播回放) plays a lesson recording offline: the board
// follows the recording, the voice goes to the loudspeaker, and the
// assistant teacher in front of the pupils pauses, seeks and resumes.

// Replay timing.
const (
	replaySkip = 10 * time.Second       // 后退/前进 10 秒
	replayTick = 250 * time.Millisecond // how often the clock is redrawn while playing
)

// replayTap, when set (tests), sees every frame the replay sends to the
// loudspeaker. It runs on the device's thread.
var replayTap func(frame []int16)

// replay is an open replay: the player, its loudspeaker and the screen.
// A goroutine (follow) runs the player commands in order and wakes the
// screen on the player's Changed channel, and on a clock tick while
// playing; the screen's widgets are used on the UI goroutine only.
type replay struct {
	c       *classroomState
	p       *recording.Player
	pb      *audio.Playback
	noAudio bool // no loudspeaker: the board replays, silently

	cmds chan func() error
	stop chan struct{}
	done chan struct{} // closed once the loudspeaker and the file are closed
	once sync.Once

	mu      sync.Mutex
	latest  recording.View // the newest view, for the UI goroutine
	posted  bool           // a show is queued
	lastErr error          // the last command's error
	readErr error          // why the player stopped before the file's end

	// Widgets (UI goroutine).
	object   fyne.CanvasObject
	board    *board
	chat     *chatPanel
	view     recording.View
	play     *widget.Button
	slider   *widget.Slider
	clock    *widget.Label
	note     *widget.Label
	setting  bool // the slider is being set from the player, not dragged
	dragging bool
}

// openReplay opens the recording at path off the UI goroutine and shows it;
// msg says why it cannot.
func (c *classroomState) openReplay(path string, msg *widget.Label) {
	msg.SetText(i18n.T("classroom.replay.opening"))
	msg.Show()
	c.replayPath(path, func(err error) {
		if err != nil {
			msg.SetText(replayErrText(err))
			return
		}
		msg.Hide()
	})
}

// replayPath opens the recording at path off the UI goroutine and shows it
// in the section; done gets the outcome on the UI goroutine (the library
// opens recorded lessons through it).
func (c *classroomState) replayPath(path string, done func(error)) {
	var r *replay
	c.w.jobs.async(func() error {
		var err error
		r, err = startReplay(c, path)
		return err
	}, func(err error) {
		done(err)
		if err != nil {
			return
		}
		if c.rp != nil || c.live != nil { // something else took the screen meanwhile
			r.close()
			return
		}
		c.rp = r
		c.set(r.screen())
		r.show(r.p.View())
		go r.follow()
	})
}

// openRecordingOf replays lesson l's recording from the content store.
func (c *classroomState) openRecordingOf(l classroom.Lesson, msg *widget.Label) {
	if c.w.deps.Files == nil {
		return
	}
	path, err := c.w.deps.Files.Path(l.Recording)
	if err != nil {
		msg.SetText(i18n.T("classroom.replay.err.missing"))
		msg.Show()
		return
	}
	c.openReplay(path, msg)
}

// chooseRecording asks for a recording file (from a USB stick) and replays it.
func (c *classroomState) chooseRecording(msg *widget.Label) {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil || rc == nil {
			return
		}
		u := rc.URI()
		rc.Close()
		if u.Scheme() != "file" {
			msg.SetText(i18n.T("classroom.replay.err.not_local"))
			msg.Show()
			return
		}
		c.openReplay(u.Path(), msg)
	}, c.w.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{classroom.RecordingExt}))
	d.Resize(dialogSize(c.w.win))
	d.Show()
}

// startReplay opens the player and its loudspeaker, falling back to
// miniaudio's null backend (the board replays, silently) when the PC has
// none. It runs off the UI goroutine.
func startReplay(c *classroomState, path string) (*replay, error) {
	p, err := recording.OpenPlayer(path)
	if err != nil {
		return nil, err
	}
	r := &replay{c: c, p: p, cmds: make(chan func() error, 16), stop: make(chan struct{}), done: make(chan struct{})}
	dev := audio.DeviceConfig{}
	if classroomAudio != nil {
		dev = classroomAudio.Device
	}
	cfg := audio.PlaybackConfig{DeviceConfig: dev, Source: p.Fill, Tap: replayTap}
	r.pb, err = audio.OpenPlayback(cfg)
	if err != nil && !dev.Null {
		cfg.DeviceConfig = audio.DeviceConfig{Null: true}
		r.pb, err = audio.OpenPlayback(cfg)
		r.noAudio = err == nil
	}
	if err != nil {
		p.Close()
		return nil, err
	}
	return r, nil
}

// replayErrText says why a recording cannot be replayed.
func replayErrText(err error) string {
	if errors.Is(err, recording.ErrNotRecording) {
		return i18n.T("classroom.replay.err.not_recording")
	}
	return i18n.T("classroom.replay.err.open", err)
}

// follow runs the commands and keeps the screen up with the player until
// close; then it closes the loudspeaker and the file. Its own goroutine.
func (r *replay) follow() {
	defer func() {
		r.pb.Close() // the device thread stops calling Fill
		r.p.Close()
		close(r.done)
	}()
	tick := time.NewTicker(replayTick)
	defer tick.Stop()
	for {
		var clock <-chan time.Time
		if r.p.Playing() {
			clock = tick.C
		}
		select {
		case <-r.stop:
			return
		case fn := <-r.cmds:
			err := fn()
			r.mu.Lock()
			r.lastErr = err
			r.mu.Unlock()
		case <-r.p.Changed():
		case <-clock:
		}
		r.mu.Lock()
		r.readErr = r.p.Err()
		r.mu.Unlock()
		r.post(r.p.View())
	}
}

// post hands v to the UI goroutine; views that come while one waits replace it.
func (r *replay) post(v recording.View) {
	r.mu.Lock()
	r.latest = v
	queue := !r.posted
	r.posted = true
	r.mu.Unlock()
	if queue {
		r.c.w.jobs.do(func() {
			r.mu.Lock()
			v := r.latest
			r.posted = false
			r.mu.Unlock()
			if r.c.rp == r {
				r.show(v)
			}
		})
	}
}

// command runs fn on the player, in order, off the UI goroutine.
func (r *replay) command(fn func() error) {
	select {
	case r.cmds <- fn:
	default: // taps faster than the player follows: this one is dropped
	}
}

// close stops the replay; done is closed once audio and file are.
func (r *replay) close() {
	r.once.Do(func() {
		close(r.stop)
		if r.object == nil { // never shown: follow did not start
			go func() {
				r.pb.Close()
				r.p.Close()
				close(r.done)
			}()
		}
	})
}

// closeReplay is 返回: it stops the replay (audio and file close off the UI
// goroutine) and shows the lessons.
func (c *classroomState) closeReplay() {
	if c.rp == nil {
		return
	}
	c.rp.close()
	c.rp = nil
	c.showLessons()
}

// stopReplay stops the replay as the window closes, waiting until audio
// and file are closed.
func (c *classroomState) stopReplay() {
	if r := c.rp; r != nil {
		c.rp = nil
		r.close()
		<-r.done
	}
}

// screen builds the replay screen: header, board, chat and the controls.
func (r *replay) screen() fyne.CanvasObject {
	h := r.p.Header()
	head := rsHeading(i18n.T("classroom.replay.heading", h.Subject, gradeName(h.Grade), h.Title), theme.SizeNameSubHeadingText)
	school := h.SchoolName
	if sch, ok, _ := r.c.w.deps.Schools.Current(r.c.w.ctx); ok && sch.ID == h.School {
		school = sch.Name
	}
	if school == "" {
		school = h.School
	}
	about := rsWrapped(strings.Join([]string{i18n.T("classroom.replay.teacher", h.Teacher),
		i18n.T("classroom.replay.school", school),
		i18n.T("classroom.replay.held", h.Started.Local().Format("2006-01-02 15:04")),
		i18n.T("classroom.replay.length", elapsedClock(r.p.Duration()))}, "\n"))
	r.note = rsWrapped("")
	r.note.Importance = widget.WarningImportance
	r.note.Hide()
	back := widget.NewButtonWithIcon(i18n.T("classroom.replay.back"), theme.NavigateBackIcon(), r.c.closeReplay)
	top := container.NewBorder(nil, nil, widget.NewIcon(theme.MediaVideoIcon()), container.NewCenter(back), head)

	r.board = newBoard(func(hash string) []byte {
		if hash == r.view.SlideHash {
			return r.view.Slide
		}
		return nil
	})
	r.chat = newChatPanel(nil)

	r.play = widget.NewButtonWithIcon(i18n.T("classroom.replay.play"), theme.MediaPlayIcon(), r.toggle)
	r.play.Importance = widget.HighImportance
	back10 := widget.NewButtonWithIcon(i18n.T("classroom.replay.back10"), theme.MediaFastRewindIcon(), func() { r.skip(-replaySkip) })
	fwd10 := widget.NewButtonWithIcon(i18n.T("classroom.replay.fwd10"), theme.MediaFastForwardIcon(), func() { r.skip(replaySkip) })
	r.slider = widget.NewSlider(0, max(r.p.Duration().Seconds(), 1))
	r.slider.Step = 1
	r.slider.OnChanged = func(s float64) {
		if !r.setting {
			r.dragging = true
			r.clock.SetText(r.clockText(time.Duration(s * float64(time.Second))))
		}
	}
	r.slider.OnChangeEnded = func(s float64) {
		if r.setting {
			return
		}
		r.dragging = false
		at := time.Duration(s * float64(time.Second))
		r.command(func() error { return r.p.Seek(at) })
	}
	r.clock = widget.NewLabel(r.clockText(0))
	r.clock.TextStyle = fyne.TextStyle{Bold: true, Monospace: true}
	controls := container.NewBorder(nil, nil,
		container.NewHBox(rsTall(r.play), back10, fwd10), r.clock, r.slider)

	side := sidePanel(r.chat, rsCard(i18n.T("classroom.replay.lesson"), about))
	body := container.NewBorder(nil, nil, nil, side, r.board)
	r.object = container.NewBorder(container.NewVBox(top, r.note), rsCard(i18n.T("classroom.replay.title"), controls), nil, nil, body)
	return r.object
}

// clockText is "m:ss / m:ss": the position and the length.
func (r *replay) clockText(at time.Duration) string {
	return fmt.Sprintf("%s / %s", elapsedClock(at), elapsedClock(r.p.Duration()))
}

// toggle is 播放/暂停: play (again from the start once ended), or pause.
func (r *replay) toggle() {
	if r.view.Playing {
		r.command(func() error { r.p.Pause(); return nil })
	} else {
		r.command(r.p.Play)
	}
}

// skip moves d from the position (back when negative).
func (r *replay) skip(d time.Duration) {
	r.command(func() error { return r.p.Seek(r.p.Position() + d) })
}

// show brings the screen to view v (UI goroutine).
func (r *replay) show(v recording.View) {
	r.view = v
	r.board.show(v.Page, v.SlideHash, v.Strokes)
	r.chat.show(relay.View{Chat: v.Chat}, nil)
	if v.Playing {
		r.play.SetText(i18n.T("classroom.replay.pause"))
		r.play.SetIcon(theme.MediaPauseIcon())
	} else {
		r.play.SetText(i18n.T("classroom.replay.play"))
		r.play.SetIcon(theme.MediaPlayIcon())
	}
	if !r.dragging {
		r.setting = true
		r.slider.SetValue(v.Position.Seconds())
		r.setting = false
		r.clock.SetText(r.clockText(v.Position))
	}
	r.mu.Lock()
	cmdErr, readErr := r.lastErr, r.readErr
	r.mu.Unlock()
	var notes []string
	if r.noAudio {
		notes = append(notes, i18n.T("classroom.replay.no_audio"))
	}
	if readErr != nil {
		notes = append(notes, i18n.T("classroom.replay.damaged", elapsedClock(v.Position)))
	}
	if cmdErr != nil {
		notes = append(notes, replayErrText(cmdErr))
	}
	if len(notes) > 0 {
		r.note.SetText(strings.Join(notes, "\n"))
		r.note.Show()
	} else {
		r.note.Hide()
	}
}
