package research

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"qiao/store"
)

// Activity is one research activity of a group.
type Activity struct {
	ID        string
	GroupID   string
	Kind      string // one of ActivityKinds, or Custom(name)
	Day       time.Time
	Minutes   int
	Place     string
	Online    bool
	Notes     string
	LessonID  string   // the synchronous lesson it was, if any
	Attendees []string // teacher ids
}

// Attachment is a file kept with an activity, in the content store by hash.
type Attachment struct {
	Name string
	Hash string
	Size int64
}

// dayFormat is how days are stored.
const dayFormat = "2006-01-02"

// Day returns the calendar day of t as the store writes it.
func Day(t time.Time) string { return t.Format(dayFormat) }

// LogActivity records an activity with its attendance and attachments in
// one transaction. Attendees must be known teachers.
func (s *Service) LogActivity(ctx context.Context, a Activity, files []Attachment) (Activity, error) {
	if !validKind(ActivityKinds, a.Kind) {
		return a, fmt.Errorf("%w: %q", ErrKind, a.Kind)
	}
	if a.Day.IsZero() || a.Day.Year() < 2000 || a.Day.Year() > 2100 {
		return a, ErrDate
	}
	if a.Minutes < 1 || a.Minutes > 24*60 {
		return a, ErrDuration
	}
	err := s.st.Update(ctx, func(tx *store.Tx) error {
		if ok, err := alive(ctx, tx, "research_groups", a.GroupID); err != nil || !ok {
			return missing(ErrNoGroup, err)
		}
		if a.LessonID != "" && a.ID == "" {
			if id, err := s.lessonActivity(ctx, tx, a.LessonID); err != nil || id != "" {
				return missing(ErrLessonLogged, err)
			}
		}
		rec, err := tx.Put("research_activities", s.schoolID, a.ID, store.Fields{"group_id": a.GroupID, "kind": a.Kind,
			"day": Day(a.Day), "minutes": a.Minutes, "place": strings.TrimSpace(a.Place), "online": a.Online,
			"notes": strings.TrimSpace(a.Notes), "lesson_id": a.LessonID})
		if err != nil {
			return err
		}
		a.ID = rec.ID
		return s.putAttendance(ctx, tx, a.ID, a.Attendees, files)
	})
	return a, err
}

// putAttendance writes the attendance and attachment rows of a new activity.
func (s *Service) putAttendance(ctx context.Context, tx *store.Tx, activityID string, teachers []string, files []Attachment) error {
	seen := map[string]bool{}
	for _, t := range teachers {
		if seen[t] {
			continue
		}
		seen[t] = true
		if ok, err := alive(ctx, tx, "research_teachers", t); err != nil || !ok {
			return missing(ErrNoTeacher, err)
		}
		if _, err := tx.Put("research_attendance", s.schoolID, "", store.Fields{"activity_id": activityID, "teacher_id": t}); err != nil {
			return err
		}
	}
	for _, f := range files {
		if _, err := tx.Put("research_attachments", s.schoolID, "", store.Fields{"activity_id": activityID,
			"name": f.Name, "hash": f.Hash, "size": f.Size}); err != nil {
			return err
		}
	}
	return nil
}

// LogLesson records a lesson held in Qiao's synchronous classroom as an
// 观课议课 activity of a group, with the teachers who took part: the seam
// the classroom uses once a lesson ends.
func (s *Service) LogLesson(ctx context.Context, groupID, lessonID string, start time.Time, minutes int, attendees []string) (Activity, error) {
	return s.LogActivity(ctx, Activity{GroupID: groupID, Kind: KindObserve, Day: start, Minutes: minutes,
		Online: true, LessonID: lessonID, Attendees: attendees}, nil)
}

// ErrLessonLogged is LogActivity's refusal of a second activity for one lesson.
var ErrLessonLogged = errors.New("research: the lesson is logged as an activity already")

// LessonActivity returns the id of the school's activity that lesson
// lessonID was logged as, "" if none.
func (s *Service) LessonActivity(ctx context.Context, lessonID string) (string, error) {
	return s.lessonActivity(ctx, s.st.DB, lessonID)
}

