package relay

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand"
	"net"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// shapedConn is a real UDP socket behind a satellite-like hop: every
// datagram, each way, is delayed by delay and lost with probability loss.
type shapedConn struct {
	net.PacketConn
	delay time.Duration
	loss  float64

	mu  sync.Mutex
	rng *rand.Rand
	in  chan datagram
}

type datagram struct {
	b    []byte
	from net.Addr
	at   time.Time // when it may be read
}

func newShapedConn(t *testing.T, delay time.Duration, loss float64) *shapedConn {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &shapedConn{PacketConn: conn, delay: delay, loss: loss, rng: rand.New(rand.NewSource(7)), in: make(chan datagram, 4096)}
	go c.receive()
	t.Cleanup(func() { conn.Close() })
	return c
}

func (c *shapedConn) lost() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rng.Float64() < c.loss
}

func (c *shapedConn) receive() {
	defer close(c.in)
	for {
		buf := make([]byte, 1500)
		n, from, err := c.PacketConn.ReadFrom(buf)
		if err != nil {
			return
		}
		if !c.lost() {
			c.in <- datagram{buf[:n], from, time.Now().Add(c.delay)}
		}
	}
}

func (c *shapedConn) ReadFrom(b []byte) (int, net.Addr, error) {
	d, ok := <-c.in
	if !ok {
		return 0, nil, net.ErrClosed
	}
	time.Sleep(time.Until(d.at))
	return copy(b, d.b), d.from, nil
}

func (c *shapedConn) WriteTo(b []byte, to net.Addr) (int, error) {
	if c.lost() {
		return len(b), nil
	}
	cp := append([]byte(nil), b...)
	time.AfterFunc(c.delay, func() { _, _ = c.PacketConn.WriteTo(cp, to) })
	return len(b), nil
}

// TestLinkQuality: a host and two remote classrooms, one on a clean
// loopback link, one behind a 600 ms round trip with 5% loss each way. The
// host gets "link" events that tell them apart; the remotes get none; a
// client may not send "link".
func TestLinkQuality(t *testing.T) {
	if testing.Short() {
		t.Skip("link measurement needs several intervals")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	r := startRelay(t, NetConfig{})
	info, _ := r.Open("")

	var mu sync.Mutex
	var hostLinks [][]LinkInfo
	remoteLinks := 0
	dial := func(api *webrtc.API, role Role, name, key string) *Client {
		c, err := Dial(ctx, ClientConfig{URL: r.URL, Lesson: info.Code, Role: role, Name: name, Key: key, API: api,
			OnEvent: func(e Event) {
				if e.Type != EvLink {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if role == RoleHost {
					hostLinks = append(hostLinks, e.Links)
				} else {
					remoteLinks++
				}
			}})
		if err != nil {
			t.Fatalf("%s joins: %v", name, err)
		}
		t.Cleanup(c.Close)
		if err := c.WaitSynced(ctx); err != nil {
			t.Fatal(err)
		}
		return c
	}
	host := dial(loopbackAPI(t), RoleHost, "主讲", info.HostKey)
	clean := dial(loopbackAPI(t), RoleRemote, "城区", "")
	weakAPI, _, err := NewAPI(NetConfig{UDPConn: newShapedConn(t, 300*time.Millisecond, 0.05), IncludeLoopback: true, UDPOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	weak := dial(weakAPI, RoleRemote, "牧区", "")
	eventually(t, 30*time.Second, "all connected", func() bool { return connected(host) && connected(clean) && connected(weak) })

	// The host speaks for the whole test: the relay's voice to each
	// remote is what their receiver reports describe.
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := uint32(0); ctx.Err() == nil; i++ {
			p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: uint16(i), Timestamp: i * 960, SSRC: 1}, Payload: opusLike(i)}
			if host.Mic.WriteRTP(p) != nil {
				return
			}
			<-tick.C
		}
	}()

	// A client may not send "link": refused, nothing forwarded.
	for _, c := range []*Client{host, clean} {
		forged := `{"type":"link","links":[{"id":"` + weak.ID + `","rtt_ms":1,"quality":"good"}]}`
		if err := c.SendRaw([]byte(forged)); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "forged link refused", func() bool {
			e := c.View().Err
			return e != nil && e.Code == CodeUnknownType
		})
	}

	// Measured: both remotes with an RTT, over three intervals.
	measured := func(ls []LinkInfo) bool {
		n := 0
		for _, l := range ls {
			if l.RTTms > 0 && (l.ID == weak.ID || l.ID == clean.ID) {
				n++
			}
		}
		return n == 2
	}
	var got [][]LinkInfo
	eventually(t, 60*time.Second, "three measured link events", func() bool {
		mu.Lock()
		defer mu.Unlock()
		got = got[:0]
		for _, ls := range hostLinks {
			if measured(ls) {
				got = append(got, ls)
			}
		}
		return len(got) >= 3
	})
	var cleanRTT []int
	cleanGood := 0
	for _, ls := range got {
		for _, l := range ls {
			b, _ := json.Marshal(l)
			t.Logf("link %s", b)
			switch l.ID {
			case weak.ID:
				if l.RTTms < 500 || l.Quality == QualityGood {
					t.Errorf("weak remote measured %d ms, %s: want >= 500 ms and not good", l.RTTms, l.Quality)
				}
			case clean.ID:
				cleanRTT = append(cleanRTT, l.RTTms)
				if l.Quality == QualityGood {
					cleanGood++
				}
			case host.ID:
				t.Error("the host's own link is in the list")
			}
		}
	}
	// The clean link is judged by most intervals: a busy test machine may
	// stall one STUN reply.
	sort.Ints(cleanRTT)
	if med := cleanRTT[len(cleanRTT)/2]; med >= 100 || cleanGood*2 <= len(got) {
		t.Errorf("clean remote: median RTT %d ms, good in %d of %d intervals", med, cleanGood, len(got))
	}
	// The host's view keeps the latest per remote.
	if v := host.View().Links; v[weak.ID].RTTms < 500 || v[clean.ID].ID != clean.ID {
		t.Errorf("host view links: %+v", v)
	}
	mu.Lock()
	n := remoteLinks
	mu.Unlock()
	if n != 0 || len(clean.View().Links) != 0 || len(weak.View().Links) != 0 {
		t.Errorf("remotes received %d link events", n)
	}

	// A remote that leaves drops out of the host's view.
	weak.Close()
	eventually(t, 20*time.Second, "left remote dropped", func() bool {
		_, ok := host.View().Links[weak.ID]
		return !ok
	})
}

