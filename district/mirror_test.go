package district

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"qiao/metrics"
	"qiao/syncproto"
)

// mirrorWant decodes a row's JSON the way the mirror should, written
// independently of mirror.go (numbers as float64).
func mirrorWant(t *mirrorTable, id, school string, hlc int64, origin string, deleted int64, data string) []any {
	out := []any{id, school, hlc, origin, deleted}
	var row map[string]any
	if json.Unmarshal([]byte(data), &row) != nil {
		row = nil
	}
	for _, c := range t.cols {
		v := row[c.Name]
		if c.Type == "INTEGER" {
			var n int64
			switch v := v.(type) {
			case float64:
				if math.Abs(v) < 1e18 {
					n = int64(v)
				}
			case string:
				n, _ = strconv.ParseInt(v, 10, 64)
			case bool:
				if v {
					n = 1
				}
			}
			out = append(out, n)
		} else {
			s := ""
			switch v := v.(type) {
			case string:
				s = v
			case float64:
				s = strconv.FormatFloat(v, 'f', -1, 64)
			}
			if len(s) > 256 && (strings.HasSuffix(c.Name, "_id") || c.Name == "day") {
				s = "" // too long for a key
			}
			out = append(out, s)
		}
	}
	return out
}

// checkMirror fails unless every mirror table holds exactly the decoded
// current versions of its table's rows in sync_rows. It returns how many
// rows it compared.
func checkMirror(t *testing.T, db *DB) int {
	t.Helper()
	ctx := context.Background()
	total := 0
	for i := range db.mirror.tables {
		mt := &db.mirror.tables[i]
		want := map[string][]any{}
		rows, err := db.query(ctx, `SELECT id, school_id, hlc, origin, deleted, data FROM sync_rows WHERE tbl = ?`, mt.name)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, school, origin, data string
			var hlc, del int64
			if err := rows.Scan(&id, &school, &hlc, &origin, &del, &data); err != nil {
				t.Fatal(err)
			}
			want[id] = mirrorWant(mt, id, school, hlc, origin, del, data)
		}
		rows.Close()
		var names []string
		for _, c := range mt.all() {
			names = append(names, quote(c.Name))
		}
		rows, err = db.query(ctx, "SELECT "+strings.Join(names, ", ")+" FROM "+quote(mt.name))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]any{}
		for rows.Next() {
			vals := make([]any, len(names))
			ptrs := make([]any, len(names))
			for j, c := range mt.all() {
				if c.Type == "INTEGER" {
					ptrs[j] = new(int64)
				} else {
					ptrs[j] = new(string)
				}
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for j, p := range ptrs {
				vals[j] = reflect.ValueOf(p).Elem().Interface()
			}
			got[vals[0].(string)] = vals
		}
		rows.Close()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("mirror %s:\n got  %v\n want %v", mt.name, got, want)
		}
		total += len(want)
	}
	return total
}

// mirrorChange is a version of a row of a mirrored table with data as given.
func (w *syncWorld) mirrorChange(dev Device, table, id, school, data string) syncproto.Change {
	w.seq[dev.ID]++
	return syncproto.Change{Seq: w.seq[dev.ID], Table: table, ID: id, SchoolID: school,
		HLC: uint64(w.clock.Now()), Origin: dev.ID, Data: []byte(data)}
}

func lessonJSON(id, subject string, grade, starts int) string {
	return fmt.Sprintf(`{"id":%q,"subject":%q,"grade":%d,"starts_at":%d,"minutes":40,"state":"ended","remote_schools":"[\"x\"]"}`,
		id, subject, grade, starts)
}

func TestMirrorFollowsPushes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		w := newSyncWorld(t, cfg)
		ta, tb := w.device(w.a, RoleTeacher), w.device(w.b, RoleTeacher)
		admin := w.device(w.a, RoleDistrictAdmin)
		l1, l2, e1 := newID(), newID(), newID()
		mustPush := func(dev Device, cs ...syncproto.Change) syncproto.PushResult {
			t.Helper()
			res, err := w.push(dev, cs...)
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		mustPush(ta, w.mirrorChange(ta, "classroom_lessons", l1, w.a, lessonJSON(l1, "数学", 5, 1000)),
			w.mirrorChange(ta, "students", newID(), w.a, `{"name":"not mirrored"}`))
		mustPush(tb, w.mirrorChange(tb, "classroom_lessons", l2, w.b, lessonJSON(l2, "语文", 3, 2000)))
		mustPush(admin, w.mirrorChange(admin, "library_entries", e1, "", `{"title":"区资源","kind":"video","grade":7}`))
		if n := checkMirror(t, w.db); n != 3 {
			t.Fatalf("mirror compared %d rows, want 3", n)
		}
		// An edit, and then a deletion, replace the row.
		mustPush(ta, w.mirrorChange(ta, "classroom_lessons", l1, w.a, lessonJSON(l1, "英语", 6, 1500)))
		checkMirror(t, w.db)
		del := w.mirrorChange(tb, "classroom_lessons", l2, w.b, lessonJSON(l2, "语文", 3, 2000))
		del.Deleted = true
		mustPush(tb, del)
		checkMirror(t, w.db)
		var deleted int64
		if err := w.db.queryRow(context.Background(), `SELECT deleted FROM classroom_lessons WHERE id = ?`, l2).Scan(&deleted); err != nil || deleted != 1 {
			t.Errorf("deleted lesson: deleted = %d, %v; want 1", deleted, err)
		}
		// A concurrent edit from another device of the same school: the
		// winner is mirrored (and the loser kept as a conflict row, not mirrored).
		tc := w.device(w.a, RoleTeacher)
		if res := mustPush(tc, w.mirrorChange(tc, "classroom_lessons", l1, w.a, lessonJSON(l1, "物理", 8, 1600))); res.Conflicts != 1 {
			t.Errorf("concurrent edit: %+v, want a conflict", res)
		}
		checkMirror(t, w.db)
	})
}

