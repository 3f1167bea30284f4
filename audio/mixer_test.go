package audio

import (
	"math"
	"testing"
)

func TestMixerSumsAndClips(t *testing.T) {
	var m Mixer
	out := make([]int16, FrameSamples)
	m.Fill(out)
	if RMS(out) != 0 {
		t.Fatal("an empty mixer is not silent")
	}
	a, b := Tone{Freq: 440, Amplitude: 0.2}, Tone{Freq: 1000, Amplitude: 0.2}
	sa := m.Add(a.Fill)
	m.Add(b.Fill)
	var got []int16
	for range 50 {
		m.Fill(out)
		got = append(got, out...)
	}
	for _, f := range []float64{440, 1000} {
		if l := ToneLevel(got, f); math.Abs(l-0.2) > 0.01 {
			t.Errorf("%v Hz mixed at %.3f, want 0.2", f, l)
		}
	}
	m.Remove(sa)
	m.Fill(out)
	if l := ToneLevel(out, 440); l > 0.01 {
		t.Errorf("removed source still heard at %.3f", l)
	}
	loud := func(o []int16) {
		for i := range o {
			o[i] = 30000
		}
	}
	m.Add(loud)
	m.Add(loud)
	m.Fill(out)
	for _, v := range out {
		if v < 0 && v > -1000 { // wrapped instead of clipped
			t.Fatalf("overflow wrapped to %d", v)
		}
	}
	if allocs := testing.AllocsPerRun(100, func() { m.Fill(out) }); allocs > 0 {
		t.Errorf("Fill allocates %v times", allocs)
	}
}
