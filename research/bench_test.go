package research

// District-scale benchmarks: the goals are that, with 10,000
// teachers, 1,000 groups and 100,000 activities in the store, opening a
// group, a teacher's growth archive and filtering the activity list each
// take under 50 ms, and exporting all 100,000 activities to .xlsx under
// 5 s. scripts/bench-research.sh runs them; docs/BENCHMARKS.md has the
// numbers.
//
// The store is built once per test process, in a temporary folder, the
// first time a benchmark asks for it, so a plain `go test` (no -bench)
// never pays for it.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"qiao/store"
)

// districtScale is the district.
var districtScale = Scale{Teachers: 10000, Groups: 1000, Activities: 100000, Year: 2026, Seed: 7}

// district is the shared district-scale store and what the benchmarks
// look at in it.
type district struct {
	dir string
	st  *store.Store
	s   *Service

	group      string // the group with the most activities
	teacher    string // the teacher with the most attendance
	attendance int    // that teacher's attendance rows
}

var (
	districtOnce sync.Once
	districtData *district
	districtErr  error
)

// TestMain removes the district store, if a benchmark built one.
func TestMain(m *testing.M) {
	code := m.Run()
	if districtData != nil {
		districtData.st.Close()
		os.RemoveAll(districtData.dir)
	}
	os.Exit(code)
}

// districtStore returns the district-scale store, building it on first use.
func districtStore(b *testing.B) *district {
	b.Helper()
	if testing.Short() {
		b.Skip("the district-scale store takes minutes to build")
	}
	districtOnce.Do(func() { districtData, districtErr = buildDistrict() })
	if districtErr != nil {
		b.Fatal(districtErr)
	}
	return districtData
}

func buildDistrict() (*district, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "qiao-research-bench-")
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	d := &district{dir: dir, st: st, s: New(st, "school-1")}
	fail := func(err error) (*district, error) {
		st.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	start := time.Now()
	if err := d.s.Generate(ctx, districtScale); err != nil {
		return fail(err)
	}
	seeded := time.Since(start)
	if err := st.DB.QueryRowContext(ctx, `SELECT group_id FROM research_activities WHERE deleted=0
		GROUP BY group_id ORDER BY count(*) DESC, group_id LIMIT 1`).Scan(&d.group); err != nil {
		return fail(err)
	}
	if err := st.DB.QueryRowContext(ctx, `SELECT teacher_id, count(*) FROM research_attendance WHERE deleted=0
		GROUP BY teacher_id ORDER BY count(*) DESC, teacher_id LIMIT 1`).Scan(&d.teacher, &d.attendance); err != nil {
		return fail(err)
	}
	// The data shape, for docs/BENCHMARKS.md.
	fmt.Printf("district store: %+v seeded in %.1f s\n", districtScale, seeded.Seconds())
	for _, t := range []string{"research_teachers", "research_groups", "research_members", "research_activities",
		"research_attendance", "research_outputs", "changes"} {
		var n int
		if err := st.DB.QueryRowContext(ctx, `SELECT count(*) FROM `+t).Scan(&n); err != nil {
			return fail(err)
		}
		fmt.Printf("  %-20s %9d rows\n", t, n)
	}
	var size int64
	for _, f := range []string{store.DBFile, store.DBFile + "-wal"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err == nil {
			size += fi.Size()
		}
	}
	fmt.Printf("  database %.0f MB; busiest teacher attended %d activities\n", float64(size)/1e6, d.attendance)
	return d, nil
}

// BenchmarkOpenGroup is the group page: the group, its members, its
// composition against the district's targets, and the first page of its
// activities with their count.
func BenchmarkOpenGroup(b *testing.B) {
	d := districtStore(b)
	ctx := context.Background()
	f := ActivityFilter{GroupID: d.group}
	for b.Loop() {
		if _, err := d.s.Group(ctx, d.group); err != nil {
			b.Fatal(err)
		}
		if ms, err := d.s.Members(ctx, d.group); err != nil || len(ms) == 0 {
			b.Fatal(len(ms), err)
		}
		if _, err := d.s.Composition(ctx, d.group, DefaultTargets); err != nil {
			b.Fatal(err)
		}
		if n, err := d.s.CountActivities(ctx, f); err != nil || n == 0 {
			b.Fatal(n, err)
		}
		if rows, err := d.s.Activities(ctx, f, 0, 50); err != nil || len(rows) == 0 {
			b.Fatal(len(rows), err)
		}
	}
}

