package library

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"qiao/content"
	qschool "qiao/school"
	"qiao/store"
)

// quotaWorld is one installation with district files, the user's own
// files, and a quota.
type quotaWorld struct {
	t      *testing.T
	st     *store.Store
	files  *content.Store
	school string
	q      *Quota
}

func newQuotaWorld(t *testing.T) *quotaWorld {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s, err := qschool.NewService(st).Save(ctx, qschool.School{Name: "一中"})
	if err != nil {
		t.Fatal(err)
	}
	files, err := content.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &quotaWorld{t, st, files, s.ID, NewQuota(st, files)}
}

// file stores n bytes and writes a row of table in partition school that
// names it; usedAt > 0 records its last use.
func (w *quotaWorld) file(n int, seed uint64, table, school string, usedAt int64) string {
	w.t.Helper()
	ref, err := w.files.Put(bytes.NewReader(randomBytes(n, seed)))
	if err != nil {
		w.t.Fatal(err)
	}
	f := store.Fields{"title": "资源", "kind": "courseware", "source": "district", "size": ref.Size, "hash": ref.Hash}
	switch {
	case table == "research_attachments":
		f = store.Fields{"activity_id": "act-1", "name": "课题报告.pdf", "hash": ref.Hash, "size": ref.Size}
	case school != "":
		f["source"] = "teacher"
	}
	var id string
	err = w.st.Update(context.Background(), func(tx *store.Tx) error {
		rec, err := tx.Put(table, school, "", f)
		id = rec.ID
		return err
	})
	if err == nil && usedAt > 0 {
		err = New(w.st, nil, school).Used(context.Background(), id, time.Unix(usedAt, 0))
	}
	if err != nil {
		w.t.Fatal(err)
	}
	return ref.Hash
}

func TestQuotaEvictsLeastRecentlyUsedDistrictFilesOnly(t *testing.T) {
	ctx := context.Background()
	w := newQuotaWorld(t)
	const kb = 1000
	oldest := w.file(100*kb, 1, "library_entries", "", 0) // never used
	old := w.file(100*kb, 2, "library_entries", "", 100)
	recent := w.file(100*kb, 3, "library_entries", "", 300)
	opened := w.file(100*kb, 4, "library_entries", "", 50) // being opened
	// The user's own: a teacher's entry, an attachment, and a district
	// entry whose file an attachment also names.
	own := w.file(300*kb, 5, "library_entries", w.school, 1)
	attach := w.file(300*kb, 6, "research_attachments", w.school, 0)
	shared := w.file(100*kb, 7, "library_entries", "", 10)
	if err := w.st.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Put("research_attachments", w.school, "", store.Fields{"activity_id": "act-2", "name": "同一课件.pptx", "hash": shared, "size": 100 * kb})
		return err
	}); err != nil {
		t.Fatal(err)
	}

	u, err := w.q.Usage(ctx)
	if err != nil || u.Used != 400*kb || u.Files != 4 || u.Budget != 0 {
		t.Fatalf("usage: %+v, %v", u, err)
	}
	release := w.q.Use(opened)
	rep, err := w.q.SetBudget(ctx, 250*kb)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Evicted != 2 || rep.After.Used > 250*kb || rep.After.Used != 200*kb {
		t.Fatalf("eviction: %+v", rep)
	}
	for h, want := range map[string]bool{oldest: false, old: false, recent: true, opened: true, own: true, attach: true, shared: true} {
		if w.files.Has(h) != want {
			t.Errorf("file %s present %v, want %v", h[:8], !want, want)
		}
	}
	// No room while the rest must stay: refused, nothing evicted.
	var fe *FetchError
	if err := w.q.MakeRoom(ctx, 100*kb, func(h string) bool { return h == recent }); !errors.As(err, &fe) || fe.Code != CodeNoRoom {
		t.Fatalf("make room with everything kept: %v", err)
	}
	if !w.files.Has(recent) || !w.files.Has(opened) {
		t.Fatal("a refused MakeRoom evicted files")
	}
	// Released, the opened file may go; the user's own files never.
	release()
	if _, err := w.q.SetBudget(ctx, 1); err != nil {
		t.Fatal(err)
	}
	u, _ = w.q.Usage(ctx)
	if u.Used != 0 || !w.files.Has(own) || !w.files.Has(attach) || !w.files.Has(shared) {
		t.Fatalf("budget 1: usage %+v; own files present: %v %v %v", u, w.files.Has(own), w.files.Has(attach), w.files.Has(shared))
	}
}
