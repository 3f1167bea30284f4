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
	"sync"
	"time"
)

// Partial files: a file being transferred (downloaded by the app, uploaded
// to the district server, imported from a pack) grows in
// partial/<hash>.<tag> until it is whole; a transfer cut at any point
// resumes from the partial file's size. Commit checks the SHA-256 of the
// whole file and only then moves it under its hash, so a half-transferred
// file is never visible through Has, Open or Path. The tag tells apart
// transfers of the same hash that must not mix (the server uses the
// uploading device's id).
//
// While this process appends to a partial file it keeps a running SHA-256
// of the file's bytes (an append that starts where no running hash ends
// first hashes the bytes already there, once), so Commit need not read the
// file again; for a partial file this process has no running hash of,
// Commit reads it whole.
const partialDir = "partial"

var (
	// ErrHashMismatch means a partial file, once whole, did not have the
	// hash it was named by; Commit deleted it.
	ErrHashMismatch = errors.New("content: the transferred file does not match its hash; it was discarded")
	// ErrTooLarge means an append would grow a partial file past its limit.
	ErrTooLarge = errors.New("content: the file is larger than allowed")
	// ErrSealed means a partial file is checked and waiting in a Batch
	// to be committed; it takes no more bytes.
	ErrSealed = errors.New("content: the partial file is whole and being committed")
	// ErrBadTag means a partial's tag is not 1 to 64 of [0-9a-z-].
	ErrBadTag = errors.New("content: a partial file's tag must be 1 to 64 characters of 0-9, a-z and '-'")
)

// OffsetError means an append was asked to start somewhere other than the
// end of the partial file; Have is where it ends.
type OffsetError struct{ Want, Have int64 }

func (e *OffsetError) Error() string {
	return fmt.Sprintf("content: append at byte %d, but the partial file holds %d bytes", e.Want, e.Have)
}

// partialLocks serialise appends to, commits and removals of partial
// files, by the hash's first byte (package-wide: a Store has no room for
// them); partialRuns[i], guarded by partialLocks[i], holds the running
// hashes of those partial files, by path.
var (
	partialLocks  [256]sync.Mutex
	partialRuns   [256]map[string]*running
	partialSealed [256]map[string]bool // checked and waiting in a Batch
)

// running is the SHA-256 of a partial file's first n bytes.
type running struct {
	h hash.Hash
	n int64
}

// Partial is the incomplete transfer of one hash under one tag.
type Partial struct {
	s    *Store
	hash string
	path string
}

func validTag(t string) bool {
	if len(t) == 0 || len(t) > 64 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || c == '-') {
			return false
		}
	}
	return true
}

// Partial returns the partial file of hash under tag; nothing is created
// until the first Append.
func (s *Store) Partial(hash, tag string) (*Partial, error) {
	if !ValidHash(hash) {
		return nil, fmt.Errorf("%w: %q", ErrBadHash, hash)
	}
	if !validTag(tag) {
		return nil, fmt.Errorf("%w: %q", ErrBadTag, tag)
	}
	return &Partial{s: s, hash: hash, path: filepath.Join(s.dir, partialDir, hash+"."+tag)}, nil
}

func (p *Partial) slot() int { return int(unhex(p.hash[0])<<4 | unhex(p.hash[1])) }

func (p *Partial) lock() *sync.Mutex { return &partialLocks[p.slot()] }

// run returns and forgets the running hash of the partial file (nil if
// none); the caller holds p.lock().
func (p *Partial) takeRun() *running {
	m := partialRuns[p.slot()]
	r := m[p.path]
	delete(m, p.path)
	return r
}

// sealed reports whether the partial file waits in a Batch; the caller
// holds p.lock().
func (p *Partial) sealed() bool { return partialSealed[p.slot()][p.path] }

// seal marks the partial file as waiting in a Batch (or, with on false,
// no longer); the caller holds p.lock().
func (p *Partial) seal(on bool) {
	i := p.slot()
	if !on {
		delete(partialSealed[i], p.path)
		return
	}
	if partialSealed[i] == nil {
		partialSealed[i] = map[string]bool{}
	}
	partialSealed[i][p.path] = true
}

