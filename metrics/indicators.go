package metrics

import "qiao/research"

// The indicators: each a small function of one school's Aggregates over a
// span. docs/INDICATORS.md gives each formula in words.

// Hosted is the number of synchronous lessons the school hosted (主讲):
// distinct lessons with a host attendance row.
func Hosted(a *Aggregates) int64 { return lessonsOf(a, "host") }

// Received is the number of synchronous lessons the school's classrooms
// received as a remote classroom (接收).
func Received(a *Aggregates) int64 { return lessonsOf(a, "remote") }

func lessonsOf(a *Aggregates, role string) int64 {
	var n int64
	for _, c := range a.Lessons {
		if c.Role == role {
			n += c.Lessons
		}
	}
	return n
}

// Hours is the hours the school's classrooms spent in synchronous
// lessons, hosted and received (the attendance rows' seconds / 3600).
func Hours(a *Aggregates) float64 {
	var s int64
	for _, c := range a.Lessons {
		s += c.Seconds
	}
	return float64(s) / 3600
}

// Classrooms is the number of smart classrooms the per-classroom
// indicators divide by: the inventory's count if entered (> 0), else the
// number of classroom devices that held a lesson in the span.
func Classrooms(a *Aggregates) int64 {
	if n := a.Inventory[SmartClassrooms]; n > 0 {
		return n
	}
	return int64(len(devices(a)))
}

// devices maps each classroom device that held lessons to its subjects.
func devices(a *Aggregates) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, c := range a.Lessons {
		if c.Lessons == 0 {
			continue
		}
		if out[c.Device] == nil {
			out[c.Device] = map[string]bool{}
		}
		out[c.Device][c.Subject] = true
	}
	return out
}

// SubjectsPerRoom is 实际开设课程科目 per smart classroom: the sum over
// classrooms of the distinct subjects each held lessons in, divided by
// Classrooms (0 with no classroom).
func SubjectsPerRoom(a *Aggregates) float64 {
	var n int
	for _, subjects := range devices(a) {
		n += len(subjects)
	}
	return ratio(float64(n), float64(Classrooms(a)))
}

// LessonsPerRoom is 实际开课时数 per smart classroom: lessons hosted and
// received, divided by Classrooms.
func LessonsPerRoom(a *Aggregates) float64 {
	return ratio(float64(Hosted(a)+Received(a)), float64(Classrooms(a)))
}

// Rate is value against target in percent (学科达标率 = SubjectsPerRoom
// against 3, 课时达标率 = LessonsPerRoom against 96); 0 with no target.
func Rate(value float64, target int64) float64 { return percent(value, float64(target)) }

// Served is the number of distinct remote schools invited to the lessons
// the school hosted and ended (a lead school's reach).
func Served(a *Aggregates) int64 { return int64(len(a.Served)) }

// Reached is the number of distinct lead schools whose lessons the
// school received (a remote school's reach).
func Reached(a *Aggregates) int64 { return int64(len(a.Reached)) }

// Teachers is the number of teachers the per-teacher indicators divide
// by: the inventory's count if entered, else the research roster's.
func Teachers(a *Aggregates) int64 {
	if a.Inventory.Has(TeacherCount) {
		return a.Inventory[TeacherCount]
	}
	return a.Teachers
}

// AttendancesPerTeacher is research attendances of roster teachers per teacher.
func AttendancesPerTeacher(a *Aggregates) float64 {
	var n int64
	for _, c := range a.Attendances {
		n += c.N
	}
	return ratio(float64(n), float64(Teachers(a)))
}

// ParticipationRate is the percent of teachers who attended at least one
// research activity.
func ParticipationRate(a *Aggregates) float64 {
	return percent(float64(len(a.Active)), float64(Teachers(a)))
}

// AcceptedOutputs is the number of research outputs accepted.
func AcceptedOutputs(a *Aggregates) int64 {
	var n int64
	for _, c := range a.Outputs {
		if c.State == research.Accepted {
			n += c.N
		}
	}
	return n
}

// Credits is the research credits (hundredths) the roster teachers
// earned, by research's own rules: each attendance's ActivityCredits plus
// each output's OutputCredits.
func Credits(a *Aggregates) int64 {
	var n int64
	for _, c := range a.Attendances {
		n += research.ActivityCredits(a.Rules, c.Kind, c.Minutes) * c.N
	}
	for _, c := range a.Outputs {
		n += research.OutputCredits(a.Rules, c.Kind, c.State) * c.N
	}
	return n
}

// TeacherCredits is Credits per teacher (hundredths).
func TeacherCredits(a *Aggregates) float64 { return ratio(float64(Credits(a)), float64(Teachers(a))) }

// GroupsMet is how many of the school's research groups held at least
// target activities in the span, of how many groups (those of the span's
// years, and any that held an activity in it).
func GroupsMet(a *Aggregates, target int64) (met, groups int64) {
	for _, n := range a.Groups {
		groups++
		if n >= target {
			met++
		}
	}
	return met, groups
}

// LibraryUse is the number of library events of action (opened,
// downloaded, contributed).
func LibraryUse(a *Aggregates, action string) int64 { return a.Library[action] }

// Per100 is the inventory's count of kind per 100 of the count of per
// (terminals per 100 teachers or pupils); ok is false when either is not
// entered or per is 0.
func Per100(inv Inventory, kind, per string) (v float64, ok bool) {
	if !inv.Has(kind) || inv[per] <= 0 {
		return 0, false
	}
	return 100 * float64(inv[kind]) / float64(inv[per]), true
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

func percent(a, b float64) float64 { return 100 * ratio(a, b) }
