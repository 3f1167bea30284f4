package replica

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"qiao/internal/districtproc"
	"qiao/school"
	"qiao/store"
)

// These helpers run the real qiao-district binary as its own process
// (qiao/internal/districtproc).

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(childMain())
	}
	code := m.Run()
	districtproc.RemoveBinary()
	os.Exit(code)
}

// districtBinary builds cmd/qiao-district once per test run.
func districtBinary(t *testing.T) string { return districtproc.Binary(t) }

// districtProc is a `qiao-district serve` process.
type districtProc struct {
	t    *testing.T
	bin  string
	data string
	db   string // --db: a PostgreSQL URL, or "" for SQLite in data
	addr string // host:port, kept across restarts
	pin  string
	cmd  *exec.Cmd
	proc *districtproc.Proc
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
	oldPin := p.pin
	// No lessons here: a restart keeps the HTTPS port, but the lessons'
	// ports (by default that port and the next) may be another test's by then.
	p.proc = districtproc.Serve(p.t, p.bin, append([]string{"--data", p.data, "--listen", p.addr, "--rtc-udp", "0", "--rtc-tcp", "off"}, p.dbArgs()...)...)
	p.cmd, p.addr, p.pin = p.proc.Cmd, p.proc.Addr, p.proc.Pin
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
	if p.proc == nil {
		return ""
	}
	return p.proc.Stderr()
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
	return districtproc.Admin(p.t, p.bin, args...)
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
