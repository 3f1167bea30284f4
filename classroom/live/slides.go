package live

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"

	"qiao/classroom/relay"
)

// SlideCache keeps slides by their hash across connections and lessons
// (the app keeps them in its content store). It must be safe for
// concurrent use.
type SlideCache interface {
	Get(hash string) ([]byte, bool)
	Put(hash string, data []byte) error
}

// MemCache is a SlideCache in memory, the default.
type MemCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (c *MemCache) Get(hash string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[hash]
	return b, ok
}

func (c *MemCache) Put(hash string, data []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string][]byte{}
	}
	c.m[hash] = data
	return nil
}

// deckState is the host's deck and what the relay holds of it on the
// current connection.
type deckState struct {
	mu     sync.Mutex
	deck   []string
	stored map[string]bool // on the relay, this connection
	sent   bool            // the deck event went out on this connection
}

// PutDeck makes pages the lesson's slides (host): it uploads to the relay
// whatever the relay lacks, then sends the deck event. It returns the
// pages' hashes at once; the upload runs in the background and is redone
// after a reconnect to a relay that lost the slides.
func (s *Session) PutDeck(pages [][]byte) ([]string, error) {
	if s.role != relay.RoleHost {
		return nil, errors.New("live: only the host puts a deck")
	}
	if len(pages) > relay.MaxDeckPages {
		return nil, fmt.Errorf("live: %d slides, at most %d", len(pages), relay.MaxDeckPages)
	}
	hashes := make([]string, len(pages))
	for i, p := range pages {
		if len(p) == 0 || len(p) > relay.MaxSlideBytes {
			return nil, fmt.Errorf("live: slide %d has %d bytes, limit 1..%d", i+1, len(p), relay.MaxSlideBytes)
		}
		sum := sha256.Sum256(p)
		hashes[i] = hex.EncodeToString(sum[:])
	}
	for i, p := range pages {
		if err := s.cfg.Slides.Put(hashes[i], p); err != nil {
			return nil, err
		}
		s.recordSlide(hashes[i], p)
	}
	s.deck.mu.Lock()
	s.deck.deck, s.deck.sent = hashes, false
	s.deck.mu.Unlock()
	if c := s.current(); c != nil {
		go s.offerDeck(c)
	}
	return slices.Clone(hashes), nil
}

// Slide returns a slide from the cache.
func (s *Session) Slide(hash string) ([]byte, bool) { return s.cfg.Slides.Get(hash) }

// offerDeck (host) tells the relay the deck; it answers stored and want.
func (s *Session) offerDeck(c *relay.Client) {
	s.deck.mu.Lock()
	deck := slices.Clone(s.deck.deck)
	s.deck.mu.Unlock()
	if len(deck) > 0 {
		_ = c.OfferSlides(deck)
	}
}

// newConnSlides resets the per-connection slide state and, for the host,
// offers its deck again (a relay that restarted wants it uploaded).
func (s *Session) newConnSlides(c *relay.Client) {
	if s.role != relay.RoleHost {
		s.fetchSlides(c)
		return
	}
	s.deck.mu.Lock()
	s.deck.stored, s.deck.sent = map[string]bool{}, false
	s.deck.mu.Unlock()
	s.offerDeck(c)
}

// slideMsg (host) handles the relay's stored and want messages.
func (s *Session) slideMsg(c *relay.Client, m relay.SlideMsg) {
	switch m.Type {
	case relay.SlWant:
		go func() {
			for _, h := range m.Hashes {
				if data, ok := s.cfg.Slides.Get(h); ok {
					if c.PutSlide(data) != nil {
						return
					}
				}
			}
		}()
	case relay.SlStored:
		s.deck.mu.Lock()
		if s.deck.stored == nil {
			s.deck.stored = map[string]bool{}
		}
		for _, h := range m.Hashes {
			s.deck.stored[h] = true
		}
		deck := slices.Clone(s.deck.deck)
		ready := !s.deck.sent && len(deck) > 0 && !slices.ContainsFunc(deck, func(h string) bool { return !s.deck.stored[h] })
		s.deck.sent = s.deck.sent || ready
		s.deck.mu.Unlock()
		if ready && !slices.Equal(c.View().Deck, deck) {
			_ = c.Send(relay.Event{Type: relay.EvDeck, Deck: deck})
		}
	}
}

// fetchSlides (remote) asks the relay for the deck's slides the cache
// lacks: the current page first, then those after it, then those before.
func (s *Session) fetchSlides(c *relay.Client) {
	v := c.View()
	cur := max(v.Page, 1) - 1 // pages count from 1; 0 shows page 1
	var want []string
	for i := range v.Deck {
		h := v.Deck[(cur+i)%len(v.Deck)]
		if _, ok := s.cfg.Slides.Get(h); !ok && !slices.Contains(want, h) {
			want = append(want, h)
		}
	}
	if len(want) > 0 {
		_ = c.WantSlides(want)
	}
}

// slideArrived (remote) caches a slide and tells the UI (Changed).
func (s *Session) slideArrived(hash string, data []byte) {
	if s.cfg.Slides.Put(hash, data) == nil {
		s.notify()
		if s.cfg.OnSlide != nil {
			s.cfg.OnSlide(hash)
		}
	}
}
