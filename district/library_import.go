package district

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"qiao/content"
	"qiao/syncproto"
)

// Loading the district's own catalogue from a resource pack
// (docs/resource-pack.md, "Loading a district's catalogue"): each entry's
// file is copied into the district's content store the way an upload is
// (a partial file committed only when its SHA-256 matches), then, in one
// transaction per entry, the file becomes district-wide and the entry a
// district-wide library_entries row, reaching every school by sync.

// LibraryEntry is one catalogue entry to import: the catalogue fields,
// the entry's id and partition in the pack, its lesson and creation time.
type LibraryEntry struct {
	ID       string // the pack's id: kept when a district-wide UUID
	SchoolID string // the pack's partition: "" for a district-wide entry
	LibraryFields
	LessonID  string
	CreatedAt int64 // unix seconds
}

// LibraryImport says what ImportLibrary did.
type LibraryImport struct {
	Added, Updated, Unchanged int // entries
	Deleted                   int // entries the district had deleted: left deleted
	Copied, Present           int // distinct files copied, or in the store already
	Refused                   []ImportRefusal
}

// ImportRefusal is an entry that was not imported, and why.
type ImportRefusal struct {
	ID, Title, Hash string
	Reason          string
}

func (r ImportRefusal) Error() string {
	return fmt.Sprintf("%q (%s, file %s): %s", r.Title, r.ID, r.Hash, r.Reason)
}

// importTag names an import's partial files in the content store.
const importTag = "library-import"

// ImportProgress is how far an import has got, for a progress display.
type ImportProgress struct {
	Files, FilesDone int    // distinct files of the entries to import, and those done (copied, present or refused)
	Bytes, BytesDone int64  // their total size, and how much is done
	Current          string // the title of the entry whose file is being copied ("" between files)
}

// ImportLibrary imports entries into the district's catalogue. For each
// distinct file the store lacks, open(hash) gives its bytes, which must
// have the entry's size and hash (else every entry naming it is refused,
// and the rest goes on); a file is visible only once whole. Then each
// entry whose file is in the store is written in its own transaction:
// the file recorded district-wide and a district-wide library_entries row
// with source district. An entry keeps its id when it is a district-wide
// UUID; a school's entry gets an id derived from its own. Importing the
// same entries again changes nothing; changed fields update the row; an
// entry the district deleted stays deleted.
//
// A cancelled ctx, or a read error mid-file (the drive pulled out), stops
// the import with an error; the bytes copied so far are kept (synced) in
// a partial file, and importing again continues each file from there
// (a kept part whose bytes turn out wrong is copied once more from the
// start, then refused). Entries already written stay. Other errors are
// for the database or the store; refusals are in the report. progress,
// if not nil, is called on this goroutine as bytes are copied and after
// each file.
func (d *DB) ImportLibrary(ctx context.Context, files *content.Store, entries []LibraryEntry, open func(hash string) (io.ReadCloser, error), now time.Time, progress func(ImportProgress)) (LibraryImport, error) {
	var rep LibraryImport
	refuse := func(e LibraryEntry, format string, a ...any) {
		rep.Refused = append(rep.Refused, ImportRefusal{ID: e.ID, Title: e.Title, Hash: e.Hash, Reason: fmt.Sprintf(format, a...)})
	}
	type file struct {
		hash string
		size int64
	}
	var prog ImportProgress
	counted := map[file]bool{}
	for _, e := range entries {
		if f := (file{e.Hash, e.Size}); e.check() == nil && !counted[f] {
			counted[f] = true
			prog.Files++
			prog.Bytes += e.Size
		}
	}
	report := func() {
		if progress != nil {
			progress(prog)
		}
	}
	report()
	fileErr := map[file]string{} // why a file was refused ("" = in the store)
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		if err := e.check(); err != nil {
			refuse(e, "%s", err.(*APIError).Message)
			continue
		}
		why, seen := fileErr[file{e.Hash, e.Size}]
		if !seen {
			prog.Current = e.Title
			base := prog.BytesDone
			copied, err := d.importFile(ctx, files, e.Hash, e.Size, open, func(n int64) {
				prog.BytesDone = base + n
				report()
			})
			var bad *badFile
			switch {
			case errors.As(err, &bad):
				why = bad.why
			case err != nil:
				return rep, fmt.Errorf("file of %q: %w", e.Title, err)
			case copied:
				rep.Copied++
			default:
				rep.Present++
			}
			fileErr[file{e.Hash, e.Size}] = why
			prog.FilesDone++
			prog.BytesDone, prog.Current = base+e.Size, ""
			report()
		}
		if why != "" {
			refuse(e, "%s", why)
			continue
		}
		res, err := d.importEntry(ctx, e, now)
		var r ImportRefusal
		switch {
		case errors.As(err, &r):
			refuse(e, "%s", r.Reason)
		case err != nil:
			return rep, fmt.Errorf("entry %q: %w", e.Title, err)
		}
		switch res {
		case entryAdded:
			rep.Added++
		case entryUpdated:
			rep.Updated++
		case entryUnchanged:
			rep.Unchanged++
		case entryDeleted:
			rep.Deleted++
		}
	}
	return rep, nil
}

