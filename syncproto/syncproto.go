// Package syncproto defines the messages of Qiao's sync protocol — a
// change, a push batch, a pull page — their limits, and their encoding on
// the wire (JSON, gzip-compressed). The app's replica and the district
// server both speak it; docs/sync-protocol.md is its specification.
//
// Every decoder here reads outside input: it bounds what it reads, checks
// every field and says what is wrong, and never panics.
package syncproto

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
)

// Limits of one batch.
const (
	// MaxBodyBytes bounds a compressed request or response body.
	MaxBodyBytes = 8 << 20
	// MaxPlainBytes bounds a body once decompressed (a zip bomb stops here).
	MaxPlainBytes = 64 << 20
	// MaxChanges bounds the changes in one push batch or pull page.
	MaxChanges = 5000
	// MaxRowBytes bounds one row's data.
	MaxRowBytes = 1 << 20
)

// Change is one version of one synced row: its header and its columns.
// On a push, Seq is the device's change-log sequence number; on a pull, the
// server's sequence number.
type Change struct {
	Seq        int64           `json:"seq"`
	Table      string          `json:"tbl"`
	ID         string          `json:"id"`
	SchoolID   string          `json:"school"`
	HLC        uint64          `json:"hlc"`
	Origin     string          `json:"origin"`
	Deleted    bool            `json:"deleted,omitempty"`
	BaseHLC    uint64          `json:"base_hlc,omitempty"`
	BaseOrigin string          `json:"base_origin,omitempty"`
	Data       json.RawMessage `json:"data"`
}

// Push is the body of POST /v1/push.
type Push struct {
	Changes []Change `json:"changes"`
}

// PushResult answers a push.
type PushResult struct {
	Through   int64 `json:"through"`   // highest device seq the server now holds
	Applied   int   `json:"applied"`   // versions that became current
	Stale     int   `json:"stale"`     // versions already seen, or older than the current one
	Conflicts int   `json:"conflicts"` // conflicts recorded
}

// Page is the body of a pull response.
type Page struct {
	Changes []Change `json:"changes"`
	Next    int64    `json:"next"` // the cursor for the next pull
	More    bool     `json:"more"` // true if more changes wait after Next
}

// State answers GET /v1/sync/state: the server's checkpoints for the device.
type State struct {
	PushedThrough int64 `json:"pushed_through"` // highest device seq the server holds
	ServerSeq     int64 `json:"server_seq"`     // the server's latest sequence number
}

// ConflictsTable is the synced table where a losing version is kept.
const ConflictsTable = "sync_conflicts"

// DistrictOrigin is the origin of rows the district server writes itself.
const DistrictOrigin = "district"

var (
	tableRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)
)

// validOrigin reports whether o names a device (its UUID) or the district.
func validOrigin(o string) bool { return o == DistrictOrigin || IsUUID(o) }

// IsUUID reports whether s is a UUID in lower-case text form, the form of
// every row, school and device id (checked for every change of a batch,
// so by hand rather than with a regular expression).
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	return true
}

// Validate checks that c is well formed; it does not judge partitions.
func (c *Change) Validate() error {
	switch {
	case !tableRE.MatchString(c.Table):
		return fmt.Errorf("table %q is not a table name", c.Table)
	case !IsUUID(c.ID):
		return fmt.Errorf("%s: id %q is not a row id (a lower-case UUID)", c.Table, c.ID)
	case c.SchoolID != "" && !IsUUID(c.SchoolID):
		return fmt.Errorf("%s %s: school %q is not a school id", c.Table, c.ID, c.SchoolID)
	case !validOrigin(c.Origin):
		return fmt.Errorf("%s %s: origin %q is not a device id", c.Table, c.ID, c.Origin)
	case c.HLC == 0 || c.HLC >= 1<<63:
		return fmt.Errorf("%s %s: clock stamp %d out of range", c.Table, c.ID, c.HLC)
	case c.BaseHLC >= 1<<63 || (c.BaseOrigin != "" && !validOrigin(c.BaseOrigin)):
		return fmt.Errorf("%s %s: bad base version", c.Table, c.ID)
	case c.Seq < 0:
		return fmt.Errorf("%s %s: negative sequence number", c.Table, c.ID)
	case len(c.Data) > MaxRowBytes:
		return fmt.Errorf("%s %s: row data is %d bytes, more than %d", c.Table, c.ID, len(c.Data), MaxRowBytes)
	}
	d := bytes.TrimSpace(c.Data)
	if len(d) == 0 || d[0] != '{' || !json.Valid(d) {
		return fmt.Errorf("%s %s: row data is not a JSON object", c.Table, c.ID)
	}
	return nil
}

// Encode writes v as gzip-compressed JSON.
func Encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err := json.NewEncoder(zw).Encode(v); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ErrTooLarge means a body exceeds MaxBodyBytes or MaxPlainBytes.
var ErrTooLarge = errors.New("batch too large")

// decode reads gzip-compressed JSON from body into v, within the limits.
func decode(body []byte, v any) error {
	if len(body) > MaxBodyBytes {
		return fmt.Errorf("%w: %d compressed bytes, at most %d", ErrTooLarge, len(body), MaxBodyBytes)
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("body is not gzip-compressed: %w", err)
	}
	plain, err := io.ReadAll(io.LimitReader(zr, MaxPlainBytes+1))
	if err != nil {
		return fmt.Errorf("body is not valid gzip: %w", err)
	}
	if len(plain) > MaxPlainBytes {
		return fmt.Errorf("%w: more than %d bytes once decompressed", ErrTooLarge, MaxPlainBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(plain))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("body is not valid JSON of this message: %w", err)
	}
	if dec.More() {
		return errors.New("body has data after the message")
	}
	return nil
}

// checkChanges validates a list of changes and its length.
func checkChanges(cs []Change) error {
	if len(cs) > MaxChanges {
		return fmt.Errorf("%w: %d changes, at most %d", ErrTooLarge, len(cs), MaxChanges)
	}
	for i := range cs {
		if err := cs[i].Validate(); err != nil {
			return fmt.Errorf("change %d: %w", i+1, err)
		}
	}
	return nil
}

// DecodePush decodes and checks a push body.
func DecodePush(body []byte) (Push, error) {
	var p Push
	if err := decode(body, &p); err != nil {
		return Push{}, err
	}
	return p, checkChanges(p.Changes)
}

// DecodePage decodes and checks a pull page.
func DecodePage(body []byte) (Page, error) {
	var p Page
	if err := decode(body, &p); err != nil {
		return Page{}, err
	}
	if p.Next < 0 {
		return Page{}, errors.New("page has a negative cursor")
	}
	return p, checkChanges(p.Changes)
}

// DecodeJSON decodes a small plain JSON reply (results, state, errors).
func DecodeJSON(body []byte, v any) error {
	if len(body) > 1<<20 {
		return ErrTooLarge
	}
	return json.Unmarshal(body, v)
}
