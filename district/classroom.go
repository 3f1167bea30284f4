package district

// Lessons across schools: the district server runs the classroom relay
// (qiao/classroom/relay) so that a lead teacher's classroom and remote
// classrooms of other schools meet there. docs/classroom-protocol.md, "Lessons
// through the district server", is the contract:
//
//	POST   /v1/lessons              open a lesson (a teacher's or principal's device)
//	GET    /v1/lessons/{code}       what the lesson is (a device that may join it)
//	DELETE /v1/lessons/{code}       end it (the device that opened it)
//	GET    /v1/lessons/{code}/ws    the signalling WebSocket (a signed upgrade)
//
// All four are signed requests (docs/sync-protocol.md §1.3), so only
// enrolled, unrevoked devices reach them. Media goes over ICE on one UDP port
// (Config.RTCUDPPort), with ICE over TCP on one TCP port (Config.RTCTCPPort)
// as the fallback where UDP is blocked.

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"qiao/classroom/relay"
	"qiao/syncproto"
)

// Lesson limits of the district relay.
const (
	// DefaultLessonIdle is how long a lesson stays open with nobody in it
	// (Config.LessonIdle).
	DefaultLessonIdle = 30 * time.Minute
	// MaxLessonsPerDevice bounds the lessons one device has open at once.
	MaxLessonsPerDevice = 4
	// MaxLessons bounds the lessons open on one server.
	MaxLessons = 1000
	// MaxInvitedSchools bounds OpenLessonRequest.Remote.
	MaxInvitedSchools = 64

	maxLessonBody = 16 << 10
	maxLessonText = 200 // bytes of subject and title
)

// OpenLessonRequest is the body of POST /v1/lessons.
type OpenLessonRequest struct {
	// LessonID is the id (UUID) of the synced lesson record, if any.
	LessonID string `json:"lesson_id,omitempty"`
	// Code is the lesson code wanted (the one the lesson record carries);
	// empty draws a fresh 8-digit one.
	Code    string `json:"code,omitempty"`
	Subject string `json:"subject"`
	Grade   int    `json:"grade,omitempty"` // 1–12, 0 if not given
	Title   string `json:"title,omitempty"`
	// SchoolName is the host school's name for the joiners' screens.
	SchoolName string `json:"school_name,omitempty"`
	// Remote lists the ids of the schools invited. Empty: a device of any
	// school of the district that has the code may join. Otherwise only
	// devices of the host's school and of these schools may.
	Remote []string `json:"remote,omitempty"`
}

// LessonResponse describes an open lesson: the answer to POST and GET
// /v1/lessons.
type LessonResponse struct {
	Code     string   `json:"code"`
	HostKey  string   `json:"host_key,omitempty"` // only to the device that opened it
	WS       string   `json:"ws"`                 // path of the signalling WebSocket
	LessonID string   `json:"lesson_id,omitempty"`
	Subject  string   `json:"subject"`
	Grade    int      `json:"grade,omitempty"`
	Title    string   `json:"title,omitempty"`
	SchoolID string   `json:"school_id"` // the host school
	Remote   []string `json:"remote,omitempty"`
	Opened   int64    `json:"opened"` // unix seconds
	// Participants connected now.
	Participants int `json:"participants"`
	// IdleSeconds: the lesson ends after this long with nobody in it.
	IdleSeconds int `json:"idle_seconds"`
}

// LessonWSPath is the path of lesson code's signalling WebSocket.
func LessonWSPath(code string) string { return "/v1/lessons/" + code + "/ws" }

// LessonDialHeader returns the headers that make the WebSocket upgrade to
// wsURL (ws://… or wss://…) a signed request of deviceID: pass them as
// relay.ClientConfig.HTTPHeader. Sign afresh for every dial: the server
// accepts each nonce once. The upgrade must go over HTTP/1.1 (a client
// like the app's, whose transport does not force HTTP/2).
func LessonDialHeader(wsURL, deviceID string, key ed25519.PrivateKey) (http.Header, error) {
	u, err := url.Parse(wsURL)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	case "http", "https":
	default:
		return nil, fmt.Errorf("district: %q is not a ws:// or wss:// URL", wsURL)
	}
	req, err := http.NewRequest(http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	SignRequest(req, deviceID, key, nil)
	return req.Header, nil
}

