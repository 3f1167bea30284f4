package relay

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/webrtc/v4"
)

// ClientConfig configures a participant's side of a lesson.
type ClientConfig struct {
	URL    string // the signalling endpoint, ws://host:port/path or wss://…
	Lesson string
	Role   Role
	Name   string
	Key    string // the host key (role host)
	Resume string // resume token of an earlier session, to keep one's id, hand and mic

	// API for the PeerConnection; nil builds one with NewAPI(NetConfig{}).
	API *webrtc.API
	// HTTPHeader goes with the WebSocket upgrade (qiao-district: the signed-request headers).
	HTTPHeader http.Header
	// HTTPClient for the upgrade (e.g. one that pins the district's certificate).
	HTTPClient *http.Client

	OnEvent    func(Event)                    // every state-channel event, in order, after the view is updated
	OnLaser    func(Event)                    // laser pointer positions
	OnTrack    func(*webrtc.TrackRemote)      // "host-audio" or "floor-audio" from the relay
	OnSignal   func(Signal)                   // joined, left and error messages after the join
	OnSlide    func(hash string, data []byte) // a slide arrived, its hash verified
	OnSlideMsg func(SlideMsg)                 // stored and want messages from the relay (host)
	SlideRate  int                            // upload bytes per second; 0 means SlideRate
}

// View is a client's mirror of the lesson state, kept from the snapshot and
// the events that follow it.
type View struct {
	Seq     uint64
	Page    int
	Deck    []string
	Mic     string
	Hands   []string
	Quiz    *QuizState
	Strokes map[string]int // stroke id → page
	Peers   []Peer
	Chat    []Event             // the last ChatKept chat messages
	Synced  bool                // the snapshot and everything after it has arrived
	Err     *Event              // the last error event from the relay
	Links   map[string]LinkInfo // host only: each remote classroom's link, by participant id
	About   *About              // what the lesson is, from the snapshot (nil if not said)
}

// Client is one participant's connection to a relay: the signalling socket,
// the PeerConnection, the microphone track and the two data channels. The
// app's classroom screens and the tests drive a lesson through it.
type Client struct {
	ID     string                      // participant id the relay gave
	Resume string                      // token for reconnecting as the same participant
	Roster []Peer                      // who was present at join
	Mic    *webrtc.TrackLocalStaticRTP // write the microphone's Opus RTP here

	cfg    ClientConfig
	ws     *websocket.Conn
	pc     *webrtc.PeerConnection
	state  *webrtc.DataChannel
	laser  *webrtc.DataChannel
	slides *webrtc.DataChannel
	up     slideSender // uploads (host)
	down   assembler   // the slide arriving (slides channel goroutine)

	mu        sync.Mutex
	view      View
	pendingSt int // strokes still to come after the snapshot
	synced    chan struct{}
	answered  bool
	pending   []Candidate
	done      chan struct{}
	closeOnce sync.Once
	hungUp    *ProtocolError // the error the relay sent before hanging up
}

// Dial joins a lesson. It returns once the relay has admitted the client
// (or refused it, with a *ProtocolError); media and the snapshot follow —
// WaitSynced waits for the snapshot.
func Dial(ctx context.Context, cfg ClientConfig) (*Client, error) {
	api := cfg.API
	if api == nil {
		var err error
		if api, _, err = NewAPI(NetConfig{}); err != nil {
			return nil, err
		}
	}
	ws, _, err := websocket.Dial(ctx, cfg.URL, &websocket.DialOptions{Subprotocols: []string{Subprotocol},
		HTTPHeader: cfg.HTTPHeader, HTTPClient: cfg.HTTPClient})
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(4 * MaxSignalBytes)
	c := &Client{cfg: cfg, ws: ws, synced: make(chan struct{}), done: make(chan struct{})}
	c.view.Strokes = map[string]int{}
	if err := c.send(ctx, Signal{V: ProtocolVersion, Type: TypeJoin, Lesson: cfg.Lesson, Role: cfg.Role, Name: cfg.Name, Key: cfg.Key, Resume: cfg.Resume}); err != nil {
		ws.CloseNow()
		return nil, err
	}
	_, b, err := ws.Read(ctx)
	if err != nil {
		ws.CloseNow()
		return nil, err
	}
	var j Signal
	if err := json.Unmarshal(b, &j); err != nil {
		ws.CloseNow()
		return nil, err
	}
	if j.Type == TypeError {
		ws.CloseNow()
		return nil, &ProtocolError{Code: j.Code, Message: j.Message}
	}
	if j.Type != TypeJoined || j.You == "" {
		ws.CloseNow()
		return nil, errors.New("relay: expected joined, got " + truncate(j.Type, 32))
	}
	c.ID, c.Resume, c.Roster = j.You, j.Resume, j.Roster
	if err := c.setup(api); err != nil {
		ws.CloseNow()
		return nil, err
	}
	go c.readSignals()
	return c, nil
}

