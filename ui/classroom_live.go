package ui

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/audio"
	"qiao/classroom"
	"qiao/classroom/live"
	"qiao/classroom/recording"
	"qiao/classroom/relay"
	"qiao/i18n"

	"github.com/pion/webrtc/v4"
)

// LAN lessons: the host's app runs the relay itself; ICE on one UDP port
// and the signalling on the same TCP port number, at classroomPath.
const (
	ClassroomPort = 47800
	classroomPath = "/classroom"
)

// lanConfig says where the embedded relay listens. Tests use loopback and
// free ports.
type lanConfig struct {
	loopback bool // 127.0.0.1 and port 0 (tests)
	port     int
}

var classroomLAN = lanConfig{port: ClassroomPort}

// classroomAPI builds the WebRTC API of a participant's own session.
var classroomAPI = func() (*webrtc.API, func() error, error) {
	return relay.NewAPI(relay.NetConfig{IncludeLoopback: true})
}

// classroomAudio, when set (tests), replaces the audio devices: the device
// config and, per session, a new source standing in for the microphone.
var classroomAudio *struct {
	Device    audio.DeviceConfig
	NewSource func() func([]int16)
}

// lanSlideRate is how fast slides move on the school LAN, bytes/s per
// classroom (the weak-link default is far lower).
const lanSlideRate = 2 << 20

// lanRelay is the relay the host's app runs for its LAN lessons. It stays
// up from the first lesson until the window closes, so a remote classroom
// that tries again after 下课 hears that the lesson is over.
type lanRelay struct {
	r    *relay.Relay
	srv  *http.Server
	port int
}

func (l *lanRelay) url() string {
	return "ws://127.0.0.1:" + strconv.Itoa(l.port) + classroomPath
}

func (l *lanRelay) close() {
	_ = l.srv.Close()
	_ = l.r.Close()
}

// startLAN starts the embedded relay.
func startLAN(cfg lanConfig) (*lanRelay, error) {
	nc := relay.NetConfig{UDPPort: cfg.port}
	addr := "0.0.0.0:" + strconv.Itoa(cfg.port)
	if cfg.loopback {
		conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		nc = relay.NetConfig{UDPConn: conn, IncludeLoopback: true, UDPOnly: true}
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if nc.UDPConn != nil {
			nc.UDPConn.Close()
		}
		return nil, err
	}
	r, err := relay.New(relay.Config{NetConfig: nc, SlideRate: lanSlideRate})
	if err != nil {
		ln.Close()
		if nc.UDPConn != nil {
			nc.UDPConn.Close()
		}
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(classroomPath, r.Handler(relay.HandlerOptions{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return &lanRelay{r: r, srv: srv, port: ln.Addr().(*net.TCPAddr).Port}, nil
}

// lanAddresses lists this PC's IPv4 addresses that other PCs can reach.
func lanAddresses() []string {
	var out []string
	ifs, _ := net.Interfaces()
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil {
				out = append(out, ipn.IP.String())
			}
		}
	}
	return out
}

// joinURL turns what a remote classroom typed (an address, with or without
// a port) into the signalling URL.
func joinURL(addr string) string {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, strconv.Itoa(ClassroomPort))
	}
	return "ws://" + addr + classroomPath
}

