package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"qiao/placement"
	"qiao/school"
	"qiao/store"
)

func TestPlacementRunVerifyAndTamper(t *testing.T) {
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")
	list := filepath.Join(tmp, "list.xlsx")
	if code, _, errOut := run(t, "placement", "sample", "--pupils", "240", "--teachers", "6", "--out", list); code != 0 {
		t.Fatal(errOut)
	}
	out := filepath.Join(tmp, "result.xlsx")
	code, stdout, errOut := run(t, "--data", data, "placement", "run", "--in", list, "--classes", "6", "--entropy", "8 8 6 1", "--out", out)
	if code != 0 {
		t.Fatalf("run: %d %s", code, errOut)
	}
	for _, want := range []string{"240 pupils", "max-min", "result digest"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("run output lacks %q:\n%s", want, stdout)
		}
	}
	// The draw is archived in the local store.
	ctx := context.Background()
	st, err := store.Open(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	sch, _, _ := school.NewService(st).Current(ctx)
	saved, _ := placement.NewArchive(st).List(ctx, sch.ID)
	st.Close()
	if len(saved) != 1 || saved[0].Pupils != 240 {
		t.Fatalf("archive: %+v", saved)
	}

	if code, stdout, _ := run(t, "placement", "verify", "--in", list, "--result", out); code != 0 || !strings.Contains(stdout, "verified") {
		t.Fatalf("genuine result not verified: %d %s", code, stdout)
	}

	// Move one pupil to another class.
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := f.GetCellValue(placement.SheetAll, "J2")
	moved := "1"
	if v == "1" {
		moved = "2"
	}
	f.SetCellValue(placement.SheetAll, "J2", moved)
	tampered := filepath.Join(tmp, "tampered.xlsx")
	f.SaveAs(tampered)
	code, stdout, _ = run(t, "placement", "verify", "--in", list, "--result", tampered)
	if code != 1 || !strings.Contains(stdout, "NOT verified") || !strings.Contains(stdout, "S000001") {
		t.Fatalf("moved pupil not caught: %d %s", code, stdout)
	}

	// Change the list: one pupil's score.
	lf, _ := excelize.OpenFile(list)
	lf.SetCellValue("名单", "E3", 12.5)
	changed := filepath.Join(tmp, "changed.xlsx")
	lf.SaveAs(changed)
	code, stdout, _ = run(t, "placement", "verify", "--in", changed, "--result", out)
	if code != 1 || !strings.Contains(stdout, "the list is not the one the draw used") {
		t.Fatalf("changed list not caught: %d %s", code, stdout)
	}
}

func TestPlacementRunRefusesBadListWithEveryProblem(t *testing.T) {
	tmp := t.TempDir()
	list := filepath.Join(tmp, "bad.csv")
	os.WriteFile(list, []byte("学号,姓名,性别,出生日期\n1,甲,男,2019-09-01\n1,乙,X,2019-02-30\n"), 0o644)
	out := filepath.Join(tmp, "r.xlsx")
	code, _, errOut := run(t, "--data", filepath.Join(tmp, "d"), "placement", "run", "--in", list, "--classes", "2", "--entropy", "1", "--out", out)
	if code != 1 {
		t.Fatalf("code %d", code)
	}
	for _, want := range []string{"3 problems", "row 3, column A（学号）", "row 3, column C（性别）", "row 3, column D（出生日期）"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("missing %q in:\n%s", want, errOut)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatal("a refused list still wrote a result")
	}
}

func TestPlacementCommitment(t *testing.T) {
	code, stdout, _ := run(t, "placement", "commit", "--secret", "校长的秘密 42")
	if code != 0 || strings.TrimSpace(stdout) != placement.Commitment("校长的秘密 42") {
		t.Fatalf("%d %q", code, stdout)
	}
	tmp := t.TempDir()
	list := filepath.Join(tmp, "l.xlsx")
	run(t, "placement", "sample", "--pupils", "40", "--out", list)
	code, _, errOut := run(t, "--data", tmp, "placement", "run", "--in", list, "--classes", "2", "--entropy", "1",
		"--out", filepath.Join(tmp, "r.xlsx"), "--secret", "wrong", "--commitment", strings.TrimSpace(stdout))
	if code != 1 || !strings.Contains(errOut, "does not match the published commitment") {
		t.Fatalf("%d %s", code, errOut)
	}
}
