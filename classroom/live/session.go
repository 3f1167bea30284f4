// Package live is one participant's live lesson: the relay client
// (classroom/relay) and the voice pipeline (audio) put together, with
// reconnection. The host's app runs a Session made by Host, a remote
// classroom's app one made by Join.
//
// Voice out: capture (a device, or Config.Source as the microphone) → the
// half-duplex echo gate (host) → Opus encoder (DefaultBitrate, in-band FEC) → RTP
// (payload type 111, 48 kHz clock: 960 ticks per 20 ms frame) → Client.Mic.
// The host always sends; a remote classroom sends only while it holds the
// mic (View().Mic is its own id), so its loudspeakers can never loop back.
//
// Voice in: every track the relay sends ("host-audio", "floor-audio") gets
// its own Opus decoder and jitter buffer; a Mixer sums them into the
// playback device. Config.Tap sees every frame played.
//
// Nothing here blocks the caller: Host and Join start goroutines and return;
// the state (connecting, live, reconnecting, ended) is reported by
// Config.OnState, State and Changed. A dropped link reconnects with the
// resume token and exponential backoff; the relay sends a fresh snapshot.
package live

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"qiao/audio"
	"qiao/classroom/relay"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// State is a session's connection state, for the UI.
type State int

const (
	Connecting   State = iota // first connection under way
	Live                      // connected and in sync with the lesson
	Reconnecting              // the link dropped; trying again with the resume token
	Ended                     // closed, the lesson ended, or the relay refused us for good (Err)
)

func (s State) String() string {
	return [...]string{"connecting", "live", "reconnecting", "ended"}[s]
}

// OpusPayloadType is the payload type the relay negotiates for Opus.
const OpusPayloadType = 111

// DefaultBitrate is the lesson's Opus bit rate. At 50 packets a second the
// headers (RTP, SRTP, IP and UDP) add about 20 kbit/s, so 16 kbit/s of
// voice keeps a remote classroom's whole lesson, board included, under
// 48 kbit/s (docs/BENCHMARKS.md).
const DefaultBitrate = 16000

// Config configures a Session.
type Config struct {
	URL    string // the relay's signalling endpoint (ws:// or wss://)
	Lesson string // lesson code
	Name   string // the classroom's name as others see it
	Key    string // host key (Host only)
	Resume string // resume token of an earlier session (optional)

	API        *webrtc.API // nil: relay.NewAPI(NetConfig{})
	HTTPHeader http.Header // with the WebSocket upgrade (district: signed-request headers)
	// DialHeader, when set, gives the upgrade's headers afresh for every
	// dial instead of HTTPHeader (the district accepts a signature once).
	DialHeader func() (http.Header, error)
	HTTPClient *http.Client

	// Device chooses the audio devices (Null: miniaudio's null backend).
	Device audio.DeviceConfig
	// Source, when set, stands in for the microphone (a Tone's Fill); the
	// capture device still paces it.
	Source func(buf []int16)
	// Capture, when set, replaces the capture device altogether (tests).
	Capture FrameSource
	// NoPlayback opens no playback device (a listener that only analyses Tap
	// must still be paced: leave it false for real-time tests).
	NoPlayback bool
	// Tap sees every 20 ms frame as it is played (meters, tests). It runs on
	// the device thread: it must not block or keep the slice.
	Tap func(frame []int16)
	// SendTap sees every frame as it goes to the encoder (after the gate).
	SendTap func(frame []int16)

	Bitrate      int // Opus bit rate, bit/s; 0 means DefaultBitrate
	ExpectedLoss int // percent, for the encoder's FEC; 0 means 10

	// OnState is called on every state change, from a session goroutine.
	OnState func(State)
	// OnEvent sees every lesson event after the view is updated (from pion's
	// data-channel goroutine: do not block in it).
	OnEvent func(relay.Event)
	// OnLaser sees laser pointer positions.
	OnLaser func(relay.Event)
	// Recorder, when set, records the lesson (host only; see recTap).
	Recorder Recorder
	// Slides caches slides by hash; nil is a MemCache. A remote fetches
	// what it lacks when a deck arrives; Changed fires when one lands.
	Slides SlideCache
	// OnSlide is called when a fetched slide has landed in Slides (remote).
	OnSlide func(hash string)
	// SlideRate bounds the host's slide upload, bytes/s; 0 means
	// relay.SlideRate (weak links). A LAN lesson sets more.
	SlideRate int

	// Backoff bounds the reconnect delays; 0 means 500 ms to 8 s.
	MinBackoff, MaxBackoff time.Duration
	// LiveTimeout: a connection that is not in sync within this long is
	// dropped and tried again; 0 means 30 s.
	LiveTimeout time.Duration
}

