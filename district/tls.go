package district

// HTTPS. By default the server serves TLS with a self-signed certificate
// it creates on first start in DataDir/tls; clients do not check it
// against any certificate authority but pin its SHA-256 fingerprint,
// which they learn at enrolment and the administrator can print with
// `qiao-district tls fingerprint`. An administrator may supply a
// certificate of their own instead (Config.CertFile, Config.KeyFile).

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Files of the self-signed certificate, inside the data directory.
const (
	TLSDir      = "tls"      // directory under DataDir
	TLSCertFile = "cert.pem" // certificate, PEM, in TLSDir
	TLSKeyFile  = "key.pem"  // its private key, PEM (PKCS #8), mode 0600, in TLSDir
)

// CertCommonName is the subject common name of the self-signed certificate.
const CertCommonName = "Qiao district server"

// certValidity is how long a self-signed certificate is valid. Clients
// pin the certificate, so a long life spares them re-pinning.
const certValidity = 10 * 365 * 24 * time.Hour

// LoadOrCreateCert returns the self-signed certificate in dataDir/tls,
// creating it first if missing: an ECDSA P-256 key and a certificate for
// "localhost", 127.0.0.1, ::1 and this machine's host name, valid for ten
// years. The pair is written into a fresh private directory that is then
// renamed to dataDir/tls, so a crash or a concurrent start never leaves a
// half-written or mismatched pair; the key file has mode 0600.
func LoadOrCreateCert(dataDir string) (tls.Certificate, error) {
	dir := filepath.Join(dataDir, TLSDir)
	certPath, keyPath := filepath.Join(dir, TLSCertFile), filepath.Join(dir, TLSKeyFile)
	if exists(certPath) || exists(keyPath) {
		return loadOwnCert(dir)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return tls.Certificate{}, fmt.Errorf("district: data directory: %w", err)
	}
	cert, certPEM, keyPEM, err := newSelfSigned()
	if err != nil {
		return tls.Certificate{}, err
	}
	tmp, err := os.MkdirTemp(dataDir, ".tls-new-")
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("district: certificate: %w", err)
	}
	defer os.RemoveAll(tmp) // gone after a successful rename; cleans up otherwise
	if err := writeNew(filepath.Join(tmp, TLSKeyFile), keyPEM, 0o600); err != nil {
		return tls.Certificate{}, err
	}
	if err := writeNew(filepath.Join(tmp, TLSCertFile), certPEM, 0o644); err != nil {
		return tls.Certificate{}, err
	}
	err = os.Rename(tmp, dir)
	if err != nil && isEmptyDir(dir) {
		// An empty tls directory (made by hand, say) can be replaced; on
		// some systems rename refuses to, so remove it first.
		os.Remove(dir)
		err = os.Rename(tmp, dir)
	}
	if err != nil {
		if exists(certPath) {
			// Another process created the pair first: use theirs.
			return loadOwnCert(dir)
		}
		return tls.Certificate{}, fmt.Errorf("district: certificate: %w", err)
	}
	return cert, nil
}

// loadOwnCert loads the self-signed pair in dir.
func loadOwnCert(dir string) (tls.Certificate, error) {
	certPath, keyPath := filepath.Join(dir, TLSCertFile), filepath.Join(dir, TLSKeyFile)
	for _, p := range []string{certPath, keyPath} {
		if !exists(p) {
			return tls.Certificate{}, fmt.Errorf("district: %s is missing while %s has the rest of the certificate; "+
				"restore it, or remove %s to make a new certificate (clients will then have to pin the new fingerprint)", p, dir, dir)
		}
	}
	return LoadCert(certPath, keyPath)
}

// LoadCert loads a certificate and its private key from PEM files, such as
// a certificate supplied by the administrator. certFile may hold
// intermediate certificates after the server's own.
func LoadCert(certFile, keyFile string) (tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("district: certificate %s with key %s: %w", certFile, keyFile, err)
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return tls.Certificate{}, fmt.Errorf("district: certificate %s: %w", certFile, err)
		}
	}
	return cert, nil
}

