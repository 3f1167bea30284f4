package syncproto

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"os"
	"testing"
)

// The decoders read what devices and the server send; they must refuse
// bad input with an error and never panic, and what they accept must
// satisfy the checks they promise.

func FuzzDecodePush(f *testing.F) {
	for _, n := range []int{0, 1, 3} {
		var p Push
		for i := 1; i <= n; i++ {
			p.Changes = append(p.Changes, testChange(int64(i)))
		}
		body, err := Encode(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body)
	}
	f.Add([]byte{})
	f.Add(gz(f, `{"changes":[{"seq":1}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := DecodePush(body)
		if err != nil {
			return
		}
		checkAccepted(t, p.Changes)
	})
}

func FuzzDecodePage(f *testing.F) {
	for _, n := range []int{0, 2} {
		p := Page{Changes: []Change{}, Next: int64(n), More: n > 0}
		for i := 1; i <= n; i++ {
			p.Changes = append(p.Changes, testChange(int64(i)))
		}
		body, err := Encode(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body)
	}
	f.Add(gz(f, `{"changes":[],"next":-1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := DecodePage(body)
		if err != nil {
			return
		}
		if p.Next < 0 {
			t.Fatalf("accepted a negative cursor %d", p.Next)
		}
		checkAccepted(t, p.Changes)
	})
}

func checkAccepted(t *testing.T, cs []Change) {
	if len(cs) > MaxChanges {
		t.Fatalf("accepted %d changes", len(cs))
	}
	for i := range cs {
		if err := cs[i].Validate(); err != nil {
			t.Fatalf("accepted an invalid change: %v", err)
		}
	}
}

// FuzzReadBundle reads fuzzed bundles twice: as they are (the signature
// check must hold), and re-signed with the test key, as a device with a
// valid key could make them, so the header and change parsers behind the
// signature get fuzzed too.
func FuzzReadBundle(f *testing.F) {
	dir := f.TempDir()
	for _, n := range []int{0, 1, 12} {
		data, err := os.ReadFile(writeTestBundle(f, dir, n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(BundleMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		if h, cs, err := readAll(data, fixedKey); err == nil {
			checkBundle(t, h, cs)
		}
		content := data
		if len(content) >= trailerLen {
			content = content[:len(content)-trailerLen]
		}
		sum := sha256.Sum256(content)
		resigned := append(bytes.Clone(content), signTrailer(testKey, sum[:])...)
		if h, cs, err := readAll(resigned, fixedKey); err == nil {
			checkBundle(t, h, cs)
		}
	})
}

// checkBundle checks what ReadBundle accepted against its promises.
func checkBundle(t *testing.T, h BundleHeader, cs []Change) {
	if err := h.check(); err != nil {
		t.Fatalf("accepted a bad header: %v", err)
	}
	if int64(len(cs)) != h.Changes {
		t.Fatalf("accepted %d changes, header says %d", len(cs), h.Changes)
	}
	last := h.From
	for i := range cs {
		if err := cs[i].Validate(); err != nil {
			t.Fatalf("accepted an invalid change: %v", err)
		}
		if cs[i].Seq <= last || cs[i].Seq > h.Through {
			t.Fatalf("accepted seq %d after %d in (%d, %d]", cs[i].Seq, last, h.From, h.Through)
		}
		last = cs[i].Seq
		if _, err := json.Marshal(cs[i]); err != nil {
			t.Fatalf("accepted a change that does not encode: %v", err)
		}
	}
}
