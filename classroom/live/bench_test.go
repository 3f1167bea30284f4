package live

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"qiao/audio"
	"qiao/classroom/recording"
	"qiao/classroom/relay"
)

// The measurements of docs/BENCHMARKS.md for the live lesson. They take
// about a minute of real time and run only with QIAO_BENCH=1.
func benchOnly(t *testing.T) {
	if os.Getenv("QIAO_BENCH") != "1" {
		t.Skip("measurement: set QIAO_BENCH=1")
	}
}

// TestBenchBitrate measures the bit rate of one remote classroom's link
// during a lesson: the host's voice (a steady tone) plus a page turn and an
// ink stroke of 20 points every second, for 20 s. Bytes are pion's
// transport counters on the remote's PeerConnection (SRTP, RTCP, SCTP/DTLS
// and STUN as sent) plus 28 bytes of IPv4+UDP header per packet.
// TestBenchBitrateSpeech does the same with speech.
func TestBenchBitrate(t *testing.T) {
	benchOnly(t)
	for _, rate := range []int{DefaultBitrate, 20000, 24000} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			tone := &audio.Tone{Freq: 440, Amplitude: toneAmplitude}
			measureBitrate(t, rate, tone.Fill, true, 20*time.Second)
		})
	}
}

// TestBenchBitrateSpeech measures the bit rate with the host reading a
// lesson (synthSpeech: 68 s of Mandarin with a teacher's pauses) instead of
// a tone, over exactly one reading: at the default Opus rate with and
// without the board traffic, and at 20 and 24 kbit/s with it.
func TestBenchBitrateSpeech(t *testing.T) {
	benchOnly(t)
	speech := synthSpeech(t)
	d := time.Duration(len(speech)) * time.Second / audio.SampleRate
	for _, c := range []struct {
		rate  int
		board bool
	}{{DefaultBitrate, false}, {DefaultBitrate, true}, {20000, true}, {24000, true}} {
		name := fmt.Sprint(c.rate, "/voice")
		if c.board {
			name += "+board"
		}
		t.Run(name, func(t *testing.T) {
			src := &speechSource{s: speech}
			measureBitrate(t, c.rate, src.fill, c.board, d)
		})
	}
}

