package library

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"qiao/content"
	"qiao/district"
	"qiao/internal/netsim"
	"qiao/replica"
	qschool "qiao/school"
	"qiao/store"
)

// testDistrict is a real district server on loopback, in this process,
// over HTTPS with its self-signed certificate.
type testDistrict struct {
	srv *district.Server
	url string
	pin string
}

func startDistrict(t testing.TB) *testDistrict {
	t.Helper()
	srv, err := district.New(district.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", RTCTCPPort: -1})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
		srv.Close()
	})
	return &testDistrict{srv: srv, url: "https://" + ln.Addr().(*net.TCPAddr).String(), pin: srv.Fingerprint()}
}

func (d *testDistrict) school(t testing.TB, name string) string {
	t.Helper()
	id, err := d.srv.DB().AddSchool(context.Background(), name, "")
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// dev is an enrolled installation with its content store.
type dev struct {
	st    *store.Store
	files *content.Store
	rep   *replica.Replica
}

// device enrols a fresh installation of schoolID with role, reaching the
// district at via ("" for directly).
func (d *testDistrict) device(t testing.TB, schoolID, role, via string) *dev {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sv := qschool.NewService(st)
	if _, err := sv.Save(ctx, qschool.School{Name: "本地学校"}); err != nil {
		t.Fatal(err)
	}
	if err := sv.SaveUser(ctx, qschool.User{Name: "李老师", Role: qschool.Teacher}); err != nil {
		t.Fatal(err)
	}
	code, err := d.srv.DB().IssueCode(ctx, schoolID, role, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	server := d.url
	if via != "" {
		server = via
	}
	if _, err := replica.Enrol(ctx, st, replica.EnrolOptions{Server: server, Code: code, DeviceName: "test", Fingerprint: d.pin}); err != nil {
		t.Fatal(err)
	}
	rep, err := replica.Open(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	files, err := content.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rep.Files = files
	return &dev{st, files, rep}
}

func (v *dev) sync(t testing.TB) {
	t.Helper()
	if _, err := v.rep.Sync(context.Background()); err != nil {
		t.Fatalf("sync: %v", err)
	}
}

func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)}).Read(b)
	return b
}

// entry is a catalogue entry for the tests.
type entry struct {
	title, subject string
	grade          int
	data           []byte
}

