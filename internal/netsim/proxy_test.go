package netsim

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// All timing assertions are lower bounds; the only deadlines are generous
// "must not hang" guards, or "nothing may arrive while paused" checks that a
// slow machine can only make more true.

const hangGuard = 20 * time.Second

func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

func startProxy(t *testing.T, target string, cfg Config) *Proxy {
	t.Helper()
	p, err := Start(target, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func dial(t *testing.T, p *Proxy) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(hangGuard))
	return c.(*net.TCPConn)
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// echoRoundTrip sends data, half-closes, and returns everything echoed back.
func echoRoundTrip(t *testing.T, c *net.TCPConn, data []byte) []byte {
	t.Helper()
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		if err == nil {
			err = c.CloseWrite()
		}
		werr <- err
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if err := <-werr; err != nil {
		t.Fatalf("write: %v", err)
	}
	return got
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// expectReset reads from c and requires an error that is not a timeout;
// on a cut the peer must see a reset, never a clean EOF.
func expectReset(t *testing.T, c net.Conn) {
	t.Helper()
	buf := make([]byte, 4096)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue // data that got through before the reset
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("connection was not reset: %v", err)
		}
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("want connection reset, got %v", err)
		}
		return
	}
}

// expectRefused dials p and requires the connection to be reset, either
// already during the dial (on loopback the RST can beat connect's return)
// or on the first read.
func expectRefused(t *testing.T, p *Proxy) {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("dial: want connection reset, got %v", err)
		}
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(hangGuard))
	expectReset(t, c)
}

func TestEchoIntactWithLossAndLatency(t *testing.T) {
	p := startProxy(t, echoServer(t), Config{Latency: 10 * time.Millisecond, Loss: 0.1, Seed: 1})
	data := randomBytes(256<<10, 1)
	start := time.Now()
	got := echoRoundTrip(t, dial(t, p), data)
	elapsed := time.Since(start)
	if !bytes.Equal(got, data) {
		t.Fatalf("echoed data differs: got %d bytes, want %d", len(got), len(data))
	}
	st := p.Stats()
	if st.Lost == 0 {
		t.Fatalf("no segment lost with Loss=0.1 over %d segments", 2*len(data)/SegmentSize)
	}
	if elapsed < MinRTO {
		t.Fatalf("%d losses but transfer took only %v (< one RTO %v)", st.Lost, elapsed, MinRTO)
	}
	if st.BytesUp != int64(len(data)) || st.BytesDown != int64(len(data)) {
		t.Fatalf("stats bytes up/down = %d/%d, want %d", st.BytesUp, st.BytesDown, len(data))
	}
	t.Logf("256 KiB echo: %d losses, %v", st.Lost, elapsed)
}

func TestLossReproducibleForSeed(t *testing.T) {
	echo := echoServer(t)
	data := randomBytes(128<<10, 2)
	lost := func(seed int64) int64 {
		p := startProxy(t, echo, Config{Loss: 0.2, Seed: seed})
		if got := echoRoundTrip(t, dial(t, p), data); !bytes.Equal(got, data) {
			t.Fatal("echoed data differs")
		}
		return p.Stats().Lost
	}
	a, b := lost(7), lost(7)
	if a != b || a == 0 {
		t.Fatalf("same seed gave %d and %d losses", a, b)
	}
}

func TestHTTPIntactWithLossAndLatency(t *testing.T) {
	body := randomBytes(300<<10, 3)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			h := sha256.New()
			io.Copy(h, r.Body)
			io.WriteString(w, hex.EncodeToString(h.Sum(nil)))
			return
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	p := startProxy(t, srv.Listener.Addr().String(), Config{Latency: 5 * time.Millisecond, Loss: 0.05, Seed: 3})
	client := &http.Client{Timeout: hangGuard}

	resp, err := client.Get("http://" + p.Addr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("GET body: %d bytes, err %v; want %d intact bytes", len(got), err, len(body))
	}

	upload := randomBytes(100<<10, 4)
	resp, err = client.Post("http://"+p.Addr()+"/", "application/octet-stream", bytes.NewReader(upload))
	if err != nil {
		t.Fatal(err)
	}
	sum, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := sha256.Sum256(upload)
	if string(sum) != hex.EncodeToString(want[:]) {
		t.Fatalf("POST body corrupted: server saw sha256 %s", sum)
	}
	if st := p.Stats(); st.Lost == 0 {
		t.Logf("note: no losses drawn (%+v)", st)
	}
}

