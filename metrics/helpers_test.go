package metrics

import (
	"context"
	"math"
	"testing"
	"time"

	"qiao/store"
)

var ctx = context.Background()

// openStore opens a real SQLite store in a temporary directory: one device.
func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// copyChanges applies every change from's device made to to, the way sync
// brings another device's rows (store.ApplyRemote).
func copyChanges(t testing.TB, from, to *store.Store) {
	t.Helper()
	cs, err := from.ChangesAfter(ctx, 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if err := to.Update(ctx, func(tx *store.Tx) error {
		for _, c := range cs {
			if _, err := tx.ApplyRemote(c); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// put writes a synced row as its domain package would, for fixtures that
// need a time the domain services take from the clock.
func put(t testing.TB, st *store.Store, table, school string, f store.Fields) string {
	t.Helper()
	var id string
	if err := st.Update(ctx, func(tx *store.Tx) error {
		rec, err := tx.Put(table, school, "", f)
		id = rec.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

// attendance writes one stay of school's classroom in a lesson.
func attendance(t testing.TB, st *store.Store, school, lesson, role, host, subject string, grade int, joined time.Time, secs int64) string {
	return put(t, st, "classroom_attendance", school, store.Fields{"lesson_id": lesson, "role": role, "host_school": host,
		"title": subject + "课", "subject": subject, "grade": grade, "joined_at": joined.Unix(), "left_at": joined.Unix() + secs, "seconds": secs})
}

// term loads school's Aggregates for the whole term of f.
func term(t testing.TB, st *store.Store, school string, f Filter) *Aggregates {
	t.Helper()
	m, err := Load(ctx, st.DB, []string{school}, f, []Span{f.Term.Span()})
	if err != nil {
		t.Fatal(err)
	}
	return m[school][0]
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func wantHeadline(t testing.TB, hs []Headline, key string, value float64, known, ok bool) {
	t.Helper()
	h := Find(hs, key)
	if h.Key != key || !near(h.Value, value) || h.Known != known || h.OK != ok {
		t.Errorf("%s = %+v, want value %v known %v ok %v", key, h, value, known, ok)
	}
}

func china(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, China) }
