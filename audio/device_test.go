package audio

import (
	"math"
	"sync"
	"testing"
	"time"
)

func TestCaptureFromToneOnNullBackend(t *testing.T) {
	tone := Tone{Freq: 440, Amplitude: 0.25}
	c, err := OpenCapture(CaptureConfig{DeviceConfig: DeviceConfig{Null: true}, Source: tone.Fill})
	if err != nil {
		t.Fatal(err)
	}
	var got []int16
	frame := make([]int16, FrameSamples)
	for range 25 { // 0.5 s
		if err := c.ReadFrame(frame); err != nil {
			t.Fatal(err)
		}
		got = append(got, frame...)
	}
	c.Close()
	if err := c.ReadFrame(frame); err != ErrClosed {
		t.Fatalf("read after close: %v", err)
	}
	if f := DominantFrequency(got, 200, 2000); math.Abs(f-440) > 1 {
		t.Errorf("captured %v Hz, want 440", f)
	}
	if l := RMS(got); math.Abs(DBFS(l)-DBFS(0.25/math.Sqrt2)) > 0.2 {
		t.Errorf("captured level %.2f dBFS", DBFS(l))
	}
}

func TestPlaybackPullsFramesOnNullBackend(t *testing.T) {
	tone := Tone{Freq: 1000, Amplitude: 0.25}
	var mu sync.Mutex
	var played []int16
	done := make(chan struct{})
	p, err := OpenPlayback(PlaybackConfig{
		DeviceConfig: DeviceConfig{Null: true},
		Source:       tone.Fill,
		Tap: func(f []int16) {
			mu.Lock()
			defer mu.Unlock()
			if len(played) < 25*FrameSamples {
				played = append(played, f...)
				if len(played) == 25*FrameSamples {
					close(done)
				}
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the null device did not pull 0.5 s of audio in 10 s")
	}
	p.Close()
	mu.Lock()
	defer mu.Unlock()
	if f := DominantFrequency(played, 200, 2000); math.Abs(f-1000) > 1 {
		t.Errorf("played %v Hz, want 1000", f)
	}
}

func TestRingOverwritesOldest(t *testing.T) {
	q := newRing(4)
	q.write([]int16{1, 2, 3, 4, 5, 6})
	out := make([]int16, 4)
	if !q.read(out) || out[0] != 3 || out[3] != 6 || q.dropped != 2 {
		t.Fatalf("ring: %v dropped %d", out, q.dropped)
	}
	if q.read(out[:1]) {
		t.Fatal("read from an empty ring")
	}
}
