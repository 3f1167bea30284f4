package netsim

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// link is one proxied connection: a client side, a target side and two
// shaped directions (pipes) between them.
type link struct {
	p              *Proxy
	client, server net.Conn
	done           chan struct{} // closed when the link is torn down
	once           sync.Once

	mu     sync.Mutex
	passed int64 // bytes passed so far, both directions
	limit  int64 // cut after this many bytes; <0 = never
	open   int   // directions not yet finished cleanly
}

// cut resets both sides and counts a cut (proxy-initiated failure).
func (l *link) cut() {
	l.once.Do(func() {
		l.p.cuts.Add(1)
		l.teardown(true)
	})
}

// abort resets both sides without counting a cut (a peer reset, a write
// error, or Proxy.Close).
func (l *link) abort() { l.once.Do(func() { l.teardown(true) }) }

// finish closes both sides normally after both directions reached EOF.
func (l *link) finish() { l.once.Do(func() { l.teardown(false) }) }

func (l *link) teardown(abrupt bool) {
	p := l.p
	p.mu.Lock()
	delete(p.conns, l)
	p.mu.Unlock()
	p.active.Add(-1)
	close(l.done)
	if abrupt {
		reset(l.client)
		reset(l.server)
	} else {
		_ = l.client.Close()
		_ = l.server.Close()
	}
}

// reserve claims up to n bytes of the link's CutAfter budget. last reports
// that the claim used the budget up, so the caller must cut after writing.
func (l *link) reserve(n int) (got int, last bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.limit < 0 {
		return n, false
	}
	rest := l.limit - l.passed
	if int64(n) >= rest {
		n = int(max(rest, 0))
		last = n > 0
	}
	l.passed += int64(n)
	return n, last
}

func (l *link) dirDone() {
	l.mu.Lock()
	l.open--
	both := l.open == 0
	l.mu.Unlock()
	if both {
		l.finish()
	}
}

// segment is a piece of data (never crossing a SegmentSize boundary of the
// stream) with the time at which it may be delivered.
type segment struct {
	data []byte
	at   time.Time
}

// pipe shapes one direction: read() paces and schedules data from src,
// write() delivers it to dst in order once due.
type pipe struct {
	l        *link
	src, dst net.Conn
	bytes    *atomic.Int64
	rng      *rand.Rand
	q        chan segment
}

func newPipe(l *link, src, dst net.Conn, counter *atomic.Int64, seed int64, conn uint64, dir uint64) *pipe {
	return &pipe{
		l: l, src: src, dst: dst, bytes: counter,
		rng: rand.New(rand.NewPCG(uint64(seed), conn<<1|dir)),
		q:   make(chan segment, QueueSegments),
	}
}

func (d *pipe) read() {
	defer d.l.p.wg.Done()
	defer close(d.q)
	p, done := d.l.p, d.l.done
	buf := make([]byte, SegmentSize)
	var (
		off    int64
		bucket = tokenBucket{tokens: SegmentSize, last: time.Now()}
		lastAt time.Time
	)
	for {
		// Never read across a segment boundary, so every segment starts
		// with exactly one piece and loss draws follow the stream offset.
		n, err := d.src.Read(buf[:SegmentSize-int(off%SegmentSize)])
		if n > 0 {
			if !p.waitRunning(done) {
				return
			}
			cfg := p.config()
			if !sleepCtx(bucket.take(cfg.Rate, n), done) {
				return
			}
			var extra time.Duration
			if off%SegmentSize == 0 {
				extra = d.lossDelay(cfg)
			}
			at := time.Now().Add(cfg.Latency + extra)
			if at.Before(lastAt) {
				at = lastAt // in-order delivery even if Latency shrank
			}
			lastAt = at
			off += int64(n)
			seg := segment{data: append([]byte(nil), buf[:n]...), at: at}
			select {
			case d.q <- seg:
			case <-done:
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				d.l.abort() // peer reset (or we were torn down): propagate
			}
			return // clean EOF: closing q makes write() half-close dst
		}
	}
}

// lossDelay draws whether the segment starting now is lost, and how often.
func (d *pipe) lossDelay(cfg Config) time.Duration {
	if cfg.Loss <= 0 {
		return 0
	}
	rto := max(MinRTO, 2*cfg.Latency)
	var extra time.Duration
	for i := 0; i < MaxRetransmits && d.rng.Float64() < cfg.Loss; i++ {
		extra += rto
		rto *= 2
		d.l.p.lost.Add(1)
	}
	return extra
}

func (d *pipe) write() {
	defer d.l.p.wg.Done()
	p, done := d.l.p, d.l.done
	for {
		var (
			seg segment
			ok  bool
		)
		select {
		case seg, ok = <-d.q:
		case <-done:
			return
		}
		if !ok {
			select {
			case <-done:
				return
			default:
			}
			if cw, ok := d.dst.(interface{ CloseWrite() error }); ok {
				_ = cw.CloseWrite()
			}
			d.l.dirDone()
			return
		}
		if !sleepCtx(time.Until(seg.at), done) || !p.waitRunning(done) {
			return
		}
		n, last := d.l.reserve(len(seg.data))
		if n == 0 {
			// The other direction used up the budget and is cutting.
			<-done
			return
		}
		d.bytes.Add(int64(n)) // count before writing so the peer never sees data ahead of Stats
		w, err := d.dst.Write(seg.data[:n])
		if err != nil {
			d.bytes.Add(int64(w - n))
			d.l.abort()
			return
		}
		if last {
			d.l.cut()
			return
		}
	}
}

// tokenBucket paces one direction at rate bytes/s with a burst of one
// segment.
type tokenBucket struct {
	tokens float64
	last   time.Time
}

// take spends n tokens and returns how long to wait before sending them.
func (b *tokenBucket) take(rate, n int) time.Duration {
	now := time.Now()
	if rate <= 0 {
		b.tokens, b.last = SegmentSize, now
		return 0
	}
	b.tokens = min(SegmentSize, b.tokens+now.Sub(b.last).Seconds()*float64(rate))
	b.last = now
	b.tokens -= float64(n)
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / float64(rate) * float64(time.Second))
}

// sleepCtx sleeps for d; it reports false if done was closed first.
func sleepCtx(d time.Duration, done <-chan struct{}) bool {
	if d <= 0 {
		select {
		case <-done:
			return false
		default:
			return true
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-done:
		return false
	}
}