func (c *Client) setup(api *webrtc.API) error {
	pc, err := api.NewPeerConnection(webrtc.Configuration{BundlePolicy: webrtc.BundlePolicyMaxBundle})
	if err != nil {
		return err
	}
	c.pc = pc
	if c.Mic, err = webrtc.NewTrackLocalStaticRTP(opusCodec.RTPCodecCapability, "mic", c.ID); err != nil {
		return err
	}
	tr, err := pc.AddTransceiverFromTrack(c.Mic, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
	if err != nil {
		return err
	}
	go drainRTCP(tr.Sender())
	if c.state, c.laser, c.slides, err = createChannels(pc); err != nil {
		return err
	}
	c.slides.OnMessage(c.onSlides)
	c.state.OnMessage(func(m webrtc.DataChannelMessage) {
		var e Event
		if json.Unmarshal(m.Data, &e) != nil {
			return
		}
		c.applyEvent(e)
		if c.cfg.OnEvent != nil {
			c.cfg.OnEvent(e)
		}
	})
	c.laser.OnMessage(func(m webrtc.DataChannelMessage) {
		var e Event
		if json.Unmarshal(m.Data, &e) == nil && c.cfg.OnLaser != nil {
			c.cfg.OnLaser(e)
		}
	})
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if c.cfg.OnTrack != nil {
			c.cfg.OnTrack(t)
			return
		}
		buf := make([]byte, 1500)
		for {
			if _, _, err := t.Read(buf); err != nil {
				return
			}
		}
	})
	pc.OnICECandidate(func(ic *webrtc.ICECandidate) {
		cand := candidateOf(ic)
		c.mu.Lock()
		if !c.answered {
			c.pending = append(c.pending, cand)
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		_ = c.send(context.Background(), Signal{V: ProtocolVersion, Type: TypeCandidate, Candidate: &cand})
	})
	return nil
}

func (c *Client) readSignals() {
	defer c.shutdown(false) // the relay hung up or the link broke: no leave

	for {
		_, b, err := c.ws.Read(context.Background())
		if err != nil {
			return
		}
		var s Signal
		if json.Unmarshal(b, &s) != nil {
			continue
		}
		switch s.Type {
		case TypeOffer:
			if err := c.answer(s.SDP); err != nil {
				return
			}
		case TypeError:
			c.mu.Lock()
			c.hungUp = &ProtocolError{Code: s.Code, Message: s.Message}
			c.mu.Unlock()
			if c.cfg.OnSignal != nil {
				c.cfg.OnSignal(s)
			}
		case TypeCandidate:
			if s.Candidate != nil && s.Candidate.Candidate != "" {
				_ = c.pc.AddICECandidate(webrtc.ICECandidateInit{Candidate: s.Candidate.Candidate, SDPMid: s.Candidate.SDPMid,
					SDPMLineIndex: s.Candidate.SDPMLineIndex, UsernameFragment: s.Candidate.UsernameFragment})
			}
		default:
			c.peerSignal(s)
			if c.cfg.OnSignal != nil {
				c.cfg.OnSignal(s)
			}
		}
	}
}