// openLesson is one lesson open on the district relay.
type openLesson struct {
	info       relay.LessonInfo
	req        OpenLessonRequest
	school     string // the host school
	device     string // the device that opened it
	opened     time.Time
	emptySince time.Time // zero while someone is connected
}

// admits reports whether a device of school may join.
func (l *openLesson) admits(school string) bool {
	if len(l.req.Remote) == 0 || school == l.school {
		return true
	}
	for _, s := range l.req.Remote {
		if s == school {
			return true
		}
	}
	return false
}

// lessonHub owns the district's relay, its sockets and its open lessons.
type lessonHub struct {
	db      *DB // the lessons table keeps them across restarts (classroom_store.go)
	relay   *relay.Relay
	handler http.Handler
	udp     net.PacketConn
	tcp     net.Listener // nil when ICE over TCP is off
	idle    time.Duration
	now     func() time.Time

	mu      sync.Mutex
	lessons map[string]*openLesson
	closed  bool
	conns   sync.WaitGroup // signalling connections being served (Add under mu, while !closed)

	stop      chan struct{}
	reaped    chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// newLessonHub opens the relay's UDP port (and TCP port) on the host of
// cfg.Listen, reopens the lessons db keeps open and starts the reaper of
// idle lessons.
func newLessonHub(cfg Config, db *DB, now func() time.Time) (*lessonHub, error) {
	host, _, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("district: listen address %q: %w", cfg.Listen, err)
	}
	if cfg.RTCUDPPort < 0 || cfg.RTCUDPPort > 65535 || cfg.RTCTCPPort > 65535 {
		return nil, errors.New("district: RTC ports must be 0 to 65535")
	}
	ip := net.ParseIP(host)
	udpNet, tcpNet := "udp", "tcp"
	if host == "" || (ip != nil && ip.To4() != nil) {
		udpNet, tcpNet = "udp4", "tcp4" // "" serves every IPv4 interface
	}
	h := &lessonHub{db: db, idle: cfg.LessonIdle, now: now, lessons: map[string]*openLesson{},
		stop: make(chan struct{}), reaped: make(chan struct{})}
	if h.idle <= 0 {
		h.idle = DefaultLessonIdle
	}
	h.udp, err = net.ListenPacket(udpNet, net.JoinHostPort(host, fmt.Sprint(cfg.RTCUDPPort)))
	if err != nil {
		return nil, fmt.Errorf("district: cannot listen on UDP port %d for lessons: %w", cfg.RTCUDPPort, err)
	}
	if cfg.RTCTCPPort >= 0 {
		h.tcp, err = net.Listen(tcpNet, net.JoinHostPort(host, fmt.Sprint(cfg.RTCTCPPort)))
		if err != nil {
			h.udp.Close()
			return nil, fmt.Errorf("district: cannot listen on TCP port %d for lessons: %w", cfg.RTCTCPPort, err)
		}
	}
	nc := relay.NetConfig{UDPConn: h.udp, TCPListener: h.tcp, NAT1To1IPs: cfg.RTCPublicIPs,
		IncludeLoopback: host == "localhost" || (ip != nil && ip.IsLoopback())}
	if h.tcp == nil {
		nc.UDPOnly = true
	}
	h.relay, err = relay.New(relay.Config{NetConfig: nc})
	if err != nil {
		h.udp.Close()
		if h.tcp != nil {
			h.tcp.Close()
		}
		return nil, fmt.Errorf("district: lesson relay: %w", err)
	}
	h.handler = h.relay.Handler(relay.HandlerOptions{
		Authorize: h.authorize,
		Lesson:    func(r *http.Request) string { return r.PathValue("code") },
	})
	if err := h.restore(); err != nil {
		h.relay.Close()
		return nil, err
	}
	go h.reap()
	return h, nil
}

