package district

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"qiao/content"
)

// The resource library's review queue (docs/sync-protocol.md, "Library
// contributions"): a teacher uploads a file (PUT /v1/files, for the
// school) and asks for it to join the district's catalogue; the district
// administrator accepts it, which writes a district-wide library_entries
// row that reaches every school by sync, or returns it with a reason.

// Contribution states.
const (
	ContributionPending  = "pending"
	ContributionAccepted = "accepted"
	ContributionReturned = "returned"
)

// LibraryKinds are the kinds of resource in the catalogue.
var LibraryKinds = []string{"courseware", "plan", "video", "paper", "homework", "material", "recording"}

// Limits of a contribution request.
const (
	maxTitle       = 200 // characters
	maxField       = 100 // characters of stage, subject, edition, unit, uploaded_by, licence
	maxFileName    = 255 // bytes
	maxTags        = 20
	maxTag         = 32 // characters
	maxReason      = 500
	maxContribBody = 64 << 10
)

// LibraryFields are the catalogue fields of a contributed resource (the
// body of POST /v1/library/contributions).
type LibraryFields struct {
	Title      string   `json:"title"`
	Stage      string   `json:"stage"`
	Subject    string   `json:"subject"`
	Edition    string   `json:"edition"`
	Grade      int      `json:"grade"`
	Unit       string   `json:"unit"`
	Kind       string   `json:"kind"`
	FileName   string   `json:"file_name"`
	Size       int64    `json:"size"`
	Hash       string   `json:"hash"`
	Tags       []string `json:"tags"`
	UploadedBy string   `json:"uploaded_by"`
	Licence    string   `json:"licence"`
}

// Contribution is one resource in the review queue.
type Contribution struct {
	ID        string        `json:"id"`
	SchoolID  string        `json:"school_id"`
	DeviceID  string        `json:"device_id"`
	State     string        `json:"state"`
	Reason    string        `json:"reason,omitempty"`   // why it was returned
	EntryID   string        `json:"entry_id,omitempty"` // the catalogue row, once accepted
	CreatedAt int64         `json:"created_at"`         // unix seconds
	DecidedAt int64         `json:"decided_at,omitempty"`
	Fields    LibraryFields `json:"fields"`
}

// ReturnRequest is the body of POST /v1/library/contributions/{id}/return.
type ReturnRequest struct {
	Reason string `json:"reason"`
}

// badContribution is the error of a request that needs fixing.
func badContribution(format string, a ...any) *APIError {
	return &APIError{Status: http.StatusBadRequest, Code: "bad_contribution", Message: fmt.Sprintf(format, a...)}
}

