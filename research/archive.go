package research

import (
	"context"
	"sort"
	"strconv"
)

// Growth is a teacher's growth archive (教师数字成长档案): activities,
// outputs and credits by year, newest year first.
type Growth struct {
	Teacher Teacher
	Years   []GrowthYear
	Credits int64 // all years, hundredths
}

// GrowthYear is one year of a growth archive.
type GrowthYear struct {
	Year            int
	Activities      []GrowthActivity
	Outputs         []Output
	ActivityCredits int64
	OutputCredits   int64
}

// GrowthActivity is an activity the teacher attended, with what it earned.
type GrowthActivity struct {
	ID, Group, Kind, Day string
	Minutes              int
	Credits              int64
}

// GrowthArchive builds a teacher's archive from attendance and outputs;
// credits are computed from the rules in force, never stored.
func (s *Service) GrowthArchive(ctx context.Context, teacherID string) (Growth, error) {
	t, err := s.Teacher(ctx, teacherID)
	if err != nil {
		return Growth{}, err
	}
	rules, err := s.Rules(ctx)
	if err != nil {
		return Growth{}, err
	}
	g := Growth{Teacher: t}
	years := map[int]*GrowthYear{}
	year := func(day string) *GrowthYear {
		y, _ := strconv.Atoi(day[:4])
		if years[y] == nil {
			years[y] = &GrowthYear{Year: y}
		}
		return years[y]
	}
	rows, err := s.st.DB.QueryContext(ctx, `SELECT a.id, coalesce(g.name, ''), a.kind, a.day, a.minutes
		FROM research_attendance t JOIN research_activities a ON a.id = t.activity_id AND a.deleted=0
		LEFT JOIN research_groups g ON g.id = a.group_id
		WHERE t.teacher_id=? AND t.deleted=0 ORDER BY a.day DESC, a.id DESC`, teacherID)
	if err != nil {
		return g, err
	}
	defer rows.Close()
	for rows.Next() {
		var a GrowthActivity
		if err := rows.Scan(&a.ID, &a.Group, &a.Kind, &a.Day, &a.Minutes); err != nil {
			return g, err
		}
		a.Credits = ActivityCredits(rules, a.Kind, a.Minutes)
		y := year(a.Day)
		y.Activities = append(y.Activities, a)
		y.ActivityCredits += a.Credits
	}
	if err := rows.Err(); err != nil {
		return g, err
	}
	outs, err := s.Outputs(ctx, teacherID, "")
	if err != nil {
		return g, err
	}
	for _, o := range outs {
		y := year(Day(o.Day))
		y.Outputs = append(y.Outputs, o)
		y.OutputCredits += OutputCredits(rules, o.Kind, o.State)
	}
	for _, y := range years {
		g.Years = append(g.Years, *y)
		g.Credits += y.ActivityCredits + y.OutputCredits
	}
	sort.Slice(g.Years, func(i, j int) bool { return g.Years[i].Year > g.Years[j].Year })
	return g, nil
}

// FormatCredits writes hundredths of a credit as a decimal, e.g. 150 → "1.5".
func FormatCredits(c int64) string {
	s := strconv.FormatInt(c/100, 10)
	if r := c % 100; r != 0 {
		f := strconv.FormatInt(100+r, 10)[1:]
		if f[1] == '0' {
			f = f[:1]
		}
		s += "." + f
	}
	return s
}
