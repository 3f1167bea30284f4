package store

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func putSchool(t *testing.T, s *Store, id, name string) Record {
	t.Helper()
	var rec Record
	err := s.Update(context.Background(), func(tx *Tx) error {
		var err error
		rec, err = tx.Put("schools", id, id, Fields{"name": name, "rural": 1})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestPutWritesRowAndChangeTogether(t *testing.T) {
	s := openTemp(t)
	id := NewID()
	if u, err := uuid.Parse(id); err != nil || u.Version() != 7 {
		t.Fatalf("id %q is not a UUIDv7", id)
	}
	rec := putSchool(t, s, id, "桥溪小学")
	if rec.Origin != s.Device || rec.HLC == 0 {
		t.Fatalf("header not set: %+v", rec)
	}
	var data string
	var hlc int64
	if err := s.DB.QueryRow(`SELECT data, hlc FROM changes WHERE tbl='schools' AND row_id=?`, id).Scan(&data, &hlc); err != nil {
		t.Fatal(err)
	}
	if HLC(hlc) != rec.HLC {
		t.Fatalf("change stamp %v, row stamp %v", HLC(hlc), rec.HLC)
	}
	var row map[string]any
	if err := json.Unmarshal([]byte(data), &row); err != nil {
		t.Fatal(err)
	}
	if row["name"] != "桥溪小学" || row["id"] != id || row["school_id"] != id {
		t.Fatalf("change data %s", data)
	}

	rec2 := putSchool(t, s, id, "桥溪中心小学")
	if rec2.HLC <= rec.HLC {
		t.Fatal("update did not advance the stamp")
	}
	if n := count(t, s.DB, `SELECT count(*) FROM changes WHERE row_id=?`, id); n != 2 {
		t.Fatalf("%d change entries, want 2", n)
	}
	if n := count(t, s.DB, `SELECT count(*) FROM schools`); n != 1 {
		t.Fatalf("%d rows, want 1", n)
	}
}

func TestFailedTransactionKeepsNeitherRowNorChange(t *testing.T) {
	s := openTemp(t)
	boom := errors.New("boom")
	err := s.Update(context.Background(), func(tx *Tx) error {
		if _, err := tx.Put("schools", "", "", Fields{"name": "甲"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	if n := count(t, s.DB, `SELECT count(*) FROM schools`) + count(t, s.DB, `SELECT count(*) FROM changes`); n != 0 {
		t.Fatalf("rolled-back change left %d rows", n)
	}
}

func TestChangeLogFailureRollsBackTheRow(t *testing.T) {
	s := openTemp(t)
	if _, err := s.DB.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON changes BEGIN SELECT RAISE(ABORT, 'log full'); END`); err != nil {
		t.Fatal(err)
	}
	err := s.Update(context.Background(), func(tx *Tx) error {
		_, err := tx.Put("schools", "", "", Fields{"name": "乙"})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "log full") {
		t.Fatalf("want change-log error, got %v", err)
	}
	if n := count(t, s.DB, `SELECT count(*) FROM schools`); n != 0 {
		t.Fatal("row committed without its change-log entry")
	}
}

func TestDeleteLeavesTombstoneThatIsLogged(t *testing.T) {
	s := openTemp(t)
	id := NewID()
	putSchool(t, s, id, "丙")
	if err := s.Update(context.Background(), func(tx *Tx) error { return tx.Delete("schools", id) }); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s.DB, `SELECT deleted FROM schools WHERE id=?`, id); n != 1 {
		t.Fatal("row not tombstoned")
	}
	if n := count(t, s.DB, `SELECT deleted FROM changes WHERE row_id=? ORDER BY seq DESC LIMIT 1`, id); n != 1 {
		t.Fatal("delete not in change log")
	}
	err := s.Update(context.Background(), func(tx *Tx) error { return tx.Delete("schools", NewID()) })
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete of missing row: %v", err)
	}
}

func TestUpdateChangesOnlyGivenColumnsAndLogs(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	id := NewID()
	first := putSchool(t, s, id, "丁")
	var rec Record
	if err := s.Update(ctx, func(tx *Tx) error {
		var err error
		rec, err = tx.Update("schools", id, Fields{"name": "丁二"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if rec.HLC <= first.HLC || rec.Origin != s.Device || rec.SchoolID != id || rec.Deleted {
		t.Fatalf("record %+v after %+v", rec, first)
	}
	var name string
	var rural int
	s.DB.QueryRow(`SELECT name, rural FROM schools WHERE id=?`, id).Scan(&name, &rural)
	if name != "丁二" || rural != 1 {
		t.Fatalf("row %q rural=%d, want the new name and rural kept", name, rural)
	}
	var data string
	var hlc, base int64
	if err := s.DB.QueryRow(`SELECT data, hlc, base_hlc FROM changes WHERE row_id=? ORDER BY seq DESC LIMIT 1`, id).Scan(&data, &hlc, &base); err != nil {
		t.Fatal(err)
	}
	var row map[string]any
	json.Unmarshal([]byte(data), &row)
	if HLC(hlc) != rec.HLC || HLC(base) != first.HLC || row["name"] != "丁二" || row["rural"] != float64(1) {
		t.Fatalf("change %s stamp %v base %v", data, HLC(hlc), HLC(base))
	}

	// A row with NOT NULL columns: Put of one column fails (the upsert's
	// insert is checked first), Update of it does not.
	full := Fields{"tbl": "schools", "row_id": id, "winner_hlc": 2, "winner_origin": "a", "loser_hlc": 1,
		"loser_origin": "b", "loser_data": "{}"}
	cid := NewID()
	if err := s.Update(ctx, func(tx *Tx) error { _, err := tx.Put("sync_conflicts", id, cid, full); return err }); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx *Tx) error { _, err := tx.Put("sync_conflicts", id, cid, Fields{"resolved": 1}); return err }); err == nil {
		t.Fatal("put of one column of a NOT NULL row accepted")
	}
	if err := s.Update(ctx, func(tx *Tx) error { _, err := tx.Update("sync_conflicts", cid, Fields{"resolved": 1}); return err }); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s.DB, `SELECT resolved FROM sync_conflicts WHERE id=? AND loser_data='{}' AND winner_origin='a'`, cid); n != 1 {
		t.Fatal("update did not mark resolved, or lost other columns")
	}
}

func TestUpdateRefusesBadInputAndChangesNothing(t *testing.T) {
	s := openTemp(t)
	id := NewID()
	putSchool(t, s, id, "戊")
	before := count(t, s.DB, `SELECT count(*) FROM changes`)
	for _, c := range []struct {
		table, id string
		f         Fields
	}{
		{"schools", id, Fields{"nope": 1}},
		{"schools", id, Fields{"hlc": 1}},
		{"schools", id, Fields{"deleted": 1}},
		{"schools", id, Fields{}},
		{"settings", id, Fields{"value": "x"}},
		{"schools", NewID(), Fields{"name": "己"}},
	} {
		err := s.Update(context.Background(), func(tx *Tx) error {
			_, err := tx.Update(c.table, c.id, c.f)
			return err
		})
		if err == nil {
			t.Fatalf("update %s %v accepted", c.table, c.f)
		}
	}
	err := s.Update(context.Background(), func(tx *Tx) error { _, err := tx.Update("schools", NewID(), Fields{"name": "己"}); return err })
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("update of a missing row: %v", err)
	}
	var name string
	s.DB.QueryRow(`SELECT name FROM schools WHERE id=?`, id).Scan(&name)
	if name != "戊" || count(t, s.DB, `SELECT count(*) FROM changes`) != before {
		t.Fatalf("refused updates changed something: %q", name)
	}
}

func TestPutRefusesUnknownAndManagedColumns(t *testing.T) {
	s := openTemp(t)
	for _, f := range []Fields{{"name": "x", "nope": 1}, {"name": "x", "hlc": 1}, {"name": "x", "name;drop": 1}} {
		err := s.Update(context.Background(), func(tx *Tx) error {
			_, err := tx.Put("schools", "", "", f)
			return err
		})
		if err == nil {
			t.Fatalf("put %v accepted", f)
		}
	}
	err := s.Update(context.Background(), func(tx *Tx) error {
		_, err := tx.Put("settings", "", "", Fields{"value": "x"})
		return err
	})
	if err == nil {
		t.Fatal("put into a local table accepted")
	}
}

func TestClockResumesAfterReopen(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	rec := putSchool(t, s, NewID(), "丁")
	s.Close()
	s = mustOpen(t, dir)
	defer s.Close()
	if now := s.Clock.Now(); now <= rec.HLC {
		t.Fatalf("clock restarted below the last stamp: %v <= %v", now, rec.HLC)
	}
}