// TestMirrorOddValues: values of the wrong kind, missing values and data
// that is not an object are stored as zero values; the push succeeds.
func TestMirrorOddValues(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		w := newSyncWorld(t, cfg)
		ta := w.device(w.a, RoleTeacher)
		odd := map[string]string{
			newID(): `{"subject":12,"grade":"7","starts_at":1.5e3,"minutes":true,"teacher":null,"title":{"a":1}}`,
			newID(): `{"grade":"seven","starts_at":1e300,"minutes":-3,"subject":["x"]}`,
			newID(): `[1,2,3]`,
			newID(): `"a string"`,
			newID(): `{}`,
			newID(): `{"grade":99999999999999999999999}`,
		}
		var cs []syncproto.Change
		for id, data := range odd {
			cs = append(cs, w.mirrorChange(ta, "classroom_lessons", id, w.a, data))
		}
		// Text too long for an index key (a reference), and a long title:
		// PostgreSQL limits index entries, the push must not fail.
		long := fmt.Sprintf(`{"lesson_id":%q,"title":%q,"role":"host","joined_at":5}`, randomText(4000), strings.Repeat("题", 3000))
		cs = append(cs, w.mirrorChange(ta, "classroom_attendance", newID(), w.a, long))
		if res, err := w.push(ta, cs...); err != nil || res.Applied != len(cs) {
			t.Fatalf("push of odd values: %+v, %v", res, err)
		}
		if n := checkMirror(t, w.db); n != len(cs) {
			t.Errorf("compared %d rows, want %d", n, len(cs))
		}
		var subject string
		var grade, starts int64
		for id, data := range odd {
			if strings.HasPrefix(data, `{"subject":12`) {
				w.db.queryRow(context.Background(), `SELECT subject, grade, starts_at FROM classroom_lessons WHERE id = ?`, id).Scan(&subject, &grade, &starts)
			}
		}
		if subject != "12" || grade != 7 || starts != 1500 {
			t.Errorf("odd row = %q, %d, %d; want \"12\", 7, 1500", subject, grade, starts)
		}
		// A flag out of its range (the app's CHECK is not the mirror's)
		// must not break the roll-up of every school.
		rule := w.mirrorChange(ta, "research_credit_rules", newID(), w.a, `{"target":"activity","kind":"集体备课","credits":100,"per_hour":2}`)
		if res, err := w.push(ta, rule); err != nil || res.Applied != 1 {
			t.Fatalf("push of a rule: %+v, %v", res, err)
		}
		if _, err := w.db.Rollup(context.Background(), "2026-autumn", time.Now()); err != nil {
			t.Fatalf("roll-up with an odd rule: %v", err)
		}
	})
}

func TestMirrorFollowsBundles(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		w := newSyncWorld(t, cfg)
		dev, key := bundleDevice(t, w.db, w.a)
		var cs []syncproto.Change
		for i := range 2500 { // more than one chunk
			id := newID()
			cs = append(cs, w.mirrorChange(dev, "library_events", id, w.a,
				fmt.Sprintf(`{"entry_id":"e%d","action":"opened","teacher":"t","at":%d}`, i%7, 1000+i)))
		}
		if _, err := w.db.ImportBundle(context.Background(), pushBundle(t, dev, key, 0, cs...), time.Now()); err != nil {
			t.Fatal(err)
		}
		if n := checkMirror(t, w.db); n != 2500 {
			t.Errorf("compared %d rows, want 2500", n)
		}
		// A refused bundle (a row of another school at the end) leaves no trace in the mirror.
		bad := []syncproto.Change{w.mirrorChange(dev, "library_events", newID(), w.a, `{"at":1}`),
			w.mirrorChange(dev, "library_events", newID(), w.b, `{"at":2}`)}
		if _, err := w.db.ImportBundle(context.Background(), pushBundle(t, dev, key, 0, bad...), time.Now()); err == nil {
			t.Fatal("bundle with another school's row accepted")
		}
		if n := checkMirror(t, w.db); n != 2500 {
			t.Errorf("after the refused bundle: %d rows, want 2500", n)
		}
	})
}

