package content

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVerifyCatchesCorruption(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	data := []byte("学生研究性学习成果：校园植物调查")
	ref, err := s.Put(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(ref.Hash); err != nil {
		t.Fatal(err)
	}
	// Flip one byte, same size: only re-hashing can notice.
	p, _ := s.Path(ref.Hash)
	bad := bytes.Clone(data)
	bad[3] ^= 0x40
	os.Chmod(p, 0o644)
	if err := os.WriteFile(p, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	err = s.Verify(ref.Hash)
	if !errors.Is(err, ErrDamaged) {
		t.Fatalf("Verify of a corrupted file: %v", err)
	}
	if !strings.Contains(err.Error(), sum(bad)) {
		t.Errorf("error does not say what the file hashes to: %v", err)
	}
	if s.Has(ref.Hash) {
		t.Fatal("damaged file still served under its hash")
	}
	entries, err := os.ReadDir(filepath.Join(dir, damagedDir))
	if err != nil || len(entries) != 1 {
		t.Fatalf("damaged folder: %v %v", entries, err)
	}
	kept, _ := os.ReadFile(filepath.Join(dir, damagedDir, entries[0].Name()))
	if !bytes.Equal(kept, bad) || !strings.HasPrefix(entries[0].Name(), ref.Hash) {
		t.Fatalf("damaged file not kept as is: %s", entries[0].Name())
	}
	if n, _, _ := s.Usage(); n != 0 {
		t.Fatalf("usage counts %d files", n)
	}
	// A good copy (say, from another school's replica) restores it.
	if _, err := s.Put(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(ref.Hash); err != nil {
		t.Fatal(err)
	}
}