// restore reopens the lessons the database keeps open: they count as
// empty from now for the idle limit.
func (h *lessonHub) restore() error {
	ls, err := h.db.openLessons(context.Background())
	if err != nil {
		return fmt.Errorf("district: reading open lessons: %w", err)
	}
	now := h.now()
	for _, l := range ls {
		if err := h.relay.Reopen(l.info); err != nil {
			slog.Error("lesson not reopened", "code", l.info.Code, "err", err)
			continue
		}
		l.emptySince = now
		h.lessons[l.info.Code] = l
	}
	if len(ls) > 0 {
		slog.Info("lessons reopened", "lessons", len(h.lessons))
	}
	return nil
}

// ended records that lesson code ended now (by its host or idle).
func (h *lessonHub) ended(code string) {
	if err := h.db.endLesson(context.Background(), code, h.now()); err != nil {
		slog.Error("record lesson ended", "code", code, "err", err)
	}
}

// refuseClosed answers a request for a lesson not open here: 410
// lesson_ended for a code whose lesson ended, else 404 lesson_unknown.
func (h *lessonHub) refuseClosed(w http.ResponseWriter, r *http.Request, code, unknown string) {
	if st, err := h.db.lessonState(r.Context(), code); err == nil && st == lessonEnded {
		writeError(w, http.StatusGone, "lesson_ended", "the lesson with this code has ended")
		return
	}
	writeError(w, http.StatusNotFound, "lesson_unknown", unknown)
}

// Addrs returns the relay's UDP and TCP addresses (TCP nil when off).
func (h *lessonHub) addrs() (udp, tcp net.Addr) {
	if h.tcp != nil {
		tcp = h.tcp.Addr()
	}
	return h.udp.LocalAddr(), tcp
}

// close disconnects every lesson's participants (they try again; the
// lessons stay open in the database for the next start), waits a little
// for their signalling connections and releases the sockets. It may be
// called more than once.
func (h *lessonHub) close() error {
	h.closeOnce.Do(func() {
		close(h.stop)
		<-h.reaped
		h.mu.Lock()
		n := len(h.lessons)
		h.lessons, h.closed = map[string]*openLesson{}, true
		h.mu.Unlock()
		h.closeErr = h.relay.CloseForRestart() // the lessons stay open in the database
		if h.tcp != nil {
			h.tcp.Close()
		}
		h.udp.Close()
		done := make(chan struct{})
		go func() { h.conns.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			slog.Warn("lesson signalling connections still open at shutdown")
		}
		if n > 0 {
			slog.Info("lessons left open for the next start", "lessons", n)
		}
	})
	return h.closeErr
}