// BenchmarkGrowthArchive opens the archive of the busiest teacher.
func BenchmarkGrowthArchive(b *testing.B) {
	d := districtStore(b)
	ctx := context.Background()
	for b.Loop() {
		g, err := d.s.GrowthArchive(ctx, d.teacher)
		if err != nil || len(g.Years) == 0 {
			b.Fatal(g.Years, err)
		}
	}
}

// BenchmarkFilterActivities filters the activity list as the list screen
// does: count the matches, read the first page of 50.
func BenchmarkFilterActivities(b *testing.B) {
	d := districtStore(b)
	ctx := context.Background()
	y := districtScale.Year
	filters := []struct {
		name string
		f    ActivityFilter
	}{
		{"all", ActivityFilter{}},
		{"group", ActivityFilter{GroupID: d.group}},
		{"kind+dates", ActivityFilter{Kind: KindObserve, From: time.Date(y, 4, 1, 0, 0, 0, 0, time.UTC), To: time.Date(y, 6, 30, 0, 0, 0, 0, time.UTC)}},
		{"dates", ActivityFilter{From: time.Date(y, 9, 1, 0, 0, 0, 0, time.UTC), To: time.Date(y, 9, 30, 0, 0, 0, 0, time.UTC)}},
		{"text", ActivityFilter{Text: "录播"}},
		{"text-rare", ActivityFilter{Text: "第7次研课磨课"}},
		{"teacher", ActivityFilter{TeacherID: d.teacher}},
		{"teacher+kind", ActivityFilter{TeacherID: d.teacher, Kind: KindObserve}},
	}
	for _, tc := range filters {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				n, err := d.s.CountActivities(ctx, tc.f)
				if err != nil || n == 0 {
					b.Fatal(n, err)
				}
				rows, err := d.s.Activities(ctx, tc.f, 0, 50)
				if err != nil || len(rows) != min(n, 50) {
					b.Fatal(len(rows), n, err)
				}
			}
		})
	}
}

// BenchmarkScrollActivities reads a page deep in the unfiltered list, as
// a virtual list does when scrolled to its end.
func BenchmarkScrollActivities(b *testing.B) {
	d := districtStore(b)
	ctx := context.Background()
	for b.Loop() {
		rows, err := d.s.Activities(ctx, ActivityFilter{}, districtScale.Activities-50, 50)
		if err != nil || len(rows) != 50 {
			b.Fatal(len(rows), err)
		}
	}
}

// BenchmarkExportActivities100k writes every activity to .xlsx, and
// reports the file's size and the most heap in use while writing it.
func BenchmarkExportActivities100k(b *testing.B) {
	d := districtStore(b)
	ctx := context.Background()
	runtime.GC()
	base := heapInUse()
	peak := base
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				peak = max(peak, heapInUse())
			}
		}
	}()
	var size countWriter
	for b.Loop() {
		size = 0
		if err := d.s.WriteActivitiesXLSX(ctx, &size, ActivityFilter{}); err != nil {
			b.Fatal(err)
		}
	}
	close(stop)
	<-done
	b.ReportMetric(float64(size)/1e6, "MB-xlsx")
	b.ReportMetric(float64(peak-base)/1e6, "MB-peak-heap")
}

// heapInUse reads the bytes of heap objects, live or not yet swept,
// without stopping the world as runtime.ReadMemStats does.
func heapInUse() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// BenchmarkAssess scores the year's 1,000 groups.
func BenchmarkAssess(b *testing.B) {
	d := districtStore(b)
	ctx := context.Background()
	for b.Loop() {
		scores, err := d.s.Assess(ctx, districtScale.Year, DefaultWeights)
		if err != nil || len(scores) != districtScale.Groups {
			b.Fatal(len(scores), err)
		}
	}
}

// countWriter discards what it is given and counts the bytes.
type countWriter int64

func (w *countWriter) Write(p []byte) (int, error) { *w += countWriter(len(p)); return len(p), nil }
