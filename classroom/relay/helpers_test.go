package relay

import (
	"context"
	"encoding/binary"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// testRelay is a relay on loopback: ICE over one UDP port, signalling on an
// httptest server.
type testRelay struct {
	*Relay
	URL string
}

func startRelay(t testing.TB, nc NetConfig) *testRelay {
	t.Helper()
	return startRelayWith(t, Config{NetConfig: nc})
}

// startRelayWith is startRelay with more of the relay's Config.
func startRelayWith(t testing.TB, cfg Config) *testRelay {
	t.Helper()
	nc := cfg.NetConfig
	if nc.UDPConn == nil && nc.Net == nil {
		conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		nc.UDPConn = conn
		nc.IncludeLoopback = true
	}
	cfg.NetConfig = nc
	if cfg.MaxParticipants == 0 {
		cfg.MaxParticipants = 2000
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r.Handler(HandlerOptions{}))
	t.Cleanup(func() { r.Close(); srv.Close() })
	return &testRelay{Relay: r, URL: "ws" + strings.TrimPrefix(srv.URL, "http")}
}

func loopbackAPI(t testing.TB) *webrtc.API {
	t.Helper()
	api, _, err := NewAPI(NetConfig{IncludeLoopback: true, UDPOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// member is a test participant that counts the RTP it hears per track.
type member struct {
	*Client
	mu    sync.Mutex
	heard map[string]int // track id → packets with the expected payload
	bad   int            // packets whose payload did not match
}

func join(t testing.TB, ctx context.Context, api *webrtc.API, url, lesson string, role Role, name, key string) *member {
	t.Helper()
	m, err := tryJoin(ctx, api, url, lesson, role, name, key)
	if err != nil {
		t.Fatalf("%s joins: %v", name, err)
	}
	t.Cleanup(m.Close)
	return m
}

func tryJoin(ctx context.Context, api *webrtc.API, url, lesson string, role Role, name, key string) (*member, error) {
	m := &member{heard: map[string]int{}}
	c, err := Dial(ctx, ClientConfig{URL: url, Lesson: lesson, Role: role, Name: name, Key: key, API: api,
		OnTrack: m.onTrack})
	if err != nil {
		return nil, err
	}
	m.Client = c
	return m, nil
}

func (m *member) onTrack(t *webrtc.TrackRemote) {
	id := t.ID()
	for {
		p, _, err := t.ReadRTP()
		if err != nil {
			return
		}
		m.mu.Lock()
		if len(p.Payload) >= 4 && string(p.Payload) == string(opusLike(binary.BigEndian.Uint32(p.Payload))) {
			m.heard[id]++
		} else {
			m.bad++
		}
		m.mu.Unlock()
	}
}

func (m *member) count(track string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.heard[track]
}

// opusLike is a 60-byte stand-in for one 20 ms Opus frame: the index, then
// bytes derived from it, so a receiver can check the payload arrived intact.
func opusLike(i uint32) []byte {
	b := make([]byte, 60)
	binary.BigEndian.PutUint32(b, i)
	for k := 4; k < len(b); k++ {
		b[k] = byte(i*31 + uint32(k)*7)
	}
	return b
}

// speak writes n packets at 20 ms intervals to track, indices from first.
func speak(t testing.TB, track *webrtc.TrackLocalStaticRTP, first uint32, n int) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i := 0; i < n; i++ {
		idx := first + uint32(i)
		p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: uint16(idx), Timestamp: idx * 960, SSRC: 1}, Payload: opusLike(idx)}
		if err := track.WriteRTP(p); err != nil {
			t.Fatal(err)
		}
		<-tick.C
	}
}

// eventually polls cond until it holds or d passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func connected(c *Client) bool {
	return c.PeerConnection().ConnectionState() == webrtc.PeerConnectionStateConnected
}

func intp(i int) *int       { return &i }
func strp(s string) *string { return &s }
func boolp(b bool) *bool    { return &b }
