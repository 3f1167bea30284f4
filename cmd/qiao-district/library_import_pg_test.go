//go:build linux

package main

import (
	"testing"

	"qiao/internal/pgtest"
)

// TestMain runs one throw-away PostgreSQL cluster for the package's tests
// (those that ask for a database: the import-pack test's PostgreSQL run).
func TestMain(m *testing.M) { pgtest.Main(m) }

// importBackends are the databases the import-pack test runs on.
var importBackends = []struct {
	name string
	url  func(t *testing.T) string // "" for SQLite in the data directory
}{{"sqlite", func(*testing.T) string { return "" }}, {"postgres", func(t *testing.T) string { return pgtest.NewDatabase(t) }}}
