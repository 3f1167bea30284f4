package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"qiao/district"
)

func TestAdminUsageErrors(t *testing.T) {
	data := t.TempDir()
	for _, args := range [][]string{
		{"school"},
		{"school", "drop"},
		{"school", "add", "--data", data},
		{"school", "add", "--data", "", "--name", "X"},
		{"school", "add", "--data", data, "--name", "X", "extra"},
		{"code"},
		{"code", "issue", "--data", data, "--role", "teacher"},
		{"code", "issue", "--data", data, "--school", "S", "--role", "janitor"},
		{"code", "issue", "--data", data, "--school", "S", "--role", "teacher", "--valid", "-1h"},
		{"device", "frob"},
		{"device", "revoke", "--data", data},
		{"school", "list", "--data", data, "--db", "mysql://x/y"},
		{"serve", "--data", data, "--db", "district.db"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
		if !strings.HasPrefix(stderr.String(), "qiao-district: ") || !strings.Contains(stderr.String(), "Usage:") {
			t.Errorf("%q: stderr %q lacks a message and usage", args, stderr.String())
		}
		if stdout.Len() != 0 {
			t.Errorf("%q: wrote to stdout: %q", args, stdout.String())
		}
	}
}

func TestAdminErrors(t *testing.T) {
	empty := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"code", "issue", "--data", empty, "--school", "S", "--role", "teacher"}, "no district database"},
		{[]string{"device", "list", "--data", empty}, "no district database"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), tc.args, &stdout, &stderr); code != exitError || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%q: exit %d, stderr %q", tc.args, code, stderr.String())
		}
	}
	data := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"school", "add", "--data", data, "--name", "A"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("school add: %d %s", code, stderr.String())
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"code", "issue", "--data", data, "--school", "nope", "--role", "teacher"}, `no school with id "nope"`},
		{[]string{"device", "revoke", "--data", data, "--id", "nope"}, `no device with id "nope"`},
	} {
		stdout.Reset()
		stderr.Reset()
		if code := run(context.Background(), tc.args, &stdout, &stderr); code != exitError || !strings.Contains(stderr.String(), tc.want) || stdout.Len() != 0 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", tc.args, code, stdout.String(), stderr.String())
		}
	}
}

// TestBinaryEnrolment drives the real binary: the admin adds a school and
// issues a code, a device enrols against the running server and proves
// itself with a signed request, then the admin revokes it while the
// server runs and its next request is refused.
func TestBinaryEnrolment(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM on Windows")
	}
	bin := buildBinary(t, "")
	data := filepath.Join(t.TempDir(), "data")
	admin := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%q: %v\n%s", args, err, stderr.String())
		}
		return stdout.String()
	}
	school := strings.TrimSpace(admin("school", "add", "--data", data, "--name", "Tsogt School", "--code", "T-01"))
	if len(school) != 36 {
		t.Fatalf("school add printed %q, want an id", school)
	}
	if list := admin("school", "list", "--data", data); !strings.Contains(list, school) || !strings.Contains(list, "Tsogt School") {
		t.Errorf("school list = %q", list)
	}
	code := strings.TrimSpace(admin("code", "issue", "--data", data, "--school", school, "--role", "principal", "--valid", "1h"))
	if len(code) != district.CodeLen || strings.ContainsAny(code, "01IO") {
		t.Fatalf("code issue printed %q", code)
	}

	srv := startServe(t, bin, data)
	base := "http://" + strings.TrimPrefix(srv.line, "listening on ")
	client := &http.Client{Timeout: 5 * time.Second}

	pub, key, _ := ed25519.GenerateKey(nil)
	body, _ := json.Marshal(district.EnrolRequest{Code: code, PublicKey: base64.StdEncoding.EncodeToString(pub), DeviceName: "office PC"})
	resp, err := client.Post(base+"/v1/enrol", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var enrolled district.EnrolResponse
	json.NewDecoder(resp.Body).Decode(&enrolled)
	resp.Body.Close()
	if resp.StatusCode != 200 || enrolled.SchoolID != school || enrolled.Role != "principal" {
		t.Fatalf("enrol: %d %+v", resp.StatusCode, enrolled)
	}

	whoami := func() (int, map[string]string) {
		req, _ := http.NewRequest("GET", base+"/v1/whoami", nil)
		district.SignRequest(req, enrolled.DeviceID, key, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out := map[string]string{}
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if st, got := whoami(); st != 200 || got["device_id"] != enrolled.DeviceID || got["school_id"] != school {
		t.Fatalf("whoami: %d %v", st, got)
	}
	if list := admin("device", "list", "--data", data); !strings.Contains(list, enrolled.DeviceID) || !strings.Contains(list, "office PC") {
		t.Errorf("device list = %q", list)
	}
	admin("device", "revoke", "--data", data, "--id", enrolled.DeviceID)
	if st, got := whoami(); st != 401 || got["error"] != "device_revoked" {
		t.Errorf("whoami after revoke: %d %v", st, got)
	}

	client.CloseIdleConnections()
	if err := srv.stop(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v; stderr:\n%s", err, srv.stderr)
	}
}
