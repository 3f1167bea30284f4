package store

import (
	"context"
	"testing"
)

func indexCount(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.DB.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type='index' AND sql IS NOT NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDeferredIndexesComeBackEvenAfterACrash(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	before := indexCount(t, s)
	if before == 0 {
		t.Fatal("the schema has no secondary indexes to defer")
	}
	if err := s.Update(ctx, func(tx *Tx) error {
		if err := tx.DeferIndexes(); err != nil {
			return err
		}
		return tx.DeferIndexes() // a second call changes nothing
	}); err != nil {
		t.Fatal(err)
	}
	if n := indexCount(t, s); n >= before {
		t.Fatalf("%d indexes after deferring, %d before", n, before)
	}
	// The process stops before RestoreIndexes: the next Open rebuilds them.
	s.Close()
	s, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := indexCount(t, s); n != before {
		t.Fatalf("%d indexes after reopening, want %d", n, before)
	}
	if err := s.Update(ctx, func(tx *Tx) error { return tx.RestoreIndexes() }); err != nil {
		t.Fatalf("restoring with nothing deferred: %v", err)
	}
}

func TestClockRemembersObservedStamps(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	future := s.Clock.Now() + HLC(3600_000)<<logicalBits // a remote clock an hour ahead
	s.Clock.Observe(future)
	if err := s.Update(ctx, func(tx *Tx) error { return tx.RememberClock() }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if now := s.Clock.Now(); now <= future {
		t.Fatalf("after a restart the clock issued %v, not after the observed %v", now, future)
	}
}
