package replica

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"qiao/school"
	"qiao/store"
)

// These helpers run the real qiao-district binary as its own process.

var (
	buildOnce gosync.Once
	binPath   string
	buildErr  error
	binDir    string
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(childMain())
	}
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// districtBinary builds cmd/qiao-district once per test run.
func districtBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(gobin); err != nil {
			if gobin, err = exec.LookPath("go"); err != nil {
				buildErr = err
				return
			}
		}
		if binDir, buildErr = os.MkdirTemp("", "qiao-district-bin-"); buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "qiao-district")
		cmd := exec.Command(gobin, "build", "-o", binPath, "qiao/cmd/qiao-district")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = &buildFailure{err, string(out)}
		}
	})
	if buildErr != nil {
		t.Fatalf("building qiao-district: %v", buildErr)
	}
	return binPath
}

type buildFailure struct {
	err error
	out string
}

func (b *buildFailure) Error() string { return b.err.Error() + "\n" + b.out }

// districtProc is a `qiao-district serve` process.
type districtProc struct {
	t    *testing.T
	bin  string
	data string
	db   string // --db: a PostgreSQL URL, or "" for SQLite in data
	addr string // host:port, kept across restarts
	pin  string
	cmd  *exec.Cmd
	logs *strings.Builder
	mu   gosync.Mutex
}

// startDistrictProc starts a server on a fresh data directory.
func startDistrictProc(t *testing.T) *districtProc {
	p := &districtProc{t: t, bin: districtBinary(t), data: t.TempDir(), addr: "127.0.0.1:0"}
	p.start()
	t.Cleanup(p.kill)
	return p
}

// start runs the server and waits for its listening and fingerprint lines.
func (p *districtProc) start() {
	p.t.Helper()
	p.cmd = exec.Command(p.bin, append([]string{"serve", "--data", p.data, "--listen", p.addr}, p.dbArgs()...)...)
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		p.t.Fatal(err)
	}
	p.logs = &strings.Builder{}
	p.cmd.Stderr = &lockedWriter{w: p.logs, mu: &p.mu}
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
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
	oldPin := p.pin
	p.pin = "" // wait for this process's own fingerprint line
	for !p.ready() {
		select {
		case l, ok := <-lines:
			if !ok {
				p.t.Fatalf("qiao-district exited early:\n%s", p.stderr())
			}
			if a, ok := strings.CutPrefix(l, "listening on "); ok {
				p.addr = a
			}
			if f, ok := strings.CutPrefix(l, "fingerprint SHA256 "); ok {
				p.pin = f
			}
		case <-timeout:
			p.t.Fatalf("qiao-district did not start:\n%s", p.stderr())
		}
	}
	go func() {
		for range lines {
		}
	}()
	if oldPin != "" && p.pin != oldPin {
		p.t.Fatalf("the restarted server has another certificate: %s, was %s", p.pin, oldPin)
	}
}

// dbArgs is the --db flag for p's commands, if it has a PostgreSQL database.
func (p *districtProc) dbArgs() []string {
	if p.db == "" {
		return nil
	}
	return []string{"--db", p.db}
}

func (p *districtProc) ready() bool { return p.pin != "" && !strings.HasSuffix(p.addr, ":0") }

func (p *districtProc) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// kill stops the server abruptly (SIGKILL), as a power cut would.
func (p *districtProc) kill() {
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
		p.cmd = nil
	}
}

func (p *districtProc) url() string { return "https://" + p.addr }

// admin runs an admin command on the server's data directory and returns
// its output.
func (p *districtProc) admin(args ...string) string {
	p.t.Helper()
	args = append(args[:2:2], append(append([]string{"--data", p.data}, p.dbArgs()...), args[2:]...)...)
	out, err := exec.Command(p.bin, args...).Output()
	if err != nil {
		p.t.Fatalf("qiao-district %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

func (p *districtProc) school(name string) string { return p.admin("school", "add", "--name", name) }

// enrol enrols a fresh store of school (with a local school profile if
// local is not empty) through base (the server, or a proxy to it).
func (p *districtProc) enrol(schoolID, local, base string) (*store.Store, string) {
	p.t.Helper()
	ctx := context.Background()
	dir := p.t.TempDir()
	st, err := store.Open(ctx, dir)
	if err != nil {
		p.t.Fatal(err)
	}
	if local != "" {
		if _, err := school.NewService(st).Save(ctx, school.School{Name: local}); err != nil {
			p.t.Fatal(err)
		}
	}
	code := p.admin("code", "issue", "--school", schoolID, "--role", "teacher")
	if _, err := Enrol(ctx, st, EnrolOptions{Server: base, Code: code, DeviceName: "e2e", Fingerprint: p.pin}); err != nil {
		p.t.Fatal(err)
	}
	return st, dir
}

type lockedWriter struct {
	w  io.Writer
	mu *gosync.Mutex
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// childEnv makes the test binary run one sync of the store in the
// directory it names and exit: an app process a test can kill.
const childEnv = "QIAO_TEST_SYNC_CHILD"

func childMain() int {
	ctx := context.Background()
	st, err := store.Open(ctx, os.Getenv(childEnv))
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 3
	}
	defer st.Close()
	r, err := Open(ctx, st)
	if err == nil {
		_, err = r.Sync(ctx)
	}
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	return 0
}
