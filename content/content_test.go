package content

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustOpen(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// tempFiles lists what is left in the store's tmp folder.
func tempFiles(t *testing.T, s *Store) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(s.dir, tmpDir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	data := []byte("研究报告：小组合作学习\n")
	ref, err := s.Put(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if ref.Hash != sum(data) || ref.Size != int64(len(data)) {
		t.Fatalf("ref %+v, want %s/%d", ref, sum(data), len(data))
	}
	rc, err := s.Open(ref.Hash)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %q, %v", got, err)
	}
	p, err := s.Path(ref.Hash)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, ref.Hash[:2], ref.Hash[2:])
	if abs, _ := filepath.Abs(want); p != abs {
		t.Fatalf("path %s, want %s", p, abs)
	}
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm()&0o222 != 0 {
		t.Errorf("stored file is writable: %v", info.Mode())
	}
	if !s.Has(ref.Hash) {
		t.Fatal("Has = false after Put")
	}
	if err := s.Verify(ref.Hash); err != nil {
		t.Fatal(err)
	}
	if n, b, err := s.Usage(); err != nil || n != 1 || b != int64(len(data)) {
		t.Fatalf("usage %d files %d bytes %v", n, b, err)
	}
	if err := s.Remove(ref.Hash); err != nil {
		t.Fatal(err)
	}
	if s.Has(ref.Hash) {
		t.Fatal("Has = true after Remove")
	}
	if err := s.Remove(ref.Hash); err != nil {
		t.Fatalf("second Remove: %v", err)
	}
	if _, err := s.Open(ref.Hash); !errors.Is(err, ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open after Remove: %v", err)
	}
	if _, err := s.Path(ref.Hash); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Path after Remove: %v", err)
	}
	if err := s.Verify(ref.Hash); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Verify after Remove: %v", err)
	}
}

func TestEmptyContent(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	ref, err := s.Put(strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	if ref.Hash != sum(nil) || ref.Size != 0 || !s.Has(ref.Hash) {
		t.Fatalf("empty ref %+v", ref)
	}
}

func TestInvalidHashesRefused(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	ref, err := s.Put(strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	// A file just outside the store that traversal would reach.
	secret := filepath.Join(filepath.Dir(dir), "secret")
	os.WriteFile(secret, []byte("secret"), 0o644)
	defer os.Remove(secret)

	bad := []string{
		"",
		"../etc/passwd",
		"../secret",
		"..",
		strings.ToUpper(ref.Hash),
		ref.Hash[:63],
		ref.Hash + "0",
		ref.Hash[:2] + "/" + ref.Hash[3:],
		ref.Hash[:62] + "/.",
		"g" + ref.Hash[1:],
		ref.Hash[:63] + "\x00",
		"../" + ref.Hash[3:],
	}
	for _, h := range bad {
		if ValidHash(h) {
			t.Errorf("ValidHash(%q) = true", h)
		}
		if _, err := s.Open(h); !errors.Is(err, ErrBadHash) {
			t.Errorf("Open(%q): %v", h, err)
		}
		if _, err := s.Path(h); !errors.Is(err, ErrBadHash) {
			t.Errorf("Path(%q): %v", h, err)
		}
		if s.Has(h) {
			t.Errorf("Has(%q) = true", h)
		}
		if err := s.Verify(h); !errors.Is(err, ErrBadHash) {
			t.Errorf("Verify(%q): %v", h, err)
		}
		if err := s.Remove(h); !errors.Is(err, ErrBadHash) {
			t.Errorf("Remove(%q): %v", h, err)
		}
	}
	if _, err := os.Stat(secret); err != nil {
		t.Fatal("file outside the store was touched")
	}
	if !s.Has(ref.Hash) {
		t.Fatal("stored file lost")
	}
}

func TestUsageIgnoresStrays(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	var total int64
	for _, c := range []string{"a", "bb", "ccc"} {
		ref, err := s.Put(strings.NewReader(c))
		if err != nil {
			t.Fatal(err)
		}
		total += ref.Size
	}
	// Things that are not stored files: a temp file, a damaged file, junk.
	os.WriteFile(filepath.Join(dir, tmpDir, tempPrefix+"1"), []byte("partial"), 0o644)
	os.MkdirAll(filepath.Join(dir, damagedDir), 0o755)
	os.WriteFile(filepath.Join(dir, damagedDir, sum([]byte("z"))+".1"), []byte("q"), 0o644)
	os.WriteFile(filepath.Join(dir, "README"), []byte("hi"), 0o644)
	os.MkdirAll(filepath.Join(dir, "ab"), 0o755)
	os.WriteFile(filepath.Join(dir, "ab", "short"), []byte("hi"), 0o644)

	n, b, err := s.Usage()
	if err != nil || n != 3 || b != total {
		t.Fatalf("usage %d files %d bytes %v; want 3, %d", n, b, err, total)
	}
}
