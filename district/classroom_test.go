package district

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"qiao/classroom/relay"
)

// lessonWorld is a real district server on loopback (HTTP and the relay's
// UDP and TCP ports) with schools and enrolled devices.
type lessonWorld struct {
	t      *testing.T
	s      *Server
	base   string // http://127.0.0.1:PORT
	served chan error
	stop   context.CancelFunc
	once   sync.Once
}

type lessonDevice struct {
	Device
	key ed25519.PrivateKey
}

func newLessonWorld(t *testing.T, cfg Config) *lessonWorld {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = filepath.Join(t.TempDir(), "data")
	}
	cfg.Insecure = true
	cfg.Listen = "127.0.0.1:0"
	s := newServerCfg(t, cfg)
	ln, err := s.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &lessonWorld{t: t, s: s, base: "http://" + ln.Addr().String(), served: make(chan error, 1), stop: cancel}
	go func() { w.served <- s.Serve(ctx, ln) }()
	t.Cleanup(func() { w.shutdown() })
	return w
}

// shutdown stops Serve as SIGTERM does and checks it returns cleanly.
func (w *lessonWorld) shutdown() {
	w.t.Helper()
	w.once.Do(func() {
		w.stop()
		select {
		case err := <-w.served:
			if err != nil {
				w.t.Errorf("Serve: %v", err)
			}
		case <-time.After(15 * time.Second):
			w.t.Error("Serve did not return after shutdown")
		}
	})
}

