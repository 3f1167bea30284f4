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
	teacherTerm, teacherOK := TerminalsPer100(a, TeacherTerminals)
	pupilTerm, pupilOK := TerminalsPer100(a, PupilTerminals)
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
		case ResearchActivities:
			put(k, float64(ActivitiesHeld(a)), true, t[k])
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

// Weekly lists the indicators the weekly trend shows.
var Weekly = []string{LessonsHosted, LessonsReceived, LessonHours, ResearchActivities, Outputs,
	ResourcesOpened, ResourcesDownloaded, ResourcesContributed}

// Trend lists the indicators the per-term trend shows: all but those
// from research attendance (per teacher, participation, credits), whose
// three years of rows cost more than the rest of the dashboard; the
// headlines show them for the term.
var Trend = func() []string {
	var out []string
	for _, k := range Indicators {
		if k != ActivitiesPerTeacher && k != Participation && k != CreditsPerTeacher {
			out = append(out, k)
		}
	}
	return out
}()

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

	Terms  []Term               // oldest first, ending with Filter.Term (after LoadTrend)
	ByTerm map[string][]float64 // indicator key (of Trend) → value in each term (after LoadTrend)

	BySubject []Breakdown // most lessons first
	ByGrade   []Breakdown // grade order

	total *Aggregates // the term's counts, for LoadTrend
}

// TrendTerms is how many terms the per-term trend shows.
const TrendTerms = 6

// Build computes school's dashboard for f from its records through q:
// the term's headlines, weeks and breakdowns (LoadTrend adds the terms
// before). The term's weeks are read in one pass, its research
// attendance in another, at once.
func Build(ctx context.Context, q Querier, school string, f Filter) (*Dashboard, error) {
	return build(ctx, q, school, f, false)
}

// BuildWithTrend is Build and LoadTrend in one: the earlier terms are read
// while the term's research attendance, the longest read, goes on.
func BuildWithTrend(ctx context.Context, q Querier, school string, f Filter) (*Dashboard, error) {
	return build(ctx, q, school, f, true)
}

func build(ctx context.Context, q Querier, school string, f Filter, trend bool) (*Dashboard, error) {
	d := &Dashboard{School: school, Filter: f, Weeks: f.Term.Weeks(), ByWeek: map[string][]float64{}}
	spans := make([]Span, len(d.Weeks))
	for i, w := range d.Weeks {
		spans[i] = w.Span
	}
	var weekly, term map[string][]*Aggregates
	var checklists map[string]Checklist
	var past pastTerms
	err := parallel(func() (err error) {
		weekly, err = load(ctx, q, []string{school}, f, spans, readCounts)
		return err
	}, func() (err error) {
		term, err = load(ctx, q, []string{school}, f, []Span{f.Term.Span()}, readAttendance)
		return err
	}, func() (err error) {
		checklists, err = LoadChecklist(ctx, q, []string{school}, f.Term)
		return err
	}, func() (err error) {
		if trend {
			past, err = loadPast(ctx, q, school, f)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	// The weeks tile the term: merged, they are the term's counts.
	d.total = Merge(weekly[school]...)
	d.total.Active, d.total.Attendances = term[school][0].Active, term[school][0].Attendances
	d.Checklist = checklists[school]
	d.Stage = StageOf(d.total, f)
	if d.Targets, err = LoadTargets(ctx, q, d.Stage); err != nil {
		return nil, err
	}
	d.Headlines = Headlines(d.total, d.Checklist, d.Targets)
	for _, a := range weekly[school] {
		hs := Headlines(a, d.Checklist, d.Targets)
		for _, k := range Weekly {
			d.ByWeek[k] = append(d.ByWeek[k], Find(hs, k).Value)
		}
	}
	d.BySubject, d.ByGrade = breakdowns(d.total)
	if trend {
		d.fillTrend(past)
	}
	return d, nil
}

// LoadTrend fills Terms and ByTerm: the indicators of Trend in each of
// the TrendTerms terms ending with the dashboard's, under the same
// filter and targets. The earlier terms are read in one pass.
func (d *Dashboard) LoadTrend(ctx context.Context, q Querier) error {
	past, err := loadPast(ctx, q, d.School, d.Filter)
	if err != nil {
		return err
	}
	d.fillTrend(past)
	return nil
}

// pastTerms is what the trend needs of the terms before the dashboard's.
type pastTerms struct {
	terms      []Term // all the trend's terms, oldest first, the dashboard's last
	aggs       []*Aggregates
	checklists []Checklist
}

// loadPast reads the terms of the trend before f's.
func loadPast(ctx context.Context, q Querier, school string, f Filter) (pastTerms, error) {
	p := pastTerms{terms: f.Term.Last(TrendTerms)}
	past := p.terms[:len(p.terms)-1]
	spans := make([]Span, len(past))
	for i, t := range past {
		spans[i] = t.Span()
	}
	aggs, err := load(ctx, q, []string{school}, f, spans, readCounts)
	if err != nil {
		return p, err
	}
	p.aggs = aggs[school]
	for _, t := range past {
		cs, err := LoadChecklist(ctx, q, []string{school}, t)
		if err != nil {
			return p, err
		}
		p.checklists = append(p.checklists, cs[school])
	}
	return p, nil
}

// fillTrend computes Terms and ByTerm from the earlier terms and the
// dashboard's own.
func (d *Dashboard) fillTrend(p pastTerms) {
	byTerm := map[string][]float64{}
	for i := range p.terms {
		a, c := d.total, d.Checklist
		if i < len(p.aggs) {
			a, c = p.aggs[i], p.checklists[i]
		}
		hs := Headlines(a, c, d.Targets)
		for _, k := range Trend {
			byTerm[k] = append(byTerm[k], Find(hs, k).Value)
		}
	}
	d.Terms, d.ByTerm = p.terms, byTerm
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
