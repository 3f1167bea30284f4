package relay

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// rawSignal dials the relay, sends msg as is and returns the first reply.
func rawSignal(t *testing.T, ctx context.Context, url string, msg []byte) (Signal, error) {
	t.Helper()
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{Subprotocol}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	if err := ws.Write(ctx, websocket.MessageText, msg); err != nil {
		return Signal{}, err
	}
	_, b, err := ws.Read(ctx)
	if err != nil {
		return Signal{}, err
	}
	var s Signal
	return s, json.Unmarshal(b, &s)
}

// TestRefusals: hostile or mistaken joins are refused with clear codes and
// leave a running lesson unharmed.
func TestRefusals(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := startRelay(t, NetConfig{})
	info, err := r.Open("12345678")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Open("12345678"); !errors.Is(err, ErrLessonExists) {
		t.Fatalf("second Open: %v", err)
	}
	api := loopbackAPI(t)
	host := join(t, ctx, api, r.URL, info.Code, RoleHost, "主讲", info.HostKey)
	rem := join(t, ctx, api, r.URL, info.Code, RoleRemote, "远端", "")
	for _, m := range []*member{host, rem} {
		if err := m.WaitSynced(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := host.Send(Event{Type: EvPage, Page: intp(2)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "page 2", func() bool { return rem.View().Page == 2 })

	joins := []struct {
		name, code string
		join       func() error
	}{
		{"wrong lesson code", CodeLessonUnknown, func() error {
			_, err := tryJoin(ctx, api, r.URL, "87654321", RoleRemote, "x", "")
			return err
		}},
		{"remote claiming the host role", CodeNotHost, func() error {
			_, err := tryJoin(ctx, api, r.URL, info.Code, RoleHost, "冒充", "")
			return err
		}},
		{"host role with a wrong key", CodeNotHost, func() error {
			_, err := tryJoin(ctx, api, r.URL, info.Code, RoleHost, "冒充", strings.Repeat("A", 32))
			return err
		}},
		{"second host", CodeHostPresent, func() error {
			_, err := tryJoin(ctx, api, r.URL, info.Code, RoleHost, "第二", info.HostKey)
			return err
		}},
	}
	for _, j := range joins {
		err := j.join()
		var pe *ProtocolError
		if !errors.As(err, &pe) || pe.Code != j.code {
			t.Errorf("%s: got %v, want %s", j.name, err, j.code)
		}
	}

	raw := []struct {
		name, msg, code string
	}{
		{"not JSON", "hello", CodeBadMessage},
		{"JSON array", "[1,2]", CodeBadMessage},
		{"trailing data", `{"v":1,"type":"join"}{}`, CodeBadMessage},
		{"wrong version", `{"v":2,"type":"join","lesson":"12345678","role":"remote","name":"a"}`, CodeBadVersion},
		{"unknown type", `{"v":1,"type":"takeover"}`, CodeUnknownType},
		{"server-only type", `{"v":1,"type":"offer","sdp":"v=0"}`, CodeUnknownType},
		{"answer before join", `{"v":1,"type":"answer","sdp":"v=0\r\n"}`, CodeWrongState},
		{"bad lesson code", `{"v":1,"type":"join","lesson":"12ab","role":"remote","name":"a"}`, CodeBadMessage},
		{"bad role", `{"v":1,"type":"join","lesson":"12345678","role":"admin","name":"a"}`, CodeBadMessage},
		{"empty name", `{"v":1,"type":"join","lesson":"12345678","role":"remote","name":""}`, CodeBadMessage},
		{"control chars in name", `{"v":1,"type":"join","lesson":"12345678","role":"remote","name":"a\u0007"}`, CodeBadMessage},
		{"oversized", `{"v":1,"type":"join","name":"` + strings.Repeat("x", MaxSignalBytes) + `"}`, CodeTooLarge},
	}
	for _, c := range raw {
		s, err := rawSignal(t, ctx, r.URL, []byte(c.msg))
		if err != nil || s.Type != TypeError || s.Code != c.code {
			t.Errorf("%s: got %+v %v, want error %s", c.name, s, err, c.code)
		}
	}

	// A message far beyond the read limit closes the socket; nothing else happens.
	if _, err := rawSignal(t, ctx, r.URL, []byte(strings.Repeat("x", 4*MaxSignalBytes))); err == nil {
		t.Errorf("huge message: no error")
	}

	// Hostile data-channel messages from the remote: refused, state intact.
	bad := []struct {
		name string
		msg  string
		code string
	}{
		{"garbage", "\x00\x01garbage", CodeBadMessage},
		{"oversized", `{"type":"chat","text":"` + strings.Repeat("x", MaxEventBytes) + `"}`, CodeTooLarge},
		{"remote starts a quiz", `{"type":"quiz_start","quiz":{"id":"q1","kind":"single","options":4}}`, CodeForbidden},
		{"remote grants itself the mic", `{"type":"mic","to":"` + rem.ID + `"}`, CodeForbidden},
		{"remote draws", `{"type":"stroke","stroke":{"id":"s1","page":0,"color":"#ff0000","width":3,"points":[1,2]}}`, CodeForbidden},
		{"page out of range", `{"type":"page","page":100000}`, CodeBadMessage},
		{"laser on the state channel", `{"type":"laser","x":1,"y":2}`, CodeUnknownType},
		{"relay-only type", `{"type":"snapshot"}`, CodeUnknownType},
		{"answer to no quiz", `{"type":"answer","id":"q9","choice":1}`, CodeNotFound},
	}
	for _, c := range bad {
		before := rem.View().Err
		if err := rem.SendRaw([]byte(c.msg)); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, c.name, func() bool { v := rem.View(); return v.Err != nil && v.Err != before })
		if got := rem.View().Err.Code; got != c.code {
			t.Errorf("%s: code %s, want %s", c.name, got, c.code)
		}
	}
	// A forged "from" or "seq" is ignored: the relay stamps its own.
	if err := rem.SendRaw([]byte(`{"type":"chat","text":"你好","from":"` + host.ID + `","seq":999999}`)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "chat at the host", func() bool { return len(host.View().Chat) == 1 })
	if c := host.View().Chat[0]; c.From != rem.ID || c.Seq > 10 || c.Text != "你好" {
		t.Fatalf("chat arrived as %+v", c)
	}

	// The lesson is unharmed: both still connected, the page is 2, a page
	// turn still reaches the remote.
	if host.View().Page != 2 || rem.View().Page != 2 {
		t.Fatal("page changed")
	}
	if err := host.Send(Event{Type: EvPage, Page: intp(4)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "page 4", func() bool { return rem.View().Page == 4 })
	if st, _ := r.Stats(info.Code); st.Participants != 2 {
		t.Fatalf("participants %d, want 2", st.Participants)
	}
}

// TestResume: a participant reconnecting with its resume token keeps its id
// and the mic, and gets the current state at once.
func TestResume(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := startRelay(t, NetConfig{})
	info, _ := r.Open("")
	api := loopbackAPI(t)
	host := join(t, ctx, api, r.URL, info.Code, RoleHost, "主讲", info.HostKey)
	rem := join(t, ctx, api, r.URL, info.Code, RoleRemote, "远端", "")
	for _, m := range []*member{host, rem} {
		if err := m.WaitSynced(ctx); err != nil {
			t.Fatal(err)
		}
	}
	host.Send(Event{Type: EvMic, To: strp(rem.ID)})
	host.Send(Event{Type: EvPage, Page: intp(6)})
	eventually(t, 5*time.Second, "state", func() bool { v := rem.View(); return v.Page == 6 && v.Mic == rem.ID })

	again, err := Dial(ctx, ClientConfig{URL: r.URL, Lesson: info.Code, Role: RoleRemote, Name: "远端", Resume: rem.Resume, API: api})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if again.ID != rem.ID {
		t.Fatalf("resumed as %s, was %s", again.ID, rem.ID)
	}
	if err := again.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}
	if v := again.View(); v.Page != 6 || v.Mic != rem.ID {
		t.Fatalf("resumed view %+v", v)
	}
	select {
	case <-rem.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the replaced connection was not closed")
	}
	// A spent resume token does not work twice as the other role.
	if _, err := Dial(ctx, ClientConfig{URL: r.URL, Lesson: info.Code, Role: RoleHost, Name: "x", Resume: again.Resume, API: api}); err == nil {
		t.Fatal("resume as host accepted")
	}
}
