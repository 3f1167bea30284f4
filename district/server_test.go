package district

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// newServer returns a plain-HTTP server on a fresh data directory with
// its SQLite database.
func newServer(t *testing.T) *Server {
	t.Helper()
	return newServerCfg(t, Config{DataDir: filepath.Join(t.TempDir(), "data"), Insecure: true})
}

// newServerCfg returns a server for cfg, closed when the test ends.
func newServerCfg(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestNewCreatesDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b", "data")
	s, err := New(Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.IsDir() {
		t.Fatalf("%s is not a directory", dir)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700 {
		t.Errorf("data dir mode = %v, want 0700", fi.Mode().Perm())
	}
	if got := s.Config().Listen; got != DefaultListen {
		t.Errorf("Listen = %q, want default %q", got, DefaultListen)
	}
	// An existing directory is fine.
	if _, err := New(Config{DataDir: dir}); err != nil {
		t.Fatalf("existing data dir: %v", err)
	}
}

func TestNewRejectsBadDataDir(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Error("empty DataDir: want error")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{DataDir: file}); err == nil {
		t.Error("DataDir is a file: want error")
	}
}

func TestHealthz(t *testing.T) {
	h := newServer(t).Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	if got := rec.Body.String(); got != "ok\n" {
		t.Errorf("body = %q, want %q", got, "ok\n")
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type = %q, want text/plain", ct)
	}
}

func TestHealthzHead(t *testing.T) {
	srv := httptest.NewServer(newServer(t).Handler())
	defer srv.Close()
	resp, err := http.Head(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("HEAD status = %d, want 200", resp.StatusCode)
	}
}

func TestHealthzOtherMethods(t *testing.T) {
	h := newServer(t).Handler()
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(m, "/healthz", nil))
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("%s: status = %d, want 405", m, rec.Code)
		}
		if allow := rec.Header().Get("Allow"); !strings.Contains(allow, http.MethodGet) {
			t.Errorf("%s: Allow = %q, want GET in it", m, allow)
		}
	}
}

func TestHealthzNotReady(t *testing.T) {
	s := newServer(t)
	s.ready.Store(false)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want 503", rec.Code)
	}
}

func TestUnknownPath(t *testing.T) {
	rec := httptest.NewRecorder()
	newServer(t).Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/nope", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("status = %d, want 404", rec.Code)
	}
}

func TestListenBusy(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	s, err := New(Config{DataDir: t.TempDir(), Listen: addr})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := s.Listen()
	if err == nil {
		ln.Close()
		t.Fatal("listen on a busy port: want error")
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q does not name %s", err, addr)
	}
}

// serve starts s on a loopback port and returns its address and a
// function that stops it and returns Serve's result.
func serve(t *testing.T, s *Server) (string, func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	stop := sync.OnceValue(func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(ShutdownTimeout + 5*time.Second):
			return errors.New("Serve did not return")
		}
	})
	t.Cleanup(func() { stop() })
	return ln.Addr().String(), stop
}

func TestServeStopsCleanly(t *testing.T) {
	addr, stop := serve(t, newServer(t))
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "ok\n" {
		t.Fatalf("healthz: %d %q", resp.StatusCode, body)
	}

	if err := stop(); err != nil {
		t.Fatalf("Serve = %v, want nil", err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("port still accepts connections after Serve returned")
	}
}

func TestServeFinishesRequestsInFlight(t *testing.T) {
	s := newServer(t)
	started := make(chan struct{})
	s.mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		io.WriteString(w, "done")
	})
	addr, stop := serve(t, s)

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()

	<-started
	if err := stop(); err != nil {
		t.Fatalf("Serve = %v, want nil", err)
	}
	r := <-got
	if r.err != nil || r.body != "done" {
		t.Fatalf("request in flight: body %q, err %v", r.body, r.err)
	}
	if s.ready.Load() {
		t.Error("server still ready after shutdown")
	}
}
