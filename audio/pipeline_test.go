package audio

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// Tolerances for a tone through the whole voice path, and why:
//   - frequency ±5 Hz: the analysis window is 1 s or more, so the Goertzel
//     sweep resolves 1 Hz; the codec cannot shift a frequency, but concealed
//     frames splice the waveform, which smears energy by a few hertz.
//   - level ±3 dB: Opus keeps a steady tone within 1 dB; concealment of 5%
//     of frames and FEC (coarser, lower-rate copies) cost a little more.
const (
	freqTolerance  = 5.0
	levelTolerance = 3.0
)

// checkTone asserts that got carries the tone freq at level (RMS, linear).
func checkTone(t *testing.T, got []int16, freq, level float64) {
	t.Helper()
	f := DominantFrequency(got, 100, 4000)
	gotLevel := RMS(got)
	// The share of the energy that is the tone, measured in 100 ms windows
	// (a concealed frame shifts the phase, so one long window would not add
	// up coherently): 1 for a pure tone.
	var toneEnergy, energy float64
	for w := 0; w+SampleRate/10 <= len(got); w += SampleRate / 10 {
		win := got[w : w+SampleRate/10]
		a, r := ToneLevel(win, f), RMS(win)
		toneEnergy += a * a / 2
		energy += r * r
	}
	toneShare := math.Sqrt(toneEnergy / energy)
	t.Logf("%.0f Hz at %.1f dBFS in: %.1f Hz at %.1f dBFS out, tone is %.0f%% of the level",
		freq, DBFS(level), f, DBFS(gotLevel), 100*toneShare)
	if math.Abs(f-freq) > freqTolerance {
		t.Errorf("dominant frequency %v Hz, want %v ±%v", f, freq, freqTolerance)
	}
	if d := DBFS(gotLevel) - DBFS(level); math.Abs(d) > levelTolerance {
		t.Errorf("level off by %.1f dB, want within ±%v", d, levelTolerance)
	}
	if toneShare < 0.8 {
		t.Errorf("the tone is only %.0f%% of what arrived: distorted", 100*toneShare)
	}
}

// TestToneThroughCodecNetworkAndJitterBuffer runs a tone through encoder,
// a simulated network (5% random loss, 0-40 ms jitter) and the jitter buffer
// with the real decoder, on a simulated clock.
func TestToneThroughCodecNetworkAndJitterBuffer(t *testing.T) {
	for _, freq := range []float64{440, 1000} {
		for _, loss := range []float64{0, 0.05} {
			enc, err := NewEncoder(EncoderConfig{})
			if err != nil {
				t.Fatal(err)
			}
			dec, err := NewDecoder()
			if err != nil {
				t.Fatal(err)
			}
			jb := NewJitterBuffer(dec, JitterConfig{})
			tone := Tone{Freq: freq, Amplitude: 0.3}
			r := rand.New(rand.NewPCG(uint64(freq), 9))
			type arrival struct {
				at time.Duration
				p  Packet
			}
			const frames = 500 // 10 s
			var net []arrival
			pcm := make([]int16, FrameSamples)
			buf := make([]byte, MaxPacketSize)
			lost := 0
			for i := range frames {
				tone.Fill(pcm)
				n, err := enc.Encode(pcm, buf)
				if err != nil {
					t.Fatal(err)
				}
				if r.Float64() < loss {
					lost++
					continue
				}
				at := time.Duration(i)*FrameDuration + 50*time.Millisecond + time.Duration(r.Int64N(int64(40*time.Millisecond)))
				net = append(net, arrival{at, Packet{Seq: uint16(i), Timestamp: uint32(i) * FrameTicks, Payload: append([]byte(nil), buf[:n]...)}})
			}
			var played []int16
			out := make([]int16, FrameSamples)
			k := 0
			epoch := time.Unix(0, 0)
			for pop := range frames + 20 {
				now := time.Duration(pop)*FrameDuration + 50*time.Millisecond
				for k < len(net) && net[k].at <= now {
					jb.PushAt(net[k].p, epoch.Add(net[k].at))
					k++
				}
				jb.Pop(out)
				played = append(played, out...)
			}
			s := jb.Stats()
			t.Logf("%v Hz, %.0f%% loss (%d lost): %+v", freq, loss*100, lost, s)
			// Past the start-up (buffering, codec warm-up): 9 s.
			checkTone(t, played[SampleRate:], freq, 0.3/math.Sqrt2)
			if loss > 0 && s.RecoveredFEC+s.Concealed < uint64(lost)*8/10 {
				t.Errorf("%d lost but only %d recovered or concealed", lost, s.RecoveredFEC+s.Concealed)
			}
			enc.Close()
			dec.Close()
		}
	}
}

