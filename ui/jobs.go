package ui

import (
	"sync"

	"fyne.io/fyne/v2"
)

// job is work to run off the UI goroutine and what to do with its outcome on it.
type job struct {
	work func() error
	done func(error)
}

// queueJobs makes every jobQueue keep its jobs instead of starting
// goroutines; the tests set it and run the queue on their own goroutine.
// Fyne's test driver runs fyne.Do on the calling goroutine, so real
// goroutines would touch widgets while a test does.
var queueJobs bool

// jobQueue runs the window's background work: work off the UI goroutine,
// then done on it. One per window.
type jobQueue struct {
	mu     sync.Mutex
	jobs   []job         // kept while queueJobs is set
	queued chan struct{} // signalled when a job is kept
}

func newJobQueue() *jobQueue { return &jobQueue{queued: make(chan struct{}, 1)} }

// async runs work off the UI goroutine, then done with its error on it.
func (q *jobQueue) async(work func() error, done func(error)) {
	if queueJobs {
		q.keep(job{work, done})
		return
	}
	go func() {
		err := work()
		fyne.Do(func() { done(err) })
	}()
}

// do runs fn on the UI goroutine (from any goroutine).
func (q *jobQueue) do(fn func()) {
	if queueJobs {
		q.keep(job{func() error { return nil }, func(error) { fn() }})
		return
	}
	fyne.Do(fn)
}

func (q *jobQueue) keep(j job) {
	q.mu.Lock()
	q.jobs = append(q.jobs, j)
	q.mu.Unlock()
	select {
	case q.queued <- struct{}{}:
	default:
	}
}

// run runs the kept jobs, and those they keep in turn, until none is left,
// as the UI goroutine would (tests).
func (q *jobQueue) run() {
	for {
		q.mu.Lock()
		js := q.jobs
		q.jobs = nil
		q.mu.Unlock()
		if len(js) == 0 {
			return
		}
		for _, j := range js {
			j.done(j.work())
		}
	}
}