// newSelfSigned generates a key and a self-signed certificate, returned
// parsed and as PEM.
func newSelfSigned() (cert tls.Certificate, certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return cert, nil, nil, fmt.Errorf("district: certificate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return cert, nil, nil, fmt.Errorf("district: certificate serial: %w", err)
	}
	notBefore := time.Now().Add(-time.Hour).UTC().Truncate(time.Second) // tolerate clients whose clock is a little behind
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: CertCommonName},
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(certValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if h, err := os.Hostname(); err == nil {
		if h = strings.ToLower(strings.TrimSuffix(h, ".")); validDNSName(h) && h != "localhost" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return cert, nil, nil, fmt.Errorf("district: create certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return cert, nil, nil, fmt.Errorf("district: create certificate: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return cert, nil, nil, fmt.Errorf("district: certificate key: %w", err)
	}
	cert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
	return cert, certPEM, keyPEM, nil
}

// validDNSName reports whether h is a plain ASCII host name that can go
// into a certificate.
func validDNSName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// writeNew creates path, which must not exist, with data and perm, and
// flushes it to disk.
func writeNew(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("district: certificate: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("district: certificate: write %s: %w", path, err)
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

func isEmptyDir(path string) bool {
	entries, err := os.ReadDir(path)
	return err == nil && len(entries) == 0
}

// Fingerprint returns the SHA-256 fingerprint of a DER-encoded certificate
// (x509.Certificate.Raw, tls.Certificate.Certificate[0]) as upper-case hex
// pairs joined by colons: "AB:CD:…", 95 characters.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return formatFingerprint(sum[:])
}

func formatFingerprint(sum []byte) string {
	var b strings.Builder
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}

// ParseFingerprint parses a SHA-256 certificate fingerprint as Fingerprint
// writes it ("AB:CD:…") or as 64 hex digits, in either case; white space
// and a leading "SHA256" or "SHA-256" (as serve prints it) are ignored.
// It returns the 32 bytes of the hash.
func ParseFingerprint(s string) ([]byte, error) {
	t := strings.Join(strings.Fields(s), "")
	up := strings.ToUpper(t)
	for _, p := range []string{"SHA256:", "SHA-256:", "SHA256", "SHA-256"} {
		if strings.HasPrefix(up, p) {
			t = t[len(p):]
			break
		}
	}
	if t == "" {
		return nil, errors.New("district: empty certificate fingerprint")
	}
	hexDigits := t
	if strings.Contains(t, ":") {
		parts := strings.Split(t, ":")
		for _, p := range parts {
			if len(p) != 2 {
				return nil, fmt.Errorf("district: certificate fingerprint %q: each part between colons must be two hex digits, found %q", s, p)
			}
		}
		hexDigits = strings.Join(parts, "")
	}
	sum, err := hex.DecodeString(hexDigits)
	if err != nil {
		return nil, fmt.Errorf("district: certificate fingerprint %q is not hexadecimal: %w", s, err)
	}
	if len(sum) != sha256.Size {
		return nil, fmt.Errorf("district: certificate fingerprint %q has %d bytes, want %d (SHA-256: 64 hex digits)", s, len(sum), sha256.Size)
	}
	return sum, nil
}

// FingerprintMismatchError is returned (wrapped) by connections made with
// a pinned ClientTLSConfig when the server presents another certificate.
type FingerprintMismatchError struct {
	Got  string // fingerprint of the certificate the server presented
	Want string // the pinned fingerprint
}

func (e *FingerprintMismatchError) Error() string {
	return fmt.Sprintf("district: the server's certificate fingerprint does not match the pinned one: "+
		"server has SHA256 %s, pinned is SHA256 %s; if the district replaced its certificate, "+
		"check the new fingerprint with the administrator (qiao-district tls fingerprint) and pin it again, "+
		"otherwise someone may be intercepting the connection", e.Got, e.Want)
}

// ClientTLSConfig returns the TLS configuration for a client of the
// district server. With pin empty, the server's certificate is verified
// against the system's certificate authorities as usual. With pin set (a
// fingerprint as ParseFingerprint accepts), chains and host names are not
// checked; instead the server's own certificate must have exactly that
// SHA-256 fingerprint, or the handshake fails with a
// *FingerprintMismatchError.
func ClientTLSConfig(pin string) (*tls.Config, error) {
	return ClientTLSConfigRoots(pin, nil)
}

// ClientTLSConfigRoots is ClientTLSConfig with the certificate authorities
// to trust when pin is empty; nil means the system's.
func ClientTLSConfigRoots(pin string, roots *x509.CertPool) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots}
	if pin == "" {
		return cfg, nil
	}
	want, err := ParseFingerprint(pin)
	if err != nil {
		return nil, err
	}
	cfg.RootCAs = nil
	cfg.InsecureSkipVerify = true // replaced by the pin check below
	// VerifyConnection, unlike VerifyPeerCertificate, also runs on resumed
	// sessions.
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("district: the server presented no certificate")
		}
		got := sha256.Sum256(cs.PeerCertificates[0].Raw)
		if !bytes.Equal(got[:], want) {
			return &FingerprintMismatchError{Got: formatFingerprint(got[:]), Want: formatFingerprint(want)}
		}
		return nil
	}
	return cfg, nil
}

// FetchFingerprint connects to the TLS server at addr (host:port) without
// verifying its certificate and returns the certificate's fingerprint.
// At enrolment the app shows it to the user, who compares it with the one
// the administrator printed before the app pins it (trust on first use).
func FetchFingerprint(ctx context.Context, addr string) (string, error) {
	d := tls.Dialer{Config: &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true}}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("district: fetch certificate of %s: %w", addr, err)
	}
	defer c.Close()
	certs := c.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return "", fmt.Errorf("district: %s presented no certificate", addr)
	}
	return Fingerprint(certs[0].Raw), nil
}

// serverCert returns the certificate cfg asks for: nil for plain HTTP,
// the administrator's, or the self-signed one in the data directory.
func serverCert(cfg Config) (*tls.Certificate, error) {
	switch {
	case cfg.Insecure && (cfg.CertFile != "" || cfg.KeyFile != ""):
		return nil, errors.New("district: a certificate was given for plain HTTP (Insecure)")
	case cfg.Insecure:
		return nil, nil
	case (cfg.CertFile == "") != (cfg.KeyFile == ""):
		return nil, errors.New("district: CertFile and KeyFile must be given together")
	}
	var cert tls.Certificate
	var err error
	if cfg.CertFile != "" {
		cert, err = LoadCert(cfg.CertFile, cfg.KeyFile)
	} else {
		cert, err = LoadOrCreateCert(cfg.DataDir)
	}
	if err != nil {
		return nil, err
	}
	return &cert, nil
}

// Fingerprint returns the fingerprint of the certificate the server
// presents, or "" when it serves plain HTTP.
func (s *Server) Fingerprint() string {
	if s.cert == nil {
		return ""
	}
	return Fingerprint(s.cert.Certificate[0])
}

// tlsConfig is the server side of TLS.
func (s *Server) tlsConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{*s.cert},
		NextProtos:   []string{"h2", "http/1.1"},
	}
}
