package replica

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"qiao/internal/netsim"
	"qiao/store"
)

// world is the test's knowledge of what it created: row id -> school.
type world struct {
	created map[string]string
}

// device is one app store in an end-to-end test.
type device struct {
	st     *store.Store
	dir    string
	school string
	r      *Replica
}

func (p *districtProc) device(t *testing.T, schoolID, local, base string) *device {
	st, dir := p.enrol(schoolID, local, base)
	r, err := Open(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	d := &device{st: st, dir: dir, school: schoolID, r: r}
	t.Cleanup(func() { d.st.Close() })
	return d
}

// randomWork does n random creates, edits and deletes of teachers while
// offline, up to 100 in one transaction.
func (w *world) randomWork(t *testing.T, rng *rand.Rand, d *device, n int) {
	t.Helper()
	for n > 0 {
		k := min(n, 1+rng.IntN(100))
		n -= k
		err := d.st.Update(context.Background(), func(tx *store.Tx) error {
			for range k {
				if err := w.randomOp(tx, rng, d); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// randomOp makes one random change: half creates, the rest edits of a
// random live teacher or of the school's profile, and deletes.
func (w *world) randomOp(tx *store.Tx, rng *rand.Rand, d *device) error {
	var live string
	err := tx.QueryRow(`SELECT id FROM research_teachers WHERE deleted=0 AND rowid >= ? ORDER BY rowid LIMIT 1`,
		rng.Int64N(int64(len(w.created)+1))).Scan(&live)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	switch op := rng.IntN(10); {
	case op < 5 || live == "":
		rec, err := tx.Put("research_teachers", d.school, "", store.Fields{"name": fmt.Sprintf("教师%d", rng.IntN(1e6))})
		w.created[rec.ID] = d.school
		return err
	case op < 8:
		_, err := tx.Put("research_teachers", d.school, live, store.Fields{"name": fmt.Sprintf("改名%d", rng.IntN(1e6))})
		return err
	case op < 9:
		_, err := tx.Put("schools", d.school, d.school, store.Fields{"name": fmt.Sprintf("学校%d", rng.IntN(1e6))})
		return err
	default:
		return tx.Delete("research_teachers", live)
	}
}

// version is what identifies a row's version.
type version struct {
	school  string
	hlc     int64
	origin  string
	deleted bool
}

// serverRows reads the district's current rows from its database file.
func serverRows(t *testing.T, data string) map[string]version {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "district.db")+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return readVersions(t, db, `SELECT tbl, id, school_id, hlc, origin, deleted FROM sync_rows`)
}

func readVersions(t *testing.T, db *sql.DB, q string) map[string]version {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]version{}
	for rows.Next() {
		var tbl, id string
		var v version
		if err := rows.Scan(&tbl, &id, &v.school, &v.hlc, &v.origin, &v.deleted); err != nil {
			t.Fatal(err)
		}
		out[tbl+"/"+id] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// localRows reads every synced row of a store.
func localRows(t *testing.T, st *store.Store) map[string]version {
	t.Helper()
	out := map[string]version{}
	for _, tbl := range []string{"schools", "research_teachers", "sync_conflicts"} {
		for k, v := range readVersions(t, st.DB, `SELECT '`+tbl+`', id, school_id, hlc, origin, deleted FROM `+tbl) {
			out[k] = v
		}
	}
	return out
}

// checkConverged asserts that every device holds exactly the server's rows
// of its partition, and that no created row is lost or doubled.
func (w *world) checkConverged(t *testing.T, p *districtProc, devs []*device) {
	t.Helper()
	srv := p.serverRows(t)
	teachers := 0
	for k, v := range srv {
		if len(k) > len("research_teachers/") && k[:len("research_teachers/")] == "research_teachers/" {
			teachers++
			if w.created[k[len("research_teachers/"):]] != v.school {
				t.Errorf("server row %s in school %q, created in %q", k, v.school, w.created[k[len("research_teachers/"):]])
			}
		}
	}
	if teachers != len(w.created) {
		t.Errorf("server has %d teachers, the devices created %d", teachers, len(w.created))
	}
	for i, d := range devs {
		want := map[string]version{}
		for k, v := range srv {
			if v.school == d.school || v.school == "" || k[:len("schools/")] == "schools/" {
				want[k] = v
			}
		}
		got := localRows(t, d.st)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("device %d: row %s is %+v, server has %+v", i, k, got[k], v)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("device %d has row %s the server does not give it", i, k)
			}
		}
		pending, _ := d.st.CountChangesAfter(context.Background(), mustCheckpoint(t, d.st, store.CheckpointPush))
		if pending != 0 {
			t.Errorf("device %d still has %d changes to push", i, pending)
		}
	}
}

func mustCheckpoint(t *testing.T, st *store.Store, name string) int64 {
	t.Helper()
	v, err := st.Checkpoint(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// syncUntilDone retries a sync until it succeeds, as the background runner would.
func syncUntilDone(t *testing.T, d *device, attempts int) (failures int) {
	t.Helper()
	var err error
	for i := 0; i < attempts; i++ {
		if _, err = d.r.Sync(context.Background()); err == nil {
			return failures
		}
		failures++
	}
	t.Fatalf("sync did not succeed in %d attempts; last error: %v", attempts, err)
	return failures
}

// settle syncs every device twice in turn: the first round pushes
// everything, the second brings everything to everyone.
func settle(t *testing.T, devs []*device) {
	for range 2 {
		for _, d := range devs {
			syncUntilDone(t, d, 50)
		}
	}
}

func TestConvergenceThreeStoresTwoSchools(t *testing.T) {
	p := startDistrictProc(t)
	a, b := p.school("石桥镇中心小学"), p.school("草原牧区小学")
	devs := []*device{p.device(t, a, "石桥", p.url()), p.device(t, a, "", p.url()), p.device(t, b, "草原", p.url())}
	w := &world{created: map[string]string{}}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	for round := 0; round < 8; round++ {
		for _, d := range devs {
			w.randomWork(t, rng, d, 5+rng.IntN(30))
		}
		for _, i := range rng.Perm(len(devs)) {
			if rng.IntN(3) > 0 { // some devices stay offline this round
				syncUntilDone(t, devs[i], 1)
			}
		}
	}
	settle(t, devs)
	w.checkConverged(t, p, devs)
}

func TestSyncSurvivesConnectionsCutMidBatch(t *testing.T) {
	p := startDistrictProc(t)
	a, b := p.school("A校"), p.school("B校")
	proxy, err := netsim.Start(p.addr, netsim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	via := "https://" + proxy.Addr()
	devs := []*device{p.device(t, a, "A", via), p.device(t, a, "", via), p.device(t, b, "B", via)}
	w := &world{created: map[string]string{}}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	for _, d := range devs {
		w.randomWork(t, rng, d, 1500)
	}
	cutRNG := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 13))
	var cutMu = make(chan struct{}, 1)
	proxy.SetConfig(netsim.Config{CutAfter: func() int64 {
		cutMu <- struct{}{}
		defer func() { <-cutMu }()
		return 4000 + cutRNG.Int64N(120000)
	}})
	failures := 0
	for range 2 {
		for _, d := range devs {
			failures += syncUntilDone(t, d, 400)
		}
	}
	if failures == 0 || proxy.Stats().Cuts == 0 {
		t.Fatalf("no sync was interrupted (%d cuts): the test did not test anything", proxy.Stats().Cuts)
	}
	t.Logf("%d interrupted syncs, %d cuts", failures, proxy.Stats().Cuts)
	proxy.SetConfig(netsim.Config{})
	w.checkConverged(t, p, devs)
}

func TestServerKilledDuringSync(t *testing.T) {
	p := startDistrictProc(t)
	a := p.school("A校")
	devs := []*device{p.device(t, a, "A", p.url()), p.device(t, a, "", p.url())}
	w := &world{created: map[string]string{}}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 17))
	w.randomWork(t, rng, devs[0], 6000)
	done := make(chan error, 1)
	go func() { _, err := devs[0].r.Sync(context.Background()); done <- err }()
	// Kill the server once the first batches are in.
	for mustCheckpointQuiet(devs[0].st) == 0 {
		select {
		case err := <-done:
			t.Fatalf("sync finished before the server could be killed (err %v); make the backlog bigger", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	p.kill()
	if err := <-done; err == nil {
		t.Fatal("sync succeeded although the server was killed during it")
	}
	p.start()
	settle(t, devs)
	w.checkConverged(t, p, devs)
}

func mustCheckpointQuiet(st *store.Store) int64 {
	v, _ := st.Checkpoint(context.Background(), store.CheckpointPush)
	return v
}

func TestAppKilledDuringPull(t *testing.T) {
	p := startDistrictProc(t)
	a := p.school("A校")
	w := &world{created: map[string]string{}}
	src := p.device(t, a, "A", p.url())
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 19))
	w.randomWork(t, rng, src, 8000)
	syncUntilDone(t, src, 3)

	// The puller goes through a slow link, so its pull takes a while.
	proxy, err := netsim.Start(p.addr, netsim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	st, dir := p.enrol(a, "", "https://"+proxy.Addr())
	st.Close()
	proxy.SetConfig(netsim.Config{Rate: 150_000})

	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), childEnv+"="+dir)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()
	ro, err := sql.Open("sqlite", "file:"+filepath.Join(dir, store.DBFile)+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	for {
		var n int64
		ro.QueryRow(`SELECT coalesce(CAST(value AS INTEGER),0) FROM meta WHERE key=?`, store.CheckpointPull).Scan(&n)
		if n > 0 {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("the app finished its pull before it could be killed (%v)", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	child.Process.Kill()
	<-exited
	proxy.SetConfig(netsim.Config{})

	st, err = store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	d := &device{st: st, dir: dir, school: a, r: r}
	t.Cleanup(func() { st.Close() })
	var half int
	st.DB.QueryRow(`SELECT count(*) FROM research_teachers`).Scan(&half)
	if half >= len(w.created) {
		t.Fatalf("the killed pull had already received all %d rows", half)
	}
	settle(t, []*device{src, d})
	w.checkConverged(t, p, []*device{src, d})
}
