package recording

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"qiao/audio"
	"qiao/classroom/relay"
)

// The fixture was written by the recorder of format version 1 as it was
// before the snapshot policy (commit 7262e1b: a snapshot every 30 s
// whatever the events): 70 s, a 440 Hz tone at 16 kbit/s for the first 2 s
// of every 10, a stroke every 2 s, page 1 at 40 s, a quiz at 50 s, a chat
// line at 55 s, two slides of 2,000 bytes.
const v1Fixture = "testdata/v1-snapshot-every-30s.qrec"

func TestVersion1RecordingStillPlays(t *testing.T) {
	f, err := Open(v1Fixture)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Truncated || f.Header.Title != "分数的初步认识" || len(f.Slides) != 2 || f.Duration < 69*time.Second {
		t.Fatalf("fixture: %+v, %v, %d slides, truncated %v", f.Header, f.Duration, len(f.Slides), f.Truncated)
	}
	var at []time.Duration
	for _, m := range f.Snapshots {
		at = append(at, m.At)
	}
	if len(at) != 3 || at[0] != 0 || at[1] != 30*time.Second || at[2] != time.Minute {
		t.Fatalf("snapshots at %v", at)
	}
	p, err := NewPlayer(f)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Play()
	checkTone(t, playTo(t, p, 2*time.Second)[audio.FrameSamples*5:], 440, toneAmp/math.Sqrt2)
	for _, target := range []time.Duration{45 * time.Second, 65 * time.Second, 12 * time.Second} {
		if err := p.Seek(target); err != nil {
			t.Fatal(err)
		}
		if got, want := stateJSON(t, p.State()), linearState(t, v1Fixture, target); got != want {
			t.Fatalf("seek to %v:\n got %s\nwant %s", target, got, want)
		}
	}
	// The fixture draws on page 0, before any turn; the view counts pages
	// from 1 as the live board does (page 0 shows page 1, its first slide).
	v, st := p.View(), p.State()
	if v.Page != 1 || len(st.Strokes) != 6 || st.Strokes[0].Page != 0 || v.Slide == nil {
		t.Fatalf("at 12 s: page %d, %d strokes, slide %d bytes", v.Page, len(st.Strokes), len(v.Slide))
	}
	p.Seek(65 * time.Second)
	if v := p.View(); v.Page != 1 || v.Quiz == nil || len(v.Chat) != 1 {
		t.Fatalf("at 65 s: page %d, quiz %v, chat %v", v.Page, v.Quiz, v.Chat)
	}
}

