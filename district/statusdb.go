package district

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"qiao/syncproto"
)

// Status is what the status page shows (GET /status, GET /status.json).
// Times are unix seconds, 0 for never.
type Status struct {
	Now        int64  `json:"now"`
	Version    string `json:"version,omitempty"`
	Started    int64  `json:"started,omitempty"`
	ServerSeq  int64  `json:"server_seq"`
	RowsStored int64  `json:"rows_stored"`
	// Conflicts7d counts conflict records written (or resolved) in the
	// last 7 days; Errors24h the sync errors of the last 24 hours.
	Conflicts7d int64 `json:"conflicts_7d"`
	Errors24h   int64 `json:"errors_24h"`
	// LibraryPending counts library contributions waiting for review.
	LibraryPending int64          `json:"library_pending"`
	Schools        []StatusSchool `json:"schools"`
	Devices        []StatusDevice `json:"devices"`
	Errors         []StatusError  `json:"errors"` // the latest StatusErrorCount, newest first
}

// StatusSchool is a school's line on the status page.
type StatusSchool struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Code     string `json:"code,omitempty"`
	Devices  int    `json:"devices"`
	Rows     int64  `json:"rows"`      // synced rows in the school's partition
	LastSync int64  `json:"last_sync"` // latest push or pull of any of its devices
}

// StatusDevice is a device's line on the status page.
type StatusDevice struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	SchoolID      string `json:"school_id"`
	School        string `json:"school"`
	Role          string `json:"role"`
	Enrolled      int64  `json:"enrolled"`
	LastSeen      int64  `json:"last_seen"`
	LastPush      int64  `json:"last_push"`
	LastPull      int64  `json:"last_pull"`
	PushedThrough int64  `json:"pushed_through"`
	PulledThrough int64  `json:"pulled_through"`
	// Pending counts the rows of the device's partition (its school and the
	// district-wide rows) after its last pull cursor that it did not write.
	Pending int64 `json:"pending"`
	Revoked int64 `json:"revoked"`
}

// StatusError is a recorded sync error.
type StatusError struct {
	At       int64  `json:"at"`
	DeviceID string `json:"device_id"`
	Device   string `json:"device"` // its name, "" if unknown
	Code     string `json:"code"`
	Message  string `json:"message"`
}

// StatusErrorCount is how many of the latest sync errors the page lists.
const StatusErrorCount = 50

// The status queries, with ? placeholders (rebound by d.q on PostgreSQL).
const (
	statusSeqSQL         = `SELECT seq FROM sync_counter WHERE id = 1`
	statusScopeRowsSQL   = `SELECT scope, count(*) FROM sync_rows GROUP BY scope`
	statusConflictsSQL   = `SELECT count(*) FROM sync_rows WHERE tbl = ? AND hlc >= ?`
	statusErrorsSinceSQL = `SELECT count(*) FROM sync_errors WHERE at >= ?`
	statusLibrarySQL     = `SELECT count(*) FROM library_contributions WHERE state = 'pending'`
	statusSchoolsSQL     = `SELECT id, name, coalesce(code, '') FROM schools ORDER BY name, id`
	// One indexed range count (sync_rows(scope, seq)) per device.
	statusDevicesSQL = `SELECT d.id, d.name, d.school_id, d.role, d.enrolled_at, coalesce(d.revoked_at, 0), coalesce(d.last_seen, 0),
		coalesce(sd.pushed_through, 0), coalesce(sd.pulled_through, 0), coalesce(sd.last_push, 0), coalesce(sd.last_pull, 0),
		(SELECT count(*) FROM sync_rows r WHERE r.scope IN (d.school_id, '') AND r.seq > coalesce(sd.pulled_through, 0) AND r.origin <> d.id)
		FROM devices d JOIN schools s ON s.id = d.school_id LEFT JOIN sync_devices sd ON sd.device_id = d.id
		ORDER BY s.name, s.id, d.name, d.id`
	statusErrorsSQL = `SELECT e.at, e.device_id, coalesce(d.name, ''), e.code, e.message
		FROM sync_errors e LEFT JOIN devices d ON d.id = e.device_id
		ORDER BY e.at DESC LIMIT ?`
)

