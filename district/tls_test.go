package district

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// sha256("abc"), the FIPS 180-2 test vector.
const abcFingerprint = "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD"

var fingerprintRE = regexp.MustCompile(`^[0-9A-F]{2}(:[0-9A-F]{2}){31}$`)

func TestFingerprintFormat(t *testing.T) {
	if got := Fingerprint([]byte("abc")); got != abcFingerprint {
		t.Fatalf("Fingerprint(abc) = %q, want %q", got, abcFingerprint)
	}
	plain := strings.ReplaceAll(abcFingerprint, ":", "")
	for _, s := range []string{
		abcFingerprint,
		strings.ToLower(abcFingerprint),
		plain,
		strings.ToLower(plain),
		"  " + strings.ReplaceAll(abcFingerprint, ":", ": ") + "\n",
		"BA78 16BF 8F01 CFEA 4141 40DE 5DAE 2223 B003 61A3 9617 7A9C B410 FF61 F200 15AD",
		"SHA256 " + abcFingerprint,
		"sha256:" + plain,
		"SHA-256 " + abcFingerprint,
	} {
		sum, err := ParseFingerprint(s)
		if err != nil {
			t.Errorf("ParseFingerprint(%q): %v", s, err)
			continue
		}
		if got := formatFingerprint(sum); got != abcFingerprint {
			t.Errorf("ParseFingerprint(%q) = %s, want %s", s, got, abcFingerprint)
		}
	}
}

func TestParseFingerprintErrors(t *testing.T) {
	plain := strings.ReplaceAll(abcFingerprint, ":", "")
	for _, tc := range []struct{ in, want string }{
		{"", "empty"},
		{"   ", "empty"},
		{"SHA256", "empty"},
		{plain[:62], "has 31 bytes, want 32"},
		{plain + "00", "has 33 bytes, want 32"},
		{abcFingerprint[:len(abcFingerprint)-3], "has 31 bytes, want 32"},
		{abcFingerprint + ":00", "has 33 bytes, want 32"},
		{plain[:63], "not hexadecimal"},
		{"ZZ" + plain[2:], "not hexadecimal"},
		{"GA:" + abcFingerprint[3:], "not hexadecimal"},
		{"B:A78" + abcFingerprint[5:], "two hex digits"},
		{abcFingerprint + ":", "two hex digits"},
		{"BA::78" + abcFingerprint[5:], "two hex digits"},
	} {
		sum, err := ParseFingerprint(tc.in)
		if err == nil {
			t.Errorf("ParseFingerprint(%q) = %x, want an error", tc.in, sum)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseFingerprint(%q) error %q lacks %q", tc.in, err, tc.want)
		}
	}
}