// FrameSource hands out 20 ms frames of 16 kHz mono audio (audio.Capture is one).
type FrameSource interface {
	ReadFrame(out []int16) error
	Close()
}

// ErrNotLive is returned by actions while the session has no connection.
var ErrNotLive = errors.New("live: not connected to the lesson")

// Session is one participant's live lesson.
type Session struct {
	cfg  Config
	role relay.Role

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	capt  FrameSource
	pb    *audio.Playback
	mixer audio.Mixer
	gate  *audio.Gate // host only

	mu       sync.Mutex
	client   *relay.Client
	state    State
	changed  chan struct{} // closed and replaced on every state change
	err      error
	lastView relay.View
	id       string
	resume   string
	tracks   map[string]*inTrack
	reconn   int

	holding atomic.Bool // a remote holds the mic (the host always sends)
	rec     *recTap     // nil when not recording
	deck    deckState   // host: the deck and what the relay holds of it
	stats   voiceStats
	done    chan struct{}
}

type voiceStats struct {
	framesSent   atomic.Uint64
	payloadSent  atomic.Uint64
	packetsRecv  atomic.Uint64
	payloadRecv  atomic.Uint64
	framesPlayed atomic.Uint64
}

type inTrack struct {
	jb  *audio.JitterBuffer
	src audio.MixerSource
}

// Host starts the host's session: it dials the relay with the host key and
// sends its microphone for the whole lesson.
func Host(ctx context.Context, cfg Config) (*Session, error) {
	return start(ctx, cfg, relay.RoleHost)
}

// Join starts a remote classroom's session.
func Join(ctx context.Context, cfg Config) (*Session, error) {
	return start(ctx, cfg, relay.RoleRemote)
}

func start(ctx context.Context, cfg Config, role relay.Role) (*Session, error) {
	if cfg.URL == "" || cfg.Lesson == "" || cfg.Name == "" {
		return nil, errors.New("live: URL, lesson and name are needed")
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 8 * time.Second
	}
	if cfg.LiveTimeout <= 0 {
		cfg.LiveTimeout = 30 * time.Second
	}
	if cfg.Bitrate == 0 {
		cfg.Bitrate = DefaultBitrate
	}
	if cfg.Recorder != nil && role != relay.RoleHost {
		return nil, errRemoteRecorder
	}
	if cfg.ExpectedLoss == 0 {
		cfg.ExpectedLoss = 10
	}
	if cfg.Slides == nil {
		cfg.Slides = &MemCache{}
	}
	if cfg.API == nil {
		api, _, err := relay.NewAPI(relay.NetConfig{})
		if err != nil {
			return nil, err
		}
		cfg.API = api
	}
	s := &Session{cfg: cfg, role: role, changed: make(chan struct{}), tracks: map[string]*inTrack{},
		done: make(chan struct{}), resume: cfg.Resume}
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	if role == relay.RoleHost {
		s.gate = audio.NewGate(audio.GateConfig{})
	}
	if cfg.Recorder != nil {
		s.rec = newRecTap(cfg.Recorder)
	}
	enc, err := audio.NewEncoder(audio.EncoderConfig{Bitrate: cfg.Bitrate, ExpectedLoss: cfg.ExpectedLoss})
	if err != nil {
		return nil, err
	}
	if cfg.Capture != nil {
		s.capt = cfg.Capture
	} else {
		c, err := audio.OpenCapture(audio.CaptureConfig{DeviceConfig: cfg.Device, Source: cfg.Source})
		if err != nil {
			enc.Close()
			return nil, err
		}
		s.capt = c
	}
	if !cfg.NoPlayback {
		pb, err := audio.OpenPlayback(audio.PlaybackConfig{DeviceConfig: cfg.Device, Source: s.mixer.Fill, Tap: s.played})
		if err != nil {
			enc.Close()
			s.capt.Close()
			return nil, err
		}
		s.pb = pb
	}
	s.wg.Add(2)
	go s.sendVoice(enc)
	go s.run()
	go func() {
		s.wg.Wait()
		s.capt.Close()
		if s.pb != nil {
			s.pb.Close()
		}
		close(s.done)
	}()
	return s, nil
}

