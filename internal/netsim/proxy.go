// Package netsim provides a small in-process TCP proxy that shapes a link
// (bandwidth, latency, segment loss, cuts, outages) for tests of HTTP sync
// over bad networks. It exists because the test kernel has no netem qdisc:
// start a Proxy in front of a server and point the client at Proxy.Addr.
//
// Loss model: a proxy sitting above TCP cannot drop bytes (both real TCP
// connections would just retransmit them), so loss is modelled by its effect
// on the application, a retransmission delay. Each direction's byte stream is
// divided into segments of SegmentSize bytes by stream offset; every segment
// is "lost" with probability Config.Loss, and a lost segment is delivered
// only after an extra retransmission timeout of max(200ms, 2*Latency),
// doubled on each repeated loss of the same segment (at most MaxRetransmits
// losses per segment, so Loss=1 slows a link down but never stalls it
// forever). Delivery is strictly in order, so everything behind a lost
// segment waits for it (head-of-line blocking, as in real TCP). Limits: the
// retransmission costs no extra bandwidth, there is no congestion window (a
// loss does not slow the sender down afterwards; the only flight limit is a
// bounded queue of QueueSegments segments per direction), the timeout does not
// adapt to the measured RTT, and the proxy never produces a real corrupted,
// duplicated or reordered byte. Loss decisions come from a math/rand/v2 PCG
// seeded with (Config.Seed, connection number, direction) and are drawn once
// per segment in stream order, so for a given Seed and byte stream the same
// segments are lost on every run, regardless of how reads are chunked.
package netsim

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// SegmentSize is the size of a simulated TCP segment (a typical MSS).
	// It is also the token-bucket burst of a rate-limited direction.
	SegmentSize = 1460
	// MaxRetransmits caps how often the same segment can be lost in a row.
	MaxRetransmits = 6
	// MinRTO is the smallest simulated retransmission timeout.
	MinRTO = 200 * time.Millisecond
	// QueueSegments bounds the segments in flight per direction; when the
	// queue is full the proxy stops reading and TCP backpressure applies.
	QueueSegments = 256
	// dialTimeout bounds the connection attempt to the target.
	dialTimeout = 10 * time.Second
)

// Config shapes the link. The zero value is a perfect link.
type Config struct {
	// Rate is the bandwidth in bytes per second, applied separately to each
	// direction (token bucket, burst of one segment); 0 means unlimited.
	// 64 kbit/s is 8000.
	Rate int
	// Latency is the one-way delay added to every chunk of data.
	Latency time.Duration
	// Loss is the probability that a segment is lost (see the package doc).
	Loss float64
	// CutAfter, if non-nil, is called once per accepted connection. The
	// connection is cut (both sides reset abruptly) once that many bytes in
	// total, counting both directions, have passed. A negative result means
	// never; 0 cuts the connection right after it is accepted.
	CutAfter func() int64
	// Seed seeds the per-connection loss generator.
	Seed int64
}

// Stats are cumulative counters of a Proxy.
type Stats struct {
	BytesUp   int64 // bytes passed client -> target
	BytesDown int64 // bytes passed target -> client
	Accepted  int64 // connections accepted and forwarded to the target
	Refused   int64 // connections reset at once (proxy paused, or target unreachable)
	Cuts      int64 // connections cut by CutAfter or CutAll
	Lost      int64 // simulated segment losses (each one costs a retransmission timeout)
	Active    int64 // connections currently open
}

// Proxy is an in-process TCP proxy with a shaped link. It is safe for
// concurrent use.
type Proxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	cfg    Config
	resume chan struct{} // non-nil while paused; closed on resume
	conns  map[*link]struct{}
	closed bool

	wg  sync.WaitGroup
	seq atomic.Uint64

	up, down, accepted, refused, cuts, lost, active atomic.Int64
}

