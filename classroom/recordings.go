package classroom

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"qiao/classroom/recording"
	"qiao/content"
	"qiao/school"
	"qiao/store"
)

// Recording is a lesson's recording (录播) as the lesson's row names it.
type Recording struct {
	Hash     string // SHA-256 of the file in the content store; "" when none
	Bytes    int64
	Duration time.Duration
}

// RecordingExt ends the name of a recording being written.
const RecordingExt = ".qrec"

// Recordings keeps the recordings of the school's lessons. While a lesson
// is live its recording is written to <data dir>/recordings/<lesson id>.qrec
// (flushed every few seconds, so a crash leaves a readable partial file).
// When the lesson ends, Keep moves the file into the content store and
// names it in the lesson's row (recording, recording_bytes, recording_ms),
// so it travels with the sync's file transfer like a research attachment
// (replica.FileColumns). Recover keeps what a crash left behind. One
// Recordings per data directory: it serialises its work on the files.
type Recordings struct {
	svc   *Service
	files *content.Store
	dir   string
	mu    sync.Mutex
	live  map[string]bool // lessons whose recording Create started and Keep or Discard did not finish
}

// NewRecordings keeps svc's recordings in files.
func NewRecordings(svc *Service, files *content.Store) *Recordings {
	return &Recordings{svc: svc, files: files, dir: filepath.Join(svc.st.Dir, "recordings"), live: map[string]bool{}}
}

// Dir is where recordings are written while live.
func (r *Recordings) Dir() string { return r.dir }

var lessonIDRE = regexp.MustCompile(`^[0-9a-f-]{36}$`)

func (r *Recordings) path(lessonID string) (string, error) {
	if !lessonIDRE.MatchString(lessonID) {
		return "", fmt.Errorf("classroom: %q is not a lesson id", lessonID)
	}
	return filepath.Join(r.dir, lessonID+RecordingExt), nil
}

// Create starts the recording of live lesson l, or takes it up again: a
// lesson resumed after the app stopped goes on in the recording it has, on
// one timeline (recording.Append). A left-over live file (the app stopped
// during the lesson) is kept first; then the recording the lesson's row
// names is copied back from the content store and appended to, so Keep
// stores one file with every part and the row names only it. The earlier
// content is then no longer referenced; removing it is left to a sweep of
// unreferenced content. When the row names a recording this device does
// not hold, a new one starts.
func (r *Recordings) Create(ctx context.Context, l Lesson) (*recording.Recorder, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, err := r.path(l.ID)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(p); err == nil {
		if _, err := r.keep(ctx, l.ID); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return nil, fmt.Errorf("classroom: recordings: %w", err)
	}
	kept, err := r.svc.RecordingOf(ctx, l.ID)
	if err != nil && !errors.Is(err, ErrNotFound) { // not found: a lesson of another school's table (district)
		return nil, err
	}
	if kept.Hash != "" && r.files.Has(kept.Hash) {
		rec, err := r.resume(p, kept.Hash)
		if err == nil {
			r.live[l.ID] = true
		}
		return rec, err
	}
	started := l.Started
	if started.IsZero() {
		started = r.svc.now()
	}
	h := recording.Header{LessonID: l.ID, Title: l.Title, Subject: l.Subject, Grade: l.Grade,
		School: l.SchoolID, Teacher: l.Teacher, Started: started}
	if sch, ok, err := school.NewService(r.svc.st).Current(ctx); err == nil && ok && sch.ID == l.SchoolID {
		h.SchoolName = sch.Name
	}
	w, err := recording.Create(p, h)
	if err != nil {
		return nil, err
	}
	// The header reaches the disk now: a crash in the first seconds still
	// leaves a recording.
	if err := w.Flush(); err != nil {
		w.Close()
		os.Remove(p)
		return nil, err
	}
	r.live[l.ID] = true
	return recording.NewRecorder(w, recording.RecorderConfig{}), nil
}

// resume copies the kept recording hash to the live path p and records on
// after its end.
func (r *Recordings) resume(p, hash string) (*recording.Recorder, error) {
	src, err := r.files.Open(hash)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	tmp := p + ".part" // not a live recording until whole (Recover skips it)
	dst, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("classroom: recordings: %w", err)
	}
	_, err = io.Copy(dst, src)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("classroom: recordings: %w", err)
	}
	w, st, err := recording.Append(p)
	if err != nil {
		os.Remove(p)
		return nil, err
	}
	return recording.NewRecorder(w, recording.RecorderConfig{Initial: st}), nil
}

