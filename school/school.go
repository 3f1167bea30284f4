// Package school holds this installation's school and the person using
// it: the school is a synced record, the user's name and role are local.
package school

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"qiao/store"
)

// School is a school's profile.
type School struct {
	ID     string
	Name   string
	Code   string // the national school code (学校标识码), if known
	Region string // county or district
	Rural  bool
	Sample bool // made by "use the sample school"
}

// Role is what the user does in Qiao.
type Role string

// Roles, in the order the UI offers them.
const (
	Teacher       Role = "teacher"
	Principal     Role = "principal"
	DistrictAdmin Role = "district_admin"
)

// Roles lists every role.
var Roles = []Role{Teacher, Principal, DistrictAdmin}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, k := range Roles {
		if r == k {
			return true
		}
	}
	return false
}

// User is the person using this installation.
type User struct {
	Name string
	Role Role
}

// Errors a form can show next to its field.
var (
	ErrNoName = errors.New("school: the school needs a name")
	ErrRole   = errors.New("school: unknown role")
)

// Service reads and writes the school and user of this installation.
type Service struct{ st *store.Store }

// NewService returns a service on st.
func NewService(st *store.Store) *Service { return &Service{st} }

const (
	keySchool   = "school.id"
	keyUserName = "user.name"
	keyUserRole = "user.role"
)

// Current returns this installation's school; ok is false on first run.
func (sv *Service) Current(ctx context.Context) (s School, ok bool, err error) {
	id, err := sv.st.Setting(ctx, keySchool, "")
	if err != nil || id == "" {
		return School{}, false, err
	}
	err = sv.st.DB.QueryRowContext(ctx,
		`SELECT id, name, code, region, rural, sample FROM schools WHERE id=? AND deleted=0`, id).
		Scan(&s.ID, &s.Name, &s.Code, &s.Region, &s.Rural, &s.Sample)
	if errors.Is(err, sql.ErrNoRows) {
		return School{}, false, nil
	}
	if err != nil {
		return School{}, false, fmt.Errorf("school: read: %w", err)
	}
	return s, true, nil
}

// Save stores the school (creating it when ID is empty) and makes it this
// installation's school.
func (sv *Service) Save(ctx context.Context, s School) (School, error) {
	s.Name = strings.TrimSpace(s.Name)
	s.Code = strings.TrimSpace(s.Code)
	s.Region = strings.TrimSpace(s.Region)
	if s.Name == "" {
		return s, ErrNoName
	}
	if s.ID == "" {
		s.ID = store.NewID()
	}
	err := sv.st.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Put("schools", s.ID, s.ID, store.Fields{
			"name": s.Name, "code": s.Code, "region": s.Region, "rural": s.Rural, "sample": s.Sample,
		})
		if err != nil {
			return err
		}
		return tx.SetSetting(keySchool, s.ID)
	})
	return s, err
}

// User returns the user of this installation.
func (sv *Service) User(ctx context.Context) (User, error) {
	name, err := sv.st.Setting(ctx, keyUserName, "")
	if err != nil {
		return User{}, err
	}
	role, err := sv.st.Setting(ctx, keyUserRole, string(Teacher))
	return User{Name: name, Role: Role(role)}, err
}

// SaveUser stores the user of this installation.
func (sv *Service) SaveUser(ctx context.Context, u User) error {
	if !u.Role.Valid() {
		return fmt.Errorf("%w: %q", ErrRole, u.Role)
	}
	if err := sv.st.SetSetting(ctx, keyUserName, strings.TrimSpace(u.Name)); err != nil {
		return err
	}
	return sv.st.SetSetting(ctx, keyUserRole, string(u.Role))
}

// SampleSchool is the school "use the sample school" creates: a rural
// central primary school, so every screen has something to show.
var SampleSchool = School{
	Name:   "青禾县石桥镇中心小学",
	Code:   "2151000001",
	Region: "青禾县",
	Rural:  true,
	Sample: true,
}

// SampleUser is the user that goes with the sample school.
var SampleUser = User{Name: "王老师", Role: Teacher}

// UseSample creates the sample school and user and makes them current.
func (sv *Service) UseSample(ctx context.Context) (School, error) {
	s, err := sv.Save(ctx, SampleSchool)
	if err != nil {
		return s, err
	}
	return s, sv.SaveUser(ctx, SampleUser)
}

// Adopt makes districtID this installation's school id, moving the rows
// of the current school (current, "" if none) to it. Enrolment calls it:
// the district names the school.
func Adopt(tx *store.Tx, current, districtID string) error {
	if current != "" && current != districtID {
		if err := tx.Rekey(current, districtID); err != nil {
			return err
		}
	}
	return tx.SetSetting(keySchool, districtID)
}

// SetRole changes the user's role only.
func (sv *Service) SetRole(ctx context.Context, r Role) error {
	if !r.Valid() {
		return fmt.Errorf("%w: %q", ErrRole, r)
	}
	return sv.st.SetSetting(ctx, keyUserRole, string(r))
}
