package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestRunUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"frobnicate"},
		{"serve", "--bogus"},
		{"serve", "extra"},
		{"serve", "--data", ""},
		{"serve", "--listen", ""},
		{"version", "extra"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, &stdout, &stderr)
		if code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
		if !strings.HasPrefix(stderr.String(), "qiao-district: ") || !strings.Contains(stderr.String(), "Usage:") {
			t.Errorf("%q: stderr %q lacks a message and usage", args, stderr.String())
		}
		if stdout.Len() != 0 {
			t.Errorf("%q: wrote to stdout: %q", args, stdout.String())
		}
	}
}

func TestRunVersionAndHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"version"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("version: exit %d", code)
	}
	if got, want := stdout.String(), "qiao-district "+Version+"\n"; got != want {
		t.Errorf("version = %q, want %q", got, want)
	}
	stdout.Reset()
	if code := run(context.Background(), []string{"help"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("help: exit %d", code)
	}
	if !strings.Contains(stdout.String(), defaultDataDir) {
		t.Errorf("usage does not document the default data dir: %q", stdout.String())
	}
}

// lineWriter collects what a process writes and reports its first line.
type lineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	first chan string
	sent  bool
}

func newLineWriter() *lineWriter {
	return &lineWriter{first: make(chan string, 1)}
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.sent {
		if line, _, ok := strings.Cut(w.buf.String(), "\n"); ok {
			w.first <- line
			w.sent = true
		}
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// buildBinary builds qiao-district with cgo off and returns its path.
func buildBinary(t *testing.T, ldflags string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	bin := filepath.Join(t.TempDir(), "qiao-district")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	args := []string{"build", "-o", bin}
	if ldflags != "" {
		args = append(args, "-ldflags", ldflags)
	}
	cmd := exec.Command(gobin, append(args, ".")...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// served is a `qiao-district serve` process started by a test.
type served struct {
	cmd            *exec.Cmd
	stdout, stderr *lineWriter
	line           string // its first stdout line, "listening on ADDR"
	exited         bool
}

// startServe starts `bin serve --data data` on a loopback port and waits
// for its listening line; it is killed at the end of the test if still running.
func startServe(t *testing.T, bin, data string) *served {
	t.Helper()
	s := &served{cmd: exec.Command(bin, "serve", "--data", data, "--listen", "127.0.0.1:0"),
		stdout: newLineWriter(), stderr: newLineWriter()}
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !s.exited {
			s.cmd.Process.Kill()
			s.cmd.Wait()
		}
	})
	select {
	case s.line = <-s.stdout.first:
	case <-time.After(15 * time.Second):
		t.Fatalf("no listening line; stderr:\n%s", s.stderr)
	}
	return s
}

// stop sends SIGTERM and waits for the process to exit.
func (s *served) stop(t *testing.T) error {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	err := exitWithin(t, s.cmd, 15*time.Second)
	s.exited = true
	return err
}

// exitWithin waits for cmd to exit, killing it and failing after d.
func exitWithin(t *testing.T, cmd *exec.Cmd, d time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		t.Fatalf("process did not exit within %v", d)
		return nil
	}
}

func TestBinaryServeAndSIGTERM(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM on Windows")
	}
	bin := buildBinary(t, "")
	data := filepath.Join(t.TempDir(), "data")
	srv := startServe(t, bin, data)
	line := srv.line
	addr, ok := strings.CutPrefix(line, "listening on ")
	if !ok {
		t.Fatalf("first stdout line = %q, want \"listening on ADDR\"", line)
	}
	if host, port, err := net.SplitHostPort(addr); err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("listening address %q is not a real loopback address", addr)
	}
	if fi, err := os.Stat(data); err != nil || !fi.IsDir() {
		t.Errorf("data dir not created: %v", err)
	}

	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "ok\n" {
		t.Fatalf("healthz: %d %q", resp.StatusCode, body)
	}
	client.CloseIdleConnections()

	if err := srv.stop(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v; stderr:\n%s", err, srv.stderr)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("port still accepts connections after exit")
	}
	if out := srv.stdout.String(); out != line+"\n" {
		t.Errorf("stdout = %q, want exactly the listening line", out)
	}
}

func TestBinaryBusyPort(t *testing.T) {
	bin := buildBinary(t, "")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()

	cmd := exec.Command(bin, "serve", "--data", t.TempDir(), "--listen", addr)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exitWithin(t, cmd, 15*time.Second)
	if code := cmd.ProcessState.ExitCode(); code != exitError {
		t.Errorf("exit code = %d, want %d", code, exitError)
	}
	msg := stderr.String()
	if !strings.Contains(msg, "cannot listen on "+addr) {
		t.Errorf("stderr does not explain the failure: %q", msg)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout = %q, want nothing", stdout.String())
	}
}

func TestBinaryVersion(t *testing.T) {
	bin := buildBinary(t, "-X main.Version=1.2.3-test")
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), "qiao-district 1.2.3-test\n"; got != want {
		t.Errorf("version = %q, want %q", got, want)
	}
}

// TestPureGo guards that the server stays free of the desktop application.
func TestPureGo(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	cmd := exec.Command(gobin, "list", "-deps", ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "C" || strings.HasPrefix(pkg, "fyne.io/") ||
			pkg == "qiao/ui" || strings.HasPrefix(pkg, "qiao/ui/") ||
			pkg == "qiao/app" || strings.HasPrefix(pkg, "qiao/app/") {
			t.Errorf("qiao-district depends on %s", pkg)
		}
	}
}
