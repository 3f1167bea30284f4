package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/google/uuid"
)

// Fields are the table-specific column values of a synced row.
type Fields map[string]any

// Record is the synced-record header of a row.
type Record struct {
	ID       string
	SchoolID string
	HLC      HLC
	Origin   string
	Deleted  bool
}

// Tx is a write transaction. Every write to a synced table made through it
// appends to the change log inside the same transaction, so a change and
// its log entry commit or roll back together.
type Tx struct {
	*sql.Tx
	s   *Store
	ctx context.Context
}

// Update runs fn in one write transaction and commits it if fn returns nil.
func (s *Store) Update(ctx context.Context, fn func(*Tx) error) error {
	sqlTx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer sqlTx.Rollback() // no-op after Commit; undoes everything if fn panics
	tx := &Tx{Tx: sqlTx, s: s, ctx: ctx}
	if err := fn(tx); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// NewID returns a fresh UUIDv7: time-ordered, unique across devices.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

var identRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// Put inserts or updates a row of a synced table. An empty id creates a new
// row. The header (stamp, origin, tombstone) is set here, never by callers.
func (tx *Tx) Put(table, schoolID, id string, f Fields) (Record, error) {
	names, err := tx.s.fieldNames(table, f)
	if err != nil {
		return Record{}, err
	}
	if id == "" {
		id = NewID()
	}
	base, baseOrigin, _, err := tx.version(table, id)
	if err != nil {
		return Record{}, fmt.Errorf("store: put %s: %w", table, err)
	}
	rec := Record{ID: id, SchoolID: schoolID, HLC: tx.s.Clock.Now(), Origin: tx.s.Device}
	if err := tx.upsert(table, rec, names, f); err != nil {
		return Record{}, fmt.Errorf("store: put %s: %w", table, err)
	}
	return rec, tx.logChange(table, rec.ID, base, baseOrigin)
}

// upsert writes a row's header and the named columns of f, inserting the
// row or overwriting those columns of the existing one.
func (tx *Tx) upsert(table string, rec Record, names []string, f map[string]any) error {
	all := append(append([]string{}, syncedMeta...), names...)
	args := []any{rec.ID, rec.SchoolID, int64(rec.HLC), rec.Origin, rec.Deleted}
	for _, n := range names {
		args = append(args, f[n])
	}
	sets := make([]string, 0, len(all)-1)
	for _, c := range all[1:] {
		sets = append(sets, c+"=excluded."+c)
	}
	q := fmt.Sprintf(`INSERT INTO %s (%s) VALUES (%s) ON CONFLICT(id) DO UPDATE SET %s`,
		table, strings.Join(all, ","), strings.TrimSuffix(strings.Repeat("?,", len(all)), ","), strings.Join(sets, ","))
	_, err := tx.exec(q, args...)
	return err
}

// Update changes only the given columns of an existing row of a synced
// table, stamps it anew and logs the change like Put. The row keeps its
// other columns and its tombstone. ErrNotFound if there is no such row.
func (tx *Tx) Update(table, id string, f Fields) (Record, error) {
	names, err := tx.s.fieldNames(table, f)
	if err != nil {
		return Record{}, err
	}
	if len(names) == 0 {
		return Record{}, fmt.Errorf("store: update %s: no columns to change", table)
	}
	base, baseOrigin, ok, err := tx.version(table, id)
	if err != nil {
		return Record{}, fmt.Errorf("store: update %s: %w", table, err)
	}
	if !ok {
		return Record{}, fmt.Errorf("%w: %s %s", ErrNotFound, table, id)
	}
	rec := Record{ID: id, HLC: tx.s.Clock.Now(), Origin: tx.s.Device}
	sets := []string{"hlc=?", "origin=?"}
	args := []any{int64(rec.HLC), rec.Origin}
	for _, n := range names {
		sets = append(sets, n+"=?")
		args = append(args, f[n])
	}
	q := fmt.Sprintf(`UPDATE %s SET %s WHERE id=?`, table, strings.Join(sets, ","))
	if _, err := tx.exec(q, append(args, id)...); err != nil {
		return Record{}, fmt.Errorf("store: update %s: %w", table, err)
	}
	if err := tx.QueryRowContext(tx.ctx, `SELECT school_id, deleted FROM `+table+` WHERE id=?`, id).Scan(&rec.SchoolID, &rec.Deleted); err != nil {
		return Record{}, fmt.Errorf("store: update %s: %w", table, err)
	}
	return rec, tx.logChange(table, id, base, baseOrigin)
}

// fieldNames checks that f names columns of the synced table that callers
// may write (not the header) and returns them sorted.
func (s *Store) fieldNames(table string, f Fields) ([]string, error) {
	cols, err := s.columns(table)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, c := range cols {
		known[c] = true
	}
	names := make([]string, 0, len(f))
	for k := range f {
		if !identRE.MatchString(k) || !known[k] {
			return nil, fmt.Errorf("store: table %s has no column %q", table, k)
		}
		if IsHeader(k) {
			return nil, fmt.Errorf("store: column %q is managed by the store", k)
		}
		names = append(names, k)
	}
	sort.Strings(names)
	return names, nil
}

// IsHeader reports whether col is a column of the synced-record header
// (id, school, stamp, origin, tombstone), which the store manages.
func IsHeader(col string) bool {
	for _, m := range syncedMeta {
		if col == m {
			return true
		}
	}
	return false
}

// ErrNotFound means no row has the given id.
var ErrNotFound = errors.New("store: no such row")

// Delete marks a synced row deleted (a tombstone that syncs) and logs it.
func (tx *Tx) Delete(table, id string) error {
	if _, err := tx.s.columns(table); err != nil {
		return err
	}
	base, baseOrigin, _, err := tx.version(table, id)
	if err != nil {
		return fmt.Errorf("store: delete from %s: %w", table, err)
	}
	res, err := tx.ExecContext(tx.ctx, fmt.Sprintf(`UPDATE %s SET deleted=1, hlc=?, origin=? WHERE id=?`, table),
		int64(tx.s.Clock.Now()), tx.s.Device, id)
	if err != nil {
		return fmt.Errorf("store: delete from %s: %w", table, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %s %s", ErrNotFound, table, id)
	}
	return tx.logChange(table, id, base, baseOrigin)
}

// logChange appends the row's state after a write to the change log,
// with the version it overwrote (zero for a new row).
func (tx *Tx) logChange(table, id string, base HLC, baseOrigin string) error {
	if _, err := tx.exec(tx.logQuery(table)+` WHERE id=?`, table, int64(base), baseOrigin, id); err != nil {
		return fmt.Errorf("store: change log for %s: %w", table, err)
	}
	return nil
}

// logQuery is the statement that copies rows of table into the change log.
func (tx *Tx) logQuery(table string) string {
	cols := tx.s.synced[table]
	pairs := make([]string, 0, 2*len(cols))
	for _, c := range cols {
		pairs = append(pairs, "'"+c+"'", c)
	}
	return fmt.Sprintf(`INSERT INTO changes (tbl,row_id,school_id,hlc,origin,deleted,data,base_hlc,base_origin)
		SELECT ?, id, school_id, hlc, origin, deleted, json_object(%s), ?, ? FROM %s`, strings.Join(pairs, ","), table)
}

// exec runs one of the store's own statements through a prepared
// statement kept for the life of the store: bulk writes (imports, sync
// batches) then parse each statement once, not once per row.
func (tx *Tx) exec(q string, args ...any) (sql.Result, error) {
	st, err := tx.s.prepared(tx.ctx, q)
	if err != nil {
		return nil, err
	}
	return tx.StmtContext(tx.ctx, st).ExecContext(tx.ctx, args...)
}

// prepared returns the statement for q, preparing it on first use.
func (s *Store) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(q); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.DB.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if old, loaded := s.stmts.LoadOrStore(q, st); loaded {
		st.Close()
		return old.(*sql.Stmt), nil
	}
	return st, nil
}

func (s *Store) columns(table string) ([]string, error) {
	cols, ok := s.synced[table]
	if !ok {
		return nil, fmt.Errorf("store: %q is not a synced table", table)
	}
	return cols, nil
}

var errNotQiao = errors.New("this file is not a Qiao database")

// deviceID reads this installation's id, creating it on first start.
func deviceID(ctx context.Context, db *sql.DB) (string, error) {
	id := NewID()
	if _, err := db.ExecContext(ctx, `INSERT OR IGNORE INTO meta(key,value) VALUES('device_id',?)`, id); err != nil {
		return "", fmt.Errorf("store: device id: %w", err)
	}
	err := db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key='device_id'`).Scan(&id)
	return id, err
}
