package relay

import (
	"testing"

	"github.com/pion/rtp"
)

func TestLessonRules(t *testing.T) {
	host := Peer{ID: "p1", Role: RoleHost}
	a := Peer{ID: "p2", Role: RoleRemote, Name: "草原小学"}
	b := Peer{ID: "p3", Role: RoleRemote}
	peers := map[string]Peer{"p1": host, "p2": a, "p3": b}
	present := func(id string) (Peer, bool) { p, ok := peers[id]; return p, ok }
	var l lesson
	must := func(from Peer, e Event) []delivery {
		t.Helper()
		ds, err := l.apply(from, e, present)
		if err != nil {
			t.Fatalf("%s %s: %v", from.ID, e.Type, err)
		}
		return ds
	}
	refuse := func(from Peer, e Event, code string) {
		t.Helper()
		seq := l.seq
		if _, err := l.apply(from, e, present); err == nil || err.Code != code {
			t.Fatalf("%s %s: got %v, want %s", from.ID, e.Type, err, code)
		}
		if l.seq != seq {
			t.Fatal("refusal changed seq")
		}
	}

	// Hands and mic.
	must(a, Event{Type: EvHand, Up: boolp(true)})
	must(b, Event{Type: EvHand, Up: boolp(true)})
	refuse(a, Event{Type: EvHand, Up: boolp(false), Who: "p3"}, CodeForbidden)
	refuse(host, Event{Type: EvHand, Up: boolp(true), Who: "p3"}, CodeForbidden)
	refuse(a, Event{Type: EvMic, To: strp("p2")}, CodeForbidden)
	refuse(host, Event{Type: EvMic, To: strp("p9")}, CodeNotFound)
	refuse(host, Event{Type: EvMic, To: strp("p1")}, CodeNotFound)
	must(host, Event{Type: EvMic, To: strp("p2")})
	if l.mic != "p2" || len(l.hands) != 1 || l.hands[0] != "p3" {
		t.Fatalf("mic %q hands %v", l.mic, l.hands)
	}
	refuse(b, Event{Type: EvMic, To: strp("")}, CodeForbidden)
	must(a, Event{Type: EvMic, To: strp("")}) // the holder gives it back
	must(host, Event{Type: EvMic, To: strp("p3")})
	ds := l.leave("p3")
	if l.mic != "" || len(l.hands) != 0 || len(ds) != 1 {
		t.Fatalf("after leave: mic %q hands %v, %d events", l.mic, l.hands, len(ds))
	}

	// Quiz: answers go to the sender and the host; the tally to the host only.
	refuse(a, Event{Type: EvAnswer, ID: "q1", Choice: intp(0)}, CodeNotFound)
	must(host, Event{Type: EvQuizStart, Quiz: &Quiz{ID: "q1", Kind: QuizSingle, Options: 3}})
	refuse(a, Event{Type: EvAnswer, ID: "q1", Choice: intp(3)}, CodeBadMessage)
	refuse(host, Event{Type: EvAnswer, ID: "q1", Choice: intp(0)}, CodeForbidden)
	ds = must(a, Event{Type: EvAnswer, ID: "q1", Choice: intp(2)})
	if len(ds) != 3 || ds[0].to != toOne || ds[1].to != toHost || ds[2].ev.Type != EvTally {
		t.Fatalf("answer deliveries %+v", ds)
	}
	must(a, Event{Type: EvAnswer, ID: "q1", Choice: intp(1)}) // a change of mind counts once
	ds = must(b, Event{Type: EvAnswer, ID: "q1", Choice: intp(1)})
	if c := ds[2].ev.Counts; c[0] != 0 || c[1] != 2 || c[2] != 0 {
		t.Fatalf("tally %v", c)
	}
	hs, _, _ := l.snapshot(host, nil)
	as, _, _ := l.snapshot(a, nil)
	if hs.Quiz.Counts == nil || as.Quiz.Counts != nil || as.Quiz.Mine == nil || *as.Quiz.Mine != 1 {
		t.Fatalf("quiz snapshots: host %+v remote %+v", hs.Quiz, as.Quiz)
	}
	ds = must(host, Event{Type: EvQuizEnd})
	if ds[0].ev.ID != "q1" || ds[0].ev.Counts[1] != 2 || l.quiz != nil {
		t.Fatalf("quiz end %+v", ds[0].ev)
	}

	// Ink: strokes, undo, clear, and the points account.
	st := func(id string, page int) Event {
		return Event{Type: EvStroke, Stroke: &Stroke{ID: id, Page: page, Color: "#000000", Width: 2, Points: []int{1, 2, 3, 4}}}
	}
	must(host, st("s1", 0))
	must(host, st("s2", 1))
	must(host, st("s3", 1))
	refuse(host, st("s1", 0), CodeBadMessage)
	refuse(a, st("s9", 0), CodeForbidden)
	must(host, Event{Type: EvUndo, ID: "s2"})
	refuse(host, Event{Type: EvUndo, ID: "s2"}, CodeNotFound)
	must(host, Event{Type: EvClear, Page: intp(0)})
	if len(l.strokes) != 1 || l.strokes[0].ID != "s3" || l.points != 4 {
		t.Fatalf("strokes %+v points %d", l.strokes, l.points)
	}
	// Chat from anyone, stamped by the relay.
	ds = must(a, Event{Type: EvChat, Text: "老师好", From: "p1", Name: "假冒"})
	if ds[0].ev.From != "p2" || ds[0].ev.Name != "草原小学" || ds[0].ev.Seq != l.seq {
		t.Fatalf("chat %+v", ds[0].ev)
	}
}

func TestForwarderContinuity(t *testing.T) {
	f := newForwarder(48000)
	srcA, srcB := new(int), new(int)
	p := &rtp.Packet{Header: rtp.Header{SequenceNumber: 100, Timestamp: 5000}}
	f.forward(srcA, p)
	p = &rtp.Packet{Header: rtp.Header{SequenceNumber: 101, Timestamp: 5960}}
	f.forward(srcA, p)
	// The mic passes to B, whose stream starts elsewhere.
	p = &rtp.Packet{Header: rtp.Header{SequenceNumber: 40000, Timestamp: 1 << 30, Extension: true}}
	f.forward(srcB, p)
	if p.SequenceNumber != 102 || p.Timestamp <= 5960 || !p.Marker || p.Extension {
		t.Fatalf("after the switch: seq %d ts %d marker %v ext %v", p.SequenceNumber, p.Timestamp, p.Marker, p.Extension)
	}
	ts := p.Timestamp
	p = &rtp.Packet{Header: rtp.Header{SequenceNumber: 40001, Timestamp: 1<<30 + 960}}
	f.forward(srcB, p)
	if p.SequenceNumber != 103 || p.Timestamp != ts+960 {
		t.Fatalf("B continues: seq %d ts %d", p.SequenceNumber, p.Timestamp)
	}
	// A packet of B older than its first (reordered) is dropped.
	f.forward(srcB, &rtp.Packet{Header: rtp.Header{SequenceNumber: 39999, Timestamp: 1<<30 - 960}})
	if f.packets.Load() != 4 {
		t.Fatal("packet count")
	}
}
