package live

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"qiao/classroom/relay"
)

// Recorder receives a live lesson as the host's session sees it, at lesson
// time (since the session started, monotonic across reconnects).
// *recording.Recorder is one.
type Recorder interface {
	Voice(at time.Duration, packet []byte) error
	Event(at time.Duration, e relay.Event) error
	Slide(at time.Duration, hash string, data []byte) error
}

// errRemoteRecorder: only the host records (it alone sees every event and
// the tally, and holds the voice of whoever speaks).
var errRemoteRecorder = errors.New("live: only the host's session records")

// recTap feeds Config.Recorder from the session (host only):
//   - voice: the host's own Opus packets as encoded (before the network,
//     and on through a reconnect: the classroom still hears its teacher),
//     except while a remote holds the mic; then the Opus payloads of the
//     "floor-audio" track, which carries only the mic holder. So the
//     recording has one speaker at a time.
//   - events: every state-channel event in relay order, the host's own
//     included (the relay echoes them), and the snapshot, deck and strokes
//     the relay sends at each (re)connect: applied in order they reset the
//     state to the relay's, so a replay stays right after an outage.
//   - slides: recordSlide, for the deck transport.
//
// The laser pointer is not recorded. The first error of the recorder is
// kept (RecordErr); recording stops at it, the lesson does not.
type recTap struct {
	r     Recorder
	start time.Time
	floor atomic.Bool // a remote holds the mic

	mu  sync.Mutex
	err error
}

func newRecTap(r Recorder) *recTap { return &recTap{r: r, start: time.Now()} }

func (t *recTap) at() time.Duration { return time.Since(t.start) }

func (t *recTap) failed(err error) {
	if err == nil {
		return
	}
	t.mu.Lock()
	if t.err == nil {
		t.err = err
	}
	t.mu.Unlock()
}

func (t *recTap) stopped() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err != nil
}

// recordEvent records an event the host's client applied; mic is who holds
// the mic after it.
func (s *Session) recordEvent(e relay.Event, self, mic string) {
	t := s.rec
	if t == nil || t.stopped() {
		return
	}
	if e.Type == relay.EvSnapshot || e.Type == relay.EvMic {
		t.floor.Store(mic != "" && mic != self)
	}
	t.failed(t.r.Event(t.at(), e))
}

// recordVoice records an Opus packet: the host's own (own) or the floor's.
func (s *Session) recordVoice(own bool, packet []byte) {
	t := s.rec
	if t == nil || own == t.floor.Load() || t.stopped() {
		return
	}
	t.failed(t.r.Voice(t.at(), packet))
}

// recordSlide records a slide of the deck (SHA-256 hex of data) once; the
// deck transport calls it for every slide it puts.
func (s *Session) recordSlide(hash string, data []byte) {
	t := s.rec
	if t == nil || t.stopped() {
		return
	}
	t.failed(t.r.Slide(t.at(), hash, data))
}

// Recording reports whether the session records, and for how long it has.
func (s *Session) Recording() (bool, time.Duration) {
	if s.rec == nil || s.rec.stopped() {
		return false, 0
	}
	return true, s.rec.at()
}

// RecordErr is why recording stopped, or nil.
func (s *Session) RecordErr() error {
	if s.rec == nil {
		return nil
	}
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	return s.rec.err
}
