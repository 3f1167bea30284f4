package library

// The packs' access to library_entries: whole rows by a Selection in SQL
// (a pack needs every field and the files' hashes, not the catalogue's
// in-memory index), and a batch insert in one transaction.

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"

	"qiao/store"
)

const entriesTable = "library_entries"

// Selection picks catalogue entries for a pack: the non-empty fields of
// the textbook tree and kind must all match, or, if IDs is not empty,
// exactly those entries. Deleted entries are never picked.
type Selection struct {
	Stage, Subject, Edition string
	Grade                   int // 0: any grade
	Unit, Kind              string
	IDs                     []string
}

const entryColumns = `id, school_id, title, stage, subject, edition, grade, unit, kind, source,
	file_name, size, hash, tags, uploaded_by, licence, lesson_id, created_at`

// selectEntries returns the live entries sel picks, in tree then title order.
func selectEntries(ctx context.Context, st *store.Store, sel Selection) ([]PackEntry, error) {
	where, args := []string{"deleted = 0"}, []any{}
	if len(sel.IDs) > 0 {
		where = append(where, "id IN (SELECT value FROM json_each(?))")
		b, _ := json.Marshal(sel.IDs)
		args = append(args, string(b))
	} else {
		w, a := treeWhere(sel.Stage, sel.Subject, sel.Edition, sel.Grade, sel.Unit, sel.Kind)
		where, args = append(where, w...), append(args, a...)
	}
	rows, err := st.DB.QueryContext(ctx, `SELECT `+entryColumns+` FROM `+entriesTable+
		` WHERE `+strings.Join(where, " AND ")+` ORDER BY stage, subject, edition, grade, unit, title, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("library: read entries: %w", err)
	}
	defer rows.Close()
	var out []PackEntry
	for rows.Next() {
		var e PackEntry
		var tags string
		if err := rows.Scan(&e.ID, &e.SchoolID, &e.Title, &e.Stage, &e.Subject, &e.Edition, &e.Grade, &e.Unit,
			&e.Kind, &e.Source, &e.FileName, &e.Size, &e.Hash, &tags, &e.UploadedBy, &e.Licence,
			&e.LessonID, &e.CreatedAt); err != nil {
			return nil, fmt.Errorf("library: read entries: %w", err)
		}
		if err := json.Unmarshal([]byte(tags), &e.Tags); err != nil || e.Tags == nil {
			e.Tags = []string{}
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("library: read entries: %w", err)
	}
	return out, nil
}

// importedID is the id an entry gets in schoolID's partition. A school
// may write only its own rows, and an id cannot move between partitions
// (docs/sync-protocol.md §2.7), so an entry of the district or of another
// school gets an id derived from its own: the same pack imported twice
// names the same rows.
func importedID(e PackEntry, schoolID string) string {
	if e.SchoolID == schoolID {
		return e.ID
	}
	h := sha256.Sum256([]byte("qiao-pack-entry\x00" + schoolID + "\x00" + e.ID))
	h[6] = h[6]&0x0f | 0x80 // UUID version 8 (custom)
	h[8] = h[8]&0x3f | 0x80 // RFC 9562 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// insertEntries adds the entries to schoolID's partition in one
// transaction with store.Tx.Put, skipping any whose id (the pack's or the
// imported one) is already in the catalogue, live or deleted: importing
// again changes nothing and never revives an entry someone deleted. It
// returns how many it added.
func insertEntries(ctx context.Context, st *store.Store, schoolID string, entries []PackEntry) (int, error) {
	added := 0
	err := st.Update(ctx, func(tx *store.Tx) error {
		added = 0
		for _, e := range entries {
			id := importedID(e, schoolID)
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+entriesTable+` WHERE id IN (?, ?)`, e.ID, id).Scan(&n); err != nil {
				return fmt.Errorf("library: import entries: %w", err)
			}
			if n > 0 {
				continue
			}
			tags, _ := json.Marshal(e.Tags)
			if _, err := tx.Put(entriesTable, schoolID, id, store.Fields{
				"title": e.Title, "stage": e.Stage, "subject": e.Subject, "edition": e.Edition,
				"grade": e.Grade, "unit": e.Unit, "kind": e.Kind, "source": e.Source,
				"file_name": e.FileName, "size": e.Size, "hash": e.Hash, "tags": string(tags),
				"uploaded_by": e.UploadedBy, "licence": e.Licence, "lesson_id": e.LessonID,
				"created_at": e.CreatedAt,
			}); err != nil {
				return fmt.Errorf("library: import entry %q: %w", e.Title, err)
			}
			added++
		}
		return nil
	})
	return added, err
}

// treeWhere is the SQL conditions on library_entries for a place in the
// textbook tree and a kind; empty values (grade 0) match anything.
func treeWhere(stage, subject, edition string, grade int, unit, kind string) (where []string, args []any) {
	for _, f := range []struct {
		col string
		v   any
		set bool
	}{
		{"stage", stage, stage != ""}, {"subject", subject, subject != ""},
		{"edition", edition, edition != ""}, {"grade", grade, grade != 0},
		{"unit", unit, unit != ""}, {"kind", kind, kind != ""},
	} {
		if f.set {
			where = append(where, f.col+" = ?")
			args = append(args, f.v)
		}
	}
	return where, args
}