// publish writes district-wide entries from a district administrator's
// device, uploads their files district-wide and syncs; it returns the
// entry ids and hashes.
func publish(t testing.TB, admin *dev, es ...entry) (ids, hashes []string) {
	t.Helper()
	ctx := context.Background()
	for _, e := range es {
		ref, err := admin.files.Put(bytes.NewReader(e.data))
		if err != nil {
			t.Fatal(err)
		}
		var id string
		err = admin.st.Update(ctx, func(tx *store.Tx) error {
			rec, err := tx.Put("library_entries", "", "", store.Fields{"title": e.title, "stage": "小学", "subject": e.subject,
				"edition": "人教版", "grade": e.grade, "kind": "courseware", "source": "district", "size": ref.Size, "hash": ref.Hash})
			id = rec.ID
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := admin.rep.Upload(ctx, ref.Hash, true); err != nil {
			t.Fatal(err)
		}
		ids, hashes = append(ids, id), append(hashes, ref.Hash)
	}
	admin.sync(t)
	return ids, hashes
}

// sameFile fails unless v holds hash with exactly data.
func sameFile(t testing.TB, v *dev, hash string, data []byte) {
	t.Helper()
	rc, err := v.files.Open(hash)
	if err != nil {
		t.Fatalf("file %s: %v", hash, err)
	}
	defer rc.Close()
	got, _ := io.ReadAll(rc)
	if !bytes.Equal(got, data) {
		t.Fatalf("file %s differs (%d bytes, want %d)", hash, len(got), len(data))
	}
	if err := v.files.Verify(hash); err != nil {
		t.Fatal(err)
	}
}

func events(t testing.TB, st *store.Store, action Action) int {
	t.Helper()
	var n int
	if err := st.DB.QueryRow(`SELECT count(*) FROM library_events WHERE action = ? AND deleted = 0`, action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// cutter cuts every connection after a random 256 KiB to 1.25 MiB.
func cutter(seed uint64) func() int64 {
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(seed, uint64(time.Now().UnixNano())))
	return func() int64 {
		mu.Lock()
		defer mu.Unlock()
		return 256<<10 + rng.Int64N(1<<20)
	}
}

func TestFetchOnDemandResumesThroughCuts(t *testing.T) {
	ctx := context.Background()
	d := startDistrict(t)
	a := d.school(t, "A校")
	admin := d.device(t, a, district.RoleDistrictAdmin, "")
	data := randomBytes(3<<20, 7)
	ids, hashes := publish(t, admin, entry{"三年级语文 秋天的雨 微课", "语文", 3, data})

	proxy, err := netsim.Start(strings.TrimPrefix(d.url, "https://"), netsim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	b := d.device(t, d.school(t, "B校"), district.RoleTeacher, "https://"+proxy.Addr())
	b.sync(t)
	f, err := NewFetcher(ctx, b.st, b.files, b.rep, nil)
	if err != nil {
		t.Fatal(err)
	}
	before := proxy.Stats().BytesDown
	proxy.SetConfig(netsim.Config{CutAfter: cutter(9), Rate: 8 << 20})
	proxy.CutAll() // the sync's kept-alive connection was accepted before the cuts
	failures := 0
	for ; ; failures++ {
		err := f.Fetch(ctx, ids[0])
		if err == nil {
			break
		}
		if failures > 300 {
			t.Fatalf("never got through the cut link: %v", err)
		}
		if !strings.Contains(err.Error(), "district server") {
			t.Fatalf("failed for another reason than the cut link: %v", err)
		}
		if b.files.Has(hashes[0]) {
			t.Fatal("a half-downloaded file is visible")
		}
		if p := f.Progress(); len(p.Files) != 1 || p.Files[0].State != StateFailed || p.Files[0].Have <= 0 {
			t.Fatalf("progress after a cut: %+v", p)
		}
	}
	if failures == 0 || proxy.Stats().Cuts == 0 {
		t.Fatal("no download was cut: the test tested nothing")
	}
	sameFile(t, b, hashes[0], data)
	if down := proxy.Stats().BytesDown - before; down >= 2*int64(len(data)) {
		t.Fatalf("%d bytes came down for a %d-byte file: the download restarted instead of resuming", down, len(data))
	}
	if p := f.Progress(); p.FilesDone != 1 || p.Have != int64(len(data)) || p.Size != int64(len(data)) {
		t.Fatalf("progress at the end: %+v", p)
	}
	if n := events(t, b.st, ActionDownloaded); n != 1 {
		t.Fatalf("%d downloaded events, want 1", n)
	}
	// Fetching again downloads nothing and records no second download.
	if err := f.Fetch(ctx, ids[0]); err != nil || events(t, b.st, ActionDownloaded) != 1 {
		t.Fatalf("second fetch: %v, %d events", err, events(t, b.st, ActionDownloaded))
	}
	t.Logf("%d cut fetches", failures)
}

func TestBackgroundFetchKeepsWindowPauseAndSubscriptions(t *testing.T) {
	ctx := context.Background()
	d := startDistrict(t)
	a := d.school(t, "A校")
	admin := d.device(t, a, district.RoleDistrictAdmin, "")
	es := []entry{
		{"三年级语文 第一单元 课件", "语文", 3, randomBytes(200_000, 1)},
		{"三年级语文 第二单元 教案", "语文", 3, randomBytes(300_000, 2)},
		{"四年级数学 分数 课件", "数学", 4, randomBytes(100_000, 3)},
	}
	_, hashes := publish(t, admin, es...)
	b := d.device(t, d.school(t, "B校"), district.RoleTeacher, "")
	b.sync(t)
	f, err := NewFetcher(ctx, b.st, b.files, b.rep, nil)
	if err != nil {
		t.Fatal(err)
	}
	noon := time.Date(2026, 11, 27, 12, 0, 0, 0, time.Local)
	f.Now = func() time.Time { return noon }
	w, err := ParseWindow("22:00-06:00")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetSettings(ctx, FetchSettings{Window: w}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Subscribe(ctx, Subscription{Subject: "语文", Grade: 3}); err != nil {
		t.Fatal(err)
	}
	held := func() (n int) {
		for _, h := range hashes {
			p, _ := b.files.Partial(h, "download")
			if sz, _ := p.Size(); b.files.Has(h) || sz > 0 {
				n++
			}
		}
		return n
	}

	// Outside the window: nothing is fetched, not even a byte.
	rep, err := f.FetchSubscribed(ctx)
	if err != nil || !rep.Stopped || rep.Downloaded != 0 || rep.Wanted != 2 || held() != 0 {
		t.Fatalf("outside the window: %+v, %v, %d files held", rep, err, held())
	}
	// On-demand fetches ignore the window, but not a pause.
	f.Pause()
	noon = noon.Add(11 * time.Hour) // 23:00, in the window
	rep, err = f.FetchSubscribed(ctx)
	if err != nil || !rep.Stopped || held() != 0 {
		t.Fatalf("paused: %+v, %v, %d files held", rep, err, held())
	}
	var fe *FetchError
	ids, _ := subscribedFiles(ctx, b.st.DB, []Subscription{{}})
	if err := f.Fetch(ctx, ids[0].ID); !errors.As(err, &fe) || fe.Code != CodePaused {
		t.Fatalf("on-demand fetch while paused: %v", err)
	}
	f.Resume()
	rep, err = f.FetchSubscribed(ctx)
	if err != nil || rep.Stopped || rep.Downloaded != 2 || rep.Missing != 0 {
		t.Fatalf("in the window: %+v, %v", rep, err)
	}
	sameFile(t, b, hashes[0], es[0].data)
	sameFile(t, b, hashes[1], es[1].data)
	if b.files.Has(hashes[2]) {
		t.Fatal("a file no subscription names was fetched")
	}
	if p := f.Progress(); p.FilesDone != 2 || p.FilesTotal != 2 {
		t.Fatalf("progress: %+v", p)
	}
	// Settings and subscriptions are kept on the device.
	f2, err := NewFetcher(ctx, b.st, b.files, b.rep, nil)
	if err != nil {
		t.Fatal(err)
	}
	subs, _ := f2.Subscriptions(ctx)
	if f2.Settings().Window != w || len(subs) != 1 {
		t.Fatalf("reopened: %+v, %+v", f2.Settings(), subs)
	}
	if err := f2.Unsubscribe(ctx, subs[0].ID); err != nil {
		t.Fatal(err)
	}
	if subs, _ := f2.Subscriptions(ctx); len(subs) != 0 {
		t.Fatalf("after unsubscribing: %+v", subs)
	}
}

// TestPauseStopsADownloadUnderWay pauses a capped download midway; it
// stops with the bytes so far kept, and resumes from them.
func TestPauseStopsADownloadUnderWay(t *testing.T) {
	ctx := context.Background()
	d := startDistrict(t)
	admin := d.device(t, d.school(t, "A校"), district.RoleDistrictAdmin, "")
	data := randomBytes(1<<20, 5)
	ids, hashes := publish(t, admin, entry{"微课", "语文", 3, data})
	b := d.device(t, d.school(t, "B校"), district.RoleTeacher, "")
	b.sync(t)
	f, err := NewFetcher(ctx, b.st, b.files, b.rep, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetSettings(ctx, FetchSettings{Cap: 256 << 10}); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- f.Fetch(ctx, ids[0]) }()
	for {
		if p := f.Progress(); len(p.Files) == 1 && p.Files[0].Have > 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	f.Pause()
	var fe *FetchError
	if err := <-errc; !errors.As(err, &fe) || fe.Code != CodePaused {
		t.Fatalf("paused download: %v", err)
	}
	p, _ := b.files.Partial(hashes[0], "download")
	kept, _ := p.Size()
	if b.files.Has(hashes[0]) || kept <= 0 || kept >= int64(len(data)) {
		t.Fatalf("after the pause: visible %v, %d bytes kept", b.files.Has(hashes[0]), kept)
	}
	f.Resume()
	if err := f.SetSettings(ctx, FetchSettings{}); err != nil {
		t.Fatal(err)
	}
	if err := f.Fetch(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	sameFile(t, b, hashes[0], data)
}

func TestParseWindow(t *testing.T) {
	for _, c := range []struct {
		in     string
		at     string
		inside bool
	}{{"22:00-06:00", "23:30", true}, {"22:00-06:00", "05:59", true}, {"22:00-06:00", "06:00", false},
		{"08:00-17:30", "12:00", true}, {"08:00-17:30", "17:30", false}, {"", "03:00", true}} {
		w, err := ParseWindow(c.in)
		if err != nil {
			t.Fatal(err)
		}
		at, _ := time.ParseInLocation("15:04", c.at, time.Local)
		if w.Contains(at) != c.inside || w.String() != c.in {
			t.Errorf("%q at %s: inside %v, string %q", c.in, c.at, w.Contains(at), w.String())
		}
	}
	for _, bad := range []string{"22-06", "25:00-06:00", "22:00", "22:0-06:00", "ab:cd-06:00"} {
		if _, err := ParseWindow(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// BenchmarkFetchCap downloads a 4 MiB file under a 1 MiB/s cap and
// reports the rate achieved (it should be close to the cap).
func BenchmarkFetchCap(b *testing.B) {
	ctx := context.Background()
	d := startDistrict(b)
	admin := d.device(b, d.school(b, "A校"), district.RoleDistrictAdmin, "")
	const capRate = 1 << 20
	data := randomBytes(4<<20, 11)
	ids, hashes := publish(b, admin, entry{"微课", "语文", 3, data})
	v := d.device(b, d.school(b, "B校"), district.RoleTeacher, "")
	v.sync(b)
	f, err := NewFetcher(ctx, v.st, v.files, v.rep, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := f.SetSettings(ctx, FetchSettings{Cap: capRate}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var took time.Duration
	for i := 0; i < b.N; i++ {
		v.files.Remove(hashes[0])
		t := time.Now()
		if err := f.Fetch(ctx, ids[0]); err != nil {
			b.Fatal(err)
		}
		took += time.Since(t)
	}
	b.ReportMetric(float64(len(data))*float64(b.N)/took.Seconds()/(1<<20), "MiB/s")
	b.ReportMetric(float64(capRate)/(1<<20), "cap-MiB/s")
}
