package store

import (
	"context"
	"fmt"
	"testing"
)

func TestOpenGivesThePlannerStatistics(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := mustOpen(t, dir)
	err := s.Update(ctx, func(tx *Tx) error {
		for i := 0; i < 2000; i++ {
			if _, err := tx.Put("schools", "", "", Fields{"name": fmt.Sprintf("学校%d", i), "region": fmt.Sprint(i % 7)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = mustOpen(t, dir)
	defer s.Close()
	var n int
	if err := s.DB.QueryRow(`SELECT count(*) FROM sqlite_stat1`).Scan(&n); err != nil || n == 0 {
		t.Fatalf("no planner statistics after reopening: %d rows, %v", n, err)
	}
}
