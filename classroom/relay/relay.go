package relay

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

// Config configures a Relay.
type Config struct {
	NetConfig
	// MaxParticipants per lesson, host included; 0 means MaxParticipantsDef.
	MaxParticipants int
	// ICEServers (STUN/TURN) for the relay's PeerConnections; usually none:
	// the relay is the reachable end.
	ICEServers []webrtc.ICEServer
	// ResumeGrace is how long a participant whose link went away without a
	// "leave" keeps its place (id, raised hand, mic, resume token), shown to
	// the others as reconnecting; 0 means DefaultResumeGrace, a negative
	// value removes it at once.
	ResumeGrace time.Duration
	// SlideRate bounds the slide bytes per second sent to one participant;
	// 0 means SlideRate (for weak links). A LAN relay sets more.
	SlideRate int
}

// DefaultResumeGrace is Config.ResumeGrace when not set: longer than the
// outages a weak link sees (a 10 s one must not cost a classroom its place).
const DefaultResumeGrace = 30 * time.Second

// Relay hosts lessons by code and forwards their media and events.
type Relay struct {
	cfg      Config
	api      *webrtc.API
	closeAPI func() error
	cert     webrtc.Certificate // one DTLS certificate for every connection

	mu     sync.Mutex
	rooms  map[string]*room
	closed bool
}

// LessonInfo is what Open returns: the code remote classrooms type, and the
// key only the host's app knows.
type LessonInfo struct {
	Code    string
	HostKey string
	About   *About // what the lesson is, if the opener said
}

// ErrLessonExists is returned by Open for a code already open.
var ErrLessonExists = errors.New("relay: a lesson with this code is already open")

// New starts a relay.
func New(cfg Config) (*Relay, error) {
	if cfg.MaxParticipants <= 0 {
		cfg.MaxParticipants = MaxParticipantsDef
	}
	if cfg.ResumeGrace == 0 {
		cfg.ResumeGrace = DefaultResumeGrace
	}
	api, closeAPI, err := NewAPI(cfg.NetConfig)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	cert, err := webrtc.GenerateCertificate(key)
	if err != nil {
		return nil, err
	}
	return &Relay{cfg: cfg, api: api, closeAPI: closeAPI, cert: *cert, rooms: map[string]*room{}}, nil
}

// Open opens a lesson. An empty code draws a fresh 8-digit one.
func (r *Relay) Open(code string) (LessonInfo, error) { return r.OpenAbout(code, nil) }

// OpenAbout opens a lesson that every snapshot describes with about (nil:
// not described). about is validated first; a bad one opens nothing.
func (r *Relay) OpenAbout(code string, about *About) (LessonInfo, error) {
	info := LessonInfo{Code: code, HostKey: newToken(), About: about}
	if err := r.open(&info); err != nil {
		return LessonInfo{}, err
	}
	return info, nil
}

// Reopen opens again a lesson the relay's owner kept (e.g. across a restart
// of the district server), with its code, host key and about, so that its
// participants reconnect as before.
func (r *Relay) Reopen(info LessonInfo) error {
	if len(info.HostKey) < 16 {
		return errors.New("relay: a host key of at least 16 characters is needed")
	}
	return r.open(&info)
}

// open opens lesson info, drawing a code if it has none.
func (r *Relay) open(info *LessonInfo) error {
	if info.About != nil {
		if err := info.About.Validate(); err != nil {
			return err
		}
		a := *info.About
		info.About = &a
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return errors.New("relay: closed")
	}
	if info.Code == "" {
		for {
			info.Code = NewLessonCode()
			if r.rooms[info.Code] == nil {
				break
			}
		}
	}
	if !ValidLessonCode(info.Code) {
		return fmt.Errorf("relay: lesson code %q is not 6 to 12 digits", info.Code)
	}
	if r.rooms[info.Code] != nil {
		return ErrLessonExists
	}
	r.rooms[info.Code] = newRoom(r, *info)
	return nil
}

// CloseLesson ends a lesson: every participant gets "lesson_ended" and is
// disconnected. It reports whether the lesson was open.
func (r *Relay) CloseLesson(code string) bool {
	r.mu.Lock()
	rm := r.rooms[code]
	delete(r.rooms, code)
	r.mu.Unlock()
	if rm == nil {
		return false
	}
	rm.close()
	return true
}

// Close ends every lesson and releases the relay's network resources.
func (r *Relay) Close() error { return r.closeAll(CodeLessonEnded, "the lesson has ended") }

// CloseForRestart releases the relay like Close, but tells participants
// "internal" (try again) rather than "lesson_ended": its owner keeps the
// lessons and reopens them (Reopen) in the relay that replaces this one.
func (r *Relay) CloseForRestart() error {
	return r.closeAll(CodeInternal, "the relay is restarting; reconnect")
}

func (r *Relay) closeAll(code, msg string) error {
	r.mu.Lock()
	rooms := r.rooms
	r.rooms, r.closed = map[string]*room{}, true
	r.mu.Unlock()
	for _, rm := range rooms {
		rm.closeWith(code, msg)
	}
	return r.closeAPI()
}

// LessonStats is a lesson's live counters.
type LessonStats struct {
	Participants int    // present, those reconnecting included
	Reconnecting int    // link lost, place kept for the resume grace
	HostPackets  uint64 // RTP packets of the host's voice forwarded (each to every listener)
	FloorPackets uint64 // RTP packets of the mic holder's voice forwarded
	Seq          uint64 // lesson events so far
}

// Stats returns the counters of lesson code.
func (r *Relay) Stats(code string) (LessonStats, bool) {
	rm := r.room(code)
	if rm == nil {
		return LessonStats{}, false
	}
	rm.mu.Lock()
	defer rm.mu.Unlock()
	away := 0
	for _, q := range rm.parts {
		if q.away {
			away++
		}
	}
	return LessonStats{Participants: len(rm.parts), Reconnecting: away, HostPackets: rm.hostFwd.packets.Load(),
		FloorPackets: rm.floorFwd.packets.Load(), Seq: rm.lesson.seq}, true
}

func (r *Relay) room(code string) *room {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rooms[code]
}

// join admits a participant whose "join" message s arrived on sink.
func (r *Relay) join(s Signal, sink signalSink) (*participant, *ProtocolError) {
	rm := r.room(s.Lesson)
	if rm == nil {
		return nil, perr(CodeLessonUnknown, "no lesson %s is open here; check the code", s.Lesson)
	}
	return rm.join(s, sink)
}

// NewLessonCode draws a random 8-digit lesson code.
func NewLessonCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(90000000))
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("%08d", n.Int64()+10000000)
}

// newToken is 24 random bytes, base64url: host keys and resume tokens.
func newToken() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func sameToken(a, b string) bool {
	return len(a) == len(b) && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
