package recording

import (
	"encoding/json"
	"errors"
	"sync"
	"time"

	"qiao/classroom/relay"
)

// Defaults of a Recorder.
const (
	SnapshotEvery = 30 * time.Second // least lesson time between snapshots
	SnapshotShare = 0.5              // events since the last snapshot, as a share of its size, that call for the next
	FlushEvery    = 3 * time.Second  // a crash loses at most about this much
)

// RecorderConfig sets up a Recorder.
type RecorderConfig struct {
	// Snapshot returns the whole lesson state now. It is called with the
	// recorder's lock held, so it must not call the Recorder. When nil, the
	// recorder keeps the state itself from Initial and the events it is
	// given (which costs the lesson's state in memory, bounded by the
	// relay's limits).
	Snapshot func() relay.State
	Initial  relay.State
	// SnapshotEvery, SnapshotShare and FlushEvery override the defaults
	// (0: default).
	SnapshotEvery time.Duration
	SnapshotShare float64
	FlushEvery    time.Duration
}

// Recorder records a live lesson into a Writer: the speaker's voice packets
// as they go out, the relay's events, the slides, and snapshots of the
// whole state so a player seeks cheaply. The first snapshot goes with the
// first record; the next one once SnapshotEvery of lesson time has passed
// AND the events recorded since the last snapshot weigh at least
// SnapshotShare of its size. So a seek replays at most about SnapshotShare
// of a snapshot's worth of events (plus SnapshotEvery of them), while all
// snapshots together weigh at most about (1 + 1/SnapshotShare) times the
// lesson's events: a snapshot carries all the ink so far, and with one
// every 30 s regardless they grew with the square of the lesson's length
// (docs/BENCHMARKS.md). Times are lesson times the caller
// gives (since the lesson started). It flushes every FlushEvery of lesson
// time and of wall time, whichever comes first. Memory is bounded: the
// writer's 64 KiB buffer, and the lesson state when it keeps it itself.
// It is safe for concurrent use.
type Recorder struct {
	mu        sync.Mutex
	w         *Writer
	cfg       RecorderConfig
	state     relay.State   // kept when cfg.Snapshot is nil
	nextSnap  time.Duration // file time from which a snapshot may be due
	snapBytes int           // size of the last snapshot
	evBytes   int           // bytes of events since the last snapshot
	lastFlush time.Duration // file time
	err       error         // the first write error; every later call returns it
	closed    bool
	stop      chan struct{}
	done      chan struct{}
}

// NewRecorder starts recording into w; Close closes w.
func NewRecorder(w *Writer, cfg RecorderConfig) *Recorder {
	if cfg.SnapshotEvery <= 0 {
		cfg.SnapshotEvery = SnapshotEvery
	}
	if cfg.SnapshotShare <= 0 {
		cfg.SnapshotShare = SnapshotShare
	}
	if cfg.FlushEvery <= 0 {
		cfg.FlushEvery = FlushEvery
	}
	r := &Recorder{w: w, cfg: cfg, state: cfg.Initial.Clone(), stop: make(chan struct{}), done: make(chan struct{})}
	go r.flusher()
	return r
}

// flusher flushes every FlushEvery of wall time, so a silent stretch (no
// records) still reaches the disk.
func (r *Recorder) flusher() {
	defer close(r.done)
	t := time.NewTicker(r.cfg.FlushEvery)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.mu.Lock()
			if !r.closed && r.err == nil {
				r.err = r.w.Flush()
			}
			r.mu.Unlock()
		}
	}
}

// Voice records one Opus packet of the speaker's voice at lesson time at.
func (r *Recorder) Voice(at time.Duration, packet []byte) error {
	return r.add(Audio, at, packet, nil)
}

// Event records a relay event at lesson time at. Events a replay has no
// use for are dropped: the remote classrooms' link quality (EvLink, every
// 2 s for the host) and the laser pointer.
func (r *Recorder) Event(at time.Duration, e relay.Event) error {
	if e.Type == relay.EvLink || e.Type == relay.EvLaser {
		return nil
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return r.add(Event, at, b, &e)
}

// Slide records a slide (once per hash; SHA-256 hex) at lesson time at.
func (r *Recorder) Slide(at time.Duration, hash string, data []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.before(at); err != nil {
		return err
	}
	if err := r.w.AddSlide(at, hash, data); err != nil {
		r.err = err
	}
	return r.err
}

func (r *Recorder) add(kind byte, at time.Duration, payload []byte, e *relay.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.before(at); err != nil {
		return err
	}
	if err := r.w.Add(kind, at, payload); err != nil {
		r.err = err
		return err
	}
	if e != nil {
		r.evBytes += len(payload)
		if r.cfg.Snapshot == nil {
			r.state.Apply(*e)
		}
	}
	return nil
}

// before writes a due snapshot and flushes when due; r.mu is held.
func (r *Recorder) before(at time.Duration) error {
	if r.closed {
		return ErrClosedRecorder
	}
	if r.err != nil {
		return r.err
	}
	at = r.w.fileTime(at)
	if at >= r.nextSnap && (r.snapBytes == 0 || float64(r.evBytes) >= r.cfg.SnapshotShare*float64(r.snapBytes)) {
		st := r.state
		if r.cfg.Snapshot != nil {
			st = r.cfg.Snapshot()
		}
		b, err := json.Marshal(st)
		if err == nil {
			err = r.w.put(Snapshot, at, b)
		}
		if err != nil {
			r.err = err
			return err
		}
		r.nextSnap = at.Truncate(r.cfg.SnapshotEvery) + r.cfg.SnapshotEvery
		r.snapBytes, r.evBytes = len(b), 0
	}
	if at-r.lastFlush >= r.cfg.FlushEvery {
		r.lastFlush = at
		if err := r.w.Flush(); err != nil {
			r.err = err
			return err
		}
	}
	return nil
}

// State is the lesson state the recorder keeps (when it has no Snapshot func).
func (r *Recorder) State() relay.State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state.Clone()
}

// Close stops the recorder and closes the file (flushed and synced).
func (r *Recorder) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosedRecorder
	}
	r.closed = true
	r.mu.Unlock()
	close(r.stop)
	<-r.done
	err := r.w.Close()
	if r.err != nil {
		return r.err
	}
	return err
}

// ErrClosedRecorder is returned by a Recorder after Close.
var ErrClosedRecorder = errors.New("recording: the recorder is closed")
