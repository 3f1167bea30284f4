package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"qiao/syncproto"
)

// ChangesAfter returns up to limit change-log entries with seq > after,
// oldest first: what this device has still to push.
func (s *Store) ChangesAfter(ctx context.Context, after int64, limit int) ([]syncproto.Change, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT seq, tbl, row_id, school_id, hlc, origin, deleted, base_hlc, base_origin, data
		FROM changes WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: read change log: %w", err)
	}
	defer rows.Close()
	var out []syncproto.Change
	for rows.Next() {
		var c syncproto.Change
		var hlc, base int64
		var data string
		if err := rows.Scan(&c.Seq, &c.Table, &c.ID, &c.SchoolID, &hlc, &c.Origin, &c.Deleted, &base, &c.BaseOrigin, &data); err != nil {
			return nil, err
		}
		c.HLC, c.BaseHLC, c.Data = uint64(hlc), uint64(base), json.RawMessage(data)
		out = append(out, c)
	}
	return out, rows.Err()
}

// CountChangesAfter counts the change-log entries with seq > after.
func (s *Store) CountChangesAfter(ctx context.Context, after int64) (int64, error) {
	var n int64
	err := s.DB.QueryRowContext(ctx, `SELECT count(*) FROM changes WHERE seq > ?`, after).Scan(&n)
	return n, err
}

