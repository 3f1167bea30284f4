package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"qiao/district"
)

func TestRunUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"frobnicate"},
		{"serve", "--bogus"},
		{"serve", "extra"},
		{"serve", "--data", ""},
		{"serve", "--listen", ""},
		{"serve", "--cert", "cert.pem"},
		{"serve", "--key", "key.pem"},
		{"serve", "--insecure-http", "--cert", "cert.pem", "--key", "key.pem"},
		{"tls"},
		{"tls", "show"},
		{"tls", "fingerprint", "extra"},
		{"tls", "fingerprint", "--data", ""},
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

// lineWriter collects what a process writes and reports its first lines.
type lineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines chan string // complete lines in order; the first 16 only
	done  int         // bytes of buf already sent as lines
}

func newLineWriter() *lineWriter {
	return &lineWriter{lines: make(chan string, 16)}
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		rest := w.buf.Bytes()[w.done:]
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		select {
		case w.lines <- string(rest[:i]):
		default:
		}
		w.done += i + 1
	}
	return len(p), nil
}

// next returns the next line, failing the test after 15 seconds.
func (w *lineWriter) next(t *testing.T, what string, stderr *lineWriter) string {
	t.Helper()
	select {
	case line := <-w.lines:
		return line
	case <-time.After(15 * time.Second):
		t.Fatalf("no %s line; stderr:\n%s", what, stderr)
		return ""
	}
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
	fpLine         string // its second, "fingerprint SHA256 FP"; "" over plain HTTP
	addr           string // ADDR
	fingerprint    string // FP
	base           string // "https://ADDR", or "http://ADDR" over plain HTTP
	client         *http.Client
	exited         bool
}

// startServe starts `bin serve --data data --insecure-http` on a loopback
// port: plain HTTP, for tests that are not about TLS.
func startServe(t *testing.T, bin, data string) *served {
	t.Helper()
	return startServeWith(t, bin, data, "--insecure-http")
}

// startServeWith starts `bin serve --data data` with args on a loopback
// port and waits for its listening line and, unless args has
// --insecure-http, its fingerprint line. Its client pins that fingerprint.
// The process is killed at the end of the test if still running.
func startServeWith(t *testing.T, bin, data string, args ...string) *served {
	t.Helper()
	args = append([]string{"serve", "--data", data, "--listen", "127.0.0.1:0"}, args...)
	s := &served{cmd: exec.Command(bin, args...), stdout: newLineWriter(), stderr: newLineWriter()}
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
	s.line = s.stdout.next(t, "listening", s.stderr)
	addr, ok := strings.CutPrefix(s.line, "listening on ")
	if !ok {
		t.Fatalf("first stdout line = %q, want \"listening on ADDR\"", s.line)
	}
	s.addr = addr
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	s.client = &http.Client{Transport: tr, Timeout: 5 * time.Second}
	if slices.Contains(args, "--insecure-http") {
		s.base = "http://" + addr
		return s
	}
	s.fpLine = s.stdout.next(t, "fingerprint", s.stderr)
	s.fingerprint, ok = strings.CutPrefix(s.fpLine, "fingerprint SHA256 ")
	if !ok {
		t.Fatalf("second stdout line = %q, want \"fingerprint SHA256 FP\"", s.fpLine)
	}
	cfg, err := district.ClientTLSConfig(s.fingerprint)
	if err != nil {
		t.Fatalf("fingerprint line %q: %v", s.fpLine, err)
	}
	tr.TLSClientConfig = cfg
	s.base = "https://" + addr
	return s
}

