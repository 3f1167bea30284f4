package library

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Lesson is what the catalogue needs of a recorded Qiao lesson (录播课).
type Lesson struct {
	ID, Title, Subject, Teacher string
	Grade                       int
	Started                     time.Time
	Hash                        string // the recording in the content store
	Size                        int64
}

// StageOf is the school stage of grade 1–12 ("" for 0).
func StageOf(grade int) string {
	switch {
	case grade >= 10:
		return Stages[2]
	case grade >= 7:
		return Stages[1]
	case grade >= 1:
		return Stages[0]
	}
	return ""
}

// KeepLesson makes a recorded lesson an entry of the school's catalogue,
// so it is found and opened like any resource: one entry per lesson, its
// file updated when the recording grows (a resumed lesson).
func (s *Service) KeepLesson(ctx context.Context, l Lesson) (Entry, error) {
	if l.Title == "" {
		l.Title = l.Subject
	}
	e := Entry{Title: l.Title, Stage: StageOf(l.Grade), Subject: l.Subject, Grade: l.Grade,
		Kind: Recording, Source: FromSchool, FileName: l.Title + ".qrec", Size: l.Size, Hash: l.Hash,
		UploadedBy: l.Teacher, LessonID: l.ID, CreatedAt: l.Started}
	err := s.st.DB.QueryRowContext(ctx, `SELECT id FROM library_entries WHERE lesson_id = ? AND school_id = ? AND deleted = 0`,
		l.ID, s.schoolID).Scan(&e.ID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Entry{}, err
	}
	return s.Put(ctx, e)
}
