package ui

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"qiao/audio"
	"qiao/classroom"
	"qiao/classroom/recording"
	"qiao/classroom/relay"
	"qiao/i18n"
)

// The recorded lesson of these tests: a 440 Hz voice for 12 s, a deck of
// one slide; ink on page 1 at 0:01, a turn to page 2 at 0:04, ink there at
// 0:05, a chat message at 0:06, back to page 1 at 0:08.
const (
	replayLength = 12 * time.Second
	replayAmp    = 0.3
	replayChat   = "老师，第二页的题目我们做完了。"
)

// redStroke (page 1, y = 30%) and blueStroke (page 2, y = 70%) are the ink.
var (
	redStroke  = relay.Stroke{ID: "red", Page: 1, Color: "#d32f2f", Width: 80, Points: []int{1000, 3000, 9000, 3000}}
	blueStroke = relay.Stroke{ID: "blue", Page: 2, Color: "#1e5bd8", Width: 80, Points: []int{1000, 7000, 9000, 7000}}
)

// replaySlide is the deck's slide: a pale yellow 4:3 PNG.
func replaySlide(t *testing.T) ([]byte, string) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = 0xff, 0xf3, 0xb0, 0xff
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return buf.Bytes(), hex.EncodeToString(sum[:])
}

// writeReplayRecording records the test lesson into path.
func writeReplayRecording(t *testing.T, path string, h recording.Header) {
	t.Helper()
	w, err := recording.Create(path, h)
	if err != nil {
		t.Fatal(err)
	}
	rec := recording.NewRecorder(w, recording.RecorderConfig{SnapshotEvery: 3 * time.Second})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	slide, hash := replaySlide(t)
	must(rec.Slide(0, hash, slide))
	must(rec.Event(0, relay.Event{Type: relay.EvDeck, Deck: []string{hash}}))
	enc, err := audio.NewEncoder(audio.EncoderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	tone := audio.Tone{Freq: 440, Amplitude: replayAmp}
	pcm := make([]int16, audio.FrameSamples)
	pkt := make([]byte, audio.MaxPacketSize)
	page := func(n int) relay.Event { return relay.Event{Type: relay.EvPage, Page: &n} }
	seq := uint64(0)
	for at := time.Duration(0); at < replayLength; at += audio.FrameDuration {
		tone.Fill(pcm)
		n, err := enc.Encode(pcm, pkt)
		must(err)
		must(rec.Voice(at, pkt[:n]))
		var e *relay.Event
		switch at {
		case time.Second:
			e = &relay.Event{Type: relay.EvStroke, Stroke: &redStroke}
		case 4 * time.Second:
			p := page(2)
			e = &p
		case 5 * time.Second:
			e = &relay.Event{Type: relay.EvStroke, Stroke: &blueStroke}
		case 6 * time.Second:
			e = &relay.Event{Type: relay.EvChat, From: "p2", Name: "草原小学", Text: replayChat}
		case 8 * time.Second:
			p := page(1)
			e = &p
		}
		if e != nil {
			seq++
			e.Seq = seq
			must(rec.Event(at, *e))
		}
	}
	must(rec.Close())
}

// replayHeader is the test lesson's header.
func replayHeader(school string) recording.Header {
	return recording.Header{LessonID: "3f1c2a4e-0000-4000-8000-000000000001", Title: "分数的初步认识", Subject: "数学",
		Grade: 3, School: school, Teacher: "王老师", Started: time.Date(2026, 11, 20, 9, 0, 0, 0, time.Local)}
}

// tapFrames collects what the replay sends to the loudspeaker.
type tapFrames struct {
	mu  sync.Mutex
	pcm []int16
}

func (f *tapFrames) tap(frame []int16) {
	f.mu.Lock()
	f.pcm = append(f.pcm, frame...)
	f.mu.Unlock()
}

func (f *tapFrames) since(n int) []int16 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int16(nil), f.pcm[min(n, len(f.pcm)):]...)
}

func (f *tapFrames) len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.pcm)
}

// listenReplay taps the replay's loudspeaker for the test.
func listenReplay(t *testing.T) *tapFrames {
	f := &tapFrames{}
	replayTap = f.tap
	t.Cleanup(func() { replayTap = nil })
	return f
}

