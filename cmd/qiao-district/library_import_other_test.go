//go:build !linux

package main

import "testing"

// importBackends are the databases the import-pack test runs on: SQLite
// only, since internal/pgtest builds on Linux only.
var importBackends = []struct {
	name string
	url  func(t *testing.T) string
}{{"sqlite", func(*testing.T) string { return "" }}}
