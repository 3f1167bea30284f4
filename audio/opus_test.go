package audio

import (
	"math"
	"strings"
	"testing"
)

func TestOpusVersion(t *testing.T) {
	// The headers in libopus/ are copied from the same release as the linked
	// archive; a different archive would show here first.
	if v := OpusVersion(); !strings.HasPrefix(v, "libopus 1.3") {
		t.Fatalf("linked %q, want libopus 1.3.x (headers in audio/libopus are 1.3.1)", v)
	}
}

// encodeTone encodes seconds of a tone and returns the packets.
func encodeTone(t testing.TB, cfg EncoderConfig, tone Tone, frames int) ([][]byte, []int16) {
	t.Helper()
	enc, err := NewEncoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	var packets [][]byte
	var src []int16
	pcm := make([]int16, FrameSamples)
	buf := make([]byte, MaxPacketSize)
	for range frames {
		tone.Fill(pcm)
		src = append(src, pcm...)
		n, err := enc.Encode(pcm, buf)
		if err != nil {
			t.Fatal(err)
		}
		packets = append(packets, append([]byte(nil), buf[:n]...))
	}
	return packets, src
}

func TestEncodeDecodeTone(t *testing.T) {
	for _, freq := range []float64{440, 1000} {
		packets, _ := encodeTone(t, EncoderConfig{}, Tone{Freq: freq, Amplitude: 0.3}, 100)
		var bytes int
		for _, p := range packets {
			bytes += len(p)
		}
		kbps := float64(bytes*8) / 2 / 1000 // 100 frames = 2 s
		if kbps < 12 || kbps > 30 {
			t.Errorf("%v Hz: %.1f kbit/s, want about 24", freq, kbps)
		}
		dec, err := NewDecoder()
		if err != nil {
			t.Fatal(err)
		}
		var out []int16
		frame := make([]int16, FrameSamples)
		for _, p := range packets {
			n, err := dec.Decode(p, frame)
			if err != nil || n != FrameSamples {
				t.Fatalf("decode: %d, %v", n, err)
			}
			out = append(out, frame...)
		}
		dec.Close()
		tail := out[len(out)/2:] // past the codec's start-up
		if f := DominantFrequency(tail, 200, 2000); math.Abs(f-freq) > 2 {
			t.Errorf("%v Hz came out as %v Hz", freq, f)
		}
		want := 0.3 / math.Sqrt2
		if got := RMS(tail); math.Abs(DBFS(got)-DBFS(want)) > 1 {
			t.Errorf("%v Hz: level %.1f dBFS, want %.1f dBFS ±1", freq, DBFS(got), DBFS(want))
		}
		t.Logf("%v Hz: %.1f kbit/s, out level %.2f dBFS (in %.2f)", freq, kbps, DBFS(RMS(tail)), DBFS(want))
	}
}

// TestFECBeatsConcealment: a frame recovered from the next packet's FEC is
// much closer to the original than one made up by concealment.
func TestFECBeatsConcealment(t *testing.T) {
	// A chirp-like signal so concealment (which extrapolates) cannot guess it.
	tone := Tone{Freq: 300, Amplitude: 0.3}
	enc, err := NewEncoder(EncoderConfig{ExpectedLoss: 20})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	const frames = 60
	var packets [][]byte
	var src [][]int16
	buf := make([]byte, MaxPacketSize)
	for i := range frames {
		pcm := make([]int16, FrameSamples)
		tone.Freq = 300 + float64(i%7)*90 // steps in pitch every frame
		tone.Fill(pcm)
		src = append(src, pcm)
		n, err := enc.Encode(pcm, buf)
		if err != nil {
			t.Fatal(err)
		}
		packets = append(packets, append([]byte(nil), buf[:n]...))
	}
	// Decode twice: losing every 5th frame, once concealing and once with FEC.
	errFor := func(useFEC bool) float64 {
		dec, _ := NewDecoder()
		defer dec.Close()
		var diff, ref float64
		out := make([]int16, FrameSamples)
		clean, _ := NewDecoder()
		defer clean.Close()
		cleanOut := make([]int16, FrameSamples)
		for i, p := range packets {
			clean.Decode(p, cleanOut)
			lost := i > 10 && i%5 == 0 && i+1 < frames
			switch {
			case lost && useFEC:
				if _, err := dec.DecodeFEC(packets[i+1], out); err != nil {
					t.Fatal(err)
				}
			case lost:
				if _, err := dec.Conceal(out); err != nil {
					t.Fatal(err)
				}
			default:
				if _, err := dec.Decode(p, out); err != nil {
					t.Fatal(err)
				}
			}
			if lost {
				for k := range out {
					d := float64(out[k]) - float64(cleanOut[k])
					diff += d * d
					ref += float64(cleanOut[k]) * float64(cleanOut[k])
				}
			}
		}
		return diff / ref
	}
	plc, fec := errFor(false), errFor(true)
	t.Logf("relative error on lost frames: concealment %.3f, FEC %.3f", plc, fec)
	if !(fec < plc/2) {
		t.Errorf("FEC error %.3f not well below concealment's %.3f: is FEC in the packets?", fec, plc)
	}
}

func TestCodecRejectsBadInput(t *testing.T) {
	enc, _ := NewEncoder(EncoderConfig{})
	defer enc.Close()
	if _, err := enc.Encode(make([]int16, 100), make([]byte, MaxPacketSize)); err == nil {
		t.Error("encode of a short frame succeeded")
	}
	dec, _ := NewDecoder()
	defer dec.Close()
	out := make([]int16, FrameSamples)
	if _, err := dec.Decode([]byte{0xff, 0xff, 0xff}, out); err == nil {
		t.Error("decode of garbage succeeded")
	}
	if _, err := dec.Decode(nil, out); err == nil {
		t.Error("decode of an empty packet succeeded")
	}
	if _, err := dec.Conceal(make([]int16, 10)); err == nil {
		t.Error("conceal into a short buffer succeeded")
	}
}

func TestEncoderSettings(t *testing.T) {
	enc, err := NewEncoder(EncoderConfig{DTX: true, Bitrate: 16000})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	if got := enc.Bitrate(); got != 16000 {
		t.Errorf("bitrate %d, want 16000", got)
	}
	if err := enc.SetBitrate(20000); err != nil || enc.Bitrate() != 20000 {
		t.Errorf("set bitrate: %v, now %d", err, enc.Bitrate())
	}
	if err := enc.SetExpectedLoss(5); err != nil {
		t.Error(err)
	}
	if err := enc.SetExpectedLoss(101); err == nil {
		t.Error("expected loss of 101% accepted")
	}
	// With DTX, silence costs next to nothing once the encoder has settled.
	silence := make([]int16, FrameSamples)
	buf := make([]byte, MaxPacketSize)
	var bytes int
	for i := range 100 {
		n, err := enc.Encode(silence, buf)
		if err != nil {
			t.Fatal(err)
		}
		if i >= 50 {
			bytes += n
		}
	}
	if bytes > 50*3 {
		t.Errorf("1 s of silence with DTX took %d bytes", bytes)
	}
	if _, err := NewEncoder(EncoderConfig{Bitrate: 1}); err == nil {
		t.Error("a 1 bit/s encoder was made")
	}
}
