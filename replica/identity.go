// Package replica is the app's side of sync with the district server:
// enrolment, pull and push in bounded, resumable batches, and the status
// the app shows. The protocol is in docs/sync-protocol.md; the server's
// side is package district.
package replica

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"qiao/district"
	"qiao/school"
	"qiao/store"
)

// Device-local facts about the enrolment, in the store's meta table.
const (
	keyServer      = "replica.server"
	keyFingerprint = "replica.fingerprint"
	keyDevice      = "replica.device_id"
	keySchool      = "replica.school_id"
	keyRole        = "replica.role"
	keyKey         = "replica.key"
	keyServerKey   = "replica.server_key"
	keyLastSync    = "replica.last_sync"
	keyLastError   = "replica.last_error"
	keyLastTry     = "replica.last_attempt"
)

// Identity is how this installation is known to the district.
type Identity struct {
	Server      string // base URL, e.g. https://district.example:8443
	Fingerprint string // pinned certificate fingerprint; "" trusts system roots
	DeviceID    string
	SchoolID    string
	Role        string
	Key         ed25519.PrivateKey
	// ServerKey verifies the district's return bundles; nil if the
	// district has not given it yet (see FetchServerKey).
	ServerKey ed25519.PublicKey
}

// ErrNotEnrolled means this installation has not enrolled with a district.
var ErrNotEnrolled = errors.New("replica: this installation is not enrolled with a district server")

// LoadIdentity reads the enrolment; ErrNotEnrolled if there is none.
func LoadIdentity(ctx context.Context, st *store.Store) (Identity, error) {
	var id Identity
	var key, serverKey string
	for k, p := range map[string]*string{keyServer: &id.Server, keyFingerprint: &id.Fingerprint, keyDevice: &id.DeviceID,
		keySchool: &id.SchoolID, keyRole: &id.Role, keyKey: &key, keyServerKey: &serverKey} {
		v, err := st.Meta(ctx, k)
		if err != nil {
			return id, err
		}
		*p = v
	}
	if id.Server == "" || id.DeviceID == "" || key == "" {
		return id, ErrNotEnrolled
	}
	seed, err := base64.StdEncoding.DecodeString(key)
	if err != nil || len(seed) != ed25519.SeedSize {
		return id, errors.New("replica: the stored device key is damaged; enrol again")
	}
	id.Key = ed25519.NewKeyFromSeed(seed)
	if serverKey != "" {
		if id.ServerKey, err = parseServerKey(serverKey); err != nil {
			return id, err
		}
	}
	return id, nil
}

// EnrolOptions are what enrolment needs.
type EnrolOptions struct {
	Server      string // base URL of the district server
	Code        string // one-time enrolment code from the district
	DeviceName  string // shown to the district administrator
	Fingerprint string // the server certificate's fingerprint, as the administrator printed it
}

// NormalizeServer checks a server address and returns its base URL;
// "host:port" alone means https.
func NormalizeServer(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return "", fmt.Errorf("replica: %q is not a server address like https://HOST:PORT", s)
	}
	return u.Scheme + "://" + u.Host, nil
}

// Enrol enrols this installation with the district: it makes a key pair,
// spends the code, and moves the local school's rows to the district's id
// for the school. The user's role becomes the role the code was issued for.
func Enrol(ctx context.Context, st *store.Store, opt EnrolOptions) (Identity, error) {
	if _, err := LoadIdentity(ctx, st); err == nil {
		return Identity{}, errors.New("replica: this installation is already enrolled; it cannot enrol twice")
	}
	svc := school.NewService(st)
	cur, haveSchool, err := svc.Current(ctx)
	if err != nil {
		return Identity{}, err
	}
	if haveSchool && cur.Sample {
		return Identity{}, errors.New("replica: this installation uses the sample school, whose made-up data must not reach the district; set up your own school first")
	}
	base, err := NormalizeServer(opt.Server)
	if err != nil {
		return Identity{}, err
	}
	id := Identity{Server: base, Fingerprint: opt.Fingerprint}
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return id, err
	}
	body, _ := json.Marshal(district.EnrolRequest{
		Code: opt.Code, PublicKey: base64.StdEncoding.EncodeToString(pub), DeviceName: opt.DeviceName, DeviceID: st.Device,
	})
	c, err := newClient(id)
	if err != nil {
		return id, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/enrol", bytes.NewReader(body))
	if err != nil {
		return id, err
	}
	req.Header.Set("Content-Type", "application/json")
	var res district.EnrolResponse
	if err := c.do(req, &res); err != nil {
		return id, err
	}
	id.DeviceID, id.SchoolID, id.Role, id.Key = res.DeviceID, res.SchoolID, res.Role, key
	if res.ServerKey != "" {
		if id.ServerKey, err = parseServerKey(res.ServerKey); err != nil {
			return id, err
		}
	}
	st.Clock.Observe(store.HLC(res.SchoolHLC))
	err = st.Update(ctx, func(tx *store.Tx) error {
		if err := school.Adopt(tx, cur.ID, res.SchoolID); err != nil {
			return err
		}
		if err := tx.SetBase("schools", res.SchoolID, store.HLC(res.SchoolHLC), res.SchoolOrigin); err != nil {
			return err
		}
		for k, v := range map[string]string{keyServer: id.Server, keyFingerprint: id.Fingerprint, keyDevice: id.DeviceID,
			keySchool: id.SchoolID, keyRole: id.Role, keyKey: base64.StdEncoding.EncodeToString(key.Seed()), keyServerKey: res.ServerKey} {
			if err := tx.SetMeta(k, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return id, fmt.Errorf("replica: enrolled with the district but could not save it (the code is spent; ask for a new one): %w", err)
	}
	if err := svc.SetRole(ctx, school.Role(res.Role)); err != nil {
		return id, err
	}
	return id, nil
}
