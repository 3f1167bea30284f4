package district

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
	"unicode/utf8"

	"qiao/store"
	"qiao/syncproto"
)

// scopeOf is the partition a row is read in: "" (every school) for
// district-wide rows and the list of schools, else the row's school.
func scopeOf(table, school string) string {
	if school == "" || table == "schools" {
		return ""
	}
	return school
}

// ErrPartition refuses a change outside the device's partition.
func errPartition(i int, c syncproto.Change, why string) *APIError {
	return &APIError{Status: 403, Code: "partition", Message: fmt.Sprintf(
		"change %d (%s %s): %s; the whole batch was refused", i+1, c.Table, c.ID, why)}
}

// maxAhead is how far in the future a change's clock stamp may be. A
// device's requests are within MaxClockSkew of the server's clock, so its
// stamps are too, unless its clock was wrong when it wrote them.
const maxAhead = time.Hour

// writable checks that dev may write change c (the i-th of its batch).
func writable(dev Device, i int, c syncproto.Change, now time.Time) *APIError {
	switch {
	case store.HLC(c.HLC).Wall().After(now.Add(maxAhead)):
		return errPartition(i, c, "its clock stamp "+store.HLC(c.HLC).String()+" is in the future; fix the device's clock")
	case c.SchoolID == "" && dev.Role != RoleDistrictAdmin:
		return errPartition(i, c, "only a district administrator's device may write district-wide rows")
	case c.SchoolID != "" && c.SchoolID != dev.SchoolID:
		return errPartition(i, c, "the row belongs to school "+c.SchoolID+", not to this device's school")
	case c.Table == "schools" && c.ID != c.SchoolID:
		return errPartition(i, c, "a school's row must be in its own partition")
	case c.Origin != dev.ID:
		return errPartition(i, c, "the change was not made by this device (origin "+c.Origin+")")
	}
	return nil
}

// current is the header of a row's current version on the server.
type current struct {
	school  string
	hlc     uint64
	origin  string
	deleted bool
	data    string
}

// ApplyPush applies a device's batch in one transaction: all of it, or
// none of it if any change is outside the device's partition.
func (d *DB) ApplyPush(ctx context.Context, dev Device, cs []syncproto.Change, now time.Time) (syncproto.PushResult, error) {
	var res syncproto.PushResult
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return res, err
	}
	defer tx.Rollback()
	ap, err := d.newApplier(ctx, tx)
	if err != nil {
		return res, err
	}
	defer ap.close()
	if err := ap.apply(dev, cs, now, &res); err != nil {
		return res, err
	}
	if res.Through, err = ap.finish(dev, now); err != nil {
		return res, err
	}
	return res, tx.Commit()
}

// applier applies changes inside one transaction that holds the sequence
// counter; a batch or a whole offline bundle goes through one applier.
type applier struct {
	d       *DB
	ctx     context.Context
	tx      *sql.Tx
	seq     int64 // last sequence number given out
	through int64 // highest device seq applied
	seen    *sql.Stmt
	cur     *sql.Stmt
	put     *sql.Stmt
	mirror  map[string]*sql.Stmt // the indicators' mirror upserts, by table (mirror.go)
}

func (d *DB) newApplier(ctx context.Context, tx *sql.Tx) (*applier, error) {
	ap := &applier{d: d, ctx: ctx, tx: tx}
	var err error
	if ap.seq, err = d.lockCounter(ctx, tx); err != nil {
		return nil, err
	}
	for _, s := range []struct {
		st **sql.Stmt
		q  string
	}{{&ap.seen, seenSQL}, {&ap.cur, currentSQL}, {&ap.put, putSQL}} {
		if *s.st, err = tx.PrepareContext(ctx, d.q(s.q)); err != nil {
			ap.close()
			return nil, err
		}
	}
	return ap, nil
}

func (ap *applier) close() {
	for _, st := range []*sql.Stmt{ap.seen, ap.cur, ap.put} {
		if st != nil {
			st.Close()
		}
	}
	for _, st := range ap.mirror {
		st.Close()
	}
}