// healthz GETs /healthz from s with c and checks the answer.
func (s *served) healthz(t *testing.T, c *http.Client) {
	t.Helper()
	resp, err := c.Get(s.base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "ok\n" {
		t.Fatalf("healthz: %d %q", resp.StatusCode, body)
	}
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

// TestBinaryServeAndSIGTERM starts the server as an administrator would,
// without flags: HTTPS with a self-signed certificate, whose fingerprint
// a client pins.
func TestBinaryServeAndSIGTERM(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM on Windows")
	}
	bin := buildBinary(t, "")
	data := filepath.Join(t.TempDir(), "data")
	srv := startServeWith(t, bin, data)
	if host, port, err := net.SplitHostPort(srv.addr); err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("listening address %q is not a real loopback address", srv.addr)
	}
	if fi, err := os.Stat(data); err != nil || !fi.IsDir() {
		t.Errorf("data dir not created: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(data, district.TLSDir, district.TLSKeyFile)); err != nil {
		t.Errorf("no key in the data dir: %v", err)
	} else if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", fi.Mode().Perm())
	}

	srv.healthz(t, srv.client)
	// What the app does at enrolment: fetch the fingerprint to show it.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if fp, err := district.FetchFingerprint(ctx, srv.addr); err != nil || fp != srv.fingerprint {
		t.Errorf("FetchFingerprint = %q, %v; serve printed %q", fp, err, srv.fingerprint)
	}
	srv.client.CloseIdleConnections()

	if err := srv.stop(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v; stderr:\n%s", err, srv.stderr)
	}
	if c, err := net.DialTimeout("tcp", srv.addr, time.Second); err == nil {
		c.Close()
		t.Fatal("port still accepts connections after exit")
	}
	if out, want := srv.stdout.String(), srv.line+"\n"+srv.fpLine+"\n"; out != want {
		t.Errorf("stdout = %q, want exactly %q", out, want)
	}

	// The admin command prints the same fingerprint, and so does the
	// server's next start.
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"tls", "fingerprint", "--data", data}, &stdout, &stderr); code != exitOK {
		t.Fatalf("tls fingerprint: exit %d: %s", code, stderr.String())
	}
	if got := stdout.String(); got != srv.fingerprint+"\n" {
		t.Errorf("tls fingerprint printed %q, serve %q", got, srv.fingerprint)
	}
	again := startServeWith(t, bin, data)
	if again.fingerprint != srv.fingerprint {
		t.Errorf("restarted server has fingerprint %s, was %s", again.fingerprint, srv.fingerprint)
	}
	again.healthz(t, srv.client) // the old pin still works
}