// TestToneThroughDevices is the whole path in real time: a tone as the
// microphone of a capture device on miniaudio's null backend, the encoder,
// a network goroutine with 5% loss and 0-30 ms jitter, the jitter buffer and
// decoder feeding a playback device on the null backend; what the playback
// device played is analysed.
func TestToneThroughDevices(t *testing.T) {
	if testing.Short() {
		t.Skip("real-time test")
	}
	for _, freq := range []float64{440, 1000} {
		t.Run(fmt.Sprint(freq), func(t *testing.T) {
			level := 0.25 / math.Sqrt2
			played, stats := voiceLoop(t, freq, 0.05, 3*time.Second)
			t.Logf("jitter buffer: %+v", stats)
			// Real-time callbacks on a loaded 2-core machine can starve for
			// a moment; the simulated-clock test above checks every frame,
			// this one that some whole second of the last 2.5 s came through.
			checkTone(t, steadiestSecond(played[len(played)-5*SampleRate/2:], level), freq, level)
		})
	}
}

// steadiestSecond returns the one-second window of got, in steps of 100 ms,
// whose level is closest to level.
func steadiestSecond(got []int16, level float64) []int16 {
	best, bestDiff := got[:SampleRate], math.Inf(1)
	for w := 0; w+SampleRate <= len(got); w += SampleRate / 10 {
		win := got[w : w+SampleRate]
		if d := math.Abs(DBFS(RMS(win)) - DBFS(level)); d < bestDiff {
			best, bestDiff = win, d
		}
	}
	return best
}

// voiceLoop runs the real-time path for d and returns what was played.
func voiceLoop(t *testing.T, freq, loss float64, d time.Duration) ([]int16, JitterStats) {
	t.Helper()
	dec, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	jb := NewJitterBuffer(dec, JitterConfig{})

	var mu sync.Mutex
	played := make([]int16, 0, int(d.Seconds()+2)*SampleRate)
	pb, err := OpenPlayback(PlaybackConfig{
		DeviceConfig: DeviceConfig{Null: true},
		Source:       func(out []int16) { jb.Pop(out) },
		Tap: func(f []int16) {
			mu.Lock()
			if len(played)+len(f) <= cap(played) {
				played = append(played, f...)
			}
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer pb.Close()

	tone := Tone{Freq: freq, Amplitude: 0.25}
	capt, err := OpenCapture(CaptureConfig{DeviceConfig: DeviceConfig{Null: true}, Source: tone.Fill})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := NewEncoder(EncoderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the sender: capture, encode, send over a lossy, jittery network
		defer wg.Done()
		defer enc.Close()
		r := rand.New(rand.NewPCG(uint64(freq), 2))
		pcm := make([]int16, FrameSamples)
		buf := make([]byte, MaxPacketSize)
		for seq := uint16(0); ; seq++ {
			if capt.ReadFrame(pcm) != nil {
				return
			}
			n, err := enc.Encode(pcm, buf)
			if err != nil {
				t.Error(err)
				return
			}
			if r.Float64() < loss {
				continue
			}
			p := Packet{Seq: seq, Timestamp: uint32(seq) * FrameTicks, Payload: append([]byte(nil), buf[:n]...)}
			time.AfterFunc(time.Duration(r.Int64N(int64(30*time.Millisecond))), func() { jb.Push(p) })
		}
	}()
	time.Sleep(d)
	capt.Close()
	wg.Wait()
	pb.Close()
	mu.Lock()
	defer mu.Unlock()
	return append([]int16(nil), played...), jb.Stats()
}
