package research

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"qiao/store"
)

// Teacher is a teacher who takes part in research.
type Teacher struct {
	ID        string
	Code      string // the district's teacher number, if any
	Name      string
	School    string
	Subject   string
	Stage     string // 幼儿园, 小学, 初中 or 高中
	BirthYear int
	Title     string // 职称
	Rural     bool   // teaches at a rural school
}

const teacherCols = `id, code, name, school_name, subject, stage, birth_year, title, rural`

func scanTeacher(sc interface{ Scan(...any) error }) (Teacher, error) {
	var t Teacher
	err := sc.Scan(&t.ID, &t.Code, &t.Name, &t.School, &t.Subject, &t.Stage, &t.BirthYear, &t.Title, &t.Rural)
	return t, err
}

func teacherFields(t Teacher) store.Fields {
	return store.Fields{"code": t.Code, "name": t.Name, "school_name": t.School, "subject": t.Subject,
		"stage": t.Stage, "birth_year": t.BirthYear, "title": t.Title, "rural": t.Rural}
}

func cleanTeacher(t Teacher) (Teacher, error) {
	t.Name, t.Code, t.School = strings.TrimSpace(t.Name), strings.TrimSpace(t.Code), strings.TrimSpace(t.School)
	t.Subject, t.Stage, t.Title = strings.TrimSpace(t.Subject), strings.TrimSpace(t.Stage), strings.TrimSpace(t.Title)
	if t.Name == "" {
		return t, ErrNoName
	}
	return t, nil
}

// SaveTeacher creates (ID empty) or updates a teacher.
func (s *Service) SaveTeacher(ctx context.Context, t Teacher) (Teacher, error) {
	t, err := cleanTeacher(t)
	if err != nil {
		return t, err
	}
	err = s.st.Update(ctx, func(tx *store.Tx) error {
		rec, err := tx.Put("research_teachers", s.schoolID, t.ID, teacherFields(t))
		t.ID = rec.ID
		return err
	})
	return t, err
}

// Teacher returns one teacher.
func (s *Service) Teacher(ctx context.Context, id string) (Teacher, error) {
	t, err := scanTeacher(s.st.DB.QueryRowContext(ctx, `SELECT `+teacherCols+` FROM research_teachers WHERE id=? AND deleted=0`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, ErrNoTeacher
	}
	return t, err
}

// Teachers lists teachers whose name, code, school or subject contains
// text (all when text is empty), by name, at most limit (0: no limit).
func (s *Service) Teachers(ctx context.Context, text string, limit int) ([]Teacher, error) {
	q := `SELECT ` + teacherCols + ` FROM research_teachers WHERE deleted=0`
	var args []any
	if text = strings.TrimSpace(text); text != "" {
		q += ` AND (instr(name, ?) > 0 OR instr(code, ?) > 0 OR instr(school_name, ?) > 0 OR instr(subject, ?) > 0)`
		args = append(args, text, text, text, text)
	}
	q += ` ORDER BY name, school_name, id`
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.st.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Teacher
	for rows.Next() {
		t, err := scanTeacher(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Age returns the teacher's age in year (0 when the birth year is unknown).
func (t Teacher) Age(year int) int {
	if t.BirthYear == 0 {
		return 0
	}
	return year - t.BirthYear
}
