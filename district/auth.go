package district

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"qiao/syncproto"
)

// Request signing: see docs/sync-protocol.md.
const (
	HeaderDevice    = "Qiao-Device"
	HeaderTime      = "Qiao-Time"
	HeaderNonce     = "Qiao-Nonce"
	HeaderSignature = "Qiao-Signature"

	// MaxClockSkew is how far a request's Qiao-Time may be from the
	// server's clock.
	MaxClockSkew = 5 * time.Minute

	// MaxBodyBytes bounds the body of a signed request.
	MaxBodyBytes = 8 << 20
	// maxEnrolBytes bounds the body of an enrolment request.
	maxEnrolBytes = 64 << 10

	signingPrefix = "qiao-request-v1\n"
)

// APIError is the JSON error every /v1 endpoint answers with.
type APIError struct {
	Status  int    `json:"-"`
	Code    string `json:"error"`
	Message string `json:"message"`
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// noStore sets the headers every answer of the server carries: its type
// (unless empty), never cached, never sniffed as another type.
func noStore(w http.ResponseWriter, contentType string) {
	h := w.Header()
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	noStore(w, "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, &APIError{Code: code, Message: msg})
}

// signingString is what a device signs for a request.
func signingString(method, target, unix, nonce string, body []byte) []byte {
	sum := sha256.Sum256(body)
	return []byte(signingPrefix + method + "\n" + target + "\n" + unix + "\n" + nonce + "\n" + hex.EncodeToString(sum[:]))
}

// SignRequest sets the Qiao-Device, Qiao-Time, Qiao-Nonce and
// Qiao-Signature headers on req so that the district server accepts it as
// coming from device deviceID. body must be exactly the bytes req sends
// (nil for none); SignRequest does not set req.Body.
func SignRequest(req *http.Request, deviceID string, key ed25519.PrivateKey, body []byte) {
	signRequestAt(req, deviceID, key, body, time.Now())
}

func signRequestAt(req *http.Request, deviceID string, key ed25519.PrivateKey, body []byte, now time.Time) {
	var n [16]byte
	rand.Read(n[:])
	nonce := base64.StdEncoding.EncodeToString(n[:])
	unix := strconv.FormatInt(now.Unix(), 10)
	sig := ed25519.Sign(key, signingString(req.Method, req.URL.RequestURI(), unix, nonce, body))
	req.Header.Set(HeaderDevice, deviceID)
	req.Header.Set(HeaderTime, unix)
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
}

type deviceKey struct{}

// DeviceFrom returns the authenticated device of a signed request.
func DeviceFrom(ctx context.Context) (Device, bool) {
	d, ok := ctx.Value(deviceKey{}).(Device)
	return d, ok
}

// authenticate admits only requests signed by an enrolled, unrevoked
// device, and puts that device in the request context.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		deny := func(code, msg string) {
			slog.Warn("request refused", "reason", code, "device", r.Header.Get(HeaderDevice), "remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path)
			writeError(w, http.StatusUnauthorized, code, msg)
		}
		id, unix, nonce, sigText := r.Header.Get(HeaderDevice), r.Header.Get(HeaderTime), r.Header.Get(HeaderNonce), r.Header.Get(HeaderSignature)
		if id == "" || unix == "" || nonce == "" || sigText == "" {
			deny("auth_missing", "this endpoint needs a signed request (Qiao-Device, Qiao-Time, Qiao-Nonce, Qiao-Signature); enrol the device first")
			return
		}
		dev, err := s.db.Device(r.Context(), id)
		if errors.Is(err, sql.ErrNoRows) {
			deny("device_unknown", "this device is not enrolled with the district")
			return
		} else if err != nil {
			slog.Error("device lookup", "err", err)
			writeError(w, http.StatusInternalServerError, "internal", "the server could not check the device")
			return
		}
		if !dev.Revoked.IsZero() {
			deny("device_revoked", "this device was revoked by the district on "+dev.Revoked.UTC().Format(time.DateOnly)+"; enrol it again with a new code")
			return
		}
		now := s.now()
		t, err := strconv.ParseInt(unix, 10, 64)
		if err != nil || unix[0] == '+' || unix[0] == '-' {
			deny("bad_time", "Qiao-Time must be unix seconds")
			return
		}
		if skew := now.Sub(time.Unix(t, 0)); skew > MaxClockSkew || skew < -MaxClockSkew {
			deny("time_skew", "the request time is more than 5 minutes from the server's clock ("+now.UTC().Format(time.RFC3339)+"); fix the device's clock")
			return
		}
		if raw, err := base64.StdEncoding.DecodeString(nonce); err != nil || len(raw) < 12 || len(raw) > 64 {
			deny("bad_nonce", "Qiao-Nonce must be 12 to 64 random bytes in base64")
			return
		}
		sig, err := base64.StdEncoding.DecodeString(sigText)
		if err != nil || len(sig) != ed25519.SignatureSize {
			deny("bad_signature", "Qiao-Signature is not a base64 ed25519 signature")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", "the request body is larger than "+strconv.Itoa(MaxBodyBytes>>20)+" MiB")
				return
			}
			writeError(w, http.StatusBadRequest, "bad_body", "the request body could not be read")
			return
		}
		target := r.RequestURI
		if target == "" {
			target = r.URL.RequestURI()
		}
		if !ed25519.Verify(dev.PublicKey, signingString(r.Method, target, unix, nonce, body), sig) {
			deny("bad_signature", "the request signature does not match this device's key")
			return
		}
		prune := now.Sub(time.Unix(s.lastPrune.Load(), 0)) > time.Minute
		if prune {
			s.lastPrune.Store(now.Unix())
		}
		fresh, err := s.db.useNonce(r.Context(), dev.ID, nonce, now, prune)
		if err != nil {
			slog.Error("nonce", "err", err)
			writeError(w, http.StatusInternalServerError, "internal", "the server could not record the request")
			return
		}
		if !fresh {
			deny("replay", "this request was already received once (nonce reused)")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), deviceKey{}, dev)))
	})
}

