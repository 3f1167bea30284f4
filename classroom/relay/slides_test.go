package relay

import (
	"bytes"
	"crypto/sha256"
	"testing"
)

// chunksOf splits data as sendSlide does.
func chunksOf(data []byte) [][]byte {
	sum := sha256.Sum256(data)
	var out [][]byte
	for off := 0; off < len(data); off += SlideChunkBytes {
		out = append(out, encodeChunk(sum[:], len(data), off, data[off:min(off+SlideChunkBytes, len(data))]))
	}
	return out
}

func TestAssembler(t *testing.T) {
	data := bytes.Repeat([]byte("slide "), 10000) // 60,000 bytes: 4 chunks
	var a assembler
	var got []byte
	for i, b := range chunksOf(data) {
		c, err := decodeChunk(b)
		if err != nil {
			t.Fatal(err)
		}
		out, perr := a.add(c)
		if perr != nil {
			t.Fatalf("chunk %d: %v", i, perr)
		}
		got = out
	}
	if !bytes.Equal(got, data) {
		t.Fatal("the slide did not come back whole")
	}
	// Out of order, and bytes that do not match their hash, are refused.
	cs := chunksOf(data)
	c0, _ := decodeChunk(cs[0])
	c2, _ := decodeChunk(cs[2])
	if _, err := a.add(c0); err != nil {
		t.Fatal(err)
	}
	if _, err := a.add(c2); err == nil || err.Code != CodeBadMessage {
		t.Fatalf("a skipped chunk: %v", err)
	}
	bad := bytes.Clone(cs[0])
	bad[len(bad)-1] ^= 1
	for i, b := range append([][]byte{bad}, cs[1:]...) {
		c, _ := decodeChunk(b)
		out, err := a.add(c)
		if i == len(cs)-1 && (err == nil || out != nil) {
			t.Fatalf("a changed byte was accepted: %v", err)
		}
	}
	var s slideStore
	s.m = map[string][]byte{"a": make([]byte, 10), "b": make([]byte, 20)}
	s.size = 30
	s.evict([]string{"b"})
	if len(s.m) != 1 || s.size != 20 {
		t.Fatalf("evict kept %d slides of %d bytes", len(s.m), s.size)
	}
}

// FuzzSlidesChannel feeds hostile messages to the slides channel's parsers.
func FuzzSlidesChannel(f *testing.F) {
	for _, c := range chunksOf(bytes.Repeat([]byte{7}, 20000)) {
		f.Add(c)
	}
	f.Add([]byte(`{"type":"want","hashes":["` + string(bytes.Repeat([]byte("a"), 64)) + `"]}`))
	f.Add([]byte(`{"type":"offer","hashes":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := DecodeSlideMsg(b); err == nil {
			if m.Type != SlOffer && m.Type != SlWant || len(m.Hashes) > MaxDeckPages {
				t.Fatalf("accepted %+v", m)
			}
			for _, h := range m.Hashes {
				if !validHash(h) {
					t.Fatalf("accepted hash %q", h)
				}
			}
		}
		c, err := decodeChunk(b)
		if err != nil {
			return
		}
		if c.total > MaxSlideBytes || len(c.data) > SlideChunkBytes || c.off+len(c.data) > c.total {
			t.Fatalf("accepted chunk total %d off %d len %d", c.total, c.off, len(c.data))
		}
		var a assembler
		out, perr := a.add(c)
		if perr == nil && out != nil {
			if sum := sha256.Sum256(out); !bytes.Equal(sum[:], b[1:1+sha256.Size]) {
				t.Fatal("a slide that does not match its hash")
			}
		}
	})
}
