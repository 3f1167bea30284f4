//go:build linux

package district

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"qiao/internal/pgtest"
	"qiao/store"
	"qiao/syncproto"
)

func TestPostgresReopenAndForeignDatabase(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	db, err := OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	id, err := db.AddSchool(ctx, "X", "")
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(ctx, t.TempDir(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if ss, _ := db.Schools(ctx); len(ss) != 1 || ss[0].ID != id {
		t.Errorf("school lost on reopen: %+v", ss)
	}
	entries, _ := migrationFiles.ReadDir("migrations")
	var version, app int
	if err := db.queryRow(ctx, `SELECT version, application_id FROM schema_version`).Scan(&version, &app); err != nil || version != len(entries) || app != applicationID {
		t.Errorf("schema_version = %d, %#x, %v; want %d, %#x", version, app, err, len(entries), applicationID)
	}

	// A database with tables that are not ours is refused, and left alone.
	other := pgtest.NewDatabase(t)
	raw, err := sql.Open("pgx", other)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`CREATE TABLE t (x int)`); err != nil {
		t.Fatal(err)
	}
	if db, err := OpenPostgres(ctx, other); err == nil || !strings.Contains(err.Error(), "not a Qiao district database") {
		if db != nil {
			db.Close()
		}
		t.Errorf("foreign database: %v", err)
	}
	var n int
	raw.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&n)
	if n != 1 {
		t.Errorf("foreign database has %d tables after the refusal, want 1", n)
	}

	if _, err := Open(ctx, t.TempDir(), "mysql://x"); err == nil {
		t.Error("unknown database URL accepted")
	}
}

// TestPostgresConcurrentStart opens a fresh database from several
// "processes" at once: the advisory lock serializes their migrations.
func TestPostgresConcurrentStart(t *testing.T) {
	url := pgtest.NewDatabase(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			db, err := OpenPostgres(context.Background(), url)
			if err == nil {
				db.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// node is one of several district servers on one PostgreSQL database,
// each with its own data directory and HTTP listener.
type node struct {
	s   *Server
	url string
}

// client is an enrolled device talking plain HTTP to the nodes.
type client struct {
	t     *testing.T
	id    string
	key   ed25519.PrivateKey
	clock *store.Clock
	seq   int64
	after int64
	rows  map[string]string // table/id -> data
}

func (c *client) send(n node, method, path string, body []byte) (int, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, n.url+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", BatchContentType)
	}
	SignRequest(req, c.id, c.key, body)
	return do(c.t, req)
}

func do(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// write pushes a new version of row id through n.
func (c *client) write(n node, school, id, v string) {
	c.t.Helper()
	c.seq++
	ch := syncproto.Change{Seq: c.seq, Table: "notes", ID: id, SchoolID: school, HLC: uint64(c.clock.Now()), Origin: c.id,
		Data: json.RawMessage(fmt.Sprintf(`{"id":%q,"v":%q}`, id, v))}
	body, err := syncproto.Encode(syncproto.Push{Changes: []syncproto.Change{ch}})
	if err != nil {
		c.t.Fatal(err)
	}
	if st, b := c.send(n, "POST", "/v1/push", body); st != 200 {
		c.t.Fatalf("push through %s: %d %s", n.url, st, b)
	}
	c.rows["notes/"+id] = string(ch.Data)
}

// pull pulls every page through n with a small page size.
func (c *client) pull(n node) {
	c.t.Helper()
	for {
		st, b := c.send(n, "GET", fmt.Sprintf("/v1/pull?after=%d&limit=2", c.after), nil)
		if st != 200 {
			c.t.Fatalf("pull through %s: %d %s", n.url, st, b)
		}
		p, err := syncproto.DecodePage(b)
		if err != nil {
			c.t.Fatal(err)
		}
		for _, ch := range p.Changes {
			c.rows[ch.Table+"/"+ch.ID] = string(ch.Data)
		}
		c.after = p.Next
		if !p.More {
			return
		}
	}
}

// TestTwoServersOneDatabase runs two district servers on one PostgreSQL
// database: devices enrolled on either converge while syncing through
// both in turn, and a nonce used on one server is refused by the other.
func TestTwoServersOneDatabase(t *testing.T) {
	url := pgtest.NewDatabase(t)
	var nodes []node
	for range 2 {
		s := newServerCfg(t, Config{DataDir: filepath.Join(t.TempDir(), "data"), DatabaseURL: url, Insecure: true})
		srv := httptest.NewServer(s.Handler())
		t.Cleanup(srv.Close)
		nodes = append(nodes, node{s, srv.URL})
	}
	ctx := context.Background()
	school, err := nodes[0].s.DB().AddSchool(ctx, "Shared School", "")
	if err != nil {
		t.Fatal(err)
	}
	var clients []*client
	for i := range 3 {
		// Codes issued through one server are spent on the other.
		code, err := nodes[i%2].s.DB().IssueCode(ctx, school, RoleTeacher, time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		pub, key, _ := ed25519.GenerateKey(nil)
		b, _ := json.Marshal(EnrolRequest{Code: code, PublicKey: base64.StdEncoding.EncodeToString(pub), DeviceName: "d"})
		resp, err := http.Post(nodes[(i+1)%2].url+"/v1/enrol", "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		var res EnrolResponse
		json.NewDecoder(resp.Body).Decode(&res)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("enrol: %d", resp.StatusCode)
		}
		clients = append(clients, &client{t: t, id: res.DeviceID, key: key, clock: store.NewClock(0), rows: map[string]string{}})
	}
	shared := newID()
	for round := range 6 {
		for i, c := range clients {
			n := nodes[(round+i)%2]
			c.pull(n)
			c.write(n, school, newID(), fmt.Sprint(round, i))
			c.write(n, school, shared, fmt.Sprint("shared ", round, i))
		}
	}
	for i, c := range clients {
		c.pull(nodes[i%2])
	}
	for i := range clients {
		c := clients[i]
		c.pull(nodes[(i+1)%2])
	}
	for i, c := range clients[1:] {
		if fmt.Sprint(c.rows) != fmt.Sprint(clients[0].rows) {
			t.Errorf("device %d has %d rows, device 0 has %d; they differ", i+1, len(c.rows), len(clients[0].rows))
		}
	}
	n := 0
	for k := range clients[0].rows {
		if !strings.HasPrefix(k, syncproto.ConflictsTable+"/") {
			n++
		}
	}
	if n != 1+6*3+1 { // the school, the rows, the shared row (besides conflicts on it)
		t.Errorf("%d rows, want %d", n, 1+6*3+1)
	}

	// A signed request replayed to the other server is refused there.
	c := clients[0]
	req, _ := http.NewRequest("GET", nodes[0].url+"/v1/whoami", nil)
	SignRequest(req, c.id, c.key, nil)
	if st, b := do(t, req); st != 200 {
		t.Fatalf("whoami on server 1: %d %s", st, b)
	}
	replay, _ := http.NewRequest("GET", nodes[1].url+"/v1/whoami", nil)
	replay.Header = req.Header.Clone()
	if st, b := do(t, replay); st != http.StatusUnauthorized || !strings.Contains(string(b), "replay") {
		t.Errorf("replay on server 2: %d %s, want 401 replay", st, b)
	}
}
