package library

import (
	"context"
	"testing"

	"qiao/store"
)

// syncDistrictRows applies src's district-wide catalogue rows to dst the
// way a pull does (store.Tx.ApplyRemote).
func syncDistrictRows(t *testing.T, src, dst *Packs) {
	t.Helper()
	ctx := context.Background()
	cs, err := src.DB.ChangesAfter(ctx, 0, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	err = dst.DB.Update(ctx, func(tx *store.Tx) error {
		for _, c := range cs {
			if c.Table == entriesTable && c.SchoolID == "" {
				if _, err := tx.ApplyRemote(c); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// byTitle counts the live entries the library shows, by title.
func byTitle(t *testing.T, s *Service) map[string][]Entry {
	t.Helper()
	out := map[string][]Entry{}
	for _, e := range all(t, s) {
		out[e.Title] = append(out[e.Title], e)
	}
	return out
}

// A district entry carried by USB before the school had a link, and later
// synced, is shown once: the district's row, with this device's favourite.
func TestSyncedDistrictEntryReplacesItsPackCopy(t *testing.T) {
	ctx := context.Background()
	src, dir, picked := exportGrade3(t, []int{100})
	for _, usedFirst := range []bool{true, false} {
		dst := install(t, schoolB)
		if _, err := dst.Import(ctx, dir, nil); err != nil {
			t.Fatal(err)
		}
		lib := New(dst.DB, dst.Files, schoolB)
		swallow := picked[0] // 《燕子》课件, district; another district entry shares its file
		copyID := importedID(swallow, schoolB)
		if usedFirst { // the index is built before the rows arrive: the catch-up path
			if got := byTitle(t, lib); len(got[swallow.Title]) != 1 || got[swallow.Title][0].ID != copyID {
				t.Fatalf("before sync: %+v", got[swallow.Title])
			}
			if err := lib.SetFavourite(ctx, copyID, true); err != nil {
				t.Fatal(err)
			}
		}
		syncDistrictRows(t, src, dst)

		got := byTitle(t, lib)
		for _, e := range picked {
			es := got[e.Title]
			if len(es) != 1 {
				t.Fatalf("usedFirst=%v: %s shown %d times", usedFirst, e.Title, len(es))
			}
			if e.SchoolID == "" && es[0].ID != e.ID {
				t.Fatalf("usedFirst=%v: %s shown as %s, want the district's %s", usedFirst, e.Title, es[0].ID, e.ID)
			}
		}
		var deleted int
		dst.DB.DB.QueryRow(`SELECT deleted FROM library_entries WHERE id = ?`, copyID).Scan(&deleted)
		if deleted != 1 {
			t.Fatalf("usedFirst=%v: the copy is not deleted", usedFirst)
		}
		if usedFirst {
			favs, err := lib.Favourites(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(favs) != 1 || favs[0].ID != swallow.ID {
				t.Fatalf("favourites %+v, want the district's entry", favs)
			}
		}
	}
}