// keepRun remembers r as the partial file's running hash; the caller
// holds p.lock().
func (p *Partial) keepRun(r *running) {
	i := p.slot()
	if partialRuns[i] == nil {
		partialRuns[i] = map[string]*running{}
	}
	partialRuns[i][p.path] = r
}

// Hash is the hash the partial file must have once whole.
func (p *Partial) Hash() string { return p.hash }

// Size returns how many bytes the partial file holds (0 if none).
func (p *Partial) Size() (int64, error) {
	info, err := os.Stat(p.path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("content: %w", err)
	}
	return info.Size(), nil
}

// Append writes what r yields at byte off, which must be the partial
// file's size (else *OffsetError, nothing written), and returns the new
// size. The file may not grow past limit bytes (ErrTooLarge, nothing
// written beyond it). Bytes written before r fails are kept and synced:
// they are valid, and the next Append resumes after them.
func (p *Partial) Append(off int64, r io.Reader, limit int64) (int64, error) {
	return p.appendAt(off, r, limit, true)
}

// AppendUnsynced is Append without the fsync, for a caller that commits
// many files at once through a Batch (which syncs them all in one pass).
// Where the system allows it writes past the page cache (O_DIRECT), which
// costs less processor time for large files read once.
// Until then the bytes may be lost or damaged by a power cut; a resumed
// transfer whose Commit then finds a wrong hash must start over.
func (p *Partial) AppendUnsynced(off int64, r io.Reader, limit int64) (int64, error) {
	return p.appendAt(off, r, limit, false)
}

func (p *Partial) appendAt(off int64, r io.Reader, limit int64, sync bool) (_ int64, err error) {
	mu := p.lock()
	mu.Lock()
	defer mu.Unlock()
	f, run, err := p.openAt(off)
	if oe := (*OffsetError)(nil); errors.As(err, &oe) {
		return oe.Have, err
	} else if err != nil {
		return off, err
	}
	defer f.Close()
	var direct *os.File
	if !sync {
		// Bulk copies (see AppendUnsynced) skip the page cache.
		if direct = openDirect(p.path); direct != nil {
			defer direct.Close()
		}
	}
	n, copyErr := appendFrom(f, direct, run.h, r, off, limit)
	// appendFrom hashes exactly the bytes written, even when a read or
	// write fails: the running hash matches the file.
	run.n = off + n
	p.keepRun(run)
	if sync {
		if err := f.Sync(); err != nil {
			p.takeRun()
			return off, fmt.Errorf("content: sync partial file: %w", err)
		}
	}
	if copyErr != nil && !errors.Is(copyErr, ErrTooLarge) {
		copyErr = fmt.Errorf("content: append: %w", copyErr)
	}
	return off + n, copyErr
}

// openAt opens the partial file (creating it) for an append at off, which
// must be its size, and returns it with the running hash of its first off
// bytes (hashing them from disk if this process has no such hash). The
// caller holds p.lock() and closes f.
func (p *Partial) openAt(off int64) (f *os.File, run *running, err error) {
	if p.sealed() {
		return nil, nil, ErrSealed
	}
	if err := os.MkdirAll(filepath.Dir(p.path), 0o755); err != nil {
		return nil, nil, fmt.Errorf("content: %w", err)
	}
	f, err = os.OpenFile(p.path, os.O_RDWR|os.O_CREATE, 0o644)
	if errors.Is(err, fs.ErrPermission) {
		// Made read-only by a commit that a crash cut short.
		if os.Chmod(p.path, 0o644) == nil {
			f, err = os.OpenFile(p.path, os.O_RDWR|os.O_CREATE, 0o644)
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("content: %w", err)
	}
	defer func(file *os.File) {
		if err != nil {
			file.Close()
		}
	}(f)
	info, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("content: %w", err)
	}
	if info.Size() != off {
		return nil, nil, &OffsetError{Want: off, Have: info.Size()}
	}
	run = p.takeRun()
	if run == nil || run.n != off {
		// Resuming what another process (or a failed append) left: hash
		// the bytes already there once, then keep the hash running.
		run = &running{h: sha256.New()}
		if run.n, err = io.CopyBuffer(run.h, io.NewSectionReader(f, 0, off), make([]byte, copyBuf)); err != nil {
			return nil, nil, fmt.Errorf("content: read partial file: %w", err)
		}
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil, nil, fmt.Errorf("content: %w", err)
	}
	return f, run, nil
}

