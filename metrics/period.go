package metrics

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// China is the time zone every period is in (UTC+8, no daylight saving).
var China = time.FixedZone("CST", 8*3600)

// Season is the half of the school year a term is.
type Season int

// Seasons: 秋季学期 runs Sep 1 – Jan 31, 春季学期 Feb 1 – Aug 31 (the
// summer belongs to the spring term, the winter holiday to the autumn).
const (
	Autumn Season = iota
	Spring
)

// Term is a school term (学期). Year is the calendar year it starts in:
// the autumn term of 2025 runs from 2025-09-01 to 2026-01-31.
type Term struct {
	Year   int
	Season Season
}

// Span is a period [From, To).
type Span struct{ From, To time.Time }

// Contains reports whether t is in the span.
func (s Span) Contains(t time.Time) bool { return !t.Before(s.From) && t.Before(s.To) }

// TermOf is the term that t (any zone) falls in, in China time.
func TermOf(t time.Time) Term {
	t = t.In(China)
	switch m := t.Month(); {
	case m >= time.September:
		return Term{t.Year(), Autumn}
	case m == time.January:
		return Term{t.Year() - 1, Autumn}
	default:
		return Term{t.Year(), Spring}
	}
}

// Span is the term's period: midnight China time of its first day to
// midnight after its last.
func (t Term) Span() Span {
	if t.Season == Autumn {
		return Span{time.Date(t.Year, time.September, 1, 0, 0, 0, 0, China), time.Date(t.Year+1, time.February, 1, 0, 0, 0, 0, China)}
	}
	return Span{time.Date(t.Year, time.February, 1, 0, 0, 0, 0, China), time.Date(t.Year, time.September, 1, 0, 0, 0, 0, China)}
}

// Prev is the term before t.
func (t Term) Prev() Term {
	if t.Season == Autumn {
		return Term{t.Year, Spring}
	}
	return Term{t.Year - 1, Autumn}
}

// Next is the term after t.
func (t Term) Next() Term {
	if t.Season == Autumn {
		return Term{t.Year + 1, Spring}
	}
	return Term{t.Year, Autumn}
}

// Last returns the n terms ending with t, oldest first.
func (t Term) Last(n int) []Term {
	out := make([]Term, n)
	for i := n - 1; i >= 0; i-- {
		out[i] = t
		t = t.Prev()
	}
	return out
}

// Key is the term's stable name, as the checklist scores store it:
// "2025-autumn", "2026-spring".
func (t Term) Key() string {
	if t.Season == Autumn {
		return strconv.Itoa(t.Year) + "-autumn"
	}
	return strconv.Itoa(t.Year) + "-spring"
}

// String is the key.
func (t Term) String() string { return t.Key() }

// SchoolYear is the school year (学年) the term belongs to, "2025-2026".
func (t Term) SchoolYear() string {
	y := t.Year
	if t.Season == Spring {
		y--
	}
	return fmt.Sprintf("%d-%d", y, y+1)
}

// ParseTerm reads a term key ("2025-autumn").
func ParseTerm(s string) (Term, error) {
	y, season, ok := strings.Cut(strings.TrimSpace(s), "-")
	n, err := strconv.Atoi(y)
	if !ok || err != nil || n < 1970 || n > 9999 {
		return Term{}, fmt.Errorf("metrics: %q is not a term (2025-autumn, 2026-spring)", s)
	}
	switch season {
	case "autumn":
		return Term{n, Autumn}, nil
	case "spring":
		return Term{n, Spring}, nil
	}
	return Term{}, fmt.Errorf("metrics: %q is not a term (2025-autumn, 2026-spring)", s)
}

// Week is a Monday-based week in China time, clipped to the term it is
// listed for (the first and last week of a term may be short).
type Week struct {
	No   int // 1 for the term's first week
	Span Span
}

// Weeks lists the term's weeks.
func (t Term) Weeks() []Week {
	sp := t.Span()
	var out []Week
	for from := sp.From; from.Before(sp.To); {
		to := mondayAfter(from)
		if to.After(sp.To) {
			to = sp.To
		}
		out = append(out, Week{No: len(out) + 1, Span: Span{from, to}})
		from = to
	}
	return out
}

// WeekOf is the number of the week of t within term t's weeks (1-based),
// or 0 if t is not in the term.
func (t Term) WeekOf(at time.Time) int {
	for _, w := range t.Weeks() {
		if w.Span.Contains(at) {
			return w.No
		}
	}
	return 0
}

// mondayAfter is midnight China time of the first Monday after t's day.
func mondayAfter(t time.Time) time.Time {
	t = t.In(China)
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, China)
	n := (8 - int(d.Weekday())) % 7
	if n == 0 {
		n = 7
	}
	return d.AddDate(0, 0, n)
}

// Day is the China-time date of t as the research tables write it.
func Day(t time.Time) string { return t.In(China).Format("2006-01-02") }

// Stage is a school stage (学段) as the targets name it.
const (
	Primary = "小学"
	Junior  = "初中"
	Senior  = "高中"
)

// StageOfGrade is the stage of a grade 1–12 ("" otherwise).
func StageOfGrade(g int) string {
	switch {
	case g >= 1 && g <= 6:
		return Primary
	case g >= 7 && g <= 9:
		return Junior
	case g >= 10 && g <= 12:
		return Senior
	}
	return ""
}
