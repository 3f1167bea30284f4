//go:build linux

package replica

import (
	"database/sql"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"qiao/internal/pgtest"
)

// serverRows reads the district's current rows from its database: the
// SQLite file in its data directory, or its PostgreSQL database.
func (p *districtProc) serverRows(t *testing.T) map[string]version {
	t.Helper()
	if p.db == "" {
		return serverRows(t, p.data)
	}
	db, err := sql.Open("pgx", p.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return readVersions(t, db, `SELECT tbl, id, school_id, hlc, origin, deleted FROM sync_rows`)
}

// startDistrictProcDB starts a server on a fresh data directory with its
// database at the PostgreSQL URL db. If tlsFrom is not nil, the new data
// directory gets a copy of its certificate first, as a second server
// process behind a load balancer needs.
func startDistrictProcDB(t *testing.T, db string, tlsFrom *districtProc) *districtProc {
	p := &districtProc{t: t, bin: districtBinary(t), data: t.TempDir(), db: db, addr: "127.0.0.1:0"}
	if tlsFrom != nil {
		if err := os.CopyFS(filepath.Join(p.data, "tls"), os.DirFS(filepath.Join(tlsFrom.data, "tls"))); err != nil {
			t.Fatal(err)
		}
	}
	p.start()
	t.Cleanup(p.kill)
	return p
}

// TestConvergencePostgresTwoServers is the convergence test on two real
// server processes sharing one PostgreSQL database (and one certificate):
// the devices sync through one or the other and converge.
func TestConvergencePostgresTwoServers(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	p1 := startDistrictProcDB(t, dsn, nil)
	p2 := startDistrictProcDB(t, dsn, p1)
	if p1.pin != p2.pin {
		t.Fatalf("the two servers serve different certificates: %s, %s", p1.pin, p2.pin)
	}
	a, b := p1.school("石桥镇中心小学"), p2.school("草原牧区小学")
	devs := []*device{p1.device(t, a, "石桥", p2.url()), p2.device(t, a, "", p1.url()), p1.device(t, b, "草原", p2.url())}
	w := &world{created: map[string]string{}}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	for round := 0; round < 6; round++ {
		for _, d := range devs {
			w.randomWork(t, rng, d, 5+rng.IntN(30))
		}
		for _, i := range rng.Perm(len(devs)) {
			if rng.IntN(3) > 0 {
				syncUntilDone(t, devs[i], 1)
			}
		}
	}
	settle(t, devs)
	w.checkConverged(t, p1, devs)
}
