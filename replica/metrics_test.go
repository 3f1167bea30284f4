package replica

import (
	"context"
	"errors"
	"testing"
)

// TestFetchRankAndCache fetches the school's rank from a real server
// process, then reads it back from the store as an offline app would.
func TestFetchRankAndCache(t *testing.T) {
	ctx := context.Background()
	p := startDistrictProc(t)
	school := p.school("第一中学")
	p.school("第二小学")
	d := p.device(t, school, "", p.url())
	if _, err := d.r.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := CachedRank(ctx, d.st, "2026-autumn"); ok || err != nil {
		t.Fatalf("cached rank before any fetch: %v, %v", ok, err)
	}
	info, err := d.r.FetchRank(ctx, "2026-autumn")
	if err != nil {
		t.Fatal(err)
	}
	// No lessons anywhere: the headline (课时达标率) is unknown and nobody is ranked.
	if info.School != school || info.Schools != 2 || info.Rank != 0 || len(info.Devices) != 1 || info.Devices[0].LastPull == 0 {
		t.Errorf("rank %+v", info)
	}
	cached, ok, err := CachedRank(ctx, d.st, "2026-autumn")
	if err != nil || !ok || cached.Rank != info.Rank || !cached.At.Equal(info.At) || cached.Schools != 2 {
		t.Errorf("cached %+v, %v, %v; want %+v", cached, ok, err, info)
	}
	var se *ServerError
	if _, err := d.r.FetchRank(ctx, "autumn"); !errors.As(err, &se) || se.Code != "bad_term" {
		t.Errorf("bad term: %v", err)
	}
	if _, ok, _ := CachedRank(ctx, d.st, "autumn"); ok {
		t.Error("a refused fetch was cached")
	}
}
