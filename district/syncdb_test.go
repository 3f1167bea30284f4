package district

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"testing"
	"time"

	"qiao/store"
	"qiao/syncproto"
)

// syncWorld is a database with two schools and helpers to enrol devices
// and push rows through the DB API.
type syncWorld struct {
	t     *testing.T
	db    *DB
	a, b  string // school ids
	clock *store.Clock
	seq   map[string]int64 // device change-log seq
}

func newSyncWorld(t *testing.T, cfg Config) *syncWorld {
	t.Helper()
	s := newServerCfg(t, cfg)
	ctx := context.Background()
	a, err := s.db.AddSchool(ctx, "School A", "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.db.AddSchool(ctx, "School B", "")
	if err != nil {
		t.Fatal(err)
	}
	return &syncWorld{t: t, db: s.db, a: a, b: b, clock: store.NewClock(0), seq: map[string]int64{}}
}

// device enrols a device of school with role directly in the database.
func (w *syncWorld) device(school, role string) Device {
	w.t.Helper()
	return enrolDB(w.t, w.db, school, role)
}

func enrolDB(t *testing.T, db *DB, school, role string) Device {
	t.Helper()
	ctx := context.Background()
	code, err := db.IssueCode(ctx, school, role, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	dev, err := db.Enrol(ctx, code, pub, "laptop", "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return dev
}

// change makes a new version of row id of table by dev, in school.
func (w *syncWorld) change(dev Device, table, id, school string, fields string) syncproto.Change {
	w.seq[dev.ID]++
	h := uint64(w.clock.Now())
	return syncproto.Change{Seq: w.seq[dev.ID], Table: table, ID: id, SchoolID: school, HLC: h, Origin: dev.ID,
		Data: []byte(fmt.Sprintf(`{"id":%q,"v":%s}`, id, fields))}
}

func (w *syncWorld) push(dev Device, cs ...syncproto.Change) (syncproto.PushResult, error) {
	return w.db.ApplyPush(context.Background(), dev, cs, time.Now())
}

func (w *syncWorld) state(dev Device) syncproto.State {
	w.t.Helper()
	st, err := w.db.SyncState(context.Background(), dev)
	if err != nil {
		w.t.Fatal(err)
	}
	return st
}

// pullAll pulls every page after 0 with limit and returns the rows by
// table/id, failing on a row seen twice.
func (w *syncWorld) pullAll(dev Device, limit int) map[string]syncproto.Change {
	w.t.Helper()
	got := map[string]syncproto.Change{}
	after := int64(0)
	for range 1000 {
		p, err := w.db.Pull(context.Background(), dev, after, limit, after == 0, time.Now())
		if err != nil {
			w.t.Fatal(err)
		}
		if len(p.Changes) > limit {
			w.t.Fatalf("page of %d rows, limit %d", len(p.Changes), limit)
		}
		for _, c := range p.Changes {
			k := c.Table + "/" + c.ID
			if _, dup := got[k]; dup {
				w.t.Fatalf("row %s pulled twice", k)
			}
			if c.Seq <= after {
				w.t.Fatalf("row %s seq %d not after cursor %d", k, c.Seq, after)
			}
			got[k] = c
		}
		if p.Next < after {
			w.t.Fatalf("cursor went back from %d to %d", after, p.Next)
		}
		after = p.Next
		if !p.More {
			return got
		}
	}
	w.t.Fatal("pull did not finish")
	return nil
}

func TestPushPartitionAllOrNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		w := newSyncWorld(t, cfg)
		dev := w.device(w.a, RoleTeacher)
		before := w.state(dev)
		good := w.change(dev, "students", newID(), w.a, `1`)
		for _, bad := range []syncproto.Change{
			w.change(dev, "students", newID(), w.b, `2`),                                                    // another school
			w.change(dev, "students", newID(), "", `3`),                                                     // district-wide
			{Table: "students", ID: newID(), SchoolID: w.a, HLC: good.HLC, Origin: w.b, Data: []byte(`{}`)}, // not its origin
			{Table: "students", ID: newID(), SchoolID: w.a, HLC: good.HLC, Origin: dev.ID, Data: []byte("{\"x\":\"\xff\"}")},
		} {
			_, err := w.push(dev, good, bad)
			var e *APIError
			if !errors.As(err, &e) || (e.Code != "partition" && e.Code != "bad_batch") {
				t.Fatalf("push with %s in %q by %s: err %v, want a refusal", bad.ID, bad.SchoolID, bad.Origin, err)
			}
		}
		if after := w.state(dev); after != before {
			t.Errorf("state after refused batches = %+v, want %+v", after, before)
		}
		if rows := w.pullAll(dev, 100); len(rows) != 2 { // the two schools' entries only
			t.Errorf("rows after refused batches: %v", rows)
		}
		// The good change alone is applied.
		if res, err := w.push(dev, good); err != nil || res.Applied != 1 {
			t.Fatalf("good change: %+v, %v", res, err)
		}
	})
}