// LastChange returns the highest change-log seq, 0 if the log is empty.
func (s *Store) LastChange(ctx context.Context) (int64, error) {
	var n int64
	err := s.DB.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM changes`).Scan(&n)
	return n, err
}

// ErrUnknownTable means a change names a table this version of Qiao does
// not have (it came from a newer version).
var ErrUnknownTable = errors.New("store: unknown synced table")

// version returns the stamp and origin of a row; ok is false if it is absent.
func (tx *Tx) version(table, id string) (h HLC, origin string, ok bool, err error) {
	st, err := tx.s.prepared(tx.ctx, `SELECT hlc, origin FROM `+table+` WHERE id=?`)
	if err != nil {
		return 0, "", false, err
	}
	var v int64
	err = tx.StmtContext(tx.ctx, st).QueryRowContext(tx.ctx, id).Scan(&v, &origin)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", false, nil
	}
	return HLC(v), origin, err == nil, err
}

// ApplyRemote applies a version of a row received from another node, if
// it wins over the local one under last-writer-wins, without logging it
// for push: it is already known upstream. It reports whether it applied.
// The clock observes the version either way.
func (tx *Tx) ApplyRemote(c syncproto.Change) (bool, error) {
	cols, ok := tx.s.synced[c.Table]
	if !ok {
		return false, fmt.Errorf("%w %q", ErrUnknownTable, c.Table)
	}
	tx.s.Clock.Observe(HLC(c.HLC))
	cur, curOrigin, exists, err := tx.version(c.Table, c.ID)
	if err != nil {
		return false, fmt.Errorf("store: read %s %s: %w", c.Table, c.ID, err)
	}
	if exists && !Wins(HLC(c.HLC), c.Origin, cur, curOrigin) {
		return false, nil
	}
	vals, err := rowValues(c.Data)
	if err != nil {
		return false, fmt.Errorf("store: %s %s: %w", c.Table, c.ID, err)
	}
	names := []string{}
	for _, col := range cols[len(syncedMeta):] {
		if _, ok := vals[col]; ok {
			names = append(names, col)
		}
	}
	sort.Strings(names)
	rec := Record{ID: c.ID, SchoolID: c.SchoolID, HLC: HLC(c.HLC), Origin: c.Origin, Deleted: c.Deleted}
	if err := tx.upsert(c.Table, rec, names, vals); err != nil {
		return false, fmt.Errorf("store: apply %s %s: %w", c.Table, c.ID, err)
	}
	return true, nil
}

// rowValues decodes a row's JSON object into column values SQLite takes:
// integers stay exact, booleans become 0/1, nested values become JSON text.
func rowValues(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("row data is not a JSON object: %w", err)
	}
	for k, v := range raw {
		switch x := v.(type) {
		case json.Number:
			if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
				raw[k] = i
			} else if f, err := x.Float64(); err == nil {
				raw[k] = f
			} else {
				return nil, fmt.Errorf("column %s: number %s out of range", k, x)
			}
		case bool:
			if x {
				raw[k] = 1
			} else {
				raw[k] = 0
			}
		case map[string]any, []any:
			b, _ := json.Marshal(x)
			raw[k] = string(b)
		}
	}
	return raw, nil
}

// Rekey moves every row of school from into school to, makes this device
// the origin of every row, and rewrites the change log as one fresh entry
// per row. Enrolment calls it once, before
// the first sync, when the district's id for the school differs from the
// one this installation made up on its first run.
func (tx *Tx) Rekey(from, to string) error {
	tables := make([]string, 0, len(tx.s.synced))
	for t := range tx.s.synced {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		// Every row becomes this device's: the district accepts a
		// device's changes only under its own origin.
		if _, err := tx.ExecContext(tx.ctx, `UPDATE `+t+` SET origin=?, school_id=CASE WHEN school_id=? THEN ? ELSE school_id END`, tx.s.Device, from, to); err != nil {
			return fmt.Errorf("store: rekey %s: %w", t, err)
		}
	}
	// The school's own profile is stamped now, so it overwrites the
	// district's entry for the school (observed by the caller) however
	// old the local profile is.
	if _, err := tx.ExecContext(tx.ctx, `UPDATE schools SET id=?, hlc=? WHERE id=?`, to, int64(tx.s.Clock.Now()), from); err != nil {
		return fmt.Errorf("store: rekey school: %w", err)
	}
	if _, err := tx.ExecContext(tx.ctx, `DELETE FROM changes`); err != nil {
		return err
	}
	for _, t := range tables {
		if _, err := tx.ExecContext(tx.ctx, tx.logQuery(t), t, 0, ""); err != nil {
			return fmt.Errorf("store: rekey change log of %s: %w", t, err)
		}
	}
	return nil
}

// Sync checkpoints, kept in the device-local meta table.
const (
	// CheckpointPull is the district's sequence number pulled through.
	CheckpointPull = "sync.pull_after"
	// CheckpointPush is the change-log seq the district acknowledged.
	CheckpointPush = "sync.push_through"
)

// Checkpoint reads a sync checkpoint; 0 if never set.
func (s *Store) Checkpoint(ctx context.Context, name string) (int64, error) {
	var v int64
	err := s.DB.QueryRowContext(ctx, `SELECT CAST(value AS INTEGER) FROM meta WHERE key=?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

// SetCheckpoint writes a sync checkpoint in the transaction, so it commits
// together with the rows it accounts for.
func (tx *Tx) SetCheckpoint(name string, v int64) error {
	return tx.SetMeta(name, strconv.FormatInt(v, 10))
}

// Meta reads a device-local fact ("" if unset); SetMeta writes one.
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.DB.QueryRowContext(ctx, `SELECT value FROM meta WHERE key=?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetMeta writes a device-local fact in the transaction.
func (tx *Tx) SetMeta(key, value string) error {
	_, err := tx.exec(`INSERT INTO meta(key,value) VALUES(?,?) ON CONFLICT(key) DO UPDATE SET value=excluded.value`, key, value)
	return err
}

// SetBase records that the change-log entries of a row overwrote version
// (h, origin), a version this device learnt of without pulling it.
func (tx *Tx) SetBase(table, id string, h HLC, origin string) error {
	_, err := tx.ExecContext(tx.ctx, `UPDATE changes SET base_hlc=?, base_origin=? WHERE tbl=? AND row_id=? AND base_hlc=0`, int64(h), origin, table, id)
	return err
}

// keyObserved remembers the highest clock stamp observed from other nodes.
const keyObserved = "store.observed_hlc"

// RememberClock stores the clock's stamp in the transaction, so that after
// a restart the clock still orders new writes after every version this
// device has applied from others.
func (tx *Tx) RememberClock() error {
	return tx.SetMeta(keyObserved, strconv.FormatInt(int64(tx.s.Clock.Last()), 10))
}
