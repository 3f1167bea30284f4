package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"qiao/research"
)

// Aggregates are the small sums one school's records come to over one
// span: what SQL counts (grouped by school, span, subject, grade, role,
// device …), from which the indicators are computed in Go. Merge adds
// spans together (a term from its weeks).
type Aggregates struct {
	School string
	Span   Span

	// Synchronous lessons, from the school's attendance rows.
	Lessons []LessonCell
	Served  map[string]int64 // remote school id → lessons hosted and ended that invited it
	Reached map[string]int64 // lead school id → lessons received from it

	// Research, from the school's own research rows.
	Teachers    int64            // teachers on the school's research roster
	Active      map[string]int64 // teacher id → activities attended (roster teachers only)
	Attendances []AttendanceCell // attendances by activity kind and length, for credits
	Groups      map[string]int64 // research group id → activities held in the span (0 for a group of the span's years that held none)
	Outputs     []OutputCell     // research outputs by kind and state
	Library     map[string]int64 // library action → events
	Inventory   Inventory        // what the school entered (not per span)
	Rules       map[string]map[string]research.Rule
}

// LessonCell counts lessons of one role, subject, grade and classroom.
// A lesson counts in the span of its first stay (its earliest joined_at).
type LessonCell struct {
	Role    string // "host" or "remote"
	Subject string
	Grade   int
	Device  string // the classroom's device (the attendance rows' origin)
	Lessons int64
	Seconds int64
}

// AttendanceCell counts attendances at activities of one kind and length.
type AttendanceCell struct {
	Kind    string
	Minutes int
	N       int64
}

// OutputCell counts research outputs of one kind and state.
type OutputCell struct {
	Kind, State string
	N           int64
}

func newAggregates(school string, sp Span) *Aggregates {
	return &Aggregates{School: school, Span: sp, Served: map[string]int64{}, Reached: map[string]int64{},
		Active: map[string]int64{}, Groups: map[string]int64{}, Library: map[string]int64{}, Inventory: Inventory{}}
}

// Merge adds parts (of one school) into one Aggregates spanning them all.
func Merge(parts ...*Aggregates) *Aggregates {
	if len(parts) == 0 {
		return newAggregates("", Span{})
	}
	out := newAggregates(parts[0].School, Span{parts[0].Span.From, parts[len(parts)-1].Span.To})
	out.Teachers, out.Inventory, out.Rules = parts[0].Teachers, parts[0].Inventory, parts[0].Rules
	add := func(dst, src map[string]int64) {
		for k, v := range src {
			dst[k] += v
		}
	}
	for _, p := range parts {
		out.Lessons = append(out.Lessons, p.Lessons...)
		out.Attendances = append(out.Attendances, p.Attendances...)
		out.Outputs = append(out.Outputs, p.Outputs...)
		add(out.Served, p.Served)
		add(out.Reached, p.Reached)
		add(out.Active, p.Active)
		add(out.Groups, p.Groups)
		add(out.Library, p.Library)
	}
	return out
}

// Load counts the records of each school over each of spans (in order,
// not overlapping): result[school][i] is spans[i]. Subject and grade of f
// narrow the lessons and library events; f.Term is not used (spans say
// the time). Every query groups by school, so one call serves the
// district's roll-up of every school.
func Load(ctx context.Context, q Querier, schools []string, f Filter, spans []Span) (map[string][]*Aggregates, error) {
	return load(ctx, q, schools, f, spans, readCounts|readAttendance)
}

// reads says what a load reads.
type reads int

const (
	// readCounts: everything but research attendance (Active and Attendances
	// stay empty; the per-term trend of earlier terms and a term's weeks:
	// reading three years of research attendance costs more than the rest
	// of the dashboard).
	readCounts reads = 1 << iota
	// readAttendance: the research roster and its attendance only.
	readAttendance
)

// load is Load of what.
func load(ctx context.Context, q Querier, schools []string, f Filter, spans []Span, what reads) (map[string][]*Aggregates, error) {
	out := map[string][]*Aggregates{}
	for _, s := range schools {
		out[s] = make([]*Aggregates, len(spans))
		for i, sp := range spans {
			out[s][i] = newAggregates(s, sp)
		}
	}
	if len(schools) == 0 || len(spans) == 0 {
		return out, nil
	}
	l := loader{ctx: ctx, q: q, schools: schools, f: f, spans: spans, out: out}
	// The steps write different fields of the Aggregates and run at once,
	// each query on its own connection; attendance needs the roster.
	steps := []func() error{func() error {
		if err := l.teachers(); err != nil || what&readAttendance == 0 {
			return err
		}
		return l.attendance()
	}}
	if what&readCounts != 0 {
		steps = append(steps, l.lessons, l.served, l.groups, l.outputs, l.library, l.inventory, l.rules)
	}
	if err := parallel(steps...); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return out, nil
}