// played runs on the playback device's thread for every frame played.
func (s *Session) played(frame []int16) {
	s.stats.framesPlayed.Add(1)
	if s.gate != nil {
		s.gate.Playback(frame, time.Now())
	}
	if s.cfg.Tap != nil {
		s.cfg.Tap(frame)
	}
}

func (s *Session) setState(st State, err error) {
	s.mu.Lock()
	if s.state == st || s.state == Ended {
		s.mu.Unlock()
		return
	}
	s.state = st
	if err != nil {
		s.err = err
	}
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	if s.cfg.OnState != nil {
		s.cfg.OnState(st)
	}
}

// State returns the current state.
func (s *Session) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// notify closes Changed without a state change (a slide arrived).
func (s *Session) notify() {
	s.mu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// Changed returns a channel closed at the next state change or when a
// slide arrives.
func (s *Session) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// WaitLive waits until the session is live (or ended, with its error).
func (s *Session) WaitLive(ctx context.Context) error {
	for {
		ch := s.Changed()
		switch s.State() {
		case Live:
			return nil
		case Ended:
			if err := s.Err(); err != nil {
				return err
			}
			return errors.New("live: session ended")
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Err is why the session ended (nil after Close).
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Done is closed when the session has ended and its devices are closed.
func (s *Session) Done() <-chan struct{} { return s.done }

// ID is the participant id the relay gave (kept across reconnects).
func (s *Session) ID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.id
}

// Reconnects counts the reconnections so far.
func (s *Session) Reconnects() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reconn
}

// Close leaves the lesson and closes the devices; it waits for the
// session's goroutines.
func (s *Session) Close() {
	s.cancel()
	s.capt.Close() // unblocks the sender
	<-s.done
}

// Drop closes the current connection as a broken link would (tests and a
// "reconnect" button): the session reconnects with its resume token and
// keeps its id, hand and mic (the relay keeps its place for a grace).
func (s *Session) Drop() {
	if c := s.current(); c != nil {
		c.Drop()
	}
}

func (s *Session) current() *relay.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.client
}

// permanent tells refusals that trying again cannot fix.
func permanent(err error) bool {
	var pe *relay.ProtocolError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case relay.CodeLessonUnknown, relay.CodeLessonEnded, relay.CodeNotHost, relay.CodeLessonFull, relay.CodeBadMessage, relay.CodeBadVersion:
		return true
	}
	return false
}

