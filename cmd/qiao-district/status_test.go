package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"qiao/district"
)

// runWithStdin runs the command line with in as standard input.
func runWithStdin(t *testing.T, in string, args ...string) (int, string, string) {
	t.Helper()
	old := stdin
	stdin = strings.NewReader(in)
	defer func() { stdin = old }()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func statusAccess(t *testing.T, data string) district.StatusAccess {
	t.Helper()
	db, err := district.Open(context.Background(), data, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	acc, err := db.StatusAccess(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

func TestStatusPasswordCommand(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if code, _, stderr := runWithStdin(t, "a long password\n", "status", "password", "--data", data); code != exitError || !strings.Contains(stderr, "no district database") {
		t.Fatalf("without a database: exit %d, %q", code, stderr)
	}
	if code, _, stderr := runWithStdin(t, "", "school", "add", "--data", data, "--name", "第一中学"); code != exitOK {
		t.Fatalf("school add: %d %s", code, stderr)
	}
	for _, tc := range []struct{ in, want string }{
		{"", "no password on standard input"},
		{"\n", "no password on standard input"},
		{"short\n", "10 to 1024 bytes"},
		{strings.Repeat("x", 2000), "longer than 1024 bytes"},
	} {
		code, _, stderr := runWithStdin(t, tc.in, "status", "password", "--data", data)
		if code != exitError || !strings.Contains(stderr, tc.want) {
			t.Errorf("stdin %.20q: exit %d, stderr %q, want %q", tc.in, code, stderr, tc.want)
		}
	}
	if acc := statusAccess(t, data); acc.PasswordHash != "" {
		t.Fatalf("a refused password was stored: %+v", acc)
	}
	if code, _, _ := runWithStdin(t, "x\n", "status", "password", "--data", data, "--remove", "--loopback"); code != exitUsage {
		t.Errorf("--remove --loopback: exit %d, want %d", code, exitUsage)
	}

	code, stdout, stderr := runWithStdin(t, "correct horse 电池\r\nnext line\n", "status", "password", "--data", data)
	if code != exitOK || !strings.Contains(stdout, "password set") {
		t.Fatalf("status password: %d %q %q", code, stdout, stderr)
	}
	acc := statusAccess(t, data)
	if acc.PasswordHash == "" || acc.PasswordLoopback || strings.Contains(acc.PasswordHash, "horse") {
		t.Errorf("stored %+v", acc)
	}
	if code, _, _ := runWithStdin(t, "correct horse 电池\n", "status", "password", "--data", data, "--loopback"); code != exitOK || !statusAccess(t, data).PasswordLoopback {
		t.Errorf("--loopback: exit %d, stored %+v", code, statusAccess(t, data))
	}
	if code, _, _ := runWithStdin(t, "", "status", "password", "--data", data, "--remove"); code != exitOK || statusAccess(t, data) != (district.StatusAccess{}) {
		t.Errorf("--remove: exit %d, stored %+v", code, statusAccess(t, data))
	}
}

// TestBinaryStatusPage: the real server shows its status page, with its
// version and a Chinese school name, to a loopback client.
func TestBinaryStatusPage(t *testing.T) {
	bin := buildBinary(t, "-X main.Version=9.8.7-status")
	data := filepath.Join(t.TempDir(), "data")
	if code, _, stderr := runWithStdin(t, "", "school", "add", "--data", data, "--name", "北京市第一中学", "--code", "BJ-1"); code != exitOK {
		t.Fatalf("school add: %d %s", code, stderr)
	}
	srv := startServe(t, bin, data)
	resp, err := srv.client.Get(srv.base + "/status")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("status: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{"北京市第一中学", "BJ-1", "9.8.7-status"} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("page lacks %q", want)
		}
	}
	if err := srv.stop(t); err != nil {
		t.Errorf("stop: %v", err)
	}
}