// part records d of a lesson into rec from lesson time 0: the tone as
// voice, a stroke every second numbered from first on page, the slides.
func part(t *testing.T, rec *Recorder, d time.Duration, first, page int, slides [][]byte) {
	t.Helper()
	enc, err := audio.NewEncoder(audio.EncoderConfig{Bitrate: 16000})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	tone := audio.Tone{Freq: 440, Amplitude: toneAmp}
	pcm := make([]int16, audio.FrameSamples)
	pkt := make([]byte, audio.MaxPacketSize)
	var deck []string
	for _, s := range slides {
		deck = append(deck, hashOf(s))
		if err := rec.Slide(0, hashOf(s), s); err != nil {
			t.Fatal(err)
		}
	}
	if err := rec.Event(0, relay.Event{Type: relay.EvDeck, Deck: deck}); err != nil {
		t.Fatal(err)
	}
	if err := rec.Event(0, relay.Event{Type: relay.EvPage, Page: ip(page)}); err != nil {
		t.Fatal(err)
	}
	for at, n := time.Duration(0), first; at < d; at += audio.FrameDuration {
		tone.Fill(pcm)
		k, err := enc.Encode(pcm, pkt)
		if err != nil {
			t.Fatal(err)
		}
		if err := rec.Voice(at, pkt[:k]); err != nil {
			t.Fatal(err)
		}
		if at%time.Second == 500*time.Millisecond {
			s := relay.Stroke{ID: "s" + string(rune('A'+n%26)) + time.Duration(n).String(), Page: page, Color: "#e53935", Width: 25, Points: []int{n, 2 * n, 3 * n, 4 * n}}
			if err := rec.Event(at, relay.Event{Type: relay.EvStroke, Stroke: &s}); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
}

func TestAppendContinuesTheRecording(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lesson.qrec")
	w, err := Create(path, Header{LessonID: "l1", Title: "分数的初步认识"})
	if err != nil {
		t.Fatal(err)
	}
	slides := testSlides()
	rec := NewRecorder(w, RecorderConfig{})
	part(t, rec, 40*time.Second, 0, 0, slides)
	// The app dies: what was flushed stays, with half a record after it.
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	first, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	end := first.Duration
	first.Close()
	if end < 39*time.Second {
		t.Fatalf("the first part lasts %v", end)
	}
	fh, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	fh.Write([]byte{Audio, 0xa0, 0x8d, 0x06, 60, 'o', 'p'})
	fh.Close()

	// A damaged recording is refused and left as it was.
	data, _ := os.ReadFile(path)
	bad := filepath.Join(dir, "bad.qrec")
	damaged := append(bytes.Clone(data[:len(data)-7]), 9, 0, 0)
	os.WriteFile(bad, damaged, 0o644)
	if _, _, err := Append(bad); err == nil {
		t.Error("appended to a recording with a record of kind 9")
	}
	if b, _ := os.ReadFile(bad); !bytes.Equal(b, damaged) {
		t.Errorf("a refused append changed the file: %d bytes", len(b))
	}
	os.WriteFile(bad, []byte("PK\x03\x04 not a recording"), 0o644)
	if _, _, err := Append(bad); err == nil {
		t.Error("appended to a file that is not a recording")
	}

	w2, st, err := Append(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Strokes) != 40 || len(st.Deck) != 2 {
		t.Fatalf("state at the end of the first part: %d strokes, deck %v", len(st.Strokes), st.Deck)
	}
	rec2 := NewRecorder(w2, RecorderConfig{Initial: st})
	part(t, rec2, 20*time.Second, 40, 1, slides) // the same slides again: stored once
	if err := rec2.Close(); err != nil {
		t.Fatal(err)
	}

	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seam := end + AppendGap
	if f.Truncated || len(f.Slides) != 2 || f.Duration < seam+19*time.Second || f.Duration > seam+20*time.Second {
		t.Fatalf("appended: %v (the first part ends at %v), %d slides, truncated %v", f.Duration, end, len(f.Slides), f.Truncated)
	}
	if !slices.ContainsFunc(f.Snapshots, func(m Mark) bool { return m.At == seam }) {
		t.Errorf("snapshots %v, want one at the seam %v", f.Snapshots, seam)
	}
	p, err := NewPlayer(f)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// Seeks on both sides of the seam land where a replay from the start does.
	for _, at := range []time.Duration{seam + 15*time.Second, 20 * time.Second, seam - 500*time.Millisecond} {
		if err := p.Seek(at); err != nil {
			t.Fatal(err)
		}
		if got, want := stateJSON(t, p.State()), linearState(t, path, at); got != want {
			t.Fatalf("seek to %v:\n got %s\nwant %s", at, got, want)
		}
	}
	p.Seek(seam)
	p.Play()
	checkTone(t, playTo(t, p, seam+3*time.Second)[audio.FrameSamples*5:], 440, toneAmp/math.Sqrt2)
	playTo(t, p, f.Duration+audio.FrameDuration)
	if v := p.View(); !v.Ended || v.Page != 1 || len(v.Strokes) != 20 || len(p.State().Strokes) != 60 {
		t.Fatalf("at the end: ended %v, page %d, %d strokes on it, %d in all", v.Ended, v.Page, len(v.Strokes), len(p.State().Strokes))
	}
}

// FuzzAppend appends to damaged and hostile files: a refused file is left
// as it was; an accepted one, with a record added, reads whole to its end,
// the new record after everything before it.
func FuzzAppend(f *testing.F) {
	path := filepath.Join(f.TempDir(), "seed.qrec")
	synthLesson(f, path, 2*time.Second, [][]byte{[]byte("a")})
	b, _ := os.ReadFile(path)
	f.Add(b)
	f.Add(b[:len(b)-5])
	f.Add([]byte(Magic + "{}\n"))
	f.Add([]byte(Magic + "{}\n\x03\x00\x0e{\"page\":-5,\"deck\":[\"x\"]}\x02\x01\x0b{\"type\":\"u\"}"))
	dir := f.TempDir()
	n := 0
	f.Fuzz(func(t *testing.T, data []byte) {
		n++
		path := filepath.Join(dir, fmt.Sprintf("f%d.qrec", n))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(path)
		w, _, err := Append(path)
		if err != nil {
			if got, _ := os.ReadFile(path); !bytes.Equal(got, data) {
				t.Fatalf("a refused append changed the file: %v", err)
			}
			return
		}
		if err := w.Add(Event, 0, []byte(`{"type":"page","page":1}`)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		rf, err := Open(path)
		if err != nil {
			t.Fatalf("appended file: %v", err)
		}
		defer rf.Close()
		rd, _ := rf.From(0)
		var last Record
		for {
			r, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("appended file: %v", err)
			}
			last = r
		}
		if rf.Truncated || last.Kind != Event || string(last.Payload) != `{"type":"page","page":1}` {
			t.Fatalf("appended file ends with %+v (truncated %v)", last, rf.Truncated)
		}
	})
}
