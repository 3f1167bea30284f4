//go:build linux

package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"qiao/internal/pgtest"
	"qiao/store"
)

// rebound is a PostgreSQL Querier that rebinds ? to $1, $2, … as the
// district's wrapper does.
type rebound struct{ db *sql.DB }

func (r rebound) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return r.db.QueryContext(ctx, b.String(), args...)
}

// mirror copies every row of the tables in Tables from st into a fresh
// PostgreSQL database with the typed mirror's shape (the synced columns
// and those Tables names).
func mirror(t *testing.T, st *store.Store) Querier {
	t.Helper()
	pg, err := sql.Open("pgx", pgtest.Start(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	for _, tb := range Tables {
		names := []string{"id", "school_id", "hlc", "origin", "deleted"}
		defs := []string{"id TEXT PRIMARY KEY", "school_id TEXT NOT NULL", "hlc BIGINT NOT NULL", "origin TEXT NOT NULL", "deleted INTEGER NOT NULL"}
		for _, c := range tb.Columns {
			typ := "TEXT"
			if c.Type == "INTEGER" {
				typ = "BIGINT"
			}
			names = append(names, c.Name)
			defs = append(defs, c.Name+" "+typ+" NOT NULL")
		}
		if _, err := pg.Exec(`CREATE TABLE ` + tb.Name + ` (` + strings.Join(defs, ", ") + `)`); err != nil {
			t.Fatal(err)
		}
		rows, err := st.DB.Query(`SELECT ` + strings.Join(names, ", ") + ` FROM ` + tb.Name)
		if err != nil {
			t.Fatal(err)
		}
		ph := make([]string, len(names))
		for i := range ph {
			ph[i] = "$" + strconv.Itoa(i+1)
		}
		for rows.Next() {
			vals := make([]any, len(names))
			ptrs := make([]any, len(names))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			if _, err := pg.Exec(`INSERT INTO `+tb.Name+` (`+strings.Join(names, ", ")+`) VALUES (`+strings.Join(ph, ", ")+`)`, vals...); err != nil {
				t.Fatal(fmt.Errorf("%s: %w", tb.Name, err))
			}
		}
		rows.Close()
	}
	return rebound{pg}
}

// The same SQL gives the same numbers on the school's SQLite file and on
// a PostgreSQL mirror of its rows.
func TestSameNumbersOnPostgreSQL(t *testing.T) {
	st, school, _, _ := twoClassrooms(t)
	rst, rschool := researchFixture(t)
	copyChanges(t, rst, st)
	attendance(t, st, school, store.NewID(), "host", school, "数学", 7, china(2026, 1, 31, 23, 30), 2400)
	if err := NewService(st, school).PutInventory(ctx, InventoryItem{Kind: TeacherTerminals, Count: 9}, InventoryItem{Kind: TeacherCount, Count: 12}); err != nil {
		t.Fatal(err)
	}
	if err := NewService(st, school).Score(ctx, Term{2025, Autumn}, DefaultChecklist[1].ID, 7, ""); err != nil {
		t.Fatal(err)
	}
	if err := SetTarget(ctx, st, Target{Stage: Primary, Indicator: LessonsPerClassroom, Value: 10}); err != nil {
		t.Fatal(err)
	}
	pg := mirror(t, st)
	for _, f := range []Filter{{Term: TermOf(time.Now())}, {Term: Term{2025, Autumn}}, {Term: TermOf(time.Now()), Subject: "数学"}, {Term: TermOf(time.Now()), Grade: 4}} {
		schools := []string{school, rschool}
		lite, err := SchoolHeadlines(ctx, st.DB, schools, f)
		if err != nil {
			t.Fatal(err)
		}
		post, err := SchoolHeadlines(ctx, pg, schools, f)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(lite, post) {
			t.Errorf("%+v: SQLite %+v\nPostgreSQL %+v", f, lite, post)
		}
		for _, s := range schools {
			dl, err := Build(ctx, st.DB, s, f)
			if err == nil {
				err = dl.LoadTrend(ctx, st.DB)
			}
			if err != nil {
				t.Fatal(err)
			}
			dp, err := Build(ctx, pg, s, f)
			if err == nil {
				err = dp.LoadTrend(ctx, pg)
			}
			if err != nil {
				t.Fatal(err)
			}
			dl.total, dp.total = nil, nil
			if !reflect.DeepEqual(dl, dp) {
				t.Errorf("%+v: dashboards differ:\n%+v\n%+v", f, dl, dp)
			}
			for _, k := range Indicators {
				il, err1 := Drill(ctx, st.DB, s, f, k)
				ip, err2 := Drill(ctx, pg, s, f, k)
				if err1 != nil || err2 != nil || !reflect.DeepEqual(il, ip) {
					t.Errorf("%+v %s drill: %v %v\n%+v\n%+v", f, k, err1, err2, il, ip)
				}
			}
		}
	}
}
