package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func count(t *testing.T, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestMigrationsApplyOnceAndAreIdempotent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if v := count(t, s.DB, `PRAGMA user_version`); v != SchemaVersion() || v < 1 {
		t.Fatalf("user_version %d, want %d", v, SchemaVersion())
	}
	tables := count(t, s.DB, `SELECT count(*) FROM sqlite_schema`)
	if _, err := s.DB.Exec(`INSERT INTO settings VALUES('k','v')`); err != nil {
		t.Fatal(err)
	}
	device := s.Device
	s.Close()

	for i := 0; i < 2; i++ {
		s, err = Open(ctx, dir)
		if err != nil {
			t.Fatalf("reopen %d: %v", i, err)
		}
		if got := count(t, s.DB, `SELECT count(*) FROM sqlite_schema`); got != tables {
			t.Fatalf("schema objects changed on reopen: %d -> %d", tables, got)
		}
		if v, _ := s.Setting(ctx, "k", ""); v != "v" {
			t.Fatalf("data lost on reopen: %q", v)
		}
		if s.Device != device {
			t.Fatalf("device id changed: %s -> %s", device, s.Device)
		}
		s.Close()
	}
}

func TestFailedMigrationLeavesDatabaseAsItWas(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", dsn(filepath.Join(t.TempDir(), "x.db"), false))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms := []migration{
		{1, "good", `CREATE TABLE a (x INTEGER)`},
		{2, "bad", `CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1)`},
	}
	if err := migrate(ctx, db, ms); err == nil {
		t.Fatal("bad migration applied without error")
	}
	if n := count(t, db, `SELECT count(*) FROM sqlite_schema`); n != 0 {
		t.Fatalf("half-applied migration left %d schema objects", n)
	}
	if v := count(t, db, `PRAGMA user_version`); v != 0 {
		t.Fatalf("user_version %d after failed migration", v)
	}
	if err := migrate(ctx, db, ms[:1]); err != nil {
		t.Fatal(err)
	}
	if v := count(t, db, `PRAGMA user_version`); v != 1 {
		t.Fatalf("user_version %d, want 1", v)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := mustOpen(t, dir)
	if _, err := s.DB.Exec(`PRAGMA user_version = 999`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(ctx, dir)
	var tooNew ErrTooNew
	if !errors.As(err, &tooNew) || tooNew.Have != 999 {
		t.Fatalf("want ErrTooNew, got %v", err)
	}
}

func TestForeignSQLiteFileIsRefused(t *testing.T) {
	dir := t.TempDir()
	db, _ := sql.Open("sqlite", dsn(filepath.Join(dir, DBFile), false))
	if _, err := db.Exec(`CREATE TABLE other(x); PRAGMA user_version=3`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(context.Background(), dir); !errors.Is(err, errNotQiao) {
		t.Fatalf("want not-a-Qiao-database error, got %v", err)
	}
}

func mustOpen(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSecondInstanceIsRefused(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	if _, err := Open(context.Background(), dir); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: want ErrLocked, got %v", err)
	}
	s.Close()
	s2, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	s2.Close()
}

func TestOpenUsesWALAndForeignKeys(t *testing.T) {
	s := openTemp(t)
	var mode string
	if err := s.DB.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q %v", mode, err)
	}
	if fk := count(t, s.DB, `PRAGMA foreign_keys`); fk != 1 {
		t.Fatal("foreign keys off")
	}
	if bt := count(t, s.DB, `PRAGMA busy_timeout`); bt < 1000 {
		t.Fatalf("busy_timeout %d", bt)
	}
}

func TestSettingsRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	if v, _ := s.Setting(ctx, "theme", "light"); v != "light" {
		t.Fatalf("default: %q", v)
	}
	s.SetSetting(ctx, "theme", "dark")
	s.SetSetting(ctx, "theme", "contrast")
	if v, _ := s.Setting(ctx, "theme", "light"); v != "contrast" {
		t.Fatalf("got %q", v)
	}
	if _, err := os.Stat(filepath.Join(s.Dir, DBFile)); err != nil {
		t.Fatal(err)
	}
}

// TestDataFolderWithURICharacters: a data folder whose name holds '#', '?'
// or '%' opens its own database, not one named by the part before them.
func TestDataFolderWithURICharacters(t *testing.T) {
	ctx := context.Background()
	base := t.TempDir()
	for _, name := range []string{"资料#1", "a?b", "100%"} {
		dir := filepath.Join(base, name)
		s, err := Open(ctx, dir)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s.Close()
		if _, err := os.Stat(filepath.Join(dir, DBFile)); err != nil {
			t.Fatalf("%s: the database is not in its folder: %v", name, err)
		}
	}
	if ents, _ := os.ReadDir(base); len(ents) != 3 {
		t.Fatalf("files outside the data folders: %v", ents)
	}
}
