package content

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Batch commits many partial files with one durability pass instead of
// one per file: Add checks a whole partial file's hash and seals it (it
// takes no more bytes); Commit syncs all sealed files' bytes at once,
// moves them into place and syncs the folders at once. A file is visible
// only after Commit, and only once its bytes are durable. On Linux each
// pass is one syncfs of the store's file system (one journal commit);
// elsewhere an fsync per file and per folder. A crash before Commit
// leaves the sealed files as whole partial files, committed by the next
// transfer. A Batch is safe for use by several goroutines.
type Batch struct {
	s     *Store
	mu    sync.Mutex
	parts []*Partial
	refs  []Ref
}

// NewBatch starts an empty batch.
func (s *Store) NewBatch() *Batch { return &Batch{s: s} }

// Add checks that the whole partial file p hashes to its name (as Commit
// does: deleting it and returning ErrHashMismatch if not), seals it and
// adds it to b. It returns the file's Ref.
func (b *Batch) Add(p *Partial) (Ref, error) {
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
	p.seal(true)
	b.mu.Lock()
	b.parts, b.refs = append(b.parts, p), append(b.refs, ref)
	b.mu.Unlock()
	return ref, nil
}

// Commit makes the files added since the last Commit durable and visible.
// On an error the files not yet moved stay partial files (unsealed).
func (b *Batch) Commit() error {
	b.mu.Lock()
	parts, refs := b.parts, b.refs
	b.parts, b.refs = nil, nil
	b.mu.Unlock()
	if len(parts) == 0 {
		return nil
	}
	paths := make([]string, len(parts))
	for i, p := range parts {
		paths[i] = p.path
	}
	err := syncFiles(b.s.dir, paths)
	if err != nil {
		err = fmt.Errorf("content: commit: sync: %w", err)
	}
	dirs := map[string]bool{}
	for i, p := range parts {
		if err == nil {
			err = b.place(p, refs[i])
			dirs[filepath.Join(b.s.dir, refs[i].Hash[:2])] = true
		} else {
			b.unseal(p)
		}
	}
	if err != nil {
		return err
	}
	if err := syncDirs(b.s.dir, dirs); err != nil {
		return fmt.Errorf("content: commit: sync folders: %w", err)
	}
	return nil
}

// place moves the sealed partial file p into the store, read-only.
func (b *Batch) place(p *Partial, ref Ref) error {
	mu := p.lock()
	mu.Lock()
	defer mu.Unlock()
	p.seal(false)
	// Read-only, so a program given Path cannot save over the content.
	if err := os.Chmod(p.path, 0o444); errors.Is(err, fs.ErrNotExist) && b.s.Has(ref.Hash) {
		return nil // committed meanwhile by someone not knowing of the seal
	} else if err != nil {
		return fmt.Errorf("content: commit: %w", err)
	}
	return b.s.place(p.path, ref, false)
}

func (b *Batch) unseal(p *Partial) {
	mu := p.lock()
	mu.Lock()
	defer mu.Unlock()
	p.seal(false)
}

// syncFile fsyncs the file at path.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
