package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRestoreRefusesDamagedFiles feeds arbitrary bytes as a backup file
// (a USB stick's worth of damage): Check must not panic, and Restore must
// either refuse the file and leave the data untouched, or accept a file that
// then opens as a working store.
func FuzzRestoreRefusesDamagedFiles(f *testing.F) {
	ctx := context.Background()
	seedDir := f.TempDir()
	s, err := Open(ctx, seedDir)
	if err != nil {
		f.Fatal(err)
	}
	good := filepath.Join(f.TempDir(), "good.db")
	if err := s.Backup(ctx, good); err != nil {
		f.Fatal(err)
	}
	s.Close()
	data, _ := os.ReadFile(good)
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add([]byte("SQLite format 3\x00"))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		st, err := Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		id := NewID()
		if err := st.Update(ctx, func(tx *Tx) error {
			_, err := tx.Put("schools", id, id, Fields{"name": "原有数据"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		st.Close()

		file := filepath.Join(t.TempDir(), "in.db")
		os.WriteFile(file, b, 0o644)
		if _, err := Restore(ctx, dir, file); err != nil {
			st, err := Open(ctx, dir)
			if err != nil {
				t.Fatalf("refused restore broke the store: %v", err)
			}
			defer st.Close()
			var n int
			st.DB.QueryRow(`SELECT count(*) FROM schools WHERE id=?`, id).Scan(&n)
			if n != 1 {
				t.Fatal("refused restore lost data")
			}
			return
		}
		st, err = Open(ctx, dir)
		if err != nil {
			t.Fatalf("accepted backup does not open: %v", err)
		}
		st.Close()
	})
}
