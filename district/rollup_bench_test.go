package district

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// One term of a typical school, per table of the mirror (rows per school):
// two smart classrooms holding about 170 synchronous lessons each (the
// published district figure is 172.7 per classroom), their attendance,
// 60 teachers in 5 research groups holding 200 activities with 800
// attendances and 30 outputs, 100 library entries of its own and 1,500
// library events. District-wide: 2,000 library entries and 10 credit rules.
var benchPerSchool = map[string]int{
	"classroom_lessons": 340, "classroom_attendance": 340, "research_teachers": 60, "research_groups": 5,
	"research_members": 60, "research_activities": 200, "research_attendance": 800, "research_outputs": 30,
	"library_entries": 100, "library_events": 1500,
}

var benchDistrictWide = map[string]int{"library_entries": 2000, "research_credit_rules": 10}

// benchRefs are the tables the reference columns point into.
var benchRefs = map[string]string{"activity_id": "research_activities", "teacher_id": "research_teachers",
	"group_id": "research_groups", "entry_id": "library_entries", "lesson_id": "classroom_lessons"}

// benchID is the id of the i-th row of table for school.
func benchID(table, school string, i int) string { return fmt.Sprintf("%s/%s/%d", table, school, i) }

var benchSubjects = []string{"语文", "数学", "英语", "物理", "化学", "生物", "音乐", "美术", "科学"}

// benchValue is a plausible value of column col of the i-th row of table
// for a school, within the term starting at from.
func benchValue(table, col, typ string, i int, school, other string, from time.Time) any {
	at := from.Add(time.Duration(i%120) * 24 * time.Hour).Add(time.Duration(8+i%9) * time.Hour)
	switch {
	case col == "subject":
		return benchSubjects[i%len(benchSubjects)]
	case col == "grade":
		return 1 + i%12
	case col == "day":
		return at.Format(time.DateOnly)
	case col == "at" || strings.HasSuffix(col, "_at"):
		return at.Unix()
	case col == "state" && table == "classroom_lessons":
		return []string{"ended", "ended", "ended", "ended", "ended", "ended", "ended", "ended", "ended", "cancelled"}[i%10]
	case col == "state":
		return "accepted"
	case col == "role" && table == "classroom_attendance":
		return []string{"host", "remote"}[i%2]
	case col == "role":
		return "member"
	case col == "action":
		return []string{"opened", "opened", "opened", "downloaded", "contributed"}[i%5]
	case col == "remote_schools":
		return `["` + other + `"]`
	case col == "host_school":
		return other
	case col == "kind" && table == "research_activities":
		return []string{"lesson_prep", "observe", "polish", "reflection", "lecture", "reading", "online", "skills"}[i%8]
	case col == "kind" && table == "research_groups":
		return "school_group"
	case col == "kind" && table == "research_outputs":
		return []string{"paper", "lesson_plan", "case"}[i%3]
	case col == "kind" && table == "library_entries":
		return []string{"courseware", "plan", "video", "paper"}[i%4]
	case col == "minutes":
		return 40
	case col == "seconds":
		return 2400
	case col == "stage":
		return "小学"
	case benchRefs[col] != "":
		ref := benchRefs[col]
		n := max(benchPerSchool[ref], 1)
		return benchID(ref, school, i%n)
	case typ == "INTEGER": // flags (online, rural, per_hour …) and small counts
		return i % 2
	}
	return fmt.Sprintf("%s %d", col, i)
}

// benchFill bulk-inserts n schools' term of rows straight into the mirror.
func benchFill(tb testing.TB, db *DB, n int) {
	ctx := context.Background()
	from := time.Date(2026, 9, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600)) // the autumn term
	var schools []string
	for i := range n {
		id, err := db.AddSchool(ctx, fmt.Sprintf("School %03d", i), "")
		if err != nil {
			tb.Fatal(err)
		}
		schools = append(schools, id)
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	for ti := range db.mirror.tables {
		t := &db.mirror.tables[ti]
		const rowsPer = 100
		cols := t.all()
		one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
		var names []string
		for _, c := range cols {
			names = append(names, quote(c.Name))
		}
		st, err := tx.Prepare(db.q("INSERT INTO " + quote(t.name) + " (" + strings.Join(names, ",") + ") VALUES " +
			strings.TrimSuffix(strings.Repeat(one+",", rowsPer), ",")))
		if err != nil {
			tb.Fatal(err)
		}
		var args []any
		flush := func(force bool) {
			for len(args) >= rowsPer*len(cols) {
				if _, err := st.Exec(args[:rowsPer*len(cols)]...); err != nil {
					tb.Fatal(err)
				}
				args = args[rowsPer*len(cols):]
			}
			if force && len(args) > 0 {
				k := len(args) / len(cols)
				if _, err := tx.Exec(db.q("INSERT INTO "+quote(t.name)+" ("+strings.Join(names, ",")+") VALUES "+
					strings.TrimSuffix(strings.Repeat(one+",", k), ",")), args...); err != nil {
					tb.Fatal(err)
				}
				args = nil
			}
		}
		add := func(school, other string, count int) {
			for i := range count {
				id := benchID(t.name, school, i)
				args = append(args, id, school, int64(i), fmt.Sprintf("room-%s-%d", school, i%2), 0) // two classrooms
				for _, c := range t.cols {
					args = append(args, benchValue(t.name, c.Name, c.Type, i, school, other, from))
				}
				flush(false)
			}
		}
		for si, s := range schools {
			add(s, schools[(si+1)%len(schools)], benchPerSchool[t.name])
		}
		add("", "", benchDistrictWide[t.name])
		flush(true)
		st.Close()
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	if _, err := db.sql.Exec(`ANALYZE`); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkRollup300 computes the roll-up of 300 schools' term (about
// 1.0 million mirror rows). Run with:
//
//	go test ./district -run '^$' -bench Rollup300 -benchtime 5x
//
// QIAO_BENCH_PG=1 runs it on PostgreSQL too.
func BenchmarkRollup300(b *testing.B) {
	backs := []string{"sqlite"}
	if os.Getenv("QIAO_BENCH_PG") != "" {
		backs = append(backs, "postgres")
	}
	for _, back := range backs {
		b.Run(back, func(b *testing.B) {
			cfg := Config{DataDir: b.TempDir()}
			if back == "postgres" {
				cfg.DatabaseURL = benchPG(b)
			}
			db, err := Open(context.Background(), cfg.DataDir, cfg.DatabaseURL)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			benchFill(b, db, 300)
			b.ResetTimer()
			for b.Loop() {
				ro, err := db.Rollup(context.Background(), rollupTerm, time.Now())
				if err != nil {
					b.Fatal(err)
				}
				if len(ro.Schools) != 300 || ro.Schools[0].Values[ro.Headline] == 0 {
					b.Fatalf("roll-up of %d schools, top %v", len(ro.Schools), ro.Schools[0].Values)
				}
			}
		})
	}
}
