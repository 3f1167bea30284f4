package placement

import (
	"fmt"
	"sort"
	"testing"
)

// The balance benchmarks compare the draw with two baselines schools use:
// plain random assignment (shuffle, deal round-robin) and a serpentine deal
// by score (1..k, k..1, …). Each reports the max-min spread across classes
// of the class mean score (points), the class mean birth date (days) and
// boys, plus the draw's time. docs/BENCHMARKS.md has the figures.

var benchSizes = []struct{ n, k int }{{2000, 40}, {20000, 400}}

func reportBalance(b *testing.B, r *Roster, res *Result) {
	rep := Balance(r, res)
	b.ReportMetric(rep.Spread.MeanScore, "score-spread")
	b.ReportMetric(rep.Spread.MeanBirth, "age-spread-days")
	b.ReportMetric(float64(rep.Spread.Boys), "boys-spread")
	b.ReportMetric(rep.Spread.SDScore, "score-sd-spread")
}

func BenchmarkDraw(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(fmt.Sprintf("qiao/%d-into-%d", s.n, s.k), func(b *testing.B) {
			r := Generate(s.n, 2026)
			p := Params{Classes: s.k, BalanceScore: true, BalanceAge: true}
			var res *Result
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				var err error
				if res, err = Draw(r, p, fmt.Sprint(i), ""); err != nil {
					b.Fatal(err)
				}
			}
			reportBalance(b, r, res)
		})
		b.Run(fmt.Sprintf("random/%d-into-%d", s.n, s.k), func(b *testing.B) {
			r := Generate(s.n, 2026)
			var res *Result
			for i := 0; i < b.N; i++ {
				res = baseline(r, s.k, uint64(i), false)
			}
			reportBalance(b, r, res)
		})
		b.Run(fmt.Sprintf("serpentine/%d-into-%d", s.n, s.k), func(b *testing.B) {
			r := Generate(s.n, 2026)
			var res *Result
			for i := 0; i < b.N; i++ {
				res = baseline(r, s.k, uint64(i), true)
			}
			reportBalance(b, r, res)
		})
	}
}

// baseline deals pupils round-robin after a shuffle, or in a serpentine
// after sorting by score (ties in shuffled order). It ignores Together and
// Apart, as the tools it stands for do.
func baseline(r *Roster, k int, seed uint64, serpentine bool) *Result {
	g := newRNG([32]byte{byte(seed), byte(seed >> 8), 1})
	idx := make([]int, len(r.Pupils))
	for i := range idx {
		idx[i] = i
	}
	g.shuffle(idx)
	if serpentine {
		sort.SliceStable(idx, func(a, b int) bool { return r.Pupils[idx[a]].Score > r.Pupils[idx[b]].Score })
	}
	res := &Result{Params: Params{Classes: k}, Class: make([]int, len(idx))}
	for pos, i := range idx {
		round, off := pos/k, pos%k
		if serpentine && round%2 == 1 {
			off = k - 1 - off
		}
		res.Class[i] = off + 1
	}
	return res
}
