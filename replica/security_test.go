package replica

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"qiao/district"
	"qiao/store"
	"qiao/syncproto"
)

// raw sends a signed request as device r to the test server and returns
// the status and error code of the answer.
func raw(t *testing.T, r *Replica, method, path string, body []byte, sign func(*http.Request, []byte)) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, r.id.Server+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if sign == nil {
		district.SignRequest(req, r.id.DeviceID, r.id.Key, body)
	} else {
		sign(req, body)
	}
	res, err := r.c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var e district.APIError
	json.NewDecoder(res.Body).Decode(&e)
	return res.StatusCode, e.Code
}

func encodePush(t *testing.T, cs ...syncproto.Change) []byte {
	t.Helper()
	b, err := syncproto.Encode(syncproto.Push{Changes: cs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSecurityPartitionsOnEveryEndpoint(t *testing.T) {
	d := startDistrict(t)
	a, b := d.school(t, "A校"), d.school(t, "B校")
	stA, rA := d.device(t, a, "A")
	stB, rB := d.device(t, b, "B")
	secret := put(t, stB, "research_teachers", "", store.Fields{"name": "B校的老师"})
	syncOK(t, rB)
	syncOK(t, rA)

	// Pull: nothing of school B ever reaches A, whatever the cursor.
	for _, after := range []string{"0", "1"} {
		req, _ := http.NewRequest(http.MethodGet, rA.id.Server+"/v1/pull?after="+after+"&limit=5000", nil)
		body, err := rA.c.signed(req, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		page, err := syncproto.DecodePage(body)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Changes {
			// The list of schools is district-wide; everything else of B is not.
			if (c.SchoolID == b && c.Table != "schools") || c.ID == secret {
				t.Fatalf("school A pulled %s %s of school B", c.Table, c.ID)
			}
		}
	}

	// Push: A cannot write into B, nor take over B's row by its id, nor
	// write district-wide rows, nor forge another device's changes; each
	// batch is refused whole.
	good := syncproto.Change{Seq: 1, Table: "research_teachers", ID: store.NewID(), SchoolID: a, HLC: uint64(stA.Clock.Now()), Origin: stA.Device, Data: json.RawMessage(`{"name":"ok"}`)}
	bad := map[string]syncproto.Change{}
	c := good
	c.ID, c.SchoolID = store.NewID(), b
	bad["other school"] = c
	c = good
	c.ID = secret
	bad["take over a row of B"] = c
	c = good
	c.ID, c.SchoolID = store.NewID(), ""
	bad["district-wide row"] = c
	c = good
	c.ID, c.Origin = store.NewID(), stB.Device
	bad["forged origin"] = c
	c = good
	c.Table, c.ID, c.SchoolID = "schools", b, b
	bad["other school's profile"] = c
	for name, c := range bad {
		status, code := raw(t, rA, http.MethodPost, "/v1/push", encodePush(t, good, c), nil)
		if status != http.StatusForbidden || code != "partition" {
			t.Errorf("%s: %d %s, want 403 partition", name, status, code)
		}
	}
	var n int
	stB.DB.QueryRow(`SELECT count(*) FROM research_teachers`).Scan(&n)
	syncOK(t, rB)
	if name, _ := teacherName(t, stB, secret); name != "B校的老师" {
		t.Fatalf("school B's row became %q", name)
	}
	// The good change in the refused batches was not applied either.
	syncOK(t, rA)
	if err := stA.DB.QueryRow(`SELECT count(*) FROM research_teachers WHERE id=?`, good.ID).Scan(&n); err != nil || n != 0 {
		t.Fatalf("a refused batch was partly applied (%d, %v)", n, err)
	}
}

func TestSecurityBadBatchesRefused(t *testing.T) {
	d := startDistrict(t)
	a := d.school(t, "A校")
	_, r := d.device(t, a, "A")
	zip := func(plain []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(plain)
		zw.Close()
		return buf.Bytes()
	}
	bomb := func() []byte { // 100 MiB of zeros, compressed to ~100 KiB
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zero := make([]byte, 1<<20)
		for i := 0; i < 100; i++ {
			zw.Write(zero)
		}
		zw.Close()
		return buf.Bytes()
	}
	many := make([]syncproto.Change, syncproto.MaxChanges+1)
	for i := range many {
		many[i] = syncproto.Change{Seq: int64(i + 1), Table: "research_teachers", ID: store.NewID(), SchoolID: a, HLC: 1 << 20, Origin: r.id.DeviceID, Data: json.RawMessage(`{}`)}
	}
	manyBody, _ := json.Marshal(syncproto.Push{Changes: many})
	for name, tc := range map[string]struct {
		body   []byte
		status int
		code   string
	}{
		"not gzip":         {[]byte(`{"changes":[]}`), 400, "bad_batch"},
		"not json":         {zip([]byte(`{"changes":[`)), 400, "bad_batch"},
		"unknown field":    {zip([]byte(`{"changes":[],"evil":1}`)), 400, "bad_batch"},
		"bad table name":   {zip([]byte(`{"changes":[{"seq":1,"tbl":"x; DROP TABLE sync_rows","id":"` + store.NewID() + `","school":"` + a + `","hlc":5,"origin":"` + r.id.DeviceID + `","data":{}}]}`)), 400, "bad_batch"},
		"data not object":  {zip([]byte(`{"changes":[{"seq":1,"tbl":"t","id":"` + store.NewID() + `","school":"` + a + `","hlc":5,"origin":"` + r.id.DeviceID + `","data":[1]}]}`)), 400, "bad_batch"},
		"zip bomb":         {bomb(), 413, "batch_too_large"},
		"too many changes": {zip(manyBody), 413, "batch_too_large"},
		"future clock":     {encodePush(t, syncproto.Change{Seq: 1, Table: "research_teachers", ID: store.NewID(), SchoolID: a, HLC: uint64(store.HLC(1) << 62), Origin: r.id.DeviceID, Data: json.RawMessage(`{}`)}), 403, "partition"},
	} {
		status, code := raw(t, r, http.MethodPost, "/v1/push", tc.body, nil)
		if status != tc.status || code != tc.code {
			t.Errorf("%s: %d %s, want %d %s", name, status, code, tc.status, tc.code)
		}
	}
	st, _ := d.srv.DB().SyncState(context.Background(), district.Device{ID: r.id.DeviceID})
	if st.PushedThrough != 0 {
		t.Fatalf("refused batches moved the push checkpoint to %d", st.PushedThrough)
	}
}

func TestSecurityRevokedAndReplayedRequests(t *testing.T) {
	d := startDistrict(t)
	a := d.school(t, "A校")
	st, r := d.device(t, a, "A")
	put(t, st, "research_teachers", "", store.Fields{"name": "张老师"})
	cs, _ := st.ChangesAfter(context.Background(), 0, 100)
	body := encodePush(t, cs...)

	// A captured request replayed byte for byte is refused.
	var captured http.Header
	status, _ := raw(t, r, http.MethodPost, "/v1/push", body, func(req *http.Request, b []byte) {
		district.SignRequest(req, r.id.DeviceID, r.id.Key, b)
		captured = req.Header.Clone()
	})
	if status != 200 {
		t.Fatalf("first push: %d", status)
	}
	status, code := raw(t, r, http.MethodPost, "/v1/push", body, func(req *http.Request, _ []byte) { req.Header = captured })
	if status != 401 || code != "replay" {
		t.Fatalf("replayed push: %d %s, want 401 replay", status, code)
	}
	// A request signed by another key is refused.
	_, other := d.device(t, a, "")
	status, code = raw(t, r, http.MethodGet, "/v1/pull?after=0", nil, func(req *http.Request, b []byte) {
		district.SignRequest(req, r.id.DeviceID, other.id.Key, b)
	})
	if status != 401 || code != "bad_signature" {
		t.Fatalf("pull signed with another device's key: %d %s", status, code)
	}
	// A revoked device is refused at once, on every endpoint.
	if err := d.srv.DB().RevokeDevice(context.Background(), r.id.DeviceID); err != nil {
		t.Fatal(err)
	}
	_, err := r.Sync(context.Background())
	var se *ServerError
	if !errors.As(err, &se) || se.Code != "device_revoked" {
		t.Fatalf("sync of a revoked device: %v", err)
	}
	for _, ep := range []struct{ method, path string }{{"GET", "/v1/pull?after=0"}, {"POST", "/v1/push"}, {"GET", "/v1/sync/state"}, {"GET", "/v1/whoami"}} {
		if status, code := raw(t, r, ep.method, ep.path, nil, nil); status != 401 || code != "device_revoked" {
			t.Errorf("%s %s by a revoked device: %d %s", ep.method, ep.path, status, code)
		}
	}
}

func TestSecurityEnrolmentCodes(t *testing.T) {
	d := startDistrict(t)
	a := d.school(t, "A校")
	code := d.code(t, a, district.RoleTeacher)
	open := func() *store.Store {
		st, err := store.Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	if _, err := Enrol(context.Background(), open(), EnrolOptions{Server: d.url, Code: code, DeviceName: "x", Fingerprint: d.pin}); err != nil {
		t.Fatal(err)
	}
	_, err := Enrol(context.Background(), open(), EnrolOptions{Server: d.url, Code: code, DeviceName: "y", Fingerprint: d.pin})
	var se *ServerError
	if !errors.As(err, &se) || se.Code != "code_used" {
		t.Fatalf("reused code: %v", err)
	}
	_, err = Enrol(context.Background(), open(), EnrolOptions{Server: d.url, Code: "AAAA-BBBB-CCCC", DeviceName: "z", Fingerprint: d.pin})
	if !errors.As(err, &se) || se.Code != "code_unknown" {
		t.Fatalf("unknown code: %v", err)
	}
	// A wrong pin is refused before the code is sent.
	fresh := d.code(t, a, district.RoleTeacher)
	_, err = Enrol(context.Background(), open(), EnrolOptions{Server: d.url, Code: fresh, DeviceName: "w", Fingerprint: strings.Repeat("AB:", 31) + "AB"})
	var mm *district.FingerprintMismatchError
	if !errors.As(err, &mm) {
		t.Fatalf("enrolment with a wrong pin: %v", err)
	}
	if _, err := Enrol(context.Background(), open(), EnrolOptions{Server: d.url, Code: fresh, DeviceName: "w", Fingerprint: d.pin}); err != nil {
		t.Fatalf("the code was spent by the refused attempt: %v", err)
	}
}
