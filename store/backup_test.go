package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBackupRestoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := mustOpen(t, dir)
	id := NewID()
	putSchool(t, s, id, "备份前")
	device := s.Device
	bak := filepath.Join(t.TempDir(), "qiao-backup.db")
	if err := BackupDir(ctx, dir, bak); err != nil { // online: s still holds the dir
		t.Fatal(err)
	}
	putSchool(t, s, id, "备份后")
	putSchool(t, s, NewID(), "新学校")

	if _, err := Restore(ctx, dir, bak); !errors.Is(err, ErrLocked) {
		t.Fatalf("restore while open: want ErrLocked, got %v", err)
	}
	s.Close()

	kept, err := Restore(ctx, dir, bak)
	if err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir)
	defer s.Close()
	var name string
	s.DB.QueryRow(`SELECT name FROM schools WHERE id=?`, id).Scan(&name)
	if name != "备份前" {
		t.Fatalf("restored name %q", name)
	}
	if n := count(t, s.DB, `SELECT count(*) FROM schools`); n != 1 {
		t.Fatalf("restored %d schools, want 1", n)
	}
	if s.Device != device {
		t.Fatal("restore changed the device id")
	}
	// The replaced database is kept, with everything written after the backup.
	if err := Check(ctx, kept); err != nil {
		t.Fatalf("kept copy: %v", err)
	}
	old := mustOpenFile(t, kept)
	if n := count(t, old.DB, `SELECT count(*) FROM schools`); n != 2 {
		t.Fatalf("kept copy has %d schools, want 2", n)
	}
}

func mustOpenFile(t *testing.T, file string) *Store {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, DBFile), data, 0o644)
	s := mustOpen(t, dir)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestRestoreRefusesBadFilesAndKeepsData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := mustOpen(t, dir)
	putSchool(t, s, NewID(), "原有")
	s.Close()

	junk := filepath.Join(t.TempDir(), "junk.db")
	os.WriteFile(junk, []byte(strings.Repeat("not a database ", 500)), 0o644)
	if _, err := Restore(ctx, dir, junk); err == nil {
		t.Fatal("junk restored")
	}
	if _, err := Restore(ctx, dir, filepath.Join(dir, "missing.db")); err == nil {
		t.Fatal("missing file restored")
	}
	// A good backup whose pages were damaged on the USB stick.
	bak := filepath.Join(t.TempDir(), "b.db")
	s = mustOpen(t, dir)
	for i := 0; i < 50; i++ {
		putSchool(t, s, NewID(), strings.Repeat("校", 200))
	}
	if err := s.Backup(ctx, bak); err != nil {
		t.Fatal(err)
	}
	s.Close()
	data, _ := os.ReadFile(bak)
	for i := 8192; i < len(data)-4096; i += 4096 {
		copy(data[i+100:i+400], strings.Repeat("\xff", 300))
	}
	os.WriteFile(bak, data, 0o644)
	if _, err := Restore(ctx, dir, bak); err == nil {
		t.Fatal("damaged backup restored")
	}
	s = mustOpen(t, dir)
	defer s.Close()
	if n := count(t, s.DB, `SELECT count(*) FROM schools`); n != 51 {
		t.Fatalf("refused restore changed the data: %d schools", n)
	}
}

func TestBackupNeverLeavesPartialFile(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	dest := filepath.Join(t.TempDir(), "no-such-dir", "b.db")
	if err := s.Backup(ctx, dest); err == nil {
		t.Fatal("backup into a missing folder succeeded")
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Fatal("partial backup left behind")
	}
	if err := BackupDir(ctx, t.TempDir(), filepath.Join(t.TempDir(), "x.db")); err == nil {
		t.Fatal("backup of an empty folder succeeded")
	}
}
