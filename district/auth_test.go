package district

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fixture is a real server over httptest with one school.
type fixture struct {
	t      *testing.T
	s      *Server
	url    string
	school string
}

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	s := newServerCfg(t, cfg)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	school, err := s.db.AddSchool(context.Background(), "Tsogt School", "")
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, s: s, url: srv.URL, school: school}
}

func (f *fixture) code(school, role string, valid time.Duration) string {
	f.t.Helper()
	c, err := f.s.db.IssueCode(context.Background(), school, role, time.Now().Add(valid))
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// post sends JSON v to path and decodes the answer into out.
func (f *fixture) post(path string, v, out any) int {
	f.t.Helper()
	b, _ := json.Marshal(v)
	resp, err := http.Post(f.url+path, "application/json", bytes.NewReader(b))
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("%s: Content-Type %q", path, ct)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		f.t.Fatalf("%s: decode: %v", path, err)
	}
	return resp.StatusCode
}

type device struct {
	id  string
	key ed25519.PrivateKey
	res EnrolResponse
}

func (f *fixture) enrol(code string) device {
	f.t.Helper()
	pub, key, _ := ed25519.GenerateKey(nil)
	var res EnrolResponse
	st := f.post("/v1/enrol", EnrolRequest{Code: code, PublicKey: base64.StdEncoding.EncodeToString(pub), DeviceName: "teacher laptop"}, &res)
	if st != http.StatusOK || res.DeviceID == "" {
		f.t.Fatalf("enrol: status %d, %+v", st, res)
	}
	return device{res.DeviceID, key, res}
}

// do sends a request; sign, if not nil, signs it.
func (f *fixture) do(method, path string, body []byte, sign func(*http.Request)) (int, map[string]string) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.url+path, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if sign != nil {
		sign(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := map[string]string{}
	if err := json.Unmarshal(raw, &out); err != nil {
		f.t.Fatalf("%s %s: status %d, not JSON: %q", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

func (f *fixture) whoami(d device) (int, map[string]string) {
	return f.do("GET", "/v1/whoami", nil, func(r *http.Request) { SignRequest(r, d.id, d.key, nil) })
}

func TestEnrolAndWhoami(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		f := newFixture(t, cfg)
		d := f.enrol(f.code(f.school, RolePrincipal, time.Hour))
		if d.res.SchoolID != f.school || d.res.Role != RolePrincipal {
			t.Fatalf("enrol = %+v", d.res)
		}
		st, got := f.whoami(d)
		if st != 200 || got["device_id"] != d.id || got["school_id"] != f.school || got["role"] != RolePrincipal {
			t.Fatalf("whoami: %d %v", st, got)
		}
		dev, err := f.s.db.Device(context.Background(), d.id)
		if err != nil || dev.LastSeen.IsZero() || dev.Name != "teacher laptop" {
			t.Errorf("device after whoami: %+v, %v", dev, err)
		}
	})
}

func TestWhoamiSchoolsApart(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		f := newFixture(t, cfg)
		b, err := f.s.db.AddSchool(context.Background(), "Bayan School", "B-001")
		if err != nil {
			t.Fatal(err)
		}
		da := f.enrol(f.code(f.school, RoleTeacher, time.Hour))
		db := f.enrol(f.code(b, RoleTeacher, time.Hour))
		if _, got := f.whoami(da); got["school_id"] != f.school {
			t.Errorf("device of A: whoami school %q, want %q", got["school_id"], f.school)
		}
		if _, got := f.whoami(db); got["school_id"] != b {
			t.Errorf("device of B: whoami school %q, want %q", got["school_id"], b)
		}
	})
}

