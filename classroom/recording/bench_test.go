package recording_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"qiao/audio"
	"qiao/classroom/live"
	"qiao/classroom/recording"
	"qiao/classroom/relay"
)

// speechLike fills pcm with a voice-like signal that Opus cannot code as
// cheaply as a steady tone: a gliding pitch (100-220 Hz) with 12 harmonics
// shaped by two moving formants, syllables about 4 a second, a short pause
// every 3 s, and a little noise.
type speechLike struct {
	n     int
	phase float64
	rng   *rand.Rand
}

func (s *speechLike) Fill(pcm []int16) {
	for i := range pcm {
		t := float64(s.n) / audio.SampleRate
		s.n++
		f0 := 160 + 60*math.Sin(2*math.Pi*0.37*t)*math.Sin(2*math.Pi*1.3*t)
		s.phase += 2 * math.Pi * f0 / audio.SampleRate
		f1 := 500 + 250*math.Sin(2*math.Pi*3.9*t)
		f2 := 1500 + 600*math.Sin(2*math.Pi*2.7*t+1)
		var v float64
		for k := 1; k <= 12; k++ {
			f := float64(k) * f0
			a := 1/float64(k) + 0.8*math.Exp(-sq((f-f1)/150)) + 0.5*math.Exp(-sq((f-f2)/200))
			v += a * math.Sin(float64(k)*s.phase)
		}
		env := math.Pow(math.Abs(math.Sin(2*math.Pi*2*t)), 0.6)
		if math.Mod(t, 3) > 2.6 {
			env = 0
		}
		pcm[i] = int16(max(-32767, min(32767, 4000*env*v+300*s.rng.NormFloat64())))
	}
}

func sq(x float64) float64 { return x * x }

type source interface{ Fill([]int16) }

