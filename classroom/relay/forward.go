package relay

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// forwarder sends the RTP packets of one logical stream ("the host's voice",
// "the voice of whoever holds the mic") to a set of outgoing tracks, without
// decoding them. The source may change (mic hand-over, a reconnecting host):
// it then shifts sequence numbers and timestamps so every listener sees one
// continuous stream. pion rewrites SSRC and payload type per listener; header
// extensions are dropped, since their ids are negotiated per connection.
type forwarder struct {
	clock uint32 // RTP clock rate, for the timestamp gap at a source change
	dests atomic.Pointer[[]*webrtc.TrackLocalStaticRTP]

	mu       sync.Mutex
	src      any // the source's identity (its *webrtc.TrackRemote)
	seqOff   uint16
	tsOff    uint32
	lastSeq  uint16 // last sequence number sent
	lastTS   uint32 // last timestamp sent
	lastWall time.Time
	firstIn  uint16 // the current source's first sequence number, as it sent it
	started  bool
	packets  atomic.Uint64 // packets forwarded (each to every listener)
}

func newForwarder(clock uint32) *forwarder {
	f := &forwarder{clock: clock}
	f.dests.Store(&[]*webrtc.TrackLocalStaticRTP{})
	return f
}

// setDests replaces the listeners.
func (f *forwarder) setDests(d []*webrtc.TrackLocalStaticRTP) { f.dests.Store(&d) }

// forward sends p from src to every listener. p is changed in place. A
// packet of the current source older than its first one (reordered across a
// source change) is dropped: its number would collide with the old source's.
func (f *forwarder) forward(src any, p *rtp.Packet) {
	f.mu.Lock()
	now := time.Now()
	if f.started && src == f.src && int16(p.SequenceNumber-f.firstIn) < 0 {
		f.mu.Unlock()
		return
	}
	if !f.started || src != f.src {
		f.firstIn = p.SequenceNumber
		if f.started {
			gap := uint32(now.Sub(f.lastWall).Seconds()*float64(f.clock)) + f.clock/50
			f.seqOff = f.lastSeq + 1 - p.SequenceNumber
			f.tsOff = f.lastTS + gap - p.Timestamp
			p.Marker = true // a new talkspurt
		} else {
			f.seqOff, f.tsOff = 0, 0
		}
		f.src, f.started = src, true
	}
	p.SequenceNumber += f.seqOff
	p.Timestamp += f.tsOff
	if int16(p.SequenceNumber-f.lastSeq) > 0 || f.lastWall.IsZero() {
		f.lastSeq, f.lastTS, f.lastWall = p.SequenceNumber, p.Timestamp, now
	}
	f.mu.Unlock()

	p.Extension, p.Extensions, p.ExtensionProfile = false, nil, 0
	for _, t := range *f.dests.Load() {
		_ = t.WriteRTP(p) // a listener not yet connected has no binding; a gone one is removed soon
	}
	f.packets.Add(1)
}
