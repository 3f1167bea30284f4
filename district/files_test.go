package district

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// file sends a signed request for /v1/files/… as d and returns the status,
// the upload offset header and the body.
func (f *fixture) file(d device, method, path string, body []byte, hdr http.Header) (int, string, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.url+"/v1/files/"+path, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	SignRequest(req, d.id, d.key, body)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get(HeaderUploadOffset), raw
}

// stored reports whether the server's file store holds hash, and how
// many partial uploads it keeps.
func (f *fixture) stored(hash string) (bool, int) {
	dir := filepath.Join(f.s.cfg.DataDir, FilesDir)
	_, err := os.Stat(filepath.Join(dir, hash[:2], hash[2:]))
	parts, _ := os.ReadDir(filepath.Join(dir, "partial"))
	return err == nil, len(parts)
}

func TestFileUploadResumeAndPartitions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) { testFileUploadResumeAndPartitions(t, newFixture(t, cfg)) })
}

func testFileUploadResumeAndPartitions(t *testing.T, f *fixture) {
	other, err := f.s.db.AddSchool(context.Background(), "B School", "")
	if err != nil {
		t.Fatal(err)
	}
	a1 := f.enrol(f.code(f.school, RoleTeacher, time.Hour))
	a2 := f.enrol(f.code(f.school, RoleTeacher, time.Hour))
	b := f.enrol(f.code(other, RoleTeacher, time.Hour))
	data := bytes.Repeat([]byte("教研活动记录 0123456789\n"), 20000)
	h := sha(data)

	if st, off, _ := f.file(a1, "HEAD", h, nil, nil); st != 404 || off != "0" {
		t.Fatalf("HEAD before upload: %d offset %q", st, off)
	}
	half := int64(len(data) / 2)
	if st, off, body := f.file(a1, "PUT", h+"?offset=0", data[:half], nil); st != 200 || off != strconv.FormatInt(half, 10) {
		t.Fatalf("first chunk: %d %q %s", st, off, body)
	}
	// The server tells where a cut upload resumes, and refuses a gap or overlap.
	if st, off, _ := f.file(a1, "HEAD", h, nil, nil); st != 404 || off != strconv.FormatInt(half, 10) {
		t.Fatalf("HEAD mid-upload: %d offset %q", st, off)
	}
	if st, off, _ := f.file(a1, "PUT", h+"?offset=0&final=1", data, nil); st != 409 || off != strconv.FormatInt(half, 10) {
		t.Fatalf("overlapping chunk: %d offset %q", st, off)
	}
	// Another device's upload of the same hash is its own: a2 sees none of a1's partial.
	if st, off, _ := f.file(a2, "HEAD", h, nil, nil); st != 404 || off != "0" {
		t.Fatalf("HEAD by another device: %d offset %q", st, off)
	}
	if st, _, body := f.file(a1, "PUT", h+"?offset="+strconv.FormatInt(half, 10)+"&final=1", data[half:], nil); st != 201 {
		t.Fatalf("final chunk: %d %s", st, body)
	}
	if ok, parts := f.stored(h); !ok || parts != 0 {
		t.Fatalf("after upload: stored %v, %d partial files", ok, parts)
	}
	// A retried final chunk (answer lost) is fine and changes nothing.
	if st, _, body := f.file(a1, "PUT", h+"?offset=0&final=1", data[:10], nil); st != 200 {
		t.Fatalf("repeat after completion: %d %s", st, body)
	}

	// Same school: readable, with Range.
	if st, _, body := f.file(a2, "GET", h, nil, nil); st != 200 || !bytes.Equal(body, data) {
		t.Fatalf("GET by same school: %d, %d bytes", st, len(body))
	}
	if st, _, body := f.file(a2, "GET", h, nil, http.Header{"Range": {"bytes=1000-"}}); st != 206 || !bytes.Equal(body, data[1000:]) {
		t.Fatalf("GET with Range: %d, %d bytes", st, len(body))
	}

	// Another school: exactly like a missing file, for HEAD and GET.
	missing := sha([]byte("no such file"))
	for _, m := range []string{"HEAD", "GET"} {
		st1, off1, body1 := f.file(b, m, h, nil, nil)
		st2, off2, body2 := f.file(b, m, missing, nil, nil)
		if st1 != 404 || st1 != st2 || off1 != off2 || !bytes.Equal(body1, body2) {
			t.Fatalf("%s of school A's file by school B: %d %q %s; of a missing file: %d %q %s", m, st1, off1, body1, st2, off2, body2)
		}
	}
	// School B cannot replace or extend it: forged bytes are refused and leave nothing.
	forged := bytes.Repeat([]byte("x"), len(data))
	if st, _, body := f.file(b, "PUT", h+"?offset=0&final=1", forged, nil); st != 422 || !bytes.Contains(body, []byte("hash_mismatch")) {
		t.Fatalf("forged upload: %d %s", st, body)
	}
	if st, _, body := f.file(a2, "GET", h, nil, nil); st != 200 || !bytes.Equal(body, data) {
		t.Fatalf("school A's file after the forged upload: %d", st)
	}
	if st, _, _ := f.file(b, "GET", h, nil, nil); st != 404 {
		t.Fatalf("school B reads the file after a forged upload: %d", st)
	}
	if _, parts := f.stored(h); parts != 0 {
		t.Fatalf("%d partial files left after a refused upload", parts)
	}
	// Proof of possession: school B uploading the real bytes may then read them.
	if st, _, body := f.file(b, "PUT", h+"?offset=0&final=1", data, nil); st != 201 {
		t.Fatalf("school B's own upload of the same bytes: %d %s", st, body)
	}
	if st, _, _ := f.file(b, "HEAD", h, nil, nil); st != 200 {
		t.Fatalf("school B after uploading the bytes itself: %d", st)
	}
}

