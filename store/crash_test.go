package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// TestMain lets the test binary double as the writer child process that
// TestKilledWriterLosesNoCommittedRow kills.
func TestMain(m *testing.M) {
	if dir := os.Getenv("QIAO_TEST_WRITER_DIR"); dir != "" {
		writeForever(dir)
		return
	}
	os.Exit(m.Run())
}

// writeForever commits schools one by one, printing each id after commit.
func writeForever(dir string) {
	s, err := Open(context.Background(), dir)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		id := NewID()
		err := s.Update(context.Background(), func(tx *Tx) error {
			_, err := tx.Put("schools", id, id, Fields{"name": fmt.Sprintf("学校%d", i), "region": string(make([]byte, 2000))})
			return err
		})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Fprintln(out, id)
		out.Flush()
	}
}

func TestKilledWriterLosesNoCommittedRow(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "QIAO_TEST_WRITER_DIR="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var committed []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && len(committed) < 300 {
		line := sc.Text()
		if len(line) != 36 {
			t.Fatalf("writer: %s", line)
		}
		committed = append(committed, line)
	}
	// The writer is in the middle of its next transaction now.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if len(committed) < 300 {
		t.Fatalf("writer stopped after %d rows", len(committed))
	}

	if err := Check(context.Background(), dir+"/"+DBFile); err != nil {
		t.Fatalf("database damaged after kill -9: %v", err)
	}
	s, err := Open(context.Background(), dir) // the lock died with the process
	if err != nil {
		t.Fatalf("reopen after kill -9: %v", err)
	}
	defer s.Close()
	for _, id := range committed {
		if n := count(t, s.DB, `SELECT count(*) FROM schools s JOIN changes c ON c.row_id = s.id WHERE s.id=?`, id); n != 1 {
			t.Fatalf("committed row %s (or its change) lost after kill -9", id)
		}
	}
}
