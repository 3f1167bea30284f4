package content

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"
)

// trickle hands out at most max bytes per Read, so appends see short,
// unaligned reads.
type trickle struct {
	r   io.Reader
	max int
}

func (t *trickle) Read(p []byte) (int, error) {
	if len(p) > t.max {
		p = p[:t.max]
	}
	return t.r.Read(p)
}

// TestAppendUnsyncedDirectResumesToIdentical cuts bulk appends (written
// past the page cache where the system allows) at random, unaligned
// points, sometimes forgetting the running hash as a new process would,
// and checks that the resumed file ends identical and verifies.
func TestAppendUnsyncedDirectResumesToIdentical(t *testing.T) {
	dir := t.TempDir()
	if runtime.GOOS == "linux" {
		probe := dir + "/probe"
		os.WriteFile(probe, nil, 0o644)
		if f := openDirect(probe); f == nil {
			t.Log("no O_DIRECT on this file system: the buffered path is tested")
		} else {
			f.Close()
		}
	}
	s := mustOpen(t, dir)
	rng := rand.New(rand.NewPCG(3, 7))
	for trial := range 6 {
		data := make([]byte, 3*appendBuf+rng.IntN(3*blockSize))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		size := int64(len(data))
		p, _ := s.Partial(sum(data), "pack")
		var off int64
		for cuts := 0; off < size; cuts++ {
			var r io.Reader = bytes.NewReader(data[off:])
			if cuts < 4 {
				cut := off + 1 + rng.Int64N(size-off)
				r = &failingReader{r: bytes.NewReader(data[off:cut]), err: errors.New("the drive was pulled out")}
			}
			if trial%2 == 1 {
				r = &trickle{r: r, max: 1 + rng.IntN(70000)}
			}
			n, err := p.AppendUnsynced(off, r, size)
			if cuts < 4 && err == nil && n < size {
				t.Fatalf("trial %d: a failing read was not reported", trial)
			}
			if n < off || n > size {
				t.Fatalf("trial %d: append from %d ended at %d of %d", trial, off, n, size)
			}
			off = n
			if rng.IntN(2) == 0 {
				restart()
			}
		}
		got, err := os.ReadFile(p.path)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("trial %d: the partial file differs from what was appended (%v)", trial, err)
		}
		if _, err := p.Commit(); err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
	}
}

// TestAppendUnsyncedTooLargeWritesNothingBeyond checks the limit on the
// bulk path: the file holds exactly the allowed bytes, which are valid.
func TestAppendUnsyncedTooLargeWritesNothingBeyond(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	data := bytes.Repeat([]byte("三年级数学 分数的初步认识。"), 40000)
	limit := int64(2*appendBuf + 100)
	p, _ := s.Partial(sum(data[:limit]), "pack")
	n, err := p.AppendUnsynced(0, bytes.NewReader(data), limit)
	if !errors.Is(err, ErrTooLarge) || n != limit {
		t.Fatalf("append past the limit: %d, %v", n, err)
	}
	if got, _ := os.ReadFile(p.path); !bytes.Equal(got, data[:limit]) {
		t.Fatalf("the partial file holds %d bytes, not the %d allowed", len(got), limit)
	}
	if _, err := p.Commit(); err != nil {
		t.Fatal(err)
	}
}