// reap ends lessons that have been empty for h.idle.
func (h *lessonHub) reap() {
	defer close(h.reaped)
	tick := min(h.idle/4, 30*time.Second)
	t := time.NewTicker(max(tick, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		now := h.now()
		var idle []string
		h.mu.Lock()
		for code, l := range h.lessons {
			st, ok := h.relay.Stats(code)
			switch {
			case !ok:
				delete(h.lessons, code)
			case st.Participants > 0:
				l.emptySince = time.Time{}
			case l.emptySince.IsZero():
				l.emptySince = now
			case now.Sub(l.emptySince) >= h.idle:
				delete(h.lessons, code)
				idle = append(idle, code)
			}
		}
		h.mu.Unlock()
		for _, code := range idle {
			h.relay.CloseLesson(code)
			h.ended(code)
			slog.Info("lesson closed", "code", code, "reason", "idle")
		}
	}
}

func (h *lessonHub) get(code string) *openLesson {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lessons[code]
}

func (h *lessonHub) response(l *openLesson, withKey bool) LessonResponse {
	res := LessonResponse{Code: l.info.Code, WS: LessonWSPath(l.info.Code), LessonID: l.req.LessonID,
		Subject: l.req.Subject, Grade: l.req.Grade, Title: l.req.Title, SchoolID: l.school,
		Remote: l.req.Remote, Opened: l.opened.Unix(), IdleSeconds: int(h.idle / time.Second)}
	if withKey {
		res.HostKey = l.info.HostKey
	}
	if st, ok := h.relay.Stats(l.info.Code); ok {
		res.Participants = st.Participants
	}
	return res
}

// authorize is the relay's hook before the upgrade: the request must be a
// signed request of an enrolled device (the authenticate middleware put it
// in the context) of a school the lesson admits.
func (h *lessonHub) authorize(r *http.Request) error {
	dev, ok := DeviceFrom(r.Context())
	if !ok {
		return errors.New("the upgrade must be a signed request of an enrolled device")
	}
	l := h.get(r.PathValue("code"))
	if l == nil {
		return errors.New("the lesson has ended")
	}
	if !l.admits(dev.SchoolID) {
		slog.Warn("lesson join refused", "reason", "not_invited", "device", dev.ID, "school", dev.SchoolID, "code", l.info.Code)
		return errors.New("this device's school is not invited to the lesson")
	}
	return nil
}

// openLessonHTTP is POST /v1/lessons.
func (s *Server) openLessonHTTP(w http.ResponseWriter, r *http.Request) {
	dev, _ := DeviceFrom(r.Context())
	if dev.Role != RoleTeacher && dev.Role != RolePrincipal {
		writeError(w, http.StatusForbidden, "forbidden", "only a teacher's or principal's device may open a lesson")
		return
	}
	var req OpenLessonRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxLessonBody))
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "the body must be JSON {lesson_id, code, subject, grade, title, remote} of at most 16 KiB")
		return
	}
	if msg := checkLessonRequest(&req, dev.SchoolID); msg != "" {
		writeError(w, http.StatusBadRequest, "bad_lesson", msg)
		return
	}
	// With a lesson id, every joiner's snapshot says which lesson this is
	// (relay.About); the host school is the signing device's.
	about := (&openLesson{req: req, school: dev.SchoolID}).about()
	h := s.lessons
	h.mu.Lock()
	mine := 0
	for _, l := range h.lessons {
		if l.device == dev.ID {
			mine++
		}
	}
	switch {
	case mine >= MaxLessonsPerDevice:
		h.mu.Unlock()
		writeError(w, http.StatusTooManyRequests, "too_many_lessons", fmt.Sprintf("this device already has %d lessons open; end one first", mine))
		return
	case len(h.lessons) >= MaxLessons:
		h.mu.Unlock()
		writeError(w, http.StatusServiceUnavailable, "too_many_lessons", "the district server has its maximum of open lessons")
		return
	}
	// A code is used once: never again after its lesson ended.
	code, known, err := req.Code, lessonNone, error(nil)
	for {
		if req.Code == "" {
			code = relay.NewLessonCode()
		}
		if known, err = s.db.lessonState(r.Context(), code); err != nil || known == lessonNone || req.Code != "" {
			break
		}
	}
	if err == nil && known == lessonEnded {
		h.mu.Unlock()
		writeError(w, http.StatusConflict, "lesson_ended", "the lesson with code "+code+" has ended; a code is used once")
		return
	}
	var info relay.LessonInfo
	if err == nil {
		if info, err = h.relay.OpenAbout(code, about); errors.Is(err, relay.ErrLessonExists) || (err == nil && known == lessonOpen) {
			if err == nil {
				h.relay.CloseLesson(code) // open in another server process
			}
			h.mu.Unlock()
			writeError(w, http.StatusConflict, "lesson_exists", "a lesson with code "+code+" is already open; choose another code or leave it empty")
			return
		}
	}
	l := &openLesson{info: info, req: req, school: dev.SchoolID, device: dev.ID, opened: s.now()}
	if err == nil {
		if err = s.db.saveLesson(r.Context(), l); err != nil {
			h.relay.CloseLesson(code)
		}
	}
	if err != nil {
		h.mu.Unlock()
		slog.Error("open lesson", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the server could not open the lesson")
		return
	}
	l.emptySince = l.opened
	h.lessons[info.Code] = l
	h.mu.Unlock()
	slog.Info("lesson opened", "code", info.Code, "school", dev.SchoolID, "device", dev.ID, "invited", len(req.Remote))
	writeJSON(w, http.StatusCreated, h.response(l, true))
}

