package relay

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// ProtocolVersion is the signalling and data-channel protocol version ("v").
const ProtocolVersion = 1

// Limits of the signalling protocol.
const (
	MaxSignalBytes    = 64 << 10 // one WebSocket message
	MaxSDPBytes       = 48 << 10
	MaxCandidateBytes = 1024
	MaxNameBytes      = 64
	MinKeyBytes       = 16
	MaxKeyBytes       = 128
)

// Signalling message types.
const (
	TypeJoin      = "join"      // client → relay: enter a lesson
	TypeJoined    = "joined"    // relay → client: you (or another participant) joined
	TypeLeft      = "left"      // relay → client: a participant left
	TypeOffer     = "offer"     // relay → client (this version): SDP offer
	TypeAnswer    = "answer"    // client → relay: SDP answer
	TypeCandidate = "candidate" // both ways: one trickled ICE candidate
	TypeError     = "error"     // relay → client: a refusal
	TypeLeave     = "leave"     // client → relay: leaving for good (no resume)
	// TypeReconnecting: relay → client: a participant's link went away; its
	// place is kept for the resume grace (Participant.Status "reconnecting").
	TypeReconnecting = "reconnecting"
)

// Peer statuses (Peer.Status).
const (
	StatusReconnecting = "reconnecting" // link lost; its place is kept for the resume grace
)

// Reasons in "left".
const (
	ReasonClosed   = "closed"   // it left (or its connection was ended)
	ReasonTimeout  = "timeout"  // it did not come back within the resume grace
	ReasonReplaced = "replaced" // a host that lost its link was replaced by a new host connection
)

// Role is a participant's role in a lesson.
type Role string

// Roles.
const (
	RoleHost   Role = "host"   // the lead teacher's classroom; one per lesson
	RoleRemote Role = "remote" // a remote classroom
)

// Peer describes a participant to the others.
type Peer struct {
	ID   string `json:"id"`
	Role Role   `json:"role"`
	Name string `json:"name"`
	// Status is "" for a connected participant and StatusReconnecting for
	// one whose link went away and whose place is kept.
	Status string `json:"status,omitempty"`
}

// Candidate is a trickled ICE candidate, as in the browser's RTCIceCandidateInit.
// An empty Candidate string means the end of candidates.
type Candidate struct {
	Candidate        string  `json:"candidate"`
	SDPMid           *string `json:"sdpMid,omitempty"`
	SDPMLineIndex    *uint16 `json:"sdpMLineIndex,omitempty"`
	UsernameFragment *string `json:"usernameFragment,omitempty"`
}