// openTestReplay opens path in h's replay screen.
func openTestReplay(t *testing.T, h *harness, path string) *replay {
	t.Helper()
	c := h.w.classroom
	c.openReplay(path, widget.NewLabel(""))
	until(t, "the replay screen", func() bool { return c.rp != nil }, h)
	return c.rp
}

// boardInk paints r's board and returns its ink at page coordinates x,y.
func boardInk(h *harness, r *replay, x, y int) (uint8, uint8, uint8, uint8) {
	h.w.win.Canvas().Capture()
	return pixelAt(r.board, x, y)
}

// TestReplayPlaysPausesAndSeeks: the recording plays (the position moves
// and the loudspeaker gets the tone), pauses (the position stays), and a
// seek or a skip shows that moment's page, slide, ink and chat.
func TestReplayPlaysPausesAndSeeks(t *testing.T) {
	h := classroomHarness(t)
	h.w.win.Resize(fyne.NewSize(1100, 700))
	heard := listenReplay(t)
	path := filepath.Join(t.TempDir(), "lesson"+classroom.RecordingExt)
	writeReplayRecording(t, path, replayHeader("school-x"))
	r := openTestReplay(t, h, path)

	if !h.visible("分数的初步认识") || !h.visible("王老师") || !h.visible(r.clockText(0)) {
		t.Fatal("the header or the clock is missing")
	}
	// At 0:00 nothing has happened yet: a clean page 1.
	if r.view.Playing || r.view.Position != 0 || r.board.page != 1 || r.board.hash != "" {
		t.Fatalf("opened: playing %v at %v, page %d slide %q", r.view.Playing, r.view.Position, r.board.page, r.board.hash)
	}

	// 播放: the clock runs and the voice plays.
	from := heard.len()
	test.Tap(h.button(i18n.T("classroom.replay.play")))
	until(t, "playing to 0:02", func() bool { return r.view.Position >= 2*time.Second }, h)
	if !h.hasButton(i18n.T("classroom.replay.pause")) {
		t.Fatal("playing, the toggle does not say 暂停")
	}
	if !h.visible(r.clockText(r.view.Position)) {
		t.Error("the clock does not show the position")
	}
	played := heard.since(from)
	if len(played) < audio.SampleRate {
		t.Fatalf("the loudspeaker got %d samples in 2 s", len(played))
	}
	level := audio.ToneLevel(played[len(played)-audio.SampleRate/2:], 440)
	if audio.DBFS(level) < audio.DBFS(replayAmp)-3 {
		t.Fatalf("the loudspeaker played the tone at %.1f dBFS, recorded at %.1f", audio.DBFS(level), audio.DBFS(replayAmp))
	}
	if rr, _, _, a := boardInk(h, r, 5000, 3000); a == 0 || rr < 0x80 {
		t.Fatal("the red ink of 0:01 is not on the board")
	}
	if r.board.hash == "" || r.board.slide() == nil {
		t.Fatal("the deck's slide is not on the board")
	}

	// 暂停: the position stays however long the device runs.
	test.Tap(h.button(i18n.T("classroom.replay.pause")))
	until(t, "paused", func() bool { return !r.view.Playing && h.hasButton(i18n.T("classroom.replay.play")) }, h)
	if r.view.Ended {
		t.Fatal("暂停 did not pause: the replay played to its end")
	}
	at := r.p.Position()
	n := heard.len()
	until(t, "the device runs on", func() bool { return heard.len() > n+audio.SampleRate/4 }, h)
	if r.p.Position() != at {
		t.Fatalf("paused at %v, now at %v", at, r.p.Position())
	}
	if audio.RMS(heard.since(n)) != 0 {
		t.Fatal("sound while paused")
	}

	// Seek with the slider to 0:07: page 2 with its blue ink, the chat.
	r.slider.SetValue(7)
	until(t, "seeked to 0:07", func() bool { return r.view.Position == 7*time.Second }, h)
	if r.board.page != 2 || r.board.hash != "" {
		t.Fatalf("at 0:07: page %d slide %q", r.board.page, r.board.hash)
	}
	if _, _, b, a := boardInk(h, r, 5000, 7000); a == 0 || b < 0x80 {
		t.Fatal("the blue ink of page 2 is not on the board")
	}
	if _, _, _, a := boardInk(h, r, 5000, 3000); a != 0 {
		t.Fatal("page 1's ink shows on page 2")
	}
	if !h.visible(replayChat) {
		t.Fatal("the chat of 0:06 is not shown at 0:07")
	}
	if r.view.Playing {
		t.Fatal("seeking while paused started playing")
	}

	// 后退 10 秒: to the start — page 1, no ink yet, no chat.
	test.Tap(h.button(i18n.T("classroom.replay.back10")))
	until(t, "back to 0:00", func() bool { return r.view.Position == 0 }, h)
	if r.board.page != 1 || len(r.board.strokes) != 0 || h.visible(replayChat) {
		t.Fatalf("at 0:00: page %d, %d strokes, chat shown %v", r.board.page, len(r.board.strokes), h.visible(replayChat))
	}
	// 前进 10 秒: page 1 again (turned back at 0:08) with the red ink.
	test.Tap(h.button(i18n.T("classroom.replay.fwd10")))
	until(t, "forward to 0:10", func() bool { return r.view.Position == 10*time.Second }, h)
	if rr, _, _, a := boardInk(h, r, 5000, 3000); r.board.page != 1 || r.board.slide() == nil || a == 0 || rr < 0x80 {
		t.Fatalf("at 0:10: page %d without its slide or red ink", r.board.page)
	}

	// Played to the end, it stops; 播放 starts again from the beginning.
	test.Tap(h.button(i18n.T("classroom.replay.play")))
	until(t, "the end", func() bool { return r.view.Ended && !r.view.Playing }, h)
	test.Tap(h.button(i18n.T("classroom.replay.play")))
	until(t, "playing from the start", func() bool { return r.view.Playing && r.view.Position < 5*time.Second }, h)

	// 返回: the lessons again; the loudspeaker and the file are closed.
	test.Tap(h.button(i18n.T("classroom.replay.back")))
	h.settle()
	if h.w.classroom.rp != nil || !h.visible(i18n.T("classroom.week")) {
		t.Fatal("返回 did not go back to the lessons")
	}
	until(t, "audio and file closed", func() bool {
		select {
		case <-r.done:
			return true
		default:
			return false
		}
	}, h)
	n = heard.len()
	time.Sleep(200 * time.Millisecond) // a running device would call 20 times
	if heard.len() != n || r.p.Playing() {
		t.Fatal("the loudspeaker goes on after 返回")
	}
}

