package replica

import (
	"context"
	"testing"
	"time"

	"qiao/classroom"
	"qiao/classroom/relay"
)

// TestLessonRecordingTravels: the recording a lesson's row names goes up
// with the row and down to the school's other devices (FileColumns).
func TestLessonRecordingTravels(t *testing.T) {
	ctx := context.Background()
	d := startDistrict(t)
	a := d.school(t, "A校")
	st1, r1 := d.fileDevice(t, a, "A", "")
	st2, r2 := d.fileDevice(t, a, "", "")
	syncOK(t, r2)

	sid, err := st1.Setting(ctx, "school.id", "")
	if err != nil {
		t.Fatal(err)
	}
	svc := classroom.New(st1, sid)
	l, err := svc.Schedule(ctx, classroom.Lesson{Title: "分数的初步认识", Subject: "数学", Grade: 3, Minutes: 40, Starts: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if l, err = svc.Start(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	rs := classroom.NewRecordings(svc, r1.Files)
	rec, err := rs.Create(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	voice := randomBytes(60, 7)
	for i := range 1000 {
		at := time.Duration(i) * 20 * time.Millisecond
		if err := rec.Voice(at, voice); err != nil {
			t.Fatal(err)
		}
		if i%100 == 0 {
			if err := rec.Event(at, relay.Event{Type: relay.EvPage, Page: &i}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.End(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	kept, err := rs.Keep(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}

	if rep := syncOK(t, r1); rep.FilesUp != 1 || rep.FileBytesUp != kept.Bytes {
		t.Fatalf("device 1 sent %d files, %d bytes; want the recording, %d bytes", rep.FilesUp, rep.FileBytesUp, kept.Bytes)
	}
	if rep := syncOK(t, r2); rep.FilesDown != 1 || rep.FileBytesDown != kept.Bytes {
		t.Fatalf("device 2 received %d files, %d bytes", rep.FilesDown, rep.FileBytesDown)
	}
	if err := r2.Files.Verify(kept.Hash); err != nil {
		t.Fatal(err)
	}
	got, err := classroom.New(st2, sid).RecordingOf(ctx, l.ID)
	if err != nil || got != kept {
		t.Fatalf("device 2's lesson names %+v, %v; want %+v", got, err, kept)
	}
}
