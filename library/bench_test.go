package library

import (
	"context"
	"runtime"
	"slices"
	"testing"
	"time"
)

// benchLibrary opens a library of n generated entries (built once per run).
func benchLibrary(b *testing.B, n int) *Service {
	b.Helper()
	s, _ := open(b)
	if err := s.Generate(context.Background(), Scale{Entries: n, School: 0.2, Seed: 42}); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkSearchAsYouType types realistic queries one character at a
// time over 100,000 entries and reports the 95th percentile of one
// keystroke's search (first page of 50).
func BenchmarkSearchAsYouType(b *testing.B) {
	s := benchLibrary(b, 100_000)
	ctx := context.Background()
	if _, err := s.Search(ctx, "", Filter{}, 0, 1); err != nil { // build the index
		b.Fatal(err)
	}
	var typed []string
	for _, q := range []string{"数学三年级", "分数的初步认识", "秋天的雨", "一师一优课", "单元测试卷", "人教版 三年级 课件", "二次函数", "阳光云课 录播"} {
		r := []rune(q)
		for i := 1; i <= len(r); i++ {
			typed = append(typed, string(r[:i]))
		}
	}
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, q := range typed {
			t0 := time.Now()
			if _, err := s.Search(ctx, q, Filter{}, 0, 50); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}

// BenchmarkTree opens every level of the tree along one path over 100,000
// entries and reports the slowest level.
func BenchmarkTree(b *testing.B) {
	s := benchLibrary(b, 100_000)
	ctx := context.Background()
	if _, err := s.Tree(ctx, nil); err != nil { // build the index
		b.Fatal(err)
	}
	var worst time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var path []string
		for level := 0; level < levels; level++ {
			t0 := time.Now()
			nodes, err := s.Tree(ctx, path)
			if err != nil || len(nodes) == 0 {
				b.Fatal(err, path)
			}
			worst = max(worst, time.Since(t0))
			path = append(path, nodes[0].Value)
		}
		t0 := time.Now()
		if _, err := s.List(ctx, Filter{Path: path}, 0, 50); err != nil {
			b.Fatal(err)
		}
		worst = max(worst, time.Since(t0))
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "slowest-level-ms")
}

// BenchmarkIndexBuild builds the index of 100,000 entries from the
// database and reports the heap it holds.
func BenchmarkIndexBuild(b *testing.B) {
	s := benchLibrary(b, 100_000)
	ctx := context.Background()
	var heap uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var m0, m1 runtime.MemStats
		s.idx = nil
		runtime.GC()
		runtime.ReadMemStats(&m0)
		s.mu.Lock()
		_, err := s.ready(ctx)
		s.mu.Unlock()
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		heap = m1.HeapAlloc - m0.HeapAlloc
	}
	b.ReportMetric(float64(heap)/(1<<20), "index-MiB")
}