// TestReplayRefusesGarbageAndPlaysTornFile: a file that is not a recording
// gets the translated message and changes nothing; a recording cut inside
// a record (the recorder crashed) replays up to its last whole record.
func TestReplayRefusesGarbageAndPlaysTornFile(t *testing.T) {
	h := classroomHarness(t)
	c := h.w.classroom
	dir := t.TempDir()
	junk := filepath.Join(dir, "notes.qrec")
	if err := os.WriteFile(junk, []byte("a shopping list, not a lesson\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	msg := widget.NewLabel("")
	c.openReplay(junk, msg)
	h.settle()
	if c.rp != nil || msg.Text != i18n.T("classroom.replay.err.not_recording") || !msg.Visible() {
		t.Fatalf("a garbage file: replay %v, message %q", c.rp != nil, msg.Text)
	}
	if !h.visible(i18n.T("classroom.week")) {
		t.Fatal("the lessons are gone after a refused file")
	}

	whole := filepath.Join(dir, "whole.qrec")
	writeReplayRecording(t, whole, replayHeader("school-x"))
	data, err := os.ReadFile(whole)
	if err != nil {
		t.Fatal(err)
	}
	torn := filepath.Join(dir, "torn.qrec")
	if err := os.WriteFile(torn, data[:len(data)*2/3-7], 0o644); err != nil {
		t.Fatal(err)
	}
	r := openTestReplay(t, h, torn)
	if d := r.p.Duration(); d <= 4*time.Second || d >= replayLength {
		t.Fatalf("the torn file's length is %v", d)
	}
	test.Tap(h.button(i18n.T("classroom.replay.fwd10")))
	until(t, "at the torn end", func() bool { return r.view.Position == r.p.Duration().Truncate(audio.FrameDuration) }, h)
	if r.board.page != 2 || len(r.board.strokes) != 1 {
		t.Fatalf("at the torn end: page %d, %d strokes", r.board.page, len(r.board.strokes))
	}
	if r.note.Visible() {
		t.Fatalf("a torn end is not damage, but the screen says %q", r.note.Text)
	}
}

// TestReplayFromLessonRow: an ended lesson with a recording has 回放 in
// its row, which replays the recording from the content store.
func TestReplayFromLessonRow(t *testing.T) {
	h := classroomHarness(t)
	ctx := context.Background()
	c := h.w.classroom
	l, err := c.svc.Schedule(ctx, classroom.Lesson{Title: "分数的初步认识", Subject: "数学", Grade: 3, Minutes: 40, Starts: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.svc.Start(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	rs := c.recordings()
	if err := os.MkdirAll(rs.Dir(), 0o755); err != nil {
		t.Fatal(err)
	}
	sch, _, _ := h.w.deps.Schools.Current(ctx)
	hd := replayHeader(sch.ID)
	hd.LessonID, hd.Title = l.ID, "认识钟表"
	writeReplayRecording(t, filepath.Join(rs.Dir(), l.ID+classroom.RecordingExt), hd)
	if _, err := c.svc.End(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Keep(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	c.showLessons()
	h.settle()
	if n := h.countButtons(i18n.T("classroom.replay.open")); n != 1 {
		t.Fatalf("%d 回放 buttons for one recorded lesson", n)
	}
	test.Tap(h.button(i18n.T("classroom.replay.open")))
	until(t, "the replay screen", func() bool { return c.rp != nil }, h)
	if !h.visible("认识钟表") || !h.visible(sch.Name) {
		t.Fatal("the replay screen does not show the lesson's title and the host school's name")
	}
	// Another section and back: the replay is still there.
	h.w.shell.show("research")
	h.settle()
	h.w.shell.show("classroom")
	h.settle()
	if c.rp == nil || !h.visible("认识钟表") {
		t.Fatal("the replay is gone after visiting another section")
	}
}

// TestReplayScreenshot writes the replay screen in Chinese into $QIAO_SHOTS:
//
//	QIAO_SHOTS=$PWD/docs/screenshots go test -run TestReplayScreenshot ./ui/
func TestReplayScreenshot(t *testing.T) {
	dir := os.Getenv("QIAO_SHOTS")
	if dir == "" {
		t.Skip("QIAO_SHOTS not set")
	}
	h := classroomHarness(t)
	ctx := context.Background()
	sch, _, _ := h.w.deps.Schools.Current(ctx)
	path := filepath.Join(t.TempDir(), "lesson"+classroom.RecordingExt)
	writeReplayRecording(t, path, replayHeader(sch.ID))
	r := openTestReplay(t, h, path)
	r.slider.SetValue(9)
	until(t, "at 0:09", func() bool { return r.view.Position == 9*time.Second }, h)
	h.w.win.Resize(fyne.NewSize(1000, 600))
	h.w.win.Resize(fyne.NewSize(1100, 700))
	f, err := os.Create(filepath.Join(dir, "replay-zh.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, h.w.win.Canvas().Capture()); err != nil {
		t.Fatal(err)
	}
}

// TestReplayStopsWhenWindowCloses: closing the window stops the voice and
// closes the file before the app goes on closing.
func TestReplayStopsWhenWindowCloses(t *testing.T) {
	h := classroomHarness(t)
	heard := listenReplay(t)
	path := filepath.Join(t.TempDir(), "lesson"+classroom.RecordingExt)
	writeReplayRecording(t, path, replayHeader("school-x"))
	r := openTestReplay(t, h, path)
	test.Tap(h.button(i18n.T("classroom.replay.play")))
	until(t, "playing", func() bool { return r.view.Position > time.Second }, h)
	h.w.classroom.shutdown()
	select {
	case <-r.done:
	default:
		t.Fatal("the window's shutdown left the loudspeaker or the file open")
	}
	n := heard.len()
	time.Sleep(200 * time.Millisecond) // a running device would call 20 times
	if heard.len() != n || h.w.classroom.rp != nil {
		t.Fatal("the replay goes on after the window closed")
	}
}
