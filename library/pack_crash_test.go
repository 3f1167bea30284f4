package library

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"qiao/content"
	"qiao/store"
)

// TestPackImportKilledAfterDone kills an importing process the moment
// Import has returned: every file it imported is there and verifies, with
// its catalogue entry, and no partial file is left.
func TestPackImportKilledAfterDone(t *testing.T) {
	_, pack, picked := exportGrade3(t, []int{1, 70_000, 300_000, 1 << 20, 0})
	data := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestPackImportCrashChild$")
	cmd.Env = append(os.Environ(), "QIAO_PACK_CRASH="+pack+string(os.PathListSeparator)+data)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var said []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		said = append(said, sc.Text())
		if strings.HasPrefix(sc.Text(), "IMPORTED") {
			cmd.Process.Kill()
			break
		}
	}
	cmd.Wait()
	if len(said) == 0 || said[len(said)-1] != fmt.Sprintf("IMPORTED %d", len(picked)) {
		t.Fatalf("child said %q", said)
	}

	p := openPacks(t, data)
	defer p.DB.Close()
	got := catalogue(t, p)
	if len(got) != len(picked) {
		t.Fatalf("%d entries after the kill, want %d", len(got), len(picked))
	}
	for _, e := range picked {
		if err := p.Files.Verify(e.Hash); err != nil {
			t.Fatalf("%s: %v", e.Title, err)
		}
	}
	left, _ := os.ReadDir(filepath.Join(data, "files", "partial"))
	if len(left) != 0 {
		t.Fatalf("%d partial files left", len(left))
	}
}

// TestPackImportCrashChild is TestPackImportKilledAfterDone's child: it
// imports the pack, says so, and waits to be killed.
func TestPackImportCrashChild(t *testing.T) {
	arg := os.Getenv("QIAO_PACK_CRASH")
	if arg == "" {
		t.Skip("run by TestPackImportKilledAfterDone")
	}
	pack, data, _ := strings.Cut(arg, string(os.PathListSeparator))
	p := openPacks(t, data)
	rep, err := p.Import(context.Background(), pack, nil)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Printf("IMPORTED %d\n", rep.Added)
	time.Sleep(time.Hour) // until killed
}

// openPacks opens the data directory dir.
func openPacks(t *testing.T, dir string) *Packs {
	t.Helper()
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	files, err := content.Open(filepath.Join(dir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	return &Packs{DB: st, Files: files, SchoolID: schoolA}
}
