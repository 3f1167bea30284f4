package district

import (
	"net"
	"sync"
	"time"
)

// throttle limits failed attempts per client address: at most max
// failures within window, after which the address is refused until the
// oldest failure leaves the window. It guards enrolment codes against
// guessing. Safe for concurrent use; memory is bounded by pruning.
type throttle struct {
	max    int
	window time.Duration

	mu       sync.Mutex
	failures map[string][]time.Time
}

func newThrottle(max int, window time.Duration) *throttle {
	return &throttle{max: max, window: window, failures: map[string][]time.Time{}}
}

// hostOf returns the IP of a "host:port" remote address.
func hostOf(remote string) string {
	if h, _, err := net.SplitHostPort(remote); err == nil {
		return h
	}
	return remote
}

// recent drops failures older than the window; the caller holds mu.
func (t *throttle) recent(ip string, now time.Time) []time.Time {
	fs := t.failures[ip]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) >= t.window {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(t.failures, ip)
		return nil
	}
	t.failures[ip] = fs
	return fs
}

// blocked reports whether remote has used up its failures, and when it
// may try again.
func (t *throttle) blocked(remote string, now time.Time) (bool, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fs := t.recent(hostOf(remote), now)
	if len(fs) < t.max {
		return false, time.Time{}
	}
	return true, fs[0].Add(t.window)
}

// fail records a failed attempt from remote.
func (t *throttle) fail(remote string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ip := hostOf(remote)
	t.failures[ip] = append(t.recent(ip, now), now)
	if len(t.failures) > 10000 { // many addresses: drop those with nothing recent
		for k := range t.failures {
			t.recent(k, now)
		}
	}
}
