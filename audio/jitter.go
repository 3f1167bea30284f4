package audio

import (
	"math"
	"sync"
	"time"
)

// Packet is one 20 ms Opus frame as it travels: an RTP-like sequence number
// (one more per packet, wrapping) and timestamp (48 kHz ticks, FrameTicks per
// frame), and the Opus payload.
type Packet struct {
	Seq       uint16
	Timestamp uint32
	Payload   []byte
}

// FrameDecoder is what the jitter buffer needs from a decoder; *Decoder is one.
type FrameDecoder interface {
	Decode(packet []byte, out []int16) (int, error)
	DecodeFEC(next []byte, out []int16) (int, error)
	Conceal(out []int16) (int, error)
}

// FrameStatus says how Pop made a frame.
type FrameStatus int

const (
	FrameSilence   FrameStatus = iota // nothing to play (not started, building up delay, or a long outage)
	FrameDecoded                      // decoded from its own packet
	FrameFEC                          // recovered from the next packet's in-band FEC
	FrameConcealed                    // made up by loss concealment
)

func (s FrameStatus) String() string {
	return [...]string{"silence", "decoded", "fec", "concealed"}[s]
}

// JitterConfig bounds the jitter buffer's delay. The zero value means 40..200 ms.
type JitterConfig struct {
	MinDelay time.Duration // the least playout delay kept, rounded up to whole frames
	MaxDelay time.Duration // the most; more buffered than this is dropped
}

// JitterStats counts what the jitter buffer did since it was made.
type JitterStats struct {
	Received     uint64        // packets accepted
	Late         uint64        // packets that came after their turn to play, dropped
	Duplicate    uint64        // packets received twice, dropped
	Lost         uint64        // frames whose packet never came in time (recovered by FEC, concealed or skipped)
	RecoveredFEC uint64        // lost frames rebuilt from the next packet's FEC
	Concealed    uint64        // frames made up by concealment (losses and underruns)
	Underruns    uint64        // times Pop found nothing buffered while playing
	Discarded    uint64        // frames dropped to bring the delay back down
	Stretched    uint64        // concealed frames inserted to bring the delay up (also counted in Concealed)
	Resyncs      uint64        // jumps to a far-away sequence number (sender restart, long outage)
	Target       time.Duration // current target delay
	Buffered     time.Duration // audio waiting to be played now
	Jitter       time.Duration // interarrival jitter estimate (RFC 3550)
}

const (
	jitterSlots    = 64  // 1.28 s of 20 ms frames: bounds memory (about 80 KiB)
	concealFrames  = 5   // underrun frames concealed before going silent (PLC fades out by then anyway)
	rebufferFrames = 10  // underrun frames (200 ms) after which the buffer builds its delay up again
	shrinkAfter    = 50  // pops (1 s) with too much buffered before one frame is dropped
	stretchEvery   = 5   // pops (100 ms) at least between two frames inserted to grow the delay
	lateDecay      = 500 // pops (10 s) without a late packet before the late allowance shrinks a frame
)

type jitterSlot struct {
	used bool
	seq  uint16
	ts   uint32
	n    int
	data [MaxPacketSize]byte
}

// JitterBuffer reorders packets by sequence number and plays them out one 20 ms
// frame per Pop, with a delay that adapts to the measured jitter. A missing
// frame is rebuilt from the next packet's in-band FEC when that packet is
// there, otherwise concealed. Push (network goroutine) and Pop (playback
// callback) may run concurrently; neither ever waits for data, and neither
// allocates.
type JitterBuffer struct {
	mu    sync.Mutex
	popMu sync.Mutex // one Pop at a time: the decoder and scratch belong to it

	dec            FrameDecoder
	minFrames      int
	maxFrames      int
	slots          [jitterSlots]jitterSlot
	started        bool // a first packet has arrived
	played         bool // a first frame has been played
	playing        bool // false: building up the target delay, output silence
	next           uint16
	highest        uint16
	count          int // packets in slots
	held           int // underrun frames played since the last real frame
	over           int // consecutive pops with more than target+1 buffered
	sinceStretch   int // pops since a frame was inserted to grow the delay
	lateBoost      int // frames added to the target after late packets
	sinceLate      int
	jitter         float64 // seconds, RFC 3550 estimator
	lastArrival    time.Time
	lastTS         uint32
	haveLast       bool
	stats          JitterStats
	scratch        [MaxPacketSize]byte
	discardScratch [MaxPacketSize]byte
	discardPCM     [FrameSamples]int16
}

