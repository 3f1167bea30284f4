package live

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"testing"
	"time"

	"qiao/audio"
	"qiao/classroom/relay"
)

func randomSlides(sizes ...int) [][]byte {
	out := make([][]byte, len(sizes))
	for i, n := range sizes {
		out[i] = make([]byte, n)
		_, _ = rand.Read(out[i])
	}
	return out
}

// joinCached joins r as a remote that keeps its slides in cache.
func joinCached(t *testing.T, ctx context.Context, r *lessonRelay, name string, cache SlideCache) *Session {
	t.Helper()
	api, err := loopbackAPI()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Join(ctx, Config{URL: r.URL, Lesson: r.Code, Name: name, API: api, Device: audio.DeviceConfig{Null: true},
		Source: (&audio.Tone{Freq: 300, Amplitude: toneAmplitude}).Fill, Slides: cache, MinBackoff: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := s.WaitLive(wctx); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

// hasDeck reports whether s has every slide of pages, byte for byte.
func hasDeck(s *Session, hashes []string, pages [][]byte) bool {
	for i, h := range hashes {
		b, ok := s.Slide(h)
		if !ok || !bytes.Equal(b, pages[i]) {
			return false
		}
	}
	return true
}

func rawChunk(hash []byte, total, off int, data []byte) []byte {
	b := append([]byte{'C'}, hash...)
	b = binary.BigEndian.AppendUint32(b, uint32(total))
	b = binary.BigEndian.AppendUint32(b, uint32(off))
	return append(b, data...)
}

func TestSlides(t *testing.T) {
	ctx := context.Background()
	r := startRelay(t)
	host := mustSession(t, ctx, true, r, "主讲教室", 440)
	r1 := mustSession(t, ctx, false, r, "远端一", 0)
	r2 := mustSession(t, ctx, false, r, "远端二", 0)

	pages := randomSlides(40000, 70000, 5000)
	hashes, err := host.PutDeck(pages)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*participant{r1, r2} {
		eventually(t, 60*time.Second, "the remotes get every slide", func() bool { return hasDeck(p.Session, hashes, pages) })
	}
	eventually(t, 10*time.Second, "the deck event", func() bool { return len(r1.current().View().Deck) == 3 })
	total := int64(40000 + 70000 + 5000)
	if got := r.SlideBytesSent(r.Code); got != 2*total {
		t.Fatalf("relay sent %d slide bytes to two remotes, want %d (each slide once)", got, 2*total)
	}

	// A late joiner gets them; one that rejoins with its cache fetches nothing.
	cache := &MemCache{}
	late := joinCached(t, ctx, r, "迟到", cache)
	eventually(t, 60*time.Second, "the late joiner gets every slide", func() bool { return hasDeck(late, hashes, pages) })
	late.Close()
	sent := r.SlideBytesSent(r.Code)
	again := joinCached(t, ctx, r, "迟到", cache)
	defer again.Close()
	r1.Drop()
	eventually(t, 20*time.Second, "r1 reconnects", func() bool { return r1.Reconnects() > 0 && r1.State() == Live })
	time.Sleep(2 * time.Second) // time for any (wrong) fetch to start
	if got := r.SlideBytesSent(r.Code); got != sent {
		t.Fatalf("a rejoin and a reconnect with the slides cached fetched %d slide bytes", got-sent)
	}

	// Hostile uploads are refused with an error and change nothing.
	hc, rc := host.current(), r2.current()
	bogus := []byte("not the slide")
	wrong := sha256.Sum256([]byte("another slide"))
	cases := []struct {
		name string
		c    *relay.Client
		msg  []byte
		text bool
		code string
	}{
		{"hash mismatch", hc, rawChunk(wrong[:], len(bogus), 0, bogus), false, relay.CodeBadMessage},
		{"oversize", hc, rawChunk(wrong[:], relay.MaxSlideBytes+1, 0, bogus), false, relay.CodeTooLarge},
		{"short chunk", hc, []byte("C123"), false, relay.CodeBadMessage},
		{"remote upload", rc, rawChunk(wrong[:], len(bogus), 0, bogus), false, relay.CodeForbidden},
		{"remote offer", rc, []byte(`{"type":"offer","hashes":[]}`), true, relay.CodeForbidden},
		{"unknown type", hc, []byte(`{"type":"delete","hashes":[]}`), true, relay.CodeUnknownType},
		{"bad hash", rc, []byte(`{"type":"want","hashes":["../etc"]}`), true, relay.CodeBadMessage},
		{"not json", rc, []byte(`{"type":`), true, relay.CodeBadMessage},
	}
	for _, c := range cases {
		before := c.c.View().Err
		if err := c.c.SendSlidesRaw(c.msg, c.text); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, c.name+" is refused", func() bool {
			e := c.c.View().Err
			return e != nil && e != before && e.Code == c.code
		})
	}
	// The lesson goes on: a new deck reaches everyone.
	more := randomSlides(3000)
	h2, err := host.PutDeck(more)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Session{r1.Session, r2.Session, again} {
		eventually(t, 30*time.Second, "the new deck arrives", func() bool { return hasDeck(s, h2, more) })
	}
	if _, err := host.PutDeck([][]byte{make([]byte, relay.MaxSlideBytes+1)}); err == nil {
		t.Fatal("an oversize slide was accepted")
	}
	if _, err := r1.PutDeck(more); err == nil {
		t.Fatal("a remote put a deck")
	}
}
