package metrics

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"qiao/store"
)

// Indicator keys: the one name of each number, used by targets, the
// dashboard's headlines and the drill-down. docs/INDICATORS.md defines each.
const (
	LessonsHosted        = "lessons_hosted"         // synchronous lessons this school hosted (主讲)
	LessonsReceived      = "lessons_received"       // synchronous lessons this school received (接收)
	LessonHours          = "lesson_hours"           // hours of those lessons, hosted and received
	SubjectsPerClassroom = "subjects_per_classroom" // 实际开设课程科目 per smart classroom
	SubjectRate          = "subject_rate"           // 学科达标率, percent
	LessonsPerClassroom  = "lessons_per_classroom"  // 实际开课时数 per smart classroom
	LessonRate           = "lesson_rate"            // 课时达标率, percent
	RemoteServed         = "remote_served"          // remote schools invited to lessons it hosted and held
	RemoteReached        = "remote_reached"         // lead schools whose lessons it received
	ResearchActivities   = "research_activities"    // research activities the school held
	ActivitiesPerTeacher = "activities_per_teacher" // research attendances per teacher
	Participation        = "participation"          // percent of teachers at ≥ 1 research activity
	Outputs              = "outputs"                // research outputs accepted
	CreditsPerTeacher    = "credits_per_teacher"    // research credits (hundredths) per teacher
	GroupsMeeting        = "groups_meeting"         // research groups that held their activities
	GroupActivities      = "group_activities"       // target only: activities a group holds in a term
	ResourcesOpened      = "resources_opened"
	ResourcesDownloaded  = "resources_downloaded"
	ResourcesContributed = "resources_contributed"
	TeacherTerminals100  = "teacher_terminals_per_100" // teacher terminals per 100 teachers
	PupilTerminals100    = "pupil_terminals_per_100"   // pupil terminals per 100 pupils
	MultimediaRooms      = "multimedia_classrooms"
	ChecklistScore       = "checklist_score" // percent of the checklist's points
)

// Targets are the values the indicators are held to, by indicator key,
// in the indicator's unit (percent for rates, hundredths for credits).
// An indicator without a target shows no green or red.
type Targets map[string]int64

// DefaultTargets apply where the district set none. 3 subjects and 96
// lessons per smart classroom per term fit one district's published
// figures (7.7 subjects = 256.79 %, 172.7 lessons = 179.90 %); the
// research ones are ours (docs/INDICATORS.md).
var DefaultTargets = Targets{
	SubjectsPerClassroom: 3,
	LessonsPerClassroom:  96,
	ActivitiesPerTeacher: 4,
	Participation:        80,
	CreditsPerTeacher:    500,
	GroupActivities:      5,
	TeacherTerminals100:  100,
	ChecklistScore:       60,
}

// Target is one of the district's targets: for a stage (小学, 初中, 高中)
// or all stages ("").
type Target struct {
	Stage     string
	Indicator string
	Value     int64
}

// LoadTargets returns the targets in force for stage: the defaults,
// overlaid with the district's targets for all stages, then with those
// for stage.
func LoadTargets(ctx context.Context, q Querier, stage string) (Targets, error) {
	out := Targets{}
	for k, v := range DefaultTargets {
		out[k] = v
	}
	var st, ind string
	var v int64
	err := scanAll(ctx, q, `SELECT stage, indicator, value FROM metrics_targets
		WHERE school_id = '' AND deleted = 0 AND (stage = '' OR stage = ?) ORDER BY stage, hlc`,
		[]any{stage}, []any{&st, &ind, &v}, func() error { out[ind] = v; return nil })
	return out, err
}

// DistrictTargets returns the targets the district set (not the
// defaults), all-stage ones first: what LoadTargets overlays, so a screen
// can say where each target in force comes from.
func DistrictTargets(ctx context.Context, q Querier) ([]Target, error) {
	var out []Target
	var t Target
	err := scanAll(ctx, q, `SELECT stage, indicator, value FROM metrics_targets
		WHERE school_id = '' AND deleted = 0 ORDER BY stage, hlc`,
		nil, []any{&t.Stage, &t.Indicator, &t.Value}, func() error { out = append(out, t); return nil })
	return out, err
}

// ErrTarget means a target names no stage or indicator the metrics know,
// or a negative value.
var ErrTarget = Error{Code: "bad_target"}

// SetTarget stores a district target (a district-wide row, school_id ”):
// only a district administrator's device may push such rows.
func SetTarget(ctx context.Context, st *store.Store, t Target) error {
	if !validStage(t.Stage) || !knownIndicator(t.Indicator) || t.Value < 0 {
		return fmt.Errorf("%w: %+v", ErrTarget, t)
	}
	return st.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Put("metrics_targets", "", rowID("target", t.Stage, t.Indicator), store.Fields{
			"stage": t.Stage, "indicator": t.Indicator, "value": t.Value})
		return err
	})
}

// ClearTarget removes the district's target of an indicator for a stage
// ("" for its all-stages target), so the one underneath applies again;
// clearing a target the district never set changes nothing.
func ClearTarget(ctx context.Context, st *store.Store, stage, indicator string) error {
	if !validStage(stage) || !knownIndicator(indicator) {
		return fmt.Errorf("%w: %s %s", ErrTarget, stage, indicator)
	}
	return st.Update(ctx, func(tx *store.Tx) error {
		id := rowID("target", stage, indicator)
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM metrics_targets WHERE id = ? AND deleted = 0`, id).Scan(&n); err != nil || n == 0 {
			return err
		}
		return tx.Delete("metrics_targets", id)
	})
}

func validStage(s string) bool { return s == "" || s == Primary || s == Junior || s == Senior }

func knownIndicator(k string) bool {
	for _, i := range Indicators {
		if i == k {
			return true
		}
	}
	return k == GroupActivities
}

// Indicators lists the headline indicators in the dashboard's order.
var Indicators = []string{
	LessonsHosted, LessonsReceived, LessonHours, SubjectsPerClassroom, SubjectRate, LessonsPerClassroom, LessonRate,
	RemoteServed, RemoteReached, ResearchActivities, ActivitiesPerTeacher, Participation, Outputs, CreditsPerTeacher, GroupsMeeting,
	ResourcesOpened, ResourcesDownloaded, ResourcesContributed, TeacherTerminals100, PupilTerminals100,
	MultimediaRooms, ChecklistScore,
}

// rowNS names the ids metrics derives from a row's natural key.
var rowNS = uuid.MustParse("6f1c8f9e-3b1e-4c56-9a57-8d1f0c2b7a10")

// rowID is the id of the row with the given natural key: devices that
// write the same key write the same row, and sync keeps the last write.
func rowID(parts ...string) string {
	key := ""
	for _, p := range parts {
		key += p + "\x00"
	}
	return uuid.NewSHA1(rowNS, []byte(key)).String()
}

// Error is an error the UI shows: Code maps to the key "metrics.error.CODE".
type Error struct{ Code string }

func (e Error) Error() string { return "metrics: " + e.Code }