// TestMirrorRebuild: a changed definition (here: a stale fingerprint and
// a mirror that drifted) rebuilds the mirror from sync_rows on the next
// start; a definition naming a district table is refused and changes nothing.
func TestMirrorRebuild(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		w := newSyncWorld(t, cfg)
		ctx := context.Background()
		ta := w.device(w.a, RoleTeacher)
		var cs []syncproto.Change
		for i := range 2100 { // more than two batches
			id := newID()
			cs = append(cs, w.mirrorChange(ta, "classroom_lessons", id, w.a, lessonJSON(id, "数学", 1+i%12, i)))
		}
		if _, err := w.push(ta, cs...); err != nil {
			t.Fatal(err)
		}
		if _, err := w.db.exec(ctx, `DELETE FROM classroom_lessons WHERE grade > 6`); err != nil {
			t.Fatal(err)
		}
		if _, err := w.db.exec(ctx, `UPDATE settings SET value = 'old' WHERE name = ?`, settingMirror); err != nil {
			t.Fatal(err)
		}
		w.db.Close()
		db, err := Open(ctx, cfg.DataDir, cfg.DatabaseURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if n := checkMirror(t, db); n != 2100 {
			t.Errorf("rebuilt mirror compared %d rows, want 2100", n)
		}

		// A new column in the definition rebuilds with it.
		more := make([]metrics.Table, len(metrics.Tables)) // a copy: metrics.Tables stays as it is
		for i, tb := range metrics.Tables {
			more[i] = metrics.Table{Name: tb.Name, Columns: append([]metrics.Column(nil), tb.Columns...)}
		}
		more[0].Columns = append(more[0].Columns, metrics.Column{Name: "code", Type: "TEXT"})
		if db.mirror, err = newMirrorDef(more); err != nil {
			t.Fatal(err)
		}
		if err := db.syncMirror(ctx); err != nil {
			t.Fatal(err)
		}
		checkMirror(t, db)

		// A table named like one of the district's is refused; nothing changes.
		before, _ := db.setting(ctx, db.sql, settingMirror)
		if db.mirror, err = newMirrorDef(append(more, metrics.Table{Name: "schools", Columns: []metrics.Column{{Name: "name", Type: "TEXT"}}})); err != nil {
			t.Fatal(err)
		}
		if err := db.syncMirror(ctx); err == nil || !strings.Contains(err.Error(), `"schools"`) {
			t.Fatalf("mirror over the district's schools table: %v", err)
		}
		if ss, err := db.Schools(ctx); err != nil || len(ss) != 2 {
			t.Errorf("schools after the refusal: %v, %v", ss, err)
		}
		if after, _ := db.setting(ctx, db.sql, settingMirror); after != before {
			t.Error("fingerprint changed by a refused rebuild")
		}
		db.mirror, _ = newMirrorDef(more)
		checkMirror(t, db)
	})
}

func TestMirrorDefRefusesBadTables(t *testing.T) {
	for _, ts := range [][]metrics.Table{
		{{Name: "a; DROP TABLE x"}},
		{{Name: "a"}, {Name: "a"}},
		{{Name: "a", Columns: []metrics.Column{{Name: "hlc", Type: "INTEGER"}}}},
		{{Name: "a", Columns: []metrics.Column{{Name: "x", Type: "REAL"}}}},
		{{Name: syncproto.ConflictsTable}},
	} {
		if _, err := newMirrorDef(ts); err == nil {
			t.Errorf("%+v accepted", ts)
		}
	}
	if m, err := installedMirror(); err != nil {
		t.Fatalf("metrics.Tables: %v", err)
	} else if len(m.tables) == 0 {
		t.Fatal("no metrics installed: the mirror has no tables")
	}
}

// FuzzMirrorArgs: whatever a device sends as a row's data, the mirror
// makes one value of the column's type per column, and never fails.
func FuzzMirrorArgs(f *testing.F) {
	for _, s := range []string{`{"subject":"数学","grade":5}`, `{"grade":"7","starts_at":1.5e3}`, `[1]`, `"x"`, `{"grade":1e999}`, ``, `{"title":{"a":[]}}`} {
		f.Add([]byte(s))
	}
	m, err := installedMirror()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for i := range m.tables {
			mt := &m.tables[i]
			args := mt.args("id", "school", 1, "origin", false, data)
			cols := mt.all()
			if len(args) != len(cols) {
				t.Fatalf("%s: %d values for %d columns", mt.name, len(args), len(cols))
			}
			for j, c := range cols {
				_, isInt := args[j].(int64)
				_, isText := args[j].(string)
				if (c.Type == "INTEGER") != isInt || (c.Type == "TEXT") != isText {
					t.Fatalf("%s.%s (%s) = %#v", mt.name, c.Name, c.Type, args[j])
				}
			}
		}
	})
}

// randomText is n characters that do not compress (PostgreSQL compresses
// long index keys before it checks their size).
func randomText(n int) string {
	b := make([]byte, (n+1)/2)
	rand.Read(b)
	return hex.EncodeToString(b)[:n]
}