func TestLoadOrCreateCert(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	cert, err := LoadOrCreateCert(data)
	if err != nil {
		t.Fatal(err)
	}
	leaf := cert.Leaf
	if leaf == nil || !slices.Equal(leaf.Raw, cert.Certificate[0]) {
		t.Fatal("Leaf is not the certificate")
	}
	fp := Fingerprint(leaf.Raw)
	if !fingerprintRE.MatchString(fp) {
		t.Fatalf("fingerprint %q is not upper-case hex pairs joined by colons", fp)
	}

	// The certificate is what the protocol promises.
	if leaf.Subject.CommonName != CertCommonName {
		t.Errorf("CN = %q", leaf.Subject.CommonName)
	}
	pub, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Errorf("key is %T, want ECDSA P-256", leaf.PublicKey)
	}
	if life := leaf.NotAfter.Sub(leaf.NotBefore); life < 3650*24*time.Hour || life > 3660*24*time.Hour {
		t.Errorf("validity %v, want 10 years", life)
	}
	if now := time.Now(); now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		t.Errorf("not valid now: %v to %v", leaf.NotBefore, leaf.NotAfter)
	}
	if !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageServerAuth) || leaf.IsCA {
		t.Errorf("ExtKeyUsage %v, IsCA %v: want a server certificate", leaf.ExtKeyUsage, leaf.IsCA)
	}
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := leaf.VerifyHostname(name); err != nil {
			t.Errorf("certificate not for %s: %v", name, err)
		}
	}
	if h, err := os.Hostname(); err == nil && validDNSName(strings.ToLower(h)) {
		if err := leaf.VerifyHostname(h); err != nil {
			t.Errorf("certificate not for this host: %v", err)
		}
	}
	if err := leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature); err != nil {
		t.Errorf("not self-signed: %v", err)
	}

	// Files: the key private, nothing left behind.
	dir := filepath.Join(data, TLSDir)
	fi, err := os.Stat(filepath.Join(dir, TLSKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(data); len(entries) != 1 || entries[0].Name() != TLSDir {
		t.Errorf("data dir holds %v, want only %s", entries, TLSDir)
	}
	pemBytes, err := os.ReadFile(filepath.Join(dir, TLSCertFile))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := pem.Decode(pemBytes); b == nil || b.Type != "CERTIFICATE" || !slices.Equal(b.Bytes, leaf.Raw) {
		t.Error("cert.pem does not hold the returned certificate")
	}

	// Loading again gives the same certificate and key.
	again, err := LoadOrCreateCert(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := Fingerprint(again.Certificate[0]); got != fp {
		t.Errorf("reloaded fingerprint %s, want %s", got, fp)
	}
	if !again.PrivateKey.(*ecdsa.PrivateKey).Equal(cert.PrivateKey) {
		t.Error("reloaded key differs")
	}

	// Another directory gets another certificate.
	other, err := LoadOrCreateCert(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if Fingerprint(other.Certificate[0]) == fp {
		t.Error("two data directories got the same certificate")
	}
}

func TestLoadOrCreateCertConcurrent(t *testing.T) {
	data := t.TempDir()
	fps := make([]string, 8)
	var wg sync.WaitGroup
	for i := range fps {
		wg.Go(func() {
			cert, err := LoadOrCreateCert(data)
			if err != nil {
				t.Error(err)
				return
			}
			fps[i] = Fingerprint(cert.Certificate[0])
		})
	}
	wg.Wait()
	disk, err := LoadOrCreateCert(data)
	if err != nil {
		t.Fatal(err)
	}
	want := Fingerprint(disk.Certificate[0])
	for i, fp := range fps {
		if fp != want {
			t.Errorf("caller %d got %s, the disk holds %s", i, fp, want)
		}
	}
	if entries, _ := os.ReadDir(data); len(entries) != 1 {
		t.Errorf("data dir holds %v, want only %s", entries, TLSDir)
	}
}

func TestLoadOrCreateCertDamaged(t *testing.T) {
	for _, missing := range []string{TLSCertFile, TLSKeyFile} {
		data := t.TempDir()
		if _, err := LoadOrCreateCert(data); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(filepath.Join(data, TLSDir, missing)); err != nil {
			t.Fatal(err)
		}
		// Never silently replace a certificate clients may have pinned.
		_, err := LoadOrCreateCert(data)
		if err == nil || !strings.Contains(err.Error(), missing+" is missing") {
			t.Errorf("without %s: err = %v, want it named as missing", missing, err)
		}
	}

	// An empty tls directory is filled.
	data := t.TempDir()
	if err := os.Mkdir(filepath.Join(data, TLSDir), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateCert(data); err != nil {
		t.Fatalf("empty tls dir: %v", err)
	}

	// A corrupt certificate is an error, not a new certificate.
	cert := filepath.Join(data, TLSDir, TLSCertFile)
	if err := os.WriteFile(cert, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateCert(data); err == nil {
		t.Error("corrupt cert.pem: no error")
	}
}

// testCA writes a CA-signed certificate for 127.0.0.1 and localhost and its
// key into dir, as an administrator would supply them, and returns the
// file names, a pool holding the CA and the certificate's DER.
func testCA(t *testing.T, dir string) (certFile, keyFile string, roots *x509.CertPool, der []byte) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test District CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "district.example"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err = x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "admin-cert.pem"), filepath.Join(dir, "admin-key.pem")
	chain := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})...)
	if err := os.WriteFile(certFile, chain, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600); err != nil {
		t.Fatal(err)
	}
	roots = x509.NewCertPool()
	roots.AddCert(ca)
	return certFile, keyFile, roots, der
}