func TestEnrolRefusals(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		f := newFixture(t, cfg)
		pub, _, _ := ed25519.GenerateKey(nil)
		pk := base64.StdEncoding.EncodeToString(pub)

		used := f.code(f.school, RoleTeacher, time.Hour)
		f.enrol(used)
		expired := f.code(f.school, RoleTeacher, -time.Second)
		for _, tc := range []struct {
			name, code, want string
		}{
			{"unknown", "ABCDEFGHJKMN", "code_unknown"},
			{"used", used, "code_used"},
			{"used, typed in lower case with dashes", strings.ToLower(used[:4] + "-" + used[4:8] + "-" + used[8:]), "code_used"},
			{"expired", expired, "code_expired"},
		} {
			var e APIError
			st := f.post("/v1/enrol", EnrolRequest{Code: tc.code, PublicKey: pk, DeviceName: "x"}, &e)
			if st != http.StatusForbidden || e.Code != tc.want || e.Message == "" {
				t.Errorf("%s: %d %+v, want 403 %s", tc.name, st, e, tc.want)
			}
		}

		// Malformed requests are 400 and do not spend the code.
		good := f.code(f.school, RoleTeacher, time.Hour)
		for _, tc := range []struct {
			name string
			req  EnrolRequest
			want string
		}{
			{"bad key", EnrolRequest{Code: good, PublicKey: "AAAA", DeviceName: "x"}, "bad_public_key"},
			{"no name", EnrolRequest{Code: good, PublicKey: pk}, "bad_device_name"},
			{"no code", EnrolRequest{PublicKey: pk, DeviceName: "x"}, "bad_request"},
		} {
			var e APIError
			if st := f.post("/v1/enrol", tc.req, &e); st != http.StatusBadRequest || e.Code != tc.want {
				t.Errorf("%s: %d %+v, want 400 %s", tc.name, st, e, tc.want)
			}
		}
		st, e := f.do("POST", "/v1/enrol", []byte("{not json"), nil)
		if st != 400 || e["error"] != "bad_request" {
			t.Errorf("not JSON: %d %v", st, e)
		}
		st, e = f.do("POST", "/v1/enrol", bytes.Repeat([]byte(" "), maxEnrolBytes+1), nil)
		if st != http.StatusRequestEntityTooLarge || e["error"] != "body_too_large" {
			t.Errorf("huge body: %d %v", st, e)
		}
		f.enrol(good) // still unspent

		// The same public key cannot enrol twice.
		var ke APIError
		if st := f.post("/v1/enrol", EnrolRequest{Code: f.code(f.school, RoleTeacher, time.Hour), PublicKey: pk, DeviceName: "x"}, &ke); st != 200 {
			t.Fatalf("first enrol of pk: %d %+v", st, ke)
		}
		if st := f.post("/v1/enrol", EnrolRequest{Code: f.code(f.school, RoleTeacher, time.Hour), PublicKey: pk, DeviceName: "x"}, &ke); st != http.StatusConflict || ke.Code != "key_in_use" {
			t.Errorf("second enrol of pk: %d %+v", st, ke)
		}
	})
}

// TestEnrolRace spends one code from many goroutines: exactly one wins.
func TestEnrolRace(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		f := newFixture(t, cfg)
		code := f.code(f.school, RoleTeacher, time.Hour)
		var wg sync.WaitGroup
		var mu sync.Mutex
		statuses := map[int]int{}
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pub, _, _ := ed25519.GenerateKey(nil)
				b, _ := json.Marshal(EnrolRequest{Code: code, PublicKey: base64.StdEncoding.EncodeToString(pub), DeviceName: "x"})
				resp, err := http.Post(f.url+"/v1/enrol", "application/json", bytes.NewReader(b))
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				mu.Lock()
				statuses[resp.StatusCode]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if statuses[200] != 1 || statuses[403] != 7 {
			t.Errorf("statuses = %v, want one 200 and seven 403", statuses)
		}
	})
}

