package district

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"time"
)

// The server key signs return bundles (see bundle.go); devices receive
// its public key at enrolment (EnrolResponse.ServerKey) or from
// GET /v1/server-key, and verify return bundles with it. It lives in the
// database, not in the data directory, so that every server process of a
// shared PostgreSQL database, and the admin commands, use the same key.

// ServerKey returns the district's bundle-signing key, making it on first
// use. Processes racing to make it agree on the one that was stored first.
func (d *DB) ServerKey(ctx context.Context) (ed25519.PrivateKey, error) {
	seed := make([]byte, ed25519.SeedSize)
	rand.Read(seed)
	if _, err := d.exec(ctx, `INSERT INTO server_keys(id, seed, created_at) VALUES (1, ?, ?) ON CONFLICT(id) DO NOTHING`,
		base64.StdEncoding.EncodeToString(seed), time.Now().Unix()); err != nil {
		return nil, err
	}
	var text string
	if err := d.queryRow(ctx, `SELECT seed FROM server_keys WHERE id = 1`).Scan(&text); err != nil {
		return nil, err
	}
	seed, err := base64.StdEncoding.DecodeString(text)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errors.New("district: the stored server key is damaged")
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// ServerPublicKey returns the public half of ServerKey in standard base64.
func (d *DB) ServerPublicKey(ctx context.Context) (string, error) {
	key, err := d.ServerKey(ctx)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey)), nil
}

// ServerKeyResponse answers GET /v1/server-key.
type ServerKeyResponse struct {
	ServerKey string `json:"server_key"` // base64 of the 32-byte ed25519 public key
}

// serverKey answers the district's bundle-verification key: GET /v1/server-key.
func (s *Server) serverKey(w http.ResponseWriter, r *http.Request) {
	pub, err := s.db.ServerPublicKey(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal", "the server could not read its key")
		return
	}
	writeJSON(w, http.StatusOK, ServerKeyResponse{ServerKey: pub})
}