// NewJitterBuffer makes a jitter buffer that decodes with dec.
func NewJitterBuffer(dec FrameDecoder, cfg JitterConfig) *JitterBuffer {
	if cfg.MinDelay <= 0 {
		cfg.MinDelay = 40 * time.Millisecond
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = 200 * time.Millisecond
	}
	j := &JitterBuffer{dec: dec}
	j.minFrames = int((cfg.MinDelay + FrameDuration - 1) / FrameDuration)
	j.maxFrames = max(j.minFrames, int(cfg.MaxDelay/FrameDuration))
	j.maxFrames = min(j.maxFrames, jitterSlots/2)
	return j
}

// Push adds a packet that arrived now.
func (j *JitterBuffer) Push(p Packet) { j.PushAt(p, time.Now()) }

// PushAt adds a packet that arrived at the given time. The payload is copied.
func (j *JitterBuffer) PushAt(p Packet, arrival time.Time) {
	if len(p.Payload) == 0 || len(p.Payload) > MaxPacketSize {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.measure(p.Timestamp, arrival)
	if !j.started {
		j.started = true
		j.next, j.highest = p.Seq, p.Seq
	}
	d := int16(p.Seq - j.next)
	switch {
	case d < 0 && !j.played && int(-d) < jitterSlots/2:
		// Nothing played yet: a packet earlier than the first one is not late.
		j.next = p.Seq
	case d < 0:
		if int(-d) < jitterSlots {
			// Late by -d frames: keep that much more delay for a while.
			j.stats.Late++
			j.lateBoost = min(max(j.lateBoost, int(-d)), j.maxFrames)
			j.sinceLate = 0
			return
		}
		j.resync(p.Seq) // far behind: the sender restarted its numbering
	case int(d) >= jitterSlots:
		// Far ahead: a long outage (count what never came), or a restart.
		if j.played {
			j.stats.Lost += uint64(d)
		}
		j.resync(p.Seq)
	}
	s := &j.slots[p.Seq%jitterSlots]
	if s.used && s.seq == p.Seq {
		j.stats.Duplicate++
		return
	}
	if s.used { // an old packet in this slot was never played: it is gone
		j.count--
	}
	s.used, s.seq, s.ts, s.n = true, p.Seq, p.Timestamp, copy(s.data[:], p.Payload)
	j.count++
	j.stats.Received++
	if int16(p.Seq-j.highest) > 0 || j.count == 1 {
		j.highest = p.Seq
	}
}

// measure updates the interarrival jitter estimate (RFC 3550, 6.4.1).
func (j *JitterBuffer) measure(ts uint32, arrival time.Time) {
	if j.haveLast {
		sent := float64(int32(ts-j.lastTS)) / RTPClockRate
		got := arrival.Sub(j.lastArrival).Seconds()
		j.jitter += (math.Abs(got-sent) - j.jitter) / 16
	}
	j.lastTS, j.lastArrival, j.haveLast = ts, arrival, true
}

func (j *JitterBuffer) resync(seq uint16) {
	for i := range j.slots {
		j.slots[i].used = false
	}
	j.count = 0
	j.next, j.highest = seq, seq
	j.playing = false
	j.held = 0
	j.stats.Resyncs++
}

// target is the playout delay to keep, in frames: one frame plus three times
// the jitter, plus a frame for each recent late packet, within min..max.
func (j *JitterBuffer) target() int {
	t := 1 + int(math.Ceil(3*j.jitter/FrameDuration.Seconds())) + j.lateBoost
	return min(max(t, j.minFrames), j.maxFrames)
}

// depth is the number of frames from next to the newest packet.
func (j *JitterBuffer) depth() int {
	if j.count == 0 {
		return 0
	}
	d := int(int16(j.highest-j.next)) + 1
	return max(d, 0)
}

// earliest is the lowest buffered sequence number at or after next.
func (j *JitterBuffer) earliest() (uint16, bool) {
	for i := 0; i < jitterSlots; i++ {
		s := &j.slots[(j.next+uint16(i))%jitterSlots]
		if s.used && s.seq == j.next+uint16(i) {
			return s.seq, true
		}
	}
	return 0, false
}

// take removes packet seq from its slot into dst.
func (j *JitterBuffer) take(seq uint16, dst []byte) (int, bool) {
	s := &j.slots[seq%jitterSlots]
	if !s.used || s.seq != seq {
		return 0, false
	}
	n := copy(dst, s.data[:s.n])
	s.used = false
	j.count--
	return n, true
}

func (j *JitterBuffer) peek(seq uint16, dst []byte) (int, bool) {
	s := &j.slots[seq%jitterSlots]
	if !s.used || s.seq != seq {
		return 0, false
	}
	return copy(dst, s.data[:s.n]), true
}

type popAction int

const (
	actSilence popAction = iota
	actDecode
	actFEC
	actConceal
)

// Pop writes the next 20 ms frame to play into out (at least FrameSamples
// long) and says how it was made. It never waits: with nothing to play it
// conceals, then writes silence.
func (j *JitterBuffer) Pop(out []int16) FrameStatus {
	out = out[:FrameSamples]
	j.popMu.Lock()
	defer j.popMu.Unlock()

	j.mu.Lock()
	act, n, discardN := j.plan()
	j.mu.Unlock()

	if discardN > 0 { // keep the decoder's state continuous across a dropped frame
		j.dec.Decode(j.discardScratch[:discardN], j.discardPCM[:])
	}
	var err error
	switch act {
	case actDecode:
		_, err = j.dec.Decode(j.scratch[:n], out)
	case actFEC:
		_, err = j.dec.DecodeFEC(j.scratch[:n], out)
	case actConceal:
		_, err = j.dec.Conceal(out)
	}
	if err != nil && act != actConceal { // a corrupt packet: conceal it instead
		j.mu.Lock()
		if act == actFEC {
			j.stats.RecoveredFEC--
		} else {
			j.stats.Lost++
		}
		j.stats.Concealed++
		j.mu.Unlock()
		act = actConceal
		_, err = j.dec.Conceal(out)
	}
	if act == actSilence || err != nil {
		clear(out)
		return FrameSilence
	}
	return [...]FrameStatus{actDecode: FrameDecoded, actFEC: FrameFEC, actConceal: FrameConcealed}[act]
}

// plan decides, under the lock, what Pop does, and copies the payload it needs.
func (j *JitterBuffer) plan() (act popAction, n, discardN int) {
	j.sinceLate++
	if j.sinceLate >= lateDecay && j.lateBoost > 0 {
		j.lateBoost--
		j.sinceLate = 0
	}
	target := j.target()
	if !j.playing {
		e, ok := j.earliest()
		if !ok {
			return actSilence, 0, 0
		}
		if e != j.next { // after an outage: skip what never came
			j.stats.Lost += uint64(uint16(e - j.next))
			j.next = e
		}
		if j.depth() < target {
			return actSilence, 0, 0
		}
		j.playing, j.played, j.held, j.over = true, true, 0, 0
	}

	depth := j.depth()
	if depth > target+1 {
		j.over++
	} else {
		j.over = 0
	}
	if depth > j.maxFrames+1 || (j.over >= shrinkAfter && j.held == 0) {
		// Too much delay: drop the oldest frame.
		var ok bool
		discardN, ok = j.take(j.next, j.discardScratch[:])
		if !ok {
			discardN = 0
			j.stats.Lost++
		}
		j.next++
		j.stats.Discarded++
		j.over = 0
		depth--
	}

	if depth <= 0 {
		// Underrun: nothing to play. Conceal (or stay silent) without moving
		// on, so the delay grows by a frame and the packet can still be played
		// if it is only late.
		j.stats.Underruns++
		j.held++
		if j.held > rebufferFrames {
			j.playing = false
			return actSilence, 0, discardN
		}
		if j.held > concealFrames {
			return actSilence, 0, discardN
		}
		j.stats.Concealed++
		return actConceal, 0, discardN
	}
	j.sinceStretch++
	if j.held == 0 && depth < target-1 && j.sinceStretch >= stretchEvery {
		// Too little delay for the jitter seen: insert a concealed frame
		// (the delay grows by one frame) rather than wait for an underrun.
		j.sinceStretch = 0
		j.stats.Stretched++
		j.stats.Concealed++
		return actConceal, 0, discardN
	}
	if j.held > 0 {
		// Packets are back after an underrun. The frames played meanwhile
		// stood in for missing ones: skip as many missing ones, but only as
		// far as keeps the target delay, so an underrun grows a delay that
		// was too short (and a lost frame may then still come back by FEC).
		if e, ok := j.earliest(); ok {
			skip := min(int(uint16(e-j.next)), j.held, max(0, depth-target))
			j.next += uint16(skip)
			j.stats.Lost += uint64(skip)
		}
		j.held = 0
	}
	if n, ok := j.take(j.next, j.scratch[:]); ok {
		j.next++
		return actDecode, n, discardN
	}
	// Lost: the next packet is buffered or later ones are.
	j.stats.Lost++
	j.next++
	if n, ok := j.peek(j.next, j.scratch[:]); ok {
		j.stats.RecoveredFEC++
		return actFEC, n, discardN
	}
	j.stats.Concealed++
	return actConceal, 0, discardN
}

// Stats returns a snapshot of the counters and delays.
func (j *JitterBuffer) Stats() JitterStats {
	j.mu.Lock()
	defer j.mu.Unlock()
	s := j.stats
	s.Target = time.Duration(j.target()) * FrameDuration
	s.Buffered = time.Duration(j.depth()) * FrameDuration
	s.Jitter = time.Duration(j.jitter * float64(time.Second))
	return s
}
