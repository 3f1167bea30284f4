package placement

import "math"

// ClassReport is the balance of one class.
type ClassReport struct {
	Class     int
	Teacher   string
	Size      int
	Boys      int
	Girls     int
	Special   int
	MeanBirth float64 // days since 1970-01-01
	SDBirth   float64 // days
	MeanScore float64 // points; NaN when no pupil has a score
	SDScore   float64
}

// Report is the balance report: every class, and the max-min spread of
// each figure across classes.
type Report struct {
	Classes []ClassReport
	Spread  ClassReport // max - min of each field across classes (Class and Teacher unused)
}

// Balance computes the balance report of a result.
func Balance(r *Roster, res *Result) Report {
	k := res.Params.Classes
	stats := make([]classStats, k)
	rep := Report{Classes: make([]ClassReport, k)}
	for c := range rep.Classes {
		rep.Classes[c].Class = c + 1
		if c < len(res.Teachers) {
			rep.Classes[c].Teacher = res.Teachers[c]
		}
	}
	for i, p := range r.Pupils {
		c := res.Class[i] - 1
		cr := &rep.Classes[c]
		cr.Size++
		if p.Gender == Male {
			cr.Boys++
		} else {
			cr.Girls++
		}
		if p.Special {
			cr.Special++
		}
		stats[c].add(p.Score, p.HasScore, int64(p.Birth), 1)
	}
	for c := range rep.Classes {
		cr, s := &rep.Classes[c], stats[c]
		cr.MeanBirth, cr.SDBirth = meanSD(s.nAge, s.sumAge, s.sqAge)
		if s.nScore == 0 {
			cr.MeanScore, cr.SDScore = math.NaN(), math.NaN()
		} else {
			m, sd := meanSD(s.nScore, s.sumScore, s.sqScore)
			cr.MeanScore, cr.SDScore = m/100, sd/100
		}
	}
	spreadInt := func(f func(ClassReport) int) int {
		lo, hi := f(rep.Classes[0]), f(rep.Classes[0])
		for _, c := range rep.Classes {
			lo, hi = min(lo, f(c)), max(hi, f(c))
		}
		return hi - lo
	}
	spreadFloat := func(f func(ClassReport) float64) float64 {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, c := range rep.Classes {
			if v := f(c); !math.IsNaN(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		if hi < lo {
			return math.NaN()
		}
		return hi - lo
	}
	rep.Spread = ClassReport{
		Size:      spreadInt(func(c ClassReport) int { return c.Size }),
		Boys:      spreadInt(func(c ClassReport) int { return c.Boys }),
		Girls:     spreadInt(func(c ClassReport) int { return c.Girls }),
		Special:   spreadInt(func(c ClassReport) int { return c.Special }),
		MeanBirth: spreadFloat(func(c ClassReport) float64 { return c.MeanBirth }),
		SDBirth:   spreadFloat(func(c ClassReport) float64 { return c.SDBirth }),
		MeanScore: spreadFloat(func(c ClassReport) float64 { return c.MeanScore }),
		SDScore:   spreadFloat(func(c ClassReport) float64 { return c.SDScore }),
	}
	return rep
}
