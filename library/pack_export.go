package library

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"qiao/content"
)

// PackInfo is what a pack says about itself.
type PackInfo struct {
	Title   string // e.g. "三年级语文 人教版"
	Creator string // e.g. "石桥镇中心小学 王老师"
}

// PackProgress reports a running export or import. Files and Bytes count
// the pack's distinct files (entries sharing a file count once); files
// skipped (already there) count as done at once.
type PackProgress struct {
	Files, FilesDone int
	Bytes, BytesDone int64
	Current          string // the title of the entry whose file is being copied ("" between files)
	CurrentBytes     int64  // that file's size
	CurrentDone      int64  // and how much of it is copied
}

// ExportReport says what an export wrote.
type ExportReport struct {
	Entries int      // entries in the manifest
	Files   int      // distinct files in the pack
	Bytes   int64    // their total size
	Copied  int      // files copied (the others were already in the folder)
	Missing []string // titles of selected entries left out: their file is not on this computer
}

// copyBuf is the buffer files stream through, so memory does not grow
// with their size.
const copyBuf = 256 << 10

// progressStep is how many bytes pass between two progress reports
// within a file.
const progressStep = 1 << 20

// Export writes the entries sel picks, whose files the content store
// holds, as a pack in dir (created if needed): first the files, each
// to a temp name, synced and renamed (a file already there with the right
// size and hash is kept), then manifest.json the same way, last. A pack
// folder is therefore usable only once whole. progress may be nil; it is
// called on this goroutine. Cancelling ctx stops it (PackCancelled);
// exporting again continues.
func (p *Packs) Export(ctx context.Context, sel Selection, dir string, info PackInfo, progress func(PackProgress)) (ExportReport, error) {
	var rep ExportReport
	all, err := selectEntries(ctx, p.DB, sel)
	if err != nil {
		return rep, err
	}
	m := &Manifest{Title: info.Title, Creator: info.Creator, Created: time.Now()}
	var plan []planned
	seen := map[string]bool{}
	for _, e := range all {
		if !p.Files.Has(e.Hash) {
			rep.Missing = append(rep.Missing, e.Title)
			continue
		}
		m.Entries = append(m.Entries, e)
		if !seen[e.Hash] {
			seen[e.Hash] = true
			plan = append(plan, planned{hash: e.Hash, size: e.Size, title: e.Title})
		}
	}
	if len(m.Entries) == 0 {
		return rep, &PackError{Code: PackEmpty, Pack: info.Title, Err: errors.New("no selected entry has its file on this computer")}
	}
	manifest, err := EncodeManifest(m) // checked before anything is written
	if err != nil {
		return rep, err
	}
	t := newTracker(plan, progress)
	for _, f := range plan {
		copied, err := exportFile(ctx, p.Files, dir, f, t)
		if err != nil {
			var pe *PackError
			if errors.As(err, &pe) {
				pe.Pack, pe.Entry, pe.File = info.Title, f.title, PackPath(f.hash)
			}
			return rep, err
		}
		if copied {
			rep.Copied++
		} else {
			t.finish(nil, f.size) // already in the pack: counted as done
		}
	}
	if err := writeAtomic(filepath.Join(dir, ManifestFile), manifest); err != nil {
		return rep, &PackError{Code: PackWrite, Pack: info.Title, File: ManifestFile, Err: err}
	}
	rep.Entries, rep.Files, rep.Bytes = len(m.Entries), len(plan), t.p.Bytes
	return rep, nil
}

// planned is one distinct file of a pack and the first entry naming it.
type planned struct {
	hash  string
	size  int64
	title string
}

