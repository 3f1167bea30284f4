package replica

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"qiao/store"
	"qiao/syncproto"
)

// Conflict is an open conflict: the losing version of a row that two
// devices edited concurrently. The district keeps it in the synced
// conflicts table; the winning version is the row itself.
type Conflict struct {
	ID, SchoolID, Table, RowID string
	WinnerHLC, LoserHLC        store.HLC
	WinnerOrigin, LoserOrigin  string
	LoserDeleted               bool
	// Loser holds the losing version's columns, without the record header;
	// numbers are int64 or float64.
	Loser map[string]any
}

// openWhere selects the conflicts not yet resolved.
const openWhere = `resolved=0 AND deleted=0`

// OpenConflicts reads the conflicts not yet resolved, newest loser first
// (at most 1000).
func OpenConflicts(ctx context.Context, st *store.Store) ([]Conflict, error) {
	rows, err := st.DB.QueryContext(ctx, `SELECT id, school_id, tbl, row_id, winner_hlc, winner_origin, loser_hlc, loser_origin,
		loser_deleted, loser_data FROM `+syncproto.ConflictsTable+` WHERE `+openWhere+` ORDER BY loser_hlc DESC LIMIT 1000`)
	if err != nil {
		return nil, fmt.Errorf("replica: read conflicts: %w", err)
	}
	defer rows.Close()
	var out []Conflict
	for rows.Next() {
		var c Conflict
		var data string
		if err := rows.Scan(&c.ID, &c.SchoolID, &c.Table, &c.RowID, &c.WinnerHLC, &c.WinnerOrigin, &c.LoserHLC, &c.LoserOrigin,
			&c.LoserDeleted, &data); err != nil {
			return nil, fmt.Errorf("replica: read conflicts: %w", err)
		}
		c.Loser = decodeRow(data)
		out = append(out, c)
	}
	return out, rows.Err()
}

// decodeRow decodes a version's JSON columns, leaving out the header; a
// version that does not decode has no columns.
func decodeRow(data string) map[string]any {
	var raw map[string]any
	dec := json.NewDecoder(strings.NewReader(data))
	dec.UseNumber()
	m := map[string]any{}
	if dec.Decode(&raw) != nil {
		return m
	}
	for k, v := range raw {
		if store.IsHeader(k) {
			continue
		}
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				v = i
			} else {
				v, _ = n.Float64()
			}
		}
		m[k] = v
	}
	return m
}

// Row is a row as this device has it now.
type Row struct {
	Fields  map[string]any // its columns, without the record header
	Deleted bool
}

var tableRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// querier is a database or a transaction.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// CurrentRow reads the row c is about as it is now; ok is false if this
// device does not have it.
func CurrentRow(ctx context.Context, st *store.Store, c Conflict) (row Row, ok bool, err error) {
	_, row, ok, err = readRow(ctx, st.DB, c.Table, c.RowID)
	return row, ok, err
}

// readRow reads a row of table, with the table's columns (header included).
func readRow(ctx context.Context, q querier, table, id string) (cols []string, row Row, ok bool, err error) {
	if !tableRE.MatchString(table) {
		return nil, row, false, fmt.Errorf("replica: bad table name %q in a conflict", table)
	}
	rows, err := q.QueryContext(ctx, `SELECT * FROM `+table+` WHERE id=?`, id)
	if err != nil {
		return nil, row, false, fmt.Errorf("replica: read %s %s: %w", table, id, err)
	}
	defer rows.Close()
	if cols, err = rows.Columns(); err != nil || !rows.Next() {
		return cols, row, false, errors.Join(err, rows.Err())
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return cols, row, false, err
	}
	row.Fields = map[string]any{}
	for i, col := range cols {
		v := vals[i]
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		switch {
		case col == "deleted":
			d, _ := v.(int64)
			row.Deleted = d == 1
		case !store.IsHeader(col):
			row.Fields[col] = v
		}
	}
	return cols, row, true, rows.Err()
}

// KeepCurrent resolves c by keeping the row as it is: the conflict is
// marked resolved, which syncs to the school's other devices.
func KeepCurrent(ctx context.Context, st *store.Store, c Conflict) error {
	return st.Update(ctx, func(tx *store.Tx) error { return markResolved(tx, c) })
}

// RestoreLoser resolves c by writing the losing version back to its row
// (or deleting the row, if the loser was a delete) as a new edit, which
// syncs like any other, and marking the conflict resolved. Columns this
// version of Qiao does not have are left out.
func RestoreLoser(ctx context.Context, st *store.Store, c Conflict) error {
	return st.Update(ctx, func(tx *store.Tx) error {
		if c.LoserDeleted {
			if err := tx.Delete(c.Table, c.RowID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			return markResolved(tx, c)
		}
		cols, _, _, err := readRow(ctx, tx, c.Table, c.RowID)
		if err != nil {
			return err
		}
		known := map[string]bool{}
		for _, col := range cols {
			known[col] = true
		}
		f := store.Fields{}
		for k, v := range c.Loser {
			if known[k] && !store.IsHeader(k) {
				f[k] = v
			}
		}
		if _, err := tx.Put(c.Table, c.SchoolID, c.RowID, f); err != nil {
			return err
		}
		return markResolved(tx, c)
	})
}

// markResolved marks c resolved, as an edit that syncs.
func markResolved(tx *store.Tx, c Conflict) error {
	if _, err := tx.Update(syncproto.ConflictsTable, c.ID, store.Fields{"resolved": 1}); err != nil {
		return fmt.Errorf("replica: resolve conflict %s: %w", c.ID, err)
	}
	return nil
}
