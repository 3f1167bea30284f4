// Package classroom is the synchronous classroom (同步课堂): lessons and
// who took part in them (this file), the relay that carries a live lesson
// (classroom/relay) and its protocol (docs/classroom-protocol.md).
package classroom

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"qiao/store"
)

// Lesson states.
const (
	Scheduled = "scheduled"
	Live      = "live"
	Ended     = "ended"
	Cancelled = "cancelled"
)

// Lesson is a synchronous lesson hosted by a school.
type Lesson struct {
	ID        string
	SchoolID  string // the host school
	Title     string
	Subject   string
	Grade     int // 1–12
	Teacher   string
	Remote    []string // ids of the remote schools invited
	Starts    time.Time
	Minutes   int
	Code      string // what remote classrooms type to join
	State     string
	Started   time.Time // zero until started
	Ended     time.Time // zero until ended
	Recording string    // content hash of the recording, if any
}

// Errors a form can show next to its field.
var (
	ErrSubject  = errors.New("classroom: a lesson needs a subject")
	ErrGrade    = errors.New("classroom: the grade must be 1 to 12")
	ErrMinutes  = errors.New("classroom: a lesson lasts 1 to 240 minutes")
	ErrStarts   = errors.New("classroom: a lesson needs a start time")
	ErrState    = errors.New("classroom: the lesson cannot do that in its present state")
	ErrNotFound = errors.New("classroom: no such lesson")
)

// Service keeps the lessons and attendance of one school.
type Service struct {
	st       *store.Store
	schoolID string
	now      func() time.Time
}

// New returns the service of schoolID on st.
func New(st *store.Store, schoolID string) *Service {
	return &Service{st: st, schoolID: schoolID, now: time.Now}
}

// SchoolID is the school whose lessons and attendance s keeps.
func (s *Service) SchoolID() string { return s.schoolID }

// CodeLen is the number of digits in a join code.
const CodeLen = 6

// newCode returns a random join code of CodeLen digits.
func newCode() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1_000_000))
	return fmt.Sprintf("%06d", n.Int64())
}

// Schedule validates and stores a new lesson of the school with a fresh
// join code.
func (s *Service) Schedule(ctx context.Context, l Lesson) (Lesson, error) {
	l.Subject, l.Title, l.Teacher = strings.TrimSpace(l.Subject), strings.TrimSpace(l.Title), strings.TrimSpace(l.Teacher)
	switch {
	case l.Subject == "":
		return l, ErrSubject
	case l.Grade < 1 || l.Grade > 12:
		return l, ErrGrade
	case l.Minutes < 1 || l.Minutes > 240:
		return l, ErrMinutes
	case l.Starts.IsZero():
		return l, ErrStarts
	}
	l.ID, l.SchoolID, l.Code, l.State = "", s.schoolID, newCode(), Scheduled
	if l.Remote == nil {
		l.Remote = []string{}
	}
	return l, s.st.Update(ctx, func(tx *store.Tx) error { return s.put(tx, &l) })
}

