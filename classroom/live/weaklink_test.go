package live

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"net"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"qiao/audio"
	"qiao/classroom/relay"

	"github.com/pion/logging"
	"github.com/pion/transport/v5/vnet"
)

// The weak link of a remote classroom (the satellite hop).
const (
	weakRate    = 256_000                // bit/s, each way
	weakDelay   = 300 * time.Millisecond // one way: 600 ms round trip
	weakLoss    = 0.05                   // random loss, each way
	weakOutage  = 10 * time.Second
	weakLevelDB = 6.0 // level tolerance on the weak link (concealed frames are quieter)
)

// weakNet is a pion vnet in which some addresses (the remote classrooms)
// sit behind a weak link: every packet to or from them is delayed, lost at
// random, policed to weakRate, and dropped altogether while cut.
//
// vnet's router delay applies to every packet it routes, so the host's
// link to the relay has the same 300 ms one way (its voice reaches a
// remote 600 ms after it is spoken); only the remotes' links are lossy,
// rate-limited and cut.
type weakNet struct {
	router *vnet.Router
	mu     sync.Mutex
	rng    *rand.Rand
	weak   map[string]*weakLink // by IP
}

type weakLink struct {
	cut            bool
	up, down       bucket
	passed, lost   int // random loss
	policed, outed int // over the rate, dropped by the outage
}

// bucket is a token bucket policer: a packet that finds too few tokens is dropped.
type bucket struct {
	tokens float64
	last   time.Time
}

func (b *bucket) allow(n int, now time.Time) bool {
	const rate, burst = weakRate / 8.0, 16 << 10 // bytes/s, bytes
	if b.last.IsZero() {
		b.tokens = burst
	} else {
		b.tokens = math.Min(burst, b.tokens+rate*now.Sub(b.last).Seconds())
	}
	b.last = now
	if b.tokens < float64(n) {
		return false
	}
	b.tokens -= float64(n)
	return true
}

func newWeakNet(t *testing.T, lf logging.LoggerFactory) *weakNet {
	router, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.0.0.0/24", MinDelay: weakDelay, MaxJitter: 10 * time.Millisecond, LoggerFactory: lf})
	if err != nil {
		t.Fatal(err)
	}
	w := &weakNet{router: router, rng: rand.New(rand.NewSource(6)), weak: map[string]*weakLink{}}
	router.AddChunkFilter(w.filter)
	return w
}

func ipOf(a net.Addr) string {
	if u, ok := a.(*net.UDPAddr); ok {
		return u.IP.String()
	}
	h, _, _ := net.SplitHostPort(a.String())
	return h
}

func (w *weakNet) filter(c vnet.Chunk) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	size := len(c.UserData()) + 28 // IP and UDP headers
	now := time.Now()
	check := func(l *weakLink, b *bucket) bool {
		switch {
		case l.cut:
			l.outed++
			return false
		case !b.allow(size, now):
			l.policed++
			return false
		case w.rng.Float64() < weakLoss:
			l.lost++
			return false
		}
		l.passed++
		return true
	}
	if l := w.weak[ipOf(c.SourceAddr())]; l != nil && !check(l, &l.up) {
		return false
	}
	if l := w.weak[ipOf(c.DestinationAddr())]; l != nil && !check(l, &l.down) {
		return false
	}
	return true
}

func (w *weakNet) addNet(t *testing.T, ip string, weak bool) *vnet.Net {
	n, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{ip}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.router.AddNet(n); err != nil {
		t.Fatal(err)
	}
	if weak {
		w.mu.Lock()
		w.weak[ip] = &weakLink{}
		w.mu.Unlock()
	}
	return n
}

func (w *weakNet) setCut(ip string, cut bool) {
	w.mu.Lock()
	w.weak[ip].cut = cut
	w.mu.Unlock()
}

func (w *weakNet) stats(ip string) weakLink {
	w.mu.Lock()
	defer w.mu.Unlock()
	return *w.weak[ip]
}