// checkLessonRequest trims req's texts and says what is wrong with it
// ("" if nothing) for a lesson of school.
func checkLessonRequest(req *OpenLessonRequest, school string) string {
	req.Subject, req.Title, req.SchoolName = strings.TrimSpace(req.Subject), strings.TrimSpace(req.Title), strings.TrimSpace(req.SchoolName)
	switch {
	case req.LessonID != "" && !syncproto.IsUUID(req.LessonID):
		return "lesson_id must be a lower-case UUID"
	case req.Code != "" && !relay.ValidLessonCode(req.Code):
		return "code must be 6 to 12 digits"
	case req.Subject == "" || len(req.Subject) > maxLessonText || !utf8.ValidString(req.Subject):
		return "subject must be 1 to 200 bytes of UTF-8"
	case len(req.Title) > maxLessonText || !utf8.ValidString(req.Title):
		return "title must be at most 200 bytes of UTF-8"
	case req.Grade < 0 || req.Grade > 12:
		return "grade must be 1 to 12 (0: not given)"
	case len(req.Remote) > MaxInvitedSchools:
		return fmt.Sprintf("at most %d schools may be invited", MaxInvitedSchools)
	}
	for _, id := range req.Remote {
		if id == "" || len(id) > 64 {
			return "remote must list school ids"
		}
	}
	if a := (&openLesson{req: *req, school: school}).about(); a != nil {
		if err := a.Validate(); err != nil {
			return strings.TrimPrefix(err.Error(), "relay: ")
		}
	}
	return ""
}

// lessonHTTP is GET /v1/lessons/{code}: for a device that may join; the
// host key only for the device that opened the lesson.
func (s *Server) lessonHTTP(w http.ResponseWriter, r *http.Request) {
	dev, _ := DeviceFrom(r.Context())
	l := s.lessons.get(r.PathValue("code"))
	if l == nil {
		s.lessons.refuseClosed(w, r, r.PathValue("code"), "no lesson with this code is open for this device's school; check the code")
		return
	}
	if !l.admits(dev.SchoolID) {
		writeError(w, http.StatusNotFound, "lesson_unknown", "no lesson with this code is open for this device's school; check the code")
		return
	}
	writeJSON(w, http.StatusOK, s.lessons.response(l, l.device == dev.ID))
}

// closeLessonHTTP is DELETE /v1/lessons/{code}: the opening device ends
// the lesson; every participant gets "lesson_ended".
func (s *Server) closeLessonHTTP(w http.ResponseWriter, r *http.Request) {
	dev, _ := DeviceFrom(r.Context())
	h, code := s.lessons, r.PathValue("code")
	h.mu.Lock()
	l := h.lessons[code]
	if l == nil {
		h.mu.Unlock()
		h.refuseClosed(w, r, code, "no lesson with this code is open")
		return
	}
	if l.device != dev.ID {
		h.mu.Unlock()
		writeError(w, http.StatusForbidden, "forbidden", "only the device that opened the lesson may end it")
		return
	}
	delete(h.lessons, code)
	h.mu.Unlock()
	h.relay.CloseLesson(code)
	h.ended(code)
	slog.Info("lesson closed", "code", code, "reason", "host", "device", dev.ID)
	writeJSON(w, http.StatusOK, map[string]string{"code": code, "state": "ended"})
}

// lessonWS is GET /v1/lessons/{code}/ws: the relay's signalling endpoint,
// whose Authorize hook (lessonHub.authorize) admits the signed upgrade.
func (s *Server) lessonWS(w http.ResponseWriter, r *http.Request) {
	h := s.lessons
	h.mu.Lock()
	open := h.lessons[r.PathValue("code")] != nil && !h.closed
	if open {
		h.conns.Add(1)
	}
	h.mu.Unlock()
	if !open {
		h.refuseClosed(w, r, r.PathValue("code"), "no lesson with this code is open; check the code")
		return
	}
	defer h.conns.Done()
	// The socket lives as long as the lesson: lift the server's read and
	// write timeouts (5 minutes) for this connection.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	h.handler.ServeHTTP(w, r)
}
