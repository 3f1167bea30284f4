package content

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPartialResumesAndCommits(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	data := bytes.Repeat([]byte("课题研究附件。"), 5000)
	hash := sum(data)
	p, err := s.Partial(hash, "download")
	if err != nil {
		t.Fatal(err)
	}
	// A transfer cut after 1000 bytes keeps them.
	n, err := p.Append(0, &failingReader{r: bytes.NewReader(data[:1000]), err: errors.New("connection reset")}, 1<<20)
	if err == nil || n != 1000 {
		t.Fatalf("cut append: %d, %v", n, err)
	}
	if s.Has(hash) {
		t.Fatal("a partial file is visible under its hash")
	}
	// Appending anywhere but the end is refused and writes nothing.
	var oe *OffsetError
	if _, err := p.Append(0, bytes.NewReader(data), 1<<20); !errors.As(err, &oe) || oe.Have != 1000 {
		t.Fatalf("append at 0: %v", err)
	}
	if n, err = p.Append(1000, bytes.NewReader(data[1000:]), 1<<20); err != nil || n != int64(len(data)) {
		t.Fatalf("resume: %d, %v", n, err)
	}
	ref, err := p.Commit()
	if err != nil || ref.Hash != hash || ref.Size != int64(len(data)) {
		t.Fatalf("commit: %+v %v", ref, err)
	}
	if err := s.Verify(hash); err != nil {
		t.Fatal(err)
	}
	if size, _ := p.Size(); size != 0 {
		t.Fatalf("partial file left with %d bytes", size)
	}
}

func TestPartialRefusesWrongHashAndTooLarge(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	hash := sum([]byte("the real content"))
	p, _ := s.Partial(hash, "dev-1")
	if _, err := p.Append(0, strings.NewReader("forged content"), 100); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Commit(); !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("commit of wrong bytes: %v", err)
	}
	if s.Has(hash) {
		t.Fatal("wrong bytes stored")
	}
	if size, _ := p.Size(); size != 0 {
		t.Fatal("wrong bytes left as a partial file")
	}
	n, err := p.Append(0, strings.NewReader("0123456789"), 4)
	if !errors.Is(err, ErrTooLarge) || n != 4 {
		t.Fatalf("too large: %d %v", n, err)
	}
	if size, _ := p.Size(); size != 4 {
		t.Fatalf("partial holds %d bytes past the limit", size)
	}
	for _, tag := range []string{"", "../x", "A", strings.Repeat("a", 65)} {
		if _, err := s.Partial(hash, tag); !errors.Is(err, ErrBadTag) {
			t.Errorf("tag %q: %v", tag, err)
		}
	}
	if _, err := s.Partial("../"+hash[3:], "x"); !errors.Is(err, ErrBadHash) {
		t.Fatalf("bad hash: %v", err)
	}
	if n, err := s.SweepPartials(-time.Second); err != nil || n != 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
}
