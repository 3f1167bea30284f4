package recording

import (
	"errors"
	"io"
	"slices"
	"sync"
	"time"

	"qiao/audio"
	"qiao/classroom/relay"
)

// maxQueued is how many voice packets may wait for their frame: recorded
// times that bunch up (a packet stamped late, the next one early) play one a
// frame, and the delay this adds never exceeds maxQueued frames.
const maxQueued = 4

// Player replays a recording offline. The audio device drives its clock:
// Fill, the playback device's Source, plays one 20 ms frame and moves the
// position on by one frame, applying the board events of that frame, so
// voice and board never drift. Paused, Fill plays silence and the position
// stays. Seek starts from the nearest snapshot at or before the target and
// applies the events up to it at once. It is safe for concurrent use: the
// device thread calls Fill, the UI the rest.
type Player struct {
	f       *File
	ownFile bool
	changed chan struct{}

	mu        sync.Mutex
	rd        *Reader
	next      *Record // read but not yet due
	eof       bool
	err       error // why reading stopped early (a damaged file), if it did
	pos       time.Duration
	playing   bool
	ended     bool
	state     relay.State
	dec       *audio.Decoder
	queue     [][]byte
	lastVoice bool // the previous frame played voice

	slideMu sync.Mutex
	slides  map[string][]byte // a few decoded-from-file slides, by hash
}

// View is what the replay screen shows now.
type View struct {
	Position  time.Duration
	Duration  time.Duration
	Playing   bool
	Ended     bool
	Page      int            // from 1
	SlideHash string         // the page's slide in the deck, "" when none
	Slide     []byte         // its image bytes, nil when none or missing from the file
	Strokes   []relay.Stroke // the ink on Page, in drawing order
	Quiz      *relay.QuizState
	Mic       string
	Hands     []string
	Chat      []relay.Event
}

// OpenPlayer opens the recording at path for replay, paused at the start.
func OpenPlayer(path string) (*Player, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	p, err := NewPlayer(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	p.ownFile = true
	return p, nil
}

// NewPlayer replays f, paused at the start. Closing the player does not
// close f.
func NewPlayer(f *File) (*Player, error) {
	p := &Player{f: f, changed: make(chan struct{}, 1), slides: map[string][]byte{}}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.seek(0); err != nil {
		return nil, err
	}
	return p, nil
}

// Close releases the decoder (and the file when OpenPlayer opened it).
func (p *Player) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.playing = false
	if p.dec != nil {
		p.dec.Close()
		p.dec = nil
	}
	if p.ownFile {
		p.ownFile = false
		return p.f.Close()
	}
	return nil
}

// Header describes the recorded lesson.
func (p *Player) Header() Header { return p.f.Header }

// Duration is the time of the recording's last record.
func (p *Player) Duration() time.Duration { return p.f.Duration }

// Changed receives (coalesced) when the view changed: an event applied, a
// seek, play, pause, the end. The position moves every frame without it.
func (p *Player) Changed() <-chan struct{} { return p.changed }

func (p *Player) signal() {
	select {
	case p.changed <- struct{}{}:
	default:
	}
}

// Play plays on from the position; at the end it starts again from the beginning.
func (p *Player) Play() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		if err := p.seek(0); err != nil {
			return err
		}
	}
	p.playing = true
	p.signal()
	return nil
}

// Pause stops the clock: Fill plays silence and the position stays.
func (p *Player) Pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.playing = false
	p.signal()
}

// Resume plays on exactly where Pause stopped.
func (p *Player) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.ended {
		p.playing = true
		p.signal()
	}
}

// Playing reports whether the clock runs.
func (p *Player) Playing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.playing
}

// Position is the lesson time of the next frame to play.
func (p *Player) Position() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pos
}