// exportFile copies one file into the pack unless it is already there,
// whole, and counts a copied file as done. It reports whether it copied.
func exportFile(ctx context.Context, files *content.Store, dir string, f planned, t *tracker) (bool, error) {
	dst := filepath.Join(dir, filepath.FromSlash(PackPath(f.hash)))
	if ok, err := fileHasHash(dst, f.hash, f.size); err != nil {
		return false, &PackError{Code: PackRead, Err: err}
	} else if ok {
		return false, nil
	}
	src, err := files.Open(f.hash)
	if err != nil {
		return false, &PackError{Code: PackRead, Err: err}
	}
	defer src.Close()
	ft := t.start(f.title, f.size, 0)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return false, &PackError{Code: PackWrite, Err: err}
	}
	tmp := dst + ".part"
	out, err := os.Create(tmp)
	if err != nil {
		return false, &PackError{Code: PackWrite, Err: err}
	}
	_, err = io.CopyBuffer(writerOnly{out}, ft.reader(ctx, src), make([]byte, copyBuf))
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		if ctx.Err() != nil {
			return false, &PackError{Code: PackCancelled, Err: ctx.Err()}
		}
		return false, &PackError{Code: PackWrite, Err: err}
	}
	t.finish(ft, f.size)
	return true, nil
}

// fileHasHash reports whether path is a regular file of size bytes
// hashing to hash.
func fileHasHash(path, hash string, size int64) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() || info.Size() != size {
		return false, err
	}
	h := sha256.New()
	if _, err := io.CopyBuffer(h, f, make([]byte, copyBuf)); err != nil {
		return false, err
	}
	return hex.EncodeToString(h.Sum(nil)) == hash, nil
}

// writeAtomic writes b to a temp file beside path, syncs it, renames it
// over path and syncs the folder.
func writeAtomic(path string, b []byte) error {
	tmp := path + ".part"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	f, err := os.OpenFile(tmp, os.O_RDWR, 0)
	if err == nil {
		err = f.Sync()
		f.Close()
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}

// syncDir fsyncs a folder so a rename in it survives a crash (Windows
// cannot open a folder for syncing; NTFS journals its metadata).
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// writerOnly hides *os.File's ReadFrom so CopyBuffer uses our buffer.
type writerOnly struct{ w io.Writer }

func (w writerOnly) Write(p []byte) (int, error) { return w.w.Write(p) }

// tracker counts progress over a pack's files and reports it, one call
// at a time, from whichever goroutine copied the bytes.
type tracker struct {
	mu sync.Mutex
	p  PackProgress
	fn func(PackProgress)
}

func newTracker(plan []planned, fn func(PackProgress)) *tracker {
	t := &tracker{fn: fn}
	t.p.Files = len(plan)
	for _, f := range plan {
		t.p.Bytes += f.size
	}
	t.report(nil)
	return t
}

// report calls fn with f as the current file (nil: none); t.mu is held.
func (t *tracker) report(f *fileTrack) {
	if f != nil {
		t.p.Current, t.p.CurrentBytes, t.p.CurrentDone = f.title, f.size, f.done
	} else {
		t.p.Current, t.p.CurrentBytes, t.p.CurrentDone = "", 0, 0
	}
	if t.fn != nil {
		t.fn(t.p)
	}
}

// fileTrack is the progress of one file.
type fileTrack struct {
	t          *tracker
	title      string
	size, done int64
	last       int64 // done at the last report
}

// start begins a file of which done bytes are already in place.
func (t *tracker) start(title string, size, done int64) *fileTrack {
	f := &fileTrack{t: t, title: title, size: size, done: done, last: done}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.p.BytesDone += done
	t.report(f)
	return f
}

// add counts n more bytes of the file.
func (f *fileTrack) add(n int64) {
	f.t.mu.Lock()
	defer f.t.mu.Unlock()
	f.done += n
	f.t.p.BytesDone += n
	if f.done-f.last >= progressStep {
		f.last = f.done
		f.t.report(f)
	}
}

// finish ends a file (copied, skipped or refused), counting what was not
// copied as done. f may be nil: a file never started, of size bytes.
func (t *tracker) finish(f *fileTrack, size int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if f != nil {
		size -= f.done
	}
	t.p.BytesDone += size
	t.p.FilesDone++
	t.report(nil)
}

// reader counts what r yields and stops with ctx's error once ctx is done.
func (f *fileTrack) reader(ctx context.Context, r io.Reader) io.Reader {
	return &trackedReader{ctx: ctx, r: r, f: f}
}

type trackedReader struct {
	ctx context.Context
	r   io.Reader
	f   *fileTrack
}

func (r *trackedReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := r.r.Read(p)
	r.f.add(int64(n))
	return n, err
}