func TestSignedRequestRefusals(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		f := newFixture(t, cfg)
		d := f.enrol(f.code(f.school, RoleTeacher, time.Hour))
		_, otherKey, _ := ed25519.GenerateKey(nil)

		check := func(name string, wantStatus int, want string, method, path string, body []byte, sign func(*http.Request)) {
			t.Helper()
			st, e := f.do(method, path, body, sign)
			if st != wantStatus || e["error"] != want || (want != "" && e["message"] == "") {
				t.Errorf("%s: %d %v, want %d %s", name, st, e, wantStatus, want)
			}
		}
		check("unsigned", 401, "auth_missing", "GET", "/v1/whoami", nil, nil)
		check("unsigned unknown endpoint", 401, "auth_missing", "GET", "/v1/nothing", nil, nil)
		check("unknown device", 401, "device_unknown", "GET", "/v1/whoami", nil, func(r *http.Request) {
			SignRequest(r, "no-such-device", d.key, nil)
		})
		check("wrong key", 401, "bad_signature", "GET", "/v1/whoami", nil, func(r *http.Request) {
			SignRequest(r, d.id, otherKey, nil)
		})
		check("tampered body", 401, "bad_signature", "GET", "/v1/whoami", []byte(`{"a":2}`), func(r *http.Request) {
			SignRequest(r, d.id, d.key, []byte(`{"a":1}`))
		})
		check("tampered path", 401, "bad_signature", "GET", "/v1/whoami", nil, func(r *http.Request) {
			SignRequest(r, d.id, d.key, nil)
			r.URL.RawQuery = "school=other"
		})
		check("tampered time", 401, "bad_signature", "GET", "/v1/whoami", nil, func(r *http.Request) {
			SignRequest(r, d.id, d.key, nil)
			t, _ := strconv.ParseInt(r.Header.Get(HeaderTime), 10, 64)
			r.Header.Set(HeaderTime, strconv.FormatInt(t+1, 10))
		})
		check("stale time", 401, "time_skew", "GET", "/v1/whoami", nil, func(r *http.Request) {
			signRequestAt(r, d.id, d.key, nil, time.Now().Add(-MaxClockSkew-time.Minute))
		})
		check("future time", 401, "time_skew", "GET", "/v1/whoami", nil, func(r *http.Request) {
			signRequestAt(r, d.id, d.key, nil, time.Now().Add(MaxClockSkew+time.Minute))
		})
		check("bad nonce", 401, "bad_nonce", "GET", "/v1/whoami", nil, func(r *http.Request) {
			SignRequest(r, d.id, d.key, nil)
			r.Header.Set(HeaderNonce, "short")
		})
		check("too large", http.StatusRequestEntityTooLarge, "body_too_large", "POST", "/v1/whoami", make([]byte, MaxBodyBytes+1), func(r *http.Request) {
			SignRequest(r, d.id, d.key, nil)
		})

		// A signed request for an endpoint that does not exist is a JSON-less
		// 404 from the mux; just check it passes authentication.
		req, _ := http.NewRequest("GET", f.url+"/v1/nothing", nil)
		SignRequest(req, d.id, d.key, nil)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 404 {
			t.Errorf("signed unknown endpoint: %v %v", resp.StatusCode, err)
		} else {
			resp.Body.Close()
		}

		// Replay: the very same headers a second time.
		var saved http.Header
		check("first", 200, "", "GET", "/v1/whoami", nil, func(r *http.Request) {
			SignRequest(r, d.id, d.key, nil)
			saved = r.Header.Clone()
		})
		check("replayed", 401, "replay", "GET", "/v1/whoami", nil, func(r *http.Request) {
			r.Header = saved.Clone()
		})

		// Revocation applies at once, to the next request.
		if st, _ := f.whoami(d); st != 200 {
			t.Fatalf("whoami before revoke: %d", st)
		}
		if err := f.s.db.RevokeDevice(context.Background(), d.id); err != nil {
			t.Fatal(err)
		}
		check("revoked", 401, "device_revoked", "GET", "/v1/whoami", nil, func(r *http.Request) {
			SignRequest(r, d.id, d.key, nil)
		})
		if err := f.s.db.RevokeDevice(context.Background(), "nope"); err == nil {
			t.Error("revoking an unknown device: want error")
		}
	})
}