// badFile is a file of the pack that is missing or wrong.
type badFile struct{ why string }

func (b *badFile) Error() string { return b.why }

// ReadError is a read of the pack that failed mid-file (the drive pulled
// out): the import stopped, keeping what it copied of the file.
type ReadError struct {
	Hash       string
	Done, Size int64 // bytes of the file kept, of its size
	Err        error
}

func (e *ReadError) Error() string {
	return fmt.Sprintf("reading the pack's file %s failed after %d of %d bytes (kept: importing again continues from there): %v", e.Hash, e.Done, e.Size, e.Err)
}

func (e *ReadError) Unwrap() error { return e.Err }

// importFile puts hash into files unless there: read from open, appended
// (synced) to the partial file an earlier cut import left (or a new one),
// committed only with exactly size bytes and the right hash; a kept part
// that makes the hash wrong is dropped and the file copied once more from
// the start, as the app's pack import does. done is told how many bytes
// of the file are in the partial file as they grow. It reports whether
// it copied.
func (d *DB) importFile(ctx context.Context, files *content.Store, hash string, size int64, open func(string) (io.ReadCloser, error), done func(int64)) (bool, error) {
	if path, err := files.Path(hash); err == nil {
		info, err := os.Stat(path)
		if err != nil {
			return false, err
		}
		if info.Size() != size {
			return false, &badFile{fmt.Sprintf("the entry says %d bytes, but the district's copy of its file has %d", size, info.Size())}
		}
		return false, nil
	}
	p, err := files.Partial(hash, importTag)
	if err != nil {
		return false, err
	}
	for attempt := 0; ; attempt++ {
		off, err := p.Size()
		if err != nil {
			return false, err
		}
		if off > size { // not this file's bytes
			if err := p.Remove(); err != nil {
				return false, err
			}
			off = 0
		}
		n, err := copyFrom(ctx, p, off, size, hash, open, done)
		if err != nil {
			return false, err
		}
		if n != size {
			p.Remove()
			return false, &badFile{fmt.Sprintf("the file has %d bytes, not the %d the entry says: damaged, copy the pack again", n, size)}
		}
		_, err = p.Commit()
		if errors.Is(err, content.ErrHashMismatch) && off > 0 && attempt == 0 {
			continue // Commit dropped the partial file: the kept part may be what was damaged
		}
		if errors.Is(err, content.ErrHashMismatch) {
			return false, &badFile{"the file's bytes do not have its SHA-256: damaged, copy the pack again"}
		} else if err != nil {
			return false, err
		}
		return true, nil
	}
}

