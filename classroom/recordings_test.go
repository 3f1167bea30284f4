package classroom

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"qiao/classroom/recording"
	"qiao/classroom/relay"
	"qiao/content"
	"qiao/store"
)

// liveLesson schedules and starts a lesson of s.
func liveLesson(t *testing.T, s *Service) Lesson {
	t.Helper()
	ctx := context.Background()
	l, err := s.Schedule(ctx, Lesson{Title: "分数的初步认识", Subject: "数学", Grade: 3, Minutes: 40, Starts: s.now()})
	if err != nil {
		t.Fatal(err)
	}
	if l, err = s.Start(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	return l
}

func openFiles(t *testing.T, st *store.Store) *content.Store {
	t.Helper()
	files, err := content.Open(filepath.Join(st.Dir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// recordSome records n seconds of a lesson: a voice packet every 20 ms
// and a page turn every second.
func recordSome(t *testing.T, rec *recording.Recorder, n int) {
	t.Helper()
	for i := 0; i < n*50; i++ {
		at := time.Duration(i) * 20 * time.Millisecond
		if err := rec.Voice(at, []byte("opus packet of about sixty bytes ........................")); err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 {
			p := i / 50
			if err := rec.Event(at, relay.Event{Type: relay.EvPage, Page: &p}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// kept checks that the lesson's row names a recording of d that the
// content store holds and that replays.
func kept(t *testing.T, s *Service, files *content.Store, id string, d time.Duration) Recording {
	t.Helper()
	rec, err := s.RecordingOf(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.Lesson(context.Background(), id)
	if err != nil || l.Recording != rec.Hash || rec.Hash == "" {
		t.Fatalf("lesson's recording %q, RecordingOf %+v, %v", l.Recording, rec, err)
	}
	if rec.Duration != d {
		t.Errorf("recorded %v, want %v", rec.Duration, d)
	}
	if err := files.Verify(rec.Hash); err != nil {
		t.Fatal(err)
	}
	p, _ := files.Path(rec.Hash)
	if fi, err := os.Stat(p); err != nil || fi.Size() != rec.Bytes {
		t.Errorf("file of %v bytes (%v), row says %d", fi, err, rec.Bytes)
	}
	f, err := recording.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Duration != d || f.Truncated || f.Header.LessonID != id {
		t.Errorf("kept file: %v, truncated %v, lesson %q", f.Duration, f.Truncated, f.Header.LessonID)
	}
	return rec
}

func TestRecordingKeptWhenLessonEnds(t *testing.T) {
	ctx := context.Background()
	s, st, _ := newService(t, store.NewID())
	files := openFiles(t, st)
	rs := NewRecordings(s, files)
	l := liveLesson(t, s)
	rec, err := rs.Create(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	recordSome(t, rec, 5)
	// A Recover meanwhile (the app's start-up job) leaves the live recording be.
	if n, err := rs.Recover(ctx); n != 0 || err != nil {
		t.Fatalf("Recover took %d live recordings (%v)", n, err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.End(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Keep(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	r := kept(t, s, files, l.ID, 5*time.Second-20*time.Millisecond)
	if r.Bytes < 5*50*60 {
		t.Errorf("a recording of %d bytes", r.Bytes)
	}
	if _, err := rs.Keep(ctx, l.ID); err == nil {
		t.Error("kept the same recording twice")
	}
	if ents, _ := os.ReadDir(rs.Dir()); len(ents) != 0 {
		t.Errorf("left in the recordings folder: %v", ents)
	}
	// Another school's lesson, or a made-up id, is refused and changes nothing.
	other, _, _ := newService(t, store.NewID())
	ol := liveLesson(t, other)
	if _, err := rs.Create(ctx, Lesson{ID: "../../escape"}); err == nil {
		t.Error("a path as a lesson id was taken")
	}
	if err := s.setRecording(ctx, ol.ID, r); !errors.Is(err, ErrNotFound) {
		t.Errorf("naming a recording in another school's lesson: %v", err)
	}
}

// crashEnv makes TestRecordingCrashChild record into the lesson it names
// and die without closing anything, as a crashing app would.
const crashEnv = "QIAO_TEST_RECORDING_CRASH"

func TestRecordingCrashChild(t *testing.T) {
	spec := os.Getenv(crashEnv)
	if spec == "" {
		t.Skip("runs as a child of TestCrashedRecordingIsKept")
	}
	dir, school, id, _ := cut3(spec)
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	s := New(st, school)
	rs := NewRecordings(s, openFiles(t, st))
	l, err := s.Lesson(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := rs.Create(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	recordSome(t, rec, 4) // lesson time: a flush at 3 s
	os.Exit(3)
}

// crashWhileRecording runs TestRecordingCrashChild in a child process: it
// records 4 s of lesson id of school in the store at dir and dies.
func crashWhileRecording(t *testing.T, dir, school, id string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRecordingCrashChild$")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir+string(filepath.ListSeparator)+school+string(filepath.ListSeparator)+id)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func cut3(s string) (a, b, c string, ok bool) {
	parts := filepath.SplitList(s)
	if len(parts) != 3 {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// TestCrashedRecordingIsKept: an app that dies during a lesson leaves a
// partial recording; the next start keeps it, a torn last record cut off.
func TestCrashedRecordingIsKept(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	school := store.NewID()
	st, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	s := New(st, school)
	l := liveLesson(t, s)
	st.Close()
	crashWhileRecording(t, dir, school, l.ID)

	st, err = store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s = New(st, school)
	files := openFiles(t, st)
	rs := NewRecordings(s, files)
	p := filepath.Join(rs.Dir(), l.ID+RecordingExt)
	f, err := recording.Open(p)
	if err != nil {
		t.Fatalf("the crash left no readable recording: %v", err)
	}
	d := f.Duration
	f.Close()
	if d < 3*time.Second-20*time.Millisecond {
		t.Fatalf("the crash left %v of a 4 s lesson; flushes every 3 s", d)
	}
	// The app died inside a record: half a record at the end.
	fh, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fh.Write([]byte{recording.Audio, 0x90, 0x4e, 60, 'o', 'p'})
	fh.Close()
	// And an empty file of another lesson, cut before its header.
	empty := filepath.Join(rs.Dir(), store.NewID()+RecordingExt)
	os.WriteFile(empty, nil, 0o644)

	n, err := rs.Recover(ctx)
	if err != nil || n != 1 {
		t.Fatalf("recovered %d, %v", n, err)
	}
	kept(t, s, files, l.ID, d)
	if ents, _ := os.ReadDir(rs.Dir()); len(ents) != 0 {
		t.Errorf("left in the recordings folder: %v", ents)
	}
	if n, err := rs.Recover(ctx); n != 0 || err != nil {
		t.Errorf("a second Recover: %d, %v", n, err)
	}
}

// liveDuration is the duration of the recording being written at p.
func liveDuration(t *testing.T, p string) time.Duration {
	t.Helper()
	f, err := recording.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return f.Duration
}

// TestResumedLessonContinuesItsRecording: a lesson whose app dies twice
// and is resumed each time ends with one recording holding the three parts
// on one timeline, named by the lesson's row; the earlier parts' content is
// no longer referenced. The first resume takes the recording back from the
// content store (Recover kept it at start-up), the second from the live
// file the crash left.
func TestResumedLessonContinuesItsRecording(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	school := store.NewID()
	st, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	l := liveLesson(t, New(st, school))
	st.Close()
	p := filepath.Join(dir, "recordings", l.ID+RecordingExt)

	crashWhileRecording(t, dir, school, l.ID)
	d1 := liveDuration(t, p)
	st, err = store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	s := New(st, school)
	files := openFiles(t, st)
	if n, err := NewRecordings(s, files).Recover(ctx); n != 1 || err != nil {
		t.Fatalf("recovered %d, %v", n, err)
	}
	first := kept(t, s, files, l.ID, d1)
	if _, err := s.Resume(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	st.Close()

	crashWhileRecording(t, dir, school, l.ID) // resumes, records 4 s more, dies
	d2 := liveDuration(t, p)
	if d2 < d1+recording.AppendGap+3*time.Second-20*time.Millisecond {
		t.Fatalf("after the second part the recording lasts %v; the first lasted %v", d2, d1)
	}
	st, err = store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s = New(st, school)
	files = openFiles(t, st)
	rs := NewRecordings(s, files)
	if l, err = s.Resume(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	rec, err := rs.Create(ctx, l) // the live file the crash left
	if err != nil {
		t.Fatal(err)
	}
	recordSome(t, rec, 5)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.End(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Keep(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	d := d2 + recording.AppendGap + 5*time.Second - 20*time.Millisecond
	final := kept(t, s, files, l.ID, d)
	if ents, _ := os.ReadDir(rs.Dir()); len(ents) != 0 {
		t.Errorf("left in the recordings folder: %v", ents)
	}
	var refs int
	if err := st.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM classroom_lessons WHERE recording=?`, first.Hash).Scan(&refs); err != nil || refs != 0 {
		t.Errorf("the first part's content is still named by %d lessons (%v)", refs, err)
	}
	if final.Hash == first.Hash || !files.Has(first.Hash) {
		t.Errorf("final %s, first %s (held: %v)", final.Hash, first.Hash, files.Has(first.Hash))
	}

	// It plays through from the start to the end of the third part.
	fp, _ := files.Path(final.Hash)
	f, err := recording.Open(fp)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var seams []time.Duration
	for _, m := range f.Snapshots {
		seams = append(seams, m.At)
	}
	if len(seams) != 3 || seams[0] != 0 || seams[1] != d1+recording.AppendGap || seams[2] != d2+recording.AppendGap {
		t.Errorf("snapshots at %v; the parts end at %v and %v", seams, d1, d2)
	}
	pl, err := recording.NewPlayer(f)
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	pl.Play()
	frame := make([]int16, 320)
	for pl.Playing() {
		pl.Fill(frame)
	}
	if v := pl.View(); !v.Ended || v.Position < d || v.Page != 4 || pl.Err() != nil {
		t.Fatalf("played to %v of %v, ended %v, page %d, %v", v.Position, d, v.Ended, v.Page, pl.Err())
	}
}