func TestFileUploadRefusals(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) { testFileUploadRefusals(t, newFixture(t, cfg)) })
}

func testFileUploadRefusals(t *testing.T, f *fixture) {
	other, _ := f.s.db.AddSchool(context.Background(), "B School", "")
	teacher := f.enrol(f.code(f.school, RoleTeacher, time.Hour))
	admin := f.enrol(f.code(f.school, RoleDistrictAdmin, time.Hour))
	b := f.enrol(f.code(other, RoleTeacher, time.Hour))
	data := []byte("区级课题指南")
	h := sha(data)

	cases := []struct {
		name, path string
		body       []byte
		status     int
		code       string
	}{
		{"bad hash", "../../etc/passwd", nil, 404, ""}, // never reaches the handler
		{"upper-case hash", "A" + h[1:], nil, 400, "bad_hash"},
		{"no offset", h, data, 400, "bad_offset"},
		{"negative offset", h + "?offset=-1", data, 400, "bad_offset"},
		{"chunk too large", h + "?offset=0", make([]byte, MaxChunkBytes+1), 413, "chunk_too_large"},
		{"district-wide by a teacher", h + "?offset=0&final=1&district=1", data, 403, "partition"},
		{"wrong hash", sha([]byte("other")) + "?offset=0&final=1", data, 422, "hash_mismatch"},
	}
	for _, c := range cases {
		st, _, body := f.file(teacher, "PUT", c.path, c.body, nil)
		if st != c.status || !bytes.Contains(body, []byte(c.code)) {
			t.Errorf("%s: %d %s, want %d %s", c.name, st, body, c.status, c.code)
		}
	}
	if ok, parts := f.stored(h); ok || parts != 0 {
		t.Fatalf("refused uploads left a file (%v) or %d partial files", ok, parts)
	}
	var n int
	f.s.db.queryRow(context.Background(), `SELECT count(*) FROM file_scopes`).Scan(&n)
	if n != 0 {
		t.Fatalf("refused uploads recorded %d files", n)
	}
	// A district administrator's district-wide file reaches every school;
	// the same bytes uploaded for its own school first do not count as
	// district-wide.
	if st, _, body := f.file(admin, "PUT", h+"?offset=0&final=1", data, nil); st != 201 {
		t.Fatalf("upload for the admin's school: %d %s", st, body)
	}
	if st, _, _ := f.file(b, "GET", h, nil, nil); st != 404 {
		t.Fatalf("other school reading a file of the admin's school: %d", st)
	}
	if st, _, _ := f.file(admin, "HEAD", h+"?district=1", nil, nil); st != 404 {
		t.Fatalf("HEAD ?district=1 of a school file: %d", st)
	}
	if st, _, body := f.file(admin, "PUT", h+"?offset=0&final=1&district=1", data, nil); st != 201 {
		t.Fatalf("district-wide upload: %d %s", st, body)
	}
	if st, _, body := f.file(b, "GET", h, nil, nil); st != 200 || !bytes.Equal(body, data) {
		t.Fatalf("other school reading a district-wide file: %d", st)
	}
}

// FuzzFileUpload feeds the upload handler arbitrary hashes, offsets and
// chunks: it must never fail inside (5xx) and never store bytes under a
// hash they do not have.
func FuzzFileUpload(f *testing.F) {
	s, err := New(Config{DataDir: filepath.Join(f.TempDir(), "data"), Insecure: true})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	school, err := s.db.AddSchool(context.Background(), "Fuzz School", "")
	if err != nil {
		f.Fatal(err)
	}
	dev := Device{ID: "01a21cd0-b37e-7a93-a7f2-18ebc074156d", SchoolID: school, Role: RoleTeacher}
	files := s.newFileServer()
	f.Add("", "0", true, false, []byte("教研"))
	f.Add("", "5", false, false, []byte("abc"))
	f.Add(sha([]byte("x")), "0", true, true, []byte("y"))
	f.Add("../../x", "+1", true, false, []byte{})
	f.Fuzz(func(t *testing.T, hash, offset string, final, district bool, body []byte) {
		if hash == "" {
			hash = sha(body)
		}
		q := "offset=" + url.QueryEscape(offset)
		if final {
			q += "&final=1"
		}
		if district {
			q += "&district=1"
		}
		req := httptest.NewRequest("PUT", "/v1/files/x?"+q, bytes.NewReader(body))
		req.SetPathValue("hash", hash)
		req = req.WithContext(context.WithValue(req.Context(), deviceKey{}, dev))
		w := httptest.NewRecorder()
		files.put(w, req)
		if w.Code >= 500 {
			t.Fatalf("PUT %q %s: %d %s", hash, q, w.Code, w.Body)
		}
		if w.Code == 201 {
			st, _ := files.store()
			if err := st.Verify(hash); err != nil {
				t.Fatalf("stored %q does not verify: %v", hash, err)
			}
		}
	})
}
