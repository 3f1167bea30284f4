package library

// Contributions without a link. A contribution the district cannot be
// reached for waits in this device's outbox (meta library.contrib.outbox)
// and goes by SendQueued once the link is back; the list the district
// gave last is kept (meta library.contrib.seen), so 我的投稿 shows the
// review states with no link too, with the time they were read.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"slices"

	"qiao/replica"
	"qiao/store"
)

// States of contributions on this device: waiting for a link to the
// district, or refused by it when it went (with the district's reason);
// tapping 上传到区县 again sends a refused one anew.
const (
	ContributionQueued  = "queued"
	ContributionRefused = "refused"
)

const (
	outboxKey = "library.contrib.outbox"
	seenKey   = "library.contrib.seen"
)

// queued is a contribution in the outbox.
type queued struct {
	EntryID string             `json:"entry_id"`
	At      int64              `json:"at"` // unix seconds, when the teacher sent it
	Fields  ContributionFields `json:"fields"`
	Refused string             `json:"refused,omitempty"` // why the district refused it; no longer sent
}

// seen is the district's list as last read.
type seen struct {
	At   int64          `json:"at"`
	List []Contribution `json:"list"`
}

// MyContributions is what 我的投稿 shows: the contributions waiting on
// this device, then the district's list, read now or, with no link, as
// last read at AsOf (Offline set; AsOf 0 if never read).
type MyContributions struct {
	List    []Contribution
	Offline bool
	AsOf    int64 // unix seconds the district's part was read
	Err     error // why the district could not be read, when Offline
}

// unreachable reports whether err means the district could not be reached
// or could not answer now (so trying later may work), as opposed to a
// refusal of the contribution itself.
func unreachable(err error) bool {
	var se *replica.ServerError
	if errors.As(err, &se) {
		return se.Status >= 500 || se.Status == http.StatusTooManyRequests
	}
	return replica.Unreachable(err) && !errors.Is(err, context.Canceled)
}

// refusal is the district's reason for refusing a contribution, as it
// said it, or the error when the refusal was this device's.
func refusal(err error) string {
	var se *replica.ServerError
	if errors.As(err, &se) && se.Message != "" {
		return se.Message
	}
	return err.Error()
}

// queue puts a contribution in the outbox (once per entry) and returns it
// as a contribution of state queued.
func (c *Contributor) queue(ctx context.Context, entryID string, f ContributionFields) (Contribution, error) {
	q := queued{EntryID: entryID, At: c.Now().Unix(), Fields: f}
	err := c.st.Update(ctx, func(tx *store.Tx) error {
		out, err := readJSON[[]queued](ctx, tx, outboxKey)
		if err != nil {
			return err
		}
		if i := slices.IndexFunc(out, func(o queued) bool { return o.EntryID == entryID }); i >= 0 {
			if out[i].Refused == "" {
				q = out[i]
				return nil
			}
			out = slices.Delete(out, i, i+1) // sent again: it waits anew
		}
		return writeJSON(tx, outboxKey, append(out, q))
	})
	return q.contribution(), err
}

func (q queued) contribution() Contribution {
	if q.Refused != "" {
		return Contribution{State: ContributionRefused, Reason: q.Refused, CreatedAt: q.At, Fields: q.Fields}
	}
	return Contribution{State: ContributionQueued, CreatedAt: q.At, Fields: q.Fields}
}

// dropQueued takes an entry's contribution out of the outbox (it went).
func (c *Contributor) dropQueued(ctx context.Context, entryID string) error {
	return c.st.Update(ctx, func(tx *store.Tx) error {
		cur, err := readJSON[[]queued](ctx, tx, outboxKey)
		if err != nil || !slices.ContainsFunc(cur, func(o queued) bool { return o.EntryID == entryID }) {
			return err
		}
		return writeJSON(tx, outboxKey, slices.DeleteFunc(cur, func(o queued) bool { return o.EntryID == entryID }))
	})
}

// Queued lists the contributions waiting on this device and those the
// district refused when they went, oldest first.
func (c *Contributor) Queued(ctx context.Context) ([]Contribution, error) {
	out, err := readJSON[[]queued](ctx, c.st.DB, outboxKey)
	var cs []Contribution
	for _, q := range out {
		cs = append(cs, q.contribution())
	}
	return cs, err
}

// SendQueued sends the waiting contributions, oldest first, and stops at
// the first that still cannot reach the district. One that went leaves the
// outbox; one the district refuses, or whose entry is gone, stays with the
// reason (state ContributionRefused, not sent again) and its error in errs.
// It returns how many went.
func (c *Contributor) SendQueued(ctx context.Context) (sent int, errs []error, err error) {
	out, err := readJSON[[]queued](ctx, c.st.DB, outboxKey)
	if err != nil {
		return 0, nil, err
	}
	for _, q := range out {
		if q.Refused != "" {
			continue
		}
		_, e := c.send(ctx, q.EntryID)
		if e != nil && unreachable(e) {
			return sent, errs, nil
		}
		if e == nil {
			sent++
			if err := c.dropQueued(ctx, q.EntryID); err != nil {
				return sent, errs, err
			}
			continue
		}
		errs = append(errs, e)
		if err := c.st.Update(ctx, func(tx *store.Tx) error {
			cur, err := readJSON[[]queued](ctx, tx, outboxKey)
			if err != nil {
				return err
			}
			for i := range cur {
				if cur[i].EntryID == q.EntryID {
					cur[i].Refused = refusal(e)
				}
			}
			return writeJSON(tx, outboxKey, cur)
		}); err != nil {
			return sent, errs, err
		}
	}
	return sent, errs, nil
}

// Mine lists this school's contributions for 我的投稿: those waiting on
// this device first, then the district's list, read now and kept, or the
// one kept from the last read when the district cannot be reached.
func (c *Contributor) Mine(ctx context.Context) (MyContributions, error) {
	waiting, err := c.Queued(ctx)
	if err != nil {
		return MyContributions{}, err
	}
	list, err := c.Contributions(ctx, "")
	if err == nil {
		now := c.Now().Unix()
		if err := c.st.Update(ctx, func(tx *store.Tx) error { return writeJSON(tx, seenKey, seen{At: now, List: list}) }); err != nil {
			return MyContributions{}, err
		}
		return MyContributions{List: append(waiting, list...), AsOf: now}, nil
	}
	if !unreachable(err) {
		return MyContributions{}, err
	}
	last, rerr := readJSON[seen](ctx, c.st.DB, seenKey)
	if rerr != nil {
		return MyContributions{}, rerr
	}
	return MyContributions{List: append(waiting, last.List...), Offline: true, AsOf: last.At, Err: err}, nil
}

type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// readJSON reads the meta value key as JSON (the zero value if unset).
func readJSON[T any](ctx context.Context, q rowQuerier, key string) (T, error) {
	var v T
	var s string
	err := q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return v, nil
	}
	if err != nil {
		return v, err
	}
	return v, json.Unmarshal([]byte(s), &v)
}

func writeJSON(tx *store.Tx, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.SetMeta(key, string(b))
}
