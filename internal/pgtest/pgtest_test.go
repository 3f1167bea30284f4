//go:build linux

package pgtest

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

func TestMain(m *testing.M) { Main(m) }

func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// A cluster of its own: write a table and read it back through database/sql.
func TestStartRoundTrip(t *testing.T) {
	begin := time.Now()
	dsn := Start(t)
	t.Logf("cluster started in %v: %s", time.Since(begin).Round(time.Millisecond), dsn)

	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if u.Hostname() != "127.0.0.1" || u.User.Username() != "qiao" || u.Path != "/qiao" {
		t.Errorf("DSN %s: want user qiao, host 127.0.0.1, database qiao", dsn)
	}

	db := open(t, dsn)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE pupils (id serial PRIMARY KEY, name text NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Ana", "Bo", "Çağla"} {
		if _, err := db.ExecContext(ctx, `INSERT INTO pupils (name) VALUES ($1)`, name); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := db.QueryContext(ctx, `SELECT name FROM pupils ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "Ana,Bo,Çağla" {
		t.Errorf("read back %q", got)
	}

	var owner string
	var super bool
	err = db.QueryRowContext(ctx, `SELECT pg_get_userbyid(datdba), (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
		FROM pg_database WHERE datname = current_database()`).Scan(&owner, &super)
	if err != nil {
		t.Fatal(err)
	}
	if owner != "qiao" || super {
		t.Errorf("database owner %q, qiao superuser %v; want owner qiao, not superuser", owner, super)
	}
}

// Databases from NewDatabase are fresh and do not see each other's tables.
func TestNewDatabaseIsolation(t *testing.T) {
	if os.Getenv(EnvDSN) == "" {
		t.Fatalf("%s unset: TestMain's Main did not start the shared cluster", EnvDSN)
	}
	ctx := context.Background()
	dsnA, dsnB := NewDatabase(t), NewDatabase(t)
	if dsnA == dsnB {
		t.Fatalf("two calls gave the same database %s", dsnA)
	}
	a, b := open(t, dsnA), open(t, dsnB)

	if _, err := a.ExecContext(ctx, `CREATE TABLE only_in_a (x int)`); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ExecContext(ctx, `INSERT INTO only_in_a VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ExecContext(ctx, `SELECT * FROM only_in_a`); err == nil {
		t.Error("database B sees table only_in_a created in database A")
	}
	// B can make a table of the same name without clashing.
	if _, err := b.ExecContext(ctx, `CREATE TABLE only_in_a (y text)`); err != nil {
		t.Errorf("B: %v", err)
	}
	for name, db := range map[string]*sql.DB{"A": a, "B": b} {
		var n int
		if err := db.QueryRowContext(ctx,
			`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("database %s has %d public tables, want 1", name, n)
		}
	}
}

// Dropping at cleanup works even while the test still holds connections, and
// the database is gone afterwards.
func TestNewDatabaseDroppedAtCleanup(t *testing.T) {
	var name string
	t.Run("inner", func(t *testing.T) {
		dsn := NewDatabase(t)
		u, _ := url.Parse(dsn)
		name = strings.TrimPrefix(u.Path, "/")
		db := open(t, dsn) // registered after NewDatabase, so closed before the drop...
		db.SetMaxIdleConns(2)
		if err := db.PingContext(context.Background()); err != nil {
			t.Fatal(err)
		}
		// ...but a stray connection that is never closed must not block it.
		stray, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		if err := stray.PingContext(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	admin := open(t, os.Getenv(EnvDSN))
	var n int
	if err := admin.QueryRow(`SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("database %s still exists after its test ended", name)
	}
}

func TestNewDatabaseParallel(t *testing.T) {
	for i := 0; i < 4; i++ {
		t.Run("", func(t *testing.T) {
			t.Parallel()
			db := open(t, NewDatabase(t))
			if _, err := db.Exec(`CREATE TABLE t (x int)`); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestFindBinaries(t *testing.T) {
	dir, err := findBinaries()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("server binaries in %s", dir)
}

// go test -run=^$ -bench=. ./internal/pgtest/ measures a cluster start (and
// stop) against a database from the shared cluster.
func BenchmarkStart(b *testing.B) {
	for b.Loop() {
		func() {
			tb := &cleanupTB{TB: b}
			defer tb.cleanup()
			Start(tb)
		}()
	}
}

func BenchmarkNewDatabase(b *testing.B) {
	for b.Loop() {
		tb := &cleanupTB{TB: b}
		NewDatabase(tb)
		tb.cleanup()
	}
}

// cleanupTB runs the cleanups registered on it when told to, so that a
// benchmark loop can stop each cluster it starts.
type cleanupTB struct {
	testing.TB
	fns []func()
}

func (c *cleanupTB) Cleanup(f func()) { c.fns = append(c.fns, f) }

func (c *cleanupTB) cleanup() {
	for i := len(c.fns) - 1; i >= 0; i-- {
		c.fns[i]()
	}
	c.fns = nil
}
