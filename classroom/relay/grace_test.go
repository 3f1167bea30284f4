package relay

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// signalLog records the signalling messages a client gets after its join.
type signalLog struct {
	mu   sync.Mutex
	sigs []Signal
}

func (l *signalLog) add(s Signal) {
	l.mu.Lock()
	l.sigs = append(l.sigs, s)
	l.mu.Unlock()
}

// about returns the types of the messages about participant id, in order,
// with the reason of each "left".
func (l *signalLog) about(id string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, s := range l.sigs {
		if s.Participant != nil && s.Participant.ID == id {
			t := s.Type
			if s.Type == TypeLeft {
				t += ":" + s.Reason
			}
			out = append(out, t)
		}
	}
	return out
}

func peerStatus(v View, id string) (string, bool) {
	i := slices.IndexFunc(v.Peers, func(p Peer) bool { return p.ID == id })
	if i < 0 {
		return "", false
	}
	return v.Peers[i].Status, true
}

// TestResumeGrace: a participant whose link goes away without "leave"
// keeps its place (id, hand, mic, resume token) for the grace and is shown
// as reconnecting; a resume within the grace gets it all back; after the
// grace it is removed (its hand lowered, the mic back to the host); an
// explicit leave (Client.Close) removes it at once.
func TestResumeGrace(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const grace = 3 * time.Second
	r := startRelayWith(t, Config{ResumeGrace: grace})
	info, _ := r.Open("")
	api := loopbackAPI(t)

	var log signalLog
	host, err := Dial(ctx, ClientConfig{URL: r.URL, Lesson: info.Code, Role: RoleHost, Name: "主讲", Key: info.HostKey, API: api, OnSignal: log.add})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(host.Close)
	a := join(t, ctx, api, r.URL, info.Code, RoleRemote, "甲", "")
	b := join(t, ctx, api, r.URL, info.Code, RoleRemote, "乙", "")
	for _, c := range []*Client{host, a.Client, b.Client} {
		if err := c.WaitSynced(ctx); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 10*time.Second, "a connected", func() bool { return connected(a.Client) })

	// b raises its hand; the host gives a the mic.
	b.Send(Event{Type: EvHand, Up: boolp(true)})
	eventually(t, 5*time.Second, "b's hand at the host", func() bool { return slices.Contains(host.View().Hands, b.ID) })
	host.Send(Event{Type: EvMic, To: strp(a.ID)})
	host.Send(Event{Type: EvPage, Page: intp(2)})
	eventually(t, 5*time.Second, "a holds the mic", func() bool { v := a.View(); return v.Mic == a.ID && v.Page == 2 })

	// Both links break (no leave).
	a.Drop()
	b.Drop()
	eventually(t, 5*time.Second, "the host sees a and b reconnecting", func() bool {
		v := host.View()
		sa, oka := peerStatus(v, a.ID)
		sb, okb := peerStatus(v, b.ID)
		return oka && okb && sa == StatusReconnecting && sb == StatusReconnecting
	})
	if st, _ := r.Stats(info.Code); st.Participants != 3 || st.Reconnecting != 2 {
		t.Errorf("stats while reconnecting: %+v", st)
	}
	if v := host.View(); v.Mic != a.ID || !slices.Contains(v.Hands, b.ID) {
		t.Errorf("while a and b reconnect the host sees mic %q, hands %v", v.Mic, v.Hands)
	}
	// The page turns while they are away.
	host.Send(Event{Type: EvPage, Page: intp(3)})

	// a resumes within the grace: same id, the mic, the current page.
	a2 := join2(t, ctx, ClientConfig{URL: r.URL, Lesson: info.Code, Role: RoleRemote, Name: "甲", Resume: a.Resume, API: api})
	if a2.ID != a.ID {
		t.Fatalf("a resumed as %s, was %s", a2.ID, a.ID)
	}
	if err := a2.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}
	if v := a2.View(); v.Mic != a.ID || v.Page != 3 {
		t.Errorf("a's view after resuming: mic %q page %d", v.Mic, v.Page)
	}
	eventually(t, 5*time.Second, "the host sees a back", func() bool {
		s, ok := peerStatus(host.View(), a.ID)
		return ok && s == ""
	})
	// Its voice is forwarded again: it still holds the mic.
	eventually(t, 10*time.Second, "a connected again", func() bool { return connected(a2.Client) })
	before, _ := r.Stats(info.Code)
	speak(t, a2.Mic, 0, 25)
	eventually(t, 5*time.Second, "a's voice forwarded", func() bool {
		st, _ := r.Stats(info.Code)
		return st.FloorPackets > before.FloorPackets
	})

	// b does not come back: after the grace it leaves and its hand goes down.
	eventually(t, grace+10*time.Second, "b removed after the grace", func() bool {
		_, ok := peerStatus(host.View(), b.ID)
		return !ok && !slices.Contains(host.View().Hands, b.ID)
	})
	if got := log.about(b.ID); !slices.Equal(got, []string{TypeJoined, TypeReconnecting, TypeLeft + ":" + ReasonTimeout}) {
		t.Errorf("the host was told about b: %v", got)
	}
	// a drops again and stays away: the mic returns to the host.
	a2.Drop()
	eventually(t, grace+10*time.Second, "the mic returns to the host", func() bool {
		_, ok := peerStatus(host.View(), a.ID)
		return host.View().Mic == "" && !ok
	})

	// An explicit leave removes at once, without a reconnecting phase.
	c := join(t, ctx, api, r.URL, info.Code, RoleRemote, "丙", "")
	if err := c.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}
	c.Send(Event{Type: EvHand, Up: boolp(true)})
	eventually(t, 5*time.Second, "c's hand at the host", func() bool { return slices.Contains(host.View().Hands, c.ID) })
	c.Close()
	eventually(t, 5*time.Second, "c removed", func() bool {
		_, ok := peerStatus(host.View(), c.ID)
		return !ok && !slices.Contains(host.View().Hands, c.ID)
	})
	if got := log.about(c.ID); !slices.Equal(got, []string{TypeJoined, TypeLeft + ":" + ReasonClosed}) {
		t.Errorf("the host was told about c: %v", got)
	}
}

