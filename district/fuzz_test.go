package district

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// fuzzServer is a server with one enrolled device, for fuzzing the
// handler in process (no network).
func fuzzServer(f *testing.F) (*Server, string) {
	f.Helper()
	s, err := New(Config{DataDir: filepath.Join(f.TempDir(), "data")})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	ctx := context.Background()
	school, err := s.db.AddSchool(ctx, "Fuzz School", "")
	if err != nil {
		f.Fatal(err)
	}
	code, err := s.db.IssueCode(ctx, school, "teacher", time.Now().Add(time.Hour))
	if err != nil {
		f.Fatal(err)
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	body, _ := json.Marshal(EnrolRequest{Code: code, PublicKey: base64.StdEncoding.EncodeToString(pub), DeviceName: "pc"})
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/v1/enrol", bytes.NewReader(body)))
	var res EnrolResponse
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &res) != nil {
		f.Fatalf("enrol: %d %s", rec.Code, rec.Body)
	}
	return s, res.DeviceID
}

// FuzzSignedRequest sends hostile headers and bodies to a signed endpoint:
// the server must answer with a JSON error and never let a request through
// without the device's key (the fuzzer does not have it).
func FuzzSignedRequest(f *testing.F) {
	s, device := fuzzServer(f)
	now := strconv.FormatInt(time.Now().Unix(), 10)
	f.Add(device, now, "bm9uY2U=", base64.StdEncoding.EncodeToString(make([]byte, 64)), []byte(""))
	f.Add(device, "-1", "", "", []byte("{}"))
	f.Add("", now, "\x00\xff", "!!!", bytes.Repeat([]byte("x"), 1000))
	h := s.Handler()
	f.Fuzz(func(t *testing.T, dev, unix, nonce, sig string, body []byte) {
		req := httptest.NewRequest("POST", "/v1/whoami", bytes.NewReader(body))
		req.Header.Set("Qiao-Device", dev)
		req.Header.Set("Qiao-Time", unix)
		req.Header.Set("Qiao-Nonce", nonce)
		req.Header.Set("Qiao-Signature", sig)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code < 400 {
			t.Fatalf("a request without the key got %d: %s", rec.Code, rec.Body)
		}
		var e map[string]string
		if json.Unmarshal(rec.Body.Bytes(), &e) != nil || e["error"] == "" {
			t.Fatalf("error is not JSON with a code: %d %q", rec.Code, rec.Body)
		}
	})
}

// FuzzEnrol sends arbitrary bodies to the enrolment endpoint: no valid
// code is known to the fuzzer, so nothing may enrol, and every answer is
// a JSON error.
func FuzzEnrol(f *testing.F) {
	s, _ := fuzzServer(f)
	f.Add([]byte(`{"code":"ABCDEFGHJKLM","public_key":"AAAA","device_name":"x"}`))
	f.Add([]byte(`{"code":`))
	f.Add([]byte(`[]`))
	h := s.Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/enrol", bytes.NewReader(body)))
		if rec.Code < 400 {
			t.Fatalf("enrolled without a valid code: %d %s", rec.Code, rec.Body)
		}
		var e map[string]string
		if json.Unmarshal(rec.Body.Bytes(), &e) != nil || e["error"] == "" {
			t.Fatalf("error is not JSON with a code: %d %q", rec.Code, rec.Body)
		}
	})
}
