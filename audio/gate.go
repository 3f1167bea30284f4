package audio

import (
	"math"
	"sync/atomic"
	"time"
)

// GateConfig tunes a Gate. The zero value gives the classroom defaults.
type GateConfig struct {
	// Threshold is the playback level (dBFS, RMS of a 20 ms frame) above
	// which the far end counts as speaking; 0 means -45 dBFS.
	Threshold float64
	// Hangover keeps the microphone ducked this long after the far end's last
	// loud frame, for the room's reverberation and the devices' buffers;
	// 0 means 250 ms.
	Hangover time.Duration
	// Attenuation is the gain in dB applied to the microphone while ducked;
	// 0 means -40 dB (as good as muted, without a hard gate's clicks).
	Attenuation float64
}

// Gate is a half-duplex echo guard for the host: while a remote classroom's
// voice is being played through the host's loudspeakers (and for a hangover
// after), the host's microphone is ducked, so the remote classroom never hears
// itself back and the loop can never howl. The playback side reports what it
// plays (Playback), the capture side applies the gain (Capture); they may run
// on different threads.
type Gate struct {
	threshold float64 // linear RMS
	hangover  time.Duration
	floor     float64 // linear gain while ducked

	farUntil atomic.Int64 // unix ns until which the far end counts as speaking
	ducked   atomic.Uint64

	gain float64 // capture side only: the gain reached at the end of the last frame
}

// NewGate makes a gate.
func NewGate(cfg GateConfig) *Gate {
	if cfg.Threshold == 0 {
		cfg.Threshold = -45
	}
	if cfg.Hangover <= 0 {
		cfg.Hangover = 250 * time.Millisecond
	}
	if cfg.Attenuation == 0 {
		cfg.Attenuation = -40
	}
	return &Gate{
		threshold: math.Pow(10, cfg.Threshold/20),
		hangover:  cfg.Hangover,
		floor:     math.Pow(10, cfg.Attenuation/20),
		gain:      1,
	}
}

// Playback notes a frame about to be played through the loudspeakers at now.
func (g *Gate) Playback(frame []int16, now time.Time) {
	if RMS(frame) >= g.threshold {
		g.farUntil.Store(now.Add(g.hangover).UnixNano())
	}
}

// FarActive reports whether the far end counts as speaking at now (its voice,
// or the hangover after it).
func (g *Gate) FarActive(now time.Time) bool {
	return now.UnixNano() < g.farUntil.Load()
}

// Capture applies the gate to a microphone frame captured at now, in place,
// and reports whether the frame was ducked. The gain moves smoothly across
// the frame, so ducking never clicks.
func (g *Gate) Capture(frame []int16, now time.Time) bool {
	want := 1.0
	duck := g.FarActive(now)
	if duck {
		want = g.floor
		g.ducked.Add(1)
	}
	if want == 1 && g.gain == 1 {
		return false
	}
	start, n := g.gain, float64(len(frame))
	for i, s := range frame {
		gain := start + (want-start)*float64(i+1)/n
		frame[i] = int16(math.Round(float64(s) * gain))
	}
	g.gain = want
	return duck
}

// DuckedFrames counts the microphone frames ducked so far.
func (g *Gate) DuckedFrames() uint64 { return g.ducked.Load() }
