package district

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"sync"
	"time"

	"qiao/metrics"
)

// The district's roll-up of the school indicators (学校数据): the same
// indicators each school's dashboard shows, computed by the metrics
// package over the
// district's mirror of every school's synced rows (mirror.go), each query
// serving all schools at once. Schools are ranked by the headline
// indicator (课时达标率), highest first; schools with the same value
// share a rank (1, 2, 2, 4) and are listed by name, then id; schools
// whose headline is unknown (no classrooms) come last, unranked (rank 0).
// The district average of an indicator is the plain mean of the values
// the schools have (every school counts once, whatever its size).

// RollupIndicator is one column of the roll-up.
type RollupIndicator struct {
	Key   string `json:"key"`   // metrics' indicator key
	Label string `json:"label"` // English, for the status page and the .xlsx
}

// RollupSchool is one school's line.
type RollupSchool struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Rank int    `json:"rank"` // 0: its headline is unknown
	// Values are the school's indicators by key; an indicator whose input
	// is missing (e.g. no pupils entered) is absent.
	Values map[string]float64 `json:"values"`
	// Targets are the targets the school is held to (by its stage), by
	// indicator; Below lists the indicators under their target.
	Targets map[string]float64 `json:"targets"`
	Below   []string           `json:"below"`
}

// Rollup is the district's table of schools for a term.
type Rollup struct {
	Term       string             `json:"term"`
	Headline   string             `json:"headline"` // the indicator schools are ranked by
	Indicators []RollupIndicator  `json:"indicators"`
	Schools    []RollupSchool     `json:"schools"` // in rank order
	Averages   map[string]float64 `json:"averages"`
	At         time.Time          `json:"at"` // when it was computed
}

// IsBelow reports whether school s is under target on indicator key.
func (s RollupSchool) IsBelow(key string) bool {
	for _, k := range s.Below {
		if k == key {
			return true
		}
	}
	return false
}

// mirrorQuerier runs the metrics package's SQL on the mirror through the
// read pool, with ? rebound for PostgreSQL. The metrics package runs its
// queries at once, so they cannot share one transaction (a *sql.Tx is one
// connection): a sync that commits meanwhile may show in some numbers of
// a roll-up and not yet in others; the next roll-up has it everywhere.
type mirrorQuerier struct{ d *DB }

func (m mirrorQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return m.d.read.QueryContext(ctx, m.d.q(query), args...)
}

// TermError is a term name the metrics package does not read.
type TermError struct{ Err error }

func (e *TermError) Error() string { return e.Err.Error() }
func (e *TermError) Unwrap() error { return e.Err }

// ParseTerm checks a term's name ("2026-autumn") and returns it in
// canonical form; a bad name is a *TermError.
func ParseTerm(term string) (string, error) {
	t, err := metrics.ParseTerm(term)
	if err != nil {
		return "", &TermError{err}
	}
	return t.Key(), nil
}

// Rollup computes the roll-up of term (e.g. "2026-autumn") from one
// snapshot of the mirror.
func (d *DB) Rollup(ctx context.Context, term string, now time.Time) (Rollup, error) {
	term, err := ParseTerm(term)
	if err != nil {
		return Rollup{}, err
	}
	r := Rollup{Term: term, Headline: RollupHeadline, Indicators: rollupIndicators(), Averages: map[string]float64{}, At: now}
	var schools []School
	rows, err := d.read.QueryContext(ctx, d.q(statusSchoolsSQL))
	if err != nil {
		return r, err
	}
	for rows.Next() {
		var s School
		if err := rows.Scan(&s.ID, &s.Name, &s.Code); err != nil {
			rows.Close()
			return r, err
		}
		schools = append(schools, s)
	}
	if err := rows.Close(); err != nil {
		return r, err
	}
	ids := make([]string, len(schools))
	for i, s := range schools {
		ids[i] = s.ID
	}
	t, _ := metrics.ParseTerm(term) // checked above
	got, err := metrics.SchoolHeadlines(ctx, mirrorQuerier{d}, ids, metrics.Filter{Term: t})
	if err != nil {
		return r, fmt.Errorf("district: roll-up of %s: %w", term, err)
	}
	known := map[string]int{}
	r.Schools = make([]RollupSchool, 0, len(schools))
	for _, s := range schools {
		line := RollupSchool{ID: s.ID, Name: s.Name, Values: map[string]float64{}, Targets: map[string]float64{}, Below: []string{}}
		for _, ind := range got[s.ID] {
			if ind.HasTarget {
				line.Targets[ind.Key] = ind.Target
			}
			if !ind.Known {
				continue
			}
			line.Values[ind.Key] = ind.Value
			r.Averages[ind.Key] += ind.Value
			known[ind.Key]++
			if ind.HasTarget && !ind.OK {
				line.Below = append(line.Below, ind.Key)
			}
		}
		r.Schools = append(r.Schools, line)
	}
	for k, n := range known {
		r.Averages[k] /= float64(n)
	}
	rank(r.Schools, r.Headline)
	return r, nil
}

// rank sorts schools by the headline value, highest first, then name and
// id, and numbers them; equal values share a rank; schools without a
// headline value come last with rank 0.
func rank(ss []RollupSchool, headline string) {
	sort.SliceStable(ss, func(i, j int) bool {
		a, b := ss[i], ss[j]
		va, oka := a.Values[headline]
		vb, okb := b.Values[headline]
		if oka != okb {
			return oka
		}
		if va != vb {
			return va > vb
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
	for i := range ss {
		v, ok := ss[i].Values[headline]
		switch {
		case !ok:
			ss[i].Rank = 0
		case i > 0 && ss[i-1].Rank > 0 && v == ss[i-1].Values[headline]:
			ss[i].Rank = ss[i-1].Rank
		default:
			ss[i].Rank = i + 1
		}
	}
}

// rollupCache keeps each term's roll-up for rollupFresh, so that devices
// asking for their rank after every sync do not recompute it each time.
type rollupCache struct {
	mu    sync.Mutex
	terms map[string]Rollup
}

const rollupFresh = 5 * time.Minute

// get returns term's roll-up, computing it if the kept one is older than
// rollupFresh.
func (c *rollupCache) get(ctx context.Context, d *DB, term string, now time.Time) (Rollup, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.terms[term]; ok && now.Sub(r.At) < rollupFresh && !now.Before(r.At) {
		return r, nil
	}
	r, err := d.Rollup(ctx, term, now)
	if err != nil {
		return r, err
	}
	if c.terms == nil || len(c.terms) > 16 {
		c.terms = map[string]Rollup{}
	}
	c.terms[term] = r
	return r, nil
}
