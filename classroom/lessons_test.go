package classroom

import (
	"context"
	"errors"
	"testing"
	"time"

	"qiao/store"
)

func newService(t *testing.T, school string) (*Service, *store.Store, *time.Time) {
	t.Helper()
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 9, 1, 8, 0, 0, 0, time.Local)
	s := New(st, school)
	s.now = func() time.Time { return now }
	return s, st, &now
}

func TestScheduleValidates(t *testing.T) {
	s, _, now := newService(t, store.NewID())
	ok := Lesson{Subject: "数学", Grade: 3, Minutes: 40, Starts: *now}
	for _, c := range []struct {
		change func(*Lesson)
		want   error
	}{
		{func(l *Lesson) { l.Subject = "  " }, ErrSubject},
		{func(l *Lesson) { l.Grade = 0 }, ErrGrade},
		{func(l *Lesson) { l.Grade = 13 }, ErrGrade},
		{func(l *Lesson) { l.Minutes = 0 }, ErrMinutes},
		{func(l *Lesson) { l.Minutes = 241 }, ErrMinutes},
		{func(l *Lesson) { l.Starts = time.Time{} }, ErrStarts},
	} {
		l := ok
		c.change(&l)
		if _, err := s.Schedule(context.Background(), l); !errors.Is(err, c.want) {
			t.Errorf("%+v: %v, want %v", l, err, c.want)
		}
	}
	l, err := s.Schedule(context.Background(), ok)
	if err != nil || len(l.Code) != CodeLen || l.State != Scheduled || l.ID == "" {
		t.Fatalf("scheduled %+v, %v", l, err)
	}
}

