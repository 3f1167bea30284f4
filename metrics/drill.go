package metrics

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Item is one record behind a headline number.
type Item struct {
	Table   string // the synced table the record is in
	ID      string // the record's id (a lesson's id for lessons)
	Title   string
	At      time.Time // when it happened (zero if not timed)
	Subject string
	Grade   int
	Count   int64  // what it adds to the number: lessons, seconds, attendees, points …
	Detail  string // role, remote schools, kind, state, teacher … (not translated)
}

// ErrNoDrill means an indicator has no records behind it to list.
var ErrNoDrill = Error{Code: "no_drill"}

// DrillLimit caps the records a drill-down returns.
const DrillLimit = 1000

// Drill lists the records behind the headline key of school for f,
// earliest first (at most DrillLimit).
func Drill(ctx context.Context, q Querier, school string, f Filter, key string) ([]Item, error) {
	l := loader{ctx: ctx, q: q, schools: []string{school}, f: f, spans: []Span{f.Term.Span()}}
	sp := f.Term.Span()
	var out []Item
	add := func(it Item) error { out = append(out, it); return nil }
	switch key {
	case LessonsHosted, LessonsReceived, LessonHours, SubjectsPerClassroom, SubjectRate, LessonsPerClassroom, LessonRate:
		where, args := l.lessonWhere("a")
		switch key {
		case LessonsHosted:
			where += " AND a.role = 'host'"
		case LessonsReceived:
			where += " AND a.role = 'remote'"
		}
		var it Item
		var at int64
		var role, device string
		err := scanAll(ctx, q, `SELECT a.lesson_id, min(a.title), a.subject, a.grade, a.role, min(a.origin), min(a.joined_at), sum(a.seconds)
			FROM classroom_attendance a WHERE `+where+` AND a.joined_at >= ? AND a.joined_at < ?
			GROUP BY a.lesson_id, a.role, a.subject, a.grade ORDER BY min(a.joined_at), a.lesson_id LIMIT `+itoa(DrillLimit),
			append(args, sp.From.Unix(), sp.To.Unix()),
			[]any{&it.ID, &it.Title, &it.Subject, &it.Grade, &role, &device, &at, &it.Count}, func() error {
				it.Table, it.At, it.Detail = "classroom_lessons", time.Unix(at, 0), role+" "+device
				return add(it)
			})
		return out, err
	case RemoteServed:
		where, args := l.lessonWhere("m")
		var it Item
		var at int64
		var remote string
		err := scanAll(ctx, q, `SELECT m.id, m.title, m.subject, m.grade, m.starts_at, m.remote_schools FROM classroom_lessons m
			WHERE `+where+` AND m.state = 'ended' AND m.starts_at >= ? AND m.starts_at < ? ORDER BY m.starts_at, m.id LIMIT `+itoa(DrillLimit),
			append(args, sp.From.Unix(), sp.To.Unix()), []any{&it.ID, &it.Title, &it.Subject, &it.Grade, &at, &remote}, func() error {
				var ids []string
				_ = json.Unmarshal([]byte(remote), &ids)
				it.Table, it.At, it.Detail, it.Count = "classroom_lessons", time.Unix(at, 0), strings.Join(ids, ","), int64(len(ids))
				return add(it)
			})
		return out, err
	case RemoteReached:
		where, args := l.lessonWhere("a")
		var it Item
		var at int64
		err := scanAll(ctx, q, `SELECT a.lesson_id, min(a.title), a.subject, a.grade, a.host_school, min(a.joined_at) FROM classroom_attendance a
			WHERE `+where+` AND a.role = 'remote' AND a.joined_at >= ? AND a.joined_at < ?
			GROUP BY a.lesson_id, a.subject, a.grade, a.host_school ORDER BY min(a.joined_at), a.lesson_id LIMIT `+itoa(DrillLimit),
			append(args, sp.From.Unix(), sp.To.Unix()), []any{&it.ID, &it.Title, &it.Subject, &it.Grade, &it.Detail, &at}, func() error {
				it.Table, it.At, it.Count = "classroom_lessons", time.Unix(at, 0), 1
				return add(it)
			})
		return out, err
	case ActivitiesPerTeacher, Participation, CreditsPerTeacher, GroupsMeeting:
		var it Item
		var day, kind, group string
		var minutes int64
		err := scanAll(ctx, q, `SELECT m.id, m.day, m.kind, m.minutes, coalesce(g.name, ''),
				(SELECT count(*) FROM research_attendance t WHERE t.activity_id = m.id AND t.deleted = 0)
			FROM research_activities m LEFT JOIN research_groups g ON g.id = m.group_id
			WHERE m.deleted = 0 AND m.school_id = ? AND m.day >= ? AND m.day < ? ORDER BY m.day, m.id LIMIT `+itoa(DrillLimit),
			[]any{school, Day(sp.From), Day(sp.To)}, []any{&it.ID, &day, &kind, &minutes, &group, &it.Count}, func() error {
				it.Table, it.Title, it.Detail = "research_activities", group, kind+" "+itoa(int(minutes))+"min"
				it.At, _ = time.ParseInLocation("2006-01-02", day, China)
				return add(it)
			})
		return out, err
	case Outputs:
		var it Item
		var day, kind, state string
		err := scanAll(ctx, q, `SELECT id, title, day, kind, state FROM research_outputs
			WHERE deleted = 0 AND school_id = ? AND state = 'accepted' AND day >= ? AND day < ? ORDER BY day, id LIMIT `+itoa(DrillLimit),
			[]any{school, Day(sp.From), Day(sp.To)}, []any{&it.ID, &it.Title, &day, &kind, &state}, func() error {
				it.Table, it.Detail, it.Count = "research_outputs", kind+" "+state, 1
				it.At, _ = time.ParseInLocation("2006-01-02", day, China)
				return add(it)
			})
		return out, err
	case ResourcesOpened, ResourcesDownloaded, ResourcesContributed:
		action := strings.TrimPrefix(key, "resources_")
		where, args := "m.deleted = 0 AND m.school_id = ? AND m.action = ? AND m.at >= ? AND m.at < ?", []any{school, action, sp.From.Unix(), sp.To.Unix()}
		if f.Subject != "" {
			where += " AND e.subject = ?"
			args = append(args, f.Subject)
		}
		if f.Grade != 0 {
			where += " AND e.grade = ?"
			args = append(args, f.Grade)
		}
		var it Item
		var at int64
		var title, subject *string
		var grade *int
		err := scanAll(ctx, q, `SELECT m.entry_id, e.title, e.subject, e.grade, m.at, m.teacher FROM library_events m
			LEFT JOIN library_entries e ON e.id = m.entry_id WHERE `+where+` ORDER BY m.at, m.id LIMIT `+itoa(DrillLimit),
			args, []any{&it.ID, &title, &subject, &grade, &at, &it.Detail}, func() error {
				it.Table, it.At, it.Count, it.Title, it.Subject, it.Grade = "library_entries", time.Unix(at, 0), 1, deref(title), deref(subject), deref(grade)
				return add(it)
			})
		return out, err
	case TeacherTerminals100, PupilTerminals100, MultimediaRooms:
		inv, err := LoadInventory(ctx, q, []string{school})
		for _, k := range InventoryKinds {
			if n, ok := inv[school][k.Kind]; ok {
				out = append(out, Item{Table: "school_inventory", ID: rowID("inventory", school, k.Kind), Title: k.Names[0], Count: n, Detail: k.Kind})
			}
		}
		return out, err
	case ChecklistScore:
		cs, err := LoadChecklist(ctx, q, []string{school}, f.Term)
		for _, e := range cs[school].Entries {
			out = append(out, Item{Table: "metrics_checklist_items", ID: e.Item.ID, Title: e.Item.Title, Count: e.Points,
				Detail: e.Item.Section})
		}
		return out, err
	}
	return nil, ErrNoDrill
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func itoa(n int) string { return strconv.Itoa(n) }
