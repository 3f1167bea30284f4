//go:build !linux

package district

import (
	"path/filepath"
	"testing"
)

// forEachBackend runs f on SQLite only: internal/pgtest, which runs a
// throw-away PostgreSQL, builds on Linux only.
func forEachBackend(t *testing.T, f func(t *testing.T, cfg Config)) {
	t.Run("sqlite", func(t *testing.T) {
		f(t, Config{DataDir: filepath.Join(t.TempDir(), "data"), Insecure: true})
	})
}
