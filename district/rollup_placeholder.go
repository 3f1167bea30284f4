package district

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// querier is metrics.Querier until the metrics package has it.
type indicatorQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// PLACEHOLDER until the metrics package has its indicator functions: a
// few counts, so the roll-up's plumbing can be built and tested. It is
// replaced by calls into metrics (one definition of each indicator).

var rollupHeadline = "lessons_hosted"

var rollupIndicators = []RollupIndicator{
	{"lessons_hosted", "Synchronous lessons hosted"},
	{"research_activities", "Research activities"},
	{"resources_opened", "Resources opened"},
}

var placeholderTargets = map[string]float64{"lessons_hosted": 3}

// termSpan is a term's unix span: autumn from 1 September to 1 February,
// spring from 1 February to 1 September (China time).
func termSpan(term string) (from, to time.Time, err error) {
	y, season, ok := strings.Cut(term, "-")
	year, yerr := strconv.Atoi(y)
	loc := time.FixedZone("CST", 8*3600)
	switch {
	case !ok || yerr != nil || year < 2000 || year > 2200:
	case season == "autumn":
		return time.Date(year, 9, 1, 0, 0, 0, 0, loc), time.Date(year+1, 2, 1, 0, 0, 0, 0, loc), nil
	case season == "spring":
		return time.Date(year, 2, 1, 0, 0, 0, 0, loc), time.Date(year, 9, 1, 0, 0, 0, 0, loc), nil
	}
	return from, to, fmt.Errorf("term %q is not of the form 2026-autumn or 2026-spring", term)
}

func computeIndicators(ctx context.Context, q indicatorQuerier, schools []string, term string) (map[string]schoolIndicators, error) {
	from, to, err := termSpan(term)
	if err != nil {
		return nil, err
	}
	out := map[string]schoolIndicators{}
	for _, s := range schools {
		out[s] = schoolIndicators{Values: map[string]float64{}, Targets: placeholderTargets}
	}
	for _, c := range []struct {
		key, sql string
		args     []any
	}{
		{"lessons_hosted", `SELECT school_id, count(*) FROM classroom_lessons WHERE deleted = 0 AND state <> 'cancelled'
			AND starts_at >= ? AND starts_at < ? GROUP BY school_id`, []any{from.Unix(), to.Unix()}},
		{"research_activities", `SELECT school_id, count(*) FROM research_activities WHERE deleted = 0
			AND day >= ? AND day < ? GROUP BY school_id`, []any{from.Format(time.DateOnly), to.Format(time.DateOnly)}},
		{"resources_opened", `SELECT school_id, count(*) FROM library_events WHERE deleted = 0 AND action = 'opened'
			AND at >= ? AND at < ? GROUP BY school_id`, []any{from.Unix(), to.Unix()}},
	} {
		rows, err := q.QueryContext(ctx, c.sql, c.args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var s string
			var n int64
			if err := rows.Scan(&s, &n); err != nil {
				rows.Close()
				return nil, err
			}
			if si, ok := out[s]; ok {
				si.Values[c.key] = float64(n)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkTerm checks a term's name.
func checkTerm(term string) error {
	_, _, err := termSpan(term)
	return err
}

// currentTerm is the term now is in.
func currentTerm(now time.Time) string {
	now = now.In(time.FixedZone("CST", 8*3600))
	switch {
	case now.Month() >= 9:
		return fmt.Sprintf("%d-autumn", now.Year())
	case now.Month() == 1:
		return fmt.Sprintf("%d-autumn", now.Year()-1)
	}
	return fmt.Sprintf("%d-spring", now.Year())
}
