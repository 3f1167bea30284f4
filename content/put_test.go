package content

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// patternReader yields n deterministic pseudo-random bytes (xorshift)
// without holding them: a large file that never sits in memory. The
// stream does not depend on how the caller sizes its reads.
type patternReader struct {
	n    int64
	x    uint64
	word [8]byte
	left int // unread bytes at the end of word
}

func newPattern(n int64) *patternReader { return &patternReader{n: n, x: 0x9E3779B97F4A7C15} }

func (r *patternReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	for i := 0; i < len(p); {
		if r.left == 0 {
			r.x ^= r.x << 13
			r.x ^= r.x >> 7
			r.x ^= r.x << 17
			binary.LittleEndian.PutUint64(r.word[:], r.x)
			r.left = 8
		}
		c := copy(p[i:], r.word[8-r.left:])
		r.left -= c
		i += c
	}
	r.n -= int64(len(p))
	return len(p), nil
}

func TestPatternReaderIgnoresReadSizes(t *testing.T) {
	a, _ := io.ReadAll(io.LimitReader(newPattern(1000), 1000))
	b := make([]byte, 0, 1000)
	r := newPattern(1000)
	for step := 1; len(b) < 1000; step = step%13 + 1 {
		buf := make([]byte, step)
		n, _ := r.Read(buf)
		b = append(b, buf[:n]...)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("pattern depends on read sizes")
	}
}

// failingReader yields n bytes, then fails, as a pulled USB drive would.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

func TestDedup(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	data := bytes.Repeat([]byte("同一份教案 "), 1000)
	a, err := s.Put(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := s.Path(a.Hash)
	before, _ := os.Stat(p)
	b, err := s.Put(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Fatalf("refs differ: %+v %+v", a, b)
	}
	after, _ := os.Stat(p)
	if !os.SameFile(before, after) {
		t.Fatal("second Put replaced the existing file")
	}
	if n, size, _ := s.Usage(); n != 1 || size != int64(len(data)) {
		t.Fatalf("usage %d files %d bytes", n, size)
	}
	if left := tempFiles(t, s); len(left) != 0 {
		t.Fatalf("temp files left: %v", left)
	}
}

func TestPutFile(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	src := filepath.Join(t.TempDir(), "附件.docx")
	data := []byte("not really a docx")
	os.WriteFile(src, data, 0o644)
	ref, err := s.PutFile(src)
	if err != nil || ref.Hash != sum(data) {
		t.Fatalf("PutFile: %+v %v", ref, err)
	}
	if _, err := s.PutFile(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("PutFile of a missing file succeeded")
	}
}

func TestLargeContentStreamed(t *testing.T) {
	const size = 50 << 20
	s := mustOpen(t, t.TempDir())
	h := sha256.New()
	io.Copy(h, newPattern(size))
	want := hex.EncodeToString(h.Sum(nil))

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ref, err := s.Put(newPattern(size))
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Hash != want || ref.Size != size {
		t.Fatalf("ref %+v, want %s/%d", ref, want, size)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("Put of %d MiB allocated %d KiB in total", size>>20, alloc>>10)
	if alloc > 2<<20 {
		t.Fatalf("Put of %d MiB allocated %d KiB: not streaming", size>>20, alloc>>10)
	}
	if err := s.Verify(ref.Hash); err != nil {
		t.Fatal(err)
	}
}

func TestFailingReaderLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	pulled := errors.New("usb drive pulled")
	_, err := s.Put(&failingReader{r: newPattern(3 << 20), err: pulled})
	if !errors.Is(err, pulled) {
		t.Fatalf("Put: %v, want the reader's error", err)
	}
	if left := tempFiles(t, s); len(left) != 0 {
		t.Fatalf("temp files left: %v", left)
	}
	if n, _, _ := s.Usage(); n != 0 {
		t.Fatalf("%d files visible after a failed Put", n)
	}
	// The half that was read must not be stored under its own hash either.
	h := sha256.New()
	io.Copy(h, newPattern(3<<20))
	if s.Has(hex.EncodeToString(h.Sum(nil))) {
		t.Fatal("partial content visible")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != tmpDir {
			t.Errorf("unexpected entry after failed Put: %s", e.Name())
		}
	}
}

func TestConcurrentPutsOfSameContent(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	data := make([]byte, 256<<10)
	io.ReadFull(newPattern(int64(len(data))), data)
	const n = 16
	refs := make([]Ref, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			refs[i], errs[i] = s.Put(bytes.NewReader(data))
		}()
	}
	// Readers and verifiers racing the writers must never see a partial file.
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for range 50 {
				if rc, err := s.Open(sum(data)); err == nil {
					got, _ := io.ReadAll(rc)
					rc.Close()
					if !bytes.Equal(got, data) {
						t.Error("reader saw partial content")
					}
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Put %d: %v", i, errs[i])
		}
		if refs[i] != refs[0] {
			t.Fatalf("ref %d = %+v, want %+v", i, refs[i], refs[0])
		}
	}
	if files, size, _ := s.Usage(); files != 1 || size != int64(len(data)) {
		t.Fatalf("usage %d files %d bytes", files, size)
	}
	if left := tempFiles(t, s); len(left) != 0 {
		t.Fatalf("temp files left: %v", left)
	}
}