// apply applies a device's changes, checking each against its partition.
func (ap *applier) apply(dev Device, cs []syncproto.Change, now time.Time, res *syncproto.PushResult) error {
	for i, c := range cs {
		if !utf8.Valid(c.Data) {
			// SQLite would store it, PostgreSQL's text refuses it: refuse on both.
			return &APIError{Status: 400, Code: "bad_batch", Message: fmt.Sprintf(
				"change %d (%s %s): row data is not valid UTF-8; the whole batch was refused", i+1, c.Table, c.ID)}
		}
		if e := writable(dev, i, c, now); e != nil {
			return e
		}
	}
	for i, c := range cs {
		ap.d.clock.Observe(store.HLC(c.HLC))
		ap.through = max(ap.through, c.Seq)
		r, err := ap.seen.ExecContext(ap.ctx, c.Table, c.ID, int64(c.HLC), c.Origin)
		if err != nil {
			return err
		}
		n, err := r.RowsAffected()
		if err != nil {
			return err
		}
		fresh := n == 1
		cur, exists, err := scanCurrent(ap.cur.QueryRowContext(ap.ctx, c.Table, c.ID))
		if err != nil {
			return err
		}
		if exists && cur.school != c.SchoolID {
			return errPartition(i, c, "a row with this id already belongs to another partition")
		}
		if !fresh {
			res.Stale++
			continue
		}
		if exists && !store.Wins(store.HLC(c.HLC), c.Origin, store.HLC(cur.hlc), cur.origin) {
			res.Stale++
			if c.Origin != cur.origin && c.Table != syncproto.ConflictsTable {
				if err := ap.conflict(c.Table, c.ID, c.SchoolID, cur.hlc, cur.origin, loser{c.HLC, c.Origin, c.Deleted, string(c.Data)}); err != nil {
					return err
				}
				res.Conflicts++
			}
			continue
		}
		if err := ap.putRow(c); err != nil {
			return err
		}
		res.Applied++
		concurrent := exists && cur.origin != c.Origin && (c.BaseHLC != cur.hlc || c.BaseOrigin != cur.origin)
		if concurrent && c.Table != syncproto.ConflictsTable {
			if err := ap.conflict(c.Table, c.ID, c.SchoolID, c.HLC, c.Origin, loser{cur.hlc, cur.origin, cur.deleted, cur.data}); err != nil {
				return err
			}
			res.Conflicts++
		}
	}
	return nil
}

// finish stores the counter and the device's push checkpoint, and returns
// the checkpoint. The caller commits.
func (ap *applier) finish(dev Device, now time.Time) (int64, error) {
	if err := ap.d.setCounter(ap.ctx, ap.tx, ap.seq); err != nil {
		return 0, err
	}
	if _, err := ap.d.txExec(ap.ctx, ap.tx, `INSERT INTO sync_devices(device_id, pushed_through, last_push) VALUES (?,?,?)
		ON CONFLICT(device_id) DO UPDATE SET pushed_through = CASE WHEN excluded.pushed_through > sync_devices.pushed_through
		THEN excluded.pushed_through ELSE sync_devices.pushed_through END, last_push = excluded.last_push`,
		dev.ID, ap.through, now.Unix()); err != nil {
		return 0, err
	}
	var through int64
	err := ap.d.txQueryRow(ap.ctx, ap.tx, `SELECT pushed_through FROM sync_devices WHERE device_id = ?`, dev.ID).Scan(&through)
	return through, err
}

// putRow makes c the current version of its row with the next sequence
// number, and updates the indicators' mirror of it (mirror.go).
func (ap *applier) putRow(c syncproto.Change) error {
	ap.seq++
	if _, err := ap.put.ExecContext(ap.ctx, putArgs(c, ap.seq)...); err != nil {
		return fmt.Errorf("district: store %s %s: %w", c.Table, c.ID, err)
	}
	return ap.mirrorRow(c)
}

// lockCounter takes the sequence counter for the transaction: writers
// queue here, so their sequence numbers commit in order.
func (d *DB) lockCounter(ctx context.Context, tx *sql.Tx) (int64, error) {
	var seq int64
	err := d.txQueryRow(ctx, tx, `UPDATE sync_counter SET seq = seq WHERE id = 1 RETURNING seq`).Scan(&seq)
	return seq, err
}

func (d *DB) setCounter(ctx context.Context, tx *sql.Tx, seq int64) error {
	_, err := d.txExec(ctx, tx, `UPDATE sync_counter SET seq = ? WHERE id = 1`, seq)
	return err
}

