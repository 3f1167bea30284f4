package relay

import "slices"

// State is the whole lesson as a recording keeps it and a replay shows it:
// what a Snapshot carries, plus the deck and every live stroke with its
// points (which the live protocol sends as events after the snapshot).
// Apply keeps it from the relay's events the way the relay's lesson does,
// without checking roles: the relay accepted them already. It is what the
// recorder writes as a snapshot record (as JSON) and what the player shows.
type State struct {
	Seq     uint64     `json:"seq,omitempty"`
	Page    int        `json:"page"`
	Deck    []string   `json:"deck,omitempty"`
	Strokes []Stroke   `json:"strokes,omitempty"`
	Mic     string     `json:"mic,omitempty"`
	Hands   []string   `json:"hands,omitempty"`
	Quiz    *QuizState `json:"quiz,omitempty"`
	Chat    []Event    `json:"chat,omitempty"`
}

// StateFrom is the state a snapshot and the deck and strokes that follow it
// describe.
func StateFrom(s Snapshot, deck []string, strokes []Stroke) State {
	st := State{Seq: s.Seq, Page: s.Page, Mic: s.Mic, Hands: slices.Clone(s.Hands),
		Chat: slices.Clone(s.Chat), Deck: slices.Clone(deck)}
	if s.Quiz != nil {
		q := *s.Quiz
		st.Quiz = &q
	}
	for _, k := range strokes {
		st.Apply(Event{Type: EvStroke, Stroke: &k})
	}
	return st
}

// Apply changes the state by one event. Events missing their fields (from a
// damaged file) and events that change nothing (laser, error) are ignored;
// the lesson's limits bound what it keeps.
func (s *State) Apply(e Event) {
	if e.Seq > s.Seq {
		s.Seq = e.Seq
	}
	switch e.Type {
	case EvSnapshot:
		if e.State != nil {
			*s = StateFrom(*e.State, nil, nil)
		}
	case EvPage:
		if e.Page != nil && *e.Page >= 0 && *e.Page <= MaxPage {
			s.Page = *e.Page
		}
	case EvDeck:
		if len(e.Deck) <= MaxDeckPages {
			s.Deck = slices.Clone(e.Deck)
		}
	case EvStroke:
		if e.Stroke == nil {
			return
		}
		k := *e.Stroke
		k.Points = slices.Clone(k.Points)
		// The same stroke twice (a snapshot taken while its event was on
		// the way) replaces, so state ⊕ replay never duplicates.
		if i := slices.IndexFunc(s.Strokes, func(x Stroke) bool { return x.ID == k.ID }); i >= 0 {
			s.Strokes[i] = k
		} else if len(s.Strokes) < MaxLessonStrokes {
			s.Strokes = append(s.Strokes, k)
		}
	case EvUndo:
		s.Strokes = slices.DeleteFunc(s.Strokes, func(x Stroke) bool { return x.ID == e.ID })
	case EvClear:
		if e.Page != nil {
			s.Strokes = slices.DeleteFunc(s.Strokes, func(x Stroke) bool { return x.Page == *e.Page })
		}
	case EvMic:
		if e.To != nil {
			s.Mic = *e.To
			s.Hands = slices.DeleteFunc(s.Hands, func(h string) bool { return h == *e.To })
		}
	case EvHand:
		if e.Up != nil {
			s.Hands = slices.DeleteFunc(s.Hands, func(h string) bool { return h == e.Who })
			if *e.Up && e.Who != "" {
				s.Hands = append(s.Hands, e.Who)
			}
		}
	case EvQuizStart:
		if e.Quiz != nil {
			s.Quiz = &QuizState{Quiz: *e.Quiz}
		}
	case EvQuizEnd:
		s.Quiz = nil
	case EvTally:
		if s.Quiz != nil && s.Quiz.ID == e.ID && len(e.Counts) <= MaxQuizOptions {
			s.Quiz.Counts = slices.Clone(e.Counts)
			n := 0
			for _, c := range e.Counts {
				n += c
			}
			s.Quiz.Answered = n
		}
	case EvChat:
		s.Chat = append(s.Chat, e)
		if len(s.Chat) > ChatKept {
			s.Chat = slices.Delete(s.Chat, 0, len(s.Chat)-ChatKept)
		}
	}
}

// Clone is a deep copy of the state.
func (s State) Clone() State {
	c := s
	c.Deck = slices.Clone(s.Deck)
	c.Hands = slices.Clone(s.Hands)
	c.Chat = slices.Clone(s.Chat)
	c.Strokes = slices.Clone(s.Strokes)
	for i := range c.Strokes {
		c.Strokes[i].Points = slices.Clone(c.Strokes[i].Points)
	}
	if s.Quiz != nil {
		q := *s.Quiz
		q.Counts = slices.Clone(q.Counts)
		c.Quiz = &q
	}
	return c
}
