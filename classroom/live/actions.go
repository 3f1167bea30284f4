package live

import (
	"time"

	"qiao/audio"
	"qiao/classroom/relay"

	"github.com/pion/webrtc/v4"
)

// View returns the lesson as this participant sees it: the relay client's
// mirror, or while reconnecting the last one seen (View.Synced tells).
func (s *Session) View() relay.View {
	if c := s.current(); c != nil {
		return c.View()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.lastView
	v.Synced = false
	return v
}

// Links is, for the host, each remote classroom's link as the relay
// measures it (by participant id, refreshed every relay.LinkInterval); nil
// for a remote classroom and before the first measurement.
func (s *Session) Links() map[string]relay.LinkInfo { return s.View().Links }

// HoldsMic reports whether this remote classroom holds the mic (its voice is
// being sent). The host always speaks.
func (s *Session) HoldsMic() bool { return s.role == relay.RoleHost || s.holding.Load() }

func (s *Session) send(e relay.Event) error {
	c := s.current()
	if c == nil {
		return ErrNotLive
	}
	return c.Send(e)
}

// TurnPage turns the board to page (host).
func (s *Session) TurnPage(page int) error {
	return s.send(relay.Event{Type: relay.EvPage, Page: &page})
}

// Deck sets the slides by content hash (host).
func (s *Session) Deck(hashes []string) error {
	return s.send(relay.Event{Type: relay.EvDeck, Deck: hashes})
}

// Stroke draws an ink stroke (host).
func (s *Session) Stroke(st relay.Stroke) error {
	return s.send(relay.Event{Type: relay.EvStroke, Stroke: &st})
}

// Undo removes a stroke (host).
func (s *Session) Undo(id string) error { return s.send(relay.Event{Type: relay.EvUndo, ID: id}) }

// ClearPage removes a page's strokes (host).
func (s *Session) ClearPage(page int) error {
	return s.send(relay.Event{Type: relay.EvClear, Page: &page})
}

// Laser moves the laser pointer (host; hidden hides it). Lossy.
func (s *Session) Laser(x, y int, hidden bool) error {
	c := s.current()
	if c == nil {
		return ErrNotLive
	}
	return c.SendLaser(x, y, hidden)
}

// RaiseHand raises or lowers this remote classroom's hand.
func (s *Session) RaiseHand(up bool) error { return s.send(relay.Event{Type: relay.EvHand, Up: &up}) }

// LowerHand lowers a remote classroom's hand (host).
func (s *Session) LowerHand(who string) error {
	up := false
	return s.send(relay.Event{Type: relay.EvHand, Up: &up, Who: who})
}

// GrantMic hands the mic to a remote classroom (host).
func (s *Session) GrantMic(to string) error { return s.send(relay.Event{Type: relay.EvMic, To: &to}) }

// RevokeMic takes the mic back (host), or gives it back (its holder).
func (s *Session) RevokeMic() error {
	to := ""
	return s.send(relay.Event{Type: relay.EvMic, To: &to})
}

// StartQuiz opens a quiz (host).
func (s *Session) StartQuiz(q relay.Quiz) error {
	return s.send(relay.Event{Type: relay.EvQuizStart, Quiz: &q})
}

// EndQuiz closes the open quiz (host).
func (s *Session) EndQuiz(id string) error { return s.send(relay.Event{Type: relay.EvQuizEnd, ID: id}) }

// Answer answers quiz id (remote).
func (s *Session) Answer(id string, choice int) error {
	return s.send(relay.Event{Type: relay.EvAnswer, ID: id, Choice: &choice})
}

// Chat sends a chat message.
func (s *Session) Chat(text string) error { return s.send(relay.Event{Type: relay.EvChat, Text: text}) }

// VoiceStats counts the voice pipeline's work since the session started.
type VoiceStats struct {
	FramesSent   uint64 // Opus frames sent (the host always; a remote while it holds the mic)
	PayloadSent  uint64 // Opus payload bytes sent
	PacketsRecv  uint64 // RTP packets received on all tracks
	PayloadRecv  uint64 // Opus payload bytes received
	FramesPlayed uint64 // 20 ms frames played
	Ducked       uint64 // host: captured frames ducked by the echo gate
	Tracks       map[string]audio.JitterStats
}

// Voice returns the voice pipeline's counters and each track's jitter buffer.
func (s *Session) Voice() VoiceStats {
	v := VoiceStats{FramesSent: s.stats.framesSent.Load(), PayloadSent: s.stats.payloadSent.Load(),
		PacketsRecv: s.stats.packetsRecv.Load(), PayloadRecv: s.stats.payloadRecv.Load(),
		FramesPlayed: s.stats.framesPlayed.Load(), Tracks: map[string]audio.JitterStats{}}
	if s.gate != nil {
		v.Ducked = s.gate.DuckedFrames()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, t := range s.tracks {
		v.Tracks[id] = t.jb.Stats()
	}
	return v
}

// LinkStats is this participant's link to the relay, from pion's stats.
type LinkStats struct {
	At  time.Time
	RTT time.Duration // ICE (STUN) round trip on the selected pair; RTCP's when ICE has none
	// Voice frames received and lost (before FEC and concealment) on the
	// tracks we receive, since the session started: the loss of a
	// period is the difference of two readings (LossBetween).
	VoiceRecv, VoiceLost uint64
	BytesSent            uint64 // on the PeerConnection's transport (SRTP, SCTP, DTLS, STUN; no IP/UDP headers)
	BytesReceived        uint64
	// The selected ICE candidate pair's counters (pion fills packet counts
	// there, not on the transport).
	PairBytesSent     uint64
	PairBytesReceived uint64
	PacketsSent       uint64
	PacketsRecv       uint64
}

// Link reads the PeerConnection's stats. ok is false while not connected.
func (s *Session) Link() (LinkStats, bool) {
	c := s.current()
	if c == nil || c.PeerConnection() == nil {
		return LinkStats{}, false
	}
	l := linkStats(c.PeerConnection())
	for _, t := range s.Voice().Tracks {
		l.VoiceRecv += t.Received
		l.VoiceLost += t.Lost
	}
	return l, true
}

// LossBetween is the fraction of voice frames lost between readings a and
// b, and whether any voice arrived to tell.
func LossBetween(a, b LinkStats) (float64, bool) {
	recv, lost := b.VoiceRecv-min(a.VoiceRecv, b.VoiceRecv), b.VoiceLost-min(a.VoiceLost, b.VoiceLost)
	if recv+lost == 0 {
		return 0, false
	}
	return float64(lost) / float64(recv+lost), true
}

func linkStats(pc *webrtc.PeerConnection) LinkStats {
	l := LinkStats{At: time.Now()}
	var rtcpRTT float64
	for _, st := range pc.GetStats() {
		switch x := st.(type) {
		case webrtc.TransportStats:
			l.BytesSent += x.BytesSent
			l.BytesReceived += x.BytesReceived
		case webrtc.ICECandidatePairStats:
			if x.Nominated {
				if x.CurrentRoundTripTime > 0 {
					l.RTT = time.Duration(x.CurrentRoundTripTime * float64(time.Second))
				}
				l.PairBytesSent, l.PairBytesReceived = x.BytesSent, x.BytesReceived
				l.PacketsSent, l.PacketsRecv = uint64(x.PacketsSent), uint64(x.PacketsReceived)
			}
		case webrtc.RemoteInboundRTPStreamStats:
			if x.RoundTripTime > 0 {
				rtcpRTT = x.RoundTripTime
			}
		}
	}
	if l.RTT == 0 && rtcpRTT > 0 {
		l.RTT = time.Duration(rtcpRTT * float64(time.Second))
	}
	return l
}

// Bitrate is the rate in kbit/s between two LinkStats readings, in and out.
func Bitrate(a, b LinkStats) (in, out float64) {
	d := b.At.Sub(a.At).Seconds()
	if d <= 0 {
		return 0, 0
	}
	return float64(b.BytesReceived-a.BytesReceived) * 8 / d / 1000, float64(b.BytesSent-a.BytesSent) * 8 / d / 1000
}