func TestConcurrentPutsAndRemoves(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	data := []byte("课件")
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				if _, err := s.Put(bytes.NewReader(data)); err != nil {
					t.Error(err)
				}
			} else if err := s.Remove(sum(data)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if _, err := s.Put(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(sum(data)); err != nil {
		t.Fatal(err)
	}
}

func TestStaleTempCleanup(t *testing.T) {
	dir := t.TempDir()
	mustOpen(t, dir)
	old := filepath.Join(dir, tmpDir, tempPrefix+"interrupted")
	fresh := filepath.Join(dir, tmpDir, tempPrefix+"running")
	other := filepath.Join(dir, tmpDir, "not-ours")
	for _, p := range []string{old, fresh, other} {
		if err := os.WriteFile(p, []byte("half a file"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	long := time.Now().Add(-2 * time.Hour)
	os.Chtimes(old, long, long)
	os.Chtimes(other, long, long)

	mustOpen(t, dir) // as the app does at the next start
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Error("temp file older than an hour was kept")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("recent temp file (a Put maybe still running) was removed")
	}
	if _, err := os.Stat(other); err != nil {
		t.Error("file not written by Put was removed")
	}
}

func TestPutReplacesFileOfWrongSize(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	data := []byte("完整的文件内容")
	ref, _ := s.Put(bytes.NewReader(data))
	p, _ := s.Path(ref.Hash)
	os.Chmod(p, 0o644)
	os.WriteFile(p, data[:5], 0o644) // truncated, e.g. by a disk check
	again, err := s.Put(bytes.NewReader(data))
	if err != nil || again != ref {
		t.Fatalf("Put: %+v %v", again, err)
	}
	if err := s.Verify(ref.Hash); err != nil {
		t.Fatalf("after repair: %v", err)
	}
	damaged, _ := os.ReadDir(filepath.Join(dir, damagedDir))
	if len(damaged) != 1 {
		t.Fatalf("damaged folder holds %d files, want the truncated one", len(damaged))
	}
}

func BenchmarkPut1MiB(b *testing.B) {
	s := mustOpen(b, b.TempDir())
	data := make([]byte, 1<<20)
	io.ReadFull(newPattern(int64(len(data))), data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		// New content each time, so every Put writes, syncs and renames.
		i++
		data[0], data[1], data[2], data[3] = byte(i), byte(i>>8), byte(i>>16), byte(i>>24)
		if _, err := s.Put(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPut1MiBDuplicate(b *testing.B) {
	s := mustOpen(b, b.TempDir())
	data := make([]byte, 1<<20)
	io.ReadFull(newPattern(int64(len(data))), data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Put(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