// copyFrom appends the pack's file from byte off to the partial file p
// and returns the partial file's size. A file that cannot be opened, or is
// larger than size, is a *badFile; a read failing mid-file a *ReadError;
// a cancelled ctx its error; what was appended is kept.
func copyFrom(ctx context.Context, p *content.Partial, off, size int64, hash string, open func(string) (io.ReadCloser, error), done func(int64)) (int64, error) {
	src, err := open(hash)
	if errors.Is(err, fs.ErrNotExist) {
		return off, &badFile{"the file is missing from the pack"}
	}
	if err != nil {
		return off, &badFile{fmt.Sprintf("the file cannot be read: %v", err)}
	}
	defer src.Close()
	done(off)
	if err := content.SkipTo(src, off); err != nil {
		return off, &ReadError{Hash: hash, Done: off, Size: size, Err: err}
	}
	r := &progressReader{ctx: ctx, r: src, n: off, done: done}
	n, err := p.Append(off, r, size)
	switch {
	case ctx.Err() != nil:
		return n, ctx.Err()
	case errors.Is(err, content.ErrTooLarge):
		p.Remove()
		return n, &badFile{fmt.Sprintf("the file is larger than the %d bytes the entry says: damaged, copy the pack again", size)}
	case r.err != nil:
		return n, &ReadError{Hash: hash, Done: n, Size: size, Err: r.err}
	}
	return n, err
}

// progressReader reads the pack's file until ctx is cancelled, telling
// done the offset reached, and remembers a read error (to tell it from
// the store's write errors).
type progressReader struct {
	ctx  context.Context
	r    io.Reader
	n    int64
	done func(int64)
	err  error
}

func (r *progressReader) Read(b []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := r.r.Read(b)
	if n > 0 {
		r.n += int64(n)
		r.done(r.n)
	}
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}

type entryResult int

const (
	entryRefused entryResult = iota
	entryAdded
	entryUpdated
	entryUnchanged
	entryDeleted
)

// importEntry writes one entry (whose file is in the store) in one
// transaction; an ImportRefusal error refuses it.
func (d *DB) importEntry(ctx context.Context, e LibraryEntry, now time.Time) (entryResult, error) {
	id := importID(e)
	tags, _ := json.Marshal(e.Tags)
	fields := map[string]any{
		"title": e.Title, "stage": e.Stage, "subject": e.Subject, "edition": e.Edition, "grade": e.Grade, "unit": e.Unit,
		"kind": e.Kind, "source": "district", "file_name": e.FileName, "size": e.Size, "hash": e.Hash, "tags": string(tags),
		"uploaded_by": e.UploadedBy, "licence": e.Licence, "lesson_id": e.LessonID, "created_at": e.CreatedAt,
	}
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return entryRefused, err
	}
	defer tx.Rollback()
	cur, exists, err := scanCurrent(d.txQueryRow(ctx, tx, currentSQL, "library_entries", id))
	if err != nil {
		return entryRefused, err
	}
	res := entryAdded
	if exists {
		switch {
		case cur.school != "":
			return entryRefused, ImportRefusal{Reason: "id " + id + " is a school's catalogue entry, not the district's"}
		case cur.deleted:
			return entryDeleted, nil
		}
		same, err := sameFields(cur.data, fields)
		if err != nil || same {
			return entryUnchanged, err
		}
		res = entryUpdated
	}
	if err := d.addFile(ctx, tx, e.Hash, "", e.Size, "", now); err != nil {
		return entryRefused, err
	}
	if err := d.putDistrictRow(ctx, tx, "library_entries", id, "", fields); err != nil {
		return entryRefused, err
	}
	return res, tx.Commit()
}

// importID is the district row's id of e: its own when it is a
// district-wide UUID; else (a school's entry, or not a UUID) a UUID
// (version 8) derived from it, the same at every import; a new one when
// it has none.
func importID(e LibraryEntry) string {
	switch {
	case e.SchoolID == "" && syncproto.IsUUID(e.ID):
		return e.ID
	case e.ID == "":
		return newID()
	}
	sum := sha256.Sum256([]byte("qiao district library import\x00" + e.SchoolID + "\x00" + e.ID))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x80
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// sameFields reports whether the row data holds fields already.
func sameFields(data string, fields map[string]any) (bool, error) {
	var row map[string]any
	if err := json.Unmarshal([]byte(data), &row); err != nil {
		return false, err
	}
	have := map[string]any{}
	for k := range fields {
		have[k] = row[k]
	}
	a, err := json.Marshal(have)
	if err != nil {
		return false, err
	}
	b, err := json.Marshal(fields)
	return bytes.Equal(a, b), err
}
