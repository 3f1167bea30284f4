//go:build linux

package district

import (
	"path/filepath"
	"testing"

	"qiao/internal/pgtest"
)

// TestMain runs one throw-away PostgreSQL cluster for the package's tests;
// forEachBackend gives each PostgreSQL subtest a fresh database in it.
func TestMain(m *testing.M) { pgtest.Main(m) }

// backends are the database back ends the DB tests run on.
var backends = []string{"sqlite", "postgres"}

// forEachBackend runs f as a subtest per back end, with a plain-HTTP
// config on a fresh data directory and, for PostgreSQL, a fresh database.
func forEachBackend(t *testing.T, f func(t *testing.T, cfg Config)) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) { f(t, backendConfig(t, b)) })
	}
}

func backendConfig(t *testing.T, backend string) Config {
	cfg := Config{DataDir: filepath.Join(t.TempDir(), "data"), Insecure: true}
	if backend == "postgres" {
		cfg.DatabaseURL = pgtest.NewDatabase(t)
	}
	return cfg
}