// Signal is one signalling message. Which fields are set depends on Type;
// docs/classroom-protocol.md gives each shape.
type Signal struct {
	V    int    `json:"v"`
	Type string `json:"type"`

	// join
	Lesson string `json:"lesson,omitempty"`
	Role   Role   `json:"role,omitempty"`
	Name   string `json:"name,omitempty"`
	Key    string `json:"key,omitempty"`    // host key, for role "host"
	Resume string `json:"resume,omitempty"` // resume token from an earlier "joined"

	// offer, answer
	SDP string `json:"sdp,omitempty"`

	// candidate
	Candidate *Candidate `json:"candidate,omitempty"`

	// joined, left
	You         string `json:"you,omitempty"`         // joined: your participant id (only to you)
	Participant *Peer  `json:"participant,omitempty"` // joined, left: who
	Roster      []Peer `json:"roster,omitempty"`      // joined (to you): everyone present
	Reason      string `json:"reason,omitempty"`      // left

	// error
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// DecodeSignal parses and validates a message a client sent to the relay.
// Only the client → relay types (join, answer, candidate, leave) are accepted.
func DecodeSignal(b []byte) (Signal, error) {
	var s Signal
	if len(b) > MaxSignalBytes {
		return s, perr(CodeTooLarge, "signalling message of %d bytes, limit %d", len(b), MaxSignalBytes)
	}
	if err := strictJSON(b, &s); err != nil {
		return Signal{}, perr(CodeBadMessage, "not a JSON signalling message: %v", err)
	}
	if s.V != ProtocolVersion {
		return Signal{}, perr(CodeBadVersion, "protocol version %d, this relay speaks %d", s.V, ProtocolVersion)
	}
	switch s.Type {
	case TypeJoin:
		if !ValidLessonCode(s.Lesson) {
			return Signal{}, perr(CodeBadMessage, "lesson code must be 6 to 12 digits")
		}
		if s.Role != RoleHost && s.Role != RoleRemote {
			return Signal{}, perr(CodeBadMessage, "role must be %q or %q", RoleHost, RoleRemote)
		}
		if !validText(s.Name, 1, MaxNameBytes) {
			return Signal{}, perr(CodeBadMessage, "name must be 1 to %d bytes of printable UTF-8", MaxNameBytes)
		}
		if s.Key != "" && !validToken(s.Key) {
			return Signal{}, perr(CodeBadMessage, "key must be %d to %d URL-safe characters", MinKeyBytes, MaxKeyBytes)
		}
		if s.Resume != "" && !validToken(s.Resume) {
			return Signal{}, perr(CodeBadMessage, "resume must be %d to %d URL-safe characters", MinKeyBytes, MaxKeyBytes)
		}
	case TypeAnswer:
		if len(s.SDP) > MaxSDPBytes || !strings.HasPrefix(s.SDP, "v=0") || !utf8.ValidString(s.SDP) {
			return Signal{}, perr(CodeBadMessage, "sdp must be a session description of at most %d bytes", MaxSDPBytes)
		}
	case TypeCandidate:
		c := s.Candidate
		if c == nil {
			return Signal{}, perr(CodeBadMessage, "candidate message without candidate")
		}
		if len(c.Candidate) > MaxCandidateBytes || !printable(c.Candidate) ||
			(c.Candidate != "" && !strings.HasPrefix(c.Candidate, "candidate:")) {
			return Signal{}, perr(CodeBadMessage, "candidate must start with \"candidate:\" and be at most %d bytes", MaxCandidateBytes)
		}
		if c.SDPMid != nil && !validText(*c.SDPMid, 0, 32) {
			return Signal{}, perr(CodeBadMessage, "sdpMid too long or not printable")
		}
		if c.SDPMLineIndex != nil && *c.SDPMLineIndex > 63 {
			return Signal{}, perr(CodeBadMessage, "sdpMLineIndex above 63")
		}
		if c.UsernameFragment != nil && !validText(*c.UsernameFragment, 0, 256) {
			return Signal{}, perr(CodeBadMessage, "usernameFragment too long or not printable")
		}
	case TypeLeave:
	case "":
		return Signal{}, perr(CodeBadMessage, "message without type")
	default:
		return Signal{}, perr(CodeUnknownType, "type %q is not accepted from a client", truncate(s.Type, 32))
	}
	return s, nil
}

// ValidLessonCode reports whether code is 6 to 12 ASCII digits.
func ValidLessonCode(code string) bool {
	if len(code) < 6 || len(code) > 12 {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// strictJSON decodes exactly one JSON object into v.
func strictJSON(b []byte, v any) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return errNotObject
	}
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errTrailing
	}
	return nil
}

type jsonErr string

func (e jsonErr) Error() string { return string(e) }

const (
	errNotObject = jsonErr("not a JSON object")
	errTrailing  = jsonErr("data after the JSON object")
)

// validText: valid UTF-8, no control characters, byte length within [min, max].
func validText(s string, min, max int) bool {
	return len(s) >= min && len(s) <= max && printable(s)
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return false
		}
	}
	return true
}

// validToken: MinKeyBytes..MaxKeyBytes of base64url alphabet.
func validToken(s string) bool { return urlSafe(s, MinKeyBytes, MaxKeyBytes) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
