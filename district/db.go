package district

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"qiao/store"

	_ "modernc.org/sqlite" // pure-Go SQLite driver
)

// DBFile is the name of the embedded database inside the data directory.
const DBFile = "district.db"

// applicationID marks a district database ("QIAD"); the app's store uses
// a different one, so neither opens the other's file by mistake.
const applicationID = 0x51494144

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Roles a device can enrol with.
const (
	RoleTeacher       = "teacher"
	RolePrincipal     = "principal"
	RoleDistrictAdmin = "district_admin"
)

// ValidRole reports whether r is one of the roles above.
func ValidRole(r string) bool {
	return r == RoleTeacher || r == RolePrincipal || r == RoleDistrictAdmin
}

// DB is the district server's database: SQLite or PostgreSQL (see
// dialect.go). Every SQL string goes through d.q, which rebinds the ?
// placeholders for PostgreSQL, or through the wrappers d.exec, d.query,
// d.queryRow and, in a transaction, d.txExec, d.txQuery, d.txQueryRow.
// Write portable SQL: ? placeholders, ON CONFLICT, RETURNING, coalesce;
// booleans as 0/1 integers (b2i); read-only snapshots with d.readTx.
type DB struct {
	sql     *sql.DB // writes, and small reads; on SQLite one connection (see OpenDB)
	read    *sql.DB // read-only snapshots (readTx); the same pool on PostgreSQL
	dialect dialect
	clock   *store.Clock // stamps the rows the district writes itself
	mirror  *mirrorDef   // the indicators' mirror (mirror.go)
}

// Open opens the district database: PostgreSQL if databaseURL is a
// postgres:// URL, else SQLite in dataDir (see OpenDB). An unknown kind of
// URL is refused.
func Open(ctx context.Context, dataDir, databaseURL string) (*DB, error) {
	switch {
	case databaseURL == "":
		return OpenDB(ctx, dataDir)
	case IsPostgresURL(databaseURL):
		return OpenPostgres(ctx, databaseURL)
	}
	return nil, errors.New("district: the database URL must start with postgres:// (or be empty for SQLite in the data directory)")
}

// OpenDB opens (creating and migrating if needed) DIR/district.db in WAL
// mode with a busy timeout, so the admin commands can run while the
// server is serving.
func OpenDB(ctx context.Context, dir string) (*DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_txlock", "immediate")
	file := store.FileURI(filepath.Join(dir, DBFile))
	db, err := sql.Open("sqlite", file+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("district: open database: %w", err)
	}
	// SQLite has one writer at a time. With one connection for writes,
	// requests queue for it in Go, in order and under their own
	// deadlines, instead of spinning in SQLite's busy handler until it
	// gives up ("database is locked") when 200 devices sync at once.
	// Snapshot reads (pull pages, the status page) use a separate pool.
	db.SetMaxOpenConns(1)
	d, err := openWith(ctx, db, sqlite)
	if err != nil {
		return nil, err
	}
	r := url.Values{}
	r.Add("_pragma", "busy_timeout(10000)")
	r.Add("_pragma", "query_only(1)")
	if d.read, err = sql.Open("sqlite", file+"?"+r.Encode()); err != nil {
		db.Close()
		return nil, fmt.Errorf("district: open database: %w", err)
	}
	d.read.SetMaxOpenConns(8)
	return d, nil
}

// OpenPostgres opens (migrating if needed) the PostgreSQL database at
// url (postgres://user@host/db?...). Several server processes may share
// it; their migrations are serialized by an advisory lock.
func OpenPostgres(ctx context.Context, url string) (*DB, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("district: open database: %w", err)
	}
	db.SetMaxOpenConns(pgMaxConns)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("district: connect to PostgreSQL: %w", err)
	}
	return openWith(ctx, db, postgres)
}

// pgMaxConns bounds one process's connections to PostgreSQL; writers
// queue on the sequence counter anyway.
const pgMaxConns = 16

func openWith(ctx context.Context, db *sql.DB, dia dialect) (*DB, error) {
	d := &DB{sql: db, read: db, dialect: dia}
	var err error
	if d.mirror, err = installedMirror(); err != nil { // mirror.go
		db.Close()
		return nil, err
	}
	if err := d.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := d.syncMirror(ctx); err != nil { // mirror.go
		db.Close()
		return nil, err
	}
	var top int64
	if err := d.queryRow(ctx, `SELECT coalesce(max(hlc), 0) FROM sync_rows`).Scan(&top); err != nil {
		db.Close()
		return nil, err
	}
	d.clock = store.NewClock(store.HLC(top))
	return d, nil
}

// Close closes the database.
func (d *DB) Close() error {
	if d.read != d.sql {
		d.read.Close()
	}
	return d.sql.Close()
}

