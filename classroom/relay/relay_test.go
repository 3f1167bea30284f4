package relay

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestLessonEndToEnd: a host and 3 remotes over real PeerConnections and
// WebSocket signalling: voice fan-out, page turns, refusals, a late joiner,
// mic hand-over.
func TestLessonEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := startRelay(t, NetConfig{})
	info, err := r.Open("")
	if err != nil {
		t.Fatal(err)
	}
	api := loopbackAPI(t)
	host := join(t, ctx, api, r.URL, info.Code, RoleHost, "主讲", info.HostKey)
	var remotes []*member
	for i := 1; i <= 3; i++ {
		remotes = append(remotes, join(t, ctx, api, r.URL, info.Code, RoleRemote, fmt.Sprintf("远端%d", i), ""))
	}
	all := append([]*member{host}, remotes...)
	for _, m := range all {
		if err := m.WaitSynced(ctx); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 15*time.Second, "all connected", func() bool {
		for _, m := range all {
			if !connected(m.Client) {
				return false
			}
		}
		return true
	})

	// Voice: the host's packets reach every remote, intact.
	const n = 100
	speak(t, host.Mic, 0, n)
	eventually(t, 5*time.Second, "remotes hear the host", func() bool {
		for _, m := range remotes {
			if m.count("host-audio") < n {
				return false
			}
		}
		return true
	})
	for i, m := range remotes {
		if got := m.count("host-audio"); got != n || m.bad != 0 {
			t.Errorf("remote %d heard %d packets (%d bad), want %d", i+1, got, m.bad, n)
		}
	}
	if host.count("host-audio") != 0 {
		t.Errorf("the host hears itself")
	}

	// A page turn from the host reaches everyone.
	if err := host.Send(Event{Type: EvPage, Page: intp(3)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "page 3 everywhere", func() bool {
		for _, m := range all {
			if m.View().Page != 3 {
				return false
			}
		}
		return true
	})

	// A remote's page turn is refused, and changes nothing.
	if err := remotes[0].Send(Event{Type: EvPage, Page: intp(7)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "forbidden", func() bool {
		v := remotes[0].View()
		return v.Err != nil && v.Err.Code == CodeForbidden
	})
	for _, m := range all {
		if p := m.View().Page; p != 3 {
			t.Fatalf("page %d after a refused turn", p)
		}
	}

	// A late joiner gets the current page at once, in its snapshot.
	late := join(t, ctx, api, r.URL, info.Code, RoleRemote, "迟到", "")
	if err := late.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}
	if p := late.View().Page; p != 3 {
		t.Fatalf("late joiner on page %d, want 3", p)
	}
	eventually(t, 15*time.Second, "late joiner connected", func() bool { return connected(late.Client) })

	// Mic hand-over: remote 2 raises its hand, the host grants the mic.
	r2 := remotes[1]
	if err := r2.Send(Event{Type: EvHand, Up: boolp(true)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "hand up at host", func() bool { h := host.View().Hands; return len(h) == 1 && h[0] == r2.ID })
	// Before the grant, remote 2's voice goes nowhere.
	speak(t, r2.Mic, 1000, 10)
	if err := host.Send(Event{Type: EvMic, To: strp(r2.ID)}); err != nil {
		t.Fatal(err)
	}
	everyone := append(all, late)
	eventually(t, 5*time.Second, "mic with remote 2 everywhere", func() bool {
		for _, m := range everyone {
			if v := m.View(); v.Mic != r2.ID || len(v.Hands) != 0 {
				return false
			}
		}
		return true
	})
	speak(t, r2.Mic, 2000, n)
	listeners := []*member{host, remotes[0], remotes[2], late}
	eventually(t, 5*time.Second, "everyone hears remote 2", func() bool {
		for _, m := range listeners {
			if m.count("floor-audio") < n {
				return false
			}
		}
		return true
	})
	for _, m := range listeners {
		if got := m.count("floor-audio"); got != n {
			t.Errorf("%s heard %d packets of remote 2, want %d (none from before the grant)", m.ID, got, n)
		}
	}
	if r2.count("floor-audio") != 0 {
		t.Errorf("remote 2 hears itself")
	}

	// The host takes the mic back: remote 2's voice stops there.
	if err := host.Send(Event{Type: EvMic, To: strp("")}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "mic back", func() bool { return r2.View().Mic == "" && host.View().Mic == "" })
	speak(t, r2.Mic, 5000, 20)
	time.Sleep(300 * time.Millisecond)
	if got := host.count("floor-audio"); got != n {
		t.Errorf("host heard %d packets of remote 2 after the revoke, want %d", got, n)
	}
	// And the host's voice still reaches everyone, the late joiner too.
	speak(t, host.Mic, n, 20)
	eventually(t, 5*time.Second, "late joiner hears the host", func() bool { return late.count("host-audio") >= 20 })
	if st, _ := r.Stats(info.Code); st.Participants != 5 {
		t.Errorf("participants %d, want 5", st.Participants)
	}
}