// opusPackets encodes d of src as the host's session does (the lesson's
// default bit rate, in-band FEC for 10 % loss).
func opusPackets(t *testing.T, src source, d time.Duration) [][]byte {
	enc, err := audio.NewEncoder(audio.EncoderConfig{Bitrate: live.DefaultBitrate, ExpectedLoss: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	pcm := make([]int16, audio.FrameSamples)
	buf := make([]byte, audio.MaxPacketSize)
	var out [][]byte
	for range d / audio.FrameDuration {
		src.Fill(pcm)
		n, err := enc.Encode(pcm, buf)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, append([]byte(nil), buf[:n]...))
	}
	return out
}

// recordLesson records a lesson with voice (one packet a frame) and the
// events of TestBenchRecordingSize (classroom/live) as the relay delivers
// them to the host, stamped with Seq and From, on a synthetic clock: every
// second i, a 20-point stroke when i is odd (never cleared), a page turn
// when i%10 == 0, a remote's chat line when i%30 == 15, and at i%300 == 150
// a quiz with a remote's answer (the host gets the tally).
func recordLesson(t *testing.T, path string, voice [][]byte, cfg recording.RecorderConfig) {
	w, err := recording.Create(path, recording.Header{LessonID: "bench", Title: "分数的初步认识", Subject: "数学", Grade: 3, Started: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	rec := recording.NewRecorder(w, cfg)
	var seq uint64
	ev := func(at time.Duration, e relay.Event) {
		seq++
		e.Seq = seq
		if e.From == "" {
			e.From = "p1"
		}
		if err := rec.Event(at, e); err != nil {
			t.Fatal(err)
		}
	}
	perSec := int(time.Second / audio.FrameDuration)
	for f, pkt := range voice {
		at := time.Duration(f) * audio.FrameDuration
		if err := rec.Voice(at, pkt); err != nil {
			t.Fatal(err)
		}
		if f%perSec != perSec/2 {
			continue
		}
		i := f / perSec
		switch {
		case i%300 == 150:
			q := fmt.Sprint("q", i)
			ev(at, relay.Event{Type: relay.EvQuizStart, Quiz: &relay.Quiz{ID: q, Kind: relay.QuizSingle, Options: 4}})
			ev(at+200*time.Millisecond, relay.Event{Type: relay.EvTally, ID: q, Counts: []int{0, 0, 1, 0}, From: "relay"})
		case i%30 == 15:
			ev(at, relay.Event{Type: relay.EvChat, Text: "老师，我们听得很清楚", From: "p2"})
		case i%10 == 0:
			p := i / 10 % 20
			ev(at, relay.Event{Type: relay.EvPage, Page: &p})
		case i%2 == 1:
			pts := make([]int, 40)
			for k := range pts {
				pts[k] = (i*37 + k*101) % relay.CoordMax
			}
			ev(at, relay.Event{Type: relay.EvStroke, Stroke: &relay.Stroke{ID: fmt.Sprint("s", i), Page: i / 10 % 20, Color: "#e53935", Width: 25, Points: pts}})
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestBenchFortyFiveMinuteRecording records a whole 45-minute lesson on a
// synthetic clock (no 45-minute wait), with real Opus packets, and reports
// the file's size by kind and how long opening it and seeking take, for the
// recorder's snapshot policy and for the old one (a snapshot every 30 s).
func TestBenchFortyFiveMinuteRecording(t *testing.T) {
	if os.Getenv("QIAO_BENCH") != "1" {
		t.Skip("measurement: set QIAO_BENCH=1")
	}
	const d = 45 * time.Minute
	for _, voice := range []struct {
		name string
		src  source
	}{
		{"speech-like", &speechLike{rng: rand.New(rand.NewPCG(1, 2))}},
		{"440 Hz tone", &audio.Tone{Freq: 440, Amplitude: 0.3}},
	} {
		pkts := opusPackets(t, voice.src, d)
		for _, policy := range []struct {
			name  string
			share float64
		}{{"default", 0}, {"every 30 s (old)", 1e-9}} {
			path := filepath.Join(t.TempDir(), "lesson.qrec")
			recordLesson(t, path, pkts, recording.RecorderConfig{SnapshotShare: policy.share})
			name := fmt.Sprintf("%s, snapshots %s", voice.name, policy.name)
			if size := report(t, name, path); policy.share == 0 && size > 15e6 {
				t.Errorf("%s: %d bytes, more than 15 MB", name, size)
			}
		}
	}
}

// report logs the size of the recording at path by kind of record and the
// time to open it and seek to 3 random points; it returns the size.
func report(t *testing.T, name, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := recording.Open(path)
	if err != nil {
		t.Fatal(err)
	}
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
	dur := f.Duration
	f.Close()
	t.Logf("%s: %v, %d bytes (%.2f MB, %.1f kbit/s): voice %d records %.2f MB, events %d records %.0f KB, snapshots %d records %.0f KB",
		name, dur.Round(time.Second), fi.Size(), float64(fi.Size())/1e6, float64(fi.Size())*8/dur.Seconds()/1000,
		n[recording.Audio], float64(bytes[recording.Audio])/1e6, n[recording.Event], float64(bytes[recording.Event])/1e3,
		n[recording.Snapshot], float64(bytes[recording.Snapshot])/1e3)
	rng := rand.New(rand.NewPCG(3, 4))
	for range 3 {
		at := time.Duration(rng.Int64N(int64(dur)))
		start := time.Now()
		p, err := recording.OpenPlayer(path)
		if err != nil {
			t.Fatal(err)
		}
		opened := time.Since(start)
		if err := p.Seek(at); err != nil {
			t.Fatal(err)
		}
		total := time.Since(start)
		strokes := len(p.State().Strokes)
		p.Close()
		t.Logf("  open + seek to %v: %v (open %v, seek %v), %d strokes", at.Round(time.Second), total.Round(time.Millisecond),
			opened.Round(time.Millisecond), (total - opened).Round(time.Millisecond), strokes)
	}
	return fi.Size()
}
