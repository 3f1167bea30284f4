package store

import (
	"fmt"
	"sync"
	"time"
)

// HLC is a hybrid logical clock stamp: milliseconds since the Unix epoch in
// the high 48 bits and a logical counter in the low 16. Stamps compare as
// plain integers; ties between devices are broken by the origin device id.
type HLC uint64

const logicalBits = 16

// Wall returns the physical part of the stamp.
func (h HLC) Wall() time.Time { return time.UnixMilli(int64(h >> logicalBits)) }

// Logical returns the counter part of the stamp.
func (h HLC) Logical() uint16 { return uint16(h) }

// String formats the stamp as wall-time.counter, for logs.
func (h HLC) String() string {
	return fmt.Sprintf("%s.%d", h.Wall().UTC().Format("2006-01-02T15:04:05.000Z"), h.Logical())
}

func makeHLC(ms int64, logical uint16) HLC { return HLC(uint64(ms)<<logicalBits | uint64(logical)) }

// Clock issues monotonic HLC stamps for one device. It is safe for
// concurrent use.
type Clock struct {
	mu   sync.Mutex
	last HLC
	now  func() time.Time
}

// NewClock returns a clock that never issues a stamp at or below last.
func NewClock(last HLC) *Clock { return &Clock{last: last, now: time.Now} }

// Now returns a new stamp greater than every stamp issued or observed.
func (c *Clock) Now() HLC {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = c.next(c.last)
	return c.last
}

// Last returns the latest stamp issued or observed.
func (c *Clock) Last() HLC {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// Observe folds a stamp seen from another device into the clock, so later
// local stamps order after it.
func (c *Clock) Observe(remote HLC) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if remote > c.last {
		c.last = remote
	}
}

func (c *Clock) next(last HLC) HLC {
	wall := c.now().UnixMilli()
	if wall > int64(last>>logicalBits) {
		return makeHLC(wall, 0)
	}
	if last.Logical() == 1<<logicalBits-1 {
		// Counter exhausted within one millisecond: borrow the next one.
		return makeHLC(int64(last>>logicalBits)+1, 0)
	}
	return last + 1
}

// Wins reports whether version a (stamp, origin) beats version b under
// last-writer-wins. Every node decides the same way.
func Wins(aHLC HLC, aOrigin string, bHLC HLC, bOrigin string) bool {
	if aHLC != bHLC {
		return aHLC > bHLC
	}
	return aOrigin > bOrigin
}