// Start listens on 127.0.0.1 on a free port and forwards every accepted
// connection to target (host:port) through a link shaped by cfg.
func Start(target string, cfg Config) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, cfg: cfg, conns: make(map[*link]struct{})}
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Addr returns the proxy's listening address (host:port).
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetConfig replaces the link shape. Rate, Latency and Loss apply at once to
// new and existing connections (to data not yet queued); CutAfter and Seed
// are read when a connection is accepted, so they affect new connections.
func (p *Proxy) SetConfig(cfg Config) {
	p.mu.Lock()
	p.cfg = cfg
	p.mu.Unlock()
}

// CutAll abruptly resets every open connection now, on both sides, as in a
// server crash or link outage. The proxy keeps accepting new connections.
func (p *Proxy) CutAll() {
	for _, l := range p.snapshot() {
		l.cut()
	}
}

// Pause takes the link down (on=true) or brings it back up (on=false).
// While paused, new connections are accepted and reset immediately, and no
// data moves on existing connections (they stay open and resume afterwards).
func (p *Proxy) Pause(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case on && p.resume == nil:
		p.resume = make(chan struct{})
	case !on && p.resume != nil:
		close(p.resume)
		p.resume = nil
	}
}

// Stats returns the counters so far.
func (p *Proxy) Stats() Stats {
	return Stats{
		BytesUp:   p.up.Load(),
		BytesDown: p.down.Load(),
		Accepted:  p.accepted.Load(),
		Refused:   p.refused.Load(),
		Cuts:      p.cuts.Load(),
		Lost:      p.lost.Load(),
		Active:    p.active.Load(),
	}
}

// Close stops listening, resets all open connections and waits for the
// proxy's goroutines to finish.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	err := p.ln.Close()
	for _, l := range p.snapshot() {
		l.abort()
	}
	p.wg.Wait()
	return err
}

func (p *Proxy) snapshot() []*link {
	p.mu.Lock()
	defer p.mu.Unlock()
	ls := make([]*link, 0, len(p.conns))
	for l := range p.conns {
		ls = append(ls, l)
	}
	return ls
}

func (p *Proxy) config() Config {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cfg
}

// waitRunning blocks while the proxy is paused. It reports false if done was
// closed first.
func (p *Proxy) waitRunning(done <-chan struct{}) bool {
	for {
		p.mu.Lock()
		ch := p.resume
		p.mu.Unlock()
		if ch == nil {
			return true
		}
		select {
		case <-ch:
		case <-done:
			return false
		}
	}
}

func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(5 * time.Millisecond) // transient (e.g. EMFILE)
			continue
		}
		idx := p.seq.Add(1)
		p.mu.Lock()
		refuse := p.resume != nil || p.closed
		cfg := p.cfg
		p.mu.Unlock()
		if refuse {
			p.refused.Add(1)
			reset(c)
			continue
		}
		p.wg.Add(1)
		go p.serve(c, idx, cfg)
	}
}

func (p *Proxy) serve(client net.Conn, idx uint64, cfg Config) {
	defer p.wg.Done()
	server, err := net.DialTimeout("tcp", p.target, dialTimeout)
	if err != nil {
		p.refused.Add(1)
		reset(client)
		return
	}
	limit := int64(-1)
	if cfg.CutAfter != nil {
		limit = cfg.CutAfter()
	}
	l := &link{p: p, client: client, server: server, done: make(chan struct{}), limit: limit, open: 2}

	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		reset(client)
		reset(server)
		return
	}
	p.conns[l] = struct{}{}
	p.active.Add(1)
	p.mu.Unlock()
	p.accepted.Add(1)

	if limit == 0 {
		l.cut()
		return
	}
	up := newPipe(l, client, server, &p.up, cfg.Seed, idx, 0)
	down := newPipe(l, server, client, &p.down, cfg.Seed, idx, 1)
	p.wg.Add(4)
	go up.read()
	go up.write()
	go down.read()
	go down.write()
}

// reset closes c abruptly: with linger 0 the kernel sends a RST, so the peer
// sees a connection reset instead of a clean EOF.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}
