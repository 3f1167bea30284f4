package relay

import (
	"encoding/json"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// The link-quality view: every LinkInterval the relay measures each remote
// classroom's PeerConnection from its own side and sends the host (only the
// host) "link" events. Measuring costs nothing per packet beyond counting
// the few RTP packets a remote sends while it holds the mic: the relay reads
// the RTCP receiver reports the remote already sends (ConfigureRTCPReports in
// NewAPI) and the selected ICE pair's counters, once per interval, in one
// goroutine per lesson, and not at all while no host is connected.
const (
	LinkInterval = 2 * time.Second

	// Quality thresholds: a link is "poor" above LinkPoorRTT or
	// LinkPoorLoss, "fair" above LinkFairRTT or LinkFairLoss, else "good".
	LinkFairRTT  = 300 * time.Millisecond
	LinkPoorRTT  = 800 * time.Millisecond
	LinkFairLoss = 3.0  // percent
	LinkPoorLoss = 10.0 // percent

	// linkChunk entries at most per "link" event, so that a lesson of a
	// thousand classrooms never exceeds pion's 64 KiB read buffer.
	linkChunk = 200
)

// Link qualities.
const (
	QualityGood = "good"
	QualityFair = "fair"
	QualityPoor = "poor"
)

// LinkInfo is one remote classroom's link as the relay measures it over the
// last interval.
type LinkInfo struct {
	ID      string  `json:"id"`
	RTTms   int     `json:"rtt_ms"`   // round trip: the larger of ICE (STUN) and RTCP's, 0 before the first
	LossPct float64 `json:"loss_pct"` // the worse direction: relay → remote (its receiver reports) or remote → relay (sequence gaps)
	KbpsIn  float64 `json:"kbps_in"`  // remote → relay, on the transport (SRTP, SCTP, STUN; no IP/UDP headers)
	KbpsOut float64 `json:"kbps_out"` // relay → remote
	Quality string  `json:"quality"`  // good, fair or poor
}

// LinkQuality grades a link by the thresholds above.
func LinkQuality(rtt time.Duration, lossPct float64) string {
	switch {
	case rtt > LinkPoorRTT || lossPct > LinkPoorLoss:
		return QualityPoor
	case rtt > LinkFairRTT || lossPct > LinkFairLoss:
		return QualityFair
	}
	return QualityGood
}

// linkMeter gathers one participant's link measurements. RTCP readers and
// the participant's track reader write it; the lesson's link goroutine reads
// it and alone touches prev.
type linkMeter struct {
	mu      sync.Mutex
	outLost map[uint32]rrCount // per media SSRC the relay sends, from the latest receiver report
	rtcpRTT time.Duration      // from the latest receiver report with LSR
	rttNew  bool               // rtcpRTT arrived since the last sample

	// remote → relay: sequence numbers of the participant's audio
	// (single writer: readTrack).
	inFirst, inHigh int64 // extended sequence numbers, first and highest
	inStarted       bool
	inRecv          atomic.Uint64
	inHighPub       atomic.Int64 // inHigh - inFirst + 1: packets expected so far

	prev linkSample
}

// rrCount is the cumulative counters of one receiver report block.
type rrCount struct {
	lost    uint32 // cumulative packets lost
	highest uint32 // extended highest sequence number received
}

// linkSample is what a measurement compares with the previous one.
type linkSample struct {
	at                  time.Time
	bytesIn, bytesOut   uint64
	inRecv, inExpected  uint64
	outLost, outHighest map[uint32]uint32
}

// rtp counts one RTP packet the participant sent (its mic).
func (m *linkMeter) rtp(seq uint16) {
	s := int64(seq)
	if !m.inStarted {
		m.inFirst, m.inHigh, m.inStarted = s, s, true
	} else {
		// Unwrap against the highest: the nearest value congruent to seq.
		d := int64(int16(seq - uint16(m.inHigh)))
		if s = m.inHigh + d; s > m.inHigh {
			m.inHigh = s
		}
	}
	m.inRecv.Add(1)
	m.inHighPub.Store(m.inHigh - m.inFirst + 1)
}

// readRTCP reads the RTCP the participant sends about what s carries to it
// (receiver reports) until the sender closes.
func (m *linkMeter) readRTCP(s *webrtc.RTPSender) {
	buf := make([]byte, 1500)
	for {
		n, _, err := s.Read(buf)
		if err != nil {
			return
		}
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		now := time.Now()
		for _, pk := range pkts {
			switch r := pk.(type) {
			case *rtcp.ReceiverReport:
				m.reports(r.Reports, now)
			case *rtcp.SenderReport:
				m.reports(r.Reports, now)
			}
		}
	}
}

func (m *linkMeter) reports(rs []rtcp.ReceptionReport, now time.Time) {
	if len(rs) == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.outLost == nil {
		m.outLost = map[uint32]rrCount{}
	}
	for _, r := range rs {
		m.outLost[r.SSRC] = rrCount{lost: r.TotalLost, highest: r.LastSequenceNumber}
		if r.LastSenderReport != 0 {
			// RFC 3550 6.4.1: RTT = A - LSR - DLSR, in 1/65536 s.
			d := ntpMiddle(now) - r.LastSenderReport - r.Delay
			if rtt := time.Duration(d) * time.Second / 65536; d < 60<<16 {
				m.rtcpRTT, m.rttNew = rtt, true
			}
		}
	}
}

// ntpMiddle is the middle 32 bits of t as an NTP timestamp.
func ntpMiddle(t time.Time) uint32 {
	const ntpEpochOffset = 2208988800 // 1900 to 1970, seconds
	ns := t.UnixNano()
	sec := uint64(ns/1e9) + ntpEpochOffset
	frac := uint64(ns%1e9) << 32 / 1e9
	return uint32(sec<<16 | frac>>16)
}

// sample measures p's link since the previous sample.
func (m *linkMeter) sample(id string, pc *webrtc.PeerConnection, now time.Time) LinkInfo {
	cur := linkSample{at: now, inRecv: m.inRecv.Load(), inExpected: uint64(max(m.inHighPub.Load(), 0))}
	var iceRTT time.Duration
	if ps, ok := pc.SCTP().Transport().ICETransport().GetSelectedCandidatePairStats(); ok {
		cur.bytesIn, cur.bytesOut = ps.BytesReceived, ps.BytesSent
		iceRTT = time.Duration(ps.CurrentRoundTripTime * float64(time.Second))
	}
	m.mu.Lock()
	cur.outLost, cur.outHighest = make(map[uint32]uint32, len(m.outLost)), make(map[uint32]uint32, len(m.outLost))
	for ssrc, c := range m.outLost {
		cur.outLost[ssrc], cur.outHighest[ssrc] = c.lost, c.highest
	}
	rtt := iceRTT
	if m.rttNew && m.rtcpRTT > rtt {
		rtt = m.rtcpRTT
	}
	m.rttNew = false
	m.mu.Unlock()

	prev := m.prev
	m.prev = cur
	// Rounded up: a measured loopback RTT of 0.2 ms reads 1, 0 means none yet.
	info := LinkInfo{ID: id, RTTms: int((rtt + time.Millisecond - 1) / time.Millisecond)}
	if secs := now.Sub(prev.at).Seconds(); !prev.at.IsZero() && secs > 0 {
		info.KbpsIn = round1(float64(cur.bytesIn-min(prev.bytesIn, cur.bytesIn)) * 8 / secs / 1000)
		info.KbpsOut = round1(float64(cur.bytesOut-min(prev.bytesOut, cur.bytesOut)) * 8 / secs / 1000)
	}
	var lostOut, expOut int64
	for ssrc, h := range cur.outHighest {
		// A stream's first report is its baseline. The cumulative loss is a
		// signed 24-bit number (duplicates can make it go down).
		if ph, ok := prev.outHighest[ssrc]; ok {
			expOut += int64(h - ph)
			lostOut += int64(int32(cur.outLost[ssrc]<<8)>>8) - int64(int32(prev.outLost[ssrc]<<8)>>8)
		}
	}
	loss := 0.0
	if expOut > 0 {
		loss = math.Max(0, float64(lostOut)/float64(expOut))
	}
	if exp := int64(cur.inExpected) - int64(prev.inExpected); exp > 0 {
		got := int64(cur.inRecv) - int64(prev.inRecv)
		loss = math.Max(loss, float64(exp-got)/float64(exp))
	}
	info.LossPct = round1(math.Min(100, math.Max(0, loss*100)))
	info.Quality = LinkQuality(rtt, info.LossPct)
	return info
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

// watchLinks measures the lesson's remote classrooms every LinkInterval and
// sends the host "link" events, until the lesson closes.
func (rm *room) watchLinks(done <-chan struct{}) {
	t := time.NewTicker(LinkInterval)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			rm.sendLinks()
		}
	}
}