func (w *lessonWorld) school(name string) string {
	w.t.Helper()
	id, err := w.s.db.AddSchool(context.Background(), name, "")
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

func (w *lessonWorld) device(school, role string) lessonDevice {
	w.t.Helper()
	ctx := context.Background()
	code, err := w.s.db.IssueCode(ctx, school, role, time.Now().Add(time.Hour))
	if err != nil {
		w.t.Fatal(err)
	}
	pub, key, _ := ed25519.GenerateKey(nil)
	dev, err := w.s.db.Enrol(ctx, code, pub, "classroom PC", "", time.Now())
	if err != nil {
		w.t.Fatal(err)
	}
	return lessonDevice{dev, key}
}

// call sends a signed request and decodes the JSON answer into out.
func (w *lessonWorld) call(d lessonDevice, method, path string, in, out any) int {
	w.t.Helper()
	var body []byte
	if in != nil {
		body, _ = json.Marshal(in)
	}
	req, err := http.NewRequest(method, w.base+path, bytes.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	SignRequest(req, d.ID, d.key, body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			w.t.Fatalf("%s %s: %d %q", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode
}

func (w *lessonWorld) open(d lessonDevice, req OpenLessonRequest) LessonResponse {
	w.t.Helper()
	var res LessonResponse
	if st := w.call(d, "POST", "/v1/lessons", req, &res); st != http.StatusCreated {
		w.t.Fatalf("open lesson: %d %+v", st, res)
	}
	return res
}

func (w *lessonWorld) wsURL(code string) string {
	return "ws" + w.base[len("http"):] + LessonWSPath(code)
}

// upgrade tries a bare WebSocket upgrade with header and returns the
// HTTP status of a refusal (0 if it was accepted).
func (w *lessonWorld) upgrade(ctx context.Context, url string, header http.Header) int {
	w.t.Helper()
	c, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: header, Subprotocols: []string{relay.Subprotocol}})
	if err == nil {
		c.CloseNow()
		return 0
	}
	if resp == nil {
		w.t.Fatalf("upgrade %s: %v", url, err)
	}
	return resp.StatusCode
}

// listener counts the host's voice packets a classroom hears.
type listener struct {
	mu    sync.Mutex
	heard int
}

func (l *listener) onTrack(t *webrtc.TrackRemote) {
	for {
		p, _, err := t.ReadRTP()
		if err != nil {
			return
		}
		if t.ID() == "host-audio" && len(p.Payload) == 40 && p.Payload[0] == 0xAB {
			l.mu.Lock()
			l.heard++
			l.mu.Unlock()
		}
	}
}

func (l *listener) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.heard
}

func (w *lessonWorld) dial(ctx context.Context, d lessonDevice, code, lesson string, role relay.Role, key string, onTrack func(*webrtc.TrackRemote)) (*relay.Client, error) {
	w.t.Helper()
	url := w.wsURL(code)
	h, err := LessonDialHeader(url, d.ID, d.key)
	if err != nil {
		w.t.Fatal(err)
	}
	api, _, err := relay.NewAPI(relay.NetConfig{IncludeLoopback: true, UDPOnly: true})
	if err != nil {
		w.t.Fatal(err)
	}
	c, err := relay.Dial(ctx, relay.ClientConfig{URL: url, HTTPHeader: h, Lesson: lesson, Role: role, Name: "classroom " + d.SchoolID[:4],
		Key: key, API: api, OnTrack: onTrack})
	if err == nil {
		w.t.Cleanup(c.Close)
	}
	return c, err
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func protocolCode(err error) string {
	var pe *relay.ProtocolError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// TestLessonAcrossSchools: a teacher of school A opens a lesson on the
// district server; the host and a classroom of school B join through the
// district's signed WebSocket; real PeerConnections over loopback UDP carry
// the host's voice and a page turn. Unsigned, revoked, replayed and
// uninvited upgrades, a wrong code and a false host are refused; the host
// ends the lesson; a graceful stop closes what is left.
func TestLessonAcrossSchools(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	w := newLessonWorld(t, Config{})
	schoolA, schoolB, schoolC := w.school("实验小学"), w.school("草原小学"), w.school("Other School")
	teacherA := w.device(schoolA, RoleTeacher)
	classB := w.device(schoolB, RoleTeacher)
	revokedB := w.device(schoolB, RoleTeacher)
	outsiderC := w.device(schoolC, RoleTeacher)
	admin := w.device(schoolA, RoleDistrictAdmin)

	// Only a teacher's or principal's device opens a lesson; bad bodies are refused.
	var e APIError
	if st := w.call(admin, "POST", "/v1/lessons", OpenLessonRequest{Subject: "数学"}, &e); st != http.StatusForbidden {
		t.Errorf("district admin opens a lesson: %d %+v", st, e)
	}
	if st := w.call(teacherA, "POST", "/v1/lessons", OpenLessonRequest{Subject: ""}, &e); st != http.StatusBadRequest || e.Code != "bad_lesson" {
		t.Errorf("no subject: %d %+v", st, e)
	}

	if st := w.call(teacherA, "POST", "/v1/lessons", OpenLessonRequest{LessonID: "0196a3b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b", Subject: "数学",
		SchoolName: "a\x00b"}, &e); st != http.StatusBadRequest || e.Code != "bad_lesson" {
		t.Errorf("a school name with a control character: %d %+v", st, e)
	}
	const lessonID = "0196a3b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b"
	res := w.open(teacherA, OpenLessonRequest{LessonID: lessonID, Subject: "数学", Grade: 3, Title: "分数的初步认识",
		SchoolName: "实验小学", Remote: []string{schoolB}})
	if !relay.ValidLessonCode(res.Code) || res.HostKey == "" || res.WS != "/v1/lessons/"+res.Code+"/ws" || res.SchoolID != schoolA {
		t.Fatalf("open answer %+v", res)
	}
	// A remote sees the lesson, without the host key.
	var seen LessonResponse
	if st := w.call(classB, "GET", "/v1/lessons/"+res.Code, nil, &seen); st != http.StatusOK || seen.HostKey != "" || seen.Title != "分数的初步认识" {
		t.Fatalf("GET lesson by school B: %d %+v", st, seen)
	}
	if st := w.call(outsiderC, "GET", "/v1/lessons/"+res.Code, nil, &e); st != http.StatusNotFound {
		t.Errorf("GET lesson by an uninvited school: %d", st)
	}

	// Refused upgrades.
	url := w.wsURL(res.Code)
	if st := w.upgrade(ctx, url, nil); st != http.StatusUnauthorized {
		t.Errorf("unsigned upgrade: %d, want 401", st)
	}
	if err := w.s.db.RevokeDevice(ctx, revokedB.ID); err != nil {
		t.Fatal(err)
	}
	h, _ := LessonDialHeader(url, revokedB.ID, revokedB.key)
	if st := w.upgrade(ctx, url, h); st != http.StatusUnauthorized {
		t.Errorf("revoked device's upgrade: %d, want 401", st)
	}
	h, _ = LessonDialHeader(url, outsiderC.ID, outsiderC.key)
	if st := w.upgrade(ctx, url, h); st != http.StatusUnauthorized {
		t.Errorf("uninvited school's upgrade: %d, want 401", st)
	}
	wrong := "9" + res.Code[1:]
	if wrong == res.Code {
		wrong = "1" + res.Code[1:]
	}
	h, _ = LessonDialHeader(w.wsURL(wrong), classB.ID, classB.key)
	if st := w.upgrade(ctx, w.wsURL(wrong), h); st != http.StatusNotFound {
		t.Errorf("wrong code: %d, want 404", st)
	}
	// A signature for another path, and a replayed one, are refused.
	h, _ = LessonDialHeader(w.wsURL(wrong), classB.ID, classB.key)
	if st := w.upgrade(ctx, url, h); st != http.StatusUnauthorized {
		t.Errorf("upgrade signed for another path: %d, want 401", st)
	}
	h, _ = LessonDialHeader(url, classB.ID, classB.key)
	if st := w.upgrade(ctx, url, h); st != 0 {
		t.Fatalf("signed upgrade refused: %d", st)
	}
	if st := w.upgrade(ctx, url, h); st != http.StatusUnauthorized {
		t.Errorf("replayed upgrade: %d, want 401", st)
	}

	// The host and school B's classroom join; a false host is refused.
	host, err := w.dial(ctx, teacherA, res.Code, res.Code, relay.RoleHost, res.HostKey, nil)
	if err != nil {
		t.Fatalf("host joins: %v", err)
	}
	if _, err := w.dial(ctx, classB, res.Code, res.Code, relay.RoleHost, "", nil); protocolCode(err) != relay.CodeNotHost {
		t.Errorf("remote claiming the host role: %v, want %s", err, relay.CodeNotHost)
	}
	if _, err := w.dial(ctx, classB, res.Code, res.Code, relay.RoleHost, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", nil); protocolCode(err) != relay.CodeNotHost {
		t.Errorf("remote with a wrong host key: %v, want %s", err, relay.CodeNotHost)
	}
	// The socket is bound to the code in its URL.
	res2 := w.open(teacherA, OpenLessonRequest{Subject: "语文", Remote: []string{schoolC}})
	if _, err := w.dial(ctx, outsiderC, res2.Code, res.Code, relay.RoleRemote, "", nil); protocolCode(err) != relay.CodeLessonUnknown {
		t.Errorf("join naming another lesson than the URL: %v, want %s", err, relay.CodeLessonUnknown)
	}
	var ear listener
	remote, err := w.dial(ctx, classB, res.Code, res.Code, relay.RoleRemote, "", ear.onTrack)
	if err != nil {
		t.Fatalf("school B joins: %v", err)
	}
	for _, c := range []*relay.Client{host, remote} {
		if err := c.WaitSynced(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// School B's snapshot says which lesson of which school this is.
	if a := remote.View().About; a == nil || *a != (relay.About{LessonID: lessonID, Title: "分数的初步认识", Subject: "数学", Grade: 3,
		SchoolID: schoolA, SchoolName: "实验小学"}) {
		t.Errorf("school B sees about %+v", a)
	}
	waitFor(t, 20*time.Second, "PeerConnections connected", func() bool {
		return host.PeerConnection().ConnectionState() == webrtc.PeerConnectionStateConnected &&
			remote.PeerConnection().ConnectionState() == webrtc.PeerConnectionStateConnected
	})

	// The host's voice reaches school B over the district relay.
	const n = 50
	tick := time.NewTicker(20 * time.Millisecond)
	for i := 0; i < n; i++ {
		payload := bytes.Repeat([]byte{0xAB}, 40)
		if err := host.Mic.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: uint16(i), Timestamp: uint32(i) * 960, SSRC: 7}, Payload: payload}); err != nil {
			t.Fatal(err)
		}
		<-tick.C
	}
	tick.Stop()
	waitFor(t, 10*time.Second, "school B hears the host", func() bool { return ear.count() >= n })

	// A page turn arrives.
	page := 4
	if err := host.Send(relay.Event{Type: relay.EvPage, Page: &page}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "page 4 at school B", func() bool { return remote.View().Page == 4 })
	if st := w.call(teacherA, "GET", "/v1/lessons/"+res.Code, nil, &seen); st != http.StatusOK || seen.Participants != 2 || seen.HostKey != res.HostKey {
		t.Errorf("GET lesson by its host: %d %+v", st, seen)
	}

	// Only the opening device ends the lesson; then it is gone for everyone.
	if st := w.call(classB, "DELETE", "/v1/lessons/"+res.Code, nil, &e); st != http.StatusForbidden {
		t.Errorf("school B ends the lesson: %d", st)
	}
	if st := w.call(teacherA, "DELETE", "/v1/lessons/"+res.Code, nil, nil); st != http.StatusOK {
		t.Fatalf("host ends the lesson: %d", st)
	}
	for _, c := range []*relay.Client{host, remote} {
		select {
		case <-c.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("a participant is still connected after the lesson ended")
		}
	}
	if st := w.call(classB, "GET", "/v1/lessons/"+res.Code, nil, &e); st != http.StatusGone || e.Code != "lesson_ended" {
		t.Errorf("GET an ended lesson: %d %+v, want 410 lesson_ended", st, e)
	}
	h, _ = LessonDialHeader(url, classB.ID, classB.key)
	if st := w.upgrade(ctx, url, h); st != http.StatusGone {
		t.Errorf("upgrade to an ended lesson: %d, want 410", st)
	}
	// Its code is used once.
	if st := w.call(teacherA, "POST", "/v1/lessons", OpenLessonRequest{Subject: "数学", Code: res.Code}, &e); st != http.StatusConflict || e.Code != "lesson_ended" {
		t.Errorf("reopening an ended lesson's code: %d %+v, want 409 lesson_ended", st, e)
	}

	// A graceful stop with a classroom still connected to lesson 2.
	c2, err := w.dial(ctx, outsiderC, res2.Code, res2.Code, relay.RoleRemote, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	w.shutdown()
	select {
	case <-c2.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("a participant is still connected after the server stopped")
	}
}

// TestLessonIdleClose: a lesson nobody joins ends after Config.LessonIdle.
func TestLessonIdleClose(t *testing.T) {
	w := newLessonWorld(t, Config{LessonIdle: 300 * time.Millisecond})
	school := w.school("实验小学")
	teacher := w.device(school, RolePrincipal)
	res := w.open(teacher, OpenLessonRequest{Subject: "科学"})
	if res.IdleSeconds != 0 || res.Remote != nil {
		t.Errorf("answer %+v", res)
	}
	var e APIError
	if st := w.call(teacher, "GET", "/v1/lessons/"+res.Code, nil, &e); st != http.StatusOK {
		t.Fatalf("GET at once: %d", st)
	}
	waitFor(t, 5*time.Second, "idle lesson closed", func() bool {
		return w.call(teacher, "GET", "/v1/lessons/"+res.Code, nil, &e) == http.StatusGone
	})
	if _, ok := w.s.lessons.relay.Stats(res.Code); ok {
		t.Error("the relay still holds the idle lesson")
	}
}

// TestLessonCodeAndLimit: a chosen code, a code in use, the per-device limit.
func TestLessonCodeAndLimit(t *testing.T) {
	w := newLessonWorld(t, Config{})
	teacher := w.device(w.school("实验小学"), RolePrincipal)
	var e APIError
	code := "20261127"
	if r := w.open(teacher, OpenLessonRequest{Subject: "科学", Code: code}); r.Code != code {
		t.Errorf("code %s, want %s", r.Code, code)
	}
	if st := w.call(teacher, "POST", "/v1/lessons", OpenLessonRequest{Subject: "科学", Code: code}, &e); st != http.StatusConflict {
		t.Errorf("same code twice: %d", st)
	}
	for i := 1; i < MaxLessonsPerDevice; i++ {
		w.open(teacher, OpenLessonRequest{Subject: "科学"})
	}
	if st := w.call(teacher, "POST", "/v1/lessons", OpenLessonRequest{Subject: "科学"}, &e); st != http.StatusTooManyRequests {
		t.Errorf("lesson over the per-device limit: %d", st)
	}
}

// TestLessonSurvivesRestart: on SQLite and PostgreSQL, a lesson open when
// the server stops is open again when it starts, with its code, host key
// and about: the host and a remote join it; once ended, its code is
// refused, after another restart too.
func TestLessonSurvivesRestart(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		w := newLessonWorld(t, cfg)
		schoolA, schoolB := w.school("实验小学"), w.school("草原小学")
		teacherA, classB := w.device(schoolA, RoleTeacher), w.device(schoolB, RoleTeacher)
		const lessonID = "0196a3b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b"
		res := w.open(teacherA, OpenLessonRequest{LessonID: lessonID, Code: "482913", Subject: "数学", Grade: 3,
			Title: "分数的初步认识", SchoolName: "实验小学", Remote: []string{schoolB}})
		host, err := w.dial(ctx, teacherA, res.Code, res.Code, relay.RoleHost, res.HostKey, nil)
		if err != nil {
			t.Fatal(err)
		}
		w.shutdown()
		select {
		case <-host.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("the host is still connected after the server stopped")
		}
		if code := protocolCode(host.Err()); code == relay.CodeLessonEnded {
			t.Errorf("a restart told the host the lesson ended")
		}

		w2 := newLessonWorld(t, cfg) // the same data directory and database
		var seen LessonResponse
		if st := w2.call(classB, "GET", "/v1/lessons/"+res.Code, nil, &seen); st != http.StatusOK || seen.LessonID != lessonID ||
			seen.SchoolID != schoolA || seen.Title != "分数的初步认识" || seen.HostKey != "" {
			t.Fatalf("GET after restart: %d %+v", st, seen)
		}
		if st := w2.call(teacherA, "GET", "/v1/lessons/"+res.Code, nil, &seen); st != http.StatusOK || seen.HostKey != res.HostKey {
			t.Fatalf("the host's GET after restart: %d, key kept %v", st, seen.HostKey == res.HostKey)
		}
		if _, err := w2.dial(ctx, teacherA, res.Code, res.Code, relay.RoleHost, res.HostKey, nil); err != nil {
			t.Fatalf("the host rejoins with its key: %v", err)
		}
		remote, err := w2.dial(ctx, classB, res.Code, res.Code, relay.RoleRemote, "", nil)
		if err != nil {
			t.Fatalf("school B joins after restart: %v", err)
		}
		if err := remote.WaitSynced(ctx); err != nil {
			t.Fatal(err)
		}
		if a := remote.View().About; a == nil || a.LessonID != lessonID || a.SchoolID != schoolA {
			t.Errorf("about after restart: %+v", a)
		}
		if st := w2.call(teacherA, "DELETE", "/v1/lessons/"+res.Code, nil, nil); st != http.StatusOK {
			t.Fatalf("end: %d", st)
		}
		w2.shutdown()

		w3 := newLessonWorld(t, cfg)
		var e APIError
		if st := w3.call(classB, "GET", "/v1/lessons/"+res.Code, nil, &e); st != http.StatusGone || e.Code != "lesson_ended" {
			t.Errorf("GET an ended lesson after restart: %d %+v", st, e)
		}
		if st := w3.call(teacherA, "POST", "/v1/lessons", OpenLessonRequest{Subject: "数学", Code: res.Code}, &e); st != http.StatusConflict || e.Code != "lesson_ended" {
			t.Errorf("reopening an ended code after restart: %d %+v", st, e)
		}
	})
}