func TestLoadCert(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _, der := testCA(t, dir)
	cert, err := LoadCert(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(cert.Certificate) != 2 || !slices.Equal(cert.Leaf.Raw, der) {
		t.Errorf("loaded %d certificates, leaf matches: %v", len(cert.Certificate), slices.Equal(cert.Leaf.Raw, der))
	}

	if _, err := LoadCert(filepath.Join(dir, "nope.pem"), keyFile); err == nil || !strings.Contains(err.Error(), "nope.pem") {
		t.Errorf("missing cert: err = %v", err)
	}
	// A key that is not the certificate's.
	other, err := LoadOrCreateCert(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	otherKey := filepath.Join(dir, "other-key.pem")
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(other.PrivateKey)
	if err := os.WriteFile(otherKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCert(certFile, otherKey); err == nil {
		t.Error("mismatched key: no error")
	}
}

func TestClientTLSConfig(t *testing.T) {
	cfg, err := ClientTLSConfig("")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.InsecureSkipVerify || cfg.VerifyConnection != nil || cfg.RootCAs != nil || cfg.MinVersion != tls.VersionTLS12 {
		t.Errorf("unpinned config %+v: want system verification, TLS 1.2+", cfg)
	}
	cfg, err = ClientTLSConfig(abcFingerprint)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.InsecureSkipVerify || cfg.VerifyConnection == nil || cfg.MinVersion != tls.VersionTLS12 {
		t.Errorf("pinned config: InsecureSkipVerify %v, VerifyConnection set %v, MinVersion %x",
			cfg.InsecureSkipVerify, cfg.VerifyConnection != nil, cfg.MinVersion)
	}
	// The pin check runs on connection state too, not only on handshakes.
	if err := cfg.VerifyConnection(tls.ConnectionState{}); err == nil {
		t.Error("no certificate: accepted")
	}
	if _, err := ClientTLSConfig("AB:CD"); err == nil || !strings.Contains(err.Error(), "has 2 bytes") {
		t.Errorf("short pin: err = %v", err)
	}
}

// httpsClient returns a client using cfg, closed at the end of the test.
func httpsClient(t *testing.T, cfg *tls.Config) *http.Client {
	t.Helper()
	tr := &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

// getHealthz GETs /healthz at base and checks the answer.
func getHealthz(t *testing.T, c *http.Client, base string) *http.Response {
	t.Helper()
	resp, err := c.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "ok\n" {
		t.Fatalf("healthz: %d %q", resp.StatusCode, body)
	}
	return resp
}

func TestServeTLSPinned(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	s, err := New(Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	fp := s.Fingerprint()
	if !fingerprintRE.MatchString(fp) {
		t.Fatalf("Fingerprint() = %q", fp)
	}
	if disk, err := LoadOrCreateCert(data); err != nil || Fingerprint(disk.Certificate[0]) != fp {
		t.Fatalf("the server does not serve the certificate in %s: %v", data, err)
	}
	addr, stop := serve(t, s)
	base := "https://" + addr

	// Enrolment: the app fetches the fingerprint, the user compares it.
	got, err := FetchFingerprint(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	if got != fp {
		t.Fatalf("FetchFingerprint = %s, server has %s", got, fp)
	}

	// Pinned, in any accepted spelling.
	for _, pin := range []string{fp, strings.ToLower(strings.ReplaceAll(fp, ":", ""))} {
		cfg, err := ClientTLSConfig(pin)
		if err != nil {
			t.Fatal(err)
		}
		resp := getHealthz(t, httpsClient(t, cfg), base)
		if resp.TLS == nil || resp.ProtoMajor != 2 {
			t.Errorf("answered over %s, TLS %v; want HTTP/2 over TLS", resp.Proto, resp.TLS != nil)
		}
	}

	// A different pin: refused, with both fingerprints in the message.
	other, err := LoadOrCreateCert(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	wrong := Fingerprint(other.Certificate[0])
	cfg, err := ClientTLSConfig(wrong)
	if err != nil {
		t.Fatal(err)
	}
	_, err = httpsClient(t, cfg).Get(base + "/healthz")
	var mismatch *FingerprintMismatchError
	if !errors.As(err, &mismatch) {
		t.Fatalf("wrong pin: err = %v, want a FingerprintMismatchError", err)
	}
	if mismatch.Got != fp || mismatch.Want != wrong {
		t.Errorf("mismatch %+v, want got %s, want %s", mismatch, fp, wrong)
	}
	for _, want := range []string{"server's certificate fingerprint does not match the pinned one", fp, wrong} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}

	// Without a pin the self-signed certificate is not trusted.
	cfg, _ = ClientTLSConfig("")
	if _, err := httpsClient(t, cfg).Get(base + "/healthz"); err == nil {
		t.Error("unpinned client trusted the self-signed certificate")
	}

	// Old TLS versions are refused.
	old := &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}
	if c, err := tls.Dial("tcp", addr, old); err == nil {
		c.Close()
		t.Error("TLS 1.1 accepted")
	}

	// Plain HTTP to the HTTPS port gets told so.
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "HTTPS") {
		t.Errorf("plain HTTP: %d %q", resp.StatusCode, body)
	}

	if err := stop(); err != nil {
		t.Fatalf("Serve = %v, want nil", err)
	}
}

func TestServeAdminCert(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, roots, der := testCA(t, dir)
	data := filepath.Join(dir, "data")
	s, err := New(Config{DataDir: data, CertFile: certFile, KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if got := s.Fingerprint(); got != Fingerprint(der) {
		t.Errorf("Fingerprint() = %s, want the admin certificate's %s", got, Fingerprint(der))
	}
	if _, err := os.Stat(filepath.Join(data, TLSDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a self-signed certificate was made although the admin gave one: %v", err)
	}
	addr, _ := serve(t, s)
	base := "https://" + addr

	cfg, err := ClientTLSConfigRoots("", roots)
	if err != nil {
		t.Fatal(err)
	}
	getHealthz(t, httpsClient(t, cfg), base)
	pinned, err := ClientTLSConfig(s.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	getHealthz(t, httpsClient(t, pinned), base)

	cfg, _ = ClientTLSConfig("")
	var unknown x509.UnknownAuthorityError
	if _, err := httpsClient(t, cfg).Get(base + "/healthz"); !errors.As(err, &unknown) {
		t.Errorf("client without the CA: err = %v, want unknown authority", err)
	}
	// The host name is checked when verifying a chain.
	cfg, _ = ClientTLSConfigRoots("", roots)
	cfg.ServerName = "elsewhere.example"
	if _, err := httpsClient(t, cfg).Get(base + "/healthz"); err == nil {
		t.Error("certificate accepted for another host name")
	}
}

func TestConfigTLSErrors(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _, _ := testCA(t, dir)
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{CertFile: certFile}, "together"},
		{Config{KeyFile: keyFile}, "together"},
		{Config{CertFile: certFile, KeyFile: keyFile, Insecure: true}, "plain HTTP"},
		{Config{CertFile: filepath.Join(dir, "nope.pem"), KeyFile: keyFile}, "nope.pem"},
	} {
		tc.cfg.DataDir = filepath.Join(t.TempDir(), "data")
		s, err := New(tc.cfg)
		if err == nil {
			s.Close()
			t.Errorf("%+v: no error", tc.cfg)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %q lacks %q", tc.cfg, err, tc.want)
		}
	}
}

func TestServeInsecure(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	s, err := New(Config{DataDir: data, Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if fp := s.Fingerprint(); fp != "" {
		t.Errorf("Fingerprint() = %q for plain HTTP", fp)
	}
	if _, err := os.Stat(filepath.Join(data, TLSDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("plain HTTP made a certificate: %v", err)
	}
	addr, stop := serve(t, s)
	getHealthz(t, &http.Client{Timeout: 5 * time.Second}, "http://"+addr)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := FetchFingerprint(ctx, addr); err == nil {
		t.Error("FetchFingerprint from a plain HTTP server: no error")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
