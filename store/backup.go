package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// ErrNoDatabase means the data directory holds no database yet.
var ErrNoDatabase = errors.New("store: no database in the data directory")

// Backup writes a consistent copy of the open database to dest.
func (s *Store) Backup(ctx context.Context, dest string) error {
	return vacuumInto(ctx, s.DB, dest)
}

// BackupDir writes a consistent copy of the database in dir to dest while
// another Qiao process may be using it: it reads a snapshot without taking
// the directory lock.
func BackupDir(ctx context.Context, dir, dest string) error {
	src := filepath.Join(dir, DBFile)
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("%w: %s", ErrNoDatabase, dir)
	}
	db, err := sql.Open("sqlite", dsn(src, true))
	if err != nil {
		return err
	}
	defer db.Close()
	return vacuumInto(ctx, db, dest)
}

// vacuumInto writes the snapshot to a temporary file beside dest, checks
// it and renames it into place, so dest is either the old file or a whole,
// valid backup.
func vacuumInto(ctx context.Context, db *sql.DB, dest string) error {
	dest, err := filepath.Abs(dest)
	if err != nil {
		return err
	}
	tmp := dest + ".partial"
	os.Remove(tmp)
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: back up to %s: %w", dest, err)
	}
	if err := Check(ctx, tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := syncFile(tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, dest)
}

// Check verifies that file is an intact Qiao database this build can open.
func Check(ctx context.Context, file string) error {
	if _, err := os.Stat(file); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	db, err := sql.Open("sqlite", dsn(file, true))
	if err != nil {
		return err
	}
	defer db.Close()
	var appID, version int
	if err := db.QueryRowContext(ctx, `PRAGMA application_id`).Scan(&appID); err != nil {
		return fmt.Errorf("store: %s: %w: %v", file, errNotQiao, err)
	}
	if appID != applicationID {
		return fmt.Errorf("store: %s: %w", file, errNotQiao)
	}
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return err
	}
	if version > SchemaVersion() {
		return ErrTooNew{version, SchemaVersion()}
	}
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check(1)`).Scan(&res); err != nil {
		return fmt.Errorf("store: %s: integrity check: %w", file, err)
	}
	if res != "ok" {
		return fmt.Errorf("store: %s is damaged: %s", file, res)
	}
	return nil
}

// Restore replaces the database in dir with the backup in src. It checks
// src first, refuses while Qiao is running on dir, keeps the current
// database as qiao.db.before-restore-TIME, and keeps this device's id.
// It returns the path of the kept copy ("" when dir had no database).
func Restore(ctx context.Context, dir, src string) (kept string, err error) {
	if err := Check(ctx, src); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	lk := flock.New(filepath.Join(dir, lockFile))
	ok, err := lk.TryLock()
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("%w (%s)", ErrLocked, dir)
	}
	defer lk.Unlock()

	cur := filepath.Join(dir, DBFile)
	device := ""
	if _, err := os.Stat(cur); err == nil {
		db, err := sql.Open("sqlite", dsn(cur, false))
		if err != nil {
			return "", err
		}
		_ = db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key='device_id'`).Scan(&device)
		kept = cur + ".before-restore-" + time.Now().Format("20060102-150405")
		err = vacuumInto(ctx, db, kept)
		db.Close()
		if err != nil {
			return "", fmt.Errorf("store: keep current database before restore: %w", err)
		}
	}
	tmp := cur + ".restoring"
	if err := copyFile(src, tmp); err != nil {
		os.Remove(tmp)
		return kept, err
	}
	for _, f := range []string{cur + "-wal", cur + "-shm"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return kept, err
		}
	}
	if err := os.Rename(tmp, cur); err != nil {
		return kept, err
	}
	if device != "" {
		db, err := sql.Open("sqlite", dsn(cur, false))
		if err != nil {
			return kept, err
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, `UPDATE meta SET value=? WHERE key='device_id'`, device); err != nil {
			return kept, fmt.Errorf("store: keep device id after restore: %w", err)
		}
		// The next pull starts from the beginning, so rows this device
		// wrote after the backup was taken come back from the district.
		if _, err := db.ExecContext(ctx, `DELETE FROM meta WHERE key=?`, CheckpointPull); err != nil {
			return kept, fmt.Errorf("store: reset sync checkpoint after restore: %w", err)
		}
	}
	return kept, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func syncFile(name string) error {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