// cutName keeps a participant's name within the relay's limit.
func cutName(s string) string {
	for len(s) > relay.MaxNameBytes {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}

// liveLesson is this classroom's part in a live lesson, host or remote.
// Its fields are used on the UI goroutine only, except through post.
type liveLesson struct {
	c        *classroomState
	host     bool
	lesson   classroom.Lesson // host: the lesson; remote: what is known of it
	code     string
	addrs    []string
	lan      *lanRelay
	sess     *live.Session
	rec      *recording.Recorder // host: the lesson's recording, nil when not recording
	closeAPI func() error
	noAudio  bool // no microphone or loudspeaker: the lesson runs without voice
	state    live.State
	err      error
	joinedAt bool           // remote: attendance recorded
	leftAt   bool           // attendance closed
	answers  map[string]int // host: the open quiz's answer of each classroom
	quizID   string
	quizN    int
	link     live.LinkStats
	linkPrev live.LinkStats // the reading before, for the loss of the last period
	linkOK   bool
	stop     chan struct{}
	failed   bool      // the lesson could not start or be joined
	ending   bool      // 下课 or 离开 is under way
	ended    bool      // … and done
	ink      lessonInk // strokes with their points, chat times, the board

	mu      sync.Mutex
	closing bool

	refresh func() // rebuilds the live screen's changing parts
}

// post runs fn on the UI goroutine unless the lesson was torn down.
func (ll *liveLesson) post(fn func()) {
	ll.mu.Lock()
	defer ll.mu.Unlock()
	if ll.closing {
		return
	}
	ll.c.w.jobs.do(fn)
}

func (ll *liveLesson) update() {
	if ll.refresh != nil {
		ll.refresh()
	}
}

// opened is what openSession started, handed to the UI goroutine.
type opened struct {
	sess     *live.Session
	closeAPI func() error
	noAudio  bool
}

// openSession starts the host's or a remote's session, falling back to
// no audio devices when the PC has none. It runs off the UI goroutine.
func (ll *liveLesson) openSession(cfg live.Config) (opened, error) {
	api, closeAPI, err := classroomAPI()
	if err != nil {
		return opened{}, err
	}
	cfg.API = api
	cfg.OnState = func(st live.State) {
		ll.post(func() { ll.onState(st) })
	}
	cfg.OnEvent = func(e relay.Event) {
		ll.post(func() { ll.onEvent(e) })
	}
	cfg.OnLaser = func(e relay.Event) {
		ll.post(func() { ll.onLaser(e) })
	}
	cfg.OnSlide = func(string) { ll.post(ll.update) }
	if f := ll.c.w.deps.Files; f != nil {
		cfg.Slides = contentSlides{f}
	}
	open := func(cfg live.Config) (*live.Session, error) {
		if ll.host {
			return live.Host(context.Background(), cfg)
		}
		return live.Join(context.Background(), cfg)
	}
	if classroomAudio != nil {
		cfg.Device, cfg.Source = classroomAudio.Device, classroomAudio.NewSource()
	}
	noAudio := false
	s, err := open(cfg)
	if err != nil && classroomAudio == nil {
		// No microphone or loudspeaker: miniaudio's null backend keeps the
		// lesson's clock running without voice.
		cfg.Device = audio.DeviceConfig{Null: true}
		s, err = open(cfg)
		noAudio = err == nil
	}
	if err != nil {
		_ = closeAPI()
		return opened{}, err
	}
	return opened{s, closeAPI, noAudio}, nil
}

// use takes what openSession started (on the UI goroutine).
func (ll *liveLesson) use(o opened) {
	ll.sess, ll.closeAPI, ll.noAudio = o.sess, o.closeAPI, o.noAudio
	ll.stop = make(chan struct{})
	go ll.pollLink(o.sess, ll.stop)
	ll.onState(o.sess.State())
}

// pollLink reads the link's stats every two seconds, off the UI goroutine.
func (ll *liveLesson) pollLink(sess *live.Session, stop chan struct{}) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		ls, ok := sess.Link()
		ll.post(func() {
			ll.linkPrev, ll.link, ll.linkOK = ll.link, ls, ok
			ll.update()
		})
	}
}

func (ll *liveLesson) onState(st live.State) {
	if ll.sess == nil {
		return // use reads the state when the session is handed over
	}
	st = ll.sess.State() // events may arrive out of date
	ll.state = st
	if st == live.Ended {
		ll.err = ll.sess.Err()
	}
	if !ll.host && st == live.Live && !ll.joinedAt {
		ll.joinedAt = true
		if a := ll.sess.View().About; a != nil {
			ll.lesson = classroom.FromAbout(*a) // the host's lesson, from the snapshot
		}
		l := ll.lesson
		c := ll.c
		c.w.jobs.async(func() error { _, err := c.svc.Joined(c.w.ctx, l); return err }, func(err error) {
			if err != nil {
				fyne.LogError("classroom: record joining", err)
			}
		})
	}
	if !ll.host && st == live.Ended {
		ll.closeAttendance()
	}
	ll.update()
}

func (ll *liveLesson) onEvent(e relay.Event) {
	ll.ink.apply(e)
	if ll.host {
		switch e.Type {
		case relay.EvQuizStart:
			if e.Quiz != nil {
				ll.quizID, ll.quizN, ll.answers = e.Quiz.ID, e.Quiz.Options, map[string]int{}
			}
		case relay.EvAnswer:
			if e.Choice != nil && e.ID == ll.quizID {
				ll.answers[e.From] = *e.Choice
			}
		}
	}
	ll.update()
}

