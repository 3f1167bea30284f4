package recording

import (
	"io"
	"path/filepath"
	"testing"
	"time"

	"qiao/classroom/relay"
)

func TestRecorderDropsWhatAReplayDoesNotShow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lesson.qrec")
	w, err := Create(path, Header{Title: "t"})
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder(w, RecorderConfig{})
	x := 5
	for i, e := range []relay.Event{
		{Type: relay.EvLink, Links: []relay.LinkInfo{{ID: "p2", RTTms: 600, Quality: "poor"}}},
		{Type: relay.EvLaser, X: &x, Y: &x},
		{Type: relay.EvPage, Page: &x},
	} {
		if err := rec.Event(time.Duration(i)*time.Second, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, _ := f.From(0)
	var got []string
	for {
		r, err := rd.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if r.Kind == Event {
			got = append(got, string(r.Payload))
		}
	}
	if len(got) != 1 || got[0] != `{"type":"page","page":5}` {
		t.Fatalf("events recorded: %q", got)
	}
}
