package relay

import "slices"

// RelayID is the From of events the relay itself originates (e.g. the mic
// returning to the host when its holder leaves).
const RelayID = "relay"

// audience says who receives a delivery.
type audience int

const (
	toAll  audience = iota // every participant, the sender included
	toHost                 // the host only
	toOne                  // the participant named in delivery.who
)

// delivery is one event the room sends after applying a message.
type delivery struct {
	to  audience
	who string
	ev  Event
}

// lesson is the state the relay keeps for one lesson: enough for a late
// joiner to catch up at once. It is not safe for concurrent use; the room
// holds its lock around every call.
type lesson struct {
	seq     uint64
	page    int
	deck    []string
	strokes []Stroke
	points  int
	hands   []string
	mic     string
	quiz    *openQuiz
	chat    []Event
}

type openQuiz struct {
	Quiz
	answers map[string]int
}

func (q *openQuiz) counts() []int {
	c := make([]int, q.Options)
	for _, a := range q.answers {
		c[a]++
	}
	return c
}

// apply checks that from may send e, changes the state and returns what to
// send to whom. A refusal leaves the state as it was.
func (l *lesson) apply(from Peer, e Event, present func(id string) (Peer, bool)) ([]delivery, *ProtocolError) {
	host := from.Role == RoleHost
	hostOnly := func() *ProtocolError {
		if !host {
			return perr(CodeForbidden, "only the host may send %q", e.Type)
		}
		return nil
	}
	switch e.Type {
	case EvPage:
		if err := hostOnly(); err != nil {
			return nil, err
		}
		l.page = *e.Page
	case EvDeck:
		if err := hostOnly(); err != nil {
			return nil, err
		}
		l.deck = slices.Clone(e.Deck)
	case EvStroke:
		if err := hostOnly(); err != nil {
			return nil, err
		}
		if l.strokeIndex(e.Stroke.ID) >= 0 {
			return nil, perr(CodeBadMessage, "stroke id %q already used", e.Stroke.ID)
		}
		if len(l.strokes) >= MaxLessonStrokes || l.points+len(e.Stroke.Points) > MaxLessonPoints {
			return nil, perr(CodeLimit, "the lesson holds at most %d strokes and %d points; clear a page", MaxLessonStrokes, MaxLessonPoints)
		}
		s := *e.Stroke
		s.Points = slices.Clone(s.Points)
		l.strokes = append(l.strokes, s)
		l.points += len(s.Points)
	case EvUndo:
		if err := hostOnly(); err != nil {
			return nil, err
		}
		i := l.strokeIndex(e.ID)
		if i < 0 {
			return nil, perr(CodeNotFound, "no stroke %q", e.ID)
		}
		l.points -= len(l.strokes[i].Points)
		l.strokes = slices.Delete(l.strokes, i, i+1)
	case EvClear:
		if err := hostOnly(); err != nil {
			return nil, err
		}
		l.strokes = slices.DeleteFunc(l.strokes, func(s Stroke) bool { return s.Page == *e.Page })
		l.points = 0
		for _, s := range l.strokes {
			l.points += len(s.Points)
		}
	case EvMic:
		to := *e.To
		switch {
		case host && to == "":
		case host:
			p, ok := present(to)
			if !ok || p.Role != RoleRemote {
				return nil, perr(CodeNotFound, "no remote classroom %q in this lesson", to)
			}
			l.lowerHand(to)
		case to == "" && l.mic == from.ID:
		default:
			return nil, perr(CodeForbidden, "only the host grants the mic; its holder may only give it back")
		}
		l.mic = to
	case EvQuizStart:
		if err := hostOnly(); err != nil {
			return nil, err
		}
		l.quiz = &openQuiz{Quiz: *e.Quiz, answers: map[string]int{}}
	case EvQuizEnd:
		if err := hostOnly(); err != nil {
			return nil, err
		}
		if l.quiz == nil || (e.ID != "" && e.ID != l.quiz.ID) {
			return nil, perr(CodeNotFound, "no open quiz %q", e.ID)
		}
		e.ID, e.Counts = l.quiz.ID, l.quiz.counts()
		l.quiz = nil
	case EvHand:
		up := *e.Up
		switch {
		case !host && (e.Who == "" || e.Who == from.ID):
			e.Who = from.ID
			if up {
				if !slices.Contains(l.hands, from.ID) {
					l.hands = append(l.hands, from.ID)
				}
			} else {
				l.lowerHand(from.ID)
			}
		case host && !up && e.Who != "":
			if !slices.Contains(l.hands, e.Who) {
				return nil, perr(CodeNotFound, "%q has no hand up", e.Who)
			}
			l.lowerHand(e.Who)
		default:
			return nil, perr(CodeForbidden, "a remote raises or lowers its own hand; the host may only lower one")
		}
	case EvAnswer:
		if host {
			return nil, perr(CodeForbidden, "the host does not answer quizzes")
		}
		if l.quiz == nil || l.quiz.ID != e.ID {
			return nil, perr(CodeNotFound, "no open quiz %q", e.ID)
		}
		if *e.Choice >= l.quiz.Options {
			return nil, perr(CodeBadMessage, "choice must be 0..%d", l.quiz.Options-1)
		}
		l.quiz.answers[from.ID] = *e.Choice
		l.seq++
		e.Seq, e.From = l.seq, from.ID
		tally := Event{Type: EvTally, Seq: l.seq, From: RelayID, ID: l.quiz.ID, Counts: l.quiz.counts()}
		return []delivery{{to: toOne, who: from.ID, ev: e}, {to: toHost, ev: e}, {to: toHost, ev: tally}}, nil
	case EvChat:
		// anyone
	default:
		return nil, perr(CodeUnknownType, "type %q is not accepted here", truncate(e.Type, 32))
	}
	l.seq++
	e.Seq, e.From = l.seq, from.ID
	if e.Type == EvChat {
		e.Name = from.Name // the message keeps its sender's name after they leave, and in a recording
		l.chat = append(l.chat, e)
		if len(l.chat) > ChatKept {
			l.chat = slices.Delete(l.chat, 0, len(l.chat)-ChatKept)
		}
	}
	return []delivery{{to: toAll, ev: e}}, nil
}