// Commit checks that the partial file hashes to its name and moves it
// into the store, synced; on a mismatch it deletes the partial file and
// returns ErrHashMismatch. Committing a hash the store already holds just
// drops the partial file.
func (p *Partial) Commit() (Ref, error) {
	mu := p.lock()
	mu.Lock()
	defer mu.Unlock()
	if p.sealed() {
		return Ref{}, ErrSealed
	}
	ref, err := p.check()
	if err != nil {
		return Ref{}, err
	}
	// Read-only, so a program given Path cannot save over the content.
	if err := os.Chmod(p.path, 0o444); err != nil {
		return Ref{}, fmt.Errorf("content: commit: %w", err)
	}
	if err := syncFile(p.path); err != nil {
		return Ref{}, fmt.Errorf("content: commit: sync: %w", err)
	}
	if err := p.s.install(p.path, ref); err != nil {
		return Ref{}, err
	}
	return ref, nil
}

// check verifies the partial file's hash, from its running hash if this
// process appended all of it, else by reading it; on a mismatch it deletes
// the file. The caller holds p.lock().
func (p *Partial) check() (Ref, error) {
	run := p.takeRun()
	info, err := os.Stat(p.path)
	if err != nil {
		return Ref{}, fmt.Errorf("content: commit: %w", err)
	}
	if run == nil || run.n != info.Size() {
		f, err := os.Open(p.path)
		if err != nil {
			return Ref{}, fmt.Errorf("content: commit: %w", err)
		}
		run = &running{h: sha256.New()}
		run.n, err = io.CopyBuffer(run.h, f, make([]byte, copyBuf))
		f.Close()
		if err != nil {
			return Ref{}, fmt.Errorf("content: commit: %w", err)
		}
	}
	if got := hex.EncodeToString(run.h.Sum(nil)); got != p.hash {
		os.Remove(p.path)
		return Ref{}, fmt.Errorf("%w (want %s, got %s)", ErrHashMismatch, p.hash, got)
	}
	return Ref{Hash: p.hash, Size: run.n}, nil
}

// Remove deletes the partial file, if any.
func (p *Partial) Remove() error {
	mu := p.lock()
	mu.Lock()
	defer mu.Unlock()
	p.takeRun()
	if err := os.Remove(p.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("content: %w", err)
	}
	return nil
}

// SweepPartials removes partial files not written to for longer than age
// (abandoned transfers), and returns how many it removed.
func (s *Store) SweepPartials(age time.Duration) (int, error) {
	dir := filepath.Join(s.dir, partialDir)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("content: %w", err)
	}
	cutoff, n := time.Now().Add(-age), 0
	for _, e := range entries {
		hash, _, ok := strings.Cut(e.Name(), ".")
		if !ok || !ValidHash(hash) || e.IsDir() {
			continue
		}
		info, err := e.Info()
		if err != nil || info.ModTime().After(cutoff) {
			continue
		}
		p := &Partial{s: s, hash: hash, path: filepath.Join(dir, e.Name())}
		if err := p.Remove(); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// SkipTo moves src to offset off, to resume a partial from its source:
// by seeking when src can, else by reading past.
func SkipTo(src io.Reader, off int64) error {
	if off == 0 {
		return nil
	}
	if s, ok := src.(io.Seeker); ok {
		_, err := s.Seek(off, io.SeekStart)
		return err
	}
	_, err := io.CopyN(io.Discard, src, off)
	return err
}
