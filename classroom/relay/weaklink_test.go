package relay

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/transport/v5/vnet"
)

// TestWeakLink: the relay and four classrooms on a pion vnet with 5% loss
// on every packet and 150 ms one-way delay (300 ms round trip, jitter 20 ms):
// the lesson's state converges and the voice keeps flowing.
func TestWeakLink(t *testing.T) {
	if testing.Short() {
		t.Skip("weak-link simulation takes ~20 s")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	lf := logging.NewDefaultLoggerFactory()
	lf.DefaultLogLevel = logging.LogLevelError
	router, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.0.0.0/24", MinDelay: 150 * time.Millisecond, MaxJitter: 20 * time.Millisecond, LoggerFactory: lf})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	rng := rand.New(rand.NewSource(1))
	var passed, dropped int
	router.AddChunkFilter(func(vnet.Chunk) bool {
		mu.Lock()
		defer mu.Unlock()
		if rng.Float64() < 0.05 {
			dropped++
			return false
		}
		passed++
		return true
	})
	newNet := func(ip string) *vnet.Net {
		n, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{ip}})
		if err != nil {
			t.Fatal(err)
		}
		if err := router.AddNet(n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	relayNet := newNet("10.0.0.1")
	var nets []*vnet.Net
	for i := 2; i <= 5; i++ {
		nets = append(nets, newNet(fmt.Sprintf("10.0.0.%d", i)))
	}
	if err := router.Start(); err != nil {
		t.Fatal(err)
	}
	defer router.Stop()

	// The relay's one UDP port, on the virtual network.
	conn, err := relayNet.ListenPacket("udp4", "10.0.0.1:3478")
	if err != nil {
		t.Fatal(err)
	}
	r := startRelay(t, NetConfig{Net: relayNet, UDPConn: conn, UDPOnly: true, LoggerFactory: lf})
	info, _ := r.Open("")
	var all []*member
	for i, n := range nets {
		api, _, err := NewAPI(NetConfig{Net: n, UDPOnly: true, LoggerFactory: lf})
		if err != nil {
			t.Fatal(err)
		}
		role, key := RoleRemote, ""
		if i == 0 {
			role, key = RoleHost, info.HostKey
		}
		all = append(all, join(t, ctx, api, r.URL, info.Code, role, fmt.Sprintf("班%d", i), key))
	}
	host, remotes := all[0], all[1:]
	for _, m := range all {
		if err := m.WaitSynced(ctx); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 30*time.Second, "all connected", func() bool {
		for _, m := range all {
			if !connected(m.Client) {
				return false
			}
		}
		return true
	})

	// The host teaches: page turns, ink, a quiz, while speaking.
	go func() {
		for i := 0; i < 20; i++ {
			host.Send(Event{Type: EvPage, Page: intp(i)})
			host.Send(Event{Type: EvStroke, Stroke: &Stroke{ID: fmt.Sprintf("s%d", i), Page: i, Color: "#ff0000", Width: 20, Points: []int{i, i, 100 * i, 200 * i}}})
			time.Sleep(50 * time.Millisecond)
		}
		host.Send(Event{Type: EvUndo, ID: "s3"})
		host.Send(Event{Type: EvQuizStart, Quiz: &Quiz{ID: "q1", Kind: QuizTrueFalse}})
	}()
	const n = 250 // 5 s of voice
	speak(t, host.Mic, 0, n)
	eventually(t, 30*time.Second, "quiz open everywhere", func() bool {
		for _, m := range all {
			if m.View().Quiz == nil {
				return false
			}
		}
		return true
	})
	for i, m := range remotes {
		m.Send(Event{Type: EvAnswer, ID: "q1", Choice: intp(i % 2)})
	}
	eventually(t, 30*time.Second, "state converges", func() bool {
		for _, m := range all {
			v := m.View()
			if v.Page != 19 || len(v.Strokes) != 19 || v.Quiz == nil {
				return false
			}
		}
		q := host.View().Quiz
		return q.Answered == 3 && q.Counts[0] == 2 && q.Counts[1] == 1
	})
	time.Sleep(time.Second) // late voice packets
	for i, m := range remotes {
		got := m.count("host-audio")
		if got < n*85/100 || got > n || m.bad != 0 {
			t.Errorf("remote %d heard %d of %d voice packets (%d bad)", i+1, got, n, m.bad)
		}
		t.Logf("remote %d heard %d of %d voice packets", i+1, got, n)
	}
	mu.Lock()
	t.Logf("vnet: %d packets passed, %d dropped (%.1f%%)", passed, dropped, 100*float64(dropped)/float64(passed+dropped))
	mu.Unlock()
}
