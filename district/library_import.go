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

// ImportLibrary imports entries into the district's catalogue. For each
// distinct file the store lacks, open(hash) gives its bytes, which must
// have the entry's size and hash (else every entry naming it is refused,
// and the rest goes on); a file is visible only once whole. Then each
// entry whose file is in the store is written in its own transaction:
// the file recorded district-wide and a district-wide library_entries row
// with source district. An entry keeps its id when it is a district-wide
// UUID; a school's entry gets an id derived from its own. Importing the
// same entries again changes nothing; changed fields update the row; an
// entry the district deleted stays deleted. The error is for the
// database or the store; refusals are in the report.
func (d *DB) ImportLibrary(ctx context.Context, files *content.Store, entries []LibraryEntry, open func(hash string) (io.ReadCloser, error), now time.Time) (LibraryImport, error) {
	var rep LibraryImport
	refuse := func(e LibraryEntry, format string, a ...any) {
		rep.Refused = append(rep.Refused, ImportRefusal{ID: e.ID, Title: e.Title, Hash: e.Hash, Reason: fmt.Sprintf(format, a...)})
	}
	type file struct {
		hash string
		size int64
	}
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
			copied, err := d.importFile(files, e.Hash, e.Size, open)
			var bad *badFile
			switch {
			case errors.As(err, &bad):
				why = bad.why
			case err != nil:
				return rep, err
			case copied:
				rep.Copied++
			default:
				rep.Present++
			}
			fileErr[file{e.Hash, e.Size}] = why
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

// importFile puts hash into files unless there: read from open, into a
// partial file (as an upload), committed only with exactly size bytes
// and the right hash. It reports whether it copied.
func (d *DB) importFile(files *content.Store, hash string, size int64, open func(string) (io.ReadCloser, error)) (bool, error) {
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
	src, err := open(hash)
	if errors.Is(err, fs.ErrNotExist) {
		return false, &badFile{"the file is missing from the pack"}
	}
	if err != nil {
		return false, &badFile{fmt.Sprintf("the file cannot be read: %v", err)}
	}
	defer src.Close()
	p, err := files.Partial(hash, importTag)
	if err != nil {
		return false, err
	}
	if err := p.Remove(); err != nil { // a cut earlier import's leftovers
		return false, err
	}
	n, err := p.Append(0, src, size)
	switch {
	case errors.Is(err, content.ErrTooLarge):
		p.Remove()
		return false, &badFile{fmt.Sprintf("the file is larger than the %d bytes the entry says: damaged, copy the pack again", size)}
	case err != nil:
		p.Remove()
		return false, &badFile{fmt.Sprintf("the file cannot be read: %v", err)}
	case n != size:
		p.Remove()
		return false, &badFile{fmt.Sprintf("the file has %d bytes, not the %d the entry says: damaged, copy the pack again", n, size)}
	}
	if _, err := p.Commit(); errors.Is(err, content.ErrHashMismatch) {
		return false, &badFile{"the file's bytes do not have its SHA-256: damaged, copy the pack again"}
	} else if err != nil {
		return false, err
	}
	return true, nil
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