func (s *Service) lessonActivity(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, lessonID string) (string, error) {
	var id string
	err := q.QueryRowContext(ctx, `SELECT id FROM research_activities WHERE lesson_id=? AND school_id=? AND deleted=0 LIMIT 1`,
		lessonID, s.schoolID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// ActivityFilter narrows the activity list. Zero fields do not filter.
type ActivityFilter struct {
	GroupID   string
	TeacherID string // activities the teacher attended
	Kind      string
	From, To  time.Time // inclusive days
	Text      string    // in place or notes
}

// ActivityRow is an activity as the list shows it.
type ActivityRow struct {
	ID        string
	GroupID   string
	GroupName string
	Kind      string
	Day       string
	Minutes   int
	Place     string
	Online    bool
	Notes     string
	Attendees int
}

func (f ActivityFilter) where() (string, []any) {
	w := []string{"a.deleted=0"}
	var args []any
	if f.GroupID != "" {
		w, args = append(w, "a.group_id=?"), append(args, f.GroupID)
	}
	if f.TeacherID != "" {
		w = append(w, "a.id IN (SELECT activity_id FROM research_attendance WHERE teacher_id=? AND deleted=0)")
		args = append(args, f.TeacherID)
	}
	if f.Kind != "" {
		w, args = append(w, "a.kind=?"), append(args, f.Kind)
	}
	if !f.From.IsZero() {
		w, args = append(w, "a.day>=?"), append(args, Day(f.From))
	}
	if !f.To.IsZero() {
		w, args = append(w, "a.day<=?"), append(args, Day(f.To))
	}
	if t := strings.TrimSpace(f.Text); t != "" {
		w, args = append(w, "(instr(a.place, ?) > 0 OR instr(a.notes, ?) > 0)"), append(args, t, t)
	}
	return strings.Join(w, " AND "), args
}

// CountActivities counts the activities the filter lets through.
func (s *Service) CountActivities(ctx context.Context, f ActivityFilter) (int, error) {
	where, args := f.where()
	var n int
	err := s.st.DB.QueryRowContext(ctx, `SELECT count(*) FROM research_activities a WHERE `+where, args...).Scan(&n)
	return n, err
}

// Activities returns one page of the filtered list, newest first: rows
// offset..offset+limit, so a virtual list reads only what it shows.
func (s *Service) Activities(ctx context.Context, f ActivityFilter, offset, limit int) ([]ActivityRow, error) {
	rows, _, err := s.activityPage(ctx, f, offset, limit, false)
	return rows, err
}

// activityPage reads a page of Activities; with attendees, it also gives
// each row's attendee ids, comma-separated in id order (the export's).
func (s *Service) activityPage(ctx context.Context, f ActivityFilter, offset, limit int, attendees bool) ([]ActivityRow, []string, error) {
	where, args := f.where()
	// The page's rows are found first, from an index alone where the
	// filter allows (see store/migrations/0004), and only they are then
	// read, joined and counted: a page deep in the list costs about what
	// the first does, rather than reading every row it skips.
	who := `''`
	if attendees {
		who = `coalesce((SELECT group_concat(t.teacher_id, ',' ORDER BY t.teacher_id) FROM research_attendance t
			WHERE t.activity_id = a.id AND t.deleted=0), '')`
	}
	rows, err := s.st.DB.QueryContext(ctx, `SELECT a.id, a.group_id, coalesce(g.name, ''), a.kind, a.day, a.minutes, a.place, a.online, a.notes,
		(SELECT count(*) FROM research_attendance t WHERE t.activity_id = a.id AND t.deleted=0), `+who+`
		FROM (SELECT a.rowid AS r FROM research_activities a WHERE `+where+` ORDER BY a.day DESC, a.id DESC LIMIT ? OFFSET ?) p
		JOIN research_activities a ON a.rowid = p.r LEFT JOIN research_groups g ON g.id = a.group_id
		ORDER BY a.day DESC, a.id DESC`, append(args, limit, offset)...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []ActivityRow
	var ids []string
	for rows.Next() {
		var r ActivityRow
		var who string
		if err := rows.Scan(&r.ID, &r.GroupID, &r.GroupName, &r.Kind, &r.Day, &r.Minutes, &r.Place, &r.Online, &r.Notes, &r.Attendees, &who); err != nil {
			return nil, nil, err
		}
		out = append(out, r)
		if attendees {
			ids = append(ids, who)
		}
	}
	return out, ids, rows.Err()
}

// Attendees lists the ids of the teachers who took part in an activity.
func (s *Service) Attendees(ctx context.Context, activityID string) ([]string, error) {
	return s.ids(ctx, `SELECT teacher_id FROM research_attendance WHERE activity_id=? AND deleted=0 ORDER BY teacher_id`, activityID)
}

// Attachments lists an activity's files.
func (s *Service) Attachments(ctx context.Context, activityID string) ([]Attachment, error) {
	rows, err := s.st.DB.QueryContext(ctx, `SELECT name, hash, size FROM research_attachments WHERE activity_id=? AND deleted=0 ORDER BY name`, activityID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Attachment
	for rows.Next() {
		var a Attachment
		if err := rows.Scan(&a.Name, &a.Hash, &a.Size); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (s *Service) ids(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := s.st.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
