package relay

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"
)

// room is one open lesson: its participants, its state and its forwarders.
type room struct {
	relay *Relay
	info  LessonInfo

	hostFwd  *forwarder                  // the host's voice → every remote
	floorFwd *forwarder                  // the mic holder's voice → everyone else
	mic      atomic.Pointer[participant] // who holds the mic, read on the media path

	mu      sync.Mutex
	closed  bool
	lesson  lesson
	slides  slideStore
	parts   map[string]*participant
	resumes map[string]string // resume token → participant id
	nextID  int
	done    chan struct{} // closed with the lesson: stops watchLinks
}

func newRoom(r *Relay, info LessonInfo) *room {
	rm := &room{relay: r, info: info, hostFwd: newForwarder(opusCodec.ClockRate),
		floorFwd: newForwarder(opusCodec.ClockRate), parts: map[string]*participant{}, resumes: map[string]string{},
		done: make(chan struct{})}
	go rm.watchLinks(rm.done)
	return rm
}

// join checks the claim in s, creates the participant's PeerConnection and
// sends it "joined" and the offer. Others hear "joined".
func (rm *room) join(s Signal, sink signalSink) (*participant, *ProtocolError) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if rm.closed {
		return nil, perr(CodeLessonEnded, "lesson %s has ended", rm.info.Code)
	}
	var old *participant
	if s.Resume != "" {
		if id, ok := rm.resumes[s.Resume]; ok {
			old = rm.parts[id]
			if old != nil && old.peer.Role != s.Role {
				return nil, perr(CodeWrongState, "resume token belongs to a %s, not a %s", old.peer.Role, s.Role)
			}
		}
	}
	// A host whose link went away is replaced by a new host connection
	// that proves the key (an app restarted without its resume token).
	var staleHost *participant
	if s.Role == RoleHost {
		if !sameToken(s.Key, rm.info.HostKey) {
			return nil, perr(CodeNotHost, "the host role needs the lesson's host key; join as %q", RoleRemote)
		}
		if h := rm.hostLocked(); h != nil && h != old {
			if !h.away {
				return nil, perr(CodeHostPresent, "lesson %s already has its host connected", rm.info.Code)
			}
			staleHost = h
		}
	}
	count := len(rm.parts)
	if staleHost != nil {
		count--
	}
	if old == nil && count >= rm.relay.cfg.MaxParticipants {
		return nil, perr(CodeLessonFull, "lesson %s has its maximum of %d participants", rm.info.Code, rm.relay.cfg.MaxParticipants)
	}
	if staleHost != nil {
		rm.leaveLocked(staleHost, ReasonReplaced)
	}

	id, resume := "", newToken()
	if old != nil {
		id = old.peer.ID
		delete(rm.resumes, s.Resume)
		old.replaced = true
		old.stopGrace()
		delete(rm.parts, id)
		go old.close(CodeWrongState, "replaced by a newer connection of the same participant")
	} else {
		rm.nextID++
		id = fmt.Sprintf("p%d", rm.nextID)
	}
	p := &participant{room: rm, peer: Peer{ID: id, Role: s.Role, Name: s.Name}, sink: sink}
	if err := p.connect(rm.relay); err != nil {
		return nil, perr(CodeInternal, "could not create the connection: %v", err)
	}
	rm.parts[id] = p
	rm.resumes[resume] = id
	p.resume = resume
	rm.refreshLocked()

	roster := rm.rosterLocked()
	peer := p.peer
	sink.Send(Signal{V: ProtocolVersion, Type: TypeJoined, You: id, Participant: &peer, Roster: roster, Resume: resume, Lesson: rm.info.Code})
	for _, q := range rm.parts {
		if q != p && !q.away {
			q.sink.Send(Signal{V: ProtocolVersion, Type: TypeJoined, Participant: &peer})
		}
	}
	if err := p.offer(); err != nil {
		delete(rm.parts, id)
		delete(rm.resumes, resume)
		rm.refreshLocked()
		go p.close("", "")
		return nil, perr(CodeInternal, "could not make the offer: %v", err)
	}
	return p, nil
}

// leave removes p (if it is still the participant under its id) and tells
// the others: an explicit leave, or a participant the relay hung up on.
func (rm *room) leave(p *participant, reason string) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if rm.parts[p.peer.ID] != p {
		return
	}
	rm.leaveLocked(p, reason)
}

func (rm *room) leaveLocked(p *participant, reason string) {
	p.stopGrace()
	delete(rm.parts, p.peer.ID)
	delete(rm.resumes, p.resume)
	rm.deliverLocked(rm.lesson.leave(p.peer.ID))
	rm.refreshLocked()
	peer := p.peer
	for _, q := range rm.parts {
		if !q.away {
			q.sink.Send(Signal{V: ProtocolVersion, Type: TypeLeft, Participant: &peer, Reason: reason})
		}
	}
}