// TestBinaryWrongPin: a client that pinned another certificate refuses
// the server and says why.
func TestBinaryWrongPin(t *testing.T) {
	bin := buildBinary(t, "")
	srv := startServeWith(t, bin, filepath.Join(t.TempDir(), "data"))
	other, err := district.LoadOrCreateCert(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	wrong := district.Fingerprint(other.Certificate[0])
	cfg, err := district.ClientTLSConfig(wrong)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: cfg}
	defer tr.CloseIdleConnections()
	_, err = (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get(srv.base + "/healthz")
	var mismatch *district.FingerprintMismatchError
	if !errors.As(err, &mismatch) {
		t.Fatalf("err = %v, want a fingerprint mismatch", err)
	}
	for _, want := range []string{"does not match the pinned one", srv.fingerprint, wrong} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	// Nor does a client that pinned nothing trust a self-signed certificate.
	cfg, _ = district.ClientTLSConfig("")
	tr2 := &http.Transport{TLSClientConfig: cfg}
	defer tr2.CloseIdleConnections()
	if _, err := (&http.Client{Transport: tr2, Timeout: 5 * time.Second}).Get(srv.base + "/healthz"); err == nil {
		t.Error("unpinned client accepted the self-signed certificate")
	}
}

// TestBinaryAdminCert serves a certificate of the administrator's, signed
// by their own certificate authority, which the client trusts.
func TestBinaryAdminCert(t *testing.T) {
	bin := buildBinary(t, "")
	dir := t.TempDir()
	certFile, keyFile, roots, der := writeTestCert(t, dir)
	data := filepath.Join(dir, "data")
	srv := startServeWith(t, bin, data, "--cert", certFile, "--key", keyFile)
	if want := district.Fingerprint(der); srv.fingerprint != want {
		t.Errorf("serve printed fingerprint %s, the certificate's is %s", srv.fingerprint, want)
	}
	srv.healthz(t, srv.client) // pinning works with any certificate
	cfg, err := district.ClientTLSConfigRoots("", roots)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: cfg}
	defer tr.CloseIdleConnections()
	srv.healthz(t, &http.Client{Transport: tr, Timeout: 5 * time.Second})
	if _, err := os.Stat(filepath.Join(data, district.TLSDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a self-signed certificate was made although --cert was given: %v", err)
	}

	// A key that cannot be read stops the server at once.
	cmd := exec.Command(bin, "serve", "--data", data, "--listen", "127.0.0.1:0",
		"--cert", certFile, "--key", filepath.Join(dir, "missing.pem"))
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != exitError || !strings.Contains(string(out), "missing.pem") {
		t.Errorf("missing key: %v, output %q", err, out)
	}
}

// TestBinaryInsecureHTTP: --insecure-http serves plain HTTP and warns.
func TestBinaryInsecureHTTP(t *testing.T) {
	bin := buildBinary(t, "")
	data := filepath.Join(t.TempDir(), "data")
	srv := startServe(t, bin, data)
	srv.healthz(t, srv.client)
	if !strings.Contains(srv.stderr.String(), "warning: --insecure-http") {
		t.Errorf("no warning on stderr: %q", srv.stderr)
	}
	if out := srv.stdout.String(); out != srv.line+"\n" {
		t.Errorf("stdout = %q, want only the listening line", out)
	}
	if _, err := os.Stat(filepath.Join(data, district.TLSDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("plain HTTP made a certificate: %v", err)
	}
}

func TestTLSFingerprintCommand(t *testing.T) {
	data := t.TempDir()
	tlsFingerprint := func() (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"tls", "fingerprint", "--data", data}, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	// A data directory without a database is a mistyped --data.
	if code, out, msg := tlsFingerprint(); code != exitError || out != "" || !strings.Contains(msg, "no district database") {
		t.Errorf("empty dir: exit %d, stdout %q, stderr %q", code, out, msg)
	}
	if _, err := os.Stat(filepath.Join(data, district.TLSDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("made a certificate in a directory without a database: %v", err)
	}

	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"school", "add", "--data", data, "--name", "A"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("school add: %d %s", code, stderr.String())
	}
	code, out, msg := tlsFingerprint()
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, msg)
	}
	fp := strings.TrimSuffix(out, "\n")
	if _, err := district.ParseFingerprint(fp); err != nil || len(fp) != 95 || fp != strings.ToUpper(fp) {
		t.Fatalf("printed %q: %v", out, err)
	}
	cert, err := district.LoadOrCreateCert(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := district.Fingerprint(cert.Certificate[0]); got != fp {
		t.Errorf("printed %s, the certificate in %s has %s", fp, data, got)
	}
	if _, again, _ := tlsFingerprint(); again != out {
		t.Errorf("second run printed %q, first %q", again, out)
	}
}

// writeTestCert writes a certificate for 127.0.0.1 signed by a new test
// certificate authority, and its key, into dir; it returns the files, a
// pool with the authority and the certificate's DER.
func writeTestCert(t *testing.T, dir string) (certFile, keyFile string, roots *x509.CertPool, der []byte) {
	t.Helper()
	now := time.Now()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "district.test"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	if der, err = x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey); err != nil {
		t.Fatal(err)
	}
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600); err != nil {
		t.Fatal(err)
	}
	roots = x509.NewCertPool()
	roots.AddCert(ca)
	return certFile, keyFile, roots, der
}

func TestBinaryBusyPort(t *testing.T) {
	bin := buildBinary(t, "")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()

	// The relay's ports are left out, so only the HTTPS port can be the busy one.
	cmd := exec.Command(bin, "serve", "--data", t.TempDir(), "--listen", addr, "--rtc-udp", "0", "--rtc-tcp", "off")
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