// closeAttendance records leaving (remote) once.
func (ll *liveLesson) closeAttendance() {
	if ll.leftAt || !ll.joinedAt {
		return
	}
	ll.leftAt = true
	c, id := ll.c, ll.lesson.ID
	c.w.jobs.async(func() error { return c.svc.Left(c.w.ctx, id) }, func(err error) {
		if err != nil {
			fyne.LogError("classroom: record leaving", err)
		}
	})
}

// teardown returns what closes the session and the relay; call it on the
// UI goroutine and run what it returns off it.
func (ll *liveLesson) teardown() func() {
	ll.mu.Lock()
	ll.closing = true
	ll.mu.Unlock()
	if ll.stop != nil {
		close(ll.stop)
		ll.stop = nil
	}
	sess, lan, code, closeAPI := ll.sess, ll.lan, ll.code, ll.closeAPI
	rec, rs, l, ctx, deps := ll.rec, ll.c.recs, ll.lesson, ll.c.w.ctx, ll.c.w.deps
	ll.rec = nil
	return func() {
		closeAll(sess, lan, code, closeAPI)
		keepRecording(ctx, deps, rs, rec, l)
	}
}

// closeAll ends lesson code on lan (if the host's), then closes the session.
func closeAll(sess *live.Session, lan *lanRelay, code string, closeAPI func() error) {
	if lan != nil {
		lan.r.CloseLesson(code)
	}
	if sess != nil {
		sess.Close()
	}
	if closeAPI != nil {
		_ = closeAPI()
	}
}

// startHost starts lesson l here: the embedded relay, the host's session,
// the attendance.
func (c *classroomState) startHost(l classroom.Lesson) {
	if c.live != nil {
		return
	}
	sch, _, _ := c.w.deps.Schools.Current(c.w.ctx)
	u, _ := c.w.deps.Schools.User(c.w.ctx)
	ll := &liveLesson{c: c, host: true, lesson: l, code: l.Code, answers: map[string]int{}}
	c.live = ll
	c.showLive()
	name := cutName(strings.TrimSpace(sch.Name + " " + u.Name))
	lan := c.lan
	rs := c.recordings()
	var o opened
	var started classroom.Lesson
	var addrs []string
	var rec *recording.Recorder
	c.w.jobs.async(func() error {
		// Through the district server when the lesson was scheduled so,
		// else on the LAN relay embedded here.
		cfg, endDistrict, err := c.districtHost(l, sch.Name)
		if err != nil {
			return err
		}
		var onLAN *lanRelay
		if endDistrict != nil {
			addrs = []string{i18n.T("classroom.via_district")}
		} else {
			if lan == nil {
				if lan, err = startLAN(classroomLAN); err != nil {
					return err
				}
			}
			about := l.About(sch.Name)
			info, err := lan.r.OpenAbout(l.Code, &about)
			if err != nil {
				return err
			}
			cfg = live.Config{URL: lan.url(), Lesson: info.Code, Key: info.HostKey}
			endDistrict = func() {}
			onLAN = lan
			if classroomLAN.loopback {
				addrs = []string{"127.0.0.1:" + strconv.Itoa(lan.port)}
			} else {
				addrs = lanAddresses()
			}
		}
		cfg.Name = name
		if rec = startRecording(c.w.ctx, rs, l); rec != nil {
			cfg.Recorder = rec
		}
		discard := func() {
			if rec != nil {
				_ = rs.Discard(rec, l.ID)
				rec = nil
			}
		}
		if o, err = ll.openSession(cfg); err != nil {
			closeAll(nil, onLAN, cfg.Lesson, nil)
			endDistrict()
			discard()
			return err
		}
		// Closing the host's session ends its district lesson too.
		closeAPI := o.closeAPI
		o.closeAPI = func() error { endDistrict(); return closeAPI() }
		start := c.svc.Start
		if l.State == classroom.Live {
			start = c.svc.Resume // left live by an app that stopped
		}
		if started, err = start(c.w.ctx, l.ID); err != nil {
			closeAll(o.sess, onLAN, cfg.Lesson, o.closeAPI)
			discard()
			return err
		}
		return nil
	}, func(err error) {
		if lan != nil {
			c.lan = lan
		}
		if err != nil {
			ll.err, ll.state, ll.failed = err, live.Ended, true
		} else {
			ll.lesson, ll.addrs, ll.lan, ll.rec = started, addrs, lan, rec
			ll.use(o)
			go ll.checkpoints(ll.stop)
		}
		if c.live == ll {
			c.showLive()
		}
	})
}

