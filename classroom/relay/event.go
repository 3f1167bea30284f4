package relay

import (
	"strings"
	"unicode/utf8"
)

// Data-channel labels and their negotiated stream ids (both sides create
// the channels themselves with Negotiated: true, so no extra round trip).
const (
	StateChannel   = "state" // reliable, ordered: lesson state and events
	StateChannelID = 0
	LaserChannel   = "laser" // unordered, MaxRetransmits 0: laser pointer
	LaserChannelID = 1
)

// Limits of the data-channel protocol and of one lesson's state.
const (
	MaxEventBytes      = 16 << 10 // one message on the state channel, client → relay
	MaxLaserBytes      = 256      // one message on the laser channel
	MaxStrokePoints    = 2000     // ints in Stroke.Points (1000 x,y pairs)
	MaxLessonStrokes   = 20000    // live strokes in a lesson
	MaxLessonPoints    = 2000000  // ints in all live strokes of a lesson
	MaxDeckPages       = 200      // slides in a deck
	MaxPage            = 9999     // highest page number
	MaxChatBytes       = 500      // one chat message
	ChatKept           = 50       // chat messages kept for the snapshot
	MaxQuizOptions     = 6        // options of a single-choice quiz
	CoordMax           = 10000    // coordinates are 0..CoordMax of the page width and height
	MaxStrokeIDBytes   = 40
	MaxStrokeWidth     = 200
	MaxParticipantsDef = 64 // default lesson size; Config.MaxParticipants overrides
)

// Event types on the data channels.
const (
	EvPage      = "page"       // host: turn to Page
	EvDeck      = "deck"       // host: the slides, by content hash
	EvStroke    = "stroke"     // host: one ink stroke
	EvUndo      = "undo"       // host: remove stroke ID
	EvClear     = "clear"      // host: remove all strokes of Page
	EvMic       = "mic"        // host: give the mic To a remote ("" takes it back); the holder may give it back
	EvQuizStart = "quiz_start" // host: start Quiz
	EvQuizEnd   = "quiz_end"   // host: end the open quiz
	EvHand      = "hand"       // remote: raise (Up) or lower its hand; host: lower Who's hand
	EvAnswer    = "answer"     // remote: answer quiz ID with Choice
	EvChat      = "chat"       // anyone: Text
	EvLaser     = "laser"      // host, laser channel: pointer at X,Y (absent = hidden)
	EvSnapshot  = "snapshot"   // relay: the lesson state; Strokes stroke events follow
	EvTally     = "tally"      // relay → host: live quiz counts
	EvError     = "error"      // relay: a refusal (Code, Message)
	EvLink      = "link"       // relay → host: Links, the remote classrooms' link quality (linkstats.go)
)

// Stroke is one ink stroke on a page. Points are x,y pairs flattened, each
// coordinate 0..CoordMax of the page's width or height.
type Stroke struct {
	ID     string `json:"id"`
	Page   int    `json:"page"`
	Color  string `json:"color"` // "#rrggbb"
	Width  int    `json:"width"` // in CoordMax units of the page width
	Points []int  `json:"points"`
}

// Quiz is a quick quiz: single choice among Options, or true/false.
type Quiz struct {
	ID      string `json:"id"`
	Kind    string `json:"kind"` // "single" or "truefalse"
	Options int    `json:"options"`
}

// Quiz kinds.
const (
	QuizSingle    = "single"
	QuizTrueFalse = "truefalse"
)

// Event is one data-channel message. The relay stamps Seq (lesson order) and
// From (sender id) on what it forwards; a client's own values are ignored.
type Event struct {
	Type string `json:"type"`
	Seq  uint64 `json:"seq,omitempty"`
	From string `json:"from,omitempty"`
	Name string `json:"name,omitempty"` // chat: the sender's classroom name, stamped by the relay

	Page    *int      `json:"page,omitempty"`
	Deck    []string  `json:"deck,omitempty"`
	Stroke  *Stroke   `json:"stroke,omitempty"`
	ID      string    `json:"id,omitempty"`
	To      *string   `json:"to,omitempty"`
	Who     string    `json:"who,omitempty"`
	Up      *bool     `json:"up,omitempty"`
	Quiz    *Quiz     `json:"quiz,omitempty"`
	Choice  *int      `json:"choice,omitempty"`
	Text    string    `json:"text,omitempty"`
	X       *int      `json:"x,omitempty"`
	Y       *int      `json:"y,omitempty"`
	State   *Snapshot `json:"state,omitempty"`
	Strokes int       `json:"strokes,omitempty"`
	Counts  []int     `json:"counts,omitempty"`
	Code    string    `json:"code,omitempty"`
	Message string    `json:"message,omitempty"`

	Links []LinkInfo `json:"links,omitempty"`
}

// Snapshot is the lesson state a joining or reconnecting participant gets at
// once, as the first message on the state channel. A "deck" event (if the
// lesson has a deck) and Event.Strokes "stroke" events follow it, so that no
// message is larger than pion's 64 KiB read buffer.
type Snapshot struct {
	Seq   uint64     `json:"seq"`
	Page  int        `json:"page"`
	Deck  int        `json:"deck,omitempty"`  // pages in the deck; a "deck" event follows
	Hands []string   `json:"hands,omitempty"` // in the order raised
	Mic   string     `json:"mic,omitempty"`   // who holds the mic ("" = nobody but the host)
	Quiz  *QuizState `json:"quiz,omitempty"`  // the open quiz, if any
	Chat  []Event    `json:"chat,omitempty"`  // the last ChatKept chat messages
	Peers []Peer     `json:"peers,omitempty"` // who is present
	About *About     `json:"about,omitempty"` // what the lesson is, if its opener said
}

