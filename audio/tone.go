package audio

import "math"

// Tone is a synthetic sine source: the microphone's stand-in in tests and a
// sound check. Amplitude is a fraction of full scale (0..1); the RMS level
// of the tone is Amplitude/√2.
type Tone struct {
	Freq      float64 // hertz
	Amplitude float64 // 0..1 of full scale
	phase     float64
}

// Fill writes the next len(buf) samples of the tone into buf.
func (t *Tone) Fill(buf []int16) {
	step := 2 * math.Pi * t.Freq / SampleRate
	for i := range buf {
		buf[i] = int16(math.Round(t.Amplitude * 32767 * math.Sin(t.phase)))
		t.phase += step
		if t.phase > 2*math.Pi {
			t.phase -= 2 * math.Pi
		}
	}
}
