package audio

import "math"

// RMS is the root mean square of samples as a fraction of full scale (0..1).
func RMS(samples []int16) float64 {
	if len(samples) == 0 {
		return 0
	}
	var sum float64
	for _, s := range samples {
		v := float64(s) / 32768
		sum += v * v
	}
	return math.Sqrt(sum / float64(len(samples)))
}

// DBFS converts a level (fraction of full scale) to decibels relative to full
// scale; silence gives -120.
func DBFS(level float64) float64 {
	if level <= 1e-6 {
		return -120
	}
	return 20 * math.Log10(level)
}

// ToneLevel measures the amplitude (fraction of full scale) of the component of
// samples at freq hertz, with the Goertzel algorithm: a pure tone of amplitude
// A gives A, other frequencies give close to 0.
func ToneLevel(samples []int16, freq float64) float64 {
	n := len(samples)
	if n == 0 {
		return 0
	}
	w := 2 * math.Pi * freq / SampleRate
	coeff := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range samples {
		s0 := float64(x)/32768 + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2
	if power < 0 {
		power = 0
	}
	return 2 * math.Sqrt(power) / float64(n)
}

// DominantFrequency finds the frequency between lo and hi hertz where
// samples have the most energy, to within about a tenth of a hertz: a sweep
// in 5 Hz steps, then a finer one around the peak.
func DominantFrequency(samples []int16, lo, hi float64) float64 {
	sweep := func(lo, hi, step float64) float64 {
		best, bestLevel := lo, -1.0
		for f := lo; f <= hi; f += step {
			if l := ToneLevel(samples, f); l > bestLevel {
				best, bestLevel = f, l
			}
		}
		return best
	}
	f := sweep(lo, hi, 5)
	f = sweep(max(lo, f-5), min(hi, f+5), 0.5)
	return sweep(max(lo, f-0.5), min(hi, f+0.5), 0.1)
}
