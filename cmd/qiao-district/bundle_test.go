package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestImportBundleUsage(t *testing.T) {
	for _, args := range [][]string{
		{"import-bundle"},
		{"import-bundle", "push.qiao"},
		{"import-bundle", "--out", "ret.qiao"},
		{"import-bundle", "--out", "ret.qiao", "a.qiao", "b.qiao"},
		{"import-bundle", "--out", "same.qiao", "same.qiao"},
		{"import-bundle", "--bogus", "--out", "ret.qiao", "a.qiao"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), "import-bundle") {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr.String())
		}
	}
	// A mistyped --data is refused before anything is read or written.
	var stdout, stderr bytes.Buffer
	dir := t.TempDir()
	code := run(context.Background(), []string{"import-bundle", filepath.Join(dir, "push.qiao"), "--data", filepath.Join(dir, "nope"), "--out", filepath.Join(dir, "r.qiao")}, &stdout, &stderr)
	if code != exitError || !strings.Contains(stderr.String(), "no district database") {
		t.Errorf("missing data dir: exit %d, stderr %q", code, stderr.String())
	}
}
