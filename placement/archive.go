package placement

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"qiao/store"
)

// Archive keeps finished draws in the local store. Draws are only ever
// added: a re-draw is a new record, never an overwrite.
type Archive struct{ st *store.Store }

// NewArchive returns an archive on st.
func NewArchive(st *store.Store) *Archive { return &Archive{st} }

// Saved is one archived draw.
type Saved struct {
	ID          string
	Title       string
	DrawnAt     time.Time
	Pupils      int
	Classes     int
	InputSHA256 string
	OutputSHA   string
	Entropy     string
}

type assignment struct {
	Classes  []int    `json:"classes"`
	Teachers []string `json:"teachers"`
}

// Save archives a draw for schoolID and returns its record id.
func (a *Archive) Save(ctx context.Context, schoolID, title string, r *Roster, res *Result, commitment string, at time.Time) (string, error) {
	asg, err := json.Marshal(assignment{res.Class, res.Teachers})
	if err != nil {
		return "", err
	}
	var rec store.Record
	err = a.st.Update(ctx, func(tx *store.Tx) error {
		rec, err = tx.Put("placement_draws", schoolID, "", store.Fields{
			"title": title, "algorithm": res.Algorithm, "input_sha256": res.InputDigest,
			"params": res.Params.canonical(), "entropy": res.Entropy, "commitment": commitment,
			"secret": res.Secret, "seed": res.Seed, "output_sha256": res.OutputDigest,
			"pupils": len(r.Pupils), "classes": res.Params.Classes,
			"input_canonical": string(Canonical(r)), "assignment": string(asg),
			"drawn_at": at.UTC().Format(time.RFC3339),
		})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("placement: archive draw: %w", err)
	}
	return rec.ID, nil
}

// List returns the school's draws, newest first.
func (a *Archive) List(ctx context.Context, schoolID string) ([]Saved, error) {
	rows, err := a.st.DB.QueryContext(ctx, `SELECT id, title, drawn_at, pupils, classes, input_sha256, output_sha256, entropy
		FROM placement_draws WHERE school_id=? AND deleted=0 ORDER BY drawn_at DESC, id DESC`, schoolID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Saved
	for rows.Next() {
		var s Saved
		var at string
		if err := rows.Scan(&s.ID, &s.Title, &at, &s.Pupils, &s.Classes, &s.InputSHA256, &s.OutputSHA, &s.Entropy); err != nil {
			return nil, err
		}
		s.DrawnAt, _ = time.Parse(time.RFC3339, at)
		out = append(out, s)
	}
	return out, rows.Err()
}