func (rm *room) sendLinks() {
	type target struct {
		id string
		pc *webrtc.PeerConnection
		m  *linkMeter
	}
	rm.mu.Lock()
	if h := rm.hostLocked(); h == nil || !h.ready {
		rm.mu.Unlock()
		return
	}
	var ts []target
	for _, q := range rm.parts {
		if q.peer.Role != RoleHost && !q.away && q.pc.ConnectionState() == webrtc.PeerConnectionStateConnected {
			ts = append(ts, target{q.peer.ID, q.pc, &q.link})
		}
	}
	rm.mu.Unlock()
	// Outside the lock: reading the ICE pair waits for each agent's loop.
	// A connection closing meanwhile is skipped (pion logs one error if it
	// closes between this check and the read).
	now := time.Now()
	links := make([]LinkInfo, 0, len(ts))
	for _, t := range ts {
		if t.pc.ConnectionState() == webrtc.PeerConnectionStateConnected {
			links = append(links, t.m.sample(t.id, t.pc, now))
		}
	}
	var msgs [][]byte
	for len(links) > 0 {
		n := min(len(links), linkChunk)
		b, _ := json.Marshal(Event{Type: EvLink, From: RelayID, Links: links[:n]})
		msgs = append(msgs, b)
		links = links[n:]
	}
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if h := rm.hostLocked(); h != nil && h.ready && !h.away {
		for _, b := range msgs {
			h.sendState(b)
		}
	}
}

// applyLinks keeps the host's view of the remote classrooms' links.
func (v *View) applyLinks(e Event) {
	if v.Links == nil {
		v.Links = map[string]LinkInfo{}
	}
	for _, l := range e.Links {
		v.Links[l.ID] = l
	}
}
