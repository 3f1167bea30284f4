package district

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// call sends a signed request as d and returns the status and body.
func (f *fixture) call(d device, method, path string, v any) (int, []byte) {
	f.t.Helper()
	var body []byte
	if v != nil {
		body, _ = json.Marshal(v)
	}
	req, err := http.NewRequest(method, f.url+path, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	SignRequest(req, d.id, d.key, body)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, raw
}

// contribution decodes an answer that must be a contribution.
func (f *fixture) contribution(status int, raw []byte) Contribution {
	f.t.Helper()
	var c Contribution
	if status != http.StatusOK || json.Unmarshal(raw, &c) != nil {
		f.t.Fatalf("want a contribution, got %d %s", status, raw)
	}
	return c
}

func (f *fixture) listed(d device, query string) []Contribution {
	f.t.Helper()
	st, raw := f.call(d, "GET", "/v1/library/contributions"+query, nil)
	var cs []Contribution
	if st != http.StatusOK || json.Unmarshal(raw, &cs) != nil {
		f.t.Fatalf("list: %d %s", st, raw)
	}
	return cs
}

// entries returns the library_entries rows dev receives by a full pull.
func (f *fixture) entries(d device) map[string]map[string]any {
	f.t.Helper()
	ctx := context.Background()
	dev, err := f.s.db.Device(ctx, d.id)
	if err != nil {
		f.t.Fatal(err)
	}
	page, err := f.s.db.Pull(ctx, dev, 0, 5000, true, time.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, c := range page.Changes {
		if c.Table == "library_entries" {
			var row map[string]any
			json.Unmarshal(c.Data, &row)
			if c.SchoolID != "" || c.Origin != "district" {
				f.t.Errorf("entry %s is in partition %q by %q, want district-wide by the district", c.ID, c.SchoolID, c.Origin)
			}
			out[c.ID] = row
		}
	}
	return out
}

func upload(f *fixture, d device, data []byte) string {
	f.t.Helper()
	h := sha(data)
	if st, _, raw := f.file(d, "PUT", h+"?offset=0&final=1", data, nil); st != http.StatusCreated {
		f.t.Fatalf("upload: %d %s", st, raw)
	}
	return h
}

func fields(h string, size int) LibraryFields {
	return LibraryFields{Title: "三年级语文 第二单元 《秋天的雨》课件", Stage: "小学", Subject: "语文", Edition: "人教版", Grade: 3,
		Unit: "第二单元", Kind: "courseware", FileName: "秋天的雨.pptx", Size: int64(size), Hash: h, Tags: []string{"阅读"}, UploadedBy: "王老师"}
}

func TestLibraryReviewQueue(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) { testLibraryReviewQueue(t, newFixture(t, cfg)) })
}

