package relay

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Subprotocol is the WebSocket subprotocol of the signalling.
const Subprotocol = "qiao-classroom.v1"

// Signalling timing and bounds.
const (
	joinTimeout     = 15 * time.Second // from upgrade to a valid join
	writeTimeout    = 10 * time.Second // one outgoing message
	sinkQueue       = 256              // outgoing messages waiting; more means the link is gone
	maxSignalFaults = 16               // refused messages after join before the relay hangs up
)

// HandlerOptions configure the WebSocket signalling endpoint.
type HandlerOptions struct {
	// Authorize, if set, runs before the upgrade; an error refuses the
	// request with 401 and {"error":"unauthorized"}. qiao-district mounts
	// the handler behind its signed-request check (district.DeviceFrom).
	Authorize func(*http.Request) error
	// OriginPatterns lists browser origins allowed besides the same host.
	// Qiao's own clients send no Origin header and are always allowed.
	OriginPatterns []string
	// Lesson, if set, returns the only lesson code a join on this request
	// may name (qiao-district: the code in the URL, which Authorize
	// checked); a join naming another code is refused "lesson_unknown".
	Lesson func(*http.Request) string
}

// Handler returns the signalling endpoint: an http.Handler that upgrades to
// a WebSocket and speaks docs/classroom-protocol.md. Mount it anywhere, e.g.
// at /v1/classroom in qiao-district or /classroom in the host's LAN server.
func (r *Relay) Handler(opts HandlerOptions) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if opts.Authorize != nil {
			if err := opts.Authorize(req); err != nil {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				_ = json.NewEncoder(w).Encode(map[string]string{"error": CodeUnauthorized, "message": err.Error()})
				return
			}
		}
		c, err := websocket.Accept(w, req, &websocket.AcceptOptions{
			Subprotocols:   []string{Subprotocol},
			OriginPatterns: opts.OriginPatterns,
		})
		if err != nil {
			return // Accept has answered
		}
		only := ""
		if opts.Lesson != nil {
			only = opts.Lesson(req)
		}
		r.serveSignalling(req.Context(), c, only)
	})
}

// serveSignalling runs one participant's signalling connection.
// A non-empty only is the one lesson code its join may name.
func (r *Relay) serveSignalling(ctx context.Context, c *websocket.Conn, only string) {
	c.SetReadLimit(2 * MaxSignalBytes) // bigger ones close the socket (1009); in between get too_large
	sink := newWSSink(c)
	defer sink.Close("", "")

	jctx, cancel := context.WithTimeout(ctx, joinTimeout)
	_, b, err := c.Read(jctx)
	cancel()
	if err != nil {
		return
	}
	s, err := DecodeSignal(b)
	if err == nil && s.Type != TypeJoin {
		err = perr(CodeWrongState, "the first message must be %q", TypeJoin)
	} else if err == nil && only != "" && s.Lesson != only {
		err = perr(CodeLessonUnknown, "this connection is for lesson %s, not %s", only, s.Lesson)
	}
	if err != nil {
		sink.refuse(err)
		return
	}
	p, jerr := r.join(s, sink)
	if jerr != nil {
		sink.refuse(jerr)
		return
	}
	// A socket that closes without a "leave" is a lost link: the
	// participant keeps its place for the resume grace.
	left := false
	defer func() {
		if left {
			p.leave("", "")
		} else {
			p.close("", "")
		}
	}()
	faults := 0
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			return
		}
		s, err := DecodeSignal(b)
		if err == nil && s.Type == TypeLeave {
			left = true
			return
		}
		if err == nil {
			if pe := p.handle(s); pe != nil {
				err = pe
			}
		}
		if err != nil {
			if faults++; faults > maxSignalFaults {
				left = true // a client the relay hangs up on keeps no place
				sink.refuse(perr2(CodeBadMessage, "too many refused messages"))
				return
			}
			sink.Send(errorSignal(err))
		}
	}
}

func perr2(code, msg string) *ProtocolError { return &ProtocolError{Code: code, Message: msg} }

func errorSignal(err error) Signal {
	var pe *ProtocolError
	if !errors.As(err, &pe) {
		pe = perr2(CodeInternal, err.Error())
	}
	return Signal{V: ProtocolVersion, Type: TypeError, Code: pe.Code, Message: pe.Message}
}

// wsSink queues outgoing signalling messages for one writer goroutine, so a
// slow link never blocks the relay.
type wsSink struct {
	c    *websocket.Conn
	out  chan Signal
	quit chan struct{}
	done chan struct{}

	mu     sync.Mutex
	closed bool
	code   string
	msg    string
}

func newWSSink(c *websocket.Conn) *wsSink {
	s := &wsSink{c: c, out: make(chan Signal, sinkQueue), quit: make(chan struct{}), done: make(chan struct{})}
	go s.write()
	return s
}

func (s *wsSink) Send(m Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	select {
	case s.out <- m:
	default:
		s.closeLocked(CodeSlow, "signalling could not keep up")
	}
}

// refuse sends an error and closes the socket with a policy-violation status.
func (s *wsSink) refuse(err error) {
	m := errorSignal(err)
	s.Send(m)
	s.Close(m.Code, m.Message)
	<-s.done
}

func (s *wsSink) Close(code, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeLocked(code, message)
}

func (s *wsSink) closeLocked(code, message string) {
	if s.closed {
		return
	}
	s.closed, s.code, s.msg = true, code, message
	close(s.quit)
}

func (s *wsSink) write() {
	defer close(s.done)
	send := func(m Signal) error {
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		defer cancel()
		return s.c.Write(ctx, websocket.MessageText, b)
	}
	for {
		select {
		case m := <-s.out:
			if send(m) != nil {
				s.Close("", "")
				_ = s.c.CloseNow()
				return
			}
		case <-s.quit:
			for { // flush what is queued, then close
				select {
				case m := <-s.out:
					if send(m) != nil {
						_ = s.c.CloseNow()
						return
					}
					continue
				default:
				}
				break
			}
			s.mu.Lock()
			code := s.code
			s.mu.Unlock()
			status := websocket.StatusNormalClosure
			if code != "" {
				status = websocket.StatusPolicyViolation
			}
			_ = s.c.Close(status, truncate(code, 120))
			return
		}
	}
}
