package audio

import "sync"

// ring is a fixed-size buffer of samples between a device callback and a
// goroutine. A short mutex guards it; nothing allocates after newRing. When
// full, the oldest samples are overwritten (and counted), so a stalled reader
// never stalls the device.
type ring struct {
	mu      sync.Mutex
	buf     []int16
	r, n    int
	dropped uint64
}

func newRing(size int) *ring { return &ring{buf: make([]int16, size)} }

// write appends samples, overwriting the oldest when full.
func (q *ring) write(s []int16) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, v := range s {
		if q.n == len(q.buf) {
			q.r = (q.r + 1) % len(q.buf)
			q.n--
			q.dropped++
		}
		q.buf[(q.r+q.n)%len(q.buf)] = v
		q.n++
	}
}

// read fills out entirely and returns true, or returns false and takes
// nothing when fewer than len(out) samples are there.
func (q *ring) read(out []int16) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n < len(out) {
		return false
	}
	for i := range out {
		out[i] = q.buf[q.r]
		q.r = (q.r + 1) % len(q.buf)
	}
	q.n -= len(out)
	return true
}

func (q *ring) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}
