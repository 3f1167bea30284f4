package placement

import (
	"testing"
	"time"
)

func TestQuickLook(t *testing.T) {
	for _, tc := range []struct{ n, k int }{{2000, 40}, {20000, 400}} {
		r := Generate(tc.n, 1)
		start := time.Now()
		res, err := Draw(r, Params{Classes: tc.k, BalanceScore: true, BalanceAge: true}, "12 34 56", "")
		if err != nil {
			t.Fatal(err)
		}
		el := time.Since(start)
		rep := Balance(r, res)
		t.Logf("n=%d k=%d: %v; spread size %d boys %d special %d meanScore %.3f sdScore %.3f meanBirth %.2f days sdBirth %.2f",
			tc.n, tc.k, el, rep.Spread.Size, rep.Spread.Boys, rep.Spread.Special, rep.Spread.MeanScore, rep.Spread.SDScore, rep.Spread.MeanBirth, rep.Spread.SDBirth)
	}
}
