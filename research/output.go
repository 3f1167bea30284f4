package research

import (
	"context"
	"fmt"
	"strings"
	"time"

	"qiao/store"
)

// Review states of an output.
const (
	Submitted = "submitted"
	Accepted  = "accepted"
	Returned  = "returned" // with a comment saying what to improve
)

// Output is a research output (研修成果) of a teacher, maybe from an activity.
type Output struct {
	ID         string
	TeacherID  string
	ActivityID string
	Kind       string // one of OutputKinds, or Custom(name)
	Title      string
	Day        time.Time
	State      string
	Comment    string
	FileHash   string // in the content store, if there is a file
}

const outputCols = `id, teacher_id, activity_id, kind, title, day, state, comment, file_hash`

func scanOutput(sc interface{ Scan(...any) error }) (Output, error) {
	var o Output
	var day string
	err := sc.Scan(&o.ID, &o.TeacherID, &o.ActivityID, &o.Kind, &o.Title, &day, &o.State, &o.Comment, &o.FileHash)
	o.Day, _ = time.Parse(dayFormat, day)
	return o, err
}

// SubmitOutput records a new output in the submitted state.
func (s *Service) SubmitOutput(ctx context.Context, o Output) (Output, error) {
	o.Title = strings.TrimSpace(o.Title)
	if o.Title == "" {
		return o, ErrNoName
	}
	if !validKind(OutputKinds, o.Kind) {
		return o, fmt.Errorf("%w: %q", ErrKind, o.Kind)
	}
	if o.Day.IsZero() {
		return o, ErrDate
	}
	o.State, o.Comment = Submitted, ""
	err := s.st.Update(ctx, func(tx *store.Tx) error {
		if ok, err := alive(ctx, tx, "research_teachers", o.TeacherID); err != nil || !ok {
			return missing(ErrNoTeacher, err)
		}
		rec, err := tx.Put("research_outputs", s.schoolID, "", outputFields(o))
		o.ID = rec.ID
		return err
	})
	return o, err
}

func outputFields(o Output) store.Fields {
	return store.Fields{"teacher_id": o.TeacherID, "activity_id": o.ActivityID, "kind": o.Kind, "title": o.Title,
		"day": Day(o.Day), "state": o.State, "comment": o.Comment, "file_hash": o.FileHash}
}

// ReviewOutput records the host's review: accepted, or returned with a comment.
func (s *Service) ReviewOutput(ctx context.Context, id, state, comment string) error {
	if state != Accepted && state != Returned && state != Submitted {
		return fmt.Errorf("%w: %q", ErrState, state)
	}
	comment = strings.TrimSpace(comment)
	if state == Returned && comment == "" {
		return ErrNeedComment
	}
	return s.st.Update(ctx, func(tx *store.Tx) error {
		o, err := scanOutput(tx.QueryRowContext(ctx, `SELECT `+outputCols+` FROM research_outputs WHERE id=? AND deleted=0`, id))
		if err != nil {
			return err
		}
		o.State, o.Comment = state, comment
		_, err = tx.Put("research_outputs", s.schoolID, id, outputFields(o))
		return err
	})
}

// Outputs lists a teacher's outputs (all teachers when teacherID is ""),
// in a state ("" for all), newest first.
func (s *Service) Outputs(ctx context.Context, teacherID, state string) ([]Output, error) {
	rows, err := s.st.DB.QueryContext(ctx, `SELECT `+outputCols+` FROM research_outputs
		WHERE deleted=0 AND (?='' OR teacher_id=?) AND (?='' OR state=?) ORDER BY day DESC, id DESC`,
		teacherID, teacherID, state, state)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Output
	for rows.Next() {
		o, err := scanOutput(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
