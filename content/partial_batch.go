package content

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Batch commits many partial files with one durability pass instead of
// one per file: Add checks each file's hash and takes it out of reach of
// further appends; Commit syncs all their bytes at once, renames them into
// place and syncs the folders at once. A file is visible only after
// Commit, and only once its bytes are durable. On Linux each pass is one
// syncfs of the store's file system (one journal commit); elsewhere it is
// an fsync per file and per folder. A Batch is safe for use by several
// goroutines; a crash between Add and Commit leaves the added files as
// temp files the store sweeps later.
type Batch struct {
	s    *Store
	mu   sync.Mutex
	refs []Ref
	tmps []string
}

// NewBatch starts an empty batch.
func (s *Store) NewBatch() *Batch { return &Batch{s: s} }

// Add checks that the whole partial file p hashes to its name (as Commit
// does: deleting it and returning ErrHashMismatch if not) and adds it to
// b. It returns the file's Ref.
func (b *Batch) Add(p *Partial) (Ref, error) {
	mu := p.lock()
	mu.Lock()
	defer mu.Unlock()
	ref, err := p.check()
	if err != nil {
		return Ref{}, err
	}
	// A fresh temp name, so a later transfer of the same hash and tag
	// starts a new partial file instead of appending to this one.
	f, err := os.CreateTemp(filepath.Join(b.s.dir, tmpDir), tempPrefix+"*")
	if err != nil {
		return Ref{}, fmt.Errorf("content: commit: %w", err)
	}
	f.Close()
	if err := os.Rename(p.path, f.Name()); err != nil {
		os.Remove(f.Name())
		return Ref{}, fmt.Errorf("content: commit: %w", err)
	}
	b.mu.Lock()
	b.refs, b.tmps = append(b.refs, ref), append(b.tmps, f.Name())
	b.mu.Unlock()
	return ref, nil
}

// Commit makes the files added since the last Commit durable and visible.
// If it fails, none of them is visible unless its bytes were synced.
func (b *Batch) Commit() error {
	b.mu.Lock()
	refs, tmps := b.refs, b.tmps
	b.refs, b.tmps = nil, nil
	b.mu.Unlock()
	if len(refs) == 0 {
		return nil
	}
	if err := syncFiles(b.s.dir, tmps); err != nil {
		for _, t := range tmps {
			os.Remove(t)
		}
		return fmt.Errorf("content: commit: sync: %w", err)
	}
	dirs := map[string]bool{}
	for i, ref := range refs {
		if err := b.s.place(tmps[i], ref, false); err != nil {
			for _, t := range tmps[i:] {
				os.Remove(t)
			}
			return err
		}
		dirs[filepath.Join(b.s.dir, ref.Hash[:2])] = true
	}
	if err := syncDirs(b.s.dir, dirs); err != nil {
		return fmt.Errorf("content: commit: sync folders: %w", err)
	}
	return nil
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
