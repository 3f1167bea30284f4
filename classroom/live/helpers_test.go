package live

import (
	"context"
	"math"
	"net"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"qiao/audio"
	"qiao/classroom/relay"

	"github.com/pion/webrtc/v4"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(childMain(mode))
	}
	os.Exit(m.Run())
}

// Tolerances as in audio/pipeline_test.go: a 1 s window resolves 0.1 Hz and
// a codec cannot move a frequency (±5 Hz allows for spliced concealed
// frames); Opus keeps a steady tone within 1 dB (±3 dB catches dropouts).
const (
	freqTolerance  = 5.0
	levelTolerance = 3.0
	toneAmplitude  = 0.25
)

var toneLevel = toneAmplitude / math.Sqrt2 // RMS of the tone sent: -15.05 dBFS

type lessonRelay struct {
	*relay.Relay
	URL string
	relay.LessonInfo
	close func()
}

// newRelay starts a relay on loopback (ICE on one UDP port, signalling on an
// httptest server) and opens a lesson.
func newRelay() (*lessonRelay, error) {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r, err := relay.New(relay.Config{NetConfig: relay.NetConfig{UDPConn: conn, IncludeLoopback: true}, MaxParticipants: 100})
	if err != nil {
		conn.Close()
		return nil, err
	}
	info, err := r.Open("")
	if err != nil {
		r.Close()
		return nil, err
	}
	srv := httptest.NewServer(r.Handler(relay.HandlerOptions{}))
	return &lessonRelay{Relay: r, URL: "ws" + strings.TrimPrefix(srv.URL, "http"), LessonInfo: info,
		close: func() { srv.Close(); r.Close(); conn.Close() }}, nil
}

func startRelay(t testing.TB) *lessonRelay {
	t.Helper()
	r, err := newRelay()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.close)
	return r
}

func loopbackAPI() (*webrtc.API, error) {
	api, _, err := relay.NewAPI(relay.NetConfig{IncludeLoopback: true, UDPOnly: true})
	return api, err
}

// recorder keeps the last seconds of what a playback Tap saw.
type recorder struct {
	mu  sync.Mutex
	buf []int16
	max int
}

func newRecorder(seconds int) *recorder { return &recorder{max: seconds * audio.SampleRate} }

func (r *recorder) tap(f []int16) {
	r.mu.Lock()
	r.buf = append(r.buf, f...)
	if len(r.buf) > 2*r.max {
		r.buf = append(r.buf[:0], r.buf[len(r.buf)-r.max:]...)
	}
	r.mu.Unlock()
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.buf = r.buf[:0]
	r.mu.Unlock()
}

// last returns a copy of the last d of audio played.
func (r *recorder) last(d time.Duration) []int16 {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := min(len(r.buf), int(d.Seconds()*audio.SampleRate))
	return append([]int16(nil), r.buf[len(r.buf)-n:]...)
}

// steadiestSecond returns the one-second window of got, in steps of 100 ms,
// whose level is closest to level (real-time callbacks on a loaded 2-core
// machine can starve for a moment; see audio/pipeline_test.go).
func steadiestSecond(got []int16, level float64) []int16 {
	if len(got) < audio.SampleRate {
		return got
	}
	best, bestDiff := got[:audio.SampleRate], math.Inf(1)
	for w := 0; w+audio.SampleRate <= len(got); w += audio.SampleRate / 10 {
		win := got[w : w+audio.SampleRate]
		if d := math.Abs(audio.DBFS(audio.RMS(win)) - audio.DBFS(level)); d < bestDiff {
			best, bestDiff = win, d
		}
	}
	return best
}

// heard analyses the steadiest second of the last 2.5 s a recorder played.
type heard struct {
	Freq  float64 `json:"freq"`
	Level float64 `json:"level_dbfs"`
}

func analyse(samples []int16, level float64) heard {
	w := steadiestSecond(samples, level)
	return heard{Freq: audio.DominantFrequency(w, 100, 4000), Level: audio.DBFS(audio.RMS(w))}
}

func checkHeard(t *testing.T, who string, h heard, freq, level float64) {
	t.Helper()
	t.Logf("%s hears %.1f Hz at %.1f dBFS (sent %.0f Hz at %.1f dBFS)", who, h.Freq, h.Level, freq, audio.DBFS(level))
	if math.Abs(h.Freq-freq) > freqTolerance {
		t.Errorf("%s: dominant frequency %.1f Hz, want %.0f ±%.0f", who, h.Freq, freq, freqTolerance)
	}
	if d := h.Level - audio.DBFS(level); math.Abs(d) > levelTolerance {
		t.Errorf("%s: level %.1f dBFS, off by %.1f dB (want ±%.0f)", who, h.Level, d, levelTolerance)
	}
}

func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sessionBitrate is the Opus bit rate of sessions startSession makes (0: the default 24 kbit/s).
var sessionBitrate int

// participant is a Session with a tone source and a playback recorder.
type participant struct {
	*Session
	rec *recorder
}

// hostRecorder, when set, gives the host started by startSession a
// recorder, as the app's host always has.
var hostRecorder func() (Recorder, error)

func startSession(ctx context.Context, host bool, r *lessonRelay, name string, freq float64) (*participant, error) {
	api, err := loopbackAPI()
	if err != nil {
		return nil, err
	}
	rec := newRecorder(5)
	tone := &audio.Tone{Freq: freq, Amplitude: toneAmplitude}
	cfg := Config{URL: r.URL, Lesson: r.Code, Name: name, API: api, Device: audio.DeviceConfig{Null: true},
		Source: tone.Fill, Tap: rec.tap, MinBackoff: 200 * time.Millisecond, Bitrate: sessionBitrate}
	var s *Session
	if host {
		cfg.Key = r.HostKey
		if hostRecorder != nil {
			if cfg.Recorder, err = hostRecorder(); err != nil {
				return nil, err
			}
		}
		s, err = Host(ctx, cfg)
	} else {
		s, err = Join(ctx, cfg)
	}
	if err != nil {
		return nil, err
	}
	return &participant{Session: s, rec: rec}, nil
}

func mustSession(t testing.TB, ctx context.Context, host bool, r *lessonRelay, name string, freq float64) *participant {
	t.Helper()
	p, err := startSession(ctx, host, r, name, freq)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Cleanup(p.Close)
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := p.WaitLive(wctx); err != nil {
		t.Fatalf("%s: not live: %v", name, err)
	}
	return p
}
