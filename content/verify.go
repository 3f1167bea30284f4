package content

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// ErrDamaged means a stored file's bytes no longer match its hash. Verify
// has moved it to the store's damaged/ folder.
var ErrDamaged = errors.New("content: file does not match its hash")

// Verify re-hashes the file stored under hash. On a mismatch it moves the
// file to damaged/ (so the hash is no longer held and a fresh Put can
// restore it) and returns ErrDamaged. A read error is returned as is and
// moves nothing: a pulled drive is not a damaged file.
func (s *Store) Verify(hash string) error {
	p, err := s.file(hash)
	if err != nil {
		return err
	}
	f, err := os.Open(p)
	if err != nil {
		return notFound(hash, err)
	}
	h := sha256.New()
	_, err = io.CopyBuffer(h, f, make([]byte, copyBuf))
	info, statErr := f.Stat()
	f.Close()
	if err != nil {
		return fmt.Errorf("content: verify %s: %w", hash, err)
	}
	if statErr != nil {
		return fmt.Errorf("content: verify %s: %w", hash, statErr)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if got == hash {
		return nil
	}
	mu := s.lock(hash)
	mu.Lock()
	defer mu.Unlock()
	// Move only the file we read: a Put may have replaced it meanwhile.
	if now, err := os.Stat(p); err != nil || !os.SameFile(info, now) {
		return nil
	}
	if err := s.quarantine(hash, p); err != nil {
		return err
	}
	return fmt.Errorf("%w: %s reads as %s", ErrDamaged, hash, got)
}

// quarantine moves the file at p to damaged/HASH.TIME. The caller holds
// hash's lock.
func (s *Store) quarantine(hash, p string) error {
	dir := filepath.Join(s.dir, damagedDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("content: %w", err)
	}
	dst := filepath.Join(dir, fmt.Sprintf("%s.%d", hash, time.Now().UnixNano()))
	if err := os.Rename(p, dst); err != nil {
		return fmt.Errorf("content: move damaged %s aside: %w", hash, err)
	}
	syncDir(filepath.Dir(p))
	return nil
}