func TestLatencyLowerBound(t *testing.T) {
	p := startProxy(t, echoServer(t), Config{Latency: 150 * time.Millisecond})
	c := dial(t, p)
	start := time.Now()
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	if rtt := time.Since(start); rtt < 300*time.Millisecond {
		t.Fatalf("round trip %v, want >= 2*150ms", rtt)
	}
}

func TestRateAppliesToExistingConnection(t *testing.T) {
	p := startProxy(t, echoServer(t), Config{})
	c := dial(t, p)
	// Unlimited at first: one byte round trip on the open connection.
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	p.SetConfig(Config{Rate: 8000}) // 64 kbit/s
	data := randomBytes(16<<10, 5)
	start := time.Now()
	got := echoRoundTrip(t, c, data)
	elapsed := time.Since(start)
	if !bytes.Equal(got, data) {
		t.Fatal("data differs")
	}
	// 16 KiB at 8000 B/s minus one segment of burst is ~1.9 s per direction.
	if elapsed < 1500*time.Millisecond {
		t.Fatalf("16 KiB at 8000 B/s took %v, want >= 1.5s", elapsed)
	}
	t.Logf("16 KiB at 8000 B/s: %v", elapsed)
}

func TestCutAfterEcho(t *testing.T) {
	const cutAt = 5000
	p := startProxy(t, echoServer(t), Config{CutAfter: func() int64 { return cutAt }})
	c := dial(t, p)
	go c.Write(randomBytes(20000, 6)) // fails once cut; the error is irrelevant
	var received int64
	buf := make([]byte, 4096)
	var err error
	for err == nil {
		var n int
		n, err = c.Read(buf)
		received += int64(n)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, io.EOF) {
		t.Fatalf("want an abrupt cut, got %v", err)
	}
	if received > cutAt {
		t.Fatalf("received %d bytes, more than the cut point %d", received, cutAt)
	}
	st := p.Stats()
	// Usually exactly cutAt; less if a write in the other direction was
	// still in progress when the cut landed.
	if total := st.BytesUp + st.BytesDown; st.Cuts != 1 || total <= 0 || total > cutAt {
		t.Fatalf("stats %+v: want 1 cut after at most %d bytes", st, cutAt)
	}
	waitFor(t, "no active connections", func() bool { return p.Stats().Active == 0 })
}

func TestCutAfterHTTPThenRetrySucceeds(t *testing.T) {
	body := randomBytes(50<<10, 7)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	var calls atomic.Int64
	const cutAt = 10000
	p := startProxy(t, srv.Listener.Addr().String(), Config{CutAfter: func() int64 {
		if calls.Add(1) == 1 {
			return cutAt // first connection dies mid-response
		}
		return -1
	}})
	client := &http.Client{Timeout: hangGuard, Transport: &http.Transport{DisableKeepAlives: true}}

	var got []byte
	resp, err := client.Get("http://" + p.Addr() + "/")
	if err == nil {
		got, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Fatalf("first GET succeeded with %d bytes despite the cut", len(got))
	}
	if len(got) > cutAt {
		t.Fatalf("first GET read %d body bytes, more than the cut point %d", len(got), cutAt)
	}
	t.Logf("first GET: %d bytes, %v", len(got), err)

	resp, err = client.Get("http://" + p.Addr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	got, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("second GET: %d bytes, err %v", len(got), err)
	}
	if st := p.Stats(); st.Cuts != 1 || st.Accepted != 2 {
		t.Fatalf("stats %+v: want 1 cut of 2 connections", st)
	}
}