func testLibraryReviewQueue(t *testing.T, f *fixture) {
	other, err := f.s.db.AddSchool(context.Background(), "B School", "")
	if err != nil {
		t.Fatal(err)
	}
	teacher := f.enrol(f.code(f.school, RoleTeacher, time.Hour))
	colleague := f.enrol(f.code(f.school, RoleTeacher, time.Hour))
	b := f.enrol(f.code(other, RoleTeacher, time.Hour))
	admin := f.enrol(f.code(other, RoleDistrictAdmin, time.Hour))
	const path = "/v1/library/contributions"

	// Not uploaded yet: refused, nothing queued.
	data := []byte(strings.Repeat("课件内容 ", 1000))
	h := sha(data)
	if st, raw := f.call(teacher, "POST", path, fields(h, len(data))); st != http.StatusConflict || !strings.Contains(string(raw), "file_missing") {
		t.Fatalf("contribution before upload: %d %s", st, raw)
	}
	upload(f, teacher, data)
	bad := fields(h, len(data))
	bad.Kind = "poster"
	if st, raw := f.call(teacher, "POST", path, bad); st != http.StatusBadRequest || !strings.Contains(string(raw), "kind") {
		t.Fatalf("bad kind: %d %s", st, raw)
	}
	bad = fields(h, len(data)+1)
	if st, raw := f.call(teacher, "POST", path, bad); st != http.StatusBadRequest || !strings.Contains(string(raw), "size") {
		t.Fatalf("wrong size: %d %s", st, raw)
	}
	if n := len(f.listed(admin, "")); n != 0 {
		t.Fatalf("refused requests queued %d contributions", n)
	}

	c := f.contribution(f.call(teacher, "POST", path, fields(h, len(data))))
	if c.State != ContributionPending || c.SchoolID != f.school {
		t.Fatalf("queued: %+v", c)
	}
	// Sent again while it waits (a second tap, a retry): the same one.
	if again := f.contribution(f.call(colleague, "POST", path, fields(h, len(data)))); again.ID != c.ID {
		t.Fatalf("sent twice: %s and %s", c.ID, again.ID)
	}
	// The school sees it (any of its devices), another school does not.
	if cs := f.listed(colleague, ""); len(cs) != 1 || cs[0].ID != c.ID {
		t.Fatalf("the school's list: %+v", cs)
	}
	if cs := f.listed(b, ""); len(cs) != 0 {
		t.Fatalf("school B sees school A's contributions: %+v", cs)
	}
	// Only a district administrator decides.
	if st, _ := f.call(teacher, "POST", path+"/"+c.ID+"/accept", nil); st != http.StatusForbidden {
		t.Fatalf("a teacher accepted: %d", st)
	}
	if cs := f.listed(admin, "?state=pending"); len(cs) != 1 {
		t.Fatalf("review queue: %+v", cs)
	}
	if st := statusJSON(t, f.s); st.LibraryPending != 1 {
		t.Fatalf("status page: %d contributions to review, want 1", st.LibraryPending)
	}
	if st, _, _ := f.file(b, "GET", h, nil, nil); st != http.StatusNotFound {
		t.Fatalf("school B read a pending contribution's file: %d", st)
	}

	acc := f.contribution(f.call(admin, "POST", path+"/"+c.ID+"/accept", nil))
	if acc.State != ContributionAccepted || acc.EntryID == "" {
		t.Fatalf("accepted: %+v", acc)
	}
	if st := statusJSON(t, f.s); st.LibraryPending != 0 {
		t.Fatalf("status page after accepting: %d to review", st.LibraryPending)
	}
	if st, _ := f.call(admin, "POST", path+"/"+c.ID+"/return", ReturnRequest{Reason: "late"}); st != http.StatusConflict {
		t.Fatalf("deciding twice: %d", st)
	}
	// Every school receives the entry by sync, and may read its file.
	for _, d := range []device{b, colleague} {
		es := f.entries(d)
		row, ok := es[acc.EntryID]
		if len(es) != 1 || !ok || row["hash"] != h || row["title"] != c.Fields.Title || row["source"] != "district" || row["tags"] != `["阅读"]` {
			t.Fatalf("entries received: %+v", es)
		}
	}
	if st, _, raw := f.file(b, "GET", h, nil, nil); st != http.StatusOK || !bytes.Equal(raw, data) {
		t.Fatalf("school B reading the accepted file: %d", st)
	}

	// Returned: nobody gets it, the school sees why.
	data2 := []byte("一份没有版权说明的试卷")
	h2 := upload(f, teacher, data2)
	f2 := fields(h2, len(data2))
	f2.Kind, f2.Title = "paper", "期中试卷"
	c2 := f.contribution(f.call(teacher, "POST", path, f2))
	if st, raw := f.call(admin, "POST", path+"/"+c2.ID+"/return", ReturnRequest{Reason: "  "}); st != http.StatusBadRequest {
		t.Fatalf("return without a reason: %d %s", st, raw)
	}
	ret := f.contribution(f.call(admin, "POST", path+"/"+c2.ID+"/return", ReturnRequest{Reason: "请补充版权说明"}))
	if ret.State != ContributionReturned {
		t.Fatalf("returned: %+v", ret)
	}
	cs := f.listed(colleague, "?state=returned")
	if len(cs) != 1 || cs[0].Reason != "请补充版权说明" || cs[0].EntryID != "" {
		t.Fatalf("the school's returned contributions: %+v", cs)
	}
	if es := f.entries(b); len(es) != 1 {
		t.Fatalf("a returned contribution reached the catalogue: %+v", es)
	}
	if st, _, _ := f.file(b, "GET", h2, nil, nil); st != http.StatusNotFound {
		t.Fatalf("school B read a returned contribution's file: %d", st)
	}
	if st, _ := f.call(admin, "POST", path+"/nope/accept", nil); st != http.StatusNotFound {
		t.Fatalf("accepting a missing contribution: %d", st)
	}
}

// FuzzParseContribution: the parser never panics, and what it accepts is
// within every limit and parses again to the same fields.
func FuzzParseContribution(f *testing.F) {
	good, _ := json.Marshal(fields(sha([]byte("x")), 1))
	f.Add(good)
	f.Add([]byte(`{"title":"课件","kind":"video","hash":"` + strings.Repeat("a", 64) + `","size":0}`))
	f.Add([]byte(`{"title":"\u0000","kind":"plan"}`))
	f.Add([]byte(`{"title":"x","kind":"plan","grade":13}{}`))
	f.Add([]byte(`{"title":"x","kind":"plan","tags":["a",""],"file_name":"../etc/passwd"}`))
	f.Add([]byte(`{"extra":1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := ParseContribution(body)
		if err != nil {
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status < 400 || ae.Status >= 500 || ae.Message == "" {
				t.Fatalf("refusal without a clear error: %v", err)
			}
			return
		}
		if got.Title == "" || got.Grade < 0 || got.Grade > 12 || !validKind(got.Kind) || len(got.Tags) > maxTags ||
			strings.ContainsAny(got.FileName, "/\\") || got.Size < 0 {
			t.Fatalf("accepted out of limits: %+v", got)
		}
		again, _ := json.Marshal(got)
		back, err := ParseContribution(again)
		if err != nil {
			t.Fatalf("accepted fields do not parse again: %v (%s)", err, again)
		}
		b1, _ := json.Marshal(back)
		if !bytes.Equal(b1, again) {
			t.Fatalf("not stable: %s != %s", b1, again)
		}
	})
}

// FuzzContributeHandler: the handler never fails inside (5xx) on any body.
func FuzzContributeHandler(f *testing.F) {
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
	good, _ := json.Marshal(fields(sha([]byte("x")), 1))
	f.Add(good)
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/v1/library/contributions", bytes.NewReader(body))
		req = req.WithContext(context.WithValue(req.Context(), deviceKey{}, dev))
		w := httptest.NewRecorder()
		s.contribute(w, req)
		if w.Code >= 500 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
}