// measureBitrate runs a lesson with src as the host's microphone and
// reports one remote classroom's link over d; with board, a page turn and
// a 20-point stroke every second.
func measureBitrate(t *testing.T, rate int, src func([]int16), board bool, d time.Duration) {
	ctx := context.Background()
	r := startRelay(t)
	api, err := loopbackAPI()
	if err != nil {
		t.Fatal(err)
	}
	host, err := Host(ctx, Config{URL: r.URL, Lesson: r.Code, Key: r.HostKey, Name: "主讲", API: api,
		Device: audio.DeviceConfig{Null: true}, Source: src, Bitrate: rate})
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := host.WaitLive(wctx); err != nil {
		t.Fatal(err)
	}
	rem := mustSession(t, ctx, false, r, "远端", 700)
	time.Sleep(3 * time.Second)
	a, _ := rem.Link()
	va, ha := rem.Voice(), host.Voice()
	for i := 0; time.Duration(i)*time.Second < d; i++ {
		if board {
			if err := host.TurnPage(i % 10); err != nil {
				t.Fatal(err)
			}
			pts := make([]int, 40)
			for k := range pts {
				pts[k] = 1000 + 37*k + i
			}
			if err := host.Stroke(relay.Stroke{ID: fmt.Sprintf("s%d", i), Page: i % 10, Color: "#e53935", Width: 25, Points: pts}); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(min(time.Second, d-time.Duration(i)*time.Second))
	}
	b, _ := rem.Link()
	vb, hb := rem.Voice(), host.Voice()
	secs := b.At.Sub(a.At).Seconds()
	in, out := Bitrate(a, b)
	pin := float64(b.PacketsRecv-a.PacketsRecv) / secs
	pout := float64(b.PacketsSent-a.PacketsSent) / secs
	inIP, outIP := in+pin*28*8/1000, out+pout*28*8/1000
	pairIn := float64(b.PairBytesReceived-a.PairBytesReceived) * 8 / secs / 1000
	pairOut := float64(b.PairBytesSent-a.PairBytesSent) * 8 / secs / 1000
	t.Logf("candidate pair counters: down %.1f, up %.1f kbit/s", pairIn, pairOut)
	// Every RTP header extension would cost bytes in every packet: the
	// relay negotiates none (12-byte RTP headers).
	if sdp := rem.current().PeerConnection().RemoteDescription(); sdp == nil || strings.Contains(sdp.SDP, "a=extmap:") {
		t.Errorf("RTP header extensions negotiated (or no SDP): %v", sdp)
	}
	payload := float64(vb.PayloadRecv-va.PayloadRecv) * 8 / secs / 1000
	t.Logf("Opus at %d bit/s, board %v; remote classroom, %.1f s: down %.1f kbit/s (%.0f pkt/s), up %.1f kbit/s (%.0f pkt/s) on the transport; with IPv4+UDP headers down %.1f + up %.1f = %.1f kbit/s; Opus payload %.1f kbit/s (host sent %.0f frames/s); RTT %v",
		host.cfg.Bitrate, board, secs, in, pin, out, pout, inIP, outIP, inIP+outIP, payload,
		float64(hb.FramesSent-ha.FramesSent)/secs, b.RTT)
	// The host sends a frame every 20 ms (no DTX); fewer means the null
	// capture device was starved of CPU and the run carried less voice.
	if fps := float64(hb.FramesSent-ha.FramesSent) / secs; fps < 49 {
		t.Errorf("the host sent %.1f frames/s, not 50: the machine was too busy, measure again", fps)
	}
	if host.cfg.Bitrate == DefaultBitrate && inIP+outIP >= 48 {
		t.Errorf("%.1f kbit/s at the default Opus rate, goal under 48", inIP+outIP)
	}
}

// switchedTone is a capture source: silence until on, then a tone; it
// notes when the first tone sample was produced (the "mouth" time).
type switchedTone struct {
	on    atomic.Bool
	onset atomic.Int64 // unix ns of the first tone sample after on was set, 0 before
	tone  audio.Tone
}

func (s *switchedTone) fill(buf []int16) {
	if !s.on.Load() {
		clear(buf)
		return
	}
	if s.onset.Load() == 0 {
		s.onset.Store(time.Now().UnixNano())
	}
	s.tone.Fill(buf)
}

// TestBenchLatency measures mouth-to-ear latency of the software path on
// loopback: from the capture callback that produced a tone's first samples
// to the playback callback that pulled the first frame carrying it (device
// buffers excluded): capture framing, Opus, RTP/SRTP, the relay, the jitter
// buffer and the mixer.
func TestBenchLatency(t *testing.T) {
	benchOnly(t)
	ctx := context.Background()
	r := startRelay(t)
	api, err := loopbackAPI()
	if err != nil {
		t.Fatal(err)
	}
	src := &switchedTone{tone: audio.Tone{Freq: 1000, Amplitude: toneAmplitude}}
	host, err := Host(ctx, Config{URL: r.URL, Lesson: r.Code, Key: r.HostKey, Name: "主讲", API: api,
		Device: audio.DeviceConfig{Null: true}, Source: src.fill})
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	var heard atomic.Int64
	threshold := 0.3 * toneLevel // -25 dBFS
	rem, err := Join(ctx, Config{URL: r.URL, Lesson: r.Code, Name: "远端", API: api, Device: audio.DeviceConfig{Null: true},
		Tap: func(f []int16) {
			if src.onset.Load() != 0 && heard.Load() == 0 && audio.RMS(f) > threshold {
				heard.Store(time.Now().UnixNano())
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer rem.Close()
	for _, s := range []*Session{host, rem} {
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		if err := s.WaitLive(wctx); err != nil {
			t.Fatal(err)
		}
		cancel()
	}
	time.Sleep(2 * time.Second)
	var lat []time.Duration
	for range 15 {
		src.onset.Store(0)
		heard.Store(0)
		src.on.Store(true)
		time.Sleep(600 * time.Millisecond)
		src.on.Store(false)
		if h, o := heard.Load(), src.onset.Load(); h != 0 && o != 0 {
			lat = append(lat, time.Duration(h-o))
		}
		time.Sleep(600 * time.Millisecond)
	}
	slices.Sort(lat)
	if len(lat) < 10 {
		t.Fatalf("only %d of 15 onsets detected", len(lat))
	}
	t.Logf("mouth-to-ear (software path, loopback), %d onsets: min %v, median %v, max %v; jitter buffer %+v",
		len(lat), lat[0].Round(time.Millisecond), lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond), rem.Voice().Tracks["host-audio"])
	if lat[len(lat)/2] >= 150*time.Millisecond {
		t.Errorf("median %v, goal under 150 ms", lat[len(lat)/2])
	}
}

// TestBenchHostCPU measures the CPU time of the host's process over 20 s
// with 5 remote classrooms listening: the host app in a child process
// (voice capture, gate, Opus, WebRTC, playback device) — once with the relay
// embedded in it (the LAN lesson: the default) and once with the relay
// elsewhere (a district lesson). The host records the lesson, as the app's
// host does. The remotes run in this process.
func TestBenchHostCPU(t *testing.T) {
	benchOnly(t)
	for _, mode := range []string{"host-embedded", "host"} {
		t.Run(mode, func(t *testing.T) {
			ctx := context.Background()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), childEnv+"="+mode)
			var r *lessonRelay
			if mode == "host" {
				r = startRelay(t)
				cmd.Env = append(cmd.Env, "QIAO_TEST_LIVE_URL="+r.URL, "QIAO_TEST_LIVE_LESSON="+r.Code, "QIAO_TEST_LIVE_KEY="+r.HostKey)
			}
			cmd.Stderr = os.Stderr
			stdin, _ := cmd.StdinPipe()
			stdout, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
			out := bufio.NewReader(stdout)
			line, err := out.ReadBytes('\n')
			if err != nil {
				t.Fatal(err)
			}
			var info struct{ URL, Code, Key string }
			if err := json.Unmarshal(line, &info); err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			if r == nil {
				r = &lessonRelay{URL: info.URL}
				r.Code = info.Code
			}
			rems := make([]*participant, 5)
			for i := range rems {
				rems[i] = mustSession(t, ctx, false, r, fmt.Sprintf("远端%d", i+1), 700)
			}
			time.Sleep(3 * time.Second)
			for i, p := range rems {
				h := analyse(p.rec.last(2*time.Second), toneLevel)
				if math.Abs(h.Freq-440) > freqTolerance {
					t.Errorf("remote %d hears %.1f Hz at %.1f dBFS; %+v", i+1, h.Freq, h.Level, p.Voice())
				}
			}
			stdin.Write([]byte("go\n"))
			line, err = out.ReadBytes('\n')
			if err != nil {
				t.Fatal(err)
			}
			var res struct {
				CPU, Wall, Percent float64
			}
			if err := json.Unmarshal(line, &res); err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			t.Logf("%s: host process CPU %.2f s in %.1f s = %.1f%% of one core, 5 remote classrooms", mode, res.CPU, res.Wall, res.Percent)
			if res.Percent >= 15 {
				t.Errorf("%.1f%% of one core, goal under 15%%", res.Percent)
			}
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// childHost runs the host's app in a child process for TestBenchHostCPU.
func childHost(mode string) int {
	ctx := context.Background()
	var r *lessonRelay
	if mode == "host-embedded" {
		var err error
		if r, err = newRelay(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer r.close()
	} else {
		r = &lessonRelay{URL: os.Getenv("QIAO_TEST_LIVE_URL")}
		r.Code, r.HostKey = os.Getenv("QIAO_TEST_LIVE_LESSON"), os.Getenv("QIAO_TEST_LIVE_KEY")
	}
	// The host records the lesson, as the app's host always does.
	dir, err := os.MkdirTemp("", "qiao-bench-rec")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	var rec *recording.Recorder
	hostRecorder = func() (Recorder, error) {
		w, err := recording.Create(filepath.Join(dir, "lesson.qrec"), recording.Header{LessonID: "bench", Started: time.Now()})
		if err != nil {
			return nil, err
		}
		rec = recording.NewRecorder(w, recording.RecorderConfig{})
		return rec, nil
	}
	p, err := startSession(ctx, true, r, "主讲", 440)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { p.Close(); _ = rec.Close() }()
	b, _ := json.Marshal(map[string]string{"URL": r.URL, "Code": r.Code, "Key": r.HostKey})
	os.Stdout.Write(append(b, '\n'))
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return 1
	}
	c0, w0 := cpuTime(), time.Now()
	time.Sleep(20 * time.Second)
	c, w := cpuTime()-c0, time.Since(w0)
	b, _ = json.Marshal(map[string]float64{"CPU": c.Seconds(), "Wall": w.Seconds(), "Percent": 100 * c.Seconds() / w.Seconds()})
	os.Stdout.Write(append(b, '\n'))
	return 0
}