// startRemote joins the lesson with code at the host's address.
func (c *classroomState) startRemote(addr, code string) {
	if c.live != nil {
		return
	}
	sch, _, _ := c.w.deps.Schools.Current(c.w.ctx)
	// Until the snapshot says which lesson this is (its About), and for a
	// host that does not say, the stay is known by the code.
	ll := &liveLesson{c: c, code: code, lesson: classroom.Lesson{ID: "lan:" + code, Title: addr}}
	c.live = ll
	c.showLive()
	name := cutName(sch.Name)
	var o opened
	c.w.jobs.async(func() error {
		var err error
		cfg := live.Config{URL: joinURL(addr), Lesson: code}
		if addr == "" { // by code alone: through the district server
			if cfg, err = c.districtJoin(code); err != nil {
				return err
			}
		}
		cfg.Name = name
		o, err = ll.openSession(cfg)
		return err
	}, func(err error) {
		if err != nil {
			ll.err, ll.state, ll.failed = err, live.Ended, true
		} else {
			ll.use(o)
			go ll.checkpoints(ll.stop)
		}
		if c.live == ll {
			c.showLive()
		}
	})
}

// end ends the lesson (host) or leaves it (remote).
func (c *classroomState) end() {
	ll := c.live
	if ll == nil || ll.ending {
		return
	}
	ll.ending = true
	ll.update()
	closeAll := ll.teardown()
	endLesson := ll.host && ll.lesson.State == classroom.Live
	id := ll.lesson.ID
	c.w.jobs.async(func() error {
		closeAll()
		if endLesson {
			_, err := c.svc.End(c.w.ctx, id)
			return err
		}
		return nil
	}, func(err error) {
		ll.state, ll.ended = live.Ended, true
		ll.lesson.State = classroom.Ended
		if err != nil {
			ll.err = err
		}
		if !ll.host {
			ll.closeAttendance()
		}
		ll.update()
	})
}

// back returns to the lesson list after a lesson has ended.
func (c *classroomState) back() {
	if ll := c.live; ll != nil && !ll.ending {
		closeAll := ll.teardown()
		c.w.jobs.async(func() error { closeAll(); return nil }, func(error) {})
	}
	c.live = nil
	c.showLessons()
}

// shutdown ends a live lesson as the window closes.
func (c *classroomState) shutdown() {
	c.stopReplay()
	ll := c.live
	defer func() {
		if c.lan != nil {
			c.lan.close()
		}
	}()
	if ll == nil {
		return
	}
	ll.teardown()()
	if ll.host && ll.lesson.State == classroom.Live {
		_, _ = c.svc.End(c.w.ctx, ll.lesson.ID)
	} else if !ll.host && ll.joinedAt && !ll.leftAt {
		_ = c.svc.Left(c.w.ctx, ll.lesson.ID)
	}
}

// stateText is the session's state as the screen says it.
func (ll *liveLesson) stateText() string {
	if ll.sess == nil && ll.err == nil {
		return i18n.T("classroom.state_live.connecting")
	}
	return i18n.T("classroom.state_live." + ll.state.String())
}

