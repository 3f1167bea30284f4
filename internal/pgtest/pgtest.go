//go:build linux

// Package pgtest gives Go tests a real, throw-away PostgreSQL server on
// loopback.
//
// Two ways to use it:
//
//   - Start(t) runs a fresh cluster for one test and returns its DSN; the
//     cluster is stopped and its files removed when the test ends. A start
//     (initdb plus server start-up) takes 0.4 to 0.9 s on a 2-core machine.
//
//   - Main(m) in a package's TestMain runs one cluster for the whole test
//     binary, and NewDatabase(t) then hands each test its own fresh, empty
//     database in it (dropped when the test ends): about 0.1 s for create and
//     drop together.
//
// For example:
//
//	import _ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		db, err := sql.Open("pgx", pgtest.NewDatabase(t))
//		...
//	}
//
// The DSNs have the form postgres://qiao@127.0.0.1:PORT/NAME?sslmode=disable:
// role qiao (LOGIN, CREATEDB, not a superuser) owns the database, and
// authentication on loopback is "trust", so no password is needed.
//
// The server binaries (initdb, postgres) are looked up in PATH, then in
// /usr/local/bin, then in /usr/lib/postgresql/*/bin (highest version first),
// which is where Debian's postgresql package puts them. When they are missing
// the test fails (it is not skipped) and says to run scripts/setup-debian.sh.
// PostgreSQL refuses to run as root, so when the tests run as root the server
// runs as the system user postgres, which that package creates.
//
// The cluster is tuned for tests, not durability: fsync, synchronous_commit
// and full_page_writes are off, and it listens only on 127.0.0.1 (no unix
// socket). The package builds on Linux only.
package pgtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN is the environment variable through which Main hands the shared
// cluster's DSN to NewDatabase (and to any process the tests start). When it
// is already set before Main runs, Main starts no cluster and NewDatabase
// uses the server it names; its role then needs the CREATEDB privilege.
const EnvDSN = "PGTEST_DSN"

const (
	role     = "qiao"
	database = "qiao"
	// startTimeout bounds the wait for a started server to accept connections.
	startTimeout = 60 * time.Second
	stopTimeout  = 15 * time.Second
)

// Start starts a fresh PostgreSQL cluster for this test and returns the DSN
// of its empty database "qiao", owned by role "qiao". The cluster is stopped
// and its files are removed at t.Cleanup.
func Start(t testing.TB) string {
	t.Helper()
	c, err := start()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := c.stop(); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return c.dsn
}

// Main runs the tests of m with one cluster shared by the whole test binary,
// for NewDatabase, and exits with their result. Call it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// If the cluster cannot be started, Main prints why and exits with status 1
// (the tests fail rather than being skipped). If EnvDSN is already set, Main
// starts nothing and the tests use that server.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Getenv(EnvDSN) != "" {
		return m.Run()
	}
	c, err := start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		return 1
	}
	os.Setenv(EnvDSN, c.dsn)
	code := m.Run()
	os.Unsetenv(EnvDSN)
	if err := c.stop(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// NewDatabase creates a fresh, empty database, named t_ and random hex digits
// and owned by the DSN's role (qiao), in the shared cluster started by Main, and returns
// its DSN. The database is dropped at t.Cleanup, closing any connection
// still open to it. Tests may call it in parallel.
//
// Without Main (EnvDSN unset) it falls back to Start, a whole cluster for
// this test: correct, but several times slower per call.
func NewDatabase(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvDSN)
	if admin == "" {
		return Start(t)
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("pgtest: %s is not a URL: %v", EnvDSN, err)
	}
	name := "t_" + randomHex(8)

	adminExec := func(sql string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			return err
		}
		defer conn.Close(context.Background())
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := adminExec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("pgtest: creating database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := adminExec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: dropping database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// cluster is one running server.
type cluster struct {
	dir    string // holds data/ and server.log; removed by stop
	dsn    string
	cmd    *exec.Cmd
	exited chan struct{} // closed when the server process has exited
}

func start() (*cluster, error) {
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	removeStale()
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	c, err := startIn(dir, bin, cred)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

func startIn(dir, bin string, cred *syscall.Credential) (*cluster, error) {
	data := filepath.Join(dir, "data")
	initdb := command(cred, dir, filepath.Join(bin, "initdb"),
		"-D", data, "-U", "postgres", "--auth=trust", "--no-sync",
		"--encoding=UTF8", "--locale=C", "--no-instructions")
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}

	// The free port found here may be taken before the server binds it;
	// then the server exits at once and we try another.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		c, err := launch(dir, bin, cred, port)
		if err == nil {
			return c, nil
		}
		lastErr = err
		if !errors.Is(err, errExited) {
			break
		}
	}
	return nil, lastErr
}

var errExited = errors.New("server exited during start-up")

func launch(dir, bin string, cred *syscall.Credential, port int) (*cluster, error) {
	logPath := filepath.Join(dir, "server.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child keeps its own descriptor
	cmd := command(cred, dir, filepath.Join(bin, "postgres"),
		"-D", filepath.Join(dir, "data"),
		"-c", "port="+strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=",
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=200",
	)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	// If the test binary dies (a panic, a -timeout), take the server along.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT

	c := &cluster{dir: dir, cmd: cmd, exited: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// Pdeathsig fires when the thread that started the child exits, so
		// keep this goroutine, and so its thread, until the server is gone.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return // the locked thread is discarded, harmlessly
		}
		started <- nil
		cmd.Wait()
		close(c.exited)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("starting postgres: %v", err)
	}

	super := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	conn, err := waitReady(c, super)
	if err != nil {
		c.kill()
		return nil, fmt.Errorf("%w\n--- server.log ---\n%s", err, readLog(logPath))
	}
	defer conn.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, sql := range []string{
		"CREATE ROLE " + role + " LOGIN CREATEDB",
		"CREATE DATABASE " + database + " OWNER " + role,
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			c.kill()
			return nil, fmt.Errorf("%s: %v", sql, err)
		}
	}
	c.dsn = fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", role, port, database)
	return c, nil
}

