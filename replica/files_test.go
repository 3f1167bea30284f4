package replica

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"qiao/content"
	"qiao/district"
	"qiao/internal/netsim"
	"qiao/store"
)

// fileDevice is a device (of d, or reached through via) with a content store.
func (d *testDistrict) fileDevice(t *testing.T, school, localName, via string) (*store.Store, *Replica) {
	t.Helper()
	dd := *d
	if via != "" {
		dd.url = via
	}
	st, r := dd.device(t, school, localName)
	files, err := content.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r.Files = files
	return st, r
}

// attach stores data in the device's content store and records it as an
// attachment of a research activity.
func attach(t *testing.T, st *store.Store, r *Replica, data []byte) string {
	t.Helper()
	ref, err := r.Files.Put(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	put(t, st, "research_attachments", "", store.Fields{"activity_id": "act-1", "name": "课题报告.pdf", "hash": ref.Hash, "size": ref.Size})
	return ref.Hash
}

func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)}).Read(b)
	return b
}

// sameFile fails unless r's store holds hash with exactly data.
func sameFile(t *testing.T, r *Replica, hash string, data []byte) {
	t.Helper()
	rc, err := r.Files.Open(hash)
	if err != nil {
		t.Fatalf("file %s: %v", hash, err)
	}
	defer rc.Close()
	got, _ := io.ReadAll(rc)
	if !bytes.Equal(got, data) {
		t.Fatalf("file %s differs (%d bytes, want %d)", hash, len(got), len(data))
	}
	if err := r.Files.Verify(hash); err != nil {
		t.Fatal(err)
	}
}

func TestFilesTravelOnlyWhenMissing(t *testing.T) {
	d := startDistrict(t)
	a, b := d.school(t, "A校"), d.school(t, "B校")
	st1, r1 := d.fileDevice(t, a, "A", "")
	st2, r2 := d.fileDevice(t, a, "", "")
	_, r3 := d.fileDevice(t, b, "B", "")
	data := randomBytes(300_000, 1)
	h := attach(t, st1, r1, data)

	rep := syncOK(t, r1)
	if rep.FilesUp != 1 || rep.FileBytesUp != int64(len(data)) {
		t.Fatalf("device 1 sent %d files, %d bytes; want 1, %d", rep.FilesUp, rep.FileBytesUp, len(data))
	}
	rep = syncOK(t, r2)
	if rep.FilesDown != 1 || rep.FileBytesDown != int64(len(data)) {
		t.Fatalf("device 2 received %d files, %d bytes", rep.FilesDown, rep.FileBytesDown)
	}
	sameFile(t, r2, h, data)

	// Nothing moves again: not on the next sync of either device, and not
	// when device 2 names the same file in a row of its own (the server has it).
	put(t, st2, "research_outputs", "", store.Fields{"teacher_id": "t1", "kind": "paper", "title": "论文", "day": "2026-11-27", "state": "submitted", "file_hash": h})
	for _, r := range []*Replica{r1, r2, r1} {
		if rep := syncOK(t, r); rep.FileBytesUp != 0 || rep.FileBytesDown != 0 || rep.FilesUp+rep.FilesDown != 0 {
			t.Fatalf("a second sync moved files again: %+v", rep)
		}
	}

	// School B never sees it, not even whether it exists.
	syncOK(t, r3)
	if r3.Files.Has(h) {
		t.Fatal("school B received school A's file")
	}
	for _, m := range []string{http.MethodHead, http.MethodGet} {
		res, err := r3.send(context.Background(), m, r3.fileURL(h, ""), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Fatalf("%s of school A's file by school B: %d", m, res.StatusCode)
		}
	}
	// Nor can it overwrite it: forged bytes under A's hash are refused.
	res, err := r3.send(context.Background(), http.MethodPut, r3.fileURL(h, "offset=0&final=1"), []byte("forged"), nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("forged upload by school B: %d", res.StatusCode)
	}
	_, r4 := d.fileDevice(t, a, "", "")
	syncOK(t, r4)
	sameFile(t, r4, h, data)
}

