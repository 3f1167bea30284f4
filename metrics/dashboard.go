package metrics

import (
	"context"
	"sort"
)

// Headline is one indicator's number for a school and span, with its
// target.
type Headline struct {
	Key       string  // an indicator key (LessonsHosted …)
	Value     float64 // in the indicator's unit (docs/INDICATORS.md)
	Known     bool    // false when an input is missing (no pupils entered …): show "—"
	Target    float64
	HasTarget bool
	OK        bool // Value meets Target (only with HasTarget)
}

// Headlines computes every indicator of Indicators from one school's
// Aggregates, its checklist and the targets in force.
func Headlines(a *Aggregates, c Checklist, t Targets) []Headline {
	out := make([]Headline, 0, len(Indicators))
	put := func(key string, v float64, known bool, target int64) {
		h := Headline{Key: key, Value: v, Known: known, Target: float64(target), HasTarget: target > 0}
		h.OK = h.HasTarget && known && v >= h.Target
		out = append(out, h)
	}
	rateTarget := func(k string) int64 {
		if t[k] > 0 {
			return 100
		}
		return 0
	}
	met, groups := GroupsMet(a, t[GroupActivities])
	scored := false
	for _, e := range c.Entries {
		scored = scored || e.Scored
	}
	teacherTerm, teacherOK := per100(a.Inventory, TeacherTerminals, Teachers(a))
	pupilTerm, pupilOK := per100(a.Inventory, PupilTerminals, a.Inventory[PupilCount])
	for _, k := range Indicators {
		switch k {
		case LessonsHosted:
			put(k, float64(Hosted(a)), true, t[k])
		case LessonsReceived:
			put(k, float64(Received(a)), true, t[k])
		case LessonHours:
			put(k, Hours(a), true, t[k])
		case SubjectsPerClassroom:
			put(k, SubjectsPerRoom(a), Classrooms(a) > 0, t[k])
		case SubjectRate:
			put(k, Rate(SubjectsPerRoom(a), t[SubjectsPerClassroom]), Classrooms(a) > 0 && t[SubjectsPerClassroom] > 0, rateTarget(SubjectsPerClassroom))
		case LessonsPerClassroom:
			put(k, LessonsPerRoom(a), Classrooms(a) > 0, t[k])
		case LessonRate:
			put(k, Rate(LessonsPerRoom(a), t[LessonsPerClassroom]), Classrooms(a) > 0 && t[LessonsPerClassroom] > 0, rateTarget(LessonsPerClassroom))
		case RemoteServed:
			put(k, float64(Served(a)), true, t[k])
		case RemoteReached:
			put(k, float64(Reached(a)), true, t[k])
		case ActivitiesPerTeacher:
			put(k, AttendancesPerTeacher(a), Teachers(a) > 0, t[k])
		case Participation:
			put(k, ParticipationRate(a), Teachers(a) > 0, t[k])
		case Outputs:
			put(k, float64(AcceptedOutputs(a)), true, t[k])
		case CreditsPerTeacher:
			put(k, TeacherCredits(a), Teachers(a) > 0, t[k])
		case GroupsMeeting:
			put(k, float64(met), groups > 0, groups)
		case ResourcesOpened:
			put(k, float64(LibraryUse(a, "opened")), true, t[k])
		case ResourcesDownloaded:
			put(k, float64(LibraryUse(a, "downloaded")), true, t[k])
		case ResourcesContributed:
			put(k, float64(LibraryUse(a, "contributed")), true, t[k])
		case TeacherTerminals100:
			put(k, teacherTerm, teacherOK, t[k])
		case PupilTerminals100:
			put(k, pupilTerm, pupilOK, t[k])
		case MultimediaRooms:
			put(k, float64(a.Inventory[MultimediaCount]), a.Inventory.Has(MultimediaCount), t[k])
		case ChecklistScore:
			put(k, c.Percent(), scored, t[k])
		}
	}
	return out
}

// per100 is count of kind per 100 of per; false when kind is not entered
// or per is 0.
func per100(inv Inventory, kind string, per int64) (float64, bool) {
	if !inv.Has(kind) || per <= 0 {
		return 0, false
	}
	return 100 * float64(inv[kind]) / float64(per), true
}

// Find returns the headline of key (zero if absent).
func Find(hs []Headline, key string) Headline {
	for _, h := range hs {
		if h.Key == key {
			return h
		}
	}
	return Headline{}
}

// StageOf is the stage whose targets apply: the filtered grade's, else
// the stage most of the school's lessons in a were in ("" with none: the
// all-stage targets).
func StageOf(a *Aggregates, f Filter) string {
	if f.Grade != 0 {
		return StageOfGrade(f.Grade)
	}
	n := map[string]int64{}
	for _, c := range a.Lessons {
		n[StageOfGrade(c.Grade)] += c.Lessons
	}
	best := ""
	for _, s := range []string{Primary, Junior, Senior} {
		if n[s] > n[best] || best == "" && n[s] > 0 {
			best = s
		}
	}
	return best
}

// Breakdown is lessons of one subject or grade.
type Breakdown struct {
	Subject  string // set in BySubject
	Grade    int    // set in ByGrade
	Hosted   int64
	Received int64
	Hours    float64
}

