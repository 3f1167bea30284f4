package content

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// restart forgets what this process knows about partial files (running
// hashes, seals), as a new process would.
func restart() {
	for i := range partialLocks {
		partialLocks[i].Lock()
		partialRuns[i], partialSealed[i] = nil, nil
		partialLocks[i].Unlock()
	}
}

func TestPartialRunningHashRefusesWrongBytes(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	data := bytes.Repeat([]byte("三年级语文课件。"), 20000)
	p, _ := s.Partial(sum(data), "pack")
	forged := bytes.Clone(data)
	forged[len(forged)-1] ^= 1
	if _, err := p.AppendUnsynced(0, bytes.NewReader(forged[:1000]), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	if _, err := p.AppendUnsynced(1000, bytes.NewReader(forged[1000:]), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Commit(); !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("commit of forged bytes: %v", err)
	}
	if s.Has(sum(data)) {
		t.Fatal("forged bytes stored")
	}
	// Through a Batch too.
	if _, err := p.AppendUnsynced(0, bytes.NewReader(forged), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	b := s.NewBatch()
	if _, err := b.Add(p); !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("batch add of forged bytes: %v", err)
	}
	if err := b.Commit(); err != nil || s.Has(sum(data)) {
		t.Fatalf("batch commit: %v, stored %v", err, s.Has(sum(data)))
	}
	if n, _ := p.Size(); n != 0 {
		t.Fatalf("forged partial file left with %d bytes", n)
	}
}

func TestPartialResumedInAnotherProcessVerifies(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	data := bytes.Repeat([]byte("分数的初步认识 教案。"), 20000)
	hash, size := sum(data), int64(len(data))
	p, _ := s.Partial(hash, "pack")
	if _, err := p.Append(0, bytes.NewReader(data[:5000]), size); err != nil {
		t.Fatal(err)
	}
	restart()
	p, _ = s.Partial(hash, "pack")
	if _, err := p.AppendUnsynced(5000, bytes.NewReader(data[5000:]), size); err != nil {
		t.Fatal(err)
	}
	if ref, err := p.Commit(); err != nil || ref != (Ref{hash, size}) {
		t.Fatalf("commit: %+v %v", ref, err)
	}
	if err := s.Verify(hash); err != nil {
		t.Fatal(err)
	}

	// The prefix a new process continues is hashed from the disk: a
	// damaged byte there is caught although every appended byte is right.
	other := append(bytes.Clone(data), "附录"...)
	q, _ := s.Partial(sum(other), "pack")
	if _, err := q.Append(0, bytes.NewReader(other[:5000]), int64(len(other))); err != nil {
		t.Fatal(err)
	}
	restart()
	damage(t, q.path, 10)
	if _, err := q.AppendUnsynced(5000, bytes.NewReader(other[5000:]), int64(len(other))); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Commit(); !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("commit over a damaged prefix: %v", err)
	}

	// A running hash that no longer matches the file's length (cut short
	// behind this process's back) is not trusted: the prefix is hashed again.
	if _, err := q.AppendUnsynced(0, bytes.NewReader(other[:8000]), int64(len(other))); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(q.path, 3000); err != nil {
		t.Fatal(err)
	}
	if _, err := q.AppendUnsynced(3000, bytes.NewReader(other[3000:]), int64(len(other))); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(sum(other)); err != nil {
		t.Fatal(err)
	}
}

func TestBatchCommitsSealedFilesAtOnce(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	b := s.NewBatch()
	var parts []*Partial
	var hashes []string
	for i := range 5 {
		data := bytes.Repeat([]byte{byte('a' + i)}, 70000+i)
		p, _ := s.Partial(sum(data), "pack")
		if _, err := p.AppendUnsynced(0, bytes.NewReader(data), int64(len(data))); err != nil {
			t.Fatal(err)
		}
		if ref, err := b.Add(p); err != nil || ref.Size != int64(len(data)) {
			t.Fatalf("add: %+v %v", ref, err)
		}
		parts, hashes = append(parts, p), append(hashes, sum(data))
	}
	if s.Has(hashes[0]) {
		t.Fatal("a file is visible before the batch commits")
	}
	if _, err := parts[0].AppendUnsynced(70000, bytes.NewReader([]byte("x")), 1<<20); !errors.Is(err, ErrSealed) {
		t.Fatalf("append to a sealed partial file: %v", err)
	}
	if _, err := b.Add(parts[0]); !errors.Is(err, ErrSealed) {
		t.Fatalf("adding a file twice: %v", err)
	}
	// A crash before Commit: the next process commits the whole partial
	// file (here, one the batch still holds, which then skips it).
	restart()
	if _, err := parts[4].Commit(); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, h := range hashes {
		if err := s.Verify(h); err != nil {
			t.Fatal(err)
		}
		path, _ := s.Path(h)
		if info, err := os.Stat(path); err != nil || info.Mode().Perm()&0o222 != 0 {
			t.Fatalf("%s: %v %v", h, info, err)
		}
	}
	for _, p := range parts {
		if n, _ := p.Size(); n != 0 {
			t.Fatal("a partial file was left behind")
		}
	}
}

// damage flips a byte of the file at path.
func damage(t *testing.T, path string, at int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	f.ReadAt(b, at)
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
}
