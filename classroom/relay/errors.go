package relay

import "fmt"

// Error codes sent in "error" messages, on the WebSocket and on the state
// channel. docs/classroom-protocol.md lists what each one means.
const (
	CodeBadMessage    = "bad_message"    // not JSON of the right shape, or a field out of bounds
	CodeTooLarge      = "too_large"      // message over its size limit
	CodeBadVersion    = "bad_version"    // protocol version not spoken here
	CodeUnknownType   = "unknown_type"   // type not known, or not allowed in this direction
	CodeWrongState    = "wrong_state"    // e.g. an answer before join, a second join
	CodeLessonUnknown = "lesson_unknown" // no lesson with this code is open here
	CodeLessonFull    = "lesson_full"    // the lesson has its maximum of participants
	CodeHostPresent   = "host_present"   // a host is already connected
	CodeNotHost       = "not_host"       // host role claimed without the lesson's host key
	CodeForbidden     = "forbidden"      // this role may not send this message
	CodeNotFound      = "not_found"      // the participant, stroke or quiz named does not exist
	CodeLimit         = "limit"          // a lesson limit (strokes, points, deck) is reached
	CodeSlow          = "slow"           // the participant could not keep up and was dropped
	CodeUnauthorized  = "unauthorized"   // the transport refused the request (district auth)
	CodeInternal      = "internal"       // the relay failed; try again
	CodeLessonEnded   = "lesson_ended"   // the lesson was closed by its host or the relay
)

// ProtocolError is a refusal with a code from the list above and a message
// that says what to fix.
type ProtocolError struct {
	Code    string
	Message string
}

func (e *ProtocolError) Error() string { return e.Code + ": " + e.Message }

func perr(code, format string, args ...any) *ProtocolError {
	return &ProtocolError{Code: code, Message: fmt.Sprintf(format, args...)}
}