// cutter cuts every connection after a random 256 KiB to 1.25 MiB (a
// reset also loses what sat unread in the receiver's socket buffer).
func cutter(seed uint64) func() int64 {
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(seed, uint64(time.Now().UnixNano())))
	return func() int64 {
		mu.Lock()
		defer mu.Unlock()
		return 256<<10 + rng.Int64N(1<<20)
	}
}

// syncThroughCuts syncs until a sync succeeds, checking after each failed
// one that no half-transferred file is visible; it returns the failures
// and the file bytes the syncs moved.
func syncThroughCuts(t *testing.T, r *Replica, hash string) (failures int, up, down int64) {
	t.Helper()
	for ; failures < 300; failures++ {
		rep, err := r.Sync(context.Background())
		up, down = up+rep.FileBytesUp, down+rep.FileBytesDown
		if err == nil {
			return failures, up, down
		}
		if !strings.Contains(err.Error(), "district server") {
			t.Fatalf("sync failed for another reason than the cut link: %v", err)
		}
		if r.Files.Has(hash) && r.Files.Verify(hash) != nil {
			t.Fatal("a damaged file is visible")
		}
	}
	t.Fatal("sync never got through the cut link")
	return
}

func TestFileDownloadResumesAfterCuts(t *testing.T) {
	d := startDistrict(t)
	a := d.school(t, "A校")
	st1, r1 := d.fileDevice(t, a, "A", "")
	data := randomBytes(3<<20, 2)
	h := attach(t, st1, r1, data)
	syncOK(t, r1)

	proxy, err := netsim.Start(strings.TrimPrefix(d.url, "https://"), netsim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	_, r2 := d.fileDevice(t, a, "", "https://"+proxy.Addr())
	before := proxy.Stats().BytesDown
	// A rate keeps the socket buffers near empty, as on a real link, so
	// a cut drops little beyond what the receiver already got.
	proxy.SetConfig(netsim.Config{CutAfter: cutter(3), Rate: 8 << 20})
	failures, _, got := syncThroughCuts(t, r2, h)
	down := proxy.Stats().BytesDown - before
	if failures == 0 || proxy.Stats().Cuts == 0 {
		t.Fatalf("no download was cut (%d cuts): the test tested nothing", proxy.Stats().Cuts)
	}
	sameFile(t, r2, h, data)
	// Resumed, not restarted: every byte of the file was received once.
	// (The link carried more: a reset also drops what sat unread in the
	// receiver's socket buffer, and each sync pulls rows first.)
	if got != int64(len(data)) {
		t.Fatalf("%d file bytes received for a %d-byte file over %d cut syncs: the download restarted instead of resuming", got, len(data), failures)
	}
	if down >= 2*int64(len(data)) {
		t.Fatalf("%d bytes came down the link for a %d-byte file", down, len(data))
	}
	t.Logf("%d cut syncs, %d bytes down the link for %d", failures, down, len(data))
}

func TestFileUploadResumesAfterCuts(t *testing.T) {
	d := startDistrict(t)
	a := d.school(t, "A校")
	proxy, err := netsim.Start(strings.TrimPrefix(d.url, "https://"), netsim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	st1, r1 := d.fileDevice(t, a, "A", "https://"+proxy.Addr())
	data := randomBytes(3<<20, 4)
	h := attach(t, st1, r1, data)
	before := proxy.Stats().BytesUp
	proxy.SetConfig(netsim.Config{CutAfter: cutter(5)})
	failures, sent, _ := syncThroughCuts(t, r1, h)
	up := proxy.Stats().BytesUp - before
	if failures == 0 || proxy.Stats().Cuts == 0 {
		t.Fatalf("no upload was cut (%d cuts): the test tested nothing", proxy.Stats().Cuts)
	}
	// Resumed, not restarted: each cut lost at most the chunk in flight.
	if sent > int64(len(data))+int64(failures)*district.MaxChunkBytes {
		t.Fatalf("%d file bytes sent for a %d-byte file over %d cut syncs", sent, len(data), failures)
	}
	t.Logf("%d cut syncs, %d file bytes sent, %d bytes up the link for %d", failures, sent, up, len(data))
	_, r2 := d.fileDevice(t, a, "", "")
	syncOK(t, r2)
	sameFile(t, r2, h, data)
}
