package audio

import "time"

// The one audio format of the classroom: mono, 16 kHz (Opus wideband), signed
// 16-bit samples, 20 ms frames.
const (
	SampleRate    = 16000                    // samples per second
	FrameDuration = 20 * time.Millisecond    // one Opus frame
	FrameSamples  = SampleRate * 20 / 1000   // 320 samples in a frame
	RTPClockRate  = 48000                    // Opus RTP timestamps always count at 48 kHz (RFC 7587)
	FrameTicks    = RTPClockRate * 20 / 1000 // 960 timestamp ticks per frame
	MaxPacketSize = 1275                     // largest Opus packet for one frame (RFC 6716)
)
