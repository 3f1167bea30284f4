package replica

import (
	"context"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"qiao/district"
	"qiao/school"
	"qiao/store"
)

// testDistrict is a real district server on loopback, in this process,
// speaking HTTPS with its self-signed certificate.
type testDistrict struct {
	srv  *district.Server
	url  string
	pin  string
	stop func() // stops the server early; the test's cleanup stops it anyway
}

func startDistrict(t *testing.T) *testDistrict {
	t.Helper()
	srv, err := district.New(district.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("district serve: %v", err)
			}
			srv.Close()
		})
	}
	t.Cleanup(stop)
	return &testDistrict{srv: srv, url: "https://" + ln.Addr().(*net.TCPAddr).String(), pin: srv.Fingerprint(), stop: stop}
}

// school adds a school and returns its id.
func (d *testDistrict) school(t *testing.T, name string) string {
	t.Helper()
	id, err := d.srv.DB().AddSchool(context.Background(), name, "")
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// code issues an enrolment code for a teacher's device of school.
func (d *testDistrict) code(t *testing.T, school, role string) string {
	t.Helper()
	c, err := d.srv.DB().IssueCode(context.Background(), school, role, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// device opens a fresh store with a local school and enrols it.
func (d *testDistrict) device(t *testing.T, schoolID, localName string) (*store.Store, *Replica) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if localName != "" {
		if _, err := school.NewService(st).Save(ctx, school.School{Name: localName}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Enrol(ctx, st, EnrolOptions{Server: d.url, Code: d.code(t, schoolID, district.RoleTeacher), DeviceName: "test", Fingerprint: d.pin}); err != nil {
		t.Fatal(err)
	}
	r, err := Open(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	return st, r
}

func put(t *testing.T, st *store.Store, table, id string, f store.Fields) string {
	t.Helper()
	sid, err := st.Setting(context.Background(), "school.id", "")
	if err != nil {
		t.Fatal(err)
	}
	var rec store.Record
	err = st.Update(context.Background(), func(tx *store.Tx) error {
		var err error
		rec, err = tx.Put(table, sid, id, f)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return rec.ID
}

func syncOK(t *testing.T, r *Replica) Report {
	t.Helper()
	rep, err := r.Sync(context.Background())
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return rep
}

func teacherName(t *testing.T, st *store.Store, id string) (name string, deleted bool) {
	t.Helper()
	if err := st.DB.QueryRow(`SELECT name, deleted FROM research_teachers WHERE id=?`, id).Scan(&name, &deleted); err != nil {
		t.Fatalf("teacher %s: %v", id, err)
	}
	return name, deleted
}

func TestEnrolMovesLocalSchoolToDistrictID(t *testing.T) {
	d := startDistrict(t)
	sid := d.school(t, "石桥镇中心小学")
	st, r := d.device(t, sid, "本地名称")
	cur, ok, err := school.NewService(st).Current(context.Background())
	if err != nil || !ok || cur.ID != sid {
		t.Fatalf("current school after enrol = %+v %v %v, want id %s", cur, ok, err, sid)
	}
	if r.Identity().DeviceID != st.Device {
		t.Fatalf("device id %s, want the store's %s", r.Identity().DeviceID, st.Device)
	}
	syncOK(t, r)
	var n int
	st.DB.QueryRow(`SELECT count(*) FROM schools WHERE id=?`, sid).Scan(&n)
	if n != 1 {
		t.Fatalf("%d school rows with the district id", n)
	}
	// The school's own name overwrites the district's entry: an edit, no conflict.
	var name string
	st.DB.QueryRow(`SELECT name FROM schools WHERE id=?`, sid).Scan(&name)
	st.DB.QueryRow(`SELECT count(*) FROM sync_conflicts`).Scan(&n)
	if name != "本地名称" || n != 0 {
		t.Fatalf("school name %q with %d conflicts, want the local name and none", name, n)
	}
}

func TestTwoDevicesConvergeAndPartitionsHold(t *testing.T) {
	d := startDistrict(t)
	a, b := d.school(t, "A校"), d.school(t, "B校")
	st1, r1 := d.device(t, a, "A")
	st2, r2 := d.device(t, a, "")
	st3, r3 := d.device(t, b, "B")

	t1 := put(t, st1, "research_teachers", "", store.Fields{"name": "张老师"})
	t3 := put(t, st3, "research_teachers", "", store.Fields{"name": "李老师"})
	syncOK(t, r1)
	syncOK(t, r3)
	syncOK(t, r2)
	if name, _ := teacherName(t, st2, t1); name != "张老师" {
		t.Fatalf("device 2 sees %q", name)
	}
	var n int
	st2.DB.QueryRow(`SELECT count(*) FROM research_teachers WHERE id=?`, t3).Scan(&n)
	if n != 0 {
		t.Fatal("a row of school B reached school A")
	}
	st2.DB.QueryRow(`SELECT count(*) FROM schools`).Scan(&n)
	if n != 2 {
		t.Fatalf("device 2 knows %d schools, want 2", n)
	}

	// An edit and a delete travel back.
	put(t, st2, "research_teachers", t1, store.Fields{"name": "张明"})
	syncOK(t, r2)
	syncOK(t, r1)
	if name, _ := teacherName(t, st1, t1); name != "张明" {
		t.Fatalf("edit did not arrive: %q", name)
	}
	if err := st1.Update(context.Background(), func(tx *store.Tx) error { return tx.Delete("research_teachers", t1) }); err != nil {
		t.Fatal(err)
	}
	syncOK(t, r1)
	syncOK(t, r2)
	if _, del := teacherName(t, st2, t1); !del {
		t.Fatal("delete did not arrive")
	}
}

func TestConcurrentEditsKeepTheLoserAsConflict(t *testing.T) {
	d := startDistrict(t)
	a := d.school(t, "A校")
	st1, r1 := d.device(t, a, "A")
	st2, r2 := d.device(t, a, "")
	id := put(t, st1, "research_teachers", "", store.Fields{"name": "王老师"})
	syncOK(t, r1)
	syncOK(t, r2)
	// Both edit while offline.
	put(t, st1, "research_teachers", id, store.Fields{"name": "王一"})
	put(t, st2, "research_teachers", id, store.Fields{"name": "王二"})
	syncOK(t, r1)
	rep := syncOK(t, r2)
	syncOK(t, r1)
	if rep.Conflicts != 1 {
		t.Fatalf("conflicts %d, want 1", rep.Conflicts)
	}
	n1, _ := teacherName(t, st1, id)
	n2, _ := teacherName(t, st2, id)
	if n1 != "王二" || n2 != "王二" {
		t.Fatalf("names %q %q, want the later edit 王二 on both", n1, n2)
	}
	for _, st := range []*store.Store{st1, st2} {
		var loser string
		if err := st.DB.QueryRow(`SELECT json_extract(loser_data, '$.name') FROM sync_conflicts WHERE row_id=?`, id).Scan(&loser); err != nil || loser != "王一" {
			t.Fatalf("conflict record: %q %v", loser, err)
		}
	}
	// A plain sequential edit is no conflict.
	put(t, st1, "research_teachers", id, store.Fields{"name": "王三"})
	if rep := syncOK(t, r1); rep.Conflicts != 0 {
		t.Fatalf("sequential edit counted %d conflicts", rep.Conflicts)
	}
}

func TestPushTwiceChangesNothing(t *testing.T) {
	d := startDistrict(t)
	a := d.school(t, "A校")
	st1, r1 := d.device(t, a, "A")
	for i := 0; i < 30; i++ {
		put(t, st1, "research_teachers", "", store.Fields{"name": "老师"})
	}
	syncOK(t, r1)
	ctx := context.Background()
	before, _ := d.srv.DB().SyncState(ctx, district.Device{ID: st1.Device})
	if err := st1.Update(ctx, func(tx *store.Tx) error { return tx.SetCheckpoint(store.CheckpointPush, 0) }); err != nil {
		t.Fatal(err)
	}
	rep := syncOK(t, r1)
	after, _ := d.srv.DB().SyncState(ctx, district.Device{ID: st1.Device})
	if rep.Pushed == 0 || after.ServerSeq != before.ServerSeq || rep.Conflicts != 0 {
		t.Fatalf("re-push of %d changes moved the server from %d to %d (%d conflicts)", rep.Pushed, before.ServerSeq, after.ServerSeq, rep.Conflicts)
	}
}

func TestRestoredDeviceGetsItsOwnRowsBack(t *testing.T) {
	ctx := context.Background()
	d := startDistrict(t)
	a := d.school(t, "A校")
	st, r := d.device(t, a, "A")
	syncOK(t, r)
	backup := t.TempDir() + "/before.qiao"
	if err := store.BackupDir(ctx, st.Dir, backup); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := 0; i < 45; i++ {
		ids = append(ids, put(t, st, "research_teachers", "", store.Fields{"name": "老师"}))
	}
	syncOK(t, r)
	dir := st.Dir
	st.Close()
	if _, err := store.Restore(ctx, dir, backup); err != nil {
		t.Fatal(err)
	}
	st2, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	r2, err := Open(ctx, st2)
	if err != nil {
		t.Fatal(err)
	}
	r2.pull.n = 10 // the full pull takes several pages
	r2.c.http.Transport.(*http.Transport).CloseIdleConnections()
	syncOK(t, r2)
	for _, id := range ids {
		if name, _ := teacherName(t, st2, id); name != "老师" {
			t.Fatalf("row %s did not come back after the restore", id)
		}
	}
}

func TestEnrolKeepsAnOlderLocalSchoolName(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// The school set itself up long before the district added it.
	if _, err := school.NewService(st).Save(ctx, school.School{Name: "本校自己的名称"}); err != nil {
		t.Fatal(err)
	}
	d := startDistrict(t)
	sid := d.school(t, "区里登记的名称")
	if _, err := Enrol(ctx, st, EnrolOptions{Server: d.url, Code: d.code(t, sid, district.RoleTeacher), DeviceName: "x", Fingerprint: d.pin}); err != nil {
		t.Fatal(err)
	}
	r, err := Open(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if rep := syncOK(t, r); rep.Conflicts != 0 {
		t.Fatalf("enrolment produced %d conflicts", rep.Conflicts)
	}
	var name string
	st.DB.QueryRow(`SELECT name FROM schools WHERE id=?`, sid).Scan(&name)
	if name != "本校自己的名称" {
		t.Fatalf("school name after enrolment = %q", name)
	}
}