// Err is why the replay stopped before the file's end (a damaged record),
// or nil. A torn end (a crash while recording) is not an error.
func (p *Player) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Seek moves to lesson time at (clamped to the recording, rounded down to a
// frame): the state of the nearest snapshot at or before it, and the events
// after the snapshot and before at, applied at once. Playing or paused stays.
func (p *Player) Seek(at time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	err := p.seek(at)
	p.signal()
	return err
}

func (p *Player) seek(at time.Duration) error {
	at = min(max(at, 0), p.f.Duration).Truncate(audio.FrameDuration)
	rd, err := p.f.From(at)
	if err != nil {
		return err
	}
	dec, err := audio.NewDecoder() // a fresh decoder: the old one's state belongs elsewhere
	if err != nil {
		return err
	}
	if p.dec != nil {
		p.dec.Close()
	}
	p.dec, p.rd, p.next, p.eof, p.err = dec, rd, nil, false, nil
	p.state, p.queue, p.lastVoice, p.ended = relay.State{}, p.queue[:0], false, false
	for {
		r := p.peek()
		if r == nil || (r.At >= at && !(r.Kind == Snapshot && r.At == at)) {
			break
		}
		if r.Kind == Snapshot || r.Kind == Event {
			p.apply(r)
		}
		p.next = nil
	}
	p.pos = at
	if p.peek() == nil {
		p.ended, p.playing = true, false
	}
	return nil
}

// peek returns the next unplayed record, reading it if need be; nil at the end.
func (p *Player) peek() *Record {
	if p.next != nil || p.eof {
		return p.next
	}
	r, err := p.rd.Next()
	if err != nil {
		p.eof = true
		if err != io.EOF && !errors.Is(err, ErrTruncated) {
			p.err = err
		}
		return nil
	}
	p.next = &r
	return p.next
}

// apply applies a snapshot or event record to the state.
func (p *Player) apply(r *Record) { applyRecord(&p.state, *r) }

// Fill is the playback device's Source: it plays the frame at the position
// and moves on by one frame; paused or ended, silence and no move. A gap in
// the voice of one frame is concealed; a longer gap is silence.
func (p *Player) Fill(out []int16) {
	out = out[:audio.FrameSamples]
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.playing || p.dec == nil {
		clear(out)
		return
	}
	end := p.pos + audio.FrameDuration
	changed := false
	for {
		r := p.peek()
		if r == nil || r.At >= end {
			break
		}
		switch r.Kind {
		case Audio:
			if len(p.queue) == maxQueued {
				p.queue = slices.Delete(p.queue, 0, 1)
			}
			p.queue = append(p.queue, r.Payload)
		case Event, Snapshot:
			p.apply(r)
			changed = true
		}
		p.next = nil
	}
	played := false
	if len(p.queue) > 0 {
		pkt := p.queue[0]
		p.queue = slices.Delete(p.queue, 0, 1)
		if n, err := p.dec.Decode(pkt, out); err == nil {
			clear(out[n:])
			played = true
		}
	} else if p.lastVoice {
		// One frame missing between two voice packets: conceal it.
		if r := p.peek(); r != nil && r.Kind == Audio && r.At < end+audio.FrameDuration {
			if n, err := p.dec.Conceal(out); err == nil {
				clear(out[n:])
				played = true
			}
		}
	}
	if !played {
		clear(out)
	}
	p.lastVoice = played
	p.pos = end
	if p.peek() == nil && len(p.queue) == 0 {
		p.playing, p.ended, changed = false, true, true
	}
	if changed {
		p.signal()
	}
}

// State is a copy of the whole lesson state at the position.
func (p *Player) State() relay.State {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state.Clone()
}

// View is what to show at the position, with the page's slide image.
func (p *Player) View() View {
	p.mu.Lock()
	// Pages count from 1, as on the live board; page 0 (no turn yet) shows page 1.
	v := View{Position: p.pos, Duration: p.f.Duration, Playing: p.playing, Ended: p.ended,
		Page: max(p.state.Page, 1), Mic: p.state.Mic, Hands: slices.Clone(p.state.Hands), Chat: slices.Clone(p.state.Chat)}
	if v.Page <= len(p.state.Deck) {
		v.SlideHash = p.state.Deck[v.Page-1]
	}
	for _, k := range p.state.Strokes {
		if k.Page == v.Page {
			k.Points = slices.Clone(k.Points)
			v.Strokes = append(v.Strokes, k)
		}
	}
	if q := p.state.Quiz; q != nil {
		c := *q
		c.Counts = slices.Clone(q.Counts)
		v.Quiz = &c
	}
	p.mu.Unlock()
	// The slide is read outside p.mu, so the device thread never waits on it.
	if v.SlideHash != "" {
		v.Slide = p.slide(v.SlideHash)
	}
	return v
}

// slide returns the slide's bytes from a small cache or the file.
func (p *Player) slide(hash string) []byte {
	p.slideMu.Lock()
	defer p.slideMu.Unlock()
	if b, ok := p.slides[hash]; ok {
		return b
	}
	b, err := p.f.Slide(hash)
	if err != nil {
		return nil
	}
	if len(p.slides) >= 4 {
		clear(p.slides)
	}
	p.slides[hash] = b
	return b
}
