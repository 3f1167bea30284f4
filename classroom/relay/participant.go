package relay

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Buffer limits on the relay's data channels to one participant. A
// participant whose state channel backs up past maxStateBuffered is dropped
// (it reconnects and gets a fresh snapshot); laser points past
// maxLaserBuffered are skipped.
const (
	maxStateBuffered = 2 << 20
	maxLaserBuffered = 16 << 10
)

// signalSink is the signalling connection of one participant. Send never
// blocks: a sink that cannot keep up closes itself.
type signalSink interface {
	Send(Signal)
	Close(code, message string)
}

// participant is one classroom's connection to the relay.
type participant struct {
	room   *room
	peer   Peer
	sink   signalSink
	resume string

	pc       *webrtc.PeerConnection
	hostOut  *webrtc.TrackLocalStaticRTP // the host's voice, to this participant
	floorOut *webrtc.TrackLocalStaticRTP // the mic holder's voice, to this participant
	state    *webrtc.DataChannel
	laser    *webrtc.DataChannel
	slides   *webrtc.DataChannel
	up       assembler  // the slide the host is uploading (slides channel goroutine)
	queue    slideQueue // slides still to send to this participant
	link     linkMeter  // its link's quality, for the host

	// guarded by room.mu
	ready    bool        // snapshot sent; receives events
	replaced bool        // a resumed connection took this one's place
	away     bool        // link lost; place kept until grace fires or a resume
	grace    *time.Timer // the resume grace, while away

	mu        sync.Mutex
	offerSent bool
	pending   []Candidate
	closeOnce sync.Once
}

// connect creates the PeerConnection with its transceivers and channels:
//
//	m=0 audio sendrecv: the host's voice to p; p's microphone from p
//	m=1 audio sendonly: the mic holder's voice to p
//	m=2 application:    "state" (id 0) and "laser" (id 1), negotiated
func (p *participant) connect(r *Relay) error {
	pc, err := r.api.NewPeerConnection(webrtc.Configuration{
		ICEServers:   r.cfg.ICEServers,
		Certificates: []webrtc.Certificate{r.cert},
		BundlePolicy: webrtc.BundlePolicyMaxBundle,
	})
	if err != nil {
		return err
	}
	p.pc = pc
	fail := func(err error) error { _ = pc.Close(); return err }
	if p.hostOut, err = webrtc.NewTrackLocalStaticRTP(opusCodec.RTPCodecCapability, "host-audio", "lesson"); err != nil {
		return fail(err)
	}
	if p.floorOut, err = webrtc.NewTrackLocalStaticRTP(opusCodec.RTPCodecCapability, "floor-audio", "lesson"); err != nil {
		return fail(err)
	}
	t0, err := pc.AddTransceiverFromTrack(p.hostOut, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
	if err != nil {
		return fail(err)
	}
	t1, err := pc.AddTransceiverFromTrack(p.floorOut, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		return fail(err)
	}
	for _, s := range []*webrtc.RTPSender{t0.Sender(), t1.Sender()} {
		go p.link.readRTCP(s)
	}
	if p.state, p.laser, p.slides, err = createChannels(pc); err != nil {
		return fail(err)
	}
	p.slides.OnMessage(p.onSlides)
	p.state.OnOpen(func() { p.room.ready(p) })
	p.state.OnMessage(func(m webrtc.DataChannelMessage) {
		e, err := DecodeEvent(m.Data, false)
		if err != nil {
			p.sendError(err)
			return
		}
		p.room.apply(p, e)
	})
	p.laser.OnMessage(func(m webrtc.DataChannelMessage) {
		e, err := DecodeEvent(m.Data, true)
		if err != nil {
			return // lossy channel: no error replies
		}
		p.room.laser(p, e)
	})
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { p.readTrack(t) })
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		cand := candidateOf(c)
		p.mu.Lock()
		if !p.offerSent {
			p.pending = append(p.pending, cand)
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		p.sink.Send(Signal{V: ProtocolVersion, Type: TypeCandidate, Candidate: &cand})
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateFailed {
			go p.close("", "")
		}
	})
	return nil
}

// createChannels makes the three negotiated data channels; the client
// makes the same ones (see Client).
func createChannels(pc *webrtc.PeerConnection) (state, laser, slides *webrtc.DataChannel, err error) {
	yes, no := true, false
	var sid, lid, slid uint16 = StateChannelID, LaserChannelID, SlidesChannelID
	var zero uint16
	state, err = pc.CreateDataChannel(StateChannel, &webrtc.DataChannelInit{Negotiated: &yes, ID: &sid, Ordered: &yes})
	if err != nil {
		return nil, nil, nil, err
	}
	laser, err = pc.CreateDataChannel(LaserChannel, &webrtc.DataChannelInit{Negotiated: &yes, ID: &lid, Ordered: &no, MaxRetransmits: &zero})
	if err != nil {
		return nil, nil, nil, err
	}
	slides, err = pc.CreateDataChannel(SlidesChannel, &webrtc.DataChannelInit{Negotiated: &yes, ID: &slid, Ordered: &yes})
	return state, laser, slides, err
}

