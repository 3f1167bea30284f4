// Package districtproc runs the real qiao-district binary as its own
// process, for tests that need the server as it is deployed.
package districtproc

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildMu sync.Mutex
	binPath string // "" until built, and after RemoveBinary
	binDir  string
)

// Binary builds cmd/qiao-district (once, until RemoveBinary) and returns
// its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if binPath != "" {
		return binPath
	}
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		if gobin, err = exec.LookPath("go"); err != nil {
			t.Fatalf("building qiao-district: %v", err)
		}
	}
	dir, err := os.MkdirTemp("", "qiao-district-bin-")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "qiao-district")
	cmd := exec.Command(gobin, "build", "-o", path, "qiao/cmd/qiao-district")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		t.Fatalf("building qiao-district: %v", &buildFailure{err, string(out)})
	}
	binPath, binDir = path, dir
	return binPath
}

// RemoveBinary deletes what Binary built (from TestMain after m.Run, or a
// test's Cleanup); a later Binary builds it again.
func RemoveBinary() {
	buildMu.Lock()
	defer buildMu.Unlock()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	binPath, binDir = "", ""
}

type buildFailure struct {
	err error
	out string
}

func (b *buildFailure) Error() string { return b.err.Error() + "\n" + b.out }

// Proc is a running `qiao-district serve`.
type Proc struct {
	Cmd  *exec.Cmd
	Addr string // host:port it listens on
	Pin  string // its certificate's fingerprint

	mu   sync.Mutex
	logs strings.Builder
}

// Serve runs `bin serve args...` and waits (30 s at most) for the lines
// that say where it listens and its certificate's fingerprint.
func Serve(t testing.TB, bin string, args ...string) *Proc {
	t.Helper()
	p := &Proc{Cmd: exec.Command(bin, append([]string{"serve"}, args...)...)}
	out, err := p.Cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.Cmd.Stderr = writerFunc(func(b []byte) (int, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.logs.Write(b)
	})
	if err := p.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(30 * time.Second)
	for p.Pin == "" || p.Addr == "" || strings.HasSuffix(p.Addr, ":0") {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("qiao-district exited early:\n%s", p.Stderr())
			}
			if a, ok := strings.CutPrefix(l, "listening on "); ok {
				p.Addr = a
			}
			if f, ok := strings.CutPrefix(l, "fingerprint SHA256 "); ok {
				p.Pin = f
			}
		case <-timeout:
			t.Fatalf("qiao-district did not start:\n%s", p.Stderr())
		}
	}
	go func() {
		for range lines {
		}
	}()
	return p
}

// Stderr is what the server logged so far.
func (p *Proc) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// Kill stops the server abruptly (SIGKILL), as a power cut would.
func (p *Proc) Kill() {
	if p.Cmd != nil && p.Cmd.Process != nil {
		p.Cmd.Process.Kill()
		p.Cmd.Wait()
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

var _ io.Writer = writerFunc(nil)

// Admin runs `bin args...` (an admin command such as `school add --data
// DIR --name N`) and returns its output, trimmed.
func Admin(t testing.TB, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		t.Fatalf("qiao-district %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}
