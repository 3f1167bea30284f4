package metrics

import (
	"testing"
	"time"
)

func TestTermOfBoundaries(t *testing.T) {
	cases := []struct {
		at   time.Time
		want Term
	}{
		{china(2026, 1, 31, 23, 30), Term{2025, Autumn}},
		{china(2026, 2, 1, 0, 30), Term{2026, Spring}},
		{china(2026, 8, 31, 23, 59), Term{2026, Spring}},
		{china(2026, 9, 1, 0, 0), Term{2026, Autumn}},
		// 2026-01-31 16:00 UTC is already Feb 1 in China.
		{time.Date(2026, 1, 31, 16, 0, 0, 0, time.UTC), Term{2026, Spring}},
	}
	for _, c := range cases {
		if got := TermOf(c.at); got != c.want {
			t.Errorf("TermOf(%v) = %v, want %v", c.at, got, c.want)
		}
		if !c.want.Span().Contains(c.at) {
			t.Errorf("%v's span does not contain %v", c.want, c.at)
		}
	}
	if got := (Term{2025, Autumn}).Next(); got != (Term{2026, Spring}) {
		t.Errorf("next of 2025-autumn = %v", got)
	}
	if got := (Term{2026, Spring}).Prev(); got != (Term{2025, Autumn}) {
		t.Errorf("prev of 2026-spring = %v", got)
	}
	if got := (Term{2026, Spring}).Last(3); got[0] != (Term{2025, Spring}) || got[2] != (Term{2026, Spring}) {
		t.Errorf("last 3 = %v", got)
	}
	if (Term{2025, Autumn}).SchoolYear() != "2025-2026" || (Term{2026, Spring}).SchoolYear() != "2025-2026" {
		t.Error("school year")
	}
}

func TestParseTerm(t *testing.T) {
	for _, tm := range []Term{{2025, Autumn}, {2026, Spring}} {
		got, err := ParseTerm(tm.Key())
		if err != nil || got != tm {
			t.Errorf("ParseTerm(%q) = %v, %v", tm.Key(), got, err)
		}
	}
	for _, bad := range []string{"", "2025", "2025-winter", "abc-autumn", "1969-spring"} {
		if _, err := ParseTerm(bad); err == nil {
			t.Errorf("ParseTerm(%q) accepted", bad)
		}
	}
}

func TestWeeksTileTheTerm(t *testing.T) {
	for _, tm := range []Term{{2025, Autumn}, {2026, Spring}, {2024, Autumn}} {
		sp, ws := tm.Span(), tm.Weeks()
		if !ws[0].Span.From.Equal(sp.From) || !ws[len(ws)-1].Span.To.Equal(sp.To) {
			t.Fatalf("%v: weeks %v … %v do not cover %v", tm, ws[0].Span, ws[len(ws)-1].Span, sp)
		}
		for i, w := range ws {
			if w.No != i+1 || w.Span.To.Sub(w.Span.From) > 7*24*time.Hour || !w.Span.From.Before(w.Span.To) {
				t.Fatalf("%v: week %d is %v", tm, i, w)
			}
			if i > 0 && (!w.Span.From.Equal(ws[i-1].Span.To) || w.Span.From.In(China).Weekday() != time.Monday) {
				t.Fatalf("%v: week %d starts %v", tm, w.No, w.Span.From.In(China))
			}
		}
	}
	// 2025-09-01 is a Monday: the autumn term's first week is whole.
	ws := (Term{2025, Autumn}).Weeks()
	if ws[0].Span.To.Sub(ws[0].Span.From) != 7*24*time.Hour || len(ws) != 22 {
		t.Errorf("autumn 2025: %d weeks, first %v", len(ws), ws[0].Span)
	}
	if w := (Term{2025, Autumn}).WeekOf(china(2026, 1, 31, 23, 30)); w != len(ws) {
		t.Errorf("Jan 31 is in week %d of %d", w, len(ws))
	}
	if w := (Term{2026, Spring}).WeekOf(china(2026, 2, 1, 0, 30)); w != 1 {
		t.Errorf("Feb 1 is in week %d", w)
	}
}