func TestLinkQualityThresholds(t *testing.T) {
	cases := []struct {
		rtt  time.Duration
		loss float64
		want string
	}{
		{20 * time.Millisecond, 0, QualityGood},
		{300 * time.Millisecond, 3, QualityGood},
		{301 * time.Millisecond, 0, QualityFair},
		{50 * time.Millisecond, 3.1, QualityFair},
		{600 * time.Millisecond, 5, QualityFair},
		{801 * time.Millisecond, 0, QualityPoor},
		{50 * time.Millisecond, 10.1, QualityPoor},
	}
	for _, c := range cases {
		if got := LinkQuality(c.rtt, c.loss); got != c.want {
			t.Errorf("LinkQuality(%v, %v) = %s, want %s", c.rtt, c.loss, got, c.want)
		}
	}
}

// TestLinkMeterSequence: the remote → relay loss counts gaps across the
// 16-bit wrap, and a late packet does not move the highest.
func TestLinkMeterSequence(t *testing.T) {
	var m linkMeter
	for s := 65530; s < 65530+20; s++ {
		if s%5 == 0 {
			continue // lost
		}
		m.rtp(uint16(s))
	}
	m.rtp(uint16(65533)) // a late duplicate
	if exp, recv := m.inHighPub.Load(), m.inRecv.Load(); exp != 19 || recv != 17 {
		t.Errorf("expected %d received %d, want 19 and 17", exp, recv)
	}
}

// TestLinkChunks: a lesson of a thousand classrooms still fits pion's read
// buffer in every "link" event.
func TestLinkChunks(t *testing.T) {
	l := LinkInfo{ID: "p99999", RTTms: 99999, LossPct: 100, KbpsIn: 99999.9, KbpsOut: 99999.9, Quality: QualityPoor}
	ls := make([]LinkInfo, linkChunk)
	for i := range ls {
		ls[i] = l
	}
	b, _ := json.Marshal(Event{Type: EvLink, From: RelayID, Links: ls})
	if len(b) > 64<<10 {
		t.Errorf("a full link event is %d bytes", len(b))
	}
	_, err := DecodeEvent(b, false)
	var pe *ProtocolError
	if !errors.As(err, &pe) {
		t.Errorf("a client's link event: %v", err)
	}
}