// offer sends the relay's offer, then any candidates gathered meanwhile.
func (p *participant) offer() error {
	o, err := p.pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	if err := p.pc.SetLocalDescription(o); err != nil {
		return err
	}
	p.sink.Send(Signal{V: ProtocolVersion, Type: TypeOffer, SDP: o.SDP})
	p.mu.Lock()
	pending := p.pending
	p.pending, p.offerSent = nil, true
	p.mu.Unlock()
	for i := range pending {
		p.sink.Send(Signal{V: ProtocolVersion, Type: TypeCandidate, Candidate: &pending[i]})
	}
	return nil
}

// handle applies a signalling message after join (answer, candidate).
func (p *participant) handle(s Signal) *ProtocolError {
	switch s.Type {
	case TypeAnswer:
		if p.pc.SignalingState() != webrtc.SignalingStateHaveLocalOffer {
			return perr(CodeWrongState, "no offer is waiting for an answer")
		}
		if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: s.SDP}); err != nil {
			return perr(CodeBadMessage, "answer refused: %v", err)
		}
	case TypeCandidate:
		c := s.Candidate
		if c.Candidate == "" {
			return nil // end of candidates
		}
		if p.pc.RemoteDescription() == nil {
			return perr(CodeWrongState, "candidate before the answer")
		}
		if err := p.pc.AddICECandidate(webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid,
			SDPMLineIndex: c.SDPMLineIndex, UsernameFragment: c.UsernameFragment}); err != nil {
			return perr(CodeBadMessage, "candidate refused: %v", err)
		}
	case TypeJoin:
		return perr(CodeWrongState, "already joined")
	default:
		return perr(CodeUnknownType, "type %q not accepted after join", s.Type)
	}
	return nil
}

// readTrack forwards p's microphone: the host's always, a remote's only
// while it holds the mic. Other kinds (video, later) are read and dropped.
func (p *participant) readTrack(t *webrtc.TrackRemote) {
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	host := p.peer.Role == RoleHost
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			return
		}
		if t.Kind() != webrtc.RTPCodecTypeAudio || pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		p.link.rtp(pkt.SequenceNumber)
		switch {
		case host:
			p.room.hostFwd.forward(t, &pkt)
		case p.room.mic.Load() == p:
			p.room.floorFwd.forward(t, &pkt)
		}
	}
}

// sendState sends one encoded event on the state channel (room.mu held).
func (p *participant) sendState(b []byte) {
	if err := p.state.Send(b); err != nil {
		return
	}
	if p.state.BufferedAmount() > maxStateBuffered {
		go p.close(CodeSlow, "the link could not keep up; reconnect to get the lesson state")
	}
}

func (p *participant) sendLaser(b []byte) {
	if p.laser.ReadyState() == webrtc.DataChannelStateOpen && p.laser.BufferedAmount() < maxLaserBuffered {
		_ = p.laser.Send(b)
	}
}

func (p *participant) sendError(err error) {
	pe, ok := err.(*ProtocolError)
	if !ok {
		pe = perr(CodeInternal, "%v", err)
	}
	b, _ := json.Marshal(Event{Type: EvError, From: RelayID, Code: pe.Code, Message: pe.Message})
	if p.state.ReadyState() == webrtc.DataChannelStateOpen {
		_ = p.state.Send(b)
	}
}

// close ends p's connection because its link went away or broke (the
// signalling socket closed without a "leave", the PeerConnection failed,
// the participant could not keep up): its signalling gets an error (if
// code is set) and closes, its PeerConnection closes, and the lesson keeps
// its place for the resume grace (room.lost).
func (p *participant) close(code, message string) { p.end(code, message, false) }

// leave ends p's connection and removes it from the lesson at once (an
// explicit "leave", or a client the relay refuses to keep).
func (p *participant) leave(code, message string) { p.end(code, message, true) }

func (p *participant) end(code, message string, leave bool) {
	p.closeOnce.Do(func() {
		if leave {
			p.room.leave(p, ReasonClosed)
		} else {
			p.room.lost(p)
		}
		if code != "" {
			p.sink.Send(Signal{V: ProtocolVersion, Type: TypeError, Code: code, Message: message})
		}
		p.sink.Close(code, message)
		_ = p.pc.Close()
	})
}

// stopGrace stops the resume grace timer (room.mu held).
func (p *participant) stopGrace() {
	if p.grace != nil {
		p.grace.Stop()
		p.grace = nil
	}
}

func drainRTCP(s *webrtc.RTPSender) {
	buf := make([]byte, 1500)
	for {
		if _, _, err := s.Read(buf); err != nil {
			return
		}
	}
}