// tcpLink carries one remote classroom's signalling WebSocket over real
// loopback TCP (vnet has no TCP) with the weak link's one-way delay, and
// can be cut: a cut resets every connection through it and refuses new
// ones until restored, as a school router that reboots or a NAT that
// forgets its mappings during an outage would.
type tcpLink struct {
	ln     net.Listener
	target string
	delay  time.Duration

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]bool
}

func newTCPLink(t *testing.T, target string, delay time.Duration) *tcpLink {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &tcpLink{ln: ln, target: target, delay: delay, conns: map[net.Conn]bool{}}
	go l.accept()
	t.Cleanup(func() { ln.Close(); l.cut() })
	return l
}

func (l *tcpLink) url() string { return "ws://" + l.ln.Addr().String() }

func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

func (l *tcpLink) accept() {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		l.mu.Lock()
		down := l.down
		l.mu.Unlock()
		if down {
			reset(c)
			continue
		}
		up, err := net.Dial("tcp", l.target)
		if err != nil {
			reset(c)
			continue
		}
		l.mu.Lock()
		if l.down {
			l.mu.Unlock()
			reset(c)
			reset(up)
			continue
		}
		l.conns[c], l.conns[up] = true, true
		l.mu.Unlock()
		go l.pipe(up, c)
		go l.pipe(c, up)
	}
}

