package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestMetricsRollupCommand(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	out := filepath.Join(t.TempDir(), "rollup.xlsx")
	if code, _, stderr := runWithStdin(t, "", "metrics", "rollup", "--data", data, "--term", "2026-autumn"); code != exitError || !strings.Contains(stderr, "no district database") {
		t.Fatalf("without a database: exit %d, %q", code, stderr)
	}
	for _, n := range []string{"第一中学", "第二小学"} {
		if code, _, stderr := runWithStdin(t, "", "school", "add", "--data", data, "--name", n); code != exitOK {
			t.Fatalf("school add: %d %s", code, stderr)
		}
	}
	if code, _, stderr := runWithStdin(t, "", "metrics", "rollup", "--data", data); code != exitUsage || !strings.Contains(stderr, "--term is required") {
		t.Errorf("no term: exit %d, %q", code, stderr)
	}
	if code, _, stderr := runWithStdin(t, "", "metrics", "rollup", "--data", data, "--term", "autumn", "--xlsx", out); code != exitError || !strings.Contains(stderr, "is not a term") {
		t.Errorf("bad term: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a workbook was written for a bad term")
	}
	code, stdout, stderr := runWithStdin(t, "", "metrics", "rollup", "--data", data, "--term", "2026-autumn", "--xlsx", out)
	if code != exitOK || !strings.Contains(stdout, "第一中学") || !strings.Contains(stdout, "District average") || !strings.Contains(stdout, "wrote "+out) {
		t.Fatalf("rollup: exit %d\n%s\n%s", code, stdout, stderr)
	}
	x, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := x.GetRows("Indicators")
	if len(rows) < 4 || rows[0][0] != "Rank" || rows[3][1] != "District average" {
		t.Errorf("workbook rows %q", rows)
	}
}