func TestCutAfterZeroCutsAtOnce(t *testing.T) {
	p := startProxy(t, echoServer(t), Config{CutAfter: func() int64 { return 0 }})
	expectRefused(t, p)
	if st := p.Stats(); st.Cuts != 1 || st.BytesUp+st.BytesDown != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestCutAllResetsOpenConnections(t *testing.T) {
	p := startProxy(t, echoServer(t), Config{Latency: 5 * time.Millisecond})
	var conns []*net.TCPConn
	for i := 0; i < 2; i++ {
		c := dial(t, p)
		if _, err := c.Write([]byte("hi")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, make([]byte, 2)); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	p.CutAll()
	for _, c := range conns {
		expectReset(t, c)
	}
	if st := p.Stats(); st.Cuts != 2 || st.Active != 0 {
		t.Fatalf("stats %+v: want 2 cuts, 0 active", st)
	}
	// The proxy itself survives the outage.
	if got := echoRoundTrip(t, dial(t, p), []byte("again")); string(got) != "again" {
		t.Fatalf("after CutAll got %q", got)
	}
}

func TestCutAllHTTPInFlight(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		close(started)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	p := startProxy(t, srv.Listener.Addr().String(), Config{})
	client := &http.Client{Timeout: hangGuard}
	errc := make(chan error, 1)
	go func() {
		resp, err := client.Get("http://" + p.Addr() + "/")
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		errc <- err
	}()
	<-started
	p.CutAll()
	if err := <-errc; err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("in-flight GET: want a connection error, got %v", err)
	}
}

func TestPause(t *testing.T) {
	p := startProxy(t, echoServer(t), Config{})
	c := dial(t, p)
	if _, err := c.Write([]byte("a")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}

	p.Pause(true)
	// New connections are reset.
	expectRefused(t, p)
	if st := p.Stats(); st.Refused != 1 {
		t.Fatalf("stats %+v: want 1 refused", st)
	}
	// No data moves on the open connection.
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if n, err := c.Read(make([]byte, 4)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("while paused read %d bytes, err %v; want nothing", n, err)
	}

	p.Pause(false)
	c.SetReadDeadline(time.Now().Add(hangGuard))
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("after resume got %q, %v", buf, err)
	}
	if got := echoRoundTrip(t, dial(t, p), []byte("new")); string(got) != "new" {
		t.Fatalf("new connection after resume got %q", got)
	}
}

func TestStatsCount(t *testing.T) {
	p := startProxy(t, echoServer(t), Config{})
	for i := 0; i < 2; i++ {
		data := randomBytes(1000, uint64(10+i))
		if got := echoRoundTrip(t, dial(t, p), data); !bytes.Equal(got, data) {
			t.Fatal("data differs")
		}
	}
	waitFor(t, "connections to close", func() bool { return p.Stats().Active == 0 })
	want := Stats{BytesUp: 2000, BytesDown: 2000, Accepted: 2}
	if st := p.Stats(); st != want {
		t.Fatalf("stats %+v, want %+v", st, want)
	}
}

func TestUnreachableTargetIsRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	p := startProxy(t, dead, Config{})
	expectRefused(t, p)
	if st := p.Stats(); st.Refused != 1 || st.Accepted != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestCloseWithOpenConnections(t *testing.T) {
	p, err := Start(echoServer(t), Config{Latency: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("stuck in flight"))
	waitFor(t, "connection accepted", func() bool { return p.Stats().Active == 1 })
	done := make(chan error, 1)
	go func() { done <- p.Close() }()
	select {
	case <-done:
	case <-time.After(hangGuard):
		t.Fatal("Close hung")
	}
	if _, err := net.Dial("tcp", p.Addr()); err == nil {
		t.Fatal("proxy still listening after Close")
	}
}
