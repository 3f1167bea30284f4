package audio

import (
	"errors"
	"fmt"
	"sync"
	"time"
	"unsafe"

	"github.com/gen2brain/malgo"
)

// ErrClosed is returned by Capture.ReadFrame once the capture is closed.
var ErrClosed = errors.New("audio: device closed")

// backendNull is miniaudio's ma_backend_null. malgo v0.11.24's Backend list
// lacks ma_backend_custom, so its BackendNull (13) is really the custom
// backend and opening it fails with "No backend"; the null backend is 14.
const backendNull = malgo.BackendNull + 1

// DeviceConfig chooses how a capture or playback device is opened.
type DeviceConfig struct {
	// Null uses miniaudio's null backend: no hardware, but the callbacks run
	// in real time, as with a sound card. For tests and machines without audio.
	Null bool
	// Period is the device's callback period; 0 means 10 ms.
	Period time.Duration
}

func (c DeviceConfig) open(kind malgo.DeviceType, cb malgo.DataProc) (*malgo.AllocatedContext, *malgo.Device, error) {
	var backends []malgo.Backend
	if c.Null {
		backends = []malgo.Backend{backendNull}
	}
	ctx, err := malgo.InitContext(backends, malgo.ContextConfig{}, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("audio: open audio system: %w", err)
	}
	period := c.Period
	if period <= 0 {
		period = 10 * time.Millisecond
	}
	cfg := malgo.DefaultDeviceConfig(kind)
	cfg.SampleRate = SampleRate
	cfg.PeriodSizeInMilliseconds = uint32(period / time.Millisecond)
	cfg.Periods = 2
	cfg.Capture.Format, cfg.Capture.Channels = malgo.FormatS16, 1
	cfg.Playback.Format, cfg.Playback.Channels = malgo.FormatS16, 1
	dev, err := malgo.InitDevice(ctx.Context, cfg, malgo.DeviceCallbacks{Data: cb})
	if err != nil {
		ctx.Uninit()
		ctx.Free()
		return nil, nil, fmt.Errorf("audio: open %v device: %w", kind, err)
	}
	return ctx, dev, nil
}

// samples views a device buffer of s16 mono audio as samples, without copying.
func samples(b []byte) []int16 {
	if len(b) < 2 {
		return nil
	}
	return unsafe.Slice((*int16)(unsafe.Pointer(&b[0])), len(b)/2)
}

// CaptureConfig opens a Capture.
type CaptureConfig struct {
	DeviceConfig
	// Source, when set, replaces the microphone: the device still paces the
	// callbacks, but the samples come from Source (for example Tone.Fill).
	Source func(buf []int16)
}

// Capture records the microphone (or a synthetic Source) at 16 kHz mono and
// hands it out in 20 ms frames.
type Capture struct {
	ctx     *malgo.AllocatedContext
	dev     *malgo.Device
	ring    *ring
	ready   chan struct{} // a frame may be ready
	done    chan struct{}
	once    sync.Once
	source  func([]int16)
	scratch [SampleRate / 10]int16 // for Source: 100 ms, more than a callback asks for
}

// OpenCapture opens and starts a capture device.
func OpenCapture(cfg CaptureConfig) (*Capture, error) {
	c := &Capture{
		ring:   newRing(SampleRate), // 1 s: a stalled encoder loses the oldest audio
		ready:  make(chan struct{}, 1),
		done:   make(chan struct{}),
		source: cfg.Source,
	}
	ctx, dev, err := cfg.open(malgo.Capture, c.callback)
	if err != nil {
		return nil, err
	}
	c.ctx, c.dev = ctx, dev
	if err := dev.Start(); err != nil {
		c.Close()
		return nil, fmt.Errorf("audio: start capture: %w", err)
	}
	return c, nil
}

// callback runs on the device's thread: copy, signal, never block or allocate.
func (c *Capture) callback(_, in []byte, frames uint32) {
	if c.source != nil {
		for left := int(frames); left > 0; {
			n := min(left, len(c.scratch))
			c.source(c.scratch[:n])
			c.ring.write(c.scratch[:n])
			left -= n
		}
	} else {
		c.ring.write(samples(in))
	}
	select {
	case c.ready <- struct{}{}:
	default:
	}
}

// ReadFrame waits for the next 20 ms frame (FrameSamples samples) and copies
// it into out. It returns ErrClosed once the capture is closed.
func (c *Capture) ReadFrame(out []int16) error {
	out = out[:FrameSamples]
	for {
		if c.ring.read(out) {
			return nil
		}
		select {
		case <-c.ready:
		case <-c.done:
			return ErrClosed
		}
	}
}

// Dropped counts samples lost because nobody read them in time.
func (c *Capture) Dropped() uint64 {
	c.ring.mu.Lock()
	defer c.ring.mu.Unlock()
	return c.ring.dropped
}

// Close stops and closes the device; a waiting ReadFrame returns ErrClosed.
func (c *Capture) Close() {
	c.once.Do(func() {
		close(c.done)
		closeDevice(c.ctx, c.dev)
	})
}

func closeDevice(ctx *malgo.AllocatedContext, dev *malgo.Device) {
	if dev != nil {
		dev.Uninit() // stops the device and waits for its callback to return
	}
	if ctx != nil {
		ctx.Uninit()
		ctx.Free()
	}
}

// PlaybackConfig opens a Playback.
type PlaybackConfig struct {
	DeviceConfig
	// Source fills the next 20 ms frame to play; it runs on the device's
	// thread, so it must not block (JitterBuffer.Pop qualifies).
	Source func(out []int16)
	// Tap, when set, sees each 20 ms frame as it goes to the device (for the
	// half-duplex gate, level meters and tests). It runs on the device's
	// thread and must not block or keep the slice.
	Tap func(frame []int16)
}

// Playback plays 16 kHz mono audio pulled 20 ms at a time from a source.
type Playback struct {
	ctx    *malgo.AllocatedContext
	dev    *malgo.Device
	source func([]int16)
	tap    func([]int16)
	frame  [FrameSamples]int16
	pos    int // next unplayed sample in frame
	once   sync.Once
}

// OpenPlayback opens and starts a playback device.
func OpenPlayback(cfg PlaybackConfig) (*Playback, error) {
	if cfg.Source == nil {
		return nil, errors.New("audio: playback needs a source")
	}
	p := &Playback{source: cfg.Source, tap: cfg.Tap, pos: FrameSamples}
	ctx, dev, err := cfg.open(malgo.Playback, p.callback)
	if err != nil {
		return nil, err
	}
	p.ctx, p.dev = ctx, dev
	if err := dev.Start(); err != nil {
		p.Close()
		return nil, fmt.Errorf("audio: start playback: %w", err)
	}
	return p, nil
}

// callback runs on the device's thread: pull frames as needed, never allocate.
func (p *Playback) callback(out, _ []byte, _ uint32) {
	dst := samples(out)
	for len(dst) > 0 {
		if p.pos == FrameSamples {
			p.source(p.frame[:])
			if p.tap != nil {
				p.tap(p.frame[:])
			}
			p.pos = 0
		}
		n := copy(dst, p.frame[p.pos:])
		p.pos += n
		dst = dst[n:]
	}
}

// Close stops and closes the device.
func (p *Playback) Close() {
	p.once.Do(func() { closeDevice(p.ctx, p.dev) })
}