// parallel runs fns at once and returns the first error.
func parallel(fns ...func() error) error {
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

type loader struct {
	ctx     context.Context
	q       Querier
	schools []string
	f       Filter
	spans   []Span
	out     map[string][]*Aggregates
	roster  map[string]map[string]bool // school → its research roster's teacher ids
}

func (l *loader) schoolsIn(col string) (string, []any) {
	return col + ` IN (` + placeholders(len(l.schools)) + `)`, anys(l.schools)
}

// lessonWhere filters by school, subject and grade.
func (l *loader) lessonWhere(alias string) (string, []any) {
	w, args := l.schoolsIn(alias + ".school_id")
	w = alias + ".deleted = 0 AND " + w
	if l.f.Subject != "" {
		w += " AND " + alias + ".subject = ?"
		args = append(args, l.f.Subject)
	}
	if l.f.Grade != 0 {
		w += " AND " + alias + ".grade = ?"
		args = append(args, l.f.Grade)
	}
	return w, args
}

// StayMargin is how far before or after a span the stays of a lesson
// that counts in the span are looked for: a lesson counts in the span of
// its first stay, with the seconds of all its stays, and a lesson resumed
// after a crash (classroom.Resume) has its stays within a day.
const StayMargin = 24 * time.Hour

// lessons counts each lesson once per role, in the span of its first
// stay; for received lessons, per lead school too.
func (l *loader) lessons() error {
	where, args := l.lessonWhere("a")
	caseExpr, caseArgs := bucketed("x.first", l.spans, false)
	from, to := l.spans[0].From.Add(-StayMargin), l.spans[len(l.spans)-1].To.Add(StayMargin)
	q := `SELECT x.school_id, ` + caseExpr + `, x.role, x.host_school, x.subject, x.grade, x.device, count(*), sum(x.secs) FROM (
		SELECT a.school_id AS school_id, a.role AS role, a.host_school AS host_school, a.subject AS subject, a.grade AS grade,
			min(a.origin) AS device, sum(a.seconds) AS secs, min(a.joined_at) AS first
		FROM classroom_attendance a WHERE ` + where + ` AND a.joined_at >= ? AND a.joined_at < ?
		GROUP BY a.school_id, a.lesson_id, a.role, a.host_school, a.subject, a.grade) x
		GROUP BY 1, 2, 3, 4, 5, 6, 7`
	var school, host string
	var bucket int
	var c LessonCell
	return scanAll(l.ctx, l.q, q, append(append(caseArgs, args...), from.Unix(), to.Unix()),
		[]any{&school, &bucket, &c.Role, &host, &c.Subject, &c.Grade, &c.Device, &c.Lessons, &c.Seconds}, func() error {
			if bucket >= 0 && l.out[school] != nil {
				a := l.out[school][bucket]
				a.Lessons = append(a.Lessons, c)
				if c.Role == "remote" {
					a.Reached[host] += c.Lessons
				}
			}
			return nil
		})
}

// grouped runs SELECT school_id, bucket, cols…, aggs… over an inner query
// of table m (joins allowed in from) bucketed by col.
func (l *loader) grouped(from, col string, day bool, where string, whereArgs []any, cols, aggs string, dest []any, row func(a *Aggregates) error) error {
	caseExpr, caseArgs := bucketed(col, l.spans, day)
	rangeExpr, rangeArgs := within(col, l.spans, day)
	n := strings.Count(cols, ",") + 1
	ordinals := "1, 2"
	for i := 3; i <= n+2; i++ {
		ordinals += ", " + strconv.Itoa(i)
	}
	q := `SELECT m.school_id, ` + caseExpr + `, ` + cols + `, ` + aggs + ` FROM ` + from + ` WHERE ` + where + ` AND ` + rangeExpr + `
		GROUP BY ` + ordinals
	var school string
	var bucket int
	return scanAll(l.ctx, l.q, q, append(append(caseArgs, whereArgs...), rangeArgs...), append([]any{&school, &bucket}, dest...), func() error {
		if bucket >= 0 && l.out[school] != nil {
			return row(l.out[school][bucket])
		}
		return nil
	})
}

// served counts, per remote school, the hosted lessons that ended and invited it.
func (l *loader) served() error {
	where, args := l.lessonWhere("m")
	var remote string
	var n int64
	return l.grouped("classroom_lessons m", "m.starts_at", false, where+" AND m.state = 'ended'", args,
		"m.remote_schools", "count(*)", []any{&remote, &n}, func(a *Aggregates) error {
			var ids []string
			if err := json.Unmarshal([]byte(remote), &ids); err != nil {
				return nil // the table's CHECK keeps this valid JSON; a mirror's bad row counts for nothing
			}
			for _, id := range ids {
				a.Served[id] += n
			}
			return nil
		})
}

// teachers reads each school's research roster.
func (l *loader) teachers() error {
	w, args := l.schoolsIn("school_id")
	l.roster = map[string]map[string]bool{}
	var school, id string
	err := scanAll(l.ctx, l.q, `SELECT school_id, id FROM research_teachers WHERE deleted = 0 AND `+w, args, []any{&school, &id}, func() error {
		if l.roster[school] == nil {
			l.roster[school] = map[string]bool{}
		}
		l.roster[school][id] = true
		return nil
	})
	for s, as := range l.out {
		for _, a := range as {
			a.Teachers = int64(len(l.roster[s]))
		}
	}
	return err
}

// attendance counts the roster teachers' attendances at the school's
// activities (other schools' teachers who came are not counted).
func (l *loader) attendance() error {
	w, args := l.schoolsIn("m.school_id")
	from := `research_activities m JOIN research_attendance t ON t.activity_id = m.id AND t.deleted = 0`
	var teacher, kind string
	var minutes int
	var n int64
	return l.grouped(from, "m.day", true, "m.deleted = 0 AND "+w, args, "t.teacher_id, m.kind, m.minutes", "count(*)",
		[]any{&teacher, &kind, &minutes, &n}, func(a *Aggregates) error {
			if l.roster[a.School][teacher] {
				a.Active[teacher] += n
				a.Attendances = append(a.Attendances, AttendanceCell{kind, minutes, n})
			}
			return nil
		})
}

// groups counts activities per research group, and lists the groups of
// each span's years with none.
func (l *loader) groups() error {
	w, args := l.schoolsIn("m.school_id")
	var group string
	var n int64
	if err := l.grouped("research_activities m", "m.day", true, "m.deleted = 0 AND "+w, args, "m.group_id", "count(*)",
		[]any{&group, &n}, func(a *Aggregates) error { a.Groups[group] += n; return nil }); err != nil {
		return err
	}
	w, args = l.schoolsIn("school_id")
	var school string
	var year int
	return scanAll(l.ctx, l.q, `SELECT school_id, id, year FROM research_groups WHERE deleted = 0 AND `+w, args,
		[]any{&school, &group, &year}, func() error {
			for _, a := range l.out[school] {
				if year == a.Span.From.In(China).Year() || year == a.Span.To.Add(-1).In(China).Year() {
					a.Groups[group] += 0
				}
			}
			return nil
		})
}

// outputs counts the school's research outputs by kind and state.
func (l *loader) outputs() error {
	w, args := l.schoolsIn("m.school_id")
	var c OutputCell
	return l.grouped("research_outputs m", "m.day", true, "m.deleted = 0 AND "+w, args, "m.kind, m.state", "count(*)",
		[]any{&c.Kind, &c.State, &c.N}, func(a *Aggregates) error { a.Outputs = append(a.Outputs, c); return nil })
}

// library counts usage events; a subject or grade filter keeps the events
// of entries of that subject or grade.
func (l *loader) library() error {
	w, args := l.schoolsIn("m.school_id")
	from, where := "library_events m", "m.deleted = 0 AND "+w
	if l.f.Subject != "" || l.f.Grade != 0 {
		from += " JOIN library_entries e ON e.id = m.entry_id"
		if l.f.Subject != "" {
			where += " AND e.subject = ?"
			args = append(args, l.f.Subject)
		}
		if l.f.Grade != 0 {
			where += " AND e.grade = ?"
			args = append(args, l.f.Grade)
		}
	}
	var action string
	var n int64
	return l.grouped(from, "m.at", false, where, args, "m.action", "count(*)", []any{&action, &n},
		func(a *Aggregates) error { a.Library[action] += n; return nil })
}

func (l *loader) inventory() error {
	inv, err := LoadInventory(l.ctx, l.q, l.schools)
	if err != nil {
		return err
	}
	for s, as := range l.out {
		for _, a := range as {
			a.Inventory = inv[s]
		}
	}
	return nil
}

// rules are research's credit rules in force for each school: the
// defaults, overlaid with the district's, then with the school's own.
func (l *loader) rules() error {
	own := map[string][]research.CreditRule{}
	var school string
	var r research.CreditRule
	var perHour int64 // read as a number: the district's mirror has no CHECK (per_hour IN (0, 1))
	w, args := l.schoolsIn("school_id")
	err := scanAll(l.ctx, l.q, `SELECT school_id, target, kind, credits, per_hour FROM research_credit_rules
		WHERE deleted = 0 AND (school_id = '' OR `+w+`) ORDER BY hlc`, args,
		[]any{&school, &r.Target, &r.Kind, &r.Rule.Credits, &perHour}, func() error {
			r.Rule.PerHour = perHour != 0
			own[school] = append(own[school], r)
			return nil
		})
	if err != nil {
		return err
	}
	base := research.Overlay(research.DefaultRules, own[""])
	for s, as := range l.out {
		rules := base
		if len(own[s]) > 0 {
			rules = research.Overlay(base, own[s])
		}
		for _, a := range as {
			a.Rules = rules
		}
	}
	return nil
}