// Keep finishes the recording of lessonID (its recorder closed, or cut
// by a crash: a torn last record is cut off), stores it in the content
// store, names it in the lesson's row and removes the file written live.
func (r *Recordings) Keep(ctx context.Context, lessonID string) (Recording, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.keep(ctx, lessonID)
}

func (r *Recordings) keep(ctx context.Context, lessonID string) (Recording, error) {
	p, err := r.path(lessonID)
	if err != nil {
		return Recording{}, err
	}
	d, err := finish(p)
	if err != nil {
		return Recording{}, err
	}
	delete(r.live, lessonID)
	ref, err := r.files.PutFile(p)
	if err != nil {
		return Recording{}, err
	}
	rec := Recording{Hash: ref.Hash, Bytes: ref.Size, Duration: d}
	if err := r.svc.setRecording(ctx, lessonID, rec); err != nil {
		return Recording{}, err
	}
	if err := os.Remove(p); err != nil {
		return rec, fmt.Errorf("classroom: recording kept, but: %w", err)
	}
	return rec, nil
}

// Discard closes rec and removes the recording of lessonID being written
// (a lesson that could not start).
func (r *Recordings) Discard(rec *recording.Recorder, lessonID string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, err := r.path(lessonID)
	if err != nil {
		return err
	}
	rec.Close()
	delete(r.live, lessonID)
	return os.Remove(p)
}

// finish cuts a torn last record off the recording at p and returns its
// duration.
func finish(p string) (time.Duration, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, fmt.Errorf("classroom: %w", err)
	}
	defer f.Close()
	rd, err := recording.NewReader(f)
	if err != nil {
		return 0, fmt.Errorf("classroom: %s: %w", filepath.Base(p), err)
	}
	var d time.Duration
	for {
		end := rd.Offset()
		rec, err := rd.Next()
		if err == io.EOF {
			return d, nil
		}
		if errors.Is(err, recording.ErrTruncated) {
			return d, os.Truncate(p, end)
		}
		if err != nil {
			return 0, fmt.Errorf("classroom: %s: %w", filepath.Base(p), err)
		}
		d = rec.At
	}
}

// Recover keeps every recording a crash left in Dir and returns how many;
// one this Recordings is writing (Create, not yet kept) is not touched.
// A file with nothing recorded (cut before its header reached the disk) is
// removed; one that cannot be kept stays, and its error is returned with
// the others.
func (r *Recordings) Recover(ctx context.Context) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ents, err := os.ReadDir(r.dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	} else if err != nil {
		return 0, fmt.Errorf("classroom: recordings: %w", err)
	}
	n := 0
	var errs []error
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), RecordingExt)
		if !ok || e.IsDir() || r.live[id] {
			continue
		}
		if fi, err := e.Info(); err == nil && fi.Size() == 0 {
			os.Remove(filepath.Join(r.dir, e.Name()))
			continue
		}
		if _, err := r.keep(ctx, id); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", e.Name(), err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// setRecording names rec in the school's lesson id.
func (s *Service) setRecording(ctx context.Context, id string, rec Recording) error {
	return s.st.Update(ctx, func(tx *store.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM classroom_lessons WHERE id=? AND school_id=? AND deleted=0`, id, s.schoolID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		_, err = tx.Update("classroom_lessons", id, store.Fields{"recording": rec.Hash, "recording_bytes": rec.Bytes,
			"recording_ms": rec.Duration.Milliseconds()})
		return err
	})
}

// RecordingOf is the recording the school's lesson id names (Hash "" when none).
func (s *Service) RecordingOf(ctx context.Context, id string) (Recording, error) {
	var rec Recording
	var ms int64
	err := s.st.DB.QueryRowContext(ctx, `SELECT recording, recording_bytes, recording_ms FROM classroom_lessons
		WHERE id=? AND school_id=? AND deleted=0`, id, s.schoolID).Scan(&rec.Hash, &rec.Bytes, &ms)
	if errors.Is(err, sql.ErrNoRows) {
		return rec, ErrNotFound
	}
	rec.Duration = time.Duration(ms) * time.Millisecond
	return rec, err
}
