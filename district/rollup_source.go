package district

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
	"time"
)

// The district computes the school indicators with the metrics package,
// the one definition of each. It cannot import qiao/metrics, which
// reaches this package through qiao/replica, so the program installs it
// with UseIndicators before opening the database: qiao-district does, and
// so do this package's tests (qiao/internal/districtmetrics, which also
// maps the metrics package's types to the ones below). Without it the
// mirror has no tables and the roll-up is unavailable.

// IndicatorSource is the metrics package as the district uses it.
type IndicatorSource interface {
	// Tables are the synced tables and columns the indicators read (metrics.Tables).
	Tables() []MirrorTable
	// ParseTerm checks a term's name and returns it in canonical form ("2026-autumn").
	ParseTerm(term string) (string, error)
	// CurrentTerm is the name of the term now is in.
	CurrentTerm(now time.Time) string
	// Indicators lists the indicators in display order, with English labels.
	Indicators() []RollupIndicator
	// Headline is the key of the indicator schools are ranked by.
	Headline() string
	// Compute computes the term's indicators of each of schools from
	// their records through q (the district's mirror).
	Compute(ctx context.Context, q Querier, schools []string, term string) (map[string][]Indicator, error)
}

// MirrorTable is a synced table the indicators read: its columns besides
// the synced ones (id, school_id, hlc, origin, deleted).
type MirrorTable struct {
	Name    string
	Columns []MirrorColumn
}

// MirrorColumn is a column of a MirrorTable; Type is "TEXT" or "INTEGER".
type MirrorColumn struct{ Name, Type string }

// Indicator is one school's value of one indicator, with its target.
type Indicator struct {
	Key       string
	Value     float64
	Known     bool // false when an input is missing (e.g. no classrooms entered)
	Target    float64
	HasTarget bool
	OK        bool // Value meets Target
}

// Querier runs a query (the metrics package's Querier).
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

type sourceBox struct{ src IndicatorSource }

var installed atomic.Pointer[sourceBox]

// UseIndicators installs the metrics package. Call it before Open.
func UseIndicators(src IndicatorSource) { installed.Store(&sourceBox{src}) }

// indicators returns the installed source, or nil.
func indicators() IndicatorSource {
	if b := installed.Load(); b != nil {
		return b.src
	}
	return nil
}

// ErrNoIndicators is returned by the roll-up when no IndicatorSource is installed.
var ErrNoIndicators = errors.New("district: this build has no school indicators (UseIndicators was not called)")
