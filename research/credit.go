package research

import (
	"context"
	"database/sql"
	"errors"
	"sort"

	"qiao/store"
)

// Rule says how many credits (in hundredths) an activity kind earns each
// attendee, or an output kind earns its author once accepted.
type Rule struct {
	Credits int64 // hundredths of a credit
	PerHour bool  // per hour of the activity rather than per activity
}

// Rule targets.
const (
	TargetActivity = "activity"
	TargetOutput   = "output"
)

// DefaultRules are used for any kind the district has set no rule for.
// docs/research.md explains them.
var DefaultRules = map[string]map[string]Rule{
	TargetActivity: {
		"personal_plan": {50, false}, "ethics": {100, false}, "lesson_prep": {100, false}, "observe": {100, false},
		"polish": {150, false}, "reflection": {50, false}, "skills": {50, true}, "inquiry": {100, false},
		"lecture": {50, true}, "reading": {50, false}, "mentoring": {100, false}, "online": {50, true},
	},
	TargetOutput: {
		"lesson_plan": {100, false}, "lesson_case": {200, false}, "micro_lesson": {200, false},
		"paper": {300, false}, "reflection": {50, false}, "award": {300, false},
	},
}

// Rules returns the rules in force: the defaults overlaid with the
// district's and school's own.
func (s *Service) Rules(ctx context.Context) (map[string]map[string]Rule, error) {
	rows, err := s.st.DB.QueryContext(ctx, `SELECT target, kind, credits, per_hour FROM research_credit_rules WHERE deleted=0 ORDER BY hlc`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var set []CreditRule
	for rows.Next() {
		var r CreditRule
		if err := rows.Scan(&r.Target, &r.Kind, &r.Rule.Credits, &r.Rule.PerHour); err != nil {
			return nil, err
		}
		set = append(set, r)
	}
	return Overlay(DefaultRules, set), rows.Err()
}

// CreditRule is a rule the district or a school set for one kind.
type CreditRule struct {
	Target, Kind string
	Rule         Rule
}

// Overlay returns a copy of base with set laid over it, later rules
// winning (the indicators overlay the district's rules, then a school's).
func Overlay(base map[string]map[string]Rule, set []CreditRule) map[string]map[string]Rule {
	out := map[string]map[string]Rule{}
	for t, m := range base {
		out[t] = map[string]Rule{}
		for k, r := range m {
			out[t][k] = r
		}
	}
	for _, r := range set {
		if out[r.Target] == nil {
			out[r.Target] = map[string]Rule{}
		}
		out[r.Target][r.Kind] = r.Rule
	}
	return out
}

// SetRule sets the rule for a kind. District-wide rules have an empty school id.
func (s *Service) SetRule(ctx context.Context, target, kind string, r Rule) error {
	if target != TargetActivity && target != TargetOutput || r.Credits < 0 || kind == "" {
		return ErrKind
	}
	return s.st.Update(ctx, func(tx *store.Tx) error {
		var id string
		err := tx.QueryRowContext(ctx, `SELECT id FROM research_credit_rules WHERE target=? AND kind=? AND deleted=0`, target, kind).Scan(&id)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err = tx.Put("research_credit_rules", s.schoolID, id, store.Fields{"target": target, "kind": kind,
			"credits": r.Credits, "per_hour": r.PerHour})
		return err
	})
}

// CustomKinds returns the district-defined kinds (custom:NAME) known for
// target: those with a rule, and for activities those already logged;
// each once, sorted by name.
func (s *Service) CustomKinds(ctx context.Context, target string) ([]string, error) {
	if target != TargetActivity && target != TargetOutput {
		return nil, ErrKind
	}
	// kind >= 'custom:' AND kind < 'custom;' is the prefix test, usable by an index.
	q := `SELECT kind FROM research_credit_rules WHERE target=? AND deleted=0 AND kind >= 'custom:' AND kind < 'custom;'`
	args := []any{target}
	if target == TargetActivity {
		q += ` UNION SELECT kind FROM research_activities WHERE deleted=0 AND kind >= 'custom:' AND kind < 'custom;'`
	}
	rows, err := s.st.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	seen := map[string]bool{}
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		if name, ok := CustomName(k); ok && name != "" && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// ActivityCredits is what one attendee earns for an activity of kind
// lasting minutes under rules: per hour rules pay for the time, rounded
// to the nearest hundredth.
func ActivityCredits(rules map[string]map[string]Rule, kind string, minutes int) int64 {
	r := rules[TargetActivity][kind]
	if r.PerHour {
		return (r.Credits*int64(minutes) + 30) / 60
	}
	return r.Credits
}

// OutputCredits is what an output earns; only accepted outputs earn.
func OutputCredits(rules map[string]map[string]Rule, kind, state string) int64 {
	if state != Accepted {
		return 0
	}
	return rules[TargetOutput][kind].Credits
}
