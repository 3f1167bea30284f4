package ui

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"qiao/district"
	"qiao/i18n"
	"qiao/replica"
	"qiao/school"
	"qiao/store"
)

// startDistrict runs a real district server on loopback (HTTPS with its
// self-signed certificate) and returns it with its URL. stopDistrict(srv)
// stops it early.
func startDistrict(t *testing.T) (*district.Server, string) {
	t.Helper()
	srv, err := district.New(district.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
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
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			<-done
			srv.Close()
		})
	}
	stops.Store(srv, stop)
	t.Cleanup(stop)
	return srv, "https://" + ln.Addr().(*net.TCPAddr).String()
}

var stops sync.Map // *district.Server → its stop func

func stopDistrict(srv *district.Server) {
	if f, ok := stops.Load(srv); ok {
		f.(func())()
	}
}

// issue adds a school to the district and issues a teacher's code for it.
func issue(t *testing.T, srv *district.Server) (schoolID, code string) {
	t.Helper()
	ctx := context.Background()
	id, err := srv.DB().AddSchool(ctx, "城关一小", "")
	if err != nil {
		t.Fatal(err)
	}
	return id, newCode(t, srv, id)
}

func newCode(t *testing.T, srv *district.Server, schoolID string) string {
	t.Helper()
	c, err := srv.DB().IssueCode(context.Background(), schoolID, district.RoleTeacher, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// withSync gives the harness's window a real background runner, stopped
// when the test ends.
func (h *harness) withSync() {
	var wg sync.WaitGroup
	h.w.deps.StartSync = func(started func(), done func(replica.Report, error)) (*replica.Runner, func(), error) {
		ctx, cancel := context.WithCancel(context.Background())
		r, err := replica.Open(ctx, h.st)
		if err != nil {
			cancel()
			return nil, nil, err
		}
		ru := replica.NewRunner(r, time.Hour)
		ru.Started, ru.Done = started, done
		wg.Add(1)
		go func() { defer wg.Done(); ru.Run(ctx) }()
		stop := func() { cancel(); wg.Wait() }
		h.t.Cleanup(stop)
		return ru, stop, nil
	}
}

// ownSchool makes the harness's school a real one and opens the settings.
func (h *harness) ownSchool() {
	h.t.Helper()
	if _, err := h.sv.Save(context.Background(), school.School{Name: "城关第一小学"}); err != nil {
		h.t.Fatal(err)
	}
	h.w.refresh()
	h.w.shell.show("settings")
}

// runSync runs the queued work as the UI goroutine would.
func (h *harness) runSync() { h.w.jobs.run() }

// waitSyncDone waits for the runner to report the end of an attempt, and
// applies what it posted.
func (h *harness) waitSyncDone() {
	h.t.Helper()
	for {
		select {
		case <-h.w.jobs.queued:
		case <-time.After(time.Minute):
			h.t.Fatal("no sync attempt reported")
		}
		h.runSync()
		if !h.w.sync.running {
			return
		}
	}
}

func (h *harness) statusBar() (link, last string) { return h.w.shell.link.Text, h.w.shell.last.Text }

// overlayButton finds a button in the dialog on top of the window.
func (h *harness) overlayButton(text string) *widget.Button {
	h.t.Helper()
	top := h.w.win.Canvas().Overlays().Top()
	if top == nil {
		h.t.Fatal("no dialog is shown")
	}
	for _, o := range test.LaidOutObjects(top) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	h.t.Fatalf("no button %q in the dialog", text)
	return nil
}

func (h *harness) overlayText(text string) bool {
	top := h.w.win.Canvas().Overlays().Top()
	if top == nil {
		return false
	}
	for _, o := range test.LaidOutObjects(top) {
		if l, ok := o.(*widget.Label); ok && strings.Contains(l.Text, text) {
			return true
		}
	}
	return false
}

func TestEnrolFormSaysWhatIsMissing(t *testing.T) {
	h := newHarness(t, t.TempDir())
	h.ownSchool()
	e := h.entries()
	server, code := e[len(e)-3], e[len(e)-2]
	enrol := h.button(i18n.T("sync.enrol"))
	test.Tap(enrol)
	if !h.hasText(i18n.T("sync.err.no_server")) {
		t.Fatal("empty server address accepted without a message")
	}
	test.Type(server, "ftp://district")
	test.Tap(enrol)
	if !h.hasText(i18n.T("sync.err.server_address", "ftp://district")) {
		t.Fatal("bad server address accepted without a message")
	}
	server.SetText("192.168.1.10:8443")
	test.Tap(enrol)
	if !h.hasText(i18n.T("sync.err.no_code")) {
		t.Fatal("empty code accepted without a message")
	}
	test.Type(code, "ABCD")
	h.sv.UseSample(context.Background())
	test.Tap(enrol)
	if !h.hasText(i18n.T("sync.err.sample")) {
		t.Fatal("sample school not refused")
	}
	h.runSync()
	if s, _ := replica.ReadStatus(context.Background(), h.st); s.Enrolled {
		t.Fatal("enrolled despite the problems")
	}
}

func TestStatusBarSaysHowTheLinkIs(t *testing.T) {
	srv, url := startDistrict(t)
	_, code := issue(t, srv)
	h := newHarness(t, t.TempDir())
	h.ownSchool()
	if link, last := h.statusBar(); link != i18n.T("status.offline") || last != i18n.T("status.never_synced") {
		t.Fatalf("not enrolled: %q %q", link, last)
	}
	ctx := context.Background()
	if _, err := replica.Enrol(ctx, h.st, replica.EnrolOptions{Server: url, Code: code, DeviceName: "t", Fingerprint: srv.Fingerprint()}); err != nil {
		t.Fatal(err)
	}
	r, err := replica.Open(ctx, h.st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	h.w.sync = newSyncLink(h.w)
	h.w.refresh()
	link, last := h.statusBar()
	if link != i18n.T("sync.status.online") || !strings.HasPrefix(last, i18n.T("sync.status.synced", "")) || strings.Contains(last, "·  ") {
		t.Fatalf("synced: %q %q", link, last)
	}
	sid, _ := h.st.Setting(ctx, "school.id", "")
	h.st.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Put("research_teachers", sid, "", store.Fields{"name": "李老师"})
		return err
	})
	h.w.sync.status, _ = replica.ReadStatus(ctx, h.st)
	h.w.sync.show()
	if _, last := h.statusBar(); !strings.HasSuffix(last, i18n.T("sync.status.pending", 1)) {
		t.Fatalf("pending: %q", last)
	}
	// The district refuses: the status bar says why, in short.
	h.w.sync.lastErr = &replica.ServerError{Status: 401, APIError: district.APIError{Code: "time_skew"}}
	h.w.sync.show()
	if link, _ := h.statusBar(); link != i18n.T("sync.brief.clock") {
		t.Fatalf("time skew: %q", link)
	}
	// The district is gone: a real failed attempt.
	stopDistrict(srv)
	_, err = r.Sync(ctx)
	if err == nil {
		t.Fatal("sync with a closed server succeeded")
	}
	h.w.sync.lastErr = err
	h.w.sync.status, _ = replica.ReadStatus(ctx, h.st)
	h.w.sync.show()
	if link, _ := h.statusBar(); link != i18n.T("sync.brief.offline") {
		t.Fatalf("offline: %q (%v)", link, err)
	}
	// With a retry scheduled, the status bar says when.
	h.w.sync.next = time.Now().Add(10 * time.Minute)
	h.w.sync.show()
	if link, _ := h.statusBar(); link != i18n.T("sync.brief.offline_at", clock(h.w.sync.next, time.Now())) {
		t.Fatalf("offline with a retry: %q", link)
	}
	// After a restart only the stored error is known.
	h.w.sync = newSyncLink(h.w)
	h.w.refresh()
	if link, _ := h.statusBar(); link != i18n.T("sync.status.failed") {
		t.Fatalf("failed before: %q", link)
	}
}

func TestEnrolFromSettingsThenSyncNow(t *testing.T) {
	srv, url := startDistrict(t)
	_, code := issue(t, srv)
	h := newHarness(t, t.TempDir())
	h.withSync()
	h.ownSchool()
	e := h.entries()
	test.Type(e[len(e)-3], url)
	test.Type(e[len(e)-2], code)
	test.Tap(h.button(i18n.T("sync.enrol")))
	h.runSync() // fetches the certificate's fingerprint
	fp := srv.Fingerprint()
	for _, line := range fingerprintLines(fp) {
		if !h.overlayText(line) {
			t.Fatalf("fingerprint line %q not shown", line)
		}
	}
	if strings.Join(fingerprintLines(fp), "") == "" || len(fingerprintLines(fp)) != 4 {
		t.Fatalf("fingerprint %s in %d lines", fp, len(fingerprintLines(fp)))
	}
	test.Tap(h.overlayButton(i18n.T("sync.enrol.fp_yes")))
	h.runSync() // enrols
	ctx := context.Background()
	s, _ := replica.ReadStatus(ctx, h.st)
	if !s.Enrolled || s.Server != url {
		t.Fatalf("status after enrolling: %+v", s)
	}
	id, _ := replica.LoadIdentity(ctx, h.st)
	if id.Fingerprint != fp {
		t.Fatalf("pinned %q, server has %q", id.Fingerprint, fp)
	}
	if h.w.sync.runner == nil {
		t.Fatal("background sync not started after enrolling")
	}
	// The first sync starts at once; on a fast machine it may be done by now.
	if link, _ := h.statusBar(); link != i18n.T("sync.status.syncing") && link != i18n.T("sync.status.online") {
		t.Fatalf("first sync: %q", link)
	}
	h.waitSyncDone()
	if h.button(i18n.T("sync.now")).Disabled() || h.w.sync.status.LastSync.IsZero() {
		t.Fatalf("enrolled card not shown or never synced: %+v", h.w.sync.status)
	}
	// A local edit waits for upload; sync now sends it.
	sid, _ := h.st.Setting(ctx, "school.id", "")
	h.st.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Put("research_teachers", sid, "", store.Fields{"name": "李老师"})
		return err
	})
	h.w.sync.status, _ = replica.ReadStatus(ctx, h.st)
	h.w.sync.show()
	if _, last := h.statusBar(); !strings.Contains(last, i18n.T("sync.status.pending", 1)) {
		t.Fatalf("pending not shown: %q", last)
	}
	test.Tap(h.button(i18n.T("sync.now")))
	h.waitSyncDone()
	if h.w.sync.lastErr != nil {
		t.Fatalf("sync now: %v", h.w.sync.lastErr)
	}
	if s, _ := replica.ReadStatus(ctx, h.st); s.Pending != 0 {
		t.Fatalf("pending %d after sync now", s.Pending)
	}
	if link, last := h.statusBar(); link != i18n.T("sync.status.online") || strings.Contains(last, i18n.T("sync.status.pending", 1)) {
		t.Fatalf("after sync now: %q %q", link, last)
	}
	// The district goes away: the status bar says when the runner retries.
	stopDistrict(srv)
	test.Tap(h.button(i18n.T("sync.now")))
	h.waitSyncDone()
	next := h.w.sync.runner.NextAttempt()
	if link, _ := h.statusBar(); next.IsZero() || link != i18n.T("sync.brief.offline_at", clock(next, time.Now())) {
		t.Fatalf("after a failed attempt: %q (retry at %v, %v)", link, next, h.w.sync.lastErr)
	}
}

