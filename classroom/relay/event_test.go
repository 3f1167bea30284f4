package relay

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestDecodeEvent(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	ok := []string{
		`{"type":"page","page":0}`,
		`{"type":"deck","deck":["` + hash + `"]}`,
		`{"type":"stroke","stroke":{"id":"s-1","page":2,"color":"#FF00aa","width":30,"points":[0,0,10000,10000]}}`,
		`{"type":"undo","id":"s-1"}`,
		`{"type":"clear","page":2}`,
		`{"type":"mic","to":"p2"}`,
		`{"type":"mic","to":""}`,
		`{"type":"quiz_start","quiz":{"id":"q1","kind":"truefalse"}}`,
		`{"type":"quiz_start","quiz":{"id":"q1","kind":"single","options":4}}`,
		`{"type":"quiz_end"}`,
		`{"type":"hand","up":true}`,
		`{"type":"answer","id":"q1","choice":3}`,
		`{"type":"chat","text":"第一行\n第二行"}`,
	}
	for _, s := range ok {
		if _, err := DecodeEvent([]byte(s), false); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	for _, s := range []string{`{"type":"laser","x":5000,"y":0}`, `{"type":"laser"}`} {
		if _, err := DecodeEvent([]byte(s), true); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	bad := map[string]string{
		`{"type":"page"}`:              CodeBadMessage,
		`{"type":"page","page":-1}`:    CodeBadMessage,
		`{"type":"page","page":1.5}`:   CodeBadMessage,
		`{"type":"deck","deck":["x"]}`: CodeBadMessage,
		`{"type":"stroke","stroke":{"id":"s","page":0,"color":"red","width":3,"points":[1,2]}}`:         CodeBadMessage,
		`{"type":"stroke","stroke":{"id":"s","page":0,"color":"#000000","width":0,"points":[1,2]}}`:     CodeBadMessage,
		`{"type":"stroke","stroke":{"id":"s","page":0,"color":"#000000","width":3,"points":[1]}}`:       CodeBadMessage,
		`{"type":"stroke","stroke":{"id":"s","page":0,"color":"#000000","width":3,"points":[1,10001]}}`: CodeBadMessage,
		`{"type":"stroke","stroke":{"id":"s s","page":0,"color":"#000000","width":3,"points":[1,2]}}`:   CodeBadMessage,
		`{"type":"mic"}`: CodeBadMessage,
		`{"type":"quiz_start","quiz":{"id":"q","kind":"essay"}}`:              CodeBadMessage,
		`{"type":"quiz_start","quiz":{"id":"q","kind":"single","options":7}}`: CodeBadMessage,
		`{"type":"hand"}`:                       CodeBadMessage,
		`{"type":"answer","id":"q","choice":6}`: CodeBadMessage,
		`{"type":"chat","text":""}`:             CodeBadMessage,
		`{"type":"chat","text":"bell\u0007"}`:   CodeBadMessage,
		`{"type":"laser","x":1,"y":1}`:          CodeUnknownType,
		`{"type":"tally"}`:                      CodeUnknownType,
		`{"type":"link","links":[{"id":"p2"}]}`: CodeUnknownType,
		`{}`:                                    CodeBadMessage,
		`[]`:                                    CodeBadMessage,
	}
	for s, code := range bad {
		_, err := DecodeEvent([]byte(s), false)
		var pe *ProtocolError
		if !errors.As(err, &pe) || pe.Code != code {
			t.Errorf("%s: got %v, want %s", s, err, code)
		}
	}
	if _, err := DecodeEvent([]byte(`{"type":"page","page":1}`), true); err == nil {
		t.Error("page accepted on the laser channel")
	}
	if _, err := DecodeEvent([]byte(`{"type":"laser","x":1}`), true); err == nil {
		t.Error("laser with x only accepted")
	}
	e, _ := DecodeEvent([]byte(`{"type":"chat","text":"hi","from":"p1","seq":7}`), false)
	if e.From != "" || e.Seq != 0 {
		t.Error("client-set from/seq kept")
	}
}

// TestSnapshotFitsPion: with every lesson limit reached, no relay message
// exceeds pion's 64 KiB data-channel read buffer.
func TestSnapshotFitsPion(t *testing.T) {
	var l lesson
	host := Peer{ID: "p1", Role: RoleHost, Name: "h"}
	deck := make([]string, MaxDeckPages)
	for i := range deck {
		deck[i] = strings.Repeat("f", 64)
	}
	if _, err := l.apply(host, Event{Type: EvDeck, Deck: deck}, nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < ChatKept+5; i++ {
		if _, err := l.apply(host, Event{Type: EvChat, Text: strings.Repeat("字", MaxChatBytes/3)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	pts := make([]int, MaxStrokePoints)
	for i := range pts {
		pts[i] = CoordMax
	}
	if _, err := l.apply(host, Event{Type: EvStroke, Stroke: &Stroke{ID: strings.Repeat("s", MaxStrokeIDBytes), Page: MaxPage, Color: "#000000", Width: 1, Points: pts}}, nil); err != nil {
		t.Fatal(err)
	}
	peers := make([]Peer, MaxParticipantsDef)
	for i := range peers {
		peers[i] = Peer{ID: strings.Repeat("p", 12), Role: RoleRemote, Name: strings.Repeat("名", MaxNameBytes/3)}
	}
	snap, d, strokes := l.snapshot(host, peers)
	for _, e := range []Event{{Type: EvSnapshot, State: &snap, Strokes: 1}, {Type: EvDeck, Deck: d}, {Type: EvStroke, Stroke: &strokes[0]}} {
		b, _ := json.Marshal(e)
		if len(b) > 60<<10 {
			t.Errorf("%s message of %d bytes", e.Type, len(b))
		}
	}
	if b, _ := json.Marshal(Event{Type: EvDeck, Deck: deck}); len(b) > MaxEventBytes {
		t.Errorf("a full deck (%d bytes) does not fit MaxEventBytes", len(b))
	}
}

// FuzzDecodeEvent: the decoder never panics, and an accepted event never
// panics the lesson either, whoever sends it.
func FuzzDecodeEvent(f *testing.F) {
	for _, s := range []string{
		`{"type":"page","page":3}`, `{"type":"stroke","stroke":{"id":"a","page":0,"color":"#000000","width":2,"points":[1,2,3,4]}}`,
		`{"type":"undo","id":"a"}`, `{"type":"mic","to":"p2"}`, `{"type":"quiz_start","quiz":{"id":"q","kind":"single","options":3}}`,
		`{"type":"answer","id":"q","choice":2}`, `{"type":"hand","up":true}`, `{"type":"quiz_end","id":"q"}`,
		`{"type":"clear","page":0}`, `{"type":"chat","text":"你好"}`, `{"type":"laser","x":1,"y":2}`,
		`{"type":"link","links":[{"id":"p2","rtt_ms":1,"loss_pct":0,"quality":"good"}]}`,
	} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, b []byte, laser bool) {
		e, err := DecodeEvent(b, laser)
		if err != nil {
			if _, ok := err.(*ProtocolError); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		if e.Type == EvLaser {
			return
		}
		peers := map[string]Peer{"p1": {ID: "p1", Role: RoleHost}, "p2": {ID: "p2", Role: RoleRemote}}
		present := func(id string) (Peer, bool) { p, ok := peers[id]; return p, ok }
		var l lesson
		l.apply(peers["p1"], Event{Type: EvQuizStart, Quiz: &Quiz{ID: "q", Kind: QuizSingle, Options: 3}}, present)
		for _, from := range []string{"p1", "p2"} {
			before := l.seq
			ds, perr := l.apply(peers[from], e, present)
			if perr != nil && l.seq != before {
				t.Fatal("a refused event changed the lesson")
			}
			for _, d := range ds {
				if b, _ := json.Marshal(d.ev); len(b) > 60<<10 {
					t.Fatal("oversized delivery")
				}
			}
		}
		n := 0
		for _, s := range l.strokes {
			n += len(s.Points)
		}
		if n != l.points {
			t.Fatalf("points %d, counted %d", l.points, n)
		}
	})
}
