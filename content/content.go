package content

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Folder names inside the store.
const (
	tmpDir     = "tmp"
	damagedDir = "damaged"
)

var (
	// ErrBadHash means a hash is not 64 lower-case hex digits.
	ErrBadHash = errors.New("content: not a SHA-256 hash (64 lower-case hex digits)")
	// ErrNotFound means the store holds no file with that hash. It also
	// matches fs.ErrNotExist.
	ErrNotFound = fmt.Errorf("content: no such file: %w", fs.ErrNotExist)
)

// Ref names stored content: its SHA-256 in lower-case hex and its size.
type Ref struct {
	Hash string
	Size int64
}

// Store is a content-addressed file store in one folder. It is safe for
// use by several goroutines; one process should own the folder (the data
// directory's lock sees to that).
type Store struct {
	dir   string
	locks [256]sync.Mutex // by the hash's first byte: Put, Remove and quarantine of one hash never interleave
}

// Open opens (creating if needed) the store in dir and removes temp files
// left by Puts interrupted more than an hour ago.
func Open(dir string) (*Store, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("content: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, tmpDir), 0o755); err != nil {
		return nil, fmt.Errorf("content: create store: %w", err)
	}
	s := &Store{dir: dir}
	if err := s.sweepTemp(); err != nil {
		return nil, err
	}
	return s, nil
}

// ValidHash reports whether h is 64 lower-case hex digits, the only form
// the store accepts (so a hash can never name a path outside it).
func ValidHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// file returns where hash lives, whether or not it is there.
func (s *Store) file(hash string) (string, error) {
	if !ValidHash(hash) {
		return "", fmt.Errorf("%w: %q", ErrBadHash, hash)
	}
	return filepath.Join(s.dir, hash[:2], hash[2:]), nil
}

// lock returns the mutex that guards hash.
func (s *Store) lock(hash string) *sync.Mutex {
	return &s.locks[unhex(hash[0])<<4|unhex(hash[1])]
}

func unhex(c byte) byte {
	if c >= 'a' {
		return c - 'a' + 10
	}
	return c - '0'
}

// notFound turns a missing file into ErrNotFound.
func notFound(hash string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNotFound, hash)
	}
	return fmt.Errorf("content: %w", err)
}

// Open opens the file stored under hash for reading. The result is an
// *os.File, so it can also Seek and Stat.
func (s *Store) Open(hash string) (io.ReadCloser, error) {
	p, err := s.file(hash)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, notFound(hash, err)
	}
	return f, nil
}

// Path returns the file stored under hash, for handing to another program
// (files are read-only, so an editor cannot change them in place). It
// fails with ErrNotFound when the store does not hold hash.
func (s *Store) Path(hash string) (string, error) {
	p, err := s.file(hash)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(p); err != nil {
		return "", notFound(hash, err)
	}
	return p, nil
}

// Has reports whether the store holds hash (false for an invalid hash).
func (s *Store) Has(hash string) bool {
	_, err := s.Path(hash)
	return err == nil
}

// Remove deletes the file stored under hash. Removing a hash the store
// does not hold is not an error. On Windows it fails while the file is
// open, in this process or another.
func (s *Store) Remove(hash string) error {
	p, err := s.file(hash)
	if err != nil {
		return err
	}
	mu := s.lock(hash)
	mu.Lock()
	defer mu.Unlock()
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("content: remove %s: %w", hash, err)
	}
	return nil
}

// Usage counts the stored files and their total size. It ignores temp
// files, damaged files and anything not named like a hash.
func (s *Store) Usage() (files int, bytes int64, err error) {
	top, err := os.ReadDir(s.dir)
	if err != nil {
		return 0, 0, fmt.Errorf("content: %w", err)
	}
	for _, d := range top {
		if !d.IsDir() || len(d.Name()) != 2 {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(s.dir, d.Name()))
		if err != nil {
			return 0, 0, fmt.Errorf("content: %w", err)
		}
		for _, e := range entries {
			if !e.Type().IsRegular() || !ValidHash(d.Name()+e.Name()) {
				continue
			}
			info, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed while we looked
			}
			if err != nil {
				return 0, 0, fmt.Errorf("content: %w", err)
			}
			files++
			bytes += info.Size()
		}
	}
	return files, bytes, nil
}