const (
	seenSQL    = `INSERT INTO sync_seen(tbl, id, hlc, origin) VALUES (?,?,?,?) ON CONFLICT DO NOTHING`
	currentSQL = `SELECT school_id, hlc, origin, deleted, data FROM sync_rows WHERE tbl = ? AND id = ?`
	putSQL     = `INSERT INTO sync_rows(tbl, id, school_id, scope, hlc, origin, deleted, base_hlc, base_origin, data, seq)
		VALUES (?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT(tbl, id) DO UPDATE SET school_id = excluded.school_id, scope = excluded.scope, hlc = excluded.hlc,
		origin = excluded.origin, deleted = excluded.deleted, base_hlc = excluded.base_hlc, base_origin = excluded.base_origin,
		data = excluded.data, seq = excluded.seq`
)

func scanCurrent(row *sql.Row) (current, bool, error) {
	var c current
	var h, del int64
	err := row.Scan(&c.school, &h, &c.origin, &del, &c.data)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	c.hlc, c.deleted = uint64(h), del != 0
	return c, err == nil, err
}

func putArgs(c syncproto.Change, seq int64) []any {
	return []any{c.Table, c.ID, c.SchoolID, scopeOf(c.Table, c.SchoolID), int64(c.HLC), c.Origin, b2i(c.Deleted),
		int64(c.BaseHLC), c.BaseOrigin, string(c.Data), seq}
}

// loser is the version of a row that lost a conflict.
type loser struct {
	hlc     uint64
	origin  string
	deleted bool
	data    string
}

// conflict keeps the losing version of a row as a row of the conflicts
// table, in the row's partition, so it reaches the school.
func (ap *applier) conflict(table, id, school string, winHLC uint64, winOrigin string, l loser) error {
	rec := syncproto.Change{Table: syncproto.ConflictsTable, ID: newID(), SchoolID: school,
		HLC: uint64(ap.d.clock.Now()), Origin: syncproto.DistrictOrigin}
	data, err := json.Marshal(map[string]any{
		"id": rec.ID, "school_id": school, "hlc": rec.HLC, "origin": rec.Origin, "deleted": 0,
		"tbl": table, "row_id": id, "winner_hlc": winHLC, "winner_origin": winOrigin,
		"loser_hlc": l.hlc, "loser_origin": l.origin, "loser_deleted": l.deleted, "loser_data": l.data, "resolved": 0,
	})
	if err != nil {
		return err
	}
	rec.Data = data
	return ap.putRow(rec)
}

// putDistrictRow writes a row the district itself owns (a school's entry
// in the list of schools) as a new version with its own sequence number.
func (d *DB) putDistrictRow(ctx context.Context, tx *sql.Tx, table, id, school string, fields map[string]any) error {
	ap, err := d.newApplier(ctx, tx)
	if err != nil {
		return err
	}
	defer ap.close()
	c := syncproto.Change{Table: table, ID: id, SchoolID: school, HLC: uint64(d.clock.Now()), Origin: syncproto.DistrictOrigin}
	cur, exists, err := scanCurrent(ap.cur.QueryRowContext(ctx, table, id))
	if err != nil {
		return err
	}
	row := map[string]any{}
	if exists {
		if err := json.Unmarshal([]byte(cur.data), &row); err != nil {
			return err
		}
		c.BaseHLC, c.BaseOrigin = cur.hlc, cur.origin
	}
	for k, v := range fields {
		row[k] = v
	}
	row["id"], row["school_id"], row["hlc"], row["origin"], row["deleted"] = id, school, c.HLC, c.Origin, 0
	if c.Data, err = json.Marshal(row); err != nil {
		return err
	}
	if _, err := ap.seen.ExecContext(ctx, c.Table, c.ID, int64(c.HLC), c.Origin); err != nil {
		return err
	}
	if err := ap.putRow(c); err != nil {
		return err
	}
	return d.setCounter(ctx, tx, ap.seq)
}

// Pull returns the next page of rows dev may read with sequence numbers
// after the cursor, oldest first. Unless withOwn is set (a full pull, from
// the start, page after page), rows whose current version the device
// wrote itself are left out: it has them.
func (d *DB) Pull(ctx context.Context, dev Device, after int64, limit int, withOwn bool, now time.Time) (syncproto.Page, error) {
	page, err := d.readPage(ctx, dev, after, limit, withOwn)
	if err != nil {
		return page, err
	}
	_, err = d.exec(ctx, `INSERT INTO sync_devices(device_id, pulled_through, last_pull) VALUES (?,?,?)
		ON CONFLICT(device_id) DO UPDATE SET pulled_through = excluded.pulled_through, last_pull = excluded.last_pull`,
		dev.ID, after, now.Unix())
	return page, err
}