// lost keeps the place of p, whose link went away without a "leave", for
// the resume grace: its id, hand, mic and resume token stay; the others see
// it reconnecting. A resume within the grace takes the place (join); after
// it, p leaves as if it had closed (its hand is lowered, the mic returns to
// the host).
func (rm *room) lost(p *participant) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if rm.parts[p.peer.ID] != p || p.away {
		return
	}
	grace := rm.relay.cfg.ResumeGrace
	if grace < 0 || rm.closed {
		rm.leaveLocked(p, ReasonClosed)
		return
	}
	p.away, p.ready = true, false
	p.grace = time.AfterFunc(grace, func() { rm.expire(p) })
	rm.refreshLocked()
	peer := p.peer
	peer.Status = StatusReconnecting
	for _, q := range rm.parts {
		if !q.away {
			q.sink.Send(Signal{V: ProtocolVersion, Type: TypeReconnecting, Participant: &peer})
		}
	}
}

// expire ends the grace of p: if it has not come back, it leaves.
func (rm *room) expire(p *participant) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if rm.parts[p.peer.ID] != p || !p.away {
		return
	}
	rm.leaveLocked(p, ReasonTimeout)
}

// apply runs a client's event through the lesson and delivers the result.
func (rm *room) apply(p *participant, e Event) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if rm.parts[p.peer.ID] != p {
		return
	}
	ds, err := rm.lesson.apply(p.peer, e, func(id string) (Peer, bool) {
		q, ok := rm.parts[id]
		if !ok || q.away {
			return Peer{}, false
		}
		return q.peer, true
	})
	if err != nil {
		p.sendError(err)
		return
	}
	rm.deliverLocked(ds)
	if e.Type == EvMic {
		rm.refreshLocked()
	}
}

// laser forwards the host's pointer to every other participant; it is not
// kept.
func (rm *room) laser(p *participant, e Event) {
	if p.peer.Role != RoleHost {
		p.sendError(perr(CodeForbidden, "only the host has the laser pointer"))
		return
	}
	e.From = p.peer.ID
	b, _ := json.Marshal(e)
	rm.mu.Lock()
	defer rm.mu.Unlock()
	for _, q := range rm.parts {
		if q != p && q.ready {
			q.sendLaser(b)
		}
	}
}

// ready sends p the snapshot once its state channel is open; from then on
// p receives every event.
func (rm *room) ready(p *participant) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if rm.parts[p.peer.ID] != p {
		return
	}
	snap, deck, strokes := rm.lesson.snapshot(p.peer, rm.rosterLocked())
	snap.About = rm.info.About
	msgs := []Event{{Type: EvSnapshot, Seq: snap.Seq, From: RelayID, State: &snap, Strokes: len(strokes)}}
	if len(deck) > 0 {
		msgs = append(msgs, Event{Type: EvDeck, Seq: snap.Seq, From: RelayID, Deck: deck})
	}
	for i := range strokes {
		msgs = append(msgs, Event{Type: EvStroke, Seq: snap.Seq, From: RelayID, Stroke: &strokes[i]})
	}
	for _, m := range msgs {
		b, _ := json.Marshal(m)
		p.sendState(b)
	}
	p.ready = true
}

func (rm *room) deliverLocked(ds []delivery) {
	for _, d := range ds {
		b, err := json.Marshal(d.ev)
		if err != nil {
			continue
		}
		for _, q := range rm.parts {
			if !q.ready {
				continue
			}
			switch d.to {
			case toAll:
			case toHost:
				if q.peer.Role != RoleHost {
					continue
				}
			case toOne:
				if q.peer.ID != d.who {
					continue
				}
			}
			q.sendState(b)
		}
	}
}

// refreshLocked recomputes who listens to which forwarder and who holds the mic.
func (rm *room) refreshLocked() {
	holder := rm.parts[rm.lesson.mic]
	if holder != nil && holder.away {
		holder = nil // the mic stays its own while it reconnects, but nothing comes
	}
	rm.mic.Store(holder)
	var hostDests, floorDests []*webrtc.TrackLocalStaticRTP
	for _, q := range rm.parts {
		if q.away {
			continue
		}
		if q.peer.Role != RoleHost {
			hostDests = append(hostDests, q.hostOut)
		}
		if q != holder {
			floorDests = append(floorDests, q.floorOut)
		}
	}
	rm.hostFwd.setDests(hostDests)
	rm.floorFwd.setDests(floorDests)
}

func (rm *room) hostLocked() *participant {
	for _, q := range rm.parts {
		if q.peer.Role == RoleHost {
			return q
		}
	}
	return nil
}

func (rm *room) rosterLocked() []Peer {
	r := make([]Peer, 0, len(rm.parts))
	for _, q := range rm.parts {
		pe := q.peer
		if q.away {
			pe.Status = StatusReconnecting
		}
		r = append(r, pe)
	}
	sort.Slice(r, func(i, j int) bool { return r[i].ID < r[j].ID })
	return r
}

func (rm *room) close() { rm.closeWith(CodeLessonEnded, "the lesson has ended") }

// closeWith disconnects everyone with an error of code.
func (rm *room) closeWith(code, msg string) {
	rm.mu.Lock()
	if !rm.closed {
		close(rm.done)
	}
	rm.closed = true
	parts := rm.parts
	for _, p := range parts {
		p.stopGrace()
	}
	rm.parts = map[string]*participant{}
	rm.refreshLocked()
	rm.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range parts {
		wg.Add(1)
		go func() { defer wg.Done(); p.close(code, msg) }()
	}
	wg.Wait()
}
