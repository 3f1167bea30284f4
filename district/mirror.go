package district

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"qiao/metrics"
	"qiao/syncproto"
)

// The mirror keeps, for every table of metrics.Tables, a typed table of
// the same name with the synced columns (id, school_id, hlc, origin,
// deleted) and the listed ones, decoded from the current version of each
// row in sync_rows. It is written in the same transaction as sync_rows
// (applier.putRow), so the indicators computed over it (rollup.go) see
// exactly what the schools synced. A value that is missing or of the
// wrong kind becomes the column's zero value ('' or 0): the mirror never
// refuses a push. Deleted rows stay, with deleted = 1, as in the app.
//
// The mirror is defined by metrics.Tables alone. Its fingerprint (a hash
// of the DDL made from Tables) is kept in settings; when it changes, the
// server rebuilds the mirror from sync_rows at start-up (syncMirror).

// settingMirror is the settings row holding the mirror's fingerprint.
const settingMirror = "metrics_mirror"

// mirrorBatch is how many rows a rebuild copies at a time.
const mirrorBatch = 1000

// mirrorTable is one table of the mirror.
type mirrorTable struct {
	name string
	cols []metrics.Column // besides the synced ones
}

// mirrorDef is the mirror made from a list of tables.
type mirrorDef struct {
	tables []mirrorTable
	byName map[string]*mirrorTable
}

var identRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// syncedCols are the columns every synced table starts with.
var syncedCols = []metrics.Column{{Name: "id", Type: "TEXT"}, {Name: "school_id", Type: "TEXT"},
	{Name: "hlc", Type: "INTEGER"}, {Name: "origin", Type: "TEXT"}, {Name: "deleted", Type: "INTEGER"}}

// newMirrorDef checks ts (plain lower-case names, TEXT or INTEGER, no
// duplicates, none of the synced columns) and makes its mirror.
func newMirrorDef(ts []metrics.Table) (*mirrorDef, error) {
	m := &mirrorDef{byName: map[string]*mirrorTable{}}
	names := map[string]bool{}
	for _, t := range ts {
		if !identRE.MatchString(t.Name) {
			return nil, fmt.Errorf("metrics table name %q is not a plain lower-case SQL name", t.Name)
		}
		if names[t.Name] || t.Name == syncproto.ConflictsTable {
			return nil, fmt.Errorf("metrics table %q is listed twice or is the conflicts table", t.Name)
		}
		seen := map[string]bool{}
		for _, c := range syncedCols {
			seen[c.Name] = true
		}
		for _, c := range t.Columns {
			if !identRE.MatchString(c.Name) || seen[c.Name] || (c.Type != "TEXT" && c.Type != "INTEGER") {
				return nil, fmt.Errorf("metrics table %s: column %q (%s) must be a new plain lower-case name of type TEXT or INTEGER", t.Name, c.Name, c.Type)
			}
			seen[c.Name] = true
		}
		names[t.Name] = true
		m.tables = append(m.tables, mirrorTable{name: t.Name, cols: t.Columns})
	}
	for i := range m.tables {
		m.byName[m.tables[i].name] = &m.tables[i]
	}
	return m, nil
}

// installedMirror is the mirror of metrics.Tables.
func installedMirror() (*mirrorDef, error) {
	m, err := newMirrorDef(metrics.Tables)
	if err != nil {
		return nil, fmt.Errorf("district: the indicators' mirror: %w", err)
	}
	return m, nil
}

func (t *mirrorTable) all() []metrics.Column {
	return append(append([]metrics.Column{}, syncedCols...), t.cols...)
}

func quote(name string) string { return `"` + name + `"` }

// isRef reports whether a column refers to another row (lesson_id …).
func isRef(col string) bool { return strings.HasSuffix(col, "_id") }

// maxKeyText is the longest text an index key column of the mirror holds:
// a longer value (no id or day is that long) is stored empty.
const maxKeyText = 256

// index is an index of t on lead, then deleted; on SQLite then every
// other column but hlc.
func (t *mirrorTable) index(dia dialect, lead ...string) string {
	seen := map[string]bool{"deleted": true, "hlc": true}
	var cols []string
	for _, n := range append(lead, "deleted") {
		cols, seen[n] = append(cols, quote(n)), true
	}
	for _, c := range t.all() {
		if !seen[c.Name] && dia == sqlite {
			cols = append(cols, quote(c.Name))
		}
	}
	return fmt.Sprintf("CREATE INDEX %s ON %s (%s)", quote(t.name+"_by_"+strings.Join(lead, "_")), quote(t.name), strings.Join(cols, ", "))
}