// QuizState is the open quiz. Counts is sent to the host only; Mine is the
// receiving remote's own answer.
type QuizState struct {
	Quiz
	Counts   []int `json:"counts,omitempty"`
	Answered int   `json:"answered"`
	Mine     *int  `json:"mine,omitempty"`
}

// DecodeEvent parses and validates a message a client sent on the state
// channel (laser=false) or the laser channel (laser=true). It checks shape and
// bounds only; whether the sender's role may send it is the lesson's call.
func DecodeEvent(b []byte, laser bool) (Event, error) {
	var e Event
	limit := MaxEventBytes
	if laser {
		limit = MaxLaserBytes
	}
	if len(b) > limit {
		return e, perr(CodeTooLarge, "message of %d bytes, limit %d", len(b), limit)
	}
	if err := strictJSON(b, &e); err != nil {
		return Event{}, perr(CodeBadMessage, "not a JSON event: %v", err)
	}
	if laser != (e.Type == EvLaser) {
		return Event{}, perr(CodeUnknownType, "type %q does not belong on the %s channel", truncate(e.Type, 32), map[bool]string{true: LaserChannel, false: StateChannel}[laser])
	}
	if err := validateEvent(&e); err != nil {
		return Event{}, err
	}
	// Fields the relay stamps are never taken from a client.
	e.Seq, e.From, e.Name = 0, "", ""
	return e, nil
}

func validateEvent(e *Event) *ProtocolError {
	bad := func(f string, a ...any) *ProtocolError { return perr(CodeBadMessage, e.Type+": "+f, a...) }
	switch e.Type {
	case EvPage:
		if e.Page == nil || *e.Page < 0 || *e.Page > MaxPage {
			return bad("page must be 0..%d", MaxPage)
		}
	case EvDeck:
		if len(e.Deck) > MaxDeckPages {
			return bad("at most %d pages", MaxDeckPages)
		}
		for _, h := range e.Deck {
			if !validHash(h) {
				return bad("pages must be lower-case hex SHA-256 hashes")
			}
		}
	case EvStroke:
		s := e.Stroke
		if s == nil {
			return bad("stroke missing")
		}
		if !validID(s.ID) {
			return bad("stroke id must be 1..%d URL-safe characters", MaxStrokeIDBytes)
		}
		if s.Page < 0 || s.Page > MaxPage {
			return bad("page must be 0..%d", MaxPage)
		}
		if !validColor(s.Color) {
			return bad("color must be #rrggbb")
		}
		if s.Width < 1 || s.Width > MaxStrokeWidth {
			return bad("width must be 1..%d", MaxStrokeWidth)
		}
		if len(s.Points) < 2 || len(s.Points) > MaxStrokePoints || len(s.Points)%2 != 0 {
			return bad("points must be 1 to %d x,y pairs", MaxStrokePoints/2)
		}
		for _, p := range s.Points {
			if p < 0 || p > CoordMax {
				return bad("coordinates must be 0..%d", CoordMax)
			}
		}
	case EvUndo:
		if !validID(e.ID) {
			return bad("id must name a stroke")
		}
	case EvClear:
		if e.Page == nil || *e.Page < 0 || *e.Page > MaxPage {
			return bad("page must be 0..%d", MaxPage)
		}
	case EvMic:
		if e.To == nil || (*e.To != "" && !validID(*e.To)) {
			return bad("to must be a participant id or \"\"")
		}
	case EvQuizStart:
		q := e.Quiz
		if q == nil || !validID(q.ID) {
			return bad("quiz with an id required")
		}
		switch q.Kind {
		case QuizTrueFalse:
			if q.Options != 2 && q.Options != 0 {
				return bad("a true/false quiz has 2 options")
			}
			q.Options = 2
		case QuizSingle:
			if q.Options < 2 || q.Options > MaxQuizOptions {
				return bad("a single-choice quiz has 2..%d options", MaxQuizOptions)
			}
		default:
			return bad("kind must be %q or %q", QuizSingle, QuizTrueFalse)
		}
	case EvQuizEnd:
		if e.ID != "" && !validID(e.ID) {
			return bad("bad quiz id")
		}
	case EvHand:
		if e.Up == nil {
			return bad("up must be true or false")
		}
		if e.Who != "" && !validID(e.Who) {
			return bad("who must be a participant id")
		}
	case EvAnswer:
		if !validID(e.ID) || e.Choice == nil || *e.Choice < 0 || *e.Choice >= MaxQuizOptions {
			return bad("quiz id and choice 0..%d required", MaxQuizOptions-1)
		}
	case EvChat:
		if len(e.Text) == 0 || len(e.Text) > MaxChatBytes || !chatText(e.Text) {
			return bad("text must be 1..%d bytes of UTF-8 text", MaxChatBytes)
		}
	case EvLaser:
		if (e.X == nil) != (e.Y == nil) {
			return bad("x and y go together")
		}
		if e.X != nil && (*e.X < 0 || *e.X > CoordMax || *e.Y < 0 || *e.Y > CoordMax) {
			return bad("coordinates must be 0..%d", CoordMax)
		}
	case "":
		return perr(CodeBadMessage, "message without type")
	default:
		return perr(CodeUnknownType, "type %q is not accepted from a client", truncate(e.Type, 32))
	}
	return nil
}

func validID(s string) bool { return urlSafe(s, 1, MaxStrokeIDBytes) }

// urlSafe reports whether s is min..max characters of the base64url
// alphabet (letters, digits, '-' and '_').
func urlSafe(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func validHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	return strings.Trim(s, "0123456789abcdef") == ""
}

func validColor(s string) bool {
	return len(s) == 7 && s[0] == '#' && strings.Trim(strings.ToLower(s[1:]), "0123456789abcdef") == ""
}

func chatText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return false
		}
	}
	return true
}
