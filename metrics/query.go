package metrics

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"
)

// Querier runs a query: *sql.DB, *sql.Tx and the district's mirror all do.
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
// that col falls in (-1 if none), with its arguments. Unix columns take
// unix seconds, day columns (text) take China-time dates.
func bucketed(col string, spans []Span, day bool) (string, []any) {
	var b strings.Builder
	var args []any
	b.WriteString("CASE")
	for i, s := range spans {
		b.WriteString(" WHEN " + col + " >= ? AND " + col + " < ? THEN " + strconv.Itoa(i))
		args = append(args, bound(s.From, day), bound(s.To, day))
	}
	b.WriteString(" ELSE -1 END")
	return b.String(), args
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
