package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"qiao/district"
)

// TestLibraryReviewCommands queues two contributions through the HTTP
// API, then reviews, accepts and returns them with the commands.
func TestLibraryReviewCommands(t *testing.T) {
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	srv, err := district.New(district.Config{DataDir: data, Insecure: true, RTCTCPPort: -1})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	school, err := srv.DB().AddSchool(ctx, "城关小学", "")
	if err != nil {
		t.Fatal(err)
	}
	code, err := srv.DB().IssueCode(ctx, school, district.RoleTeacher, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	pub, key, _ := ed25519.GenerateKey(nil)
	body, _ := json.Marshal(district.EnrolRequest{Code: code, PublicKey: base64.StdEncoding.EncodeToString(pub), DeviceName: "pc"})
	res, err := http.Post(hs.URL+"/v1/enrol", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var enrolled district.EnrolResponse
	json.NewDecoder(res.Body).Decode(&enrolled)
	res.Body.Close()
	send := func(method, path string, b []byte) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, hs.URL+path, bytes.NewReader(b))
		district.SignRequest(req, enrolled.DeviceID, key, b)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	var ids []string
	for i, title := range []string{"分数的初步认识 课件", "期中试卷"} {
		file := []byte(strings.Repeat(title, 100+i))
		sum := sha256.Sum256(file)
		h := hex.EncodeToString(sum[:])
		send("PUT", "/v1/files/"+h+"?offset=0&final=1", file).Body.Close()
		b, _ := json.Marshal(district.LibraryFields{Title: title, Kind: "courseware", Grade: 3, Subject: "数学", Hash: h, Size: int64(len(file))})
		res := send("POST", "/v1/library/contributions", b)
		var c district.Contribution
		json.NewDecoder(res.Body).Decode(&c)
		res.Body.Close()
		if c.ID == "" {
			t.Fatalf("contribution %d not queued: %d", i, res.StatusCode)
		}
		ids = append(ids, c.ID)
	}
	hs.Close()
	srv.Close()

	cmd := func(want int, args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := run(ctx, append(args, "--data", data), &stdout, &stderr); code != want {
			t.Fatalf("%q: exit %d, want %d; %s", args, code, want, stderr.String())
		}
		return stdout.String() + stderr.String()
	}
	if out := cmd(exitOK, "library", "review"); !strings.Contains(out, "分数的初步认识 课件") || !strings.Contains(out, "城关小学") || strings.Count(out, "pending") != 2 {
		t.Fatalf("review:\n%s", out)
	}
	if out := cmd(exitOK, "library", "accept", "--id", ids[0]); !strings.Contains(out, "accepted") {
		t.Fatalf("accept: %s", out)
	}
	cmd(exitUsage, "library", "return", "--id", ids[1])
	cmd(exitError, "library", "accept", "--id", ids[0]) // decided already
	cmd(exitOK, "library", "return", "--id", ids[1], "--reason", "请注明来源")
	if out := cmd(exitOK, "library", "review"); strings.Contains(out, "pending") && strings.Contains(out, ids[0]) {
		t.Fatalf("decided contributions still pending:\n%s", out)
	}
	if out := cmd(exitOK, "library", "review", "--state", "all"); !strings.Contains(out, "accepted") || !strings.Contains(out, "请注明来源") {
		t.Fatalf("review all:\n%s", out)
	}
}
