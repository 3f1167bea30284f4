package live

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"qiao/audio"
	"qiao/classroom/recording"
	"qiao/classroom/relay"
)

// recordingHost starts the host's session recording into a new file at
// path, with a snapshot every snapEvery of lesson time (0: the default).
func recordingHost(t *testing.T, ctx context.Context, r *lessonRelay, path string, freq float64, snapEvery time.Duration) (*participant, *recording.Recorder) {
	t.Helper()
	w, err := recording.Create(path, recording.Header{LessonID: "l1", Title: "分数的初步认识", Subject: "数学", Grade: 3, Started: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	rec := recording.NewRecorder(w, recording.RecorderConfig{SnapshotEvery: snapEvery})
	api, err := loopbackAPI()
	if err != nil {
		t.Fatal(err)
	}
	tone := &audio.Tone{Freq: freq, Amplitude: toneAmplitude}
	pr := newRecorder(5)
	s, err := Host(ctx, Config{URL: r.URL, Lesson: r.Code, Key: r.HostKey, Name: "实验小学 王老师", API: api,
		Device: audio.DeviceConfig{Null: true}, Source: tone.Fill, Tap: pr.tap, MinBackoff: 200 * time.Millisecond, Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	p := &participant{Session: s, rec: pr}
	t.Cleanup(p.Close)
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := p.WaitLive(wctx); err != nil {
		t.Fatalf("host not live: %v", err)
	}
	return p, rec
}

// boardView is what a replay and the host must agree on.
type boardView struct {
	Page    int
	Strokes []string // ids on the page, sorted
	Quiz    string
	Counts  []int
	Chat    []string
	Mic     string
}

func hostBoard(v relay.View) boardView {
	b := boardView{Page: v.Page, Mic: v.Mic}
	for id, pg := range v.Strokes {
		if pg == v.Page {
			b.Strokes = append(b.Strokes, id)
		}
	}
	if v.Quiz != nil {
		b.Quiz, b.Counts = v.Quiz.ID, v.Quiz.Counts
	}
	for _, c := range v.Chat {
		b.Chat = append(b.Chat, c.From+": "+c.Text)
	}
	slices.Sort(b.Strokes)
	return b
}

func replayBoard(v recording.View) boardView {
	b := boardView{Page: v.Page, Mic: v.Mic}
	for _, k := range v.Strokes {
		b.Strokes = append(b.Strokes, k.ID)
	}
	if v.Quiz != nil {
		b.Quiz, b.Counts = v.Quiz.ID, v.Quiz.Counts
	}
	for _, c := range v.Chat {
		b.Chat = append(b.Chat, c.From+": "+c.Text)
	}
	slices.Sort(b.Strokes)
	return b
}

func sameBoard(a, b boardView) bool {
	return a.Page == b.Page && slices.Equal(a.Strokes, b.Strokes) && a.Quiz == b.Quiz &&
		slices.Equal(a.Counts, b.Counts) && slices.Equal(a.Chat, b.Chat) && a.Mic == b.Mic
}

// TestRecordLiveLesson records a real live lesson at the host (host and two
// remote classrooms, real PeerConnections, null audio devices) and replays
// the file: the board, quiz and chat end as the host saw them, a seek to the
// middle shows that moment, and the voice is the host's tone, then, after
// the mic is handed over, remote 1's.
func TestRecordLiveLesson(t *testing.T) {
	ctx := context.Background()
	r := startRelay(t)
	path := filepath.Join(t.TempDir(), "lesson.qrec")
	host, rec := recordingHost(t, ctx, r, path, 440, 2*time.Second)
	r1 := mustSession(t, ctx, false, r, "草原小学三年级", 700)
	r2 := mustSession(t, ctx, false, r, "牧区小学二年级", 1000)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	// The host speaks; it shows a slide, turns a page, draws, undoes, asks a quiz; chat.
	time.Sleep(3 * time.Second)
	var pages [][]byte
	for i := range 4 {
		pages = append(pages, []byte(fmt.Sprintf("\x89PNG slide %d", i+1)))
	}
	deck, err := host.PutDeck(pages)
	must(err)
	slide, hash := pages[2], deck[2] // the lesson ends on page 3: pages count from 1
	eventually(t, 10*time.Second, "the host sees its deck", func() bool { return len(host.View().Deck) == 4 })
	must(host.TurnPage(2))
	must(host.Stroke(relay.Stroke{ID: "s1", Page: 2, Color: "#e53935", Width: 25, Points: []int{100, 200, 300, 400}}))
	must(host.Stroke(relay.Stroke{ID: "s2", Page: 2, Color: "#1e88e5", Width: 25, Points: []int{500, 600, 700, 800}}))
	must(host.Undo("s2"))
	must(host.StartQuiz(relay.Quiz{ID: "q1", Kind: relay.QuizSingle, Options: 4}))
	for _, p := range []*participant{r1, r2} {
		eventually(t, 5*time.Second, "remote sees the quiz", func() bool { v := p.View(); return v.Quiz != nil && v.Quiz.ID == "q1" })
	}
	must(r1.Answer("q1", 1))
	must(r2.Answer("q1", 2))
	must(r1.Chat("老师好"))
	eventually(t, 5*time.Second, "host sees the tally and the chat", func() bool {
		v := host.View()
		return v.Quiz != nil && slices.Equal(v.Quiz.Counts, []int{0, 1, 1, 0}) && len(v.Chat) == 1 && len(v.Strokes) == 1
	})
	// The view shows an event a moment before the recorder stamps it: the
	// middle is taken in the quiet second that follows.
	time.Sleep(500 * time.Millisecond)
	_, mid := host.Recording()
	midBoard := hostBoard(host.View())
	time.Sleep(500 * time.Millisecond)

	// The host's link drops; a chat sent meanwhile reaches it only in the
	// snapshot when it is back.
	host.Drop()
	must(r2.Chat("我们听得见"))
	eventually(t, 15*time.Second, "host reconnects", func() bool { return host.Reconnects() == 1 && host.State() == Live })
	must(host.TurnPage(3))
	must(host.Stroke(relay.Stroke{ID: "s3", Page: 3, Color: "#e53935", Width: 25, Points: []int{10, 20, 30, 40}}))
	time.Sleep(2 * time.Second)

	// The mic goes to remote 1 (700 Hz).
	_, handOver := host.Recording()
	must(host.GrantMic(r1.ID()))
	eventually(t, 5*time.Second, "remote 1 holds the mic", r1.HoldsMic)
	time.Sleep(3 * time.Second)
	final := hostBoard(host.View())
	host.Close()
	must(host.RecordErr())
	must(rec.Close())
	t.Logf("host's final board: %+v", final)

	p, err := recording.OpenPlayer(path)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	t.Logf("recording: %v", p.Duration())

	// Seek to the middle: the state at that moment.
	must(p.Seek(mid))
	if got := replayBoard(p.View()); !sameBoard(got, midBoard) {
		t.Errorf("seek to %v: %+v, want %+v", mid, got, midBoard)
	}

	// Play through: the host's tone, then remote 1's; the board ends as the host's.
	must(p.Seek(0))
	must(p.Play())
	var pcm []int16
	frame := make([]int16, audio.FrameSamples)
	for !p.View().Ended {
		p.Fill(frame)
		pcm = append(pcm, frame...)
	}
	if got := replayBoard(p.View()); !sameBoard(got, final) {
		t.Errorf("replay ends with %+v, want %+v", got, final)
	}
	if v := p.View(); v.SlideHash != hash || string(v.Slide) != string(slide) {
		t.Errorf("replay shows slide %q (%d bytes), want %s", v.SlideHash, len(v.Slide), hash)
	}
	at := func(d time.Duration) int { return min(len(pcm), int(d.Seconds()*audio.SampleRate)) }
	checkHeard(t, "replay, host speaking", analyse(pcm[at(500*time.Millisecond):at(3*time.Second)], toneLevel), 440, toneLevel)
	checkHeard(t, "replay, remote 1 holding the mic", analyse(pcm[at(handOver+time.Second):], toneLevel), 700, toneLevel)
	if l := audio.ToneLevel(pcm[at(handOver+time.Second):], 440); audio.DBFS(l) > -40 {
		t.Errorf("the host's tone is in the recording at %.1f dBFS while remote 1 holds the mic", audio.DBFS(l))
	}
}

// TestRecordSlideSeam: a slide handed to recordSlide is in the file, once.
func TestRecordSlideSeam(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.qrec")
	w, err := recording.Create(path, recording.Header{LessonID: "l"})
	if err != nil {
		t.Fatal(err)
	}
	rec := recording.NewRecorder(w, recording.RecorderConfig{})
	s := &Session{rec: newRecTap(rec)}
	data := []byte("a slide image")
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	s.recordSlide(hash, data)
	s.recordSlide(hash, data)
	s.recordSlide("not-a-hash", data) // refused; recording stops with the error
	if s.RecordErr() == nil {
		t.Error("a bad slide hash was taken")
	}
	if err := rec.Close(); err == nil {
		t.Error("the recorder forgot the error")
	}
	f, err := recording.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, err := f.Slide(hash); err != nil || string(got) != string(data) {
		t.Fatalf("slide from the file: %q, %v", got, err)
	}
	n := 0
	rd, err := f.From(0)
	if err != nil {
		t.Fatal(err)
	}
	for {
		r, err := rd.Next()
		if err != nil {
			break
		}
		if r.Kind == recording.Slide {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d slide records, want 1", n)
	}
}

// TestRemoteCannotRecord: a remote classroom's session refuses a Recorder.
func TestRemoteCannotRecord(t *testing.T) {
	_, err := Join(context.Background(), Config{URL: "ws://x", Lesson: "1", Name: "x", Recorder: &recording.Recorder{}})
	if err != errRemoteRecorder {
		t.Fatalf("got %v", err)
	}
}