// peerSignal keeps View.Peers from joined, left and reconnecting messages.
func (c *Client) peerSignal(s Signal) {
	if s.Participant == nil || s.Participant.ID == c.ID {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	v := &c.view
	i := slices.IndexFunc(v.Peers, func(p Peer) bool { return p.ID == s.Participant.ID })
	switch s.Type {
	case TypeJoined, TypeReconnecting:
		if i >= 0 {
			v.Peers[i] = *s.Participant
		} else {
			v.Peers = append(v.Peers, *s.Participant)
			slices.SortFunc(v.Peers, func(a, b Peer) int { return cmpID(a.ID, b.ID) })
		}
	case TypeLeft:
		if i >= 0 {
			v.Peers = slices.Delete(v.Peers, i, i+1)
		}
	}
	if s.Type != TypeJoined {
		delete(v.Links, s.Participant.ID) // measured again once it is back
	}
}

// cmpID orders participant ids as the relay's roster does (as strings).
func cmpID(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (c *Client) answer(sdp string) error {
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		return err
	}
	a, err := c.pc.CreateAnswer(nil)
	if err != nil {
		return err
	}
	if err := c.pc.SetLocalDescription(a); err != nil {
		return err
	}
	if err := c.send(context.Background(), Signal{V: ProtocolVersion, Type: TypeAnswer, SDP: a.SDP}); err != nil {
		return err
	}
	c.mu.Lock()
	pending := c.pending
	c.pending, c.answered = nil, true
	c.mu.Unlock()
	for i := range pending {
		if err := c.send(context.Background(), Signal{V: ProtocolVersion, Type: TypeCandidate, Candidate: &pending[i]}); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) send(ctx context.Context, s Signal) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return c.ws.Write(ctx, websocket.MessageText, b)
}

// applyEvent keeps the client's View.
func (c *Client) applyEvent(e Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := &c.view
	if e.Seq > v.Seq {
		v.Seq = e.Seq
	}
	switch e.Type {
	case EvSnapshot:
		if e.State == nil {
			return
		}
		s := e.State
		*v = View{Seq: s.Seq, Page: s.Page, Mic: s.Mic, Hands: s.Hands, Quiz: s.Quiz, Strokes: map[string]int{}, Peers: s.Peers, Chat: s.Chat, About: s.About}
		c.pendingSt = e.Strokes
	case EvPage:
		v.Page = *e.Page
	case EvDeck:
		v.Deck = e.Deck
	case EvStroke:
		v.Strokes[e.Stroke.ID] = e.Stroke.Page
		if c.pendingSt > 0 {
			c.pendingSt--
		}
	case EvUndo:
		delete(v.Strokes, e.ID)
	case EvClear:
		for id, pg := range v.Strokes {
			if pg == *e.Page {
				delete(v.Strokes, id)
			}
		}
	case EvMic:
		v.Mic = *e.To
		v.Hands = slices.DeleteFunc(v.Hands, func(h string) bool { return h == *e.To })
	case EvHand:
		v.Hands = slices.DeleteFunc(v.Hands, func(h string) bool { return h == e.Who })
		if *e.Up {
			v.Hands = append(v.Hands, e.Who)
		}
	case EvQuizStart:
		v.Quiz = &QuizState{Quiz: *e.Quiz}
	case EvQuizEnd:
		v.Quiz = nil
	case EvTally:
		if v.Quiz != nil && v.Quiz.ID == e.ID {
			v.Quiz.Counts = e.Counts
			n := 0
			for _, k := range e.Counts {
				n += k
			}
			v.Quiz.Answered = n
		}
	case EvAnswer:
		if v.Quiz != nil && e.From == c.ID {
			ch := *e.Choice
			v.Quiz.Mine = &ch
		}
	case EvChat:
		v.Chat = append(v.Chat, e)
		if len(v.Chat) > ChatKept {
			v.Chat = slices.Delete(v.Chat, 0, len(v.Chat)-ChatKept)
		}
	case EvError:
		ev := e
		v.Err = &ev
	case EvLink:
		v.applyLinks(e)
	}
	if e.Type == EvSnapshot || e.Type == EvStroke {
		if !v.Synced && c.pendingSt == 0 {
			v.Synced = true
			close(c.synced)
		}
	}
}

// View returns a copy of the client's mirror of the lesson state.
func (c *Client) View() View {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := c.view
	v.Deck = slices.Clone(v.Deck)
	v.Hands = slices.Clone(v.Hands)
	v.Peers = slices.Clone(v.Peers)
	v.Chat = slices.Clone(v.Chat)
	v.Links = maps.Clone(v.Links)
	v.Strokes = make(map[string]int, len(c.view.Strokes))
	for k, pg := range c.view.Strokes {
		v.Strokes[k] = pg
	}
	if v.Quiz != nil {
		q := *v.Quiz
		v.Quiz = &q
	}
	return v
}

// WaitSynced waits until the snapshot (and the strokes that follow it) has arrived.
func (c *Client) WaitSynced(ctx context.Context) error {
	select {
	case <-c.synced:
		return nil
	case <-c.done:
		return errors.New("relay: client closed")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Send sends an event on the state channel.
func (c *Client) Send(e Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return c.state.Send(b)
}

// SendRaw sends bytes as they are on the state channel (tests of hostile input).
func (c *Client) SendRaw(b []byte) error { return c.state.Send(b) }

// SendLaser sends the laser pointer position (0..CoordMax); hidden hides it.
func (c *Client) SendLaser(x, y int, hidden bool) error {
	e := Event{Type: EvLaser}
	if !hidden {
		e.X, e.Y = &x, &y
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return c.laser.Send(b)
}

// PeerConnection is the client's connection to the relay (stats, state).
func (c *Client) PeerConnection() *webrtc.PeerConnection { return c.pc }

// Done is closed when the client has closed (by Close, or the relay hung up).
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is the error the relay sent on the signalling channel (for example
// lesson_ended when the host ends the lesson), or nil.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hungUp == nil {
		return nil
	}
	return c.hungUp
}

// Close leaves the lesson for good: it tells the relay ("leave"), which
// removes the participant at once (its hand is lowered, a mic it held
// returns to the host) and forgets its resume token.
func (c *Client) Close() { c.shutdown(true) }

// Drop closes the connection as a broken link would, without "leave": the
// relay keeps the participant's place for its resume grace, and a new Dial
// with Resume takes it back with the same id, hand and mic.
func (c *Client) Drop() { c.shutdown(false) }

func (c *Client) shutdown(leave bool) {
	c.closeOnce.Do(func() {
		close(c.done)
		if leave {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = c.send(ctx, Signal{V: ProtocolVersion, Type: TypeLeave})
			cancel()
			_ = c.ws.Close(websocket.StatusNormalClosure, "")
		} else {
			_ = c.ws.CloseNow()
		}
		if c.pc != nil {
			_ = c.pc.Close()
		}
	})
}