func TestLessonLifeAndAttendance(t *testing.T) {
	ctx := context.Background()
	host := store.NewID()
	s, st, now := newService(t, host)
	l, err := s.Schedule(ctx, Lesson{Title: "分数的初步认识", Subject: "数学", Grade: 3, Minutes: 40, Starts: *now, Remote: []string{store.NewID()}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.End(ctx, l.ID); !errors.Is(err, ErrState) {
		t.Fatalf("ending a lesson that has not started: %v", err)
	}
	if l, err = s.Start(ctx, l.ID); err != nil || l.State != Live {
		t.Fatalf("start: %+v %v", l, err)
	}
	if _, err := s.Start(ctx, l.ID); !errors.Is(err, ErrState) {
		t.Fatalf("starting twice: %v", err)
	}
	*now = now.Add(38 * time.Minute)
	if l, err = s.End(ctx, l.ID); err != nil || l.State != Ended {
		t.Fatalf("end: %+v %v", l, err)
	}
	var seconds int64
	var role string
	if err := st.DB.QueryRow(`SELECT role, seconds FROM classroom_attendance WHERE lesson_id=?`, l.ID).Scan(&role, &seconds); err != nil {
		t.Fatal(err)
	}
	if role != "host" || seconds != 38*60 {
		t.Fatalf("host attendance %s %d s, want host 2280 s", role, seconds)
	}
	got, err := s.Lessons(ctx, now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil || len(got) != 1 || got[0].Remote[0] != l.Remote[0] || got[0].Title != "分数的初步认识" {
		t.Fatalf("lessons: %+v %v", got, err)
	}
}

func TestRemoteStayCountsOnceAcrossReconnects(t *testing.T) {
	ctx := context.Background()
	remote := store.NewID()
	s, st, now := newService(t, remote)
	l := Lesson{ID: store.NewID(), SchoolID: store.NewID(), Subject: "语文", Grade: 5, Title: "古诗两首"}
	a, err := s.Joined(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	*now = now.Add(10 * time.Minute)
	if b, err := s.Joined(ctx, l); err != nil || b != a { // a reconnect
		t.Fatalf("rejoin made a new stay %s (first %s), %v", b, a, err)
	}
	*now = now.Add(20 * time.Minute)
	if err := s.Left(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	var n int
	var seconds int64
	var host, subject string
	st.DB.QueryRow(`SELECT count(*), sum(seconds), max(host_school), max(subject) FROM classroom_attendance WHERE school_id=?`, remote).Scan(&n, &seconds, &host, &subject)
	if n != 1 || seconds != 30*60 || host != l.SchoolID || subject != "语文" {
		t.Fatalf("%d stays, %d s, host %s, subject %s", n, seconds, host, subject)
	}
}

func TestAnotherSchoolsLessonIsNotFound(t *testing.T) {
	ctx := context.Background()
	s, st, now := newService(t, store.NewID())
	l, err := s.Schedule(ctx, Lesson{Subject: "数学", Grade: 3, Minutes: 40, Starts: *now})
	if err != nil {
		t.Fatal(err)
	}
	other := New(st, store.NewID())
	if _, err := other.Start(ctx, l.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another school started the lesson: %v", err)
	}
}

// TestCrashedLessonResumesOrEndsAtLastKnownTime: a lesson left live by an
// app that stopped can be resumed or ended; the stay left open closes at
// its last checkpoint, not when someone finally noticed.
func TestCrashedLessonResumesOrEndsAtLastKnownTime(t *testing.T) {
	ctx := context.Background()
	s, st, now := newService(t, store.NewID())
	stays := func(id string) (open int, closed []int64) {
		t.Helper()
		rows, err := st.DB.Query(`SELECT left_at, seconds FROM classroom_attendance WHERE lesson_id=? AND deleted=0 ORDER BY joined_at`, id)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var left, secs int64
			rows.Scan(&left, &secs)
			if left == 0 {
				open++
			} else {
				closed = append(closed, secs)
			}
		}
		return open, closed
	}
	for _, c := range []struct {
		name   string
		resume bool
	}{{"resume", true}, {"end", false}} {
		l, err := s.Schedule(ctx, Lesson{Subject: "数学", Grade: 3, Minutes: 40, Starts: *now})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Resume(ctx, l.ID); !errors.Is(err, ErrState) {
			t.Errorf("%s: resuming a scheduled lesson: %v", c.name, err)
		}
		if _, err := s.EndStale(ctx, l.ID); !errors.Is(err, ErrState) {
			t.Errorf("%s: ending a scheduled lesson as stale: %v", c.name, err)
		}
		l, _ = s.Start(ctx, l.ID)
		started := *now
		*now = now.Add(5 * time.Minute)
		s.Checkpoint(ctx, l.ID)
		*now = now.Add(7 * time.Minute)
		if err := s.Checkpoint(ctx, l.ID); err != nil {
			t.Fatal(err)
		}
		// The app stops here; two hours later the teacher opens it again.
		*now = now.Add(2 * time.Hour)
		if c.resume {
			if l, err = s.Resume(ctx, l.ID); err != nil || l.State != Live {
				t.Fatalf("resume: %+v %v", l, err)
			}
			if open, closed := stays(l.ID); open != 1 || len(closed) != 1 || closed[0] != 12*60 {
				t.Fatalf("after resume: %d open, closed %v; want 1 open and one of 720 s", open, closed)
			}
			*now = now.Add(10 * time.Minute)
			if l, err = s.End(ctx, l.ID); err != nil {
				t.Fatal(err)
			}
			if open, closed := stays(l.ID); open != 0 || len(closed) != 2 || closed[0]+closed[1] != 22*60 {
				t.Fatalf("after end: %d open, closed %v; want 720 s + 600 s", open, closed)
			}
			continue
		}
		if l, err = s.EndStale(ctx, l.ID); err != nil || l.State != Ended || !l.Ended.Equal(started.Add(12*time.Minute)) {
			t.Fatalf("end stale: %+v %v; want ended at %v", l, err, started.Add(12*time.Minute))
		}
		if open, closed := stays(l.ID); open != 0 || len(closed) != 1 || closed[0] != 12*60 {
			t.Fatalf("after ending: %d open, closed %v; want one of 720 s", open, closed)
		}
		if _, err := s.Resume(ctx, l.ID); !errors.Is(err, ErrState) {
			t.Errorf("resuming an ended lesson: %v", err)
		}
	}
}
