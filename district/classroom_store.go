package district

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"qiao/classroom/relay"
)

// Lessons on the district relay are kept in the lessons table (migration
// 0006): an open one is reopened when the server starts again, with its
// code and host key, so its participants reconnect as if nothing happened;
// an ended one keeps its code from being used again.

// lessonRecord is what the table says of code: unknown, open or ended.
type lessonRecord int

const (
	lessonNone lessonRecord = iota
	lessonOpen
	lessonEnded
)

// lessonState looks code up.
func (d *DB) lessonState(ctx context.Context, code string) (lessonRecord, error) {
	var ended int64
	err := d.queryRow(ctx, `SELECT ended_at FROM lessons WHERE code=?`, code).Scan(&ended)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return lessonNone, nil
	case err != nil:
		return lessonNone, err
	case ended > 0:
		return lessonEnded, nil
	}
	return lessonOpen, nil
}

// saveLesson records a lesson just opened.
func (d *DB) saveLesson(ctx context.Context, l *openLesson) error {
	remote, _ := json.Marshal(l.req.Remote)
	_, err := d.exec(ctx, `INSERT INTO lessons (code, host_key, lesson_id, school_id, device_id, subject, grade, title,
		school_name, remote, opened_at, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
		l.info.Code, l.info.HostKey, l.req.LessonID, l.school, l.device, l.req.Subject, l.req.Grade, l.req.Title,
		l.req.SchoolName, string(remote), l.opened.Unix())
	return err
}

// endLesson records that lesson code ended at t.
func (d *DB) endLesson(ctx context.Context, code string, t time.Time) error {
	_, err := d.exec(ctx, `UPDATE lessons SET ended_at=? WHERE code=? AND ended_at=0`, max(t.Unix(), 1), code)
	return err
}

// openLessons reads the lessons not ended, as the hub keeps them.
func (d *DB) openLessons(ctx context.Context) ([]*openLesson, error) {
	rows, err := d.query(ctx, `SELECT code, host_key, lesson_id, school_id, device_id, subject, grade, title, school_name,
		remote, opened_at FROM lessons WHERE ended_at=0 ORDER BY opened_at, code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*openLesson
	for rows.Next() {
		l := &openLesson{}
		var remote string
		var opened int64
		if err := rows.Scan(&l.info.Code, &l.info.HostKey, &l.req.LessonID, &l.school, &l.device, &l.req.Subject,
			&l.req.Grade, &l.req.Title, &l.req.SchoolName, &remote, &opened); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(remote), &l.req.Remote); err != nil {
			return nil, err
		}
		l.req.Code, l.opened = l.info.Code, time.Unix(opened, 0)
		l.info.About = l.about()
		out = append(out, l)
	}
	return out, rows.Err()
}

// about is what the lesson's snapshots say of it: nil without a lesson id.
func (l *openLesson) about() *relay.About {
	if l.req.LessonID == "" {
		return nil
	}
	return &relay.About{LessonID: l.req.LessonID, Title: l.req.Title, Subject: l.req.Subject, Grade: l.req.Grade,
		SchoolID: l.school, SchoolName: l.req.SchoolName}
}
