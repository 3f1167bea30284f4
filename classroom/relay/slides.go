package relay

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

// The slides channel carries slide bytes, named by their SHA-256, apart
// from the lesson events: the host uploads each slide once, the relay keeps
// it for the lesson, and each remote fetches only what its cache lacks.
const (
	SlidesChannel   = "slides" // reliable, ordered: slide bytes and their control messages
	SlidesChannelID = 2

	MaxSlideBytes       = 2 << 20  // one slide
	MaxLessonSlideBytes = 64 << 20 // all slides a lesson keeps
	SlideChunkBytes     = 16000    // slide bytes in one chunk message (≤ 16 KiB with its header)
	// SlideRate is the default bound on the slide bytes per second sent to
	// one participant (and uploaded by a client), so that voice keeps
	// flowing on a 256 kbit/s link: 20 KiB/s is 160 kbit/s of slides. A
	// relay on a school LAN sets a higher Config.SlideRate.
	SlideRate = 20 << 10
	// slideBuffered bounds what may wait in the channel's send buffer.
	slideBuffered = 32 << 10
	chunkHeader   = 1 + sha256.Size + 4 + 4
	chunkKind     = 'C'
)

// Control messages on the slides channel (JSON, sent as text).
const (
	SlOffer  = "offer"  // host → relay: the deck's hashes; the relay answers stored and want
	SlWant   = "want"   // remote → relay: send these, in this order (replaces an earlier want); relay → host: upload these
	SlStored = "stored" // relay → host: the relay holds these slides
)

// SlideMsg is a control message on the slides channel.
type SlideMsg struct {
	Type   string   `json:"type"`
	Hashes []string `json:"hashes"`
}

// DecodeSlideMsg parses and validates a control message from a client.
func DecodeSlideMsg(b []byte) (SlideMsg, error) {
	var m SlideMsg
	if len(b) > MaxEventBytes {
		return m, perr(CodeTooLarge, "message of %d bytes, limit %d", len(b), MaxEventBytes)
	}
	if err := strictJSON(b, &m); err != nil {
		return SlideMsg{}, perr(CodeBadMessage, "not a JSON slides message: %v", err)
	}
	if m.Type != SlOffer && m.Type != SlWant {
		return SlideMsg{}, perr(CodeUnknownType, "type %q is not accepted on the %s channel", truncate(m.Type, 32), SlidesChannel)
	}
	if len(m.Hashes) > MaxDeckPages {
		return SlideMsg{}, perr(CodeBadMessage, "%s: at most %d hashes", m.Type, MaxDeckPages)
	}
	for _, h := range m.Hashes {
		if !validHash(h) {
			return SlideMsg{}, perr(CodeBadMessage, "%s: hashes must be lower-case hex SHA-256", m.Type)
		}
	}
	return m, nil
}

// chunk is one binary message: 'C', the slide's raw SHA-256, its total
// size and this chunk's offset (big-endian uint32), then the bytes.
type chunk struct {
	hash       string
	total, off int
	data       []byte
}

func encodeChunk(sum []byte, total, off int, data []byte) []byte {
	b := make([]byte, chunkHeader+len(data))
	b[0] = chunkKind
	copy(b[1:], sum)
	binary.BigEndian.PutUint32(b[1+sha256.Size:], uint32(total))
	binary.BigEndian.PutUint32(b[5+sha256.Size:], uint32(off))
	copy(b[chunkHeader:], data)
	return b
}

func decodeChunk(b []byte) (chunk, *ProtocolError) {
	if len(b) < chunkHeader || b[0] != chunkKind {
		return chunk{}, perr(CodeBadMessage, "not a slide chunk")
	}
	c := chunk{hash: hex.EncodeToString(b[1 : 1+sha256.Size]),
		total: int(binary.BigEndian.Uint32(b[1+sha256.Size:])),
		off:   int(binary.BigEndian.Uint32(b[5+sha256.Size:])), data: b[chunkHeader:]}
	switch {
	case len(c.data) > SlideChunkBytes:
		return chunk{}, perr(CodeTooLarge, "chunk of %d bytes, limit %d", len(c.data), SlideChunkBytes)
	case c.total > MaxSlideBytes:
		return chunk{}, perr(CodeTooLarge, "slide of %d bytes, limit %d", c.total, MaxSlideBytes)
	case c.total == 0 || len(c.data) == 0 || c.off+len(c.data) > c.total:
		return chunk{}, perr(CodeBadMessage, "chunk outside its slide")
	}
	return c, nil
}

// assembler puts one slide together from its chunks, which arrive in order.
type assembler struct {
	hash string
	buf  []byte
	want int
}