// waitReady polls until the server accepts a connection, the server exits, or
// startTimeout passes.
func waitReady(c *cluster, dsn string) (*pgx.Conn, error) {
	deadline := time.Now().Add(startTimeout)
	for {
		// Short: a starting server answers at once ("starting up"), and
		// whatever else holds the port may never answer.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil {
			err = conn.Ping(ctx)
			if err == nil {
				cancel()
				return conn, nil
			}
			conn.Close(context.Background())
		}
		cancel()
		select {
		case <-c.exited:
			return nil, errExited
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("server not accepting connections after %v: %v", startTimeout, err)
		}
	}
}

// stop shuts the server down (fast shutdown: open sessions are ended) and
// removes its files.
func (c *cluster) stop() error {
	var err error
	c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.exited:
	case <-time.After(stopTimeout):
		err = fmt.Errorf("server did not stop within %v; killed it", stopTimeout)
		c.kill()
	}
	if rmErr := os.RemoveAll(c.dir); rmErr != nil && err == nil {
		err = rmErr
	}
	return err
}

// kill stops the server at once and waits for it.
func (c *cluster) kill() {
	c.cmd.Process.Kill()
	<-c.exited
}

func command(cred *syscall.Credential, dir, path string, args ...string) *exec.Cmd {
	cmd := exec.Command(path, args...)
	cmd.Dir = dir // the caller's working directory may be closed to user postgres
	env := []string{"LC_ALL=C"}
	for _, kv := range os.Environ() {
		// Keep PG* (PGDATA, PGPORT, ...) and locale settings from the
		// caller's environment out of the cluster.
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "LC_") || strings.HasPrefix(kv, "LANG") {
			continue
		}
		env = append(env, kv)
	}
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	return cmd
}

// findBinaries returns the directory holding initdb and postgres.
func findBinaries() (string, error) {
	var dirs []string
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	dirs = append(dirs, "/usr/local/bin")
	versioned, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(versioned, func(i, j int) bool {
		return versionOf(versioned[i]) > versionOf(versioned[j])
	})
	dirs = append(dirs, versioned...)
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", errors.New("PostgreSQL server binaries (initdb, postgres) not found in PATH, " +
		"/usr/local/bin or /usr/lib/postgresql/*/bin; run scripts/setup-debian.sh to install them")
}

// versionOf reads NN from /usr/lib/postgresql/NN/bin; 0 when it is no number.
func versionOf(binDir string) float64 {
	v, err := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	if err != nil {
		return 0
	}
	return v
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// credential returns the identity to run the server as: nil to run as
// ourselves, or user postgres when we are root, which PostgreSQL refuses.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, and PostgreSQL refuses to, but there is no user postgres to run it as (%v); "+
			"run scripts/setup-debian.sh, whose postgresql package creates it", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("user postgres has uid %q gid %q", u.Uid, u.Gid)
	}
	// Groups: an empty list drops root's supplementary groups.
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// ownerFile, in each cluster's directory, holds the pid of the test process
// that made it.
const ownerFile = "owner.pid"

// removeStale removes the directories of clusters whose test process died
// without cleaning up (killed, or timed out); their servers died with it.
func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "pgtest-*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, ownerFile))
		if err != nil {
			continue // not ours, or still being made
		}
		pid, err := strconv.Atoi(string(b))
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			os.RemoveAll(d)
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func readLog(path string) string {
	b, _ := os.ReadFile(path)
	const max = 4000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(bytes.TrimSpace(b))
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