// Weekly lists the indicators the weekly and per-term trends show.
var Weekly = []string{LessonsHosted, LessonsReceived, LessonHours, ActivitiesPerTeacher, Outputs,
	ResourcesOpened, ResourcesDownloaded, ResourcesContributed}

// Dashboard is one school's indicators for a term: the headlines with
// their targets, the term's weeks, the terms before, and the lessons by
// subject and grade.
type Dashboard struct {
	School    string
	Filter    Filter
	Stage     string // whose targets apply
	Targets   Targets
	Headlines []Headline
	Checklist Checklist

	Weeks  []Week
	ByWeek map[string][]float64 // indicator key (of Weekly) → value in each week

	Terms  []Term               // oldest first, ending with Filter.Term
	ByTerm map[string][]float64 // indicator key (of Indicators) → value in each term

	BySubject []Breakdown // most lessons first
	ByGrade   []Breakdown // grade order
}

// TrendTerms is how many terms the per-term trend shows.
const TrendTerms = 6

// Build computes school's dashboard for f from its records through q.
func Build(ctx context.Context, q Querier, school string, f Filter) (*Dashboard, error) {
	d := &Dashboard{School: school, Filter: f, Weeks: f.Term.Weeks(), ByWeek: map[string][]float64{}, ByTerm: map[string][]float64{}}
	spans := make([]Span, len(d.Weeks))
	for i, w := range d.Weeks {
		spans[i] = w.Span
	}
	weekly, err := Load(ctx, q, []string{school}, f, spans)
	if err != nil {
		return nil, err
	}
	total := Merge(weekly[school]...)
	d.Stage = StageOf(total, f)
	if d.Targets, err = LoadTargets(ctx, q, d.Stage); err != nil {
		return nil, err
	}
	d.Terms = f.Term.Last(TrendTerms)
	termSpans := make([]Span, len(d.Terms))
	for i, t := range d.Terms {
		termSpans[i] = t.Span()
	}
	termly, err := Load(ctx, q, []string{school}, f, termSpans)
	if err != nil {
		return nil, err
	}
	for i, t := range d.Terms {
		cs, err := LoadChecklist(ctx, q, []string{school}, t)
		if err != nil {
			return nil, err
		}
		hs := Headlines(termly[school][i], cs[school], d.Targets)
		for _, h := range hs {
			d.ByTerm[h.Key] = append(d.ByTerm[h.Key], h.Value)
		}
		if t == f.Term {
			d.Checklist = cs[school]
		}
	}
	// The term's headlines come from its weeks merged: the same counts as
	// the term's own span (the weeks tile the term exactly).
	d.Headlines = Headlines(total, d.Checklist, d.Targets)
	for _, a := range weekly[school] {
		hs := Headlines(a, d.Checklist, d.Targets)
		for _, k := range Weekly {
			d.ByWeek[k] = append(d.ByWeek[k], Find(hs, k).Value)
		}
	}
	d.BySubject, d.ByGrade = breakdowns(total)
	return d, nil
}

// breakdowns sums the lessons by subject and by grade.
func breakdowns(a *Aggregates) (bySubject, byGrade []Breakdown) {
	subj, grade := map[string]*Breakdown{}, map[int]*Breakdown{}
	for _, c := range a.Lessons {
		s, g := subj[c.Subject], grade[c.Grade]
		if s == nil {
			s = &Breakdown{Subject: c.Subject}
			subj[c.Subject] = s
		}
		if g == nil {
			g = &Breakdown{Grade: c.Grade}
			grade[c.Grade] = g
		}
		for _, b := range []*Breakdown{s, g} {
			if c.Role == "host" {
				b.Hosted += c.Lessons
			} else {
				b.Received += c.Lessons
			}
			b.Hours += float64(c.Seconds) / 3600
		}
	}
	for _, b := range subj {
		bySubject = append(bySubject, *b)
	}
	for _, b := range grade {
		byGrade = append(byGrade, *b)
	}
	sort.Slice(bySubject, func(i, j int) bool {
		x, y := bySubject[i], bySubject[j]
		if x.Hosted+x.Received != y.Hosted+y.Received {
			return x.Hosted+x.Received > y.Hosted+y.Received
		}
		return x.Subject < y.Subject
	})
	sort.Slice(byGrade, func(i, j int) bool { return byGrade[i].Grade < byGrade[j].Grade })
	return bySubject, byGrade
}

// SchoolHeadlines computes the term's headlines of many schools at once
// (the district's roll-up): each school's stage picks its targets.
func SchoolHeadlines(ctx context.Context, q Querier, schools []string, f Filter) (map[string][]Headline, error) {
	aggs, err := Load(ctx, q, schools, f, []Span{f.Term.Span()})
	if err != nil {
		return nil, err
	}
	checklists, err := LoadChecklist(ctx, q, schools, f.Term)
	if err != nil {
		return nil, err
	}
	targets := map[string]Targets{}
	out := map[string][]Headline{}
	for _, s := range schools {
		a := aggs[s][0]
		stage := StageOf(a, f)
		t, ok := targets[stage]
		if !ok {
			if t, err = LoadTargets(ctx, q, stage); err != nil {
				return nil, err
			}
			targets[stage] = t
		}
		out[s] = Headlines(a, checklists[s], t)
	}
	return out, nil
}
