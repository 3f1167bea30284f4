package library

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"qiao/content"
	qschool "qiao/school"
	"qiao/store"
)

// The few catalogue reads fetching needs (an entry's file, the files
// subscriptions name), and who usage events are recorded for.

// fileEntry is what fetching needs of a catalogue entry.
type fileEntry struct {
	ID, SchoolID, Title, Hash string
	Size                      int64
}

// entryFile reads the live entry id.
func entryFile(ctx context.Context, db *sql.DB, id string) (fileEntry, error) {
	var e fileEntry
	err := db.QueryRowContext(ctx, `SELECT id, school_id, title, hash, size FROM library_entries WHERE id = ? AND deleted = 0`, id).
		Scan(&e.ID, &e.SchoolID, &e.Title, &e.Hash, &e.Size)
	if errors.Is(err, sql.ErrNoRows) {
		return e, &FetchError{Code: CodeNoEntry, Err: fmt.Errorf("library: no catalogue entry %s", id)}
	}
	return e, err
}

// subscribedFiles lists the live entries any of subs matches, one per
// file, in the catalogue's tree order.
func subscribedFiles(ctx context.Context, db *sql.DB, subs []Subscription) ([]fileEntry, error) {
	if len(subs) == 0 {
		return nil, nil
	}
	var where []string
	var args []any
	for _, s := range subs {
		and, a := treeWhere(s.Stage, s.Subject, s.Edition, s.Grade, s.Unit, s.Kind)
		args = append(args, a...)
		if len(and) == 0 {
			and = []string{"1"}
		}
		where = append(where, "("+strings.Join(and, " AND ")+")")
	}
	rows, err := db.QueryContext(ctx, `SELECT id, school_id, title, hash, size FROM library_entries
		WHERE deleted = 0 AND (`+strings.Join(where, " OR ")+`) ORDER BY stage, subject, edition, grade, unit, title, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("library: subscribed entries: %w", err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	var out []fileEntry
	for rows.Next() {
		var e fileEntry
		if err := rows.Scan(&e.ID, &e.SchoolID, &e.Title, &e.Hash, &e.Size); err != nil {
			return nil, err
		}
		if !seen[e.Hash] {
			seen[e.Hash] = true
			out = append(out, e)
		}
	}
	return out, rows.Err()
}

// actor is who usage events are recorded for: this school's catalogue
// service and its user.
type actor struct {
	svc     *Service
	teacher string
}

// whoAmI reads the actor.
func whoAmI(ctx context.Context, st *store.Store, files *content.Store) (actor, error) {
	sv := qschool.NewService(st)
	s, ok, err := sv.Current(ctx)
	if err != nil {
		return actor{}, err
	}
	if !ok {
		return actor{}, errors.New("library: this installation has no school yet")
	}
	u, err := sv.User(ctx)
	return actor{New(st, files, s.ID), u.Name}, err
}
