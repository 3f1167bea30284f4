package metrics

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"
)

// Querier runs a query: *sql.DB and the district's mirror do. The
// indicators run several queries at once, so it must be safe for
// concurrent use (a *sql.Tx is not).
// The SQL the indicators send is portable between SQLite and PostgreSQL:
// only ? placeholders (the district rebinds them), no date or JSON
// functions, integer arithmetic only.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Filter narrows the indicators: a term (required), and optionally one
// subject and one grade. Research and the inventory do not know subjects
// or grades and ignore those two.
type Filter struct {
	Term    Term
	Subject string // "" for all subjects
	Grade   int    // 0 for all grades
}

// placeholders is "?,?,…" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// anys converts strings to query arguments.
func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// bucketed is a CASE expression giving the index of the span of spans
// (in order, not overlapping) that col falls in (-1 if none), with its
// arguments. Unix columns take unix seconds, day columns (text) take
// China-time dates. The CASEs nest as a binary search, so a row costs
// log2(len(spans)) comparisons, not one per span.
func bucketed(col string, spans []Span, day bool) (string, []any) {
	return bucketTree(col, spans, 0, len(spans)-1, day)
}

func bucketTree(col string, spans []Span, lo, hi int, day bool) (string, []any) {
	if lo == hi {
		s := spans[lo]
		return "CASE WHEN " + col + " >= ? AND " + col + " < ? THEN " + strconv.Itoa(lo) + " ELSE -1 END",
			[]any{bound(s.From, day), bound(s.To, day)}
	}
	mid := (lo + hi + 1) / 2
	left, largs := bucketTree(col, spans, lo, mid-1, day)
	right, rargs := bucketTree(col, spans, mid, hi, day)
	args := append(append([]any{bound(spans[mid].From, day)}, largs...), rargs...)
	return "CASE WHEN " + col + " < ? THEN " + left + " ELSE " + right + " END", args
}

// within is "col >= ? AND col < ?" over the whole of spans (which are in
// order), with its arguments.
func within(col string, spans []Span, day bool) (string, []any) {
	return col + " >= ? AND " + col + " < ?", []any{bound(spans[0].From, day), bound(spans[len(spans)-1].To, day)}
}

func bound(t time.Time, day bool) any {
	if day {
		return Day(t)
	}
	return t.Unix()
}

// scanAll runs q and calls row for each row's values scanned into dest.
func scanAll(ctx context.Context, db Querier, q string, args []any, dest []any, row func() error) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if err := row(); err != nil {
			return err
		}
	}
	return rows.Err()
}
