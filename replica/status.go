package replica

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"qiao/store"
	"qiao/syncproto"
)

// Status is what the status bar and the settings screen show.
type Status struct {
	Enrolled  bool
	Server    string
	SchoolID  string
	Role      string
	LastSync  time.Time // zero if never synced
	LastTry   time.Time // zero if never tried
	LastError string    // of the last attempt; "" if it succeeded
	Pending   int64     // local changes the district has not acknowledged
	Conflicts int64     // conflicts not yet marked resolved
}

// ReadStatus reads the sync status of st.
func ReadStatus(ctx context.Context, st *store.Store) (Status, error) {
	var s Status
	id, err := LoadIdentity(ctx, st)
	if err != nil && !errors.Is(err, ErrNotEnrolled) {
		return s, err
	}
	s.Enrolled = err == nil
	s.Server, s.SchoolID, s.Role = id.Server, id.SchoolID, id.Role
	for k, p := range map[string]*time.Time{keyLastSync: &s.LastSync, keyLastTry: &s.LastTry} {
		v, err := st.Meta(ctx, k)
		if err != nil {
			return s, err
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			*p = time.Unix(n, 0)
		}
	}
	if s.LastError, err = st.Meta(ctx, keyLastError); err != nil {
		return s, err
	}
	through, err := st.Checkpoint(ctx, store.CheckpointPush)
	if err != nil {
		return s, err
	}
	if s.Pending, err = st.CountChangesAfter(ctx, through); err != nil {
		return s, err
	}
	err = st.DB.QueryRowContext(ctx, `SELECT count(*) FROM `+syncproto.ConflictsTable+` WHERE `+openWhere).Scan(&s.Conflicts)
	return s, err
}

// Backoff bounds for background sync after a failure.
const (
	MinBackoff = 15 * time.Second
	MaxBackoff = 30 * time.Minute
)

// Runner syncs in the background: every Interval while the server is
// reachable, backing off exponentially (with jitter) while it is not, and
// at once when Now is called. It never runs two syncs at the same time.
type Runner struct {
	r        *Replica
	Interval time.Duration
	// Started, if set, is called when an attempt begins, and Done after
	// it ends (both on the runner's goroutine). When Done is called,
	// NextAttempt already says when the next one is due.
	Started func()
	Done    func(Report, error)

	kick chan struct{}
	mu   sync.Mutex // held during a sync

	nextMu sync.Mutex
	next   time.Time // see NextAttempt
}

// NewRunner returns a runner for r syncing every interval.
func NewRunner(r *Replica, interval time.Duration) *Runner {
	return &Runner{r: r, Interval: interval, kick: make(chan struct{}, 1)}
}

// Now asks for a sync as soon as possible ("sync now").
func (ru *Runner) Now() {
	select {
	case ru.kick <- struct{}{}:
	default:
	}
}

// NextAttempt is when the next attempt is due: Interval after a success,
// a backoff after a failure. It is zero while an attempt runs and when no
// attempt is scheduled (before Run, after it ends). Safe for concurrent use.
func (ru *Runner) NextAttempt() time.Time {
	ru.nextMu.Lock()
	defer ru.nextMu.Unlock()
	return ru.next
}

func (ru *Runner) setNext(t time.Time) {
	ru.nextMu.Lock()
	ru.next = t
	ru.nextMu.Unlock()
}

// Run syncs until ctx is done.
func (ru *Runner) Run(ctx context.Context) {
	defer ru.setNext(time.Time{})
	wait, backoff := time.Duration(0), MinBackoff
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-ru.kick:
			t.Stop()
		}
		ru.setNext(time.Time{})
		if ru.Started != nil {
			ru.Started()
		}
		ru.mu.Lock()
		rep, err := ru.r.Sync(ctx)
		ru.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			// Full jitter, so many schools coming back online after an
			// outage do not all knock at once.
			wait = time.Duration(rand.Int64N(int64(backoff))) + time.Second
			backoff = min(backoff*2, MaxBackoff)
		} else {
			wait, backoff = ru.Interval, MinBackoff
		}
		ru.setNext(time.Now().Add(wait))
		if ru.Done != nil {
			ru.Done(rep, err)
		}
	}
}
