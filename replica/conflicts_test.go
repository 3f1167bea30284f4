package replica

import (
	"context"
	"errors"
	"testing"
	"time"

	"qiao/store"
)

// conflicted has two devices of one school edit the same teacher offline:
// the first names it loser, the second (later, so it wins) winner. Both
// then sync, and the first device's open conflict is returned with the
// two devices.
func conflicted(t *testing.T, d *testDistrict, loser, winner string) (c Conflict, st1 *store.Store, r1 *Replica, st2 *store.Store, r2 *Replica) {
	t.Helper()
	a := d.school(t, "A校")
	st1, r1 = d.device(t, a, "A")
	st2, r2 = d.device(t, a, "")
	id := put(t, st1, "research_teachers", "", store.Fields{"name": "王老师", "subject": "语文"})
	syncOK(t, r1)
	syncOK(t, r2)
	put(t, st1, "research_teachers", id, store.Fields{"name": loser, "subject": loser + "-科"})
	time.Sleep(5 * time.Millisecond) // a later wall clock, so the second edit wins
	put(t, st2, "research_teachers", id, store.Fields{"name": winner, "subject": winner + "-科"})
	syncOK(t, r2)
	syncOK(t, r1)
	syncOK(t, r2)
	cs, err := OpenConflicts(context.Background(), st1)
	if err != nil || len(cs) != 1 {
		t.Fatalf("open conflicts %v, %v; want one", cs, err)
	}
	return cs[0], st1, r1, st2, r2
}

func openCount(t *testing.T, st *store.Store) int {
	t.Helper()
	cs, err := OpenConflicts(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	return len(cs)
}

func TestConflictsOpenShowBothVersions(t *testing.T) {
	d := startDistrict(t)
	c, st1, _, st2, _ := conflicted(t, d, "王一", "王二")
	if c.Table != "research_teachers" || c.Loser["name"] != "王一" || c.Loser["subject"] != "王一-科" {
		t.Fatalf("conflict %+v", c)
	}
	if c.LoserOrigin != st1.Device || c.WinnerOrigin != st2.Device || c.LoserHLC >= c.WinnerHLC || c.LoserDeleted {
		t.Fatalf("conflict versions: %+v", c)
	}
	for _, k := range []string{"id", "school_id", "hlc", "origin", "deleted"} {
		if _, ok := c.Loser[k]; ok {
			t.Fatalf("loser keeps header column %q", k)
		}
	}
	cur, ok, err := CurrentRow(context.Background(), st1, c)
	if err != nil || !ok || cur.Fields["name"] != "王二" || cur.Deleted {
		t.Fatalf("current row %+v %v %v", cur, ok, err)
	}
	if _, ok := cur.Fields["hlc"]; ok {
		t.Fatal("current row keeps the header")
	}
}

func TestConflictRestoreLoserIsAnEditThatSyncs(t *testing.T) {
	d := startDistrict(t)
	c, st1, r1, st2, r2 := conflicted(t, d, "王一", "王二")
	if err := RestoreLoser(context.Background(), st1, c); err != nil {
		t.Fatal(err)
	}
	if name, _ := teacherName(t, st1, c.RowID); name != "王一" || openCount(t, st1) != 0 {
		t.Fatalf("after restore: %q with %d open", name, openCount(t, st1))
	}
	// The restored row and the resolution reach the other device.
	syncOK(t, r1)
	syncOK(t, r2)
	var subject string
	st2.DB.QueryRow(`SELECT subject FROM research_teachers WHERE id=?`, c.RowID).Scan(&subject)
	if name, _ := teacherName(t, st2, c.RowID); name != "王一" || subject != "王一-科" || openCount(t, st2) != 0 {
		t.Fatalf("other device: %q %q with %d open", name, subject, openCount(t, st2))
	}
}

func TestConflictKeepCurrentResolvesOnBothDevices(t *testing.T) {
	d := startDistrict(t)
	c, st1, r1, st2, r2 := conflicted(t, d, "赵一", "赵二")
	if err := KeepCurrent(context.Background(), st1, c); err != nil {
		t.Fatal(err)
	}
	if name, _ := teacherName(t, st1, c.RowID); name != "赵二" || openCount(t, st1) != 0 {
		t.Fatalf("after keep: %q with %d open", name, openCount(t, st1))
	}
	syncOK(t, r1)
	syncOK(t, r2)
	if name, _ := teacherName(t, st2, c.RowID); name != "赵二" || openCount(t, st2) != 0 {
		t.Fatalf("other device: %q with %d open", name, openCount(t, st2))
	}
}

func TestConflictRestoreDeletedLoserDeletesTheRow(t *testing.T) {
	d := startDistrict(t)
	a := d.school(t, "A校")
	st1, r1 := d.device(t, a, "A")
	st2, r2 := d.device(t, a, "")
	id := put(t, st1, "research_teachers", "", store.Fields{"name": "孙老师"})
	syncOK(t, r1)
	syncOK(t, r2)
	if err := st1.Update(context.Background(), func(tx *store.Tx) error { return tx.Delete("research_teachers", id) }); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	put(t, st2, "research_teachers", id, store.Fields{"name": "孙二"})
	syncOK(t, r2)
	syncOK(t, r1)
	cs, err := OpenConflicts(context.Background(), st1)
	if err != nil || len(cs) != 1 || !cs[0].LoserDeleted {
		t.Fatalf("conflicts %+v %v, want one deleted loser", cs, err)
	}
	if err := RestoreLoser(context.Background(), st1, cs[0]); err != nil {
		t.Fatal(err)
	}
	if _, del := teacherName(t, st1, id); !del || openCount(t, st1) != 0 {
		t.Fatalf("after restoring a delete: deleted %v, %d open", del, openCount(t, st1))
	}
}

func TestConflictResolveRefusesBadInputAndChangesNothing(t *testing.T) {
	d := startDistrict(t)
	c, st1, _, _, _ := conflicted(t, d, "钱一", "钱二")
	ctx := context.Background()
	pending := func() int64 { s, _ := ReadStatus(ctx, st1); return s.Pending }
	before := pending()
	bad := c
	bad.Table = "research_teachers; DROP TABLE schools"
	if err := RestoreLoser(ctx, st1, bad); err == nil {
		t.Fatal("restore into a bad table name accepted")
	}
	gone := c
	gone.ID = store.NewID()
	if err := KeepCurrent(ctx, st1, gone); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("keep of an unknown conflict: %v", err)
	}
	if err := RestoreLoser(ctx, st1, gone); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("restore of an unknown conflict: %v", err)
	}
	if name, _ := teacherName(t, st1, c.RowID); name != "钱二" || openCount(t, st1) != 1 || pending() != before {
		t.Fatalf("refused resolutions changed something: %q, %d open, %d pending (was %d)", name, openCount(t, st1), pending(), before)
	}
}
