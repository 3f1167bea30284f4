package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gofrs/flock"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// File names inside the data directory.
const (
	DBFile   = "qiao.db"
	lockFile = "qiao.lock"
)

// applicationID marks a SQLite file as Qiao's ("QIAO" in ASCII).
const applicationID = 0x5149414F

// ErrLocked means another Qiao process already has the data directory open.
var ErrLocked = errors.New("store: data directory is in use by another Qiao process")

// Store is an open Qiao database. It owns the data directory until Close.
type Store struct {
	DB     *sql.DB
	Dir    string
	Clock  *Clock
	Device string // this installation's device id (UUIDv7)

	lock   *flock.Flock
	synced map[string][]string // synced table -> its columns
	stmts  sync.Map            // query text -> *sql.Stmt, see Tx.exec
}

// Open locks dir, opens (or creates) its database, applies pending
// migrations and loads the device identity. A second Open of the same dir,
// from this process or another, fails with ErrLocked.
func Open(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: create data directory: %w", err)
	}
	lk := flock.New(filepath.Join(dir, lockFile))
	ok, err := lk.TryLock()
	if err != nil {
		return nil, fmt.Errorf("store: lock data directory: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("%w (%s)", ErrLocked, dir)
	}
	s := &Store{Dir: dir, lock: lk}
	if err := s.open(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) open(ctx context.Context) error {
	db, err := sql.Open("sqlite", dsn(filepath.Join(s.Dir, DBFile), false))
	if err != nil {
		return fmt.Errorf("store: open: %w", err)
	}
	s.DB = db
	ms, err := migrations()
	if err != nil {
		return err
	}
	if err := s.restoreDeferred(ctx); err != nil {
		return fmt.Errorf("store: rebuild indexes: %w", err)
	}
	if err := migrate(ctx, db, ms); err != nil {
		return err
	}
	if s.synced, err = syncedTables(ctx, db); err != nil {
		return err
	}
	if s.Device, err = deviceID(ctx, db); err != nil {
		return err
	}
	// Give the query planner statistics (SQLite's recommended start-up
	// call: cheap, and it analyses only what needs it).
	if _, err := db.ExecContext(ctx, `PRAGMA optimize=0x10002`); err != nil {
		return fmt.Errorf("store: optimize: %w", err)
	}
	// The clock starts after every stamp this device issued (its change
	// log) or observed from others (remembered when pulled rows commit).
	var last int64
	if err := db.QueryRowContext(ctx, `SELECT max(coalesce((SELECT max(hlc) FROM changes), 0),
		coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key=?), 0))`, keyObserved).Scan(&last); err != nil {
		return fmt.Errorf("store: read clock: %w", err)
	}
	s.Clock = NewClock(HLC(last))
	return nil
}

// dsn builds the connection string: WAL, a generous busy timeout, foreign
// keys, full fsync on commit (school PCs lose power), and write
// transactions that take the lock up front so they never deadlock.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	if readOnly {
		q.Set("mode", "ro")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)")
		q.Set("_txlock", "immediate")
	}
	return FileURI(path) + "?" + q.Encode()
}

// FileURI is path as an SQLite URI filename. '%', '?' and '#' are escaped:
// unescaped, a data folder named "资料#1" would open the file "资料" (the
// rest read as a URI fragment) — another database, silently.
func FileURI(path string) string {
	return "file:" + uriEscaper.Replace(filepath.ToSlash(path))
}

var uriEscaper = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

// Close closes the database and releases the data directory.
func (s *Store) Close() error {
	var err error
	if s.DB != nil {
		s.stmts.Range(func(_, st any) bool { st.(*sql.Stmt).Close(); return true })
		s.DB.Exec(`PRAGMA optimize`) // refresh planner statistics, as SQLite recommends at close
		err = s.DB.Close()
	}
	if s.lock != nil {
		if uerr := s.lock.Unlock(); err == nil {
			err = uerr
		}
	}
	return err
}

// Setting reads a device-local setting, or def when it is not set.
func (s *Store) Setting(ctx context.Context, key, def string) (string, error) {
	var v string
	err := s.DB.QueryRowContext(ctx, `SELECT value FROM settings WHERE key=?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return def, nil
	}
	return v, err
}

// SetSetting stores a device-local setting. Settings never sync.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.SetSetting(key, value) })
}

// SetSetting stores a device-local setting inside the transaction.
func (tx *Tx) SetSetting(key, value string) error {
	_, err := tx.ExecContext(tx.ctx,
		`INSERT INTO settings(key,value) VALUES(?,?) ON CONFLICT(key) DO UPDATE SET value=excluded.value`, key, value)
	return err
}
