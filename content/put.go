package content

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// staleTemp is how old a temp file must be before Open sweeps it: older
// than any Put still running could leave it (each write touches it).
const staleTemp = time.Hour

// tempPrefix starts the name of every temp file Put writes.
const tempPrefix = "put-"

// copyBuf is the buffer Put streams through; memory use does not grow
// with the size of the content.
const copyBuf = 128 << 10

// Put stores everything r yields and returns its Ref. The bytes go to a
// temp file while being hashed, are fsynced, then renamed into place; if
// the store already holds the hash, the temp file is dropped and the
// existing file kept. A partial file is never visible under a hash; a
// failed Put leaves nothing behind (only a folder-sync failure after the
// rename can leave the whole, synced file in place while reporting an error).
func (s *Store) Put(r io.Reader) (Ref, error) {
	tmp, ref, err := s.writeTemp(r)
	if err != nil {
		return Ref{}, err
	}
	if err := s.install(tmp, ref); err != nil {
		os.Remove(tmp)
		return Ref{}, err
	}
	return ref, nil
}

// PutFile stores the file at path.
func (s *Store) PutFile(path string) (Ref, error) {
	f, err := os.Open(path)
	if err != nil {
		return Ref{}, fmt.Errorf("content: %w", err)
	}
	defer f.Close()
	return s.Put(f)
}

// hashWriter hashes and counts what it passes to the file. Being neither
// an *os.File nor a ReaderFrom, it keeps io.Copy from bypassing the hash.
type hashWriter struct {
	f *os.File
	h hash.Hash
	n int64
}

func (w *hashWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.h.Write(p[:n])
	w.n += int64(n)
	return n, err
}

// writeTemp streams r into a synced, closed, read-only temp file.
func (s *Store) writeTemp(r io.Reader) (_ string, _ Ref, err error) {
	f, err := os.CreateTemp(filepath.Join(s.dir, tmpDir), tempPrefix+"*")
	if err != nil {
		return "", Ref{}, fmt.Errorf("content: put: %w", err)
	}
	name := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(name)
		}
	}()
	h := sha256.New()
	w := &hashWriter{f: f, h: h}
	if _, err := io.CopyBuffer(w, r, make([]byte, copyBuf)); err != nil {
		return "", Ref{}, fmt.Errorf("content: put: %w", err)
	}
	if err := f.Sync(); err != nil {
		return "", Ref{}, fmt.Errorf("content: put: sync: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", Ref{}, fmt.Errorf("content: put: %w", err)
	}
	// Read-only, so a program given Path cannot save over the content.
	if err := os.Chmod(name, 0o444); err != nil {
		return "", Ref{}, fmt.Errorf("content: put: %w", err)
	}
	return name, Ref{Hash: hex.EncodeToString(h.Sum(nil)), Size: w.n}, nil
}

// install renames tmp to ref's place unless the store already holds it,
// and syncs the folder. An existing file of the wrong size is damaged: it
// is moved aside and replaced.
func (s *Store) install(tmp string, ref Ref) error { return s.place(tmp, ref, true) }

// place is install; with sync false it leaves the new folder entries to
// the caller to make durable (a Batch syncs them all at once).
func (s *Store) place(tmp string, ref Ref, sync bool) error {
	dst, _ := s.file(ref.Hash)
	mu := s.lock(ref.Hash)
	mu.Lock()
	defer mu.Unlock()
	info, err := os.Stat(dst)
	switch {
	case err == nil && info.Mode().IsRegular() && info.Size() == ref.Size:
		os.Remove(tmp) // dedup: keep the existing file (a temp left by a failed remove is swept later)
		return nil
	case err == nil:
		if err := s.quarantine(ref.Hash, dst); err != nil {
			return err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("content: put: %w", err)
	}
	if err := s.mkdirSynced(filepath.Dir(dst), sync); err != nil {
		return fmt.Errorf("content: put: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("content: put: %w", err)
	}
	if !sync {
		return nil
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return fmt.Errorf("content: put: sync folder: %w", err)
	}
	return nil
}

// mkdirSynced creates the hash-prefix folder dir if needed, and then (if
// sync) fsyncs the store folder so the new folder survives a crash.
func (s *Store) mkdirSynced(dir string, sync bool) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	if !sync {
		return nil
	}
	return syncDir(s.dir)
}

// sweepTemp removes temp files older than staleTemp.
func (s *Store) sweepTemp() error {
	dir := filepath.Join(s.dir, tmpDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("content: %w", err)
	}
	cutoff := time.Now().Add(-staleTemp)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), tempPrefix) || e.IsDir() {
			continue
		}
		info, err := e.Info()
		if err != nil || info.ModTime().After(cutoff) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("content: remove stale temp file: %w", err)
		}
	}
	return nil
}