// run connects, waits for the link to drop, and reconnects until closed.
func (s *Session) run() {
	defer s.wg.Done()
	backoff := s.cfg.MinBackoff
	first := true
	for {
		if s.ctx.Err() != nil {
			s.setState(Ended, nil)
			return
		}
		if !first {
			s.setState(Reconnecting, nil)
		}
		c, err := s.dial()
		if err != nil {
			var pe *relay.ProtocolError
			if errors.As(err, &pe) && pe.Code == relay.CodeWrongState && s.resumeToken() != "" {
				s.setResume("") // a stale token: join afresh
			} else if permanent(err) {
				s.setState(Ended, err)
				return
			}
			select {
			case <-time.After(backoff):
			case <-s.ctx.Done():
			}
			backoff = min(2*backoff, s.cfg.MaxBackoff)
			first = false
			continue
		}
		if !first {
			s.mu.Lock()
			s.reconn++
			s.mu.Unlock()
		}
		first = false
		if s.live(c) {
			backoff = s.cfg.MinBackoff
		}
		s.mu.Lock()
		s.lastView = c.View()
		s.client = nil
		s.mu.Unlock()
		if err := c.Err(); permanent(err) { // the host ended the lesson
			c.Close()
			s.setState(Ended, err)
			return
		}
		if s.ctx.Err() != nil {
			c.Close() // Close: leave the lesson for good
		} else {
			c.Drop() // the link dropped: the relay keeps our place to resume
		}
	}
}

func (s *Session) resumeToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resume
}

func (s *Session) setResume(t string) {
	s.mu.Lock()
	s.resume = t
	s.mu.Unlock()
}

func (s *Session) dial() (*relay.Client, error) {
	ctx, cancel := context.WithTimeout(s.ctx, 15*time.Second)
	defer cancel()
	var c *relay.Client
	var cmu sync.Mutex
	var ready = make(chan struct{})
	header := s.cfg.HTTPHeader
	if s.cfg.DialHeader != nil {
		var err error
		if header, err = s.cfg.DialHeader(); err != nil {
			return nil, err
		}
	}
	cfg := relay.ClientConfig{URL: s.cfg.URL, Lesson: s.cfg.Lesson, Role: s.role, Name: s.cfg.Name, Key: s.cfg.Key,
		Resume: s.resumeToken(), API: s.cfg.API, HTTPHeader: header, HTTPClient: s.cfg.HTTPClient,
		OnLaser: s.cfg.OnLaser, SlideRate: s.cfg.SlideRate,
		OnEvent: func(e relay.Event) {
			<-ready
			cmu.Lock()
			cl := c
			cmu.Unlock()
			mic := ""
			if e.Type == relay.EvSnapshot || e.Type == relay.EvMic {
				mic = cl.View().Mic
				s.holding.Store(mic == cl.ID)
			}
			if s.role != relay.RoleHost && (e.Type == relay.EvDeck || e.Type == relay.EvPage) {
				s.fetchSlides(cl)
			}
			s.recordEvent(e, cl.ID, mic)
			if s.cfg.OnEvent != nil {
				s.cfg.OnEvent(e)
			}
		},
		OnTrack: s.receive,
		OnSlide: s.slideArrived,
		OnSlideMsg: func(m relay.SlideMsg) {
			<-ready
			cmu.Lock()
			cl := c
			cmu.Unlock()
			s.slideMsg(cl, m)
		},
	}
	cl, err := relay.Dial(ctx, cfg)
	if err != nil {
		close(ready)
		return nil, err
	}
	cmu.Lock()
	c = cl
	cmu.Unlock()
	close(ready)
	s.mu.Lock()
	s.client, s.id, s.resume = cl, cl.ID, cl.Resume
	s.mu.Unlock()
	return cl, nil
}

