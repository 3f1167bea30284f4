package library

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestKeepLessonIsOneEntryPerLesson: a recorded lesson becomes a school
// entry of kind recording, found by search; keeping it again (a resumed
// lesson's longer recording) updates that entry instead of adding one.
func TestKeepLessonIsOneEntryPerLesson(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	l := Lesson{ID: "01a2b3c4-0000-7000-8000-000000000001", Title: "分数的初步认识", Subject: "数学", Grade: 3,
		Teacher: "王老师", Started: time.Date(2026, 11, 27, 9, 0, 0, 0, time.Local), Hash: strings.Repeat("a", 64), Size: 1000}
	e, err := s.KeepLesson(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	if e.Kind != Recording || e.Source != FromSchool || e.Stage != "小学" || e.LessonID != l.ID || e.SchoolID != s.SchoolID() {
		t.Fatalf("entry %+v", e)
	}
	l.Hash, l.Size = strings.Repeat("b", 64), 2000
	e2, err := s.KeepLesson(ctx, l)
	if err != nil || e2.ID != e.ID || e2.Hash != l.Hash {
		t.Fatalf("kept again: %+v, %v (first %s)", e2, err, e.ID)
	}
	p, err := s.Search(ctx, "分数", Filter{Kind: Recording}, 0, 10)
	if err != nil || len(p.Entries) != 1 || p.Entries[0].ID != e.ID || p.Entries[0].Size != 2000 {
		t.Fatalf("search: %+v, %v", p, err)
	}
}
