package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qiao/school"
	"qiao/store"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("QIAO_LANG", "en")
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestVersion(t *testing.T) {
	code, out, _ := run(t, "version")
	if code != 0 || !strings.Contains(out, Version) {
		t.Fatalf("code %d out %q", code, out)
	}
}

func TestUnknownCommandIsUsageError(t *testing.T) {
	code, _, errOut := run(t, "frobnicate")
	if code != 2 || !strings.Contains(errOut, "unknown command: frobnicate") || !strings.Contains(errOut, "usage:") {
		t.Fatalf("code %d err %q", code, errOut)
	}
	if code, _, _ := run(t, "backup"); code != 2 {
		t.Fatal("backup without a file is not a usage error")
	}
}

func TestBackupAndRestoreCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	sv := school.NewService(st)
	sch, _ := sv.UseSample(ctx)

	bak := filepath.Join(t.TempDir(), "b.db")
	code, out, errOut := run(t, "--data", dir, "backup", bak) // online, while st is open
	if code != 0 {
		t.Fatalf("backup: %d %s", code, errOut)
	}
	if !strings.Contains(out, bak) {
		t.Fatalf("backup output %q", out)
	}
	code, _, errOut = run(t, "--data", dir, "restore", bak)
	if code != 1 || !strings.Contains(errOut, "already running") {
		t.Fatalf("restore while open: %d %q", code, errOut)
	}
	sch.Name = "改名后"
	sv.Save(ctx, sch)
	st.Close()

	code, out, errOut = run(t, "--data", dir, "restore", bak)
	if code != 0 || !strings.Contains(out, "kept as") {
		t.Fatalf("restore: %d %q %q", code, out, errOut)
	}
	st, _ = store.Open(ctx, dir)
	defer st.Close()
	got, _, _ := school.NewService(st).Current(ctx)
	if got.Name != school.SampleSchool.Name {
		t.Fatalf("restored school %q", got.Name)
	}

	junk := filepath.Join(t.TempDir(), "junk.db")
	os.WriteFile(junk, []byte("hello"), 0o644)
	st.Close()
	if code, _, errOut := run(t, "--data", dir, "restore", junk); code != 1 || !strings.Contains(errOut, "error:") {
		t.Fatalf("junk restore: %d %q", code, errOut)
	}
}

func TestBackupOfEmptyFolderSaysWhy(t *testing.T) {
	code, _, errOut := run(t, "--data", t.TempDir(), "backup", filepath.Join(t.TempDir(), "x.db"))
	if code != 1 || !strings.Contains(errOut, "nothing to back up") {
		t.Fatalf("%d %q", code, errOut)
	}
}

func TestDataDirPrecedence(t *testing.T) {
	t.Setenv("QIAO_DATA", "/tmp/from-env")
	if d, _ := DataDir("/tmp/from-flag"); d != "/tmp/from-flag" {
		t.Fatalf("flag: %s", d)
	}
	if d, _ := DataDir(""); d != "/tmp/from-env" {
		t.Fatalf("env: %s", d)
	}
	t.Setenv("QIAO_DATA", "")
	d, err := DataDir("")
	if err != nil || filepath.Base(d) != "Qiao" {
		t.Fatalf("default: %s %v", d, err)
	}
}

func TestCLILanguage(t *testing.T) {
	t.Setenv("QIAO_LANG", "")
	t.Setenv("LC_ALL", "")
	t.Setenv("LC_MESSAGES", "")
	for env, want := range map[string]string{"zh_CN.UTF-8": "zh-Hans", "en_US.UTF-8": "en", "C": "zh-Hans", "": "zh-Hans"} {
		t.Setenv("LANG", env)
		if got := cliLanguage(); got != want {
			t.Errorf("LANG=%q: %s, want %s", env, got, want)
		}
	}
}
