package audio

import (
	"testing"
	"time"
)

// A remote classroom's voice (1000 Hz) plays through the host's loudspeakers
// and leaks back into the host's microphone 20 dB down, 30 ms later; the host
// speaks (440 Hz) before and after. What the host sends must carry the host's
// voice and next to none of the remote's.
func TestGateDucksEchoOfRemoteVoice(t *testing.T) {
	g := NewGate(GateConfig{})
	t0 := time.Unix(1000, 0)
	host := Tone{Freq: 440, Amplitude: 0.3}
	remote := Tone{Freq: 1000, Amplitude: 0.3}
	echo := Tone{Freq: 1000, Amplitude: 0.03}
	play := make([]int16, FrameSamples)
	mic := make([]int16, FrameSamples)
	var sentDuringRemote, sentAfter, sentBefore []int16
	for k := range 200 { // 4 s
		now := t0.Add(time.Duration(k) * FrameDuration)
		remoteSpeaks := k >= 50 && k < 100 // 1..2 s
		clear(play)
		if remoteSpeaks {
			remote.Fill(play)
		}
		g.Playback(play, now)
		// The microphone hears the echo of what played 30 ms ago (near enough:
		// the previous frame) and, outside the remote's turn, the host.
		clear(mic)
		if k >= 51 && k < 102 {
			echo.Fill(mic)
		}
		if !remoteSpeaks && k < 50 || k >= 120 {
			h := make([]int16, FrameSamples)
			host.Fill(h)
			for i := range mic {
				mic[i] += h[i]
			}
		}
		g.Capture(mic, now)
		switch {
		case k >= 52 && k < 100:
			sentDuringRemote = append(sentDuringRemote, mic...)
		case k >= 125:
			sentAfter = append(sentAfter, mic...)
		case k < 50:
			sentBefore = append(sentBefore, mic...)
		}
	}
	if l := DBFS(ToneLevel(sentDuringRemote, 1000)); l > -60 {
		t.Errorf("echo sent back at %.1f dBFS, want below -60", l)
	}
	if l := DBFS(ToneLevel(sentBefore, 440)); l < -11.5 || l > -10 {
		t.Errorf("host's voice before the remote's turn at %.1f dBFS, want the undisturbed -10.5", l)
	}
	if l := DBFS(ToneLevel(sentAfter, 440)); l < -11.5 || l > -10 {
		t.Errorf("host's voice after the hangover at %.1f dBFS, want the undisturbed -10.5", l)
	}
	if g.DuckedFrames() < 50 {
		t.Errorf("ducked %d frames, want the remote's turn and hangover", g.DuckedFrames())
	}
}

func TestGateHangoverAndQuietPlayback(t *testing.T) {
	g := NewGate(GateConfig{Hangover: 200 * time.Millisecond})
	t0 := time.Unix(1000, 0)
	quiet := make([]int16, FrameSamples)
	(&Tone{Freq: 500, Amplitude: 0.001}).Fill(quiet) // -63 dBFS: room noise, not speech
	g.Playback(quiet, t0)
	if g.FarActive(t0) {
		t.Fatal("quiet playback ducked the microphone")
	}
	loud := make([]int16, FrameSamples)
	(&Tone{Freq: 500, Amplitude: 0.1}).Fill(loud)
	g.Playback(loud, t0)
	if !g.FarActive(t0.Add(190*time.Millisecond)) || g.FarActive(t0.Add(210*time.Millisecond)) {
		t.Fatal("hangover is not 200 ms")
	}
	// No click: ducking ramps down within the frame, never a jump.
	mic := make([]int16, FrameSamples)
	for i := range mic {
		mic[i] = 10000
	}
	g.Capture(mic, t0)
	for i := 1; i < len(mic); i++ {
		if d := int(mic[i-1]) - int(mic[i]); d > 100 || d < 0 {
			t.Fatalf("gain step %d at sample %d", d, i)
		}
	}
}
