package replica

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"qiao/district"
	"qiao/syncproto"
)

// client is an HTTP client for one district server that signs requests.
type client struct {
	id   Identity
	http *http.Client
}

func newClient(id Identity) (*client, error) {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 20 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   30 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   2,
	}
	if len(id.Server) > 8 && id.Server[:8] == "https://" {
		cfg, err := district.ClientTLSConfig(id.Fingerprint)
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = cfg
	}
	return &client{id: id, http: &http.Client{Transport: tr}}, nil
}

// ServerError is an error the district server answered with.
type ServerError struct {
	Status int
	district.APIError
}

func (e *ServerError) Error() string {
	return fmt.Sprintf("district server refused (%d %s): %s", e.Status, e.Code, e.Message)
}

// Unreachable reports whether err means the district server could not be
// reached or its certificate could not be checked: no answer came, as
// opposed to a *ServerError.
func Unreachable(err error) bool {
	var ne net.Error
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	var ce x509.CertificateInvalidError
	return errors.As(err, &ne) || errors.As(err, &ue) || errors.As(err, &he) || errors.As(err, &ce)
}

// do sends req and decodes a JSON answer into v (skipped if v is nil);
// raw, if not nil, receives the body of a batch answer instead.
func (c *client) do(req *http.Request, v any) error {
	_, err := c.doRaw(req, v)
	return err
}

func (c *client) doRaw(req *http.Request, v any) ([]byte, error) {
	res, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the district server: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, syncproto.MaxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("the connection to the district server broke: %w", err)
	}
	if len(body) > syncproto.MaxBodyBytes {
		return nil, errors.New("the district server's answer is too large")
	}
	if res.StatusCode != http.StatusOK {
		se := &ServerError{Status: res.StatusCode}
		if json.Unmarshal(body, &se.APIError) != nil || se.Code == "" {
			se.Code, se.Message = "http_"+res.Status, string(bytes.TrimSpace(body[:min(len(body), 200)]))
		}
		return nil, se
	}
	if v != nil {
		if err := syncproto.DecodeJSON(body, v); err != nil {
			return nil, fmt.Errorf("the district server's answer is not understood: %w", err)
		}
	}
	return body, nil
}

// signed sends a signed request with body (nil for none).
func (c *client) signed(req *http.Request, body []byte, v any) ([]byte, error) {
	district.SignRequest(req, c.id.DeviceID, c.id.Key, body)
	return c.doRaw(req, v)
}
