package audio

import (
	"testing"
	"time"
)

// The CPU budget: the host app under 15% of one core with 5 remote
// classrooms. Each benchmark reports its cost as a share of one core for one
// real-time stream ("%core"): ns per 20 ms frame / 20 ms.
func reportCore(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(FrameDuration.Nanoseconds())*100, "%core")
}

func voiceFrames(n int) [][]int16 {
	tone := Tone{Freq: 220, Amplitude: 0.3}
	frames := make([][]int16, n)
	for i := range frames {
		frames[i] = make([]int16, FrameSamples)
		tone.Fill(frames[i])
		tone.Freq = 180 + float64(i%25)*8 // a moving pitch, closer to speech than a steady tone
	}
	return frames
}

// BenchmarkEncodeDecode20ms encodes and decodes one 20 ms frame: one talker
// and one listener.
func BenchmarkEncodeDecode20ms(b *testing.B) {
	enc, _ := NewEncoder(EncoderConfig{})
	defer enc.Close()
	dec, _ := NewDecoder()
	defer dec.Close()
	frames := voiceFrames(50)
	pkt := make([]byte, MaxPacketSize)
	out := make([]int16, FrameSamples)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		n, err := enc.Encode(frames[i%len(frames)], pkt)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := dec.Decode(pkt[:n], out); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportCore(b)
}

func BenchmarkEncode20ms(b *testing.B) {
	enc, _ := NewEncoder(EncoderConfig{})
	defer enc.Close()
	frames := voiceFrames(50)
	pkt := make([]byte, MaxPacketSize)
	i := 0
	for b.Loop() {
		enc.Encode(frames[i%len(frames)], pkt)
		i++
	}
	reportCore(b)
}

// BenchmarkJitterPushPopDecode20ms is the receiving side of one stream:
// a packet into the jitter buffer, a frame out through the real decoder.
func BenchmarkJitterPushPopDecode20ms(b *testing.B) {
	enc, _ := NewEncoder(EncoderConfig{})
	defer enc.Close()
	var packets [][]byte
	pkt := make([]byte, MaxPacketSize)
	for _, f := range voiceFrames(50) {
		n, _ := enc.Encode(f, pkt)
		packets = append(packets, append([]byte(nil), pkt[:n]...))
	}
	dec, _ := NewDecoder()
	defer dec.Close()
	jb := NewJitterBuffer(dec, JitterConfig{})
	out := make([]int16, FrameSamples)
	t0 := time.Unix(0, 0)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		jb.PushAt(Packet{Seq: uint16(i), Timestamp: uint32(i) * FrameTicks, Payload: packets[i%len(packets)]}, t0.Add(time.Duration(i)*FrameDuration))
		jb.Pop(out)
		i++
	}
	reportCore(b)
}
