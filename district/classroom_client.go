package district

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// LessonClient is an enrolled device's client of the lesson endpoints:
// signed requests to open, describe and end lessons, and the URL and fresh
// signed headers of a lesson's WebSocket.
type LessonClient struct {
	server   string // base URL: https://host:port (http:// in tests)
	deviceID string
	key      ed25519.PrivateKey
	http     *http.Client
}

// NewLessonClient returns the client of device deviceID (signing with key)
// for the district at server, whose certificate has fingerprint pin ("":
// system roots). Its HTTP client has no overall timeout, which would cut
// a lesson's WebSocket, and speaks HTTP/1.1 for the upgrade.
func NewLessonClient(server, pin, deviceID string, key ed25519.PrivateKey) (*LessonClient, error) {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 20 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   30 * time.Second,
		ResponseHeaderTimeout: time.Minute,
	}
	if strings.HasPrefix(server, "https://") {
		cfg, err := ClientTLSConfig(pin)
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = cfg
	}
	return &LessonClient{server: strings.TrimRight(server, "/"), deviceID: deviceID, key: key, http: &http.Client{Transport: tr}}, nil
}

// HTTP is the client to dial the lesson WebSocket with.
func (c *LessonClient) HTTP() *http.Client { return c.http }

// do sends a signed request and decodes a 2xx JSON answer into out; any
// other answer is an *APIError with its status.
func (c *LessonClient) do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		body, _ = json.Marshal(in)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.server+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	SignRequest(req, c.deviceID, c.key, body)
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the district server: %w", err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxLessonBody))
	if err != nil {
		return fmt.Errorf("the connection to the district server broke: %w", err)
	}
	if res.StatusCode/100 != 2 {
		e := &APIError{Status: res.StatusCode}
		if json.Unmarshal(raw, e) != nil || e.Code == "" {
			e.Code, e.Message = "http_"+res.Status, string(bytes.TrimSpace(raw[:min(len(raw), 200)]))
		}
		return e
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("the district server's answer is not understood: %w", err)
		}
	}
	return nil
}

// Open opens a lesson (POST /v1/lessons).
func (c *LessonClient) Open(ctx context.Context, req OpenLessonRequest) (LessonResponse, error) {
	var res LessonResponse
	return res, c.do(ctx, http.MethodPost, "/v1/lessons", req, &res)
}

// Lesson describes lesson code (GET /v1/lessons/{code}); the host key only
// to the device that opened it.
func (c *LessonClient) Lesson(ctx context.Context, code string) (LessonResponse, error) {
	var res LessonResponse
	return res, c.do(ctx, http.MethodGet, "/v1/lessons/"+code, nil, &res)
}

// End ends lesson code (DELETE /v1/lessons/{code}).
func (c *LessonClient) End(ctx context.Context, code string) error {
	return c.do(ctx, http.MethodDelete, "/v1/lessons/"+code, nil, nil)
}

// WSURL is the signalling WebSocket of lesson code.
func (c *LessonClient) WSURL(code string) string {
	u := c.server + LessonWSPath(code)
	if strings.HasPrefix(u, "https://") {
		return "wss://" + strings.TrimPrefix(u, "https://")
	}
	return "ws://" + strings.TrimPrefix(u, "http://")
}

// DialHeader returns fresh signed headers for an upgrade to lesson code's
// WebSocket: call it for every dial.
func (c *LessonClient) DialHeader(code string) (http.Header, error) {
	return LessonDialHeader(c.WSURL(code), c.deviceID, c.key)
}
