package district

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"qiao/syncproto"
)

// enrolNamed enrols a device of school with the given name.
func (f *fixture) enrolNamed(school, name string) device {
	f.t.Helper()
	pub, key, _ := ed25519.GenerateKey(nil)
	var res EnrolResponse
	st := f.post("/v1/enrol", EnrolRequest{Code: f.code(school, RoleTeacher, time.Hour),
		PublicKey: base64.StdEncoding.EncodeToString(pub), DeviceName: name}, &res)
	if st != http.StatusOK {
		f.t.Fatalf("enrol %q: status %d", name, st)
	}
	return device{res.DeviceID, key, res}
}

// signed sends a signed request and returns the status and body.
func (f *fixture) signed(d device, method, path string, body []byte) (int, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.url+path, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	SignRequest(req, d.id, d.key, body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// pushRows pushes n new rows of table notes in school, written by d, and
// returns the status and the rows' ids.
func (f *fixture) pushRows(d device, school string, n int) (int, []string) {
	f.t.Helper()
	var cs []syncproto.Change
	var ids []string
	for i := range n {
		id := newID()
		ids = append(ids, id)
		cs = append(cs, note(d, school, id, int64(i+1), fmt.Sprintf("笔记 %d", i)))
	}
	return f.push(d, cs), ids
}

// note is a version of row id of table notes written by d.
func note(d device, school, id string, seq int64, text string) syncproto.Change {
	return syncproto.Change{Seq: seq, Table: "notes", ID: id, SchoolID: school,
		HLC: uint64(time.Now().UnixMilli())<<16 | uint64(seq), Origin: d.id,
		Data: json.RawMessage(fmt.Sprintf(`{"id":%q,"text":%q}`, id, text))}
}

// push pushes cs as d and returns the status.
func (f *fixture) push(d device, cs []syncproto.Change) int {
	f.t.Helper()
	body, err := syncproto.Encode(syncproto.Push{Changes: cs})
	if err != nil {
		f.t.Fatal(err)
	}
	st, _ := f.signed(d, "POST", "/v1/push", body)
	return st
}

// pull pulls after the cursor and returns the page.
func (f *fixture) pull(d device, after int64) syncproto.Page {
	f.t.Helper()
	st, raw := f.signed(d, "GET", fmt.Sprintf("/v1/pull?after=%d", after), nil)
	if st != http.StatusOK {
		f.t.Fatalf("pull: status %d %s", st, raw)
	}
	page, err := syncproto.DecodePage(raw)
	if err != nil {
		f.t.Fatal(err)
	}
	return page
}

// get asks the handler for path as if from remote (host:port), with an
// optional Basic auth password.
func getStatus(t *testing.T, s *Server, path, remote, password string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	req.RemoteAddr = remote
	if password != "" {
		req.SetBasicAuth("technician", password)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec
}

func TestStatusPage(t *testing.T) { forEachBackend(t, testStatusPage) }

func testStatusPage(t *testing.T, cfg Config) {
	f := newFixture(t, cfg) // school "Tsogt School"
	ctx := context.Background()
	a, err := f.s.db.AddSchool(ctx, "北京市第一中学", "BJ-001")
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.s.db.AddSchool(ctx, "实验小学 <&>", "")
	if err != nil {
		t.Fatal(err)
	}
	// Three schools: three district-wide rows (seq 1..3), none written by a device.
	a1 := f.enrolNamed(a, "王老师的电脑")
	a2 := f.enrolNamed(a, `<script>alert("x")</script>`)
	b1 := f.enrolNamed(b, "教室 1")

	code, a1rows := f.pushRows(a1, a, 3) // seq 4..6
	if code != http.StatusOK {
		t.Fatalf("push a1: %d", code)
	}
	if p := f.pull(a1, 0); p.Next != 6 || p.More { // pulled_through 0
		t.Fatalf("pull a1: next %d more %v", p.Next, p.More)
	}
	f.pull(a1, 6)                                           // pulled_through 6
	if st, _ := f.pushRows(a2, a, 2); st != http.StatusOK { // seq 7..8
		t.Fatalf("push a2: %d", st)
	}
	// b1 writes into school a: refused, recorded as an error.
	if st, _ := f.pushRows(b1, a, 1); st != http.StatusForbidden {
		t.Fatalf("push b1 into another school: %d, want 403", st)
	}

	// Pending by hand (rows of the school or district-wide, seq > pulled_through, not written by the device):
	want := map[string]int64{
		a1.id: 2, // a2's two rows after 6
		a2.id: 6, // never pulled: 3 schools + a1's 3 rows
		b1.id: 3, // never pulled: the 3 district-wide school rows; a's rows are not its own
	}

	st := statusJSON(t, f.s)
	if st.ServerSeq != 8 || st.RowsStored != 8 || st.Errors24h != 1 || st.Conflicts7d != 0 || len(st.Schools) != 3 || len(st.Devices) != 3 {
		t.Errorf("summary: seq %d rows %d errors %d conflicts %d schools %d devices %d, want 8 8 1 0 3 3",
			st.ServerSeq, st.RowsStored, st.Errors24h, st.Conflicts7d, len(st.Schools), len(st.Devices))
	}
	for _, d := range st.Devices {
		if d.Pending != want[d.ID] {
			t.Errorf("device %q: pending %d, want %d", d.Name, d.Pending, want[d.ID])
		}
	}
	for _, s := range st.Schools {
		wantRows, wantDevs := map[string]int64{a: 5}[s.ID], map[string]int{a: 2, b: 1}[s.ID]
		if s.Rows != wantRows || s.Devices != wantDevs {
			t.Errorf("school %q: rows %d devices %d, want %d %d", s.Name, s.Rows, s.Devices, wantRows, wantDevs)
		}
		if (s.ID == a) != (s.LastSync != 0) {
			t.Errorf("school %q: last sync %d", s.Name, s.LastSync)
		}
	}
	if len(st.Errors) != 1 || st.Errors[0].DeviceID != b1.id || st.Errors[0].Device != "教室 1" || st.Errors[0].Code != "partition" {
		t.Errorf("errors: %+v", st.Errors)
	}

	rec := getStatus(t, f.s, "/status", "[::1]:50000", "")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("status: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	page := rec.Body.String()
	for _, s := range []string{
		`<meta charset="utf-8">`,
		"<td title=\"" + a + "\">北京市第一中学</td><td>BJ-001</td>",
		"实验小学 &lt;&amp;&gt;",
		"Tsogt School",
		"王老师的电脑",
		"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;",
		`<td class="n">6</td>`, `<td class="n">2</td>`,
		"教室 1", "partition", "not to this device&#39;s school",
	} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	for _, bad := range []string{"<script", "<&>"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains unescaped %q", bad)
		}
	}
	// Each device's row carries its pending count.
	for _, d := range []device{a1, a2, b1} {
		row := page[strings.Index(page, `<td title="`+d.id+`">`):]
		row = row[:strings.Index(row, "</tr>")]
		if !strings.Contains(row, fmt.Sprintf(`<td class="n">%d</td>`, want[d.id])) {
			t.Errorf("device row %s lacks pending %d: %s", d.id, want[d.id], row)
		}
	}

	// a2 edits a1's row without having seen it: a conflict is recorded.
	if st := f.push(a2, []syncproto.Change{note(a2, a, a1rows[0], 3, "改")}); st != http.StatusOK {
		t.Fatalf("conflicting push: %d", st)
	}
	if st := statusJSON(t, f.s); st.Conflicts7d != 1 {
		t.Errorf("conflicts after a concurrent edit: %d, want 1", st.Conflicts7d)
	}
}

// statusJSON reads /status.json from loopback.
func statusJSON(t *testing.T, s *Server) Status {
	t.Helper()
	rec := getStatus(t, s, "/status.json", "127.0.0.1:50000", "")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status.json: %d %s", rec.Code, rec.Body)
	}
	var st Status
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestStatusAccess(t *testing.T) { forEachBackend(t, testStatusAccess) }

func testStatusAccess(t *testing.T, cfg Config) {
	s := newServerCfg(t, cfg)
	ctx := context.Background()
	for _, path := range []string{"/status", "/status.json"} {
		// Loopback: admitted without a password.
		for _, remote := range []string{"127.0.0.1:1234", "[::1]:1234", "[::ffff:127.0.0.1]:1234", "127.0.0.2:1"} {
			if rec := getStatus(t, s, path, remote, ""); rec.Code != http.StatusOK {
				t.Errorf("%s from %s: %d, want 200", path, remote, rec.Code)
			}
		}
		// Remote without a password set: refused, whatever it claims.
		for _, remote := range []string{"203.0.113.5:40000", "[2001:db8::1]:443", "10.0.0.1:1", "garbage", ""} {
			rec := getStatus(t, s, path, remote, "any password", "X-Forwarded-For", "127.0.0.1", "X-Real-IP", "127.0.0.1")
			if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "qiao-district status password") {
				t.Errorf("%s from %q, no password set: %d, want 403 with advice", path, remote, rec.Code)
			}
		}
	}

	if err := s.db.SetStatusPassword(ctx, "short", false); err == nil {
		t.Error("a 5-byte password was accepted")
	}
	if err := s.db.SetStatusPassword(ctx, "line one\nline two", false); err == nil {
		t.Error("a password with a newline was accepted")
	}
	const pw = "correct horse 电池"
	if err := s.db.SetStatusPassword(ctx, pw, false); err != nil {
		t.Fatal(err)
	}
	acc, err := s.db.StatusAccess(ctx)
	if err != nil || acc.PasswordHash == "" || strings.Contains(acc.PasswordHash, pw) {
		t.Fatalf("stored access %+v, %v", acc, err)
	}
	remote := "203.0.113.5:40000"
	for _, path := range []string{"/status", "/status.json"} {
		rec := getStatus(t, s, path, remote, "")
		if rec.Code != http.StatusUnauthorized || !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Basic ") {
			t.Errorf("%s remote without password: %d %q, want 401 with a Basic challenge", path, rec.Code, rec.Header().Get("WWW-Authenticate"))
		}
		if rec := getStatus(t, s, path, remote, "wrong password"); rec.Code != http.StatusUnauthorized {
			t.Errorf("%s remote with a wrong password: %d, want 401", path, rec.Code)
		}
		if rec := getStatus(t, s, path, remote, pw); rec.Code != http.StatusOK {
			t.Errorf("%s remote with the password: %d, want 200", path, rec.Code)
		}
		if rec := getStatus(t, s, path, "127.0.0.1:9", ""); rec.Code != http.StatusOK {
			t.Errorf("%s loopback without password: %d, want 200", path, rec.Code)
		}
	}

	// Password required on loopback too (a reverse proxy on the server).
	if err := s.db.SetStatusPassword(ctx, pw, true); err != nil {
		t.Fatal(err)
	}
	if rec := getStatus(t, s, "/status", "127.0.0.1:9", ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("loopback without password when required there: %d, want 401", rec.Code)
	}
	if rec := getStatus(t, s, "/status", "127.0.0.1:9", pw); rec.Code != http.StatusOK {
		t.Errorf("loopback with password when required there: %d, want 200", rec.Code)
	}

	// Removing the password closes remote access again.
	if err := s.db.SetStatusPassword(ctx, "", false); err != nil {
		t.Fatal(err)
	}
	if rec := getStatus(t, s, "/status", remote, pw); rec.Code != http.StatusForbidden {
		t.Errorf("remote after the password was removed: %d, want 403", rec.Code)
	}
}

func TestStatusPasswordHash(t *testing.T) {
	h, err := hashStatusPassword("a fine password")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := hashStatusPassword("a fine password")
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	if !checkStatusPassword(h, "a fine password") || checkStatusPassword(h, "a fine passwore") || checkStatusPassword(h, "") {
		t.Error("check does not tell the password from others")
	}
	for _, bad := range []string{"", "plain", "pbkdf2-sha256$x$a$b", "pbkdf2-sha256$0$AAAA$AAAA", "md5$1$AAAA$AAAA", h + "$"} {
		if checkStatusPassword(bad, "") || checkStatusPassword(bad, "a fine password") {
			t.Errorf("malformed hash %q matched", bad)
		}
	}
}

// BenchmarkStatus reads the status of a district of 300 schools, 1000
// devices and 300,000 rows (SQLite), with each device pulled through half
// of its rows.
func BenchmarkStatus(b *testing.B) {
	s, err := New(Config{DataDir: b.TempDir(), Insecure: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	tx, err := s.db.sql.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	const schools, devices, rows = 300, 1000, 300_000
	now := time.Now().Unix()
	for i := range schools {
		tx.Exec(`INSERT INTO schools(id, name, created_at) VALUES (?,?,?)`, fmt.Sprintf("s%03d", i), fmt.Sprintf("第%d中学", i), now)
	}
	for i := range devices {
		id, school := fmt.Sprintf("d%04d", i), fmt.Sprintf("s%03d", i%schools)
		tx.Exec(`INSERT INTO devices(id, school_id, role, name, public_key, enrolled_at) VALUES (?,?,?,?,?,?)`,
			id, school, RoleTeacher, "电脑 "+id, []byte(fmt.Sprintf("%032d", i)), now)
		tx.Exec(`INSERT INTO sync_devices(device_id, pushed_through, pulled_through, last_push, last_pull) VALUES (?,?,?,?,?)`,
			id, 10, rows/2, now, now)
	}
	for i := range rows {
		school := fmt.Sprintf("s%03d", i%schools)
		tx.Exec(`INSERT INTO sync_rows(tbl, id, school_id, scope, hlc, origin, deleted, base_hlc, base_origin, data, seq)
			VALUES ('notes',?,?,?,1,?,0,0,'','{}',?)`, fmt.Sprintf("r%07d", i), school, school, fmt.Sprintf("d%04d", i%devices), i+1)
	}
	tx.Exec(`UPDATE sync_counter SET seq = ?`, rows)
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		st, err := s.db.Status(ctx, time.Now())
		if err != nil || len(st.Devices) != devices {
			b.Fatal(len(st.Devices), err)
		}
		if err := statusTmpl.Execute(io.Discard, st); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzStatusRemote: without a password, no remote address or header
// other than a real loopback connection address opens the status page.
func FuzzStatusRemote(f *testing.F) {
	s, err := New(Config{DataDir: f.TempDir(), Insecure: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	for _, seed := range [][3]string{
		{"127.0.0.1:1", "", ""}, {"203.0.113.5:1", "127.0.0.1", "Basic dTpw"}, {"[::1]:80", "", ""},
		{"[::ffff:127.0.0.1]:1", "", ""}, {"localhost:80", "127.0.0.1", ""}, {"127.0.0.1", "", ""}, {"[fe80::1%lo]:1", "", ""},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, remote, forwarded, auth string) {
		req := httptest.NewRequest("GET", "/status.json", nil)
		req.RemoteAddr = remote
		req.Header["X-Forwarded-For"] = []string{forwarded}
		req.Header["Authorization"] = []string{auth}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		ap, err := netip.ParseAddrPort(remote)
		local := err == nil && ap.Addr().Unmap().IsLoopback()
		if want := map[bool]int{true: 200, false: 403}[local]; rec.Code != want {
			t.Fatalf("remote %q forwarded %q auth %q: %d, want %d", remote, forwarded, auth, rec.Code, want)
		}
	})
}
