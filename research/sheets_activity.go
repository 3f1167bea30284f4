package research

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"qiao/sheet"
	"qiao/store"
)

// Activity log columns.
const (
	acGroup = iota
	acKind
	acDay
	acMinutes
	acPlace
	acOnline
	acAttendees
	acNotes
)

var activityHeaders = [][]string{
	acGroup:     {"研修组", "组", "group"},
	acKind:      {"活动类型", "类型", "kind", "type"},
	acDay:       {"日期", "活动日期", "date"},
	acMinutes:   {"时长(分钟)", "时长（分钟）", "时长", "分钟", "minutes", "duration"},
	acPlace:     {"地点", "place"},
	acOnline:    {"线上", "online"},
	acAttendees: {"参加人员", "参加教师", "attendees"},
	acNotes:     {"备注", "内容", "notes"},
}

// ReadActivities reads an activity log (.xlsx or .csv) against the groups
// and teachers already in the store: a group is found by name (in its
// year), attendees by name (names separated by 、，, ; or spaces). Every
// unknown group, unknown or ambiguous teacher, bad date or duration is a
// problem by row and column; any problem refuses the whole log.
func (s *Service) ReadActivities(ctx context.Context, name string, data []byte) ([]Activity, error) {
	t, problems := readTable(name, data, activityHeaders, []int{acGroup, acKind, acDay})
	if t == nil {
		return nil, &sheet.InputError{Problems: problems}
	}
	groups, err := s.Groups(ctx, 0)
	if err != nil {
		return nil, err
	}
	teachers, err := s.Teachers(ctx, "", 0)
	if err != nil {
		return nil, err
	}
	byName := map[string][]string{}
	for _, tc := range teachers {
		byName[tc.Name] = append(byName[tc.Name], tc.ID)
	}
	var out []Activity
	problems = t.each(func(row int, cell func(int) (string, string), bad func(string, string, ...any)) {
		var a Activity
		v, label := cell(acDay)
		day, ok := sheet.ParseDate(v, t.book.Date1904)
		switch {
		case v == "":
			bad(label, problemEmpty)
		case !ok:
			bad(label, problemBadDate, v)
		default:
			a.Day = day
		}
		if v, label = cell(acGroup); v == "" {
			bad(label, problemEmpty)
		} else if a.GroupID = groupNamed(groups, v, day); a.GroupID == "" {
			bad(label, ProblemUnknownGroup, v)
		}
		if v, label = cell(acKind); v == "" {
			bad(label, problemEmpty)
		} else {
			a.Kind = activityKindOf(v)
		}
		a.Minutes = 90
		if v, label = cell(acMinutes); v != "" {
			m, err := strconv.Atoi(strings.TrimSuffix(v, ".0"))
			if err != nil || m < 1 || m > 24*60 {
				bad(label, ProblemBadDuration, v)
			}
			a.Minutes = m
		}
		a.Place, _ = cell(acPlace)
		if v, label = cell(acOnline); v != "" {
			on, ok := parseYesNo(v)
			if !ok {
				bad(label, ProblemBadYesNo, v)
			}
			a.Online = on
		}
		a.Notes, _ = cell(acNotes)
		v, label = cell(acAttendees)
		for _, n := range splitNames(v) {
			switch ids := byName[n]; len(ids) {
			case 0:
				bad(label, ProblemUnknownTeacher, n)
			case 1:
				a.Attendees = append(a.Attendees, ids[0])
			default:
				bad(label, ProblemAmbiguousTeacher, n, len(ids))
			}
		}
		out = append(out, a)
	})
	if len(problems) > 0 {
		return nil, &sheet.InputError{Problems: problems}
	}
	return out, nil
}

// groupNamed finds a group by name, preferring the one of day's year.
func groupNamed(groups []Group, name string, day time.Time) string {
	id := ""
	for _, g := range groups {
		if g.Name == name {
			if g.Year == day.Year() {
				return g.ID
			}
			if id == "" {
				id = g.ID
			}
		}
	}
	return id
}

func splitNames(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool {
		return r == '、' || r == '，' || r == ',' || r == ';' || r == '；' || r == ' ' || r == '/'
	})
}

// ImportActivities logs every activity in one transaction: all or none.
func (s *Service) ImportActivities(ctx context.Context, as []Activity) error {
	return s.st.Update(ctx, func(tx *store.Tx) error {
		for _, a := range as {
			rec, err := tx.Put("research_activities", s.schoolID, "", store.Fields{"group_id": a.GroupID, "kind": a.Kind,
				"day": Day(a.Day), "minutes": a.Minutes, "place": a.Place, "online": a.Online, "notes": a.Notes, "lesson_id": a.LessonID})
			if err != nil {
				return err
			}
			if err := s.putAttendance(ctx, tx, rec.ID, a.Attendees, nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// WriteActivitiesXLSX exports the filtered activity list, streaming it in
// pages so memory stays flat however long the list is. The file imports
// back with ReadActivities.
func (s *Service) WriteActivitiesXLSX(ctx context.Context, w io.Writer, f ActivityFilter) error {
	n, err := s.CountActivities(ctx, f)
	if err != nil {
		return err
	}
	header := make([]any, len(activityHeaders))
	for i, h := range activityHeaders {
		header[i] = h[0]
	}
	const page = 5000
	var rows []ActivityRow
	var names map[string]string
	base := 0
	return writeRows(w, "研修活动", header, n, func(i int) ([]any, error) {
		if rows == nil || i-base >= len(rows) {
			base = i
			if rows, err = s.Activities(ctx, f, base, page); err != nil {
				return nil, err
			}
			if names, err = s.attendeeNames(ctx, rows); err != nil {
				return nil, err
			}
		}
		if i-base >= len(rows) {
			return nil, fmt.Errorf("research: the activity list changed during the export")
		}
		r := rows[i-base]
		online := "否"
		if r.Online {
			online = "是"
		}
		return []any{r.GroupName, KindName(r.Kind), r.Day, r.Minutes, r.Place, online, names[r.ID], r.Notes}, nil
	})
}

// attendeeNames joins the attendee names of each activity with 、.
func (s *Service) attendeeNames(ctx context.Context, rows []ActivityRow) (map[string]string, error) {
	out := map[string]string{}
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]any, len(rows))
	marks := make([]string, len(rows))
	for i, r := range rows {
		ids[i], marks[i] = r.ID, "?"
	}
	q, err := s.st.DB.QueryContext(ctx, `SELECT a.activity_id, group_concat(t.name, '、') FROM
		(SELECT activity_id, teacher_id FROM research_attendance WHERE deleted=0 AND activity_id IN (`+strings.Join(marks, ",")+`) ORDER BY activity_id, teacher_id) a
		JOIN research_teachers t ON t.id = a.teacher_id GROUP BY a.activity_id`, ids...)
	if err != nil {
		return nil, err
	}
	defer q.Close()
	for q.Next() {
		var id, names string
		if err := q.Scan(&id, &names); err != nil {
			return nil, err
		}
		out[id] = names
	}
	return out, q.Err()
}
