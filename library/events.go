package library

import (
	"context"
	"strings"
	"time"

	"qiao/store"
)

// Action is what someone did with an entry, as library_events records it.
type Action string

// Usage actions, for the principal's indicators.
const (
	ActionOpened      Action = "opened"
	ActionDownloaded  Action = "downloaded"
	ActionContributed Action = "contributed"
)

// Opened records that teacher opened the entry: a usage event (a synced
// school row) and, on this device, the time it was last opened (Recent)
// and used (the quota's least-recently-used order).
func (s *Service) Opened(ctx context.Context, entryID, teacher string) error {
	return s.record(ctx, entryID, teacher, ActionOpened, `INSERT INTO library_local (entry_id, opened_at, used_at) VALUES (?1, ?2, ?2)
		ON CONFLICT(entry_id) DO UPDATE SET opened_at=excluded.opened_at, used_at=excluded.used_at`)
}

// Downloaded records that the entry's file was fetched for teacher: a
// usage event, and its last use on this device.
func (s *Service) Downloaded(ctx context.Context, entryID, teacher string) error {
	return s.record(ctx, entryID, teacher, ActionDownloaded, usedLocal)
}

// Used records that the entry's file was used on this device at t (the
// quota evicts the least recently used district files first).
func (s *Service) Used(ctx context.Context, entryID string, t time.Time) error {
	_, err := s.st.DB.ExecContext(ctx, usedLocal, entryID, t.Unix())
	return err
}

const usedLocal = `INSERT INTO library_local (entry_id, used_at) VALUES (?1, ?2)
		ON CONFLICT(entry_id) DO UPDATE SET used_at=excluded.used_at`

// Contributed records that teacher sent the entry to the district.
func (s *Service) Contributed(ctx context.Context, entryID, teacher string) error {
	return s.record(ctx, entryID, teacher, ActionContributed, "")
}

// record writes a usage event and, when local is not empty, runs it with
// (entry id, now) in the same transaction.
func (s *Service) record(ctx context.Context, entryID, teacher string, a Action, local string) error {
	if _, err := s.Get(ctx, entryID); err != nil {
		return err
	}
	at := s.now().Unix()
	return s.st.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Put("library_events", s.schoolID, "", store.Fields{
			"entry_id": entryID, "action": string(a), "teacher": strings.TrimSpace(teacher), "at": at}); err != nil {
			return err
		}
		if local == "" {
			return nil
		}
		_, err := tx.ExecContext(ctx, local, entryID, at)
		return err
	})
}

// Event is one usage event.
type Event struct {
	EntryID string
	Action  Action
	Teacher string
	At      int64 // unix seconds
}

// Events returns the school's usage events at or after since (unix
// seconds), oldest first.
func (s *Service) Events(ctx context.Context, since int64) ([]Event, error) {
	rows, err := s.st.DB.QueryContext(ctx, `SELECT entry_id, action, teacher, at FROM library_events
		WHERE deleted=0 AND school_id=? AND at>=? ORDER BY at, id`, s.schoolID, since)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.EntryID, &e.Action, &e.Teacher, &e.At); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// SetFavourite marks or unmarks the entry as a favourite on this device.
func (s *Service) SetFavourite(ctx context.Context, entryID string, fav bool) error {
	if _, err := s.Get(ctx, entryID); err != nil {
		return err
	}
	_, err := s.st.DB.ExecContext(ctx, `INSERT INTO library_local (entry_id, favourite) VALUES (?, ?)
		ON CONFLICT(entry_id) DO UPDATE SET favourite=excluded.favourite`, entryID, fav)
	return err
}

// Favourites returns this device's favourite entries, newest first.
func (s *Service) Favourites(ctx context.Context) ([]Entry, error) {
	return s.local(ctx, `SELECT l.entry_id FROM library_local l JOIN library_entries e ON e.id=l.entry_id
		WHERE l.favourite=1 ORDER BY e.created_at DESC, e.id DESC`)
}

// Recent returns up to limit entries last opened on this device, the
// latest first.
func (s *Service) Recent(ctx context.Context, limit int) ([]Entry, error) {
	if limit <= 0 || limit > MaxLimit {
		limit = MaxLimit
	}
	return s.local(ctx, `SELECT entry_id FROM library_local WHERE opened_at>0 ORDER BY opened_at DESC, rowid DESC LIMIT ?`, limit)
}

// local reads the entries whose ids q selects (deleted ones left out).
func (s *Service) local(ctx context.Context, q string, args ...any) ([]Entry, error) {
	ids, err := s.ids(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return s.entries(ctx, ids)
}

func (s *Service) ids(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := s.st.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