func TestPushReplayIsStale(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		w := newSyncWorld(t, cfg)
		dev := w.device(w.a, RoleTeacher)
		batch := []syncproto.Change{w.change(dev, "students", newID(), w.a, `1`), w.change(dev, "marks", newID(), w.a, `2`)}
		res, err := w.push(dev, batch...)
		if err != nil || res.Applied != 2 || res.Through != 2 {
			t.Fatalf("first push: %+v, %v", res, err)
		}
		top := w.state(dev).ServerSeq
		res, err = w.push(dev, batch...)
		if err != nil || res.Applied != 0 || res.Stale != 2 || res.Through != 2 {
			t.Fatalf("replayed push: %+v, %v", res, err)
		}
		if st := w.state(dev); st.ServerSeq != top || st.PushedThrough != 2 {
			t.Errorf("state after replay = %+v, want server seq %d", st, top)
		}
	})
}

func TestPushConflictRecorded(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		w := newSyncWorld(t, cfg)
		d1, d2, d3 := w.device(w.a, RoleTeacher), w.device(w.a, RoleTeacher), w.device(w.a, RoleTeacher)
		id := newID()
		first := w.change(d1, "students", id, w.a, `"d1"`)
		second := w.change(d2, "students", id, w.a, `"d2"`) // later stamp, same (empty) base
		if res, err := w.push(d1, first); err != nil || res.Applied != 1 {
			t.Fatalf("d1: %+v, %v", res, err)
		}
		if res, err := w.push(d2, second); err != nil || res.Applied != 1 || res.Conflicts != 1 {
			t.Fatalf("d2: %+v, %v", res, err)
		}
		// An older concurrent version from a third device loses and is recorded too.
		old := first
		old.Origin, old.Seq, old.HLC = d3.ID, 1, first.HLC-1
		if res, err := w.push(d3, old); err != nil || res.Stale != 1 || res.Conflicts != 1 {
			t.Fatalf("older version: %+v, %v", res, err)
		}
		rows := w.pullAll(w.device(w.a, RoleTeacher), 100)
		if got := rows["students/"+id]; got.Origin != d2.ID || string(got.Data) != string(second.Data) {
			t.Errorf("winner = %+v", got)
		}
		n := 0
		for _, c := range rows {
			if c.Table == syncproto.ConflictsTable {
				n++
				if c.SchoolID != w.a || c.Origin != syncproto.DistrictOrigin {
					t.Errorf("conflict row %+v", c)
				}
			}
		}
		if n != 2 {
			t.Errorf("%d conflict rows, want 2", n)
		}
	})
}

// TestPullPagingBothScopes pages with a small limit through rows of the
// device's school and district-wide rows interleaved: every row it may
// read arrives exactly once, and nothing of another school.
func TestPullPagingBothScopes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		w := newSyncWorld(t, cfg)
		admin := w.device(w.a, RoleDistrictAdmin)
		ta, tb := w.device(w.a, RoleTeacher), w.device(w.b, RoleTeacher)
		want := map[string]bool{"schools/" + w.a: true, "schools/" + w.b: true}
		for i := range 23 {
			var err error
			switch i % 3 {
			case 0:
				c := w.change(admin, "terms", newID(), "", fmt.Sprint(i))
				want[c.Table+"/"+c.ID] = true
				_, err = w.push(admin, c)
			case 1:
				c := w.change(ta, "students", newID(), w.a, fmt.Sprint(i))
				want[c.Table+"/"+c.ID] = true
				_, err = w.push(ta, c)
			default:
				_, err = w.push(tb, w.change(tb, "students", newID(), w.b, fmt.Sprint(i)))
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		// A reader that wrote nothing itself: a writer's own rows are left
		// out of its pulls after the first page.
		reader := w.device(w.a, RoleTeacher)
		for _, limit := range []int{1, 2, 3, 7, 100} {
			got := w.pullAll(reader, limit)
			if len(got) != len(want) {
				t.Errorf("limit %d: %d rows, want %d", limit, len(got), len(want))
			}
			for k := range got {
				if !want[k] {
					t.Errorf("limit %d: row %s is not for school A", limit, k)
				}
			}
		}
	})
}
