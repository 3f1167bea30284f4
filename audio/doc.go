// Package audio is the classroom's voice pipeline: Opus encode and decode
// (libopus through a small cgo wrapper), a jitter buffer with in-band FEC and
// loss concealment, capture and playback devices over miniaudio (malgo), and a
// half-duplex gate that keeps the host from sending a remote classroom's voice
// back to it. It knows nothing about WebRTC: it produces and consumes Opus
// payloads with RTP-like sequence numbers and timestamps. See
// docs/classroom-audio.md.
package audio