// leave drops id's hand and mic; it returns the events that tell the others.
func (l *lesson) leave(id string) []delivery {
	var out []delivery
	if slices.Contains(l.hands, id) {
		l.lowerHand(id)
		l.seq++
		f := false
		out = append(out, delivery{to: toAll, ev: Event{Type: EvHand, Seq: l.seq, From: RelayID, Who: id, Up: &f}})
	}
	if l.mic == id {
		l.mic = ""
		l.seq++
		none := ""
		out = append(out, delivery{to: toAll, ev: Event{Type: EvMic, Seq: l.seq, From: RelayID, To: &none}})
	}
	return out
}

// snapshot is the state as seen by p, and the deck and strokes that follow it.
func (l *lesson) snapshot(p Peer, peers []Peer) (Snapshot, []string, []Stroke) {
	s := Snapshot{Seq: l.seq, Page: l.page, Deck: len(l.deck), Hands: slices.Clone(l.hands),
		Mic: l.mic, Chat: slices.Clone(l.chat), Peers: peers}
	if q := l.quiz; q != nil {
		qs := &QuizState{Quiz: q.Quiz, Answered: len(q.answers)}
		if p.Role == RoleHost {
			qs.Counts = q.counts()
		} else if a, ok := q.answers[p.ID]; ok {
			qs.Mine = &a
		}
		s.Quiz = qs
	}
	return s, slices.Clone(l.deck), slices.Clone(l.strokes)
}

func (l *lesson) strokeIndex(id string) int {
	return slices.IndexFunc(l.strokes, func(s Stroke) bool { return s.ID == id })
}

func (l *lesson) lowerHand(id string) {
	l.hands = slices.DeleteFunc(l.hands, func(h string) bool { return h == id })
}
