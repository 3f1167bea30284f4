package metrics

// The dashboard's goal: a school with three years of records (20,000
// lessons, 100,000 research activities, 50,000 resource events) computes
// its dashboard for a term in under 300 ms on the 2-core machine. Run:
//
//	QIAO_BENCH=1 go test ./metrics -run TestDashboardBenchmark -v -timeout 30m
//
// docs/BENCHMARKS.md ("School indicators") has the numbers.

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"qiao/store"
)

// benchScale is the school.
const (
	benchLessons    = 20000
	benchActivities = 100000
	benchEvents     = 50000
	benchAttendees  = 3 // research attendance rows per activity
	benchTeachers   = 120
)

// fillSchool writes three years (2023-09-01 to 2026-08-31) of one
// school's records in batches, with the secondary indexes deferred.
func fillSchool(t testing.TB, st *store.Store, school string) {
	g := rand.New(rand.NewPCG(8, 8))
	from := china(2023, 9, 1, 0, 0)
	span := china(2026, 9, 1, 0, 0).Sub(from)
	at := func() time.Time {
		d := from.Add(time.Duration(g.Int64N(int64(span/time.Hour))) * time.Hour)
		return time.Date(d.Year(), d.Month(), d.Day(), 8+g.IntN(9), g.IntN(60), 0, 0, China)
	}
	subjects := []string{"语文", "数学", "英语", "科学", "道德与法治", "音乐", "美术", "体育"}
	others := []string{store.NewID(), store.NewID(), store.NewID(), store.NewID(), store.NewID()}
	var teachers, groups, entries []string
	batch := func(n int, fn func(tx *store.Tx, i int) error) {
		for start := 0; start < n; start += 5000 {
			if err := st.Update(ctx, func(tx *store.Tx) error {
				for i := start; i < min(n, start+5000); i++ {
					if err := fn(tx, i); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	putRow := func(tx *store.Tx, table string, f store.Fields) string {
		rec, err := tx.Put(table, school, "", f)
		if err != nil {
			t.Fatal(err)
		}
		return rec.ID
	}
	if err := st.Update(ctx, func(tx *store.Tx) error { return tx.DeferIndexes() }); err != nil {
		t.Fatal(err)
	}
	batch(benchTeachers, func(tx *store.Tx, i int) error {
		teachers = append(teachers, putRow(tx, "research_teachers", store.Fields{"name": fmt.Sprintf("教师%d", i), "subject": subjects[i%len(subjects)]}))
		return nil
	})
	batch(24, func(tx *store.Tx, i int) error {
		groups = append(groups, putRow(tx, "research_groups", store.Fields{"name": fmt.Sprintf("研修组%d", i), "kind": "school_group", "year": 2023 + i%4}))
		return nil
	})
	batch(benchLessons, func(tx *store.Tx, i int) error {
		when, subject, grade := at(), subjects[g.IntN(len(subjects))], 1+g.IntN(6)
		secs := int64(2400 + g.IntN(600))
		if i%3 == 2 { // received from a lead school
			putRow(tx, "classroom_attendance", store.Fields{"lesson_id": store.NewID(), "role": "remote", "host_school": others[g.IntN(len(others))],
				"title": subject, "subject": subject, "grade": grade, "joined_at": when.Unix(), "left_at": when.Unix() + secs, "seconds": secs})
			return nil
		}
		id := putRow(tx, "classroom_lessons", store.Fields{"title": subject, "subject": subject, "grade": grade, "teacher": "",
			"remote_schools": `["` + others[g.IntN(len(others))] + `"]`, "starts_at": when.Unix(), "minutes": 45, "code": "123456",
			"state": "ended", "started_at": when.Unix(), "ended_at": when.Unix() + secs})
		putRow(tx, "classroom_attendance", store.Fields{"lesson_id": id, "role": "host", "host_school": school,
			"title": subject, "subject": subject, "grade": grade, "joined_at": when.Unix(), "left_at": when.Unix() + secs, "seconds": secs})
		return nil
	})
	kinds := []string{"lesson_prep", "observe", "polish", "lecture", "reading", "online"}
	batch(benchActivities, func(tx *store.Tx, i int) error {
		id := putRow(tx, "research_activities", store.Fields{"group_id": groups[g.IntN(len(groups))], "kind": kinds[g.IntN(len(kinds))],
			"day": Day(at()), "minutes": 30 + 30*g.IntN(4)})
		for k := range benchAttendees {
			putRow(tx, "research_attendance", store.Fields{"activity_id": id, "teacher_id": teachers[(i*7+k*13)%len(teachers)]})
		}
		if i%10 == 0 {
			putRow(tx, "research_outputs", store.Fields{"teacher_id": teachers[g.IntN(len(teachers))], "activity_id": id,
				"kind": "lesson_plan", "title": "教案", "day": Day(at()), "state": []string{"submitted", "accepted", "returned"}[g.IntN(3)]})
		}
		return nil
	})
	batch(2000, func(tx *store.Tx, i int) error {
		entries = append(entries, putRow(tx, "library_entries", store.Fields{"title": fmt.Sprintf("资源%d", i), "subject": subjects[i%len(subjects)],
			"grade": 1 + i%6, "kind": "courseware", "source": "district", "hash": strings.Repeat("a", 64)}))
		return nil
	})
	actions := []string{"opened", "opened", "opened", "downloaded", "contributed"}
	batch(benchEvents, func(tx *store.Tx, i int) error {
		putRow(tx, "library_events", store.Fields{"entry_id": entries[g.IntN(len(entries))], "action": actions[g.IntN(len(actions))],
			"teacher": "张老师", "at": at().Unix()})
		return nil
	})
	if err := st.Update(ctx, func(tx *store.Tx) error { return tx.RestoreIndexes() }); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	s := NewService(st, school)
	if err := s.PutInventory(ctx, InventoryItem{Kind: SmartClassrooms, Count: 8}, InventoryItem{Kind: TeacherTerminals, Count: 110},
		InventoryItem{Kind: PupilTerminals, Count: 700}, InventoryItem{Kind: PupilCount, Count: 1500}); err != nil {
		t.Fatal(err)
	}
}

func TestDashboardBenchmark(t *testing.T) {
	if os.Getenv("QIAO_BENCH") != "1" {
		t.Skip("measurement: set QIAO_BENCH=1")
	}
	// QIAO_BENCH_DIR keeps the filled store between runs.
	dir, keep := os.LookupEnv("QIAO_BENCH_DIR")
	if !keep {
		dir = t.TempDir()
	}
	_, statErr := os.Stat(dir + "/filled")
	st, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	const school = "00000000-0000-7000-8000-00000000bec4"
	if statErr != nil {
		start := time.Now()
		fillSchool(t, st, school)
		t.Logf("filled 3 years in %v", time.Since(start).Round(time.Millisecond))
		os.WriteFile(dir+"/filled", nil, 0o644)
	}
	st.Close()
	if st, err = store.Open(ctx, dir); err != nil { // the dashboard opens an existing file
		t.Fatal(err)
	}
	defer st.Close()

	f := Filter{Term: Term{2025, Autumn}}
	measure := func(name string, runs int, fn func() error) {
		times := make([]time.Duration, runs)
		for i := range times {
			s := time.Now()
			if err := fn(); err != nil {
				t.Fatal(err)
			}
			times[i] = time.Since(s)
		}
		first := times[0]
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		t.Logf("%-34s first %6.1f ms  p50 %6.1f ms  p95 %6.1f ms  (%d runs)", name, ms(first), ms(times[runs/2]), ms(times[runs*95/100]), runs)
	}
	var d *Dashboard
	measure("dashboard (term: headlines, weeks)", 30, func() (err error) { d, err = Build(ctx, st.DB, school, f); return err })
	measure("dashboard, 数学 only", 30, func() error { _, err := Build(ctx, st.DB, school, Filter{Term: f.Term, Subject: "数学"}); return err })
	measure("per-term trend (LoadTrend, 6 terms)", 30, func() error { return d.LoadTrend(ctx, st.DB) })
	measure("dashboard + trend (BuildWithTrend)", 30, func() error { _, err := BuildWithTrend(ctx, st.DB, school, f); return err })
	measure("headlines only (one span)", 30, func() error { _, err := SchoolHeadlines(ctx, st.DB, []string{school}, f); return err })
	measure("drill-down: lessons hosted", 30, func() error { _, err := Drill(ctx, st.DB, school, f, LessonsHosted); return err })
	measure("drill-down: participation", 30, func() error { _, err := Drill(ctx, st.DB, school, f, Participation); return err })
	measure("freshness (ReadFreshness)", 10, func() error { _, err := ReadFreshness(ctx, st, school, SyncState{}); return err })
	for _, k := range []string{LessonsHosted, LessonsReceived, LessonRate, Participation, CreditsPerTeacher, ResourcesOpened} {
		t.Logf("%s = %.2f", k, Find(d.Headlines, k).Value)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
