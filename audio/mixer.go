package audio

import (
	"sync"
	"sync/atomic"
)

// Mixer sums several 20 ms sources into one, for a playback device that
// plays more than one stream (a remote classroom hears the host and the
// classroom holding the mic). Sources can be added and removed while the
// device pulls; Fill never allocates or waits on Add/Remove.
type Mixer struct {
	mu      sync.Mutex // serialises Add and Remove
	sources atomic.Pointer[[]*mixerSource]
	buf     [FrameSamples]int16
	acc     [FrameSamples]int32
}

type mixerSource struct{ fill func([]int16) }

// MixerSource identifies a source added to a Mixer.
type MixerSource *mixerSource

// Add adds a source (for example a jitter buffer's Pop wrapped in a func).
func (m *Mixer) Add(fill func(out []int16)) MixerSource {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := &mixerSource{fill}
	var list []*mixerSource
	if old := m.sources.Load(); old != nil {
		list = append(list, *old...)
	}
	list = append(list, s)
	m.sources.Store(&list)
	return s
}

// Remove removes a source added earlier.
func (m *Mixer) Remove(src MixerSource) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old := m.sources.Load()
	if old == nil {
		return
	}
	var list []*mixerSource
	for _, s := range *old {
		if s != src {
			list = append(list, s)
		}
	}
	m.sources.Store(&list)
}

// Fill writes the sum of all sources' next frames into out, clipped to the
// 16-bit range. With no source it writes silence. One caller at a time (the
// playback device).
func (m *Mixer) Fill(out []int16) {
	out = out[:FrameSamples]
	list := m.sources.Load()
	if list == nil || len(*list) == 0 {
		clear(out)
		return
	}
	if len(*list) == 1 {
		(*list)[0].fill(out)
		return
	}
	clear(m.acc[:])
	for _, s := range *list {
		s.fill(m.buf[:])
		for i, v := range m.buf {
			m.acc[i] += int32(v)
		}
	}
	for i, v := range m.acc {
		out[i] = int16(min(max(v, -32768), 32767))
	}
}