// readPage is Pull without recording the device's pull checkpoint (a
// return bundle reads pages the device has not received yet).
func (d *DB) readPage(ctx context.Context, dev Device, after int64, limit int, withOwn bool) (syncproto.Page, error) {
	page := syncproto.Page{Changes: []syncproto.Change{}}
	tx, err := d.readTx(ctx)
	if err != nil {
		return page, err
	}
	defer tx.Rollback()
	var top int64
	if err := d.txQueryRow(ctx, tx, `SELECT seq FROM sync_counter WHERE id = 1`).Scan(&top); err != nil {
		return page, err
	}
	own := dev.ID
	if withOwn {
		own = ""
	}
	cutoff, full := int64(0), false
	for _, scope := range []string{dev.SchoolID, ""} {
		rows, err := d.scopeRows(ctx, tx, scope, after, own, limit)
		if err != nil {
			return page, err
		}
		if len(rows) == limit && (!full || rows[len(rows)-1].Seq < cutoff) {
			cutoff, full = rows[len(rows)-1].Seq, true
		}
		page.Changes = append(page.Changes, rows...)
	}
	sort.Slice(page.Changes, func(i, j int) bool { return page.Changes[i].Seq < page.Changes[j].Seq })
	if full {
		n := sort.Search(len(page.Changes), func(i int) bool { return page.Changes[i].Seq > cutoff })
		page.Changes = page.Changes[:n]
	}
	if len(page.Changes) > limit {
		page.Changes, full = page.Changes[:limit], true
	}
	page.More = full
	if full {
		page.Next = page.Changes[len(page.Changes)-1].Seq
	} else {
		page.Next = max(after, top)
	}
	if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return page, err
	}
	return page, nil
}

func (d *DB) scopeRows(ctx context.Context, tx *sql.Tx, scope string, after int64, own string, limit int) ([]syncproto.Change, error) {
	rows, err := d.txQuery(ctx, tx, `SELECT seq, tbl, id, school_id, hlc, origin, deleted, base_hlc, base_origin, data
		FROM sync_rows WHERE scope = ? AND seq > ? AND origin <> ? ORDER BY seq LIMIT ?`, scope, after, own, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []syncproto.Change
	for rows.Next() {
		var c syncproto.Change
		var h, b, del int64
		var data string
		if err := rows.Scan(&c.Seq, &c.Table, &c.ID, &c.SchoolID, &h, &c.Origin, &del, &b, &c.BaseOrigin, &data); err != nil {
			return nil, err
		}
		c.HLC, c.BaseHLC, c.Deleted, c.Data = uint64(h), uint64(b), del != 0, json.RawMessage(data)
		out = append(out, c)
	}
	return out, rows.Err()
}

// SyncState returns the server's checkpoints for dev.
func (d *DB) SyncState(ctx context.Context, dev Device) (syncproto.State, error) {
	var st syncproto.State
	err := d.queryRow(ctx, `SELECT c.seq, coalesce((SELECT pushed_through FROM sync_devices WHERE device_id = ?), 0)
		FROM sync_counter c WHERE c.id = 1`, dev.ID).Scan(&st.ServerSeq, &st.PushedThrough)
	return st, err
}

// LogSyncError records a refused batch or other sync error for the status page.
// Errors older than errorsKept are dropped, so a misbehaving device cannot
// grow the table without end.
func (d *DB) LogSyncError(ctx context.Context, device, code, msg string, now time.Time) {
	d.exec(ctx, `INSERT INTO sync_errors(at, device_id, code, message) VALUES (?,?,?,?)`, now.Unix(), device, code, msg)
	d.exec(ctx, `DELETE FROM sync_errors WHERE at < ?`, now.Add(-errorsKept).Unix())
}

const errorsKept = 30 * 24 * time.Hour

// rowVersion returns the current version of a row (zero if absent).
func (d *DB) rowVersion(ctx context.Context, table, id string) (uint64, string) {
	var h int64
	var origin string
	d.queryRow(ctx, `SELECT hlc, origin FROM sync_rows WHERE tbl = ? AND id = ?`, table, id).Scan(&h, &origin)
	return uint64(h), origin
}
