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