// pipe copies src to dst, each chunk delivered delay after it was read.
func (l *tcpLink) pipe(dst, src net.Conn) {
	type chunk struct {
		at time.Time
		b  []byte
	}
	ch := make(chan chunk, 4096)
	go func() {
		defer close(ch)
		for {
			b := make([]byte, 32<<10)
			n, err := src.Read(b)
			if n > 0 {
				ch <- chunk{time.Now().Add(l.delay), b[:n]}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range ch {
		time.Sleep(time.Until(c.at))
		if _, err := dst.Write(c.b); err != nil {
			break
		}
	}
	reset(dst)
	reset(src)
	for range ch {
	}
}

func (l *tcpLink) cut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.down = true
	for c := range l.conns {
		reset(c)
	}
	clear(l.conns)
}

func (l *tcpLink) restore() {
	l.mu.Lock()
	l.down = false
	l.mu.Unlock()
}

// heardWithin reports whether h is the tone freq at level within the weak
// link's tolerances.
func heardWithin(h heard, freq, level float64) bool {
	return math.Abs(h.Freq-freq) <= freqTolerance && math.Abs(h.Level-audio.DBFS(level)) <= weakLevelDB
}

// waitTone polls what p plays until the steadiest second of the last
// 2.5 s is the tone (or d passes: an error with the last analysis).
func waitTone(t *testing.T, who string, p *participant, d time.Duration, freq, level float64) {
	t.Helper()
	deadline := time.Now().Add(d)
	var h heard
	for {
		time.Sleep(500 * time.Millisecond)
		h = analyse(p.rec.last(2500*time.Millisecond), level)
		if heardWithin(h, freq, level) || time.Now().After(deadline) {
			break
		}
	}
	t.Logf("%s hears %.1f Hz at %.1f dBFS (sent %.0f Hz at %.1f dBFS)", who, h.Freq, h.Level, freq, audio.DBFS(level))
	if !heardWithin(h, freq, level) {
		t.Errorf("%s: heard %.1f Hz at %.1f dBFS; want %.0f ±%.0f Hz at %.1f ±%.0f dB",
			who, h.Freq, h.Level, freq, freqTolerance, audio.DBFS(level), weakLevelDB)
	}
}

// TestWeakLinkLesson is the lesson over a simulated weak link: a
// relay, a host and two remote classrooms on a pion vnet, the remotes
// behind 256 kbit/s, 300 ms one way (600 ms round trip) and 5% random
// loss each way. The host's voice stays recognisable with concealment,
// the board and a quiz converge, and remote 1 survives a 10 s outage of
// its whole link (media and signalling): it comes back live as the same
// participant, with the page turned meanwhile, and hears the host again.
//
// The signalling runs over real loopback TCP through tcpLink (vnet has no
// TCP), delayed like the link and cut with it.
func TestWeakLinkLesson(t *testing.T) {
	if testing.Short() {
		t.Skip("weak-link lesson takes about a minute")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	lf := logging.NewDefaultLoggerFactory()
	lf.DefaultLogLevel = logging.LogLevelError

	w := newWeakNet(t, lf)
	relayNet := w.addNet(t, "10.0.0.1", false)
	hostNet := w.addNet(t, "10.0.0.2", false)
	remoteIPs := []string{"10.0.0.3", "10.0.0.4"}
	var remoteNets []*vnet.Net
	for _, ip := range remoteIPs {
		remoteNets = append(remoteNets, w.addNet(t, ip, true))
	}
	if err := w.router.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.router.Stop() })

	conn, err := relayNet.ListenPacket("udp4", "10.0.0.1:3478")
	if err != nil {
		t.Fatal(err)
	}
	rl, err := relay.New(relay.Config{NetConfig: relay.NetConfig{Net: relayNet, UDPConn: conn, UDPOnly: true, LoggerFactory: lf}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := rl.Open("")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rl.Handler(relay.HandlerOptions{}))
	t.Cleanup(func() { srv.Close(); rl.Close() })
	lr := &lessonRelay{Relay: rl, URL: "ws" + strings.TrimPrefix(srv.URL, "http"), LessonInfo: info}

	start := func(host bool, n *vnet.Net, url, name string, freq float64) *participant {
		t.Helper()
		api, _, err := relay.NewAPI(relay.NetConfig{Net: n, UDPOnly: true, LoggerFactory: lf})
		if err != nil {
			t.Fatal(err)
		}
		rec := newRecorder(5)
		tone := &audio.Tone{Freq: freq, Amplitude: toneAmplitude}
		cfg := Config{URL: url, Lesson: lr.Code, Name: name, API: api, Device: audio.DeviceConfig{Null: true},
			Source: tone.Fill, Tap: rec.tap, MinBackoff: 200 * time.Millisecond, MaxBackoff: 2 * time.Second}
		var s *Session
		if host {
			cfg.Key = lr.HostKey
			s, err = Host(ctx, cfg)
		} else {
			s, err = Join(ctx, cfg)
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		p := &participant{Session: s, rec: rec}
		t.Cleanup(p.Close)
		return p
	}
	host := start(true, hostNet, lr.URL, "实验小学 王老师", 440)
	var links []*tcpLink
	var remotes []*participant
	for i, n := range remoteNets {
		l := newTCPLink(t, srv.Listener.Addr().String(), weakDelay)
		links = append(links, l)
		remotes = append(remotes, start(false, n, l.url(), fmt.Sprintf("草原小学%d班", i+1), 700))
	}
	r1 := remotes[0]
	for i, p := range append([]*participant{host}, remotes...) {
		wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		err := p.WaitLive(wctx)
		cancel()
		if err != nil {
			t.Fatalf("participant %d not live: %v", i, err)
		}
	}

	// 1. Voice: the host's 440 Hz is recognisable at every remote, and
	// the loss really happened (FEC recovered or concealed frames).
	for i, p := range remotes {
		waitTone(t, fmt.Sprintf("remote %d", i+1), p, 30*time.Second, 440, toneLevel)
	}
	for i, p := range remotes {
		eventually(t, 30*time.Second, fmt.Sprintf("remote %d conceals or recovers lost frames", i+1), func() bool {
			js := p.Voice().Tracks["host-audio"]
			return js.Concealed+js.RecoveredFEC > 0
		})
		t.Logf("remote %d jitter buffer: %+v", i+1, p.Voice().Tracks["host-audio"])
	}

	// 2. Board and quiz converge on every remote.
	for pg := 1; pg <= 5; pg++ {
		if err := host.TurnPage(pg); err != nil {
			t.Fatal(err)
		}
		if err := host.Stroke(relay.Stroke{ID: fmt.Sprintf("s%d", pg), Page: pg, Color: "#e53935", Width: 25, Points: []int{100 * pg, 200, 300, 400 * pg}}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := host.Undo("s2"); err != nil {
		t.Fatal(err)
	}
	if err := host.StartQuiz(relay.Quiz{ID: "q1", Kind: relay.QuizTrueFalse}); err != nil {
		t.Fatal(err)
	}
	for i, p := range remotes {
		eventually(t, 30*time.Second, fmt.Sprintf("remote %d sees page 5, 4 strokes and the quiz", i+1), func() bool {
			v := p.View()
			_, undone := v.Strokes["s2"]
			return v.Page == 5 && len(v.Strokes) == 4 && !undone && v.Strokes["s5"] == 5 && v.Quiz != nil && v.Quiz.ID == "q1"
		})
		if err := p.Answer("q1", i%2); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 30*time.Second, "host's tally [1 1]", func() bool {
		v := host.View()
		return v.Quiz != nil && slices.Equal(v.Quiz.Counts, []int{1, 1})
	})

	// 3. A 10 s outage of remote 1's whole link, signalling included; the
	// host turns the page and draws meanwhile.
	id := r1.ID()
	outageStart := time.Now()
	w.setCut(remoteIPs[0], true)
	links[0].cut()
	eventually(t, weakOutage, "remote 1 reconnecting", func() bool { return r1.State() == Reconnecting })
	eventually(t, weakOutage, "the host sees remote 1 reconnecting", func() bool {
		for _, p := range host.View().Peers {
			if p.ID == id {
				return p.Status == relay.StatusReconnecting
			}
		}
		return false
	})
	if err := host.TurnPage(7); err != nil {
		t.Fatal(err)
	}
	if err := host.Stroke(relay.Stroke{ID: "s7", Page: 7, Color: "#1e88e5", Width: 30, Points: []int{5000, 5000, 6000, 6000}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "remote 2 follows during the outage", func() bool {
		v := remotes[1].View()
		return v.Page == 7 && v.Strokes["s7"] == 7
	})
	if r1.View().Page == 7 {
		t.Error("remote 1 saw page 7 through a cut link")
	}
	time.Sleep(time.Until(outageStart.Add(weakOutage)))
	w.setCut(remoteIPs[0], false)
	links[0].restore()
	t.Logf("outage over after %v", time.Since(outageStart).Round(time.Millisecond))

	// 4. Remote 1 comes back by itself: live, the same participant, the
	// current page, and the host's voice.
	eventually(t, 60*time.Second, "remote 1 live again with page 7", func() bool {
		v := r1.View()
		return r1.State() == Live && v.Synced && v.Page == 7 && v.Strokes["s7"] == 7
	})
	t.Logf("remote 1 live again %v after the outage, %d reconnects", time.Since(outageStart.Add(weakOutage)).Round(time.Millisecond), r1.Reconnects())
	if got := r1.ID(); got != id {
		t.Errorf("remote 1 came back as %s, was %s", got, id)
	}
	eventually(t, 30*time.Second, "the host sees remote 1 back", func() bool {
		for _, p := range host.View().Peers {
			if p.ID == id {
				return p.Status == ""
			}
		}
		return false
	})
	r1.rec.reset()
	waitTone(t, "remote 1 after the outage", r1, 30*time.Second, 440, toneLevel)
	if v := r1.View(); v.Quiz == nil || v.Quiz.Mine == nil || *v.Quiz.Mine != 0 {
		t.Errorf("remote 1's quiz after the outage: %+v", v.Quiz)
	}

	for i, ip := range remoteIPs {
		s := w.stats(ip)
		t.Logf("remote %d link: %d packets passed, %d lost at random (%.1f%%), %d over the rate, %d in the outage",
			i+1, s.passed, s.lost, 100*float64(s.lost)/float64(max(1, s.passed+s.lost)), s.policed, s.outed)
	}
}