// add takes a chunk; it returns the slide once complete and verified.
func (a *assembler) add(c chunk) ([]byte, *ProtocolError) {
	if c.off == 0 {
		*a = assembler{hash: c.hash, buf: make([]byte, 0, c.total), want: c.total}
	} else if c.hash != a.hash || c.off != len(a.buf) || c.total != a.want {
		*a = assembler{}
		return nil, perr(CodeBadMessage, "chunk out of order")
	}
	a.buf = append(a.buf, c.data...)
	if len(a.buf) < a.want {
		return nil, nil
	}
	data, hash := a.buf, a.hash
	*a = assembler{}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != hash {
		return nil, perr(CodeBadMessage, "slide bytes do not match their hash %s", hash[:12])
	}
	return data, nil
}

// pacer spaces sends to rate bytes per second (0: SlideRate) and a
// bounded send buffer.
type pacer struct {
	rate int
	next time.Time
}

// wait blocks until n more bytes may go on dc; false if dc closed.
func (pc *pacer) wait(dc *webrtc.DataChannel, n int) bool {
	now := time.Now()
	if pc.next.After(now) {
		time.Sleep(pc.next.Sub(now))
	} else {
		pc.next = now
	}
	rate := pc.rate
	if rate <= 0 {
		rate = SlideRate
	}
	pc.next = pc.next.Add(time.Duration(n) * time.Second / time.Duration(rate))
	for dc.BufferedAmount() > slideBuffered {
		if dc.ReadyState() != webrtc.DataChannelStateOpen {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return dc.ReadyState() == webrtc.DataChannelStateOpen
}

// sendSlide sends data on dc in paced chunks; it returns the bytes sent.
func sendSlide(dc *webrtc.DataChannel, pc *pacer, data []byte) (int, error) {
	sum := sha256.Sum256(data)
	for off := 0; off < len(data); off += SlideChunkBytes {
		part := data[off:min(off+SlideChunkBytes, len(data))]
		if !pc.wait(dc, len(part)+chunkHeader) {
			return off, errClosed
		}
		if err := dc.Send(encodeChunk(sum[:], len(data), off, part)); err != nil {
			return off, err
		}
	}
	return len(data), nil
}

var errClosed = perr(CodeInternal, "the slides channel closed")

func sendSlideMsg(dc *webrtc.DataChannel, m SlideMsg) error {
	b, _ := json.Marshal(m)
	return dc.SendText(string(b))
}

// slideStore is one lesson's slides (guarded by room.mu).
type slideStore struct {
	m    map[string][]byte
	size int
	sent int64 // slide bytes sent to participants
}

// evict forgets the slides that are not in deck (the lesson's slides are
// full; an earlier deck makes room).
func (s *slideStore) evict(deck []string) {
	for h, b := range s.m {
		if !slices.Contains(deck, h) {
			delete(s.m, h)
			s.size -= len(b)
		}
	}
}

// onSlides handles a message on p's slides channel.
func (p *participant) onSlides(m webrtc.DataChannelMessage) {
	rm := p.room
	if m.IsString {
		msg, err := DecodeSlideMsg(m.Data)
		if err != nil {
			p.sendError(err)
			return
		}
		if msg.Type == SlOffer {
			if p.peer.Role != RoleHost {
				p.sendError(perr(CodeForbidden, "only the host offers slides"))
				return
			}
			var have, want []string
			rm.mu.Lock()
			for _, h := range msg.Hashes {
				if _, ok := rm.slides.m[h]; ok {
					have = append(have, h)
				} else {
					want = append(want, h)
				}
			}
			rm.mu.Unlock()
			if len(have) > 0 {
				_ = sendSlideMsg(p.slides, SlideMsg{Type: SlStored, Hashes: have})
			}
			if len(want) > 0 {
				_ = sendSlideMsg(p.slides, SlideMsg{Type: SlWant, Hashes: want})
			}
			return
		}
		p.want(msg.Hashes)
		return
	}
	if p.peer.Role != RoleHost {
		p.sendError(perr(CodeForbidden, "only the host uploads slides"))
		return
	}
	c, err := decodeChunk(m.Data)
	if err != nil {
		p.up = assembler{}
		p.sendError(err)
		return
	}
	data, err := p.up.add(c)
	if err != nil {
		p.sendError(err)
		return
	}
	if data == nil {
		return
	}
	rm.mu.Lock()
	if rm.slides.m == nil {
		rm.slides.m = map[string][]byte{}
	}
	if _, ok := rm.slides.m[c.hash]; !ok {
		if rm.slides.size+len(data) > MaxLessonSlideBytes {
			rm.slides.evict(rm.lesson.deck)
		}
		if rm.slides.size+len(data) > MaxLessonSlideBytes {
			rm.mu.Unlock()
			p.sendError(perr(CodeLimit, "the lesson holds at most %d bytes of slides", MaxLessonSlideBytes))
			return
		}
		rm.slides.m[c.hash] = data
		rm.slides.size += len(data)
	}
	rm.mu.Unlock()
	_ = sendSlideMsg(p.slides, SlideMsg{Type: SlStored, Hashes: []string{c.hash}})
}

// slideQueue is what the relay still has to send one participant.
type slideQueue struct {
	mu      sync.Mutex
	hashes  []string
	current string // the slide being sent
	running bool
}

// want replaces p's queue and starts its sender if idle.
func (p *participant) want(hashes []string) {
	q := &p.queue
	q.mu.Lock()
	q.hashes = slices.DeleteFunc(slices.Clone(hashes), func(h string) bool { return h == q.current })
	start := !q.running && len(q.hashes) > 0
	q.running = q.running || start
	q.mu.Unlock()
	if start {
		go p.sendSlides()
	}
}

// sendSlides sends p's queue, one slide after another, paced.
func (p *participant) sendSlides() {
	pc := pacer{rate: p.room.relay.cfg.SlideRate}
	q := &p.queue
	for {
		q.mu.Lock()
		if len(q.hashes) == 0 || p.slides.ReadyState() != webrtc.DataChannelStateOpen {
			q.hashes, q.running, q.current = nil, false, ""
			q.mu.Unlock()
			return
		}
		h := q.hashes[0]
		q.hashes = q.hashes[1:]
		q.current = h
		q.mu.Unlock()
		p.room.mu.Lock()
		data := p.room.slides.m[h]
		p.room.mu.Unlock()
		if data == nil {
			continue // not uploaded (yet): the remote asks again with the next deck
		}
		n, _ := sendSlide(p.slides, &pc, data)
		p.room.mu.Lock()
		p.room.slides.sent += int64(n)
		p.room.mu.Unlock()
	}
}

// SlideBytesSent is how many slide bytes the relay has sent to the
// participants of lesson code (0 if it is not open).
func (r *Relay) SlideBytesSent(code string) int64 {
	rm := r.room(code)
	if rm == nil {
		return 0
	}
	rm.mu.Lock()
	defer rm.mu.Unlock()
	return rm.slides.sent
}

// slideSender is the client side of the slides channel.
type slideSender struct {
	mu sync.Mutex // one upload at a time
	pc pacer
}

// PutSlide uploads one slide (host), paced; the relay answers "stored".
func (c *Client) PutSlide(data []byte) error {
	if len(data) == 0 || len(data) > MaxSlideBytes {
		return perr(CodeTooLarge, "slide of %d bytes, limit 1..%d", len(data), MaxSlideBytes)
	}
	c.up.mu.Lock()
	defer c.up.mu.Unlock()
	c.up.pc.rate = c.cfg.SlideRate
	_, err := sendSlide(c.slides, &c.up.pc, data)
	return err
}

// OfferSlides tells the relay the deck's slides (host): it answers which it
// holds ("stored") and which to upload ("want").
func (c *Client) OfferSlides(hashes []string) error {
	return sendSlideMsg(c.slides, SlideMsg{Type: SlOffer, Hashes: hashes})
}

// WantSlides asks the relay for slides, in this order (a remote); it
// replaces an earlier want.
func (c *Client) WantSlides(hashes []string) error {
	return sendSlideMsg(c.slides, SlideMsg{Type: SlWant, Hashes: hashes})
}

// SendSlidesRaw sends bytes as they are on the slides channel (tests of hostile input).
func (c *Client) SendSlidesRaw(b []byte, text bool) error {
	if text {
		return c.slides.SendText(string(b))
	}
	return c.slides.Send(b)
}

// onSlides handles the relay's messages on the client's slides channel.
func (c *Client) onSlides(m webrtc.DataChannelMessage) {
	if m.IsString {
		var msg SlideMsg
		if json.Unmarshal(m.Data, &msg) == nil && c.cfg.OnSlideMsg != nil {
			c.cfg.OnSlideMsg(msg)
		}
		return
	}
	ch, err := decodeChunk(m.Data)
	if err != nil {
		c.down = assembler{}
		return
	}
	data, err := c.down.add(ch)
	if err != nil || data == nil {
		return
	}
	if c.cfg.OnSlide != nil {
		c.cfg.OnSlide(ch.hash, bytes.Clone(data))
	}
}
