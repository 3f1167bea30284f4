package library

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"qiao/content"
	"qiao/store"
)

const table = "library_entries"

// entryCols are the columns read into an Entry, in scanEntry's order.
const entryCols = `id, school_id, title, stage, subject, edition, grade, unit, kind, source,
	file_name, size, hash, tags, uploaded_by, licence, lesson_id, created_at`

// clean trims an entry's text and checks it; nil if it may be stored.
func clean(e *Entry) error {
	for _, f := range []*string{&e.Title, &e.Stage, &e.Subject, &e.Edition, &e.Unit, &e.FileName, &e.UploadedBy, &e.Licence, &e.LessonID} {
		*f = strings.TrimSpace(*f)
	}
	switch {
	case e.Title == "" || utf8.RuneCountInString(e.Title) > MaxTitle:
		return fail(ErrTitle, "a title of 1 to %d characters is required", MaxTitle)
	case !slices.Contains(Kinds, e.Kind):
		return fail(ErrKind, "kind %q is not one of %v", e.Kind, Kinds)
	case e.Source != FromDistrict && e.Source != FromSchool && e.Source != FromTeacher:
		return fail(ErrSource, "source %q is not district, school or teacher", e.Source)
	case e.Grade < 0 || e.Grade > 12:
		return fail(ErrGrade, "grade %d is not 0 (any) or 1..12", e.Grade)
	case e.Stage != "" && !slices.Contains(Stages, e.Stage):
		return fail(ErrStage, "stage %q is not one of %v", e.Stage, Stages)
	case !content.ValidHash(e.Hash):
		return fail(ErrHash, "hash %q is not a SHA-256 in 64 lower-case hex digits", e.Hash)
	case e.Size < 0:
		return fail(ErrSize, "size %d is negative", e.Size)
	case len(e.Tags) > MaxTags:
		return fail(ErrTags, "%d tags; at most %d", len(e.Tags), MaxTags)
	}
	for _, f := range []string{e.Stage, e.Subject, e.Edition, e.Unit, e.FileName, e.UploadedBy, e.Licence, e.LessonID} {
		if utf8.RuneCountInString(f) > MaxField {
			return fail(ErrText, "%q is longer than %d characters", f[:min(len(f), 40)], MaxField)
		}
	}
	tags := make([]string, 0, len(e.Tags))
	for _, t := range e.Tags {
		t = strings.TrimSpace(t)
		if t == "" || utf8.RuneCountInString(t) > MaxTag {
			return fail(ErrTags, "tag %q: tags are 1 to %d characters", t, MaxTag)
		}
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	e.Tags = tags
	return nil
}

func fields(e Entry) store.Fields {
	tags, _ := json.Marshal(e.Tags)
	if e.Tags == nil {
		tags = []byte("[]")
	}
	return store.Fields{"title": e.Title, "stage": e.Stage, "subject": e.Subject, "edition": e.Edition,
		"grade": e.Grade, "unit": e.Unit, "kind": string(e.Kind), "source": string(e.Source),
		"file_name": e.FileName, "size": e.Size, "hash": e.Hash, "tags": string(tags),
		"uploaded_by": e.UploadedBy, "licence": e.Licence, "lesson_id": e.LessonID, "created_at": e.CreatedAt.Unix()}
}

// Add stores the file read from r in the content store and catalogues it
// as a new entry of the school (Source FromSchool or FromTeacher; Hash and
// Size come from the file). The entry is checked before the file is read,
// so a refused entry stores nothing.
func (s *Service) Add(ctx context.Context, e Entry, r io.Reader) (Entry, error) {
	return s.add(ctx, e, func() (content.Ref, error) { return s.files.Put(r) })
}

// AddFile is Add for the file at path; FileName defaults to its base name.
func (s *Service) AddFile(ctx context.Context, e Entry, path string) (Entry, error) {
	if strings.TrimSpace(e.FileName) == "" {
		e.FileName = filepath.Base(path)
	}
	return s.add(ctx, e, func() (content.Ref, error) { return s.files.PutFile(path) })
}

func (s *Service) add(ctx context.Context, e Entry, put func() (content.Ref, error)) (Entry, error) {
	if s.files == nil {
		return e, fail(ErrNoFiles, "this library has no file store")
	}
	if e.Source != FromSchool && e.Source != FromTeacher {
		return e, fail(ErrSource, "a file added here is the school's or a teacher's, not %q", e.Source)
	}
	e.ID, e.Hash = "", strings.Repeat("0", 64) // checked with a stand-in hash; the file's comes next
	if err := clean(&e); err != nil {
		return e, err
	}
	ref, err := put()
	if err != nil {
		return e, &Error{Code: ErrFile, Err: err}
	}
	e.Hash, e.Size = ref.Hash, ref.Size
	// The file stays in the store if the row fails: it may be shared,
	// and an unreferenced file costs only space.
	return s.Put(ctx, e)
}

// Put writes an entry's row (its file is not touched): a new entry when
// e.ID is empty, else a new version of that entry. A district-source entry
// is district-wide (school_id ""), others are the school's. A school's
// device must not push district-wide rows (sync refuses them); they reach
// it by sync, or a pack applies them as the district's versions.
func (s *Service) Put(ctx context.Context, e Entry) (Entry, error) {
	if err := clean(&e); err != nil {
		return e, err
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = s.now()
	}
	e.CreatedAt = time.Unix(e.CreatedAt.Unix(), 0)
	e.SchoolID = s.partition(e.Source)
	err := s.st.Update(ctx, func(tx *store.Tx) error {
		rec, err := tx.Put(table, e.SchoolID, e.ID, fields(e))
		e.ID = rec.ID
		return err
	})
	return e, err
}

// partition is the school_id rows of source belong in.
func (s *Service) partition(src Source) string {
	if src == FromDistrict {
		return ""
	}
	return s.schoolID
}

// Get returns the entry with id; ErrNotFound if there is none or it was
// deleted.
func (s *Service) Get(ctx context.Context, id string) (Entry, error) {
	es, err := s.entries(ctx, []string{id})
	if err != nil {
		return Entry{}, err
	}
	if len(es) == 0 {
		return Entry{}, fail(ErrNotFound, "no entry %s", id)
	}
	return es[0], nil
}

// Delete marks the entry deleted (a tombstone that syncs). Its file stays
// in the content store: another entry or attachment may use it.
func (s *Service) Delete(ctx context.Context, id string) error {
	if _, err := s.Get(ctx, id); err != nil {
		return err
	}
	return s.st.Update(ctx, func(tx *store.Tx) error { return tx.Delete(table, id) })
}

// entries reads the live entries with the given ids that this library
// sees, in the order of ids (missing ones left out).
func (s *Service) entries(ctx context.Context, ids []string) ([]Entry, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, s.schoolID)
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := s.st.DB.QueryContext(ctx, `SELECT `+entryCols+` FROM library_entries
		WHERE deleted=0 AND school_id IN ('', ?) AND id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byID := map[string]Entry{}
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, err
		}
		byID[e.ID] = e
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(byID))
	for _, id := range ids {
		if e, ok := byID[id]; ok {
			out = append(out, e)
		}
	}
	return out, nil
}

func scanEntry(rows interface{ Scan(...any) error }) (Entry, error) {
	var e Entry
	var kind, source, tags string
	var created int64
	if err := rows.Scan(&e.ID, &e.SchoolID, &e.Title, &e.Stage, &e.Subject, &e.Edition, &e.Grade, &e.Unit, &kind, &source,
		&e.FileName, &e.Size, &e.Hash, &tags, &e.UploadedBy, &e.Licence, &e.LessonID, &created); err != nil {
		return e, err
	}
	e.Kind, e.Source, e.CreatedAt = Kind(kind), Source(source), time.Unix(created, 0)
	if err := json.Unmarshal([]byte(tags), &e.Tags); err != nil {
		e.Tags = nil // a synced row from a newer Qiao may shape tags otherwise; the entry stays usable
	}
	return e, nil
}
