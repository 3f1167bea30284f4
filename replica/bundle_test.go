package replica

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"qiao/district"
	"qiao/store"
	"qiao/syncproto"
)

// districtImport imports a push bundle into the in-process district and
// writes the return bundle, as `qiao-district import-bundle` does.
func districtImport(t *testing.T, d *testDistrict, push string) (district.BundleImport, string) {
	t.Helper()
	ctx := context.Background()
	imp, err := d.srv.DB().ImportBundle(ctx, push, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ret := filepath.Join(t.TempDir(), "return.qiao")
	if _, err := d.srv.DB().WriteReturnBundle(ctx, imp.Device, imp.Header.PulledThrough, ret, time.Now()); err != nil {
		t.Fatal(err)
	}
	return imp, ret
}

func exportOK(t *testing.T, st *store.Store) (string, syncproto.BundleHeader) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "push.qiao")
	h, err := ExportBundle(context.Background(), st, path)
	if err != nil {
		t.Fatal(err)
	}
	return path, h
}

func checkpoints(t *testing.T, st *store.Store) [2]int64 {
	t.Helper()
	var c [2]int64
	for i, name := range []string{store.CheckpointPull, store.CheckpointPush} {
		v, err := st.Checkpoint(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		c[i] = v
	}
	return c
}

// storeState is a fingerprint of a store's synced rows and checkpoints.
func storeState(t *testing.T, st *store.Store) string {
	t.Helper()
	var rows string
	if err := st.DB.QueryRow(`SELECT coalesce(group_concat(v, ','), '') FROM (SELECT id || ':' || name || ':' || hlc AS v FROM
		(SELECT id, name, hlc FROM research_teachers UNION ALL SELECT id, name, hlc FROM schools) ORDER BY v)`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(rows, checkpoints(t, st))
}

func rowCount(t *testing.T, st *store.Store, table, id string) int {
	t.Helper()
	var n int
	if err := st.DB.QueryRow(`SELECT count(*) FROM `+table+` WHERE id=?`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBundleRoundTrip(t *testing.T) {
	ctx := context.Background()
	d := startDistrict(t)
	a, b := d.school(t, "A校"), d.school(t, "B校")
	st1, r1 := d.device(t, a, "A") // the school without a network
	st2, r2 := d.device(t, a, "")  // a colleague online
	st3, r3 := d.device(t, b, "B")
	if r1.Identity().ServerKey == nil {
		t.Fatal("enrolment did not keep the district's key")
	}
	colleague := put(t, st2, "research_teachers", "", store.Fields{"name": "同事"})
	other := put(t, st3, "research_teachers", "", store.Fields{"name": "外校"})
	syncOK(t, r2)
	syncOK(t, r3)

	var offline []string
	for _, name := range []string{"甲", "乙", "丙"} {
		offline = append(offline, put(t, st1, "research_teachers", "", store.Fields{"name": name}))
	}
	before := checkpoints(t, st1)
	push, h := exportOK(t, st1)
	if h.Kind != syncproto.BundlePush || h.Changes < 3 || h.Device != st1.Device {
		t.Fatalf("push bundle header %+v", h)
	}
	if checkpoints(t, st1) != before {
		t.Fatal("exporting moved a checkpoint")
	}
	imp, ret := districtImport(t, d, push)
	if imp.Result.Applied != int(h.Changes) {
		t.Fatalf("district applied %d of %d", imp.Result.Applied, h.Changes)
	}

	// The colleague receives the offline rows online.
	syncOK(t, r2)
	for _, id := range offline {
		if rowCount(t, st2, "research_teachers", id) != 1 {
			t.Fatalf("colleague lacks offline row %s", id)
		}
	}

	// Enrolled before bundles existed: no key until it is fetched once.
	pinned := r1.Identity().ServerKey
	if _, err := st1.DB.Exec(`DELETE FROM meta WHERE key = ?`, keyServerKey); err != nil {
		t.Fatal(err)
	}
	if _, err := ImportBundle(ctx, st1, ret); !errors.Is(err, ErrNoServerKey) {
		t.Fatalf("import without the district's key: %v", err)
	}
	if k, err := r1.FetchServerKey(ctx); err != nil || !k.Equal(pinned) {
		t.Fatalf("fetched key %x (%v), enrolment gave %x", k, err, pinned)
	}

	// The offline device receives the district's rows from the return bundle.
	rep, err := ImportBundle(ctx, st1, ret)
	if err != nil {
		t.Fatal(err)
	}
	if name, _ := teacherName(t, st1, colleague); name != "同事" {
		t.Fatalf("colleague's row: %q", name)
	}
	if rowCount(t, st1, "research_teachers", other) != 0 {
		t.Fatal("a row of school B reached school A")
	}
	if rowCount(t, st1, "schools", b) != 1 || rep.Applied == 0 {
		t.Fatalf("the list of schools did not arrive (%+v)", rep)
	}
	last, _ := st1.LastChange(ctx)
	if c := checkpoints(t, st1); c[1] != last || c[0] != rep.Header.Through {
		t.Fatalf("checkpoints %v, want pull %d push %d", c, rep.Header.Through, last)
	}
	// Online again, nothing is left to send.
	if rep := syncOK(t, r1); rep.Pushed != 0 {
		t.Fatalf("online sync after the bundles pushed %d changes again", rep.Pushed)
	}
}

func TestBundleOldAfterNewChangesNothing(t *testing.T) {
	ctx := context.Background()
	d := startDistrict(t)
	a := d.school(t, "A校")
	st1, _ := d.device(t, a, "A")
	st2, r2 := d.device(t, a, "")
	row := put(t, st2, "research_teachers", "", store.Fields{"name": "旧名"})
	syncOK(t, r2)
	push1, _ := exportOK(t, st1)
	_, ret1 := districtImport(t, d, push1)

	put(t, st2, "research_teachers", row, store.Fields{"name": "新名"})
	syncOK(t, r2)
	put(t, st1, "research_teachers", "", store.Fields{"name": "离线"})
	push2, _ := exportOK(t, st1)
	_, ret2 := districtImport(t, d, push2)

	// The district: the older push bundle after the newer changes nothing.
	if imp, err := d.srv.DB().ImportBundle(ctx, push1, time.Now()); err != nil || !imp.Already {
		t.Fatalf("old push bundle again: %+v %v", imp, err)
	}

	if _, err := ImportBundle(ctx, st1, ret2); err != nil {
		t.Fatal(err)
	}
	if name, _ := teacherName(t, st1, row); name != "新名" {
		t.Fatalf("after the newer return bundle: %q", name)
	}
	want := storeState(t, st1)
	for _, p := range []string{ret1, ret2} {
		if _, err := ImportBundle(ctx, st1, p); err != nil {
			t.Fatal(err)
		}
		if got := storeState(t, st1); got != want {
			t.Fatalf("importing %s again changed the store:\n%s\n%s", filepath.Base(p), want, got)
		}
	}
}

func TestBundleAppRefuses(t *testing.T) {
	ctx := context.Background()
	d := startDistrict(t)
	a := d.school(t, "A校")
	st1, _ := d.device(t, a, "A")
	st2, r2 := d.device(t, a, "")
	put(t, st2, "research_teachers", "", store.Fields{"name": "同事"})
	syncOK(t, r2)
	push1, _ := exportOK(t, st1)
	_, ret := districtImport(t, d, push1)
	push2, _ := exportOK(t, st2)
	_, retOther := districtImport(t, d, push2)
	data, err := os.ReadFile(ret)
	if err != nil {
		t.Fatal(err)
	}
	bad := func(mut func([]byte) []byte) string {
		p := filepath.Join(t.TempDir(), "bad.qiao")
		if err := os.WriteFile(p, mut(append([]byte(nil), data...)), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	want := storeState(t, st1)
	for name, c := range map[string]struct{ path, msg string }{
		"header flipped":     {bad(func(b []byte) []byte { b[len(syncproto.BundleMagic)+3] ^= 1; return b }), "bundle"},
		"body flipped":       {bad(func(b []byte) []byte { b[len(b)-200] ^= 1; return b }), "checksum"},
		"trailer flipped":    {bad(func(b []byte) []byte { b[len(b)-10] ^= 1; return b }), "bundle"},
		"truncated":          {bad(func(b []byte) []byte { return b[:len(b)-100] }), "truncated"},
		"for another device": {retOther, "not for this one"},
		"a push bundle":      {push1, "push bundle"},
	} {
		if _, err := ImportBundle(ctx, st1, c.path); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: err %v, want one mentioning %q", name, err, c.msg)
		}
		if got := storeState(t, st1); got != want {
			t.Fatalf("%s: the refused bundle changed the store", name)
		}
	}
}

// TestBundleThroughDistrictCommand runs the real `qiao-district
// import-bundle` on the data directory of a running server.
func TestBundleThroughDistrictCommand(t *testing.T) {
	ctx := context.Background()
	p := startDistrictProc(t)
	a := p.school("A校")
	st1, _ := p.enrol(a, "A", p.url())
	st2, dir2 := p.enrol(a, "", p.url())
	id := put(t, st1, "research_teachers", "", store.Fields{"name": "离线老师"})
	push, h := exportOK(t, st1)
	ret := filepath.Join(t.TempDir(), "return.qiao")
	run := func() string {
		out, err := exec.Command(p.bin, "import-bundle", "--data", p.data, "--out", ret, push).CombinedOutput()
		if err != nil {
			t.Fatalf("qiao-district import-bundle: %v\n%s", err, out)
		}
		return string(out)
	}
	if out := run(); !strings.Contains(out, "imported bundle "+h.ID) || !strings.Contains(out, "return bundle") {
		t.Fatalf("first import said:\n%s", out)
	}
	if out := run(); !strings.Contains(out, "already imported") {
		t.Fatalf("second import said:\n%s", out)
	}
	if _, err := ImportBundle(ctx, st1, ret); err != nil {
		t.Fatal(err)
	}
	// The colleague online gets the row the command imported.
	st2.Close()
	st2, err := store.Open(ctx, dir2)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	r2, err := Open(ctx, st2)
	if err != nil {
		t.Fatal(err)
	}
	syncOK(t, r2)
	if name, _ := teacherName(t, st2, id); name != "离线老师" {
		t.Fatalf("colleague sees %q", name)
	}
	// A tampered bundle: the command fails with a clear message.
	data, _ := os.ReadFile(push)
	data[len(data)/2] ^= 1
	badPath := filepath.Join(t.TempDir(), "bad.qiao")
	os.WriteFile(badPath, data, 0o600)
	out, err := exec.Command(p.bin, "import-bundle", "--data", p.data, "--out", ret+"2", badPath).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "damaged or was altered") {
		t.Fatalf("tampered bundle: %v\n%s", err, out)
	}
	if _, err := os.Stat(ret + "2"); err == nil {
		t.Fatal("a return bundle was written for a refused bundle")
	}
}