// pgMigrationLock is the key of the advisory lock that serializes the
// migrations of server processes starting at once on one PostgreSQL
// database ("QIAD").
const pgMigrationLock = applicationID

// migrate applies the embedded migrations (NNNN_name.sql, numbered 1,2,3…
// without gaps) in one transaction, tracked by PRAGMA user_version on
// SQLite and by the schema_version table on PostgreSQL.
func (d *DB) migrate(ctx context.Context) error {
	entries, err := migrationFiles.ReadDir("migrations")
	if err != nil {
		return err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("district: begin migration: %w", err)
	}
	defer tx.Rollback()
	appID, have, err := d.schemaVersion(ctx, tx)
	if err != nil {
		return err
	}
	if appID != applicationID && (appID != 0 || have != 0) {
		if d.dialect == postgres {
			return errors.New("district: the PostgreSQL database is not a Qiao district database (it has other tables); give the server an empty database of its own")
		}
		return errors.New("district: " + DBFile + " is not a Qiao district database")
	}
	if have > len(entries) {
		return fmt.Errorf("district: database is at schema version %d but this server knows only up to %d: run the newer qiao-district", have, len(entries))
	}
	for i, e := range entries[have:] {
		v := have + i + 1
		num, _, _ := strings.Cut(e.Name(), "_")
		if n, err := strconv.Atoi(num); err != nil || n != v {
			return fmt.Errorf("district: migration %q out of sequence (want %04d_…)", e.Name(), v)
		}
		body, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return err
		}
		stmt := string(body)
		if d.dialect == postgres {
			stmt = pgSchema(stmt)
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("district: migration %s: %w", e.Name(), err)
		}
	}
	if have == len(entries) {
		return nil
	}
	if d.dialect == postgres {
		_, err = tx.ExecContext(ctx, `UPDATE schema_version SET version = $1, application_id = $2 WHERE id = 1`, len(entries), applicationID)
	} else {
		// PRAGMAs take no bound parameters; both values are integers we control.
		_, err = tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d; PRAGMA application_id = %d`, len(entries), applicationID))
	}
	if err != nil {
		return err
	}
	return tx.Commit()
}

// schemaVersion returns the database's application id and schema version
// (0, 0 for a new, empty database). On PostgreSQL it first takes the
// migration lock for the transaction and creates the schema_version table
// if missing; a database with other tables but no schema_version is
// reported as foreign (application id -1).
func (d *DB) schemaVersion(ctx context.Context, tx *sql.Tx) (appID, version int, err error) {
	if d.dialect == sqlite {
		if err := tx.QueryRowContext(ctx, `PRAGMA application_id`).Scan(&appID); err != nil {
			return 0, 0, fmt.Errorf("district: open database: %w", err)
		}
		err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version)
		return appID, version, err
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, pgMigrationLock); err != nil {
		return 0, 0, fmt.Errorf("district: migration lock: %w", err)
	}
	var ours, tables int
	if err := tx.QueryRowContext(ctx, `SELECT
		count(*) FILTER (WHERE table_name = 'schema_version'), count(*)
		FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&ours, &tables); err != nil {
		return 0, 0, fmt.Errorf("district: open database: %w", err)
	}
	if ours == 0 {
		if tables > 0 {
			return -1, 0, nil
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE schema_version (
			id INTEGER PRIMARY KEY CHECK (id = 1),
			version BIGINT NOT NULL,
			application_id BIGINT NOT NULL);
			INSERT INTO schema_version(id, version, application_id) VALUES (1, 0, 0)`); err != nil {
			return 0, 0, fmt.Errorf("district: create schema_version: %w", err)
		}
	}
	err = tx.QueryRowContext(ctx, `SELECT application_id, version FROM schema_version WHERE id = 1`).Scan(&appID, &version)
	return appID, version, err
}

// newID returns a random UUIDv7 (time-ordered) as text.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	ms := uint64(time.Now().UnixMilli())
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], ms)
	copy(b[:6], ts[2:])
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// School is a school of the district.
type School struct {
	ID, Name, Code string
}

// AddSchool creates a school and returns its id. code is the school's own
// (e.g. national) code: optional, unique when given.
func (d *DB) AddSchool(ctx context.Context, name, code string) (string, error) {
	name, code = strings.TrimSpace(name), strings.TrimSpace(code)
	if name == "" {
		return "", errors.New("district: a school needs a name")
	}
	var c any
	if code != "" {
		c = code
	}
	id := newID()
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	_, err = d.txExec(ctx, tx, `INSERT INTO schools(id, name, code, created_at) VALUES (?,?,?,?)`,
		id, name, c, time.Now().Unix())
	if err != nil {
		if isUnique(err) {
			return "", fmt.Errorf("district: a school with code %q already exists", code)
		}
		return "", fmt.Errorf("district: add school: %w", err)
	}
	// The school's entry in the synced list of schools, read by every device.
	if err := d.putDistrictRow(ctx, tx, "schools", id, id, map[string]any{"name": name, "code": code}); err != nil {
		return "", fmt.Errorf("district: add school: %w", err)
	}
	return id, tx.Commit()
}

// Schools lists the schools by name.
func (d *DB) Schools(ctx context.Context) ([]School, error) {
	rows, err := d.query(ctx, `SELECT id, name, coalesce(code,'') FROM schools ORDER BY name, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []School
	for rows.Next() {
		var s School
		if err := rows.Scan(&s.ID, &s.Name, &s.Code); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// codeAlphabet has 32 symbols and none of the easily confused 0, O, 1, I.
const codeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// CodeLen is the length of an enrolment code (60 random bits).
const CodeLen = 12

// NormalizeCode upper-cases a typed code and drops spaces and dashes.
func NormalizeCode(code string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(code) {
		if r != ' ' && r != '-' && r != '\t' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func hashCode(code string) string {
	sum := sha256.Sum256([]byte("qiao-enrolment-code-v1\n" + NormalizeCode(code)))
	return hex.EncodeToString(sum[:])
}

// IssueCode creates a one-time enrolment code for a device of school with
// role, valid until expires. Only its hash is stored: the returned code
// cannot be shown again.
func (d *DB) IssueCode(ctx context.Context, school, role string, expires time.Time) (string, error) {
	if !ValidRole(role) {
		return "", fmt.Errorf("district: unknown role %q (want teacher, principal or district_admin)", role)
	}
	var n int
	if err := d.queryRow(ctx, `SELECT count(*) FROM schools WHERE id = ?`, school).Scan(&n); err != nil {
		return "", err
	}
	if n == 0 {
		return "", fmt.Errorf("district: no school with id %q", school)
	}
	var raw [CodeLen]byte
	rand.Read(raw[:])
	code := make([]byte, CodeLen)
	for i, b := range raw {
		code[i] = codeAlphabet[b&31] // 256 is a multiple of 32: no bias
	}
	_, err := d.exec(ctx, `INSERT INTO enrolment_codes(code_hash, school_id, role, created_at, expires_at) VALUES (?,?,?,?,?)`,
		hashCode(string(code)), school, role, time.Now().Unix(), expires.Unix())
	if err != nil {
		return "", fmt.Errorf("district: issue code: %w", err)
	}
	return string(code), nil
}

// Device is an enrolled device.
type Device struct {
	ID        string
	SchoolID  string
	Role      string
	Name      string
	PublicKey ed25519.PublicKey
	Enrolled  time.Time
	Revoked   time.Time // zero if not revoked
	LastSeen  time.Time // zero if never seen
}

// Enrolment errors; their API codes are in Err.Code.
var (
	ErrCodeUnknown = &APIError{Status: 403, Code: "code_unknown", Message: "this enrolment code is not known; check it or ask the district for a new one"}
	ErrCodeUsed    = &APIError{Status: 403, Code: "code_used", Message: "this enrolment code has already been used; ask the district for a new one"}
	ErrCodeExpired = &APIError{Status: 403, Code: "code_expired", Message: "this enrolment code has expired; ask the district for a new one"}
	ErrKeyInUse    = &APIError{Status: 409, Code: "key_in_use", Message: "this public key is already enrolled; generate a new key pair"}
	ErrIDInUse     = &APIError{Status: 409, Code: "device_id_in_use", Message: "another device is enrolled with this device id (a copied installation?); give this one a new id"}
)

// Enrol spends code to enrol a device with public key pub. It succeeds
// once per code; the whole check-and-spend is one transaction.
// id is the device's own id, or "" for the server to make one up.
func (d *DB) Enrol(ctx context.Context, code string, pub ed25519.PublicKey, name, id string, now time.Time) (Device, error) {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return Device{}, err
	}
	defer tx.Rollback()
	h := hashCode(code)
	var dev Device
	var expires int64
	var used sql.NullInt64
	err = d.txQueryRow(ctx, tx, `SELECT school_id, role, expires_at, used_at FROM enrolment_codes WHERE code_hash = ?`, h).
		Scan(&dev.SchoolID, &dev.Role, &expires, &used)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Device{}, ErrCodeUnknown
	case err != nil:
		return Device{}, err
	case used.Valid:
		return Device{}, ErrCodeUsed
	case now.Unix() >= expires:
		return Device{}, ErrCodeExpired
	}
	var n int
	if err := d.txQueryRow(ctx, tx, `SELECT count(*) FROM devices WHERE public_key = ?`, []byte(pub)).Scan(&n); err != nil {
		return Device{}, err
	}
	if n > 0 {
		return Device{}, ErrKeyInUse
	}
	if id == "" {
		id = newID()
	} else if err := d.txQueryRow(ctx, tx, `SELECT count(*) FROM devices WHERE id = ?`, id).Scan(&n); err != nil {
		return Device{}, err
	} else if n > 0 {
		return Device{}, ErrIDInUse
	}
	dev.ID, dev.Name, dev.PublicKey, dev.Enrolled = id, name, pub, now
	if _, err := d.txExec(ctx, tx, `INSERT INTO devices(id, school_id, role, name, public_key, enrolled_at) VALUES (?,?,?,?,?,?)`,
		dev.ID, dev.SchoolID, dev.Role, name, []byte(pub), now.Unix()); err != nil {
		// A concurrent enrolment (another process on PostgreSQL) took the key or id.
		if isUnique(err) && strings.Contains(err.Error(), "public_key") {
			return Device{}, ErrKeyInUse
		} else if isUnique(err) {
			return Device{}, ErrIDInUse
		}
		return Device{}, fmt.Errorf("district: enrol: %w", err)
	}
	// On PostgreSQL two enrolments may both have read the code as unused;
	// the row lock makes the second one find it used here.
	res, err := d.txExec(ctx, tx, `UPDATE enrolment_codes SET used_at = ?, device_id = ? WHERE code_hash = ? AND used_at IS NULL`,
		now.Unix(), dev.ID, h)
	if err != nil {
		return Device{}, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return Device{}, err
	} else if n != 1 {
		return Device{}, ErrCodeUsed
	}
	return dev, tx.Commit()
}

const deviceCols = `id, school_id, role, name, public_key, enrolled_at, coalesce(revoked_at,0), coalesce(last_seen,0)`

func scanDevice(sc interface{ Scan(...any) error }) (Device, error) {
	var d Device
	var pub []byte
	var enrolled, revoked, seen int64
	if err := sc.Scan(&d.ID, &d.SchoolID, &d.Role, &d.Name, &pub, &enrolled, &revoked, &seen); err != nil {
		return Device{}, err
	}
	d.PublicKey = ed25519.PublicKey(pub)
	d.Enrolled = time.Unix(enrolled, 0)
	if revoked != 0 {
		d.Revoked = time.Unix(revoked, 0)
	}
	if seen != 0 {
		d.LastSeen = time.Unix(seen, 0)
	}
	return d, nil
}

// Device returns the device with id; sql.ErrNoRows if there is none.
func (d *DB) Device(ctx context.Context, id string) (Device, error) {
	return scanDevice(d.queryRow(ctx, `SELECT `+deviceCols+` FROM devices WHERE id = ?`, id))
}

// Devices lists all devices, oldest enrolment first.
func (d *DB) Devices(ctx context.Context) ([]Device, error) {
	rows, err := d.query(ctx, `SELECT `+deviceCols+` FROM devices ORDER BY enrolled_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Device
	for rows.Next() {
		dev, err := scanDevice(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, dev)
	}
	return out, rows.Err()
}

// RevokeDevice revokes a device; its next request is refused. Revoking a
// revoked device is not an error.
func (d *DB) RevokeDevice(ctx context.Context, id string) error {
	res, err := d.exec(ctx, `UPDATE devices SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?`, time.Now().Unix(), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("district: no device with id %q", id)
	}
	return nil
}

// nonceKeep is how long a nonce is remembered. A request is accepted
// only within MaxClockSkew of its signed time, so a nonce first seen at
// server time S can only be replayed successfully before S+2*MaxClockSkew;
// after that the time check refuses the replay on its own.
const nonceKeep = 2*MaxClockSkew + time.Minute

// useNonce records that device used nonce at now and touches last_seen.
// It reports false if the device used the same nonce before. Old nonces
// are pruned when prune is set.
func (d *DB) useNonce(ctx context.Context, device, nonce string, now time.Time, prune bool) (bool, error) {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if prune {
		if _, err := d.txExec(ctx, tx, `DELETE FROM nonces WHERE seen_at < ?`, now.Add(-nonceKeep).Unix()); err != nil {
			return false, err
		}
	}
	res, err := d.txExec(ctx, tx, `INSERT INTO nonces(device_id, nonce, seen_at) VALUES (?,?,?) ON CONFLICT DO NOTHING`, device, nonce, now.Unix())
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if _, err := d.txExec(ctx, tx, `UPDATE devices SET last_seen = ? WHERE id = ?`, now.Unix(), device); err != nil {
		return false, err
	}
	return true, tx.Commit()
}
