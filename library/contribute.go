package library

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"qiao/content"
	"qiao/district"
	"qiao/replica"
	"qiao/store"
)

// Contributing: a teacher shares a resource of the school's catalogue
// with the district. The file goes up by the resumable PUT, then a
// contribution request with the catalogue fields joins the district's
// review queue; the district administrator accepts it (it becomes a
// district-wide entry every school receives by sync) or returns it with
// a reason. The school sees the state of its contributions (Contributions).

// Contribution is a resource in the district's review queue.
type Contribution = district.Contribution

// ContributionFields are a contribution's catalogue fields.
type ContributionFields = district.LibraryFields

// Contribution states.
const (
	ContributionPending  = district.ContributionPending
	ContributionAccepted = district.ContributionAccepted
	ContributionReturned = district.ContributionReturned
)

// ErrNotShareable means the entry is a district entry already.
var ErrNotShareable = errors.New("library: this entry is in the district's catalogue already")

// Contributor sends contributions and, on a district administrator's
// device, reviews them.
type Contributor struct {
	st    *store.Store
	files *content.Store
	rep   *replica.Replica
	// Now is the clock.
	Now func() time.Time
}

// NewContributor returns a contributor through the enrolled replica rep,
// whose files are in files.
func NewContributor(st *store.Store, files *content.Store, rep *replica.Replica) *Contributor {
	rep.Files = files
	return &Contributor{st: st, files: files, rep: rep, Now: time.Now}
}

// Contribute adds the file at path to this school's catalogue as the
// teacher's own entry with the fields f (its hash, size and file name are
// taken from the file) and contributes it. The file is stored once, in
// the content store; the entry is written even if the district cannot be
// reached, and ContributeEntry sends it later.
func (c *Contributor) Contribute(ctx context.Context, path string, f ContributionFields) (entryID string, _ Contribution, _ error) {
	if f.FileName == "" {
		f.FileName = filepath.Base(path)
	}
	// Check the fields before anything is stored (hash and size come from the file).
	f.Hash, f.Size = strings.Repeat("0", 64), 0
	body, _ := json.Marshal(f)
	f, err := district.ParseContribution(body)
	if err != nil {
		return "", Contribution{}, err
	}
	ref, err := c.files.PutFile(path)
	if err != nil {
		return "", Contribution{}, err
	}
	f.Hash, f.Size = ref.Hash, ref.Size
	who, err := whoAmI(ctx, c.st, c.files)
	if err != nil {
		return "", Contribution{}, err
	}
	if f.UploadedBy == "" {
		f.UploadedBy = who.teacher
	}
	tags, _ := json.Marshal(f.Tags)
	err = c.st.Update(ctx, func(tx *store.Tx) error {
		rec, err := tx.Put("library_entries", who.svc.SchoolID(), "", store.Fields{
			"title": f.Title, "stage": f.Stage, "subject": f.Subject, "edition": f.Edition, "grade": f.Grade, "unit": f.Unit,
			"kind": f.Kind, "source": "teacher", "file_name": f.FileName, "size": f.Size, "hash": f.Hash, "tags": string(tags),
			"uploaded_by": f.UploadedBy, "licence": f.Licence, "created_at": c.Now().Unix(),
		})
		entryID = rec.ID
		return err
	})
	if err != nil {
		return "", Contribution{}, err
	}
	con, err := c.ContributeEntry(ctx, entryID)
	return entryID, con, err
}

// ContributeEntry contributes an entry of this school's catalogue: it
// uploads the file (resuming a cut upload) and queues the entry for review.
// When the district cannot be reached, the contribution waits in this
// device's outbox (state ContributionQueued) for SendQueued.
func (c *Contributor) ContributeEntry(ctx context.Context, entryID string) (Contribution, error) {
	con, err := c.send(ctx, entryID)
	switch {
	case err != nil && unreachable(err):
		f, ferr := c.fields(ctx, entryID)
		if ferr != nil {
			return Contribution{}, ferr
		}
		return c.queue(ctx, entryID, f)
	case err == nil:
		return con, c.dropQueued(ctx, entryID) // a refused one, sent again, went
	}
	return con, err
}

// fields reads an entry of this school's catalogue as contribution fields.
func (c *Contributor) fields(ctx context.Context, entryID string) (ContributionFields, error) {
	var f ContributionFields
	var school, tags string
	err := c.st.DB.QueryRowContext(ctx, `SELECT school_id, title, stage, subject, edition, grade, unit, kind, file_name, size, hash, tags, uploaded_by, licence
		FROM library_entries WHERE id = ? AND deleted = 0`, entryID).
		Scan(&school, &f.Title, &f.Stage, &f.Subject, &f.Edition, &f.Grade, &f.Unit, &f.Kind, &f.FileName, &f.Size, &f.Hash, &tags, &f.UploadedBy, &f.Licence)
	if err != nil {
		return f, fmt.Errorf("library: entry %s: %w", entryID, err)
	}
	if school == "" {
		return f, ErrNotShareable
	}
	if err := json.Unmarshal([]byte(tags), &f.Tags); err != nil {
		f.Tags = nil
	}
	return f, nil
}

// send uploads an entry's file and queues it for the district's review.
func (c *Contributor) send(ctx context.Context, entryID string) (Contribution, error) {
	f, err := c.fields(ctx, entryID)
	if err != nil {
		return Contribution{}, err
	}
	if err := c.rep.Upload(ctx, f.Hash, false); err != nil {
		return Contribution{}, err
	}
	var con Contribution
	if err := c.rep.Call(ctx, http.MethodPost, "/v1/library/contributions", f, &con); err != nil {
		return Contribution{}, err
	}
	who, err := whoAmI(ctx, c.st, c.files)
	if err != nil {
		return con, err
	}
	who.svc.now = c.Now
	return con, who.svc.Contributed(ctx, entryID, who.teacher)
}

// Contributions lists this school's contributions and their state
// (pending, accepted, or returned with the reason), newest first. On a
// district administrator's device it lists every school's: the review
// queue. state filters ("" for all).
func (c *Contributor) Contributions(ctx context.Context, state string) ([]Contribution, error) {
	path := "/v1/library/contributions"
	if state != "" {
		path += "?state=" + url.QueryEscape(state)
	}
	var cs []Contribution
	err := c.rep.Call(ctx, http.MethodGet, path, nil, &cs)
	return cs, err
}

// Accept accepts a contribution (district administrators' devices only).
func (c *Contributor) Accept(ctx context.Context, id string) (Contribution, error) {
	var con Contribution
	err := c.rep.Call(ctx, http.MethodPost, "/v1/library/contributions/"+url.PathEscape(id)+"/accept", nil, &con)
	return con, err
}

// Return returns a contribution with the reason (district
// administrators' devices only).
func (c *Contributor) Return(ctx context.Context, id, reason string) (Contribution, error) {
	var con Contribution
	err := c.rep.Call(ctx, http.MethodPost, "/v1/library/contributions/"+url.PathEscape(id)+"/return", district.ReturnRequest{Reason: reason}, &con)
	return con, err
}