func TestEnrolFingerprintRefused(t *testing.T) {
	srv, url := startDistrict(t)
	_, code := issue(t, srv)
	h := newHarness(t, t.TempDir())
	h.ownSchool()
	e := h.entries()
	test.Type(e[len(e)-3], url)
	test.Type(e[len(e)-2], code)
	test.Tap(h.button(i18n.T("sync.enrol")))
	h.runSync()
	test.Tap(h.overlayButton(i18n.T("sync.enrol.fp_no")))
	h.runSync()
	if !h.hasText(i18n.T("sync.enrol.cancelled")) {
		t.Fatal("no message after refusing the fingerprint")
	}
	if s, _ := replica.ReadStatus(context.Background(), h.st); s.Enrolled {
		t.Fatal("enrolled although the fingerprint was refused")
	}
}

// conflicted makes two devices of one school edit the same teacher
// offline: first names it first, the harness's store second (later, so it
// wins). It returns the teacher's id.
func conflicted(t *testing.T, h *harness, srv *district.Server, url, schoolID, first, second string) string {
	t.Helper()
	ctx := context.Background()
	other, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	if _, err := replica.Enrol(ctx, other, replica.EnrolOptions{Server: url, Code: newCode(t, srv, schoolID), DeviceName: "b", Fingerprint: srv.Fingerprint()}); err != nil {
		t.Fatal(err)
	}
	ro, _ := replica.Open(ctx, other)
	rh, _ := replica.Open(ctx, h.st)
	put := func(st *store.Store, id, name string) string {
		var rec store.Record
		if err := st.Update(ctx, func(tx *store.Tx) error {
			rec, err = tx.Put("research_teachers", schoolID, id, store.Fields{"name": name, "subject": name + "-科"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return rec.ID
	}
	sync := func(r *replica.Replica) {
		if _, err := r.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	id := put(h.st, "", "张老师")
	sync(rh)
	sync(ro)
	put(other, id, first)
	time.Sleep(5 * time.Millisecond) // a later wall clock, so the second edit wins
	put(h.st, id, second)
	sync(ro)
	sync(rh)
	return id
}

func teacher(t *testing.T, st *store.Store, id string) string {
	t.Helper()
	var name string
	if err := st.DB.QueryRow(`SELECT name FROM research_teachers WHERE id=?`, id).Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}

func openCount(t *testing.T, st *store.Store) int {
	cs, err := replica.OpenConflicts(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	return len(cs)
}

func TestConflictsRestoreAndKeep(t *testing.T) {
	srv, url := startDistrict(t)
	schoolID, code := issue(t, srv)
	h := newHarness(t, t.TempDir())
	h.ownSchool()
	ctx := context.Background()
	if _, err := replica.Enrol(ctx, h.st, replica.EnrolOptions{Server: url, Code: code, DeviceName: "a", Fingerprint: srv.Fingerprint()}); err != nil {
		t.Fatal(err)
	}
	id := conflicted(t, h, srv, url, schoolID, "王一", "王二")
	if teacher(t, h.st, id) != "王二" || openCount(t, h.st) != 1 {
		t.Fatalf("set-up: %q with %d conflicts", teacher(t, h.st, id), openCount(t, h.st))
	}
	h.w.sync = newSyncLink(h.w)
	h.w.refresh()
	h.w.shell.show("settings")
	test.Tap(h.button(i18n.T("sync.conflicts", 1)))
	if !h.hasText(i18n.T("sync.table.research_teachers")+" · 王一") || !h.hasText(i18n.T("sync.conflicts.kept_mine")) {
		t.Fatal("conflict not listed with its table, name and winner")
	}
	if !h.hasText("王一-科") || !h.hasText("王二-科") {
		t.Fatal("the two versions are not shown side by side")
	}
	test.Tap(h.button(i18n.T("sync.conflicts.restore")))
	if got := teacher(t, h.st, id); got != "王一" || openCount(t, h.st) != 0 {
		t.Fatalf("after restore: %q with %d open conflicts", got, openCount(t, h.st))
	}
	if !h.hasText(i18n.T("sync.conflicts.none")) {
		t.Fatal("resolved conflict still listed")
	}
	// The restore is a normal edit: it syncs, with the resolution.
	if s, _ := replica.ReadStatus(ctx, h.st); s.Pending < 2 || s.Conflicts != 0 {
		t.Fatalf("status after restore: %+v", s)
	}

	id2 := conflicted(t, h, srv, url, schoolID, "赵一", "赵二")
	h.w.shell.show("settings")
	test.Tap(h.button(i18n.T("sync.conflicts", 1)))
	test.Tap(h.button(i18n.T("sync.conflicts.keep")))
	if got := teacher(t, h.st, id2); got != "赵二" || openCount(t, h.st) != 0 {
		t.Fatalf("after keep: %q with %d open conflicts", got, openCount(t, h.st))
	}
}
