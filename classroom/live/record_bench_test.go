package live

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"qiao/classroom/recording"
	"qiao/classroom/relay"
)

// TestBenchRecordingSize records a real live lesson at the host (relay,
// host and one remote classroom on loopback, the host's 440 Hz tone as its
// voice at the lesson's default Opus rate) for QIAO_BENCH_RECORD_SECONDS
// (default 300) of real time: a page turn every 10 s, a 20-point stroke
// every 2 s, a chat line every 30 s, a quiz every 5 minutes. It reports the
// file's size and extrapolates it to 45 minutes (docs/BENCHMARKS.md).
func TestBenchRecordingSize(t *testing.T) {
	benchOnly(t)
	secs := 300
	if s, err := strconv.Atoi(os.Getenv("QIAO_BENCH_RECORD_SECONDS")); err == nil && s > 0 {
		secs = s
	}
	ctx := context.Background()
	r := startRelay(t)
	path := filepath.Join(t.TempDir(), "lesson.qrec")
	host, rec := recordingHost(t, ctx, r, path, 440, 0)
	rem := mustSession(t, ctx, false, r, "远端", 700)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for i := range secs {
		<-tick.C
		var err error
		switch {
		case i%300 == 150:
			err = host.StartQuiz(relay.Quiz{ID: fmt.Sprint("q", i), Kind: relay.QuizSingle, Options: 4})
			if err == nil {
				time.Sleep(200 * time.Millisecond)
				err = rem.Answer(fmt.Sprint("q", i), 2)
			}
		case i%30 == 15:
			err = rem.Chat("老师，我们听得很清楚")
		case i%10 == 0:
			err = host.TurnPage(i / 10 % 20)
		case i%2 == 1:
			pts := make([]int, 40)
			for k := range pts {
				pts[k] = (i*37 + k*101) % relay.CoordMax
			}
			err = host.Stroke(relay.Stroke{ID: fmt.Sprint("s", i), Page: i / 10 % 20, Color: "#e53935", Width: 25, Points: pts})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	host.Close()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := recording.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	d := f.Duration
	rd, err := f.From(0)
	if err != nil {
		t.Fatal(err)
	}
	var n, bytes [recording.Slide + 1]int
	for {
		r, err := rd.Next()
		if err != nil {
			break
		}
		n[r.Kind]++
		bytes[r.Kind] += len(r.Payload)
	}
	f.Close()
	for k, name := range []string{recording.Audio: "voice", recording.Event: "events", recording.Snapshot: "snapshots", recording.Slide: "slides"} {
		if name != "" {
			t.Logf("%s: %d records, %d payload bytes", name, n[k], bytes[k])
		}
	}
	perMin := float64(fi.Size()) / d.Minutes()
	t.Logf("recorded %v of a live lesson: %d bytes, %.1f kbit/s, %.0f KB a minute; 45 minutes ≈ %.1f MB (extrapolated)",
		d.Round(time.Second), fi.Size(), float64(fi.Size())*8/d.Seconds()/1000, perMin/1000, perMin*45/1e6)
}
