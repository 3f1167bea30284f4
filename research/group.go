package research

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"qiao/store"
)

// Group is a research group.
type Group struct {
	ID         string
	Name       string
	Kind       string // one of GroupKinds
	Subject    string
	BaseSchool string
	Year       int
	Budget     int64 // yuan; for project packages
	Spent      int64 // yuan
}

// Member is a teacher's place in a group.
type Member struct {
	ID      string // the membership record
	Role    string
	Teacher Teacher
}

const groupCols = `id, name, kind, subject, base_school, year, budget, spent`

func scanGroup(sc interface{ Scan(...any) error }) (Group, error) {
	var g Group
	err := sc.Scan(&g.ID, &g.Name, &g.Kind, &g.Subject, &g.BaseSchool, &g.Year, &g.Budget, &g.Spent)
	return g, err
}

// SaveGroup creates (ID empty) or updates a group.
func (s *Service) SaveGroup(ctx context.Context, g Group) (Group, error) {
	g.Name = strings.TrimSpace(g.Name)
	if g.Name == "" {
		return g, ErrNoName
	}
	if !known(GroupKinds, g.Kind) {
		return g, fmt.Errorf("%w: %q", ErrKind, g.Kind)
	}
	err := s.st.Update(ctx, func(tx *store.Tx) error {
		rec, err := tx.Put("research_groups", s.schoolID, g.ID, store.Fields{"name": g.Name, "kind": g.Kind,
			"subject": strings.TrimSpace(g.Subject), "base_school": strings.TrimSpace(g.BaseSchool),
			"year": g.Year, "budget": g.Budget, "spent": g.Spent})
		g.ID = rec.ID
		return err
	})
	return g, err
}

// Group returns one group.
func (s *Service) Group(ctx context.Context, id string) (Group, error) {
	g, err := scanGroup(s.st.DB.QueryRowContext(ctx, `SELECT `+groupCols+` FROM research_groups WHERE id=? AND deleted=0`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return g, ErrNoGroup
	}
	return g, err
}

// Groups lists the groups of a year (all years when year is 0), by name.
func (s *Service) Groups(ctx context.Context, year int) ([]Group, error) {
	rows, err := s.st.DB.QueryContext(ctx, `SELECT `+groupCols+` FROM research_groups
		WHERE deleted=0 AND (?=0 OR year=?) ORDER BY name, id`, year, year)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Group
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// SetMember puts a teacher in a group with a role, or changes the role.
func (s *Service) SetMember(ctx context.Context, groupID, teacherID, role string) error {
	if !known(Roles, role) {
		return fmt.Errorf("%w: %q", ErrRole, role)
	}
	return s.st.Update(ctx, func(tx *store.Tx) error {
		if ok, err := alive(ctx, tx, "research_groups", groupID); err != nil || !ok {
			return missing(ErrNoGroup, err)
		}
		if ok, err := alive(ctx, tx, "research_teachers", teacherID); err != nil || !ok {
			return missing(ErrNoTeacher, err)
		}
		var id string
		err := tx.QueryRowContext(ctx, `SELECT id FROM research_members WHERE group_id=? AND teacher_id=? AND deleted=0`, groupID, teacherID).Scan(&id)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err = tx.Put("research_members", s.schoolID, id, store.Fields{"group_id": groupID, "teacher_id": teacherID, "role": role})
		return err
	})
}

// RemoveMember takes a teacher out of a group.
func (s *Service) RemoveMember(ctx context.Context, groupID, teacherID string) error {
	return s.st.Update(ctx, func(tx *store.Tx) error {
		var id string
		if err := tx.QueryRowContext(ctx, `SELECT id FROM research_members WHERE group_id=? AND teacher_id=? AND deleted=0`, groupID, teacherID).Scan(&id); err != nil {
			return err
		}
		return tx.Delete("research_members", id)
	})
}

// Members lists a group's members: hosts first, then by name.
func (s *Service) Members(ctx context.Context, groupID string) ([]Member, error) {
	rows, err := s.st.DB.QueryContext(ctx, `SELECT m.id, m.role, t.`+strings.ReplaceAll(teacherCols, ", ", ", t.")+`
		FROM research_members m JOIN research_teachers t ON t.id = m.teacher_id AND t.deleted=0
		WHERE m.group_id=? AND m.deleted=0
		ORDER BY CASE m.role WHEN 'host' THEN 0 WHEN 'mentor' THEN 1 ELSE 2 END, t.name, t.id`, groupID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var m Member
		t := &m.Teacher
		if err := rows.Scan(&m.ID, &m.Role, &t.ID, &t.Code, &t.Name, &t.School, &t.Subject, &t.Stage, &t.BirthYear, &t.Title, &t.Rural); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
