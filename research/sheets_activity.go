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
		a.Online = yesNoCell(cell, acOnline, bad)
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
	teachers, err := s.teacherNames(ctx)
	if err != nil {
		return err
	}
	const page = 5000
	var rows []ActivityRow
	var attendees []string
	base := 0
	return writeRows(w, "研修活动", header, n, func(i int) ([]any, error) {
		if rows == nil || i-base >= len(rows) {
			base = i
			if rows, attendees, err = s.activityPage(ctx, f, base, page, true); err != nil {
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
		return []any{r.GroupName, KindName(r.Kind), r.Day, r.Minutes, r.Place, online, attendeeNames(attendees[i-base], teachers), r.Notes}, nil
	})
}

// teacherNames maps the id of every teacher, deleted ones included, to
// their name.
func (s *Service) teacherNames(ctx context.Context) (map[string]string, error) {
	q, err := s.st.DB.QueryContext(ctx, `SELECT id, name FROM research_teachers`)
	if err != nil {
		return nil, err
	}
	defer q.Close()
	out := map[string]string{}
	for q.Next() {
		var id, name string
		if err := q.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = name
	}
	return out, q.Err()
}

// attendeeNames joins the names of a comma-separated list of teacher
// ids with 、, leaving out ids of no teacher.
func attendeeNames(ids string, teachers map[string]string) string {
	var b strings.Builder
	for id := range strings.SplitSeq(ids, ",") {
		if name, ok := teachers[id]; ok {
			if b.Len() > 0 {
				b.WriteString("、")
			}
			b.WriteString(name)
		}
	}
	return b.String()
}