// live runs one connection until it drops; it reports whether it got live.
func (s *Session) live(c *relay.Client) bool {
	pcFailed := make(chan struct{})
	var once sync.Once
	var synced atomic.Bool
	c.PeerConnection().OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		switch st {
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			once.Do(func() { close(pcFailed) })
		case webrtc.PeerConnectionStateDisconnected:
			// ICE lost the path (an outage): say so honestly; ICE keeps
			// trying for 30 s before the connection fails and is redialled.
			if synced.Load() {
				s.setState(Reconnecting, nil)
			}
		case webrtc.PeerConnectionStateConnected:
			if synced.Load() {
				s.setState(Live, nil)
			}
		}
	})
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.LiveTimeout)
	err := c.WaitSynced(ctx)
	cancel()
	if err != nil {
		return false
	}
	synced.Store(true)
	s.setState(Live, nil)
	s.newConnSlides(c)
	select {
	case <-c.Done():
	case <-pcFailed:
		// A relay that ends the lesson says why on the signalling socket
		// and closes the media at once: give the word a moment to arrive,
		// so the session ends instead of redialling a lesson that is gone.
		select {
		case <-c.Done():
		case <-time.After(signalGrace):
		case <-s.ctx.Done():
		}
	case <-s.ctx.Done():
	}
	return true
}

// signalGrace is how long a session whose media closed waits for the
// relay's reason on the signalling socket before it redials.
const signalGrace = time.Second

// sendVoice reads the capture, gates, encodes and sends while allowed.
func (s *Session) sendVoice(enc *audio.Encoder) {
	defer s.wg.Done()
	defer enc.Close()
	var b [4]byte
	_, _ = rand.Read(b[:])
	ssrc := binary.BigEndian.Uint32(b[:])
	seq := uint16(ssrc >> 7)
	ts := ssrc * 3
	pcm := make([]int16, audio.FrameSamples)
	buf := make([]byte, audio.MaxPacketSize)
	talking := false
	pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: OpusPayloadType, SSRC: ssrc}}
	for {
		if s.capt.ReadFrame(pcm) != nil || s.ctx.Err() != nil {
			return
		}
		ts += audio.FrameTicks
		if s.gate != nil {
			s.gate.Capture(pcm, time.Now())
		}
		c := s.current()
		// Offline, the host still encodes when it records: its classroom hears it.
		if (c == nil && s.rec == nil) || (s.role != relay.RoleHost && !s.holding.Load()) {
			talking = false
			continue
		}
		if s.cfg.SendTap != nil {
			s.cfg.SendTap(pcm)
		}
		n, err := enc.Encode(pcm, buf)
		if err != nil {
			continue
		}
		s.recordVoice(true, buf[:n])
		if c == nil {
			talking = false
			continue
		}
		pkt.Marker = !talking
		talking = true
		pkt.SequenceNumber = seq
		pkt.Timestamp = ts
		pkt.Payload = buf[:n]
		seq++
		if c.Mic.WriteRTP(pkt) == nil {
			s.stats.framesSent.Add(1)
			s.stats.payloadSent.Add(uint64(n))
		}
	}
}

// receive plays one incoming track until it ends (runs on pion's goroutine).
func (s *Session) receive(t *webrtc.TrackRemote) {
	dec, err := audio.NewDecoder()
	if err != nil {
		return
	}
	in := &inTrack{jb: audio.NewJitterBuffer(dec, audio.JitterConfig{})}
	in.src = s.mixer.Add(func(out []int16) { in.jb.Pop(out) })
	s.mu.Lock()
	s.tracks[t.ID()] = in
	s.mu.Unlock()
	defer func() {
		s.mixer.Remove(in.src)
		s.mu.Lock()
		if s.tracks[t.ID()] == in {
			delete(s.tracks, t.ID())
		}
		s.mu.Unlock()
		// The playback callback may still be inside Pop with the old
		// source list: close the decoder once it surely is not.
		time.AfterFunc(time.Second, dec.Close)
	}()
	buf := make([]byte, 1500)
	var p rtp.Packet
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			return
		}
		if p.Unmarshal(buf[:n]) != nil {
			continue
		}
		if t.ID() == "floor-audio" {
			s.recordVoice(false, p.Payload)
		}
		s.stats.packetsRecv.Add(1)
		s.stats.payloadRecv.Add(uint64(len(p.Payload)))
		in.jb.Push(audio.Packet{Seq: p.SequenceNumber, Timestamp: p.Timestamp, Payload: p.Payload})
	}
}