// EnrolRequest is the body of POST /v1/enrol.
type EnrolRequest struct {
	Code       string `json:"code"`
	PublicKey  string `json:"public_key"` // base64 (standard) of the 32-byte ed25519 public key
	DeviceName string `json:"device_name"`
	// DeviceID is the id the device already uses as the origin of its
	// changes (a lower-case UUID); the server makes one up if it is empty.
	DeviceID string `json:"device_id,omitempty"`
}

// EnrolResponse is the answer to a successful enrolment.
type EnrolResponse struct {
	DeviceID string `json:"device_id"`
	SchoolID string `json:"school_id"`
	Role     string `json:"role"`
	// SchoolHLC and SchoolOrigin are the version of the school's entry in
	// the synced list of schools (enrolment only): the device's own school
	// row overwrites that version, which is an edit, not a conflict.
	SchoolHLC    uint64 `json:"school_hlc,omitempty"`
	SchoolOrigin string `json:"school_origin,omitempty"`
	// ServerKey is the district's public key (base64, enrolment only),
	// which signs the return bundles of offline sync.
	ServerKey string `json:"server_key,omitempty"`
}

// Enrolment attempts with a wrong, spent or expired code are limited per
// client address, so codes cannot be guessed at speed.
const (
	enrolFailures = 10
	enrolWindow   = 10 * time.Minute
)

func (s *Server) enrol(w http.ResponseWriter, r *http.Request) {
	if no, until := s.enrolThrottle.blocked(r.RemoteAddr, s.now()); no {
		slog.Warn("enrolment refused", "reason", "too_many_attempts", "remote", r.RemoteAddr)
		w.Header().Set("Retry-After", strconv.Itoa(int(until.Sub(s.now()).Seconds())+1))
		writeError(w, http.StatusTooManyRequests, "too_many_attempts",
			"too many wrong enrolment codes from this address; try again after "+until.UTC().Format(time.RFC3339))
		return
	}
	var req EnrolRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxEnrolBytes))
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", "the enrolment request is larger than 64 KiB")
			return
		}
		writeError(w, http.StatusBadRequest, "bad_request", "the body must be JSON {code, public_key, device_name}")
		return
	}
	pub, err := base64.StdEncoding.DecodeString(req.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		writeError(w, http.StatusBadRequest, "bad_public_key", "public_key must be a 32-byte ed25519 public key in base64")
		return
	}
	name := strings.TrimSpace(req.DeviceName)
	if name == "" || len(name) > 200 {
		writeError(w, http.StatusBadRequest, "bad_device_name", "device_name must be 1 to 200 bytes")
		return
	}
	if NormalizeCode(req.Code) == "" {
		writeError(w, http.StatusBadRequest, "bad_request", "code is missing")
		return
	}
	if req.DeviceID != "" && !syncproto.IsUUID(req.DeviceID) {
		writeError(w, http.StatusBadRequest, "bad_device_id", "device_id must be a lower-case UUID")
		return
	}
	serverKey, err := s.db.ServerPublicKey(r.Context())
	if err != nil {
		slog.Error("server key", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the server could not read its key")
		return
	}
	dev, err := s.db.Enrol(r.Context(), req.Code, ed25519.PublicKey(pub), name, req.DeviceID, s.now())
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		if apiErr.Status == http.StatusForbidden { // a wrong, spent or expired code
			s.enrolThrottle.fail(r.RemoteAddr, s.now())
		}
		slog.Warn("enrolment refused", "reason", apiErr.Code, "remote", r.RemoteAddr)
		writeJSON(w, apiErr.Status, apiErr)
		return
	} else if err != nil {
		slog.Error("enrol", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the server could not enrol the device")
		return
	}
	slog.Info("device enrolled", "device", dev.ID, "school", dev.SchoolID, "role", dev.Role, "name", name)
	res := EnrolResponse{DeviceID: dev.ID, SchoolID: dev.SchoolID, Role: dev.Role, ServerKey: serverKey}
	res.SchoolHLC, res.SchoolOrigin = s.db.rowVersion(r.Context(), "schools", dev.SchoolID)
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	dev, _ := DeviceFrom(r.Context())
	writeJSON(w, http.StatusOK, EnrolResponse{DeviceID: dev.ID, SchoolID: dev.SchoolID, Role: dev.Role})
}