func (s *Service) put(tx *store.Tx, l *Lesson) error {
	remote, _ := json.Marshal(l.Remote)
	rec, err := tx.Put("classroom_lessons", l.SchoolID, l.ID, store.Fields{
		"title": l.Title, "subject": l.Subject, "grade": l.Grade, "teacher": l.Teacher,
		"remote_schools": string(remote), "starts_at": l.Starts.Unix(), "minutes": l.Minutes, "code": l.Code,
		"state": l.State, "started_at": unix(l.Started), "ended_at": unix(l.Ended), "recording": l.Recording,
	})
	l.ID = rec.ID
	return err
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func fromUnix(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(n, 0)
}

const lessonCols = `id, school_id, title, subject, grade, teacher, remote_schools, starts_at, minutes, code, state, started_at, ended_at, recording`

func scanLesson(sc interface{ Scan(...any) error }) (Lesson, error) {
	var l Lesson
	var remote string
	var starts, started, ended int64
	err := sc.Scan(&l.ID, &l.SchoolID, &l.Title, &l.Subject, &l.Grade, &l.Teacher, &remote, &starts, &l.Minutes, &l.Code, &l.State, &started, &ended, &l.Recording)
	if err != nil {
		return l, err
	}
	if err := json.Unmarshal([]byte(remote), &l.Remote); err != nil {
		return l, fmt.Errorf("classroom: lesson %s: remote schools: %w", l.ID, err)
	}
	l.Starts, l.Started, l.Ended = time.Unix(starts, 0), fromUnix(started), fromUnix(ended)
	return l, nil
}

// Lesson returns the school's lesson id.
func (s *Service) Lesson(ctx context.Context, id string) (Lesson, error) {
	l, err := scanLesson(s.st.DB.QueryRowContext(ctx, `SELECT `+lessonCols+` FROM classroom_lessons
		WHERE id=? AND school_id=? AND deleted=0`, id, s.schoolID))
	if errors.Is(err, sql.ErrNoRows) {
		return l, ErrNotFound
	}
	return l, err
}

// Lessons lists the school's lessons scheduled in [from, to), earliest first.
func (s *Service) Lessons(ctx context.Context, from, to time.Time) ([]Lesson, error) {
	rows, err := s.st.DB.QueryContext(ctx, `SELECT `+lessonCols+` FROM classroom_lessons
		WHERE school_id=? AND deleted=0 AND starts_at >= ? AND starts_at < ? ORDER BY starts_at, id`, s.schoolID, from.Unix(), to.Unix())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Lesson
	for rows.Next() {
		l, err := scanLesson(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// transition moves a lesson from one of the states in from to state to,
// applying change to it, in one transaction.
func (s *Service) transition(ctx context.Context, id string, from []string, change func(tx *store.Tx, l *Lesson) error) (Lesson, error) {
	var l Lesson
	err := s.st.Update(ctx, func(tx *store.Tx) error {
		var err error
		l, err = scanLesson(tx.QueryRowContext(ctx, `SELECT `+lessonCols+` FROM classroom_lessons
			WHERE id=? AND school_id=? AND deleted=0`, id, s.schoolID))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		ok := false
		for _, f := range from {
			ok = ok || l.State == f
		}
		if !ok {
			return fmt.Errorf("%w (%s)", ErrState, l.State)
		}
		if err := change(tx, &l); err != nil {
			return err
		}
		return s.put(tx, &l)
	})
	return l, err
}

// Start makes a scheduled lesson live and records the host's attendance.
func (s *Service) Start(ctx context.Context, id string) (Lesson, error) {
	return s.transition(ctx, id, []string{Scheduled}, func(tx *store.Tx, l *Lesson) error {
		l.State, l.Started = Live, s.now()
		_, err := s.attend(tx, Attendance{LessonID: l.ID, Role: "host", HostSchool: l.SchoolID, Title: l.Title,
			Subject: l.Subject, Grade: l.Grade, Joined: l.Started})
		return err
	})
}

// End ends a live lesson and closes the host's attendance.
func (s *Service) End(ctx context.Context, id string) (Lesson, error) {
	return s.transition(ctx, id, []string{Live}, func(tx *store.Tx, l *Lesson) error {
		l.State, l.Ended = Ended, s.now()
		return s.closeOpen(ctx, tx, l.ID, l.Ended)
	})
}

// Cancel cancels a lesson that has not started.
func (s *Service) Cancel(ctx context.Context, id string) (Lesson, error) {
	return s.transition(ctx, id, []string{Scheduled}, func(_ *store.Tx, l *Lesson) error {
		l.State = Cancelled
		return nil
	})
}

// Attendance is one stay of this school's classroom in a lesson: the
// host's for the whole lesson, a remote classroom's from joining to
// leaving (a reconnect continues the same stay).
type Attendance struct {
	ID         string
	LessonID   string
	Role       string // "host" or "remote"
	HostSchool string
	Title      string
	Subject    string
	Grade      int
	Joined     time.Time
	Left       time.Time // zero while present
	Seconds    int64
}

func (s *Service) attend(tx *store.Tx, a Attendance) (string, error) {
	rec, err := tx.Put("classroom_attendance", s.schoolID, a.ID, store.Fields{
		"lesson_id": a.LessonID, "role": a.Role, "host_school": a.HostSchool, "title": a.Title, "subject": a.Subject,
		"grade": a.Grade, "joined_at": a.Joined.Unix(), "left_at": unix(a.Left), "seconds": a.Seconds,
	})
	return rec.ID, err
}

// Joined records that this school's classroom joined a lesson of another
// school as a remote classroom; the lesson's details come from the host.
// It returns the attendance id that Left closes. Joining again while
// present returns the open stay.
func (s *Service) Joined(ctx context.Context, l Lesson) (string, error) {
	var id string
	err := s.st.Update(ctx, func(tx *store.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id FROM classroom_attendance WHERE lesson_id=? AND school_id=? AND role='remote'
			AND left_at=0 AND deleted=0`, l.ID, s.schoolID).Scan(&id)
		if err == nil || !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		id, err = s.attend(tx, Attendance{LessonID: l.ID, Role: "remote", HostSchool: l.SchoolID, Title: l.Title,
			Subject: l.Subject, Grade: l.Grade, Joined: s.now()})
		return err
	})
	return id, err
}

// Left closes a remote stay, counting its seconds.
func (s *Service) Left(ctx context.Context, lessonID string) error {
	return s.st.Update(ctx, func(tx *store.Tx) error { return s.closeOpen(ctx, tx, lessonID, s.now()) })
}

// closeOpen closes this school's open stays in a lesson at t.
func (s *Service) closeOpen(ctx context.Context, tx *store.Tx, lessonID string, t time.Time) error {
	_, err := s.closeStays(ctx, tx, lessonID, func(int64, int64) int64 { return t.Unix() })
	return err
}

// closeStays closes this school's open stays in a lesson, each at the unix
// time at(joined, seconds so far) says; it returns the latest such time
// (0 if none was open).
func (s *Service) closeStays(ctx context.Context, tx *store.Tx, lessonID string, at func(joined, seconds int64) int64) (int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, joined_at, seconds FROM classroom_attendance WHERE lesson_id=? AND school_id=?
		AND left_at=0 AND deleted=0`, lessonID, s.schoolID)
	if err != nil {
		return 0, err
	}
	type open struct {
		id              string
		joined, seconds int64
	}
	var stays []open
	for rows.Next() {
		var o open
		if err := rows.Scan(&o.id, &o.joined, &o.seconds); err != nil {
			rows.Close()
			return 0, err
		}
		stays = append(stays, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	var last int64
	for _, o := range stays {
		t := at(o.joined, o.seconds)
		if _, err := tx.Update("classroom_attendance", o.id, store.Fields{"left_at": t, "seconds": max(0, t-o.joined)}); err != nil {
			return 0, err
		}
		last = max(last, t)
	}
	return last, nil
}

// CheckpointEvery is how often a running lesson notes its stays' seconds
// (Checkpoint): what a crash can lose of them at most.
const CheckpointEvery = time.Minute

// Checkpoint notes that this school's open stays in a lesson are still
// going now: their seconds so far, which Resume and EndStale take as the
// stays' last known time when no session runs them any more.
func (s *Service) Checkpoint(ctx context.Context, lessonID string) error {
	now := s.now().Unix()
	return s.st.Update(ctx, func(tx *store.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, joined_at FROM classroom_attendance WHERE lesson_id=? AND school_id=?
			AND left_at=0 AND deleted=0`, lessonID, s.schoolID)
		if err != nil {
			return err
		}
		secs := map[string]int64{}
		for rows.Next() {
			var id string
			var joined int64
			if err := rows.Scan(&id, &joined); err != nil {
				rows.Close()
				return err
			}
			secs[id] = max(0, now-joined)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for id, n := range secs {
			if _, err := tx.Update("classroom_attendance", id, store.Fields{"seconds": n}); err != nil {
				return err
			}
		}
		return nil
	})
}

// lastKnown closes a stale stay at its last checkpoint.
func lastKnown(joined, seconds int64) int64 { return joined + seconds }

// Resume takes up again a live lesson that no session runs (the app that
// ran it stopped): the stays it left open are closed at their last known
// time, and the host's new stay starts now.
func (s *Service) Resume(ctx context.Context, id string) (Lesson, error) {
	return s.transition(ctx, id, []string{Live}, func(tx *store.Tx, l *Lesson) error {
		if _, err := s.closeStays(ctx, tx, l.ID, lastKnown); err != nil {
			return err
		}
		_, err := s.attend(tx, Attendance{LessonID: l.ID, Role: "host", HostSchool: l.SchoolID, Title: l.Title,
			Subject: l.Subject, Grade: l.Grade, Joined: s.now()})
		return err
	})
}

// EndStale ends a live lesson that no session runs at its last known time:
// its open stays close at their last checkpoint, the lesson then too (at
// its start if nothing later is known).
func (s *Service) EndStale(ctx context.Context, id string) (Lesson, error) {
	return s.transition(ctx, id, []string{Live}, func(tx *store.Tx, l *Lesson) error {
		last, err := s.closeStays(ctx, tx, l.ID, lastKnown)
		if err != nil {
			return err
		}
		l.State, l.Ended = Ended, time.Unix(max(last, unix(l.Started)), 0)
		return nil
	})
}
