package library

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"

	"qiao/content"
	"qiao/store"
)

// Packs exports and imports resource packs for one installation.
type Packs struct {
	DB       *store.Store
	Files    *content.Store
	SchoolID string // the partition imported entries go into: this school
}

// partialTag names a pack import's partial files in the content store.
const partialTag = "pack"

// ImportReport says what an import did.
type ImportReport struct {
	Pack    string       // the pack's title
	Entries int          // entries in the pack
	Added   int          // entries added to the catalogue (the others were there already or refused)
	Files   int          // distinct files in the pack
	Copied  int          // files copied into the content store
	Present int          // files the content store already had
	Refused []*PackError // files refused (PackMissing, PackCorrupt), each naming its entry; their entries were not added
}

// Import imports the pack in the folder dir (see ImportFS).
func (p *Packs) Import(ctx context.Context, dir string, progress func(PackProgress)) (ImportReport, error) {
	return p.ImportFS(ctx, os.DirFS(dir), progress)
}

// ImportFS imports a pack: it reads and checks the manifest (a bad one
// refuses the pack, nothing changes), then copies each file the content
// store lacks into a partial file that becomes visible only when its
// SHA-256 matches, then adds in one transaction the entries whose file is
// in the store. A file that is missing or does not match its size or hash
// is refused and its entries left out; the rest imports. When it
// returns, every file it copied is durable (synced in batches, see
// content.Batch), also when it stops early.
//
// A read error (the drive pulled out) or a cancelled ctx stops the import
// with PackRead or PackCancelled before any entry is added; the bytes
// copied so far are kept, and importing again continues each file from
// where it stopped. Importing a pack again changes nothing. Memory use
// does not grow with file sizes. progress may be nil; it is called one
// call at a time from the import's goroutines (not the caller's).
func (p *Packs) ImportFS(ctx context.Context, pack fs.FS, progress func(PackProgress)) (ImportReport, error) {
	var rep ImportReport
	m, err := openManifest(pack)
	if err != nil {
		return rep, err
	}
	rep.Pack, rep.Entries = m.Title, len(m.Entries)
	var plan []planned
	seen := map[string]bool{}
	for _, e := range m.Entries {
		if !seen[e.Hash] {
			seen[e.Hash] = true
			plan = append(plan, planned{hash: e.Hash, size: e.Size, title: e.Title})
		}
	}
	rep.Files = len(plan)
	t := newTracker(plan, progress)
	refused := map[string]bool{}
	if err := p.importFiles(ctx, pack, plan, t, func(f planned, err error) {
		var pe *PackError
		errors.As(err, &pe)
		switch code := PackCodeOf(err); {
		case err == errPresent:
			rep.Present++
		case err == nil:
			rep.Copied++
		case code == PackMissing || code == PackCorrupt:
			pe.Pack = m.Title
			rep.Refused = append(rep.Refused, pe)
			refused[f.hash] = true
		}
	}); err != nil {
		var pe *PackError
		if errors.As(err, &pe) {
			pe.Pack = m.Title
		}
		return rep, err
	}
	var keep []PackEntry
	for _, e := range m.Entries {
		if !refused[e.Hash] && p.Files.Has(e.Hash) {
			keep = append(keep, e)
		}
	}
	rep.Added, err = insertEntries(ctx, p.DB, p.SchoolID, keep)
	if err != nil {
		if ctx.Err() != nil {
			return rep, &PackError{Code: PackCancelled, Pack: m.Title, Err: ctx.Err()}
		}
		return rep, &PackError{Code: PackWrite, Pack: m.Title, Err: err}
	}
	return rep, nil
}

// importWorkers is how many files an import copies at once; batchBytes is
// how many bytes of copied, verified files it gathers before making them
// durable and visible in one pass (content.Batch), while the copying goes on.
const (
	importWorkers = 3
	batchBytes    = 256 << 20
)

// errPresent tells importFiles' done that the store already had a file.
var errPresent = errors.New("already in the content store")