// Status reads the status page's data as of now, from one snapshot.
func (d *DB) Status(ctx context.Context, now time.Time) (Status, error) {
	st := Status{Now: now.Unix(), Schools: []StatusSchool{}, Devices: []StatusDevice{}, Errors: []StatusError{}}
	tx, err := d.readTx(ctx)
	if err != nil {
		return st, err
	}
	defer tx.Rollback()
	cutoff := uint64(now.Add(-7*24*time.Hour).UnixMilli()) << 16 // an HLC stamp: milliseconds in the high 48 bits
	for _, c := range []struct {
		dst  *int64
		q    string
		args []any
	}{
		{&st.ServerSeq, statusSeqSQL, nil},
		{&st.Conflicts7d, statusConflictsSQL, []any{syncproto.ConflictsTable, int64(cutoff)}},
		{&st.Errors24h, statusErrorsSinceSQL, []any{now.Add(-24 * time.Hour).Unix()}},
		{&st.LibraryPending, statusLibrarySQL, nil},
	} {
		if err := d.txQueryRow(ctx, tx, c.q, c.args...).Scan(c.dst); err != nil {
			return st, fmt.Errorf("district: status: %w", err)
		}
	}
	index, err := d.statusSchools(ctx, tx, &st)
	if err != nil {
		return st, fmt.Errorf("district: status: %w", err)
	}
	if err := d.statusDevices(ctx, tx, &st, index); err != nil {
		return st, fmt.Errorf("district: status: %w", err)
	}
	if err := d.statusErrors(ctx, tx, &st); err != nil {
		return st, fmt.Errorf("district: status: %w", err)
	}
	return st, nil
}

// statusSchools reads the schools and their row counts; it returns each
// school's index in st.Schools by id.
func (d *DB) statusSchools(ctx context.Context, tx *sql.Tx, st *Status) (map[string]int, error) {
	rows, err := d.txQuery(ctx, tx, statusSchoolsSQL)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var s StatusSchool
		if err := rows.Scan(&s.ID, &s.Name, &s.Code); err != nil {
			return nil, err
		}
		st.Schools = append(st.Schools, s)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	index := make(map[string]int, len(st.Schools))
	for i, s := range st.Schools {
		index[s.ID] = i
	}
	counts, err := d.txQuery(ctx, tx, statusScopeRowsSQL)
	if err != nil {
		return nil, err
	}
	defer counts.Close()
	for counts.Next() {
		var scope string
		var n int64
		if err := counts.Scan(&scope, &n); err != nil {
			return nil, err
		}
		st.RowsStored += n
		if i, ok := index[scope]; ok {
			st.Schools[i].Rows = n
		}
	}
	return index, counts.Err()
}

// statusDevices reads the devices with their pending rows, and adds them
// up per school.
func (d *DB) statusDevices(ctx context.Context, tx *sql.Tx, st *Status, index map[string]int) error {
	rows, err := d.txQuery(ctx, tx, statusDevicesSQL)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var v StatusDevice
		if err := rows.Scan(&v.ID, &v.Name, &v.SchoolID, &v.Role, &v.Enrolled, &v.Revoked, &v.LastSeen,
			&v.PushedThrough, &v.PulledThrough, &v.LastPush, &v.LastPull, &v.Pending); err != nil {
			return err
		}
		if i, ok := index[v.SchoolID]; ok {
			s := &st.Schools[i]
			v.School = s.Name
			s.Devices++
			s.LastSync = max(s.LastSync, v.LastPush, v.LastPull)
		}
		st.Devices = append(st.Devices, v)
	}
	return rows.Err()
}