// TestHostReplacedWhileReconnecting: a host whose link went away is
// replaced by a host connection that proves the key without a resume token
// (an app restarted); a remote cannot take its place.
func TestHostReplacedWhileReconnecting(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := startRelayWith(t, Config{ResumeGrace: time.Minute})
	info, _ := r.Open("")
	api := loopbackAPI(t)
	host := join(t, ctx, api, r.URL, info.Code, RoleHost, "主讲", info.HostKey)
	rem := join(t, ctx, api, r.URL, info.Code, RoleRemote, "远端", "")
	for _, m := range []*member{host, rem} {
		if err := m.WaitSynced(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// While the host is connected a second host is refused.
	if _, err := tryJoin(ctx, api, r.URL, info.Code, RoleHost, "冒充", info.HostKey); err == nil {
		t.Fatal("second host admitted while the host is connected")
	}
	host.Drop()
	eventually(t, 5*time.Second, "host reconnecting", func() bool {
		s, _ := peerStatus(rem.View(), host.ID)
		return s == StatusReconnecting
	})
	h2 := join(t, ctx, api, r.URL, info.Code, RoleHost, "主讲", info.HostKey)
	if h2.ID == host.ID {
		t.Fatalf("a fresh host join took the old id %s", h2.ID)
	}
	eventually(t, 5*time.Second, "old host gone, new one present", func() bool {
		v := rem.View()
		_, old := peerStatus(v, host.ID)
		s, ok := peerStatus(v, h2.ID)
		return !old && ok && s == ""
	})
	if st, _ := r.Stats(info.Code); st.Participants != 2 || st.Reconnecting != 0 {
		t.Errorf("stats: %+v", st)
	}
}

func join2(t testing.TB, ctx context.Context, cfg ClientConfig) *member {
	t.Helper()
	m := &member{heard: map[string]int{}}
	cfg.OnTrack = m.onTrack
	c, err := Dial(ctx, cfg)
	if err != nil {
		t.Fatalf("%s: %v", cfg.Name, err)
	}
	m.Client = c
	t.Cleanup(c.Close)
	return m
}