// spanColumn is the column the indicators select a period by: the first
// unix time (at, *_at) or day column of t ("" if none).
func (t *mirrorTable) spanColumn() string {
	for _, c := range t.cols {
		if c.Name == "at" || c.Name == "day" || strings.HasSuffix(c.Name, "_at") {
			return c.Name
		}
	}
	return ""
}

// ddl returns the statements that create t in dialect dia: the table, an
// index on school_id, one on each reference column (*_id), and one on
// school_id and its span column (a reference or span value longer than
// maxKeyText is stored empty).
func (t *mirrorTable) ddl(dia dialect) []string {
	var defs []string
	for _, c := range t.all() {
		typ, zero := "TEXT", "''"
		if c.Type == "INTEGER" {
			typ, zero = "INTEGER", "0"
			if dia == postgres {
				typ = "BIGINT"
			}
		}
		def := quote(c.Name) + " " + typ + " NOT NULL DEFAULT " + zero
		if c.Name == "id" {
			def = quote(c.Name) + " " + typ + " PRIMARY KEY NOT NULL"
		}
		defs = append(defs, def)
	}
	out := []string{"CREATE TABLE " + quote(t.name) + " (" + strings.Join(defs, ", ") + ")",
		fmt.Sprintf("CREATE INDEX %s ON %s (school_id)", quote(t.name+"_by_school"), quote(t.name))}
	// The roll-up reads every school's rows of a term, and follows
	// references (lesson_id, teacher_id …) in joins. On SQLite the indexes
	// in those orders hold every column, so they answer it without
	// visiting the table; PostgreSQL limits an index entry to about 2.7 kB,
	// which a long title could pass, so there they hold the keys only.
	for _, c := range t.cols {
		if isRef(c.Name) {
			out = append(out, t.index(dia, c.Name))
		}
	}
	if span := t.spanColumn(); span != "" {
		out = append(out, t.index(dia, "school_id", span))
	}
	return out
}

// upsert is the statement writing one row of t (? placeholders).
func (t *mirrorTable) upsert() string {
	var names, marks, sets []string
	for _, c := range t.all() {
		names, marks = append(names, quote(c.Name)), append(marks, "?")
		if c.Name != "id" {
			sets = append(sets, quote(c.Name)+" = excluded."+quote(c.Name))
		}
	}
	return "INSERT INTO " + quote(t.name) + " (" + strings.Join(names, ", ") + ") VALUES (" + strings.Join(marks, ", ") +
		") ON CONFLICT (id) DO UPDATE SET " + strings.Join(sets, ", ")
}

// args are the upsert's arguments for one row version.
func (t *mirrorTable) args(id, school string, hlc int64, origin string, deleted bool, data []byte) []any {
	out := []any{id, school, hlc, origin, b2i(deleted)}
	var row map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if dec.Decode(&row) != nil {
		row = nil // not an object: every column is zero
	}
	for _, c := range t.cols {
		if c.Type == "INTEGER" {
			out = append(out, intValue(row[c.Name]))
		} else if v := textValue(row[c.Name]); len(v) > maxKeyText && (isRef(c.Name) || c.Name == t.spanColumn()) {
			out = append(out, "")
		} else {
			out = append(out, v)
		}
	}
	return out
}

// intValue is v as an INTEGER column holds it (0 if it is not a number).
func intValue(v any) int64 {
	switch v := v.(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n
		}
		if f, err := v.Float64(); err == nil && !math.IsInf(f, 0) && math.Abs(f) < 1<<62 {
			return int64(f)
		}
	case string: // SQLite's INTEGER affinity stores "12" as 12
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			return n
		}
	case bool:
		return b2i(v)
	}
	return 0
}

