package library

// A district entry can reach a school twice: first in a resource pack
// carried on a USB drive (the import writes it into the school's own
// partition, keeping source 'district', because a school may not write
// district rows), then through sync once a link is there. The district's
// row wins: the school's copy is deleted (a tombstone that syncs) and this
// device's favourite and last use move to the district's entry. A copy is
// a school row of source 'district' with the same file (hash) as a live
// district entry and either the id the pack import derived from that
// entry or the same title.

import (
	"context"
	"fmt"
	"strings"

	"qiao/store"
)

// copyPair is a school's copy and the district entry it copies.
type copyPair struct{ copy, original string }

// copies finds the school's copies of the live district entries named by
// ids, or of every district entry when ids is nil.
func (s *Service) copies(ctx context.Context, ids []string) ([]copyPair, error) {
	if s.schoolID == "" || (ids != nil && len(ids) == 0) {
		return nil, nil
	}
	const q = `SELECT c.id, c.title, o.id, o.title FROM library_entries o
		JOIN library_entries c ON c.hash = o.hash
		WHERE o.school_id = '' AND o.deleted = 0 AND c.school_id = ? AND c.source = 'district' AND c.deleted = 0`
	var out []copyPair
	read := func(extra string, args ...any) error {
		rows, err := s.st.DB.QueryContext(ctx, q+extra, append([]any{s.schoolID}, args...)...)
		if err != nil {
			return fmt.Errorf("library: find copies: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var cid, ctitle, oid, otitle string
			if err := rows.Scan(&cid, &ctitle, &oid, &otitle); err != nil {
				return fmt.Errorf("library: find copies: %w", err)
			}
			if cid == importedID(PackEntry{ID: oid}, s.schoolID) || ctitle == otitle {
				out = append(out, copyPair{cid, oid})
			}
		}
		return rows.Err()
	}
	if ids == nil {
		return out, read("")
	}
	const chunk = 500
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(len(ids), start+chunk)]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		if err := read(` AND o.id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(part)), ",")+`)`, args...); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// supersede deletes the copies and moves this device's own state of each
// (favourite, opened, used) to its district entry, in one transaction.
func (s *Service) supersede(ctx context.Context, pairs []copyPair) error {
	seen := map[string]bool{}
	return s.st.Update(ctx, func(tx *store.Tx) error {
		for _, p := range pairs {
			if seen[p.copy] {
				continue // one file in two district entries of the same title
			}
			seen[p.copy] = true
			if err := tx.Delete(table, p.copy); err != nil {
				return fmt.Errorf("library: replace copy %s: %w", p.copy, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO library_local (entry_id, favourite, opened_at, used_at)
				SELECT ?, favourite, opened_at, used_at FROM library_local WHERE entry_id = ?
				ON CONFLICT (entry_id) DO UPDATE SET favourite = max(favourite, excluded.favourite),
					opened_at = max(opened_at, excluded.opened_at), used_at = max(used_at, excluded.used_at)`,
				p.original, p.copy); err != nil {
				return fmt.Errorf("library: move local state of %s: %w", p.copy, err)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM library_local WHERE entry_id = ?`, p.copy); err != nil {
				return fmt.Errorf("library: move local state of %s: %w", p.copy, err)
			}
		}
		return nil
	})
}