func TestSignedBodyReachesHandler(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		f := newFixture(t, cfg)
		d := f.enrol(f.code(f.school, RoleTeacher, time.Hour))
		var got []byte
		var gotDev Device
		f.s.mux.Handle("POST /v1/echo", f.s.authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got, _ = io.ReadAll(r.Body)
			gotDev, _ = DeviceFrom(r.Context())
			writeJSON(w, 200, map[string]string{})
		})))
		body := []byte(`{"rows":[1,2,3]}`)
		if st, e := f.do("POST", "/v1/echo?since=5", body, func(r *http.Request) { SignRequest(r, d.id, d.key, body) }); st != 200 {
			t.Fatalf("echo: %d %v", st, e)
		}
		if !bytes.Equal(got, body) || gotDev.ID != d.id || gotDev.SchoolID != f.school {
			t.Errorf("handler saw body %q, device %+v", got, gotDev)
		}
	})
}

func TestNoncePruning(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		s := newServerCfg(t, cfg)
		ctx := context.Background()
		old := time.Now().Add(-time.Hour)
		if ok, err := s.db.useNonce(ctx, "d", "n1", old, false); !ok || err != nil {
			t.Fatal(ok, err)
		}
		if ok, _ := s.db.useNonce(ctx, "d", "n1", old, false); ok {
			t.Fatal("same nonce accepted twice")
		}
		if ok, err := s.db.useNonce(ctx, "d", "n2", time.Now(), true); !ok || err != nil {
			t.Fatal(ok, err)
		}
		var n int
		s.db.queryRow(ctx, `SELECT count(*) FROM nonces`).Scan(&n)
		if n != 1 {
			t.Errorf("nonces after pruning = %d, want 1", n)
		}
	})
}

func TestCodesAndSchools(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		s := newServerCfg(t, cfg)
		ctx := context.Background()
		id, err := s.db.AddSchool(ctx, "  Altai School ", "A-1")
		if err != nil || len(id) != 36 {
			t.Fatalf("AddSchool = %q, %v", id, err)
		}
		if _, err := s.db.AddSchool(ctx, "Other", "A-1"); err == nil || !strings.Contains(err.Error(), "A-1") {
			t.Errorf("duplicate school code: %v", err)
		}
		if _, err := s.db.AddSchool(ctx, " ", ""); err == nil {
			t.Error("empty name: want error")
		}
		if _, err := s.db.IssueCode(ctx, id, "janitor", time.Now().Add(time.Hour)); err == nil {
			t.Error("bad role: want error")
		}
		if _, err := s.db.IssueCode(ctx, "nope", RoleTeacher, time.Now().Add(time.Hour)); err == nil {
			t.Error("unknown school: want error")
		}
		seen := map[string]bool{}
		for range 50 {
			c, err := s.db.IssueCode(ctx, id, RoleTeacher, time.Now().Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if len(c) != CodeLen || strings.Trim(c, codeAlphabet) != "" || strings.ContainsAny(c, "01IO") || seen[c] {
				t.Fatalf("bad code %q", c)
			}
			seen[c] = true
			var n int
			s.db.queryRow(ctx, `SELECT count(*) FROM enrolment_codes WHERE code_hash = ?`, c).Scan(&n)
			if n != 0 {
				t.Fatal("code stored in clear")
			}
		}
		schools, err := s.db.Schools(ctx)
		if err != nil || len(schools) != 1 || schools[0].Name != "Altai School" || schools[0].Code != "A-1" {
			t.Errorf("Schools = %+v, %v", schools, err)
		}
	})
}

func TestDBReopenAndForeignFile(t *testing.T) {
	dir := t.TempDir()
	db, err := OpenDB(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := db.AddSchool(context.Background(), "X", "")
	db.Close()
	db, err = OpenDB(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	db.sql.QueryRow(`PRAGMA journal_mode`).Scan(&mode)
	if mode != "wal" {
		t.Errorf("journal_mode = %q", mode)
	}
	if ss, _ := db.Schools(context.Background()); len(ss) != 1 || ss[0].ID != id {
		t.Errorf("school lost on reopen: %+v", ss)
	}

	// A SQLite file that is not ours is refused.
	other := t.TempDir()
	raw, _ := sql.Open("sqlite", "file:"+other+"/"+DBFile)
	raw.Exec(`CREATE TABLE t(x); PRAGMA user_version = 3`)
	raw.Close()
	if db, err := OpenDB(context.Background(), other); err == nil {
		db.Close()
		t.Error("foreign database opened")
	}
}