// textValue is v as a TEXT column holds it (empty if it is not a string or number).
func textValue(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

// fingerprint identifies the mirror's definition on a dialect.
func (m *mirrorDef) fingerprint(dia dialect) string {
	h := sha256.New()
	for _, t := range m.tables {
		for _, s := range t.ddl(dia) {
			fmt.Fprintln(h, s)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// mirrorRow writes c to its mirror table, if it has one. It runs in the
// applier's transaction, right after c is stored in sync_rows.
func (ap *applier) mirrorRow(c syncproto.Change) error {
	t := ap.d.mirror.byName[c.Table]
	if t == nil {
		return nil
	}
	st := ap.mirror[c.Table]
	if st == nil {
		var err error
		if st, err = ap.tx.PrepareContext(ap.ctx, ap.d.q(t.upsert())); err != nil {
			return err
		}
		if ap.mirror == nil {
			ap.mirror = map[string]*sql.Stmt{}
		}
		ap.mirror[c.Table] = st
	}
	if _, err := st.ExecContext(ap.ctx, t.args(c.ID, c.SchoolID, int64(c.HLC), c.Origin, c.Deleted, c.Data)...); err != nil {
		return fmt.Errorf("district: mirror %s %s: %w", c.Table, c.ID, err)
	}
	return nil
}

// syncMirror makes the mirror match d.mirror: if its fingerprint in
// settings differs, it drops the mirror tables it made before, creates
// the new ones and fills them from sync_rows, all in one transaction that
// holds the sync counter, so no push lands half-way. A table of
// metrics.Tables that has the name of one of the district's own tables is
// refused, and nothing changes.
func (d *DB) syncMirror(ctx context.Context) error {
	want := d.mirror.fingerprint(d.dialect)
	if have, _ := d.setting(ctx, d.sql, settingMirror); have == want {
		return nil
	}
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := d.lockCounter(ctx, tx); err != nil { // pushes wait for the rebuild
		return err
	}
	if have, _ := d.setting(ctx, tx, settingMirror); have == want { // another process did it
		return nil
	}
	if err := d.rebuildMirror(ctx, tx); err != nil {
		return fmt.Errorf("district: rebuild the indicators' mirror: %w", err)
	}
	if _, err := d.txExec(ctx, tx, `INSERT INTO settings(name, value) VALUES (?, ?)
		ON CONFLICT(name) DO UPDATE SET value = excluded.value`, settingMirror, want); err != nil {
		return err
	}
	return tx.Commit()
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// setting returns the value of a settings row ("" if absent).
func (d *DB) setting(ctx context.Context, q querier, name string) (string, error) {
	var v string
	err := q.QueryRowContext(ctx, d.q(`SELECT value FROM settings WHERE name = ?`), name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

func (d *DB) rebuildMirror(ctx context.Context, tx *sql.Tx) error {
	ours, err := d.stringList(ctx, tx, `SELECT name FROM mirror_tables`)
	if err != nil {
		return err
	}
	listSQL := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if d.dialect == postgres {
		listSQL = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	existing, err := d.stringList(ctx, tx, listSQL)
	if err != nil {
		return err
	}
	mine := map[string]bool{}
	for _, n := range ours {
		mine[n] = true
	}
	for _, n := range existing {
		if d.mirror.byName[n] != nil && !mine[n] {
			return fmt.Errorf("metrics.Tables lists %q, which is one of the district's own tables; rename the mirror's table", n)
		}
	}
	for _, n := range ours {
		if _, err := tx.ExecContext(ctx, "DROP TABLE IF EXISTS "+quote(n)); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM mirror_tables`); err != nil {
		return err
	}
	for i := range d.mirror.tables {
		t := &d.mirror.tables[i]
		for _, s := range t.ddl(d.dialect) {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		if _, err := d.txExec(ctx, tx, `INSERT INTO mirror_tables(name, created) VALUES (?, ?)`, t.name, time.Now().Unix()); err != nil {
			return err
		}
		if err := d.fillMirror(ctx, tx, t); err != nil {
			return err
		}
	}
	return nil
}

// fillMirror copies t's rows from sync_rows, mirrorBatch rows at a time.
func (d *DB) fillMirror(ctx context.Context, tx *sql.Tx, t *mirrorTable) error {
	st, err := tx.PrepareContext(ctx, d.q(t.upsert()))
	if err != nil {
		return err
	}
	defer st.Close()
	type row struct {
		id, school, origin string
		hlc, deleted       int64
		data               string
	}
	after := ""
	for {
		rows, err := d.txQuery(ctx, tx, `SELECT id, school_id, hlc, origin, deleted, data FROM sync_rows
			WHERE tbl = ? AND id > ? ORDER BY id LIMIT ?`, t.name, after, mirrorBatch)
		if err != nil {
			return err
		}
		var batch []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.school, &r.hlc, &r.origin, &r.deleted, &r.data); err != nil {
				rows.Close()
				return err
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range batch {
			if _, err := st.ExecContext(ctx, t.args(r.id, r.school, r.hlc, r.origin, r.deleted != 0, []byte(r.data))...); err != nil {
				return fmt.Errorf("%s %s: %w", t.name, r.id, err)
			}
		}
		if len(batch) < mirrorBatch {
			return nil
		}
		after = batch[len(batch)-1].id
	}
}

func (d *DB) stringList(ctx context.Context, tx *sql.Tx, query string) ([]string, error) {
	rows, err := d.txQuery(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