// liveErrText explains why a lesson could not go on.
func liveErrText(err error) string {
	var pe *relay.ProtocolError
	if errors.As(err, &pe) {
		switch pe.Code {
		case relay.CodeLessonUnknown:
			return i18n.T("classroom.err.lesson_unknown")
		case relay.CodeLessonEnded:
			return i18n.T("classroom.err.lesson_ended")
		case relay.CodeLessonFull:
			return i18n.T("classroom.err.lesson_full")
		}
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "listen" {
		return i18n.T("classroom.err.port", ClassroomPort)
	}
	if errors.Is(err, classroom.ErrState) || errors.Is(err, classroom.ErrNotFound) {
		return classroomErr(err)
	}
	return i18n.T("classroom.err.other", err)
}

// showLive shows the live screen of c.live.
func (c *classroomState) showLive() {
	ll := c.live
	if ll.host {
		c.set(c.hostScreen(ll))
	} else {
		c.set(c.remoteScreen(ll))
	}
	ll.update()
}

// bigText is a large line (the join code, the page).
func bigText(size float32) *canvas.Text {
	t := canvas.NewText("", theme.Color(theme.ColorNamePrimary))
	t.TextSize = size
	t.TextStyle = fyne.TextStyle{Bold: true}
	t.Alignment = fyne.TextAlignCenter
	return t
}

// peerName names participant id from the view.
func peerName(v relay.View, id string) string {
	for _, p := range v.Peers {
		if p.ID == id {
			return p.Name
		}
	}
	return id
}

// choiceName is option i of a quiz: A, B, … or 对/错.
func choiceName(kind string, i int) string {
	if kind == relay.QuizTrueFalse {
		if i == 0 {
			return i18n.T("classroom.quiz.true")
		}
		return i18n.T("classroom.quiz.false")
	}
	return string(rune('A' + i))
}

// linkText is a link's RTT and loss.
func linkText(ll *liveLesson) string {
	if !ll.linkOK {
		return i18n.T("classroom.link_none")
	}
	rtt := "–"
	if ll.link.RTT > 0 {
		rtt = strconv.FormatInt(max(ll.link.RTT.Milliseconds(), 1), 10)
	}
	loss, ok := live.LossBetween(ll.linkPrev, ll.link)
	if !ok {
		return i18n.T("classroom.link_rtt", rtt)
	}
	return i18n.T("classroom.link", rtt, fmt.Sprintf("%.0f", loss*100))
}

// qualityImportance colours a link's line: poor links stand out.
var qualityImportance = map[string]widget.Importance{relay.QualityGood: widget.SuccessImportance,
	relay.QualityFair: widget.WarningImportance, relay.QualityPoor: widget.DangerImportance}

// peerLinkText is a remote classroom's link as the relay measures it, for
// the host: quality, round trip, loss and the rate it is sent.
func peerLinkText(l relay.LinkInfo) string {
	if l.RTTms == 0 {
		return i18n.T("classroom.link_none")
	}
	return i18n.T("classroom.peer_link", i18n.T("classroom.quality."+l.Quality), strconv.Itoa(l.RTTms),
		fmt.Sprintf("%.0f", l.LossPct), fmt.Sprintf("%.0f", l.KbpsOut))
}

// liveHeader is the top of a live screen: title, state, notes, the end button.
func (c *classroomState) liveHeader(ll *liveLesson, title string, endKey string) (fyne.CanvasObject, func()) {
	head := rsHeading(title, theme.SizeNameSubHeadingText)
	state := widget.NewLabel("")
	state.TextStyle = fyne.TextStyle{Bold: true}
	recL := widget.NewLabel("")
	recL.Importance = widget.DangerImportance
	stateRow := container.NewHBox(widget.NewIcon(theme.MediaRecordIcon()), state, recL)
	note := rsWrapped("")
	note.Importance = widget.WarningImportance
	errL := rsWrapped("")
	errL.Importance = widget.DangerImportance
	endB := widget.NewButtonWithIcon(i18n.T(endKey), theme.LogoutIcon(), c.end)
	endB.Importance = widget.DangerImportance
	backB := widget.NewButtonWithIcon(i18n.T("classroom.back"), theme.NavigateBackIcon(), c.back)
	refresh := func() {
		state.SetText(ll.stateText())
		showRecording(recL, stateRow, ll)
		if ll.noAudio {
			note.SetText(i18n.T("classroom.no_audio"))
			note.Show()
		} else {
			note.Hide()
		}
		if ll.err != nil {
			text := liveErrText(ll.err)
			var pe *relay.ProtocolError
			if !ll.host && ll.joinedAt && errors.As(ll.err, &pe) && pe.Code == relay.CodeLessonUnknown {
				text = i18n.T("classroom.err.lesson_ended") // the host closed it while we were away
			}
			errL.SetText(text)
			errL.Show()
		} else {
			errL.Hide()
		}
		over := ll.state == live.Ended || ll.failed
		endB.Hidden = over || ll.ending
		backB.Hidden = !over || (ll.ending && !ll.ended)
		endB.Refresh()
		backB.Refresh()
	}
	top := container.NewBorder(nil, nil, nil, container.NewCenter(container.NewHBox(endB, backB)),
		container.NewVBox(head, stateRow))
	return container.NewVBox(top, note, errL), refresh
}

// slideArea is the lesson's board (ll.ink.board).
func (ll *liveLesson) slideArea() *board {
	ll.ink.board = newBoard(ll.slide)
	return ll.ink.board
}

// liveChat is the lesson's chat panel.
func (ll *liveLesson) liveChat() *chatPanel {
	ll.ink.chat = newChatPanel(func(text string) error {
		if ll.sess == nil {
			return live.ErrNotLive
		}
		return ll.sess.Chat(text)
	})
	return ll.ink.chat
}

// sidePanel is a live screen's right column of one fixed width: the cards
// (scrolling when they do not fit) above the chat.
func sidePanel(chat *chatPanel, cards ...fyne.CanvasObject) fyne.CanvasObject {
	w := canvas.NewRectangle(color.Transparent)
	w.SetMinSize(fyne.NewSize(rsEms(24, 0).Width, 0))
	split := container.NewVSplit(container.NewVScroll(container.NewVBox(cards...)),
		rsCard(i18n.T("classroom.chat"), chat.object()))
	split.Offset = 0.62
	return container.NewStack(w, split)
}

// hostScreen is the lead teacher's live screen.
func (c *classroomState) hostScreen(ll *liveLesson) fyne.CanvasObject {
	l := ll.lesson
	header, refreshHeader := c.liveHeader(ll, i18n.T("classroom.lesson_line", l.Subject, gradeName(l.Grade), l.Title, l.Minutes), "classroom.end")

	// How remote classrooms join: the address(es) and the code, large.
	code := bigText(theme.TextHeadingSize() * 1.6)
	addrs := bigText(theme.TextHeadingSize() * 1.2)
	code.Alignment, addrs.Alignment = fyne.TextAlignLeading, fyne.TextAlignLeading
	joinInfo := container.NewHBox(widget.NewLabel(i18n.T("classroom.join_info")),
		widget.NewLabel(i18n.T("classroom.addr")), addrs, widget.NewLabel("  "+i18n.T("classroom.code")), code)

	slide := ll.slideArea()
	page := widget.NewLabel("")
	page.Alignment = fyne.TextAlignCenter
	page.TextStyle = fyne.TextStyle{Bold: true}
	slide.editable(func(k relay.Stroke) error {
		if ll.sess == nil {
			return live.ErrNotLive
		}
		return ll.sess.Stroke(k)
	}, func(x, y int, hidden bool) error {
		if ll.sess == nil {
			return live.ErrNotLive
		}
		return ll.sess.Laser(x, y, hidden)
	})
	tools := boardTools(slide, c.w.win, func(ids []string) {
		for _, id := range ids {
			if ll.sess != nil {
				_ = ll.sess.Undo(id)
			}
		}
	}, func(page int) {
		if ll.sess != nil {
			_ = ll.sess.ClearPage(page)
		}
	})
	chat := ll.liveChat()
	prev := widget.NewButtonWithIcon(i18n.T("classroom.prev"), theme.NavigateBackIcon(), func() {
		if v := ll.sess.View(); v.Page > 1 {
			_ = ll.sess.TurnPage(v.Page - 1)
		}
	})
	next := widget.NewButtonWithIcon(i18n.T("classroom.next"), theme.NavigateNextIcon(), func() {
		v := ll.sess.View()
		_ = ll.sess.TurnPage(max(v.Page, 1) + 1)
	})
	deckMsg := widget.NewLabel("")
	deckMsg.Hide()
	openDeck := widget.NewButtonWithIcon(i18n.T("classroom.deck.open"), theme.FolderOpenIcon(), func() { ll.chooseDeck(deckMsg) })
	pager := container.NewBorder(nil, nil, container.NewHBox(openDeck, prev), next,
		container.NewHBox(layout.NewSpacer(), page, deckMsg, layout.NewSpacer()))
	board := container.NewBorder(tools, pager, nil, nil, slide)

	classes := container.NewVBox()
	link := rsWrapped("")
	hands := container.NewVBox()
	quiz := container.NewVBox()

	// The quiz form: single choice with N options, or true/false.
	kind := widget.NewRadioGroup([]string{i18n.T("classroom.quiz.single"), i18n.T("classroom.quiz.truefalse")}, nil)
	kind.Horizontal = true
	kind.SetSelected(i18n.T("classroom.quiz.single"))
	opts := widget.NewSelect([]string{"2", "3", "4", "5", "6"}, nil)
	opts.SetSelected("4")
	quizSeq := 0
	startQuiz := widget.NewButtonWithIcon(i18n.T("classroom.quiz.start"), theme.QuestionIcon(), func() {
		quizSeq++
		q := relay.Quiz{ID: "q" + strconv.Itoa(quizSeq) + "-" + strconv.FormatInt(time.Now().Unix()%100000, 10), Kind: relay.QuizSingle}
		if kind.Selected == i18n.T("classroom.quiz.truefalse") {
			q.Kind, q.Options = relay.QuizTrueFalse, 2
		} else {
			q.Options, _ = strconv.Atoi(opts.Selected)
		}
		_ = ll.sess.StartQuiz(q)
	})
	quizForm := container.NewVBox(kind, container.NewHBox(widget.NewLabel(i18n.T("classroom.quiz.options")), opts, startQuiz))

	body := container.NewBorder(nil, nil, nil,
		sidePanel(chat, rsCard(i18n.T("classroom.hands"), hands), rsCard(i18n.T("classroom.classes"), container.NewVBox(classes, link)),
			rsCard(i18n.T("classroom.quiz"), quiz)), board)

	ll.refresh = func() {
		refreshHeader()
		code.Text = ll.code
		code.Refresh()
		addrs.Text = strings.Join(ll.addrs, "  ")
		if len(ll.addrs) == 0 {
			addrs.Text = "–"
		}
		addrs.Refresh()
		var v relay.View
		if ll.sess != nil {
			v = ll.sess.View()
		}
		page.SetText(i18n.T("classroom.page", max(v.Page, 1)))
		ll.showBoard(v)
		on := ll.sess != nil && ll.state == live.Live
		setEnabled(on, prev, next, startQuiz, openDeck)
		chat.show(v, ll.ink.chatAt)
		chat.setEnabled(on)

		// Classrooms present, with their quiz answers and links.
		var links map[string]relay.LinkInfo
		if ll.sess != nil {
			links = ll.sess.Links()
		}
		classes.Objects = nil
		n := 0
		for _, p := range v.Peers {
			if p.Role != relay.RoleRemote {
				continue
			}
			n++
			line := p.Name
			if v.Quiz != nil {
				if a, ok := ll.answers[p.ID]; ok {
					line += "  " + i18n.T("classroom.quiz.answered_as", choiceName(v.Quiz.Kind, a))
				} else {
					line += "  " + i18n.T("classroom.quiz.waiting")
				}
			}
			if v.Mic == p.ID {
				line += "  " + i18n.T("classroom.speaking")
			}
			classes.Add(rsCut(line))
			if l, ok := links[p.ID]; ok {
				q := rsCut(peerLinkText(l))
				q.Importance = qualityImportance[l.Quality]
				classes.Add(q)
			}
		}
		if n == 0 {
			classes.Add(rsWrapped(i18n.T("classroom.no_classes")))
		}
		classes.Refresh()
		link.SetText(i18n.T("classroom.host_link", linkText(ll)))

		// Hands up, and who speaks.
		hands.Objects = nil
		if v.Mic != "" {
			revoke := widget.NewButtonWithIcon(i18n.T("classroom.revoke"), theme.VolumeMuteIcon(), func() { _ = ll.sess.RevokeMic() })
			hands.Add(container.NewBorder(nil, nil, nil, revoke, rsCut(i18n.T("classroom.speaker", peerName(v, v.Mic)))))
		}
		for _, id := range v.Hands {
			if id == v.Mic {
				continue
			}
			id := id
			grant := widget.NewButtonWithIcon(i18n.T("classroom.grant"), theme.VolumeUpIcon(), func() { _ = ll.sess.GrantMic(id) })
			grant.Importance = widget.HighImportance
			hands.Add(container.NewBorder(nil, nil, nil, grant, rsCut(peerName(v, id))))
		}
		if len(hands.Objects) == 0 {
			hands.Add(rsWrapped(i18n.T("classroom.no_hands")))
		}
		hands.Refresh()

		// The quiz: the form, or the open quiz's live tally.
		quiz.Objects = nil
		if v.Quiz == nil {
			quiz.Add(quizForm)
		} else {
			counts := v.Quiz.Counts
			parts := make([]string, v.Quiz.Options)
			for i := range parts {
				cnt := 0
				if i < len(counts) {
					cnt = counts[i]
				}
				parts[i] = choiceName(v.Quiz.Kind, i) + ": " + strconv.Itoa(cnt)
			}
			tally := bigText(theme.TextSubHeadingSize() * 1.3)
			tally.Alignment = fyne.TextAlignLeading
			tally.Text = strings.Join(parts, "   ")
			id := v.Quiz.ID
			endQ := widget.NewButtonWithIcon(i18n.T("classroom.quiz.end"), theme.CancelIcon(), func() { _ = ll.sess.EndQuiz(id) })
			quiz.Add(rsWrapped(i18n.T("classroom.quiz.open", v.Quiz.Answered, n)))
			quiz.Add(tally)
			quiz.Add(container.NewHBox(endQ))
		}
		quiz.Refresh()
	}
	return container.NewBorder(container.NewVBox(header, joinInfo), nil, nil, nil, body)
}

func setEnabled(on bool, bs ...*widget.Button) {
	for _, b := range bs {
		if on {
			b.Enable()
		} else {
			b.Disable()
		}
	}
}

// remoteScreen is a remote classroom's live screen.
func (c *classroomState) remoteScreen(ll *liveLesson) fyne.CanvasObject {
	header, refreshHeader := c.liveHeader(ll, i18n.T("classroom.remote_title", ll.code), "classroom.leave")
	host := rsWrapped("")
	slide := ll.slideArea()
	chat := ll.liveChat()
	speaking := bigText(theme.TextHeadingSize() * 1.5)
	speaking.Text = i18n.T("classroom.you_speak")
	speakBox := container.NewVBox(speaking, rsWrapped(i18n.T("classroom.you_speak_note")))
	hand := widget.NewButtonWithIcon(i18n.T("classroom.raise"), theme.AccountIcon(), nil)
	hand.Importance = widget.HighImportance
	handUp := false
	hand.OnTapped = func() { _ = ll.sess.RaiseHand(!handUp) }
	quiz := container.NewVBox()
	ll.refresh = func() {
		refreshHeader()
		var v relay.View
		if ll.sess != nil {
			v = ll.sess.View()
		}
		hostName := ""
		for _, p := range v.Peers {
			if p.Role == relay.RoleHost {
				hostName = p.Name
			}
		}
		if hostName != "" {
			host.SetText(i18n.T("classroom.host_is", hostName))
		} else {
			host.SetText("")
		}
		ll.showBoard(v)
		on := ll.sess != nil && ll.state == live.Live
		chat.show(v, ll.ink.chatAt)
		chat.setEnabled(on)
		holds := on && ll.sess.HoldsMic()
		speakBox.Hidden = !holds
		speakBox.Refresh()
		handUp = ll.sess != nil && slices.Contains(v.Hands, ll.sess.ID())
		if handUp {
			hand.SetText(i18n.T("classroom.lower"))
		} else {
			hand.SetText(i18n.T("classroom.raise"))
		}
		hand.Hidden = holds
		setEnabled(on, hand)

		quiz.Objects = nil
		if v.Quiz == nil {
			quiz.Add(rsWrapped(i18n.T("classroom.quiz.none")))
		} else {
			q := v.Quiz
			if q.Mine != nil {
				quiz.Add(rsWrapped(i18n.T("classroom.quiz.mine", choiceName(q.Kind, *q.Mine))))
			} else {
				quiz.Add(rsWrapped(i18n.T("classroom.quiz.ask")))
			}
			row := container.NewGridWithColumns(min(q.Options, 6))
			for i := 0; i < q.Options; i++ {
				i, id := i, q.ID
				b := widget.NewButton(choiceName(q.Kind, i), func() { _ = ll.sess.Answer(id, i) })
				if q.Mine != nil && *q.Mine == i {
					b.Importance = widget.HighImportance
				}
				if !on {
					b.Disable()
				}
				row.Add(b)
			}
			quiz.Add(row)
		}
		quiz.Refresh()
	}
	mic := rsCard(i18n.T("classroom.mic"), container.NewVBox(speakBox, container.NewHBox(hand)))
	body := container.NewBorder(nil, nil, nil, sidePanel(chat, mic, rsCard(i18n.T("classroom.quiz"), quiz)), slide)
	return container.NewBorder(container.NewVBox(header, host), nil, nil, nil, body)
}