// importFiles copies the plan's files with importWorkers goroutines and
// calls done (on this goroutine) with each file's outcome: nil, errPresent,
// or a *PackError. The first error other than PackMissing or PackCorrupt
// stops the rest (the files in flight keep what they copied) and is
// returned, with the pack's title set. When it returns, every file copied
// is durable and in the content store (or the error says why not).
func (p *Packs) importFiles(ctx context.Context, pack fs.FS, plan []planned, t *tracker, done func(planned, error)) error {
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	type result struct {
		f   planned
		err error
	}
	work, results := make(chan planned), make(chan result)
	batch := p.Files.NewBatch()
	var wg sync.WaitGroup
	for range importWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				var err error
				if p.Files.Has(f.hash) {
					t.finish(nil, f.size)
					err = errPresent
				} else {
					err = p.importFile(wctx, pack, f, t, batch)
				}
				var pe *PackError
				if errors.As(err, &pe) {
					pe.Entry, pe.File = f.title, PackPath(f.hash)
				}
				results <- result{f, err}
			}
		}()
	}
	go func() {
		defer close(work)
		for _, f := range plan {
			select {
			case work <- f:
			case <-wctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	// One committer makes full batches durable while the workers copy on.
	flush, committed := make(chan struct{}, 1), make(chan error, 1)
	go func() {
		var first error
		for range flush {
			if err := batch.Commit(); err != nil && first == nil {
				first = err
				stop()
			}
		}
		committed <- first
	}()
	var first error
	var pending int64
	for r := range results {
		if c := PackCodeOf(r.err); r.err == nil || r.err == errPresent || c == PackMissing || c == PackCorrupt {
			done(r.f, r.err)
		} else if first == nil {
			first = r.err
			stop()
		}
		if r.err == nil {
			if pending += r.f.size; pending >= batchBytes {
				pending = 0
				select {
				case flush <- struct{}{}:
				default: // a flush is pending already: it takes these too
				}
			}
		}
	}
	close(flush)
	cerr := <-committed
	if cerr == nil {
		cerr = batch.Commit() // the last files, also when the import stopped early
	}
	if cerr != nil {
		return &PackError{Code: PackWrite, Err: cerr}
	}
	if first == nil && ctx.Err() != nil { // cancelled between files
		first = &PackError{Code: PackCancelled, Err: ctx.Err()}
	}
	return first
}

// openManifest reads and parses the pack's manifest.json.
func openManifest(pack fs.FS) (*Manifest, error) {
	f, err := pack.Open(ManifestFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &PackError{Code: PackNoManifest, Err: err}
	}
	if err != nil {
		return nil, &PackError{Code: PackRead, Err: err}
	}
	defer f.Close()
	return ReadManifest(f)
}

// importFile copies one file of the pack into a partial file, continuing
// what an earlier import left, hashing while it copies, and adds it to
// batch once whole and verified.
func (p *Packs) importFile(ctx context.Context, pack fs.FS, f planned, t *tracker, batch *content.Batch) error {
	var ft *fileTrack // nil until the copy starts
	defer func() { t.finish(ft, f.size) }()
	part, err := p.Files.Partial(f.hash, partialTag)
	if err != nil {
		return &PackError{Code: PackWrite, Err: err}
	}
	src, err := pack.Open(PackPath(f.hash))
	if errors.Is(err, fs.ErrNotExist) {
		if _, merr := fs.Stat(pack, ManifestFile); merr != nil {
			return &PackError{Code: PackRead, Err: merr} // the whole pack is gone: the drive
		}
		return &PackError{Code: PackMissing, Err: errors.New("the file is not in the pack")}
	}
	if err != nil {
		return &PackError{Code: PackRead, Err: err}
	}
	defer src.Close()
	info, err := src.Stat()
	if err != nil {
		return &PackError{Code: PackRead, Err: err}
	}
	if !info.Mode().IsRegular() || info.Size() != f.size {
		return &PackError{Code: PackCorrupt, Err: fmt.Errorf("the file has %d bytes, the manifest says %d", info.Size(), f.size)}
	}
	for attempt := 0; ; attempt++ {
		off, err := part.Size()
		if err != nil {
			return &PackError{Code: PackWrite, Err: err}
		}
		if off > f.size { // not from this pack's file
			if err := part.Remove(); err != nil {
				return &PackError{Code: PackWrite, Err: err}
			}
			off = 0
		}
		if err := content.SkipTo(src, off); err != nil {
			return &PackError{Code: PackRead, Err: err}
		}
		if ft == nil {
			ft = t.start(f.title, f.size, off)
		}
		r := &sourceReader{r: ft.reader(ctx, src)}
		n, err := part.AppendUnsynced(off, r, f.size)
		switch {
		case ctx.Err() != nil:
			return &PackError{Code: PackCancelled, Err: ctx.Err()}
		case errors.Is(err, content.ErrTooLarge):
			part.Remove()
			return &PackError{Code: PackCorrupt, Err: errors.New("the file grew while it was read")}
		case r.err != nil:
			return &PackError{Code: PackRead, Err: r.err}
		case err != nil:
			return &PackError{Code: PackWrite, Err: err}
		case n != f.size:
			return &PackError{Code: PackRead, Err: fmt.Errorf("the file ended after %d of %d bytes", n, f.size)}
		}
		_, err = batch.Add(part)
		if errors.Is(err, content.ErrHashMismatch) && off > 0 && attempt == 0 {
			// The bytes kept from an earlier import may be what a power
			// cut damaged, not the pack: copy the whole file once more.
			ft.add(-f.size)
			continue
		}
		if errors.Is(err, content.ErrHashMismatch) {
			return &PackError{Code: PackCorrupt, Err: errors.New("its bytes do not match the manifest's hash; it was not imported")}
		} else if err != nil {
			return &PackError{Code: PackWrite, Err: err}
		}
		return nil
	}
}

// sourceReader remembers the pack's read error, to tell it from a write
// error of the content store.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(b []byte) (int, error) {
	n, err := s.r.Read(b)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}
