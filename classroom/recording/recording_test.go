package recording

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// lesson writes a recording of minutes of voice (24 kbit/s: 60-byte
// packets every 20 ms), a page turn a minute, strokes, a snapshot every 30 s
// and one slide per page (repeated slides stored once).
func lesson(t testing.TB, path string, minutes int, slide []byte) {
	t.Helper()
	w, err := Create(path, Header{LessonID: "l1", Title: "分数的初步认识", Subject: "数学", Grade: 3, Started: time.Unix(1_790_000_000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	voice := bytes.Repeat([]byte{0xAB}, 60)
	sum := sha256.Sum256(slide)
	hash := hex.EncodeToString(sum[:])
	for at := time.Duration(0); at < time.Duration(minutes)*time.Minute; at += 20 * time.Millisecond {
		if err := w.Add(Audio, at, voice); err != nil {
			t.Fatal(err)
		}
		switch {
		case at%(30*time.Second) == 0:
			w.Add(Snapshot, at, []byte(fmt.Sprintf(`{"page":%d,"strokes":[]}`, int(at/time.Minute))))
		case at%time.Minute == 10*time.Millisecond*2:
			w.AddSlide(at, hash, slide)
			w.Add(Event, at, []byte(fmt.Sprintf(`{"type":"page","page":%d}`, int(at/time.Minute))))
		case at%(2*time.Second) == 0:
			w.Add(Event, at, []byte(`{"type":"stroke","points":[[1,2],[3,4],[5,6]]}`))
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRecordingRoundTripAndSeek(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lesson.qrec")
	slide := bytes.Repeat([]byte("slide"), 1000)
	lesson(t, path, 5, slide)
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Header.Title != "分数的初步认识" || f.Truncated {
		t.Fatalf("header %+v truncated %v", f.Header, f.Truncated)
	}
	if f.Duration < 5*time.Minute-time.Second || len(f.Snapshots) != 10 || len(f.Slides) != 1 {
		t.Fatalf("duration %v, %d snapshots, %d slides", f.Duration, len(f.Snapshots), len(f.Slides))
	}
	for hash := range f.Slides {
		got, err := f.Slide(hash)
		if err != nil || !bytes.Equal(got, slide) {
			t.Fatalf("slide %s: %d bytes, %v", hash, len(got), err)
		}
	}
	// Seeking to 2:45 starts at the 2:30 snapshot and reads on in order.
	rd, err := f.From(2*time.Minute + 45*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	r, err := rd.Next()
	if err != nil || r.Kind != Snapshot || r.At != 2*time.Minute+30*time.Second || string(r.Payload) != `{"page":2,"strokes":[]}` {
		t.Fatalf("first record after seeking: %+v %v", r, err)
	}
	n := 0
	for {
		r2, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil || r2.At < r.At {
			t.Fatalf("record %d: %+v %v", n, r2, err)
		}
		r, n = r2, n+1
	}
	if n < 2*60*50 {
		t.Fatalf("only %d records after 2:30", n)
	}
	// Before the first snapshot: from the beginning.
	rd, _ = f.From(0)
	if r, _ := rd.Next(); r.At != 0 {
		t.Fatalf("From(0) starts at %v", r.At)
	}
}

func TestFortyFiveMinutesFitOnAStick(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lesson.qrec")
	lesson(t, path, 45, bytes.Repeat([]byte{1}, 200<<10))
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("45 minutes of voice at 24 kbit/s, events, snapshots and one 200 KiB slide: %.1f MB", float64(st.Size())/1e6)
	if st.Size() > 15e6 {
		t.Fatalf("a 45-minute recording is %d bytes, more than 15 MB", st.Size())
	}
}

func TestTornRecordingIsReadUpToItsLastRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lesson.qrec")
	lesson(t, path, 1, []byte("s"))
	data, _ := os.ReadFile(path)
	torn := filepath.Join(t.TempDir(), "torn.qrec")
	os.WriteFile(torn, data[:len(data)-30], 0o644)
	f, err := Open(torn)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !f.Truncated || f.Duration < 59*time.Second {
		t.Fatalf("torn file: truncated %v, duration %v", f.Truncated, f.Duration)
	}
	if _, err := NewReader(bytes.NewReader([]byte("PK\x03\x04 not a recording"))); !errors.Is(err, ErrNotRecording) {
		t.Fatalf("a zip file: %v", err)
	}
}

func FuzzReader(f *testing.F) {
	path := filepath.Join(f.TempDir(), "seed.qrec")
	lesson(f, path, 0, nil)
	w, _ := Create(filepath.Join(f.TempDir(), "s2.qrec"), Header{Title: "t"})
	w.Add(Audio, time.Second, []byte{1, 2, 3})
	w.AddSlide(2*time.Second, string(bytes.Repeat([]byte("a"), 64)), []byte("png"))
	w.Add(Event, 3*time.Second, []byte(`{"type":"page"}`))
	w.Close()
	for _, p := range []string{path, filepath.Join(f.TempDir(), "s2.qrec")} {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rd, err := NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		for i := 0; i < 10000; i++ {
			if _, err := rd.Next(); err != nil {
				return
			}
		}
	})
}