func (d *DB) statusErrors(ctx context.Context, tx *sql.Tx, st *Status) error {
	rows, err := d.txQuery(ctx, tx, statusErrorsSQL, StatusErrorCount)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e StatusError
		if err := rows.Scan(&e.At, &e.DeviceID, &e.Device, &e.Code, &e.Message); err != nil {
			return err
		}
		st.Errors = append(st.Errors, e)
	}
	return rows.Err()
}

// The status page's password: its settings rows hold a salted, slow
// PBKDF2-SHA256 hash of it ("pbkdf2-sha256$ITER$SALT$HASH", base64),
// never the password.
const (
	settingStatusPassword = "status_password"
	// settingStatusLoopback is "password" when loopback clients need the
	// password too (a reverse proxy on the same machine).
	settingStatusLoopback = "status_loopback"

	statusHashIter = 600_000
	statusHashLen  = 32

	// MinStatusPassword and MaxStatusPassword bound the password's length in bytes.
	MinStatusPassword = 10
	MaxStatusPassword = 1024
)

// StatusAccess is the status page's access setting.
type StatusAccess struct {
	PasswordHash     string // "" if no password is set
	PasswordLoopback bool   // loopback clients need the password too
}

// SetStatusPassword sets the password that admits remote clients to the
// status page (HTTP Basic auth, any user name); loopback says whether
// loopback clients need it too. An empty password removes it, and with it
// all remote access.
func (d *DB) SetStatusPassword(ctx context.Context, password string, loopback bool) error {
	if password != "" {
		switch {
		case len(password) < MinStatusPassword || len(password) > MaxStatusPassword:
			return fmt.Errorf("district: the status password must be %d to %d bytes long", MinStatusPassword, MaxStatusPassword)
		case !utf8.ValidString(password) || strings.ContainsAny(password, "\r\n\x00"):
			return errors.New("district: the status password must be UTF-8 text on one line")
		}
	}
	hash := ""
	if password != "" {
		var err error
		if hash, err = hashStatusPassword(password); err != nil {
			return err
		}
	}
	lb := ""
	if loopback && password != "" {
		lb = "password"
	}
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, kv := range [][2]string{{settingStatusPassword, hash}, {settingStatusLoopback, lb}} {
		if _, err := d.txExec(ctx, tx, `DELETE FROM settings WHERE name = ?`, kv[0]); err != nil {
			return fmt.Errorf("district: status password: %w", err)
		}
		if kv[1] == "" {
			continue
		}
		if _, err := d.txExec(ctx, tx, `INSERT INTO settings(name, value) VALUES (?, ?)`, kv[0], kv[1]); err != nil {
			return fmt.Errorf("district: status password: %w", err)
		}
	}
	return tx.Commit()
}

// StatusAccess reads the status page's access setting.
func (d *DB) StatusAccess(ctx context.Context) (StatusAccess, error) {
	var a StatusAccess
	rows, err := d.query(ctx, `SELECT name, value FROM settings WHERE name IN (?, ?)`, settingStatusPassword, settingStatusLoopback)
	if err != nil {
		return a, err
	}
	defer rows.Close()
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return a, err
		}
		switch name {
		case settingStatusPassword:
			a.PasswordHash = value
		case settingStatusLoopback:
			a.PasswordLoopback = value == "password"
		}
	}
	return a, rows.Err()
}

func hashStatusPassword(password string) (string, error) {
	salt := make([]byte, 16)
	rand.Read(salt)
	key, err := pbkdf2.Key(sha256.New, password, salt, statusHashIter, statusHashLen)
	if err != nil {
		return "", err
	}
	enc := base64.RawStdEncoding
	return "pbkdf2-sha256$" + strconv.Itoa(statusHashIter) + "$" + enc.EncodeToString(salt) + "$" + enc.EncodeToString(key), nil
}

// checkStatusPassword reports whether password matches hash; a malformed
// hash matches nothing.
func checkStatusPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 || iter > 10_000_000 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[2])
	want, err2 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(want) == 0 || len(password) > MaxStatusPassword {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iter, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}