// ParseContribution reads a contribution request: one JSON object with
// only the fields of LibraryFields, each within its limits. The error is
// an *APIError whose message says which field to fix.
func ParseContribution(body []byte) (LibraryFields, error) {
	var f LibraryFields
	if len(body) > maxContribBody {
		return f, &APIError{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large", Message: "a contribution request may be at most 64 KiB"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return LibraryFields{}, badContribution("the request is not a JSON object of catalogue fields: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return LibraryFields{}, badContribution("the request has data after its JSON object")
	}
	if err := f.check(); err != nil {
		return LibraryFields{}, err
	}
	return f, nil
}

// check validates f and trims its text fields.
func (f *LibraryFields) check() error {
	texts := []struct {
		name string
		v    *string
		max  int
	}{{"title", &f.Title, maxTitle}, {"stage", &f.Stage, maxField}, {"subject", &f.Subject, maxField},
		{"edition", &f.Edition, maxField}, {"unit", &f.Unit, maxField}, {"uploaded_by", &f.UploadedBy, maxField},
		{"licence", &f.Licence, maxField}}
	for _, t := range texts {
		if err := checkText(t.name, *t.v, t.max); err != nil {
			return err
		}
		*t.v = strings.TrimSpace(*t.v)
	}
	switch {
	case f.Title == "":
		return badContribution("title is empty: give the resource a title")
	case f.Grade < 0 || f.Grade > 12:
		return badContribution("grade %d is not 0 (any grade) to 12", f.Grade)
	case !validKind(f.Kind):
		return badContribution("kind %q is not one of %s", f.Kind, strings.Join(LibraryKinds, ", "))
	case !content.ValidHash(f.Hash):
		return badContribution("hash must be the file's SHA-256: 64 lower-case hex digits")
	case f.Size < 0 || f.Size > MaxFileBytes:
		return badContribution("size %d is not between 0 and %d bytes", f.Size, int64(MaxFileBytes))
	case len(f.FileName) > maxFileName || !utf8.ValidString(f.FileName) || strings.ContainsAny(f.FileName, "/\\\x00") || hasControl(f.FileName):
		return badContribution("file_name must be a plain file name (no folders), at most %d bytes", maxFileName)
	case len(f.Tags) > maxTags:
		return badContribution("at most %d tags, not %d", maxTags, len(f.Tags))
	}
	for i, t := range f.Tags {
		if err := checkText("tag", t, maxTag); err != nil {
			return err
		}
		if f.Tags[i] = strings.TrimSpace(t); f.Tags[i] == "" {
			return badContribution("tag %d is empty", i+1)
		}
	}
	if f.Tags == nil {
		f.Tags = []string{}
	}
	return nil
}

func checkText(name, v string, max int) error {
	switch {
	case !utf8.ValidString(v):
		return badContribution("%s is not valid UTF-8", name)
	case utf8.RuneCountInString(v) > max:
		return badContribution("%s is longer than %d characters", name, max)
	case hasControl(v):
		return badContribution("%s contains control characters", name)
	}
	return nil
}

func hasControl(s string) bool { return strings.IndexFunc(s, unicode.IsControl) >= 0 }

func validKind(k string) bool {
	for _, v := range LibraryKinds {
		if k == v {
			return true
		}
	}
	return false
}

// ErrNoContribution means no contribution has the id.
var ErrNoContribution = &APIError{Status: http.StatusNotFound, Code: "not_found", Message: "no contribution with this id"}

// ErrDecided means the contribution was accepted or returned already.
var ErrDecided = &APIError{Status: http.StatusConflict, Code: "already_decided", Message: "this contribution was accepted or returned already"}

// AddContribution queues a contribution of dev's school. The file must
// have been uploaded for the school (or district-wide) with its size. A
// file already waiting for review from the school gives back that one.
func (d *DB) AddContribution(ctx context.Context, dev Device, f LibraryFields, now time.Time) (Contribution, error) {
	var size int64
	err := d.queryRow(ctx, `SELECT size FROM file_scopes WHERE hash = ? AND (school_id = ? OR school_id = '')`, f.Hash, dev.SchoolID).Scan(&size)
	if errors.Is(err, sql.ErrNoRows) {
		return Contribution{}, &APIError{Status: http.StatusConflict, Code: "file_missing", Message: "upload the file first (PUT /v1/files/" + f.Hash + "), then send the contribution"}
	}
	if err != nil {
		return Contribution{}, err
	}
	if size != f.Size {
		return Contribution{}, badContribution("size %d does not match the uploaded file's %d bytes", f.Size, size)
	}
	// The same file still waiting for review from this school is the
	// same contribution (a teacher tapped again, or a retry after a cut
	// answer): give it back rather than queue a copy.
	if c, err := scanContribution(d.queryRow(ctx, `SELECT `+contributionCols+` FROM library_contributions
		WHERE school_id = ? AND hash = ? AND state = ?`, dev.SchoolID, f.Hash, ContributionPending)); err == nil {
		return c, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return Contribution{}, err
	}
	fields, err := json.Marshal(f)
	if err != nil {
		return Contribution{}, err
	}
	c := Contribution{ID: newID(), SchoolID: dev.SchoolID, DeviceID: dev.ID, State: ContributionPending, CreatedAt: now.Unix(), Fields: f}
	_, err = d.exec(ctx, `INSERT INTO library_contributions(id, school_id, device_id, hash, title, fields, state, created_at) VALUES (?,?,?,?,?,?,?,?)`,
		c.ID, c.SchoolID, c.DeviceID, f.Hash, f.Title, string(fields), c.State, c.CreatedAt)
	return c, err
}

const contributionCols = `id, school_id, device_id, fields, state, reason, entry_id, created_at, decided_at`

func scanContribution(sc interface{ Scan(...any) error }) (Contribution, error) {
	var c Contribution
	var fields string
	if err := sc.Scan(&c.ID, &c.SchoolID, &c.DeviceID, &fields, &c.State, &c.Reason, &c.EntryID, &c.CreatedAt, &c.DecidedAt); err != nil {
		return c, err
	}
	return c, json.Unmarshal([]byte(fields), &c.Fields)
}

// Contributions lists contributions, newest first: of one school, or of
// every school when school is ""; of one state, or all when state is "".
func (d *DB) Contributions(ctx context.Context, school, state string) ([]Contribution, error) {
	rows, err := d.query(ctx, `SELECT `+contributionCols+` FROM library_contributions
		WHERE (? = '' OR school_id = ?) AND (? = '' OR state = ?) ORDER BY created_at DESC, id DESC`, school, school, state, state)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Contribution{}
	for rows.Next() {
		c, err := scanContribution(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Contribution returns one contribution, or ErrNoContribution.
func (d *DB) Contribution(ctx context.Context, id string) (Contribution, error) {
	c, err := scanContribution(d.queryRow(ctx, `SELECT `+contributionCols+` FROM library_contributions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNoContribution
	}
	return c, err
}

// decide moves a pending contribution to state in tx; ErrDecided if it is
// not pending any more, ErrNoContribution if there is none.
func (d *DB) decide(ctx context.Context, tx *sql.Tx, id, state, reason, entry string, now time.Time) error {
	r, err := d.txExec(ctx, tx, `UPDATE library_contributions SET state = ?, reason = ?, entry_id = ?, decided_at = ?
		WHERE id = ? AND state = 'pending'`, state, reason, entry, now.Unix(), id)
	if err != nil {
		return err
	}
	if n, err := r.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var n int // (in tx: SQLite has one connection for writes)
	if err := d.txQueryRow(ctx, tx, `SELECT count(*) FROM library_contributions WHERE id = ?`, id).Scan(&n); err != nil || n == 0 {
		if err != nil {
			return err
		}
		return ErrNoContribution
	}
	return ErrDecided
}

// AcceptContribution accepts a pending contribution in one transaction:
// its file becomes readable by every school and a district-wide
// library_entries row (origin district) joins the catalogue, reaching
// every school by the normal pull.
func (d *DB) AcceptContribution(ctx context.Context, id string, now time.Time) (Contribution, error) {
	c, err := d.Contribution(ctx, id)
	if err != nil {
		return c, err
	}
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return c, err
	}
	defer tx.Rollback()
	entry := newID()
	if err := d.decide(ctx, tx, id, ContributionAccepted, "", entry, now); err != nil {
		return c, err
	}
	f := c.Fields
	if err := d.addFile(ctx, tx, f.Hash, "", f.Size, c.DeviceID, now); err != nil {
		return c, err
	}
	tags, _ := json.Marshal(f.Tags)
	if err := d.putDistrictRow(ctx, tx, "library_entries", entry, "", map[string]any{
		"title": f.Title, "stage": f.Stage, "subject": f.Subject, "edition": f.Edition, "grade": f.Grade, "unit": f.Unit,
		"kind": f.Kind, "source": "district", "file_name": f.FileName, "size": f.Size, "hash": f.Hash, "tags": string(tags),
		"uploaded_by": f.UploadedBy, "licence": f.Licence, "lesson_id": "", "created_at": now.Unix(),
	}); err != nil {
		return c, err
	}
	if err := tx.Commit(); err != nil {
		return c, err
	}
	c.State, c.EntryID, c.DecidedAt = ContributionAccepted, entry, now.Unix()
	return c, nil
}

// ReturnContribution returns a pending contribution to its school with a
// reason (1 to 500 characters); nothing reaches the catalogue.
func (d *DB) ReturnContribution(ctx context.Context, id, reason string, now time.Time) (Contribution, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > maxReason || !utf8.ValidString(reason) {
		return Contribution{}, &APIError{Status: http.StatusBadRequest, Code: "bad_reason", Message: "say why the contribution is returned (1 to 500 characters)"}
	}
	c, err := d.Contribution(ctx, id)
	if err != nil {
		return c, err
	}
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return c, err
	}
	defer tx.Rollback()
	if err := d.decide(ctx, tx, id, ContributionReturned, reason, "", now); err != nil {
		return c, err
	}
	if err := tx.Commit(); err != nil {
		return c, err
	}
	c.State, c.Reason, c.DecidedAt = ContributionReturned, reason, now.Unix()
	return c, nil
}

// libraryRoutes registers the review queue's signed endpoints.
func (s *Server) libraryRoutes(api *http.ServeMux) {
	api.HandleFunc("POST /v1/library/contributions", s.contribute)
	api.HandleFunc("GET /v1/library/contributions", s.contributions)
	api.HandleFunc("POST /v1/library/contributions/{id}/accept", s.decideContribution)
	api.HandleFunc("POST /v1/library/contributions/{id}/return", s.decideContribution)
}

// answer writes v, or err as the JSON error it carries.
func answer(w http.ResponseWriter, v any, err error) {
	var ae *APIError
	switch {
	case errors.As(err, &ae):
		writeJSON(w, ae.Status, ae)
	case err != nil:
		slog.Error("library", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the server could not do this; try again")
	default:
		writeJSON(w, http.StatusOK, v)
	}
}

// contribute queues a contribution: POST /v1/library/contributions.
func (s *Server) contribute(w http.ResponseWriter, r *http.Request) {
	dev, _ := DeviceFrom(r.Context())
	body, err := io.ReadAll(io.LimitReader(r.Body, maxContribBody+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "the request body could not be read")
		return
	}
	f, err := ParseContribution(body)
	if err != nil {
		answer(w, nil, err)
		return
	}
	c, err := s.db.AddContribution(r.Context(), dev, f, s.now())
	if err == nil {
		slog.Info("library: contribution queued", "id", c.ID, "school", c.SchoolID, "device", dev.ID, "hash", f.Hash)
	}
	answer(w, c, err)
}

// contributions lists contributions: GET /v1/library/contributions[?state=S].
// A district administrator's device sees every school's, others their school's.
func (s *Server) contributions(w http.ResponseWriter, r *http.Request) {
	dev, _ := DeviceFrom(r.Context())
	state := r.URL.Query().Get("state")
	if state != "" && state != ContributionPending && state != ContributionAccepted && state != ContributionReturned {
		writeError(w, http.StatusBadRequest, "bad_state", "state must be pending, accepted or returned")
		return
	}
	school := dev.SchoolID
	if dev.Role == RoleDistrictAdmin {
		school = ""
	}
	cs, err := s.db.Contributions(r.Context(), school, state)
	answer(w, cs, err)
}

// decideContribution accepts or returns a contribution (district
// administrators only): POST /v1/library/contributions/{id}/accept|return.
func (s *Server) decideContribution(w http.ResponseWriter, r *http.Request) {
	dev, _ := DeviceFrom(r.Context())
	if dev.Role != RoleDistrictAdmin {
		writeError(w, http.StatusForbidden, "forbidden", "only a district administrator's device may accept or return contributions")
		return
	}
	id := r.PathValue("id")
	var c Contribution
	var err error
	if strings.HasSuffix(r.URL.Path, "/accept") {
		c, err = s.db.AcceptContribution(r.Context(), id, s.now())
	} else {
		var req ReturnRequest
		if json.NewDecoder(io.LimitReader(r.Body, maxContribBody)).Decode(&req) != nil {
			writeError(w, http.StatusBadRequest, "bad_request", `the body must be {"reason": "…"}`)
			return
		}
		c, err = s.db.ReturnContribution(r.Context(), id, req.Reason, s.now())
	}
	if err == nil {
		slog.Info("library: contribution decided", "id", id, "state", c.State, "device", dev.ID)
	}
	answer(w, c, err)
}
