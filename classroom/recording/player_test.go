package recording

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"qiao/audio"
	"qiao/classroom/relay"
)

const toneAmp = 0.3

func ip(i int) *int { return &i }

func hashOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// synthLesson records a lesson of d through a Recorder: a 440 Hz tone as
// the voice (Opus, 20 ms frames), two slides and a deck, page turns (page 1
// at 1:00, page 0 at 1:40), a stroke every 2 s on the page shown, an undo,
// a clear of page 1 at 1:35, and a quiz from 1:20 to 1:50.
func synthLesson(t testing.TB, path string, d time.Duration, slides [][]byte) {
	t.Helper()
	w, err := Create(path, Header{LessonID: "l1", Title: "分数的初步认识", Subject: "数学", Grade: 3, Started: time.Unix(1_790_000_000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder(w, RecorderConfig{})
	enc, err := audio.NewEncoder(audio.EncoderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	tone := audio.Tone{Freq: 440, Amplitude: toneAmp}
	pcm := make([]int16, audio.FrameSamples)
	pkt := make([]byte, audio.MaxPacketSize)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var deck []string
	for _, s := range slides {
		h := hashOf(s)
		must(rec.Slide(0, h, s))
		deck = append(deck, h)
	}
	must(rec.Event(0, relay.Event{Type: relay.EvDeck, Deck: deck}))
	// Pages count from 1; the lesson starts at page 0, which shows page 1.
	must(rec.Event(0, relay.Event{Type: relay.EvPage, Page: ip(0)}))
	page, n := 1, 0
	for at := time.Duration(0); at < d; at += audio.FrameDuration {
		tone.Fill(pcm)
		k, err := enc.Encode(pcm, pkt)
		must(err)
		must(rec.Voice(at, pkt[:k]))
		cyc := at % (2 * time.Minute) // a 45-minute lesson repeats the 2-minute plan
		switch {
		case cyc == time.Minute:
			page = 2
			must(rec.Event(at, relay.Event{Type: relay.EvPage, Page: ip(2)}))
		case cyc == 100*time.Second:
			page = 1
			must(rec.Event(at, relay.Event{Type: relay.EvPage, Page: ip(1)}))
		case cyc == 95*time.Second:
			must(rec.Event(at, relay.Event{Type: relay.EvClear, Page: ip(2)}))
		case cyc == 80*time.Second:
			must(rec.Event(at, relay.Event{Type: relay.EvQuizStart, Quiz: &relay.Quiz{ID: fmt.Sprintf("q%d", at/time.Second), Kind: relay.QuizSingle, Options: 4}}))
		case cyc == 110*time.Second:
			must(rec.Event(at, relay.Event{Type: relay.EvQuizEnd}))
		case cyc == 51*time.Second:
			must(rec.Event(at, relay.Event{Type: relay.EvUndo, ID: fmt.Sprintf("s%d", n-1)}))
		case at%(2*time.Second) == time.Second:
			pts := []int{100 * (n % 90), 200, 100*(n%90) + 50, 400, 100*(n%90) + 90, 600}
			must(rec.Event(at, relay.Event{Type: relay.EvStroke, Stroke: &relay.Stroke{ID: fmt.Sprintf("s%d", n), Page: page, Color: "#e53935", Width: 25, Points: pts}}))
			n++
		}
	}
	must(rec.Close())
}

// testSlides are two slides of 30 KB, different.
func testSlides() [][]byte {
	return [][]byte{bytes.Repeat([]byte("slide one "), 3000), bytes.Repeat([]byte("slide two "), 3000)}
}

func recorded(t testing.TB, d time.Duration) (string, [][]byte) {
	path := filepath.Join(t.TempDir(), "lesson.qrec")
	slides := testSlides()
	synthLesson(t, path, d, slides)
	return path, slides
}

// playTo fills frames until the position reaches at; it returns what played.
func playTo(t *testing.T, p *Player, at time.Duration) []int16 {
	t.Helper()
	var out []int16
	frame := make([]int16, audio.FrameSamples)
	for p.Position() < at {
		before := p.Position()
		p.Fill(frame)
		if p.Position() == before {
			t.Fatalf("the clock stopped at %v before %v", before, at)
		}
		out = append(out, frame...)
	}
	return out
}

func stateJSON(t *testing.T, s relay.State) string {
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// linearState is the state a replay from the start has at at.
func linearState(t *testing.T, path string, at time.Duration) string {
	p, err := OpenPlayer(path)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Play()
	playTo(t, p, at)
	return stateJSON(t, p.State())
}

// checkTone asserts that got is the tone at its frequency and level (the
// tolerances of audio's pipeline tests: ±5 Hz, ±3 dB, 80% of the energy).
func checkTone(t *testing.T, got []int16, freq, level float64) {
	t.Helper()
	f := audio.DominantFrequency(got, 100, 4000)
	l := audio.RMS(got)
	var toneE, e float64
	for w := 0; w+audio.SampleRate/10 <= len(got); w += audio.SampleRate / 10 {
		win := got[w : w+audio.SampleRate/10]
		a, r := audio.ToneLevel(win, f), audio.RMS(win)
		toneE += a * a / 2
		e += r * r
	}
	share := math.Sqrt(toneE / e)
	t.Logf("played %.1f Hz at %.1f dBFS (recorded %.0f Hz at %.1f dBFS), tone %.0f%% of the level", f, audio.DBFS(l), freq, audio.DBFS(level), 100*share)
	if math.Abs(f-freq) > 5 {
		t.Errorf("dominant frequency %.1f Hz, want %v ±5", f, freq)
	}
	if d := audio.DBFS(l) - audio.DBFS(level); math.Abs(d) > 3 {
		t.Errorf("level off by %.1f dB", d)
	}
	if share < 0.8 {
		t.Errorf("tone is only %.0f%% of the level", 100*share)
	}
}

func TestPlayerPlaysPausesResumesAndSeeks(t *testing.T) {
	path, slides := recorded(t, 2*time.Minute)
	p, err := OpenPlayer(path)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if d := p.Duration(); d < 2*time.Minute-time.Second || d > 2*time.Minute {
		t.Fatalf("duration %v", d)
	}
	// Paused at the start: silence, no move.
	frame := make([]int16, audio.FrameSamples)
	p.Fill(frame)
	if p.Position() != 0 || audio.RMS(frame) != 0 {
		t.Fatalf("a new player moved or played: %v", p.Position())
	}
	if err := p.Play(); err != nil {
		t.Fatal(err)
	}
	played := playTo(t, p, 10*time.Second)
	checkTone(t, played[audio.SampleRate/2:], 440, toneAmp/math.Sqrt2)
	v := p.View()
	if v.Page != 1 || !bytes.Equal(v.Slide, slides[0]) || len(v.Strokes) != 5 {
		t.Fatalf("at 0:10: page %d, slide %d bytes, %d strokes", v.Page, len(v.Slide), len(v.Strokes))
	}
	select {
	case <-p.Changed():
	default:
		t.Fatal("no change signalled while strokes were applied")
	}

	playTo(t, p, 70*time.Second)
	v = p.View()
	if v.Page != 2 || !bytes.Equal(v.Slide, slides[1]) || len(v.Strokes) != 5 || v.Position != 70*time.Second {
		t.Fatalf("at 1:10: page %d, slide %d bytes, %d strokes, position %v", v.Page, len(v.Slide), len(v.Strokes), v.Position)
	}

	// Pause: no audio, no move, however long the device keeps pulling.
	p.Pause()
	for range 250 { // 5 s of device time
		p.Fill(frame)
		if audio.RMS(frame) != 0 {
			t.Fatal("sound while paused")
		}
	}
	if p.Position() != 70*time.Second || p.Playing() {
		t.Fatalf("paused at 1:10, now at %v", p.Position())
	}
	// Resume: exactly where it paused, the tone goes on.
	p.Resume()
	after := playTo(t, p, 72*time.Second)
	if len(after) != 100*audio.FrameSamples {
		t.Fatalf("2 s after resuming took %d frames", len(after)/audio.FrameSamples)
	}
	checkTone(t, after, 440, toneAmp/math.Sqrt2)

	// Seek forward to 1:45: the view equals a linear replay's.
	if err := p.Seek(105 * time.Second); err != nil {
		t.Fatal(err)
	}
	if p.Position() != 105*time.Second || !p.Playing() {
		t.Fatalf("after seeking: %v playing %v", p.Position(), p.Playing())
	}
	want := linearState(t, path, 105*time.Second)
	if got := stateJSON(t, p.State()); got != want {
		t.Fatalf("seek to 1:45:\n got %s\nwant %s", got, want)
	}
	v = p.View()
	if v.Page != 1 || v.Quiz == nil || len(v.Strokes) == 0 {
		t.Fatalf("at 1:45: page %d quiz %v strokes %d", v.Page, v.Quiz, len(v.Strokes))
	}
	checkTone(t, playTo(t, p, 108*time.Second)[audio.SampleRate/2:], 440, toneAmp/math.Sqrt2)

	// Backwards, to 0:35 and into the first 30 s (before the second snapshot).
	for _, at := range []time.Duration{35 * time.Second, 12*time.Second + 345*time.Millisecond, 97 * time.Second} {
		if err := p.Seek(at); err != nil {
			t.Fatal(err)
		}
		want := linearState(t, path, at.Truncate(audio.FrameDuration))
		if got := stateJSON(t, p.State()); got != want {
			t.Fatalf("seek to %v:\n got %s\nwant %s", at, got, want)
		}
	}

	// Play to the end: the clock stops, ended; Play starts over.
	p.Seek(p.Duration() - time.Second)
	playTo(t, p, p.Duration())
	p.Fill(frame)
	if v := p.View(); !v.Ended || v.Playing || p.Err() != nil {
		t.Fatalf("at the end: %+v, err %v", v, p.Err())
	}
	end := p.Position()
	p.Fill(frame)
	if p.Position() != end {
		t.Fatal("the clock ran past the end")
	}
	p.Play()
	if p.Position() != 0 || !p.Playing() {
		t.Fatalf("play after the end: at %v", p.Position())
	}
}

func TestTornRecordingPlaysToItsEnd(t *testing.T) {
	path, _ := recorded(t, 2*time.Minute)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	torn := filepath.Join(t.TempDir(), "torn.qrec")
	os.WriteFile(torn, data[:len(data)*6/10+7], 0o644)
	p, err := OpenPlayer(torn)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if !p.f.Truncated || p.Duration() < 60*time.Second {
		t.Fatalf("torn: truncated %v, duration %v", p.f.Truncated, p.Duration())
	}
	p.Play()
	played := playTo(t, p, p.Duration())
	frame := make([]int16, audio.FrameSamples)
	p.Fill(frame)
	if !p.View().Ended || p.Err() != nil {
		t.Fatalf("the torn file did not end cleanly: %+v %v", p.View(), p.Err())
	}
	checkTone(t, played[len(played)-5*audio.SampleRate:], 440, toneAmp/math.Sqrt2)
	t.Logf("a file torn at %d of %d bytes plays %v", len(data)*6/10+7, len(data), p.Duration())
	// Seeking into a torn file works as well.
	if err := p.Seek(p.Duration() - 3*time.Second); err != nil {
		t.Fatal(err)
	}
	if got, want := stateJSON(t, p.State()), linearState(t, torn, p.Position()); got != want {
		t.Fatalf("seek in a torn file:\n got %s\nwant %s", got, want)
	}
}

func TestFortyFiveMinuteRecordingSize(t *testing.T) {
	if testing.Short() {
		t.Skip("45 minutes of Opus encoding")
	}
	start := time.Now()
	path, _ := recorded(t, 45*time.Minute)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	t.Logf("45 minutes (Opus 24 kbit/s tone, ~1,350 strokes, 2 slides of 30 KB, %d snapshots) written in %v: %d bytes (%.2f MB)",
		len(f.Snapshots), time.Since(start).Round(time.Millisecond), st.Size(), float64(st.Size())/1e6)
	if st.Size() > 15e6 {
		t.Fatalf("%d bytes, more than 15 MB", st.Size())
	}
	snapshotPolicyHolds(t, f)
}

// snapshotPolicyHolds checks the recorder's default snapshot policy on f:
// a snapshot with the first record; the next one at the first record at or
// past the next SnapshotEvery boundary after the last one once the events
// since it weigh SnapshotShare of it, never earlier, never later.
func snapshotPolicyHolds(t *testing.T, f *File) {
	t.Helper()
	rd, err := f.From(0)
	if err != nil {
		t.Fatal(err)
	}
	var snaps, lastSnap, events, n int
	var lastAt time.Duration
	for {
		r, err := rd.Next()
		if err != nil {
			break
		}
		due := n > 0 && r.At >= lastAt.Truncate(SnapshotEvery)+SnapshotEvery && float64(events) >= SnapshotShare*float64(lastSnap)
		switch {
		case r.Kind == Snapshot && n > 0 && !due:
			t.Fatalf("a snapshot at %v, %v after the last, %d bytes of events since, the last %d bytes", r.At, r.At-lastAt, events, lastSnap)
		case r.Kind != Snapshot && (n == 0 || due):
			t.Fatalf("no snapshot at %v, %v after the last, %d bytes of events since, the last %d bytes", r.At, r.At-lastAt, events, lastSnap)
		case r.Kind == Snapshot:
			snaps, lastSnap, events, lastAt = snaps+1, len(r.Payload), 0, r.At
		case r.Kind == Event:
			events += len(r.Payload)
		}
		n++
	}
	if snaps != len(f.Snapshots) || snaps < 2 {
		t.Fatalf("%d snapshots read, %d indexed", snaps, len(f.Snapshots))
	}
}

func TestRecorderFlushesAndIsSafeForConcurrentUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "live.qrec")
	w, err := Create(path, Header{Title: "live"})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var live relay.State // the caller's own copy of the lesson
	rec := NewRecorder(w, RecorderConfig{Snapshot: func() relay.State {
		mu.Lock()
		defer mu.Unlock()
		return live.Clone()
	}, FlushEvery: time.Second})
	var wg sync.WaitGroup
	var clock sync.Mutex
	now := time.Duration(0)
	tick := func() time.Duration { // a shared lesson clock
		clock.Lock()
		defer clock.Unlock()
		now += 5 * time.Millisecond
		return now
	}
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				at := tick()
				if g == 0 {
					e := relay.Event{Type: relay.EvStroke, Stroke: &relay.Stroke{ID: fmt.Sprintf("g%d-%d", g, i), Color: "#000000", Width: 1, Points: []int{1, 2}}}
					mu.Lock()
					live.Apply(e)
					mu.Unlock()
					if err := rec.Event(at, e); err != nil {
						t.Error(err)
					}
				} else if err := rec.Voice(at, []byte{byte(g), byte(i)}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	// Not closed (as after a crash): what was flushed is readable, up to
	// FlushEvery before the last record.
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Duration < now-time.Second-100*time.Millisecond || len(f.Snapshots) < 1 {
		t.Fatalf("before Close the file holds %v of %v, %d snapshots", f.Duration, now, len(f.Snapshots))
	}
	f.Close()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if err := rec.Voice(now, []byte{1}); err != ErrClosedRecorder {
		t.Fatalf("voice after close: %v", err)
	}
	p, err := OpenPlayer(path)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Play()
	playTo(t, p, p.Duration()+audio.FrameDuration)
	if len(p.State().Strokes) != 1000 {
		t.Fatalf("replayed %d strokes, want 1000", len(p.State().Strokes))
	}
}

// TestPlayerDrivesANullPlaybackDevice plays a recording through a real
// playback device (miniaudio's null backend): the device's pulls are the
// clock, concurrently with the UI calling View, Pause and Seek.
func TestPlayerDrivesANullPlaybackDevice(t *testing.T) {
	path, _ := recorded(t, 20*time.Second)
	p, err := OpenPlayer(path)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var mu sync.Mutex
	var got []int16
	dev, err := audio.OpenPlayback(audio.PlaybackConfig{DeviceConfig: audio.DeviceConfig{Null: true}, Source: p.Fill,
		Tap: func(f []int16) {
			mu.Lock()
			defer mu.Unlock()
			if len(got) < 40*audio.FrameSamples && audio.RMS(f) > 0 {
				got = append(got, f...)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	p.Seek(5 * time.Second)
	p.Play()
	deadline := time.Now().Add(10 * time.Second)
	for p.Position() < 6*time.Second && time.Now().Before(deadline) {
		_ = p.View()
		time.Sleep(10 * time.Millisecond)
	}
	p.Pause()
	pos := p.Position()
	time.Sleep(200 * time.Millisecond)
	if p.Position() != pos {
		t.Errorf("paused at %v, the device moved it to %v", pos, p.Position())
	}
	dev.Close()
	if pos < 6*time.Second {
		t.Fatalf("the device played only to %v in 10 s", pos)
	}
	mu.Lock()
	defer mu.Unlock()
	checkTone(t, got[audio.SampleRate/10:], 440, toneAmp/math.Sqrt2)
}

// FuzzPlayer replays damaged and hostile files: never a panic, never a
// clock that runs past the end.
func FuzzPlayer(f *testing.F) {
	path := filepath.Join(f.TempDir(), "seed.qrec")
	synthLesson(f, path, 3*time.Second, [][]byte{[]byte("a"), []byte("b")})
	b, _ := os.ReadFile(path)
	f.Add(b)
	f.Add([]byte(Magic + "{}\n\x03\x00\x0e{\"page\":-5,\"deck\":[\"x\"]}\x02\x01\x0b{\"type\":\"u\"}"))
	f.Add([]byte(Magic + "{}\n\x02\x00\x10{\"type\":\"clear\"}\x02\x00\x11{\"type\":\"stroke\"}"))
	dir := f.TempDir()
	n := 0
	f.Fuzz(func(t *testing.T, data []byte) {
		n++
		path := filepath.Join(dir, fmt.Sprintf("f%d.qrec", n))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(path)
		p, err := OpenPlayer(path)
		if err != nil {
			return
		}
		defer p.Close()
		p.Play()
		frame := make([]int16, audio.FrameSamples)
		for i := 0; i < 5000 && p.Playing(); i++ {
			p.Fill(frame)
			_ = p.View()
		}
		if p.Position() > p.Duration()+audio.FrameDuration {
			t.Fatalf("position %v past the duration %v", p.Position(), p.Duration())
		}
		p.Seek(p.Duration() / 2)
		_ = p.View()
		p.Seek(-time.Second)
		_ = p.View()
	})
}
