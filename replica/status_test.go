package replica

import (
	"context"
	"sync"
	"testing"
	"time"
)

// attempt is what a runner's hooks saw of one attempt.
type attempt struct {
	started bool      // Started was called before Done
	err     error     // Done's error
	next    time.Time // NextAttempt when Done was called
}

func TestRunnerHooksAndNextAttempt(t *testing.T) {
	d := startDistrict(t)
	_, r := d.device(t, d.school(t, "A校"), "A")
	ru := NewRunner(r, time.Hour)
	if !ru.NextAttempt().IsZero() {
		t.Fatal("next attempt set before Run")
	}
	var mu sync.Mutex
	started := false
	attempts := make(chan attempt, 4)
	ru.Started = func() {
		if !ru.NextAttempt().IsZero() {
			t.Error("next attempt still set while an attempt runs")
		}
		mu.Lock()
		started = true
		mu.Unlock()
	}
	ru.Done = func(_ Report, err error) {
		mu.Lock()
		a := attempt{started: started, err: err, next: ru.NextAttempt()}
		started = false
		mu.Unlock()
		attempts <- a
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	before := time.Now()
	go func() { defer close(ran); ru.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-ran })

	// The first attempt runs at once and succeeds: the next is an
	// Interval after it ended.
	a := <-attempts
	if a.err != nil || !a.started {
		t.Fatalf("first attempt: err %v, started %v", a.err, a.started)
	}
	if a.next.Before(before.Add(time.Hour)) || a.next.After(time.Now().Add(time.Hour)) {
		t.Fatalf("next attempt %v after a success, want an hour after %v", a.next, before)
	}
	if !ru.NextAttempt().Equal(a.next) {
		t.Fatalf("NextAttempt %v, Done saw %v", ru.NextAttempt(), a.next)
	}

	// The district goes away: sync now fails, and a retry is scheduled
	// within the backoff bounds.
	d.stop()
	before = time.Now()
	ru.Now()
	a = <-attempts
	if a.err == nil || !a.started {
		t.Fatalf("attempt with the district gone: err %v, started %v", a.err, a.started)
	}
	if a.next.Before(before.Add(time.Second)) || a.next.After(time.Now().Add(MinBackoff+time.Second)) {
		t.Fatalf("retry at %v, want between 1s and %v+1s after %v", a.next, MinBackoff, before)
	}

	// Once Run ends, no attempt is scheduled.
	cancel()
	<-ran
	if !ru.NextAttempt().IsZero() {
		t.Fatalf("next attempt %v after Run ended", ru.NextAttempt())
	}
}
