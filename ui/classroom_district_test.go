package ui

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"qiao/classroom/live"
	"qiao/district"
	"qiao/i18n"
	"qiao/internal/districtproc"
	"qiao/replica"
	"qiao/store"
)

// districtServe is a real qiao-district process on loopback with its own
// data directory, stopped when the test ends.
type districtServe struct {
	*districtproc.Proc
	bin, data string
}

func serveDistrict(t *testing.T) *districtServe {
	t.Helper()
	t.Cleanup(districtproc.RemoveBinary)
	d := &districtServe{bin: districtproc.Binary(t), data: t.TempDir()}
	d.Proc = districtproc.Serve(t, d.bin, "--data", d.data, "--listen", "127.0.0.1:0", "--rtc-udp", "0", "--rtc-tcp", "0")
	t.Cleanup(d.Kill)
	return d
}

func (d *districtServe) url() string { return "https://" + d.Addr }

// admin runs an admin command of d (e.g. "school", "add", "--name", N).
func (d *districtServe) admin(t *testing.T, args ...string) string {
	return districtproc.Admin(t, d.bin, append(append(args[:2:2], "--data", d.data), args[2:]...)...)
}

// enrol enrols the harness's store in school of district d and shows the
// classroom section again (the school now has its district id).
func (h *harness) enrol(d *districtServe, schoolID string) replica.Identity {
	h.t.Helper()
	code := d.admin(h.t, "code", "issue", "--school", schoolID, "--role", "teacher")
	id, err := replica.Enrol(context.Background(), h.st, replica.EnrolOptions{Server: d.url(), Code: code,
		DeviceName: "classroom PC", Fingerprint: d.Pin})
	if err != nil {
		h.t.Fatal(err)
	}
	h.w.shell.show("classroom")
	h.settle()
	return id
}

// TestClassroomDistrictLesson: the host PC of school A and a remote PC of
// school B, both enrolled with a real qiao-district process, hold a lesson
// through it: A schedules it to run on the district server, B joins by the
// code alone, both reach live over real PeerConnections via the district's
// relay; B's attendance is under A's lesson; after a sync the district
// holds both schools' attendance; the ended lesson's code is refused.
func TestClassroomDistrictLesson(t *testing.T) {
	ctx := context.Background()
	d := serveDistrict(t)
	schoolA := d.admin(t, "school", "add", "--name", "城关第一小学")
	schoolB := d.admin(t, "school", "add", "--name", "草原小学")
	h := newHarness(t, t.TempDir())
	h.ownSchool()
	idA := h.enrol(d, schoolA)
	t.Cleanup(func() {
		if h.w.classroom != nil {
			h.w.classroom.shutdown()
		}
	})
	r := secondWindow(t, h, "草原小学")
	idB := r.enrol(d, schoolB)

	// Schedule: enrolled, the form offers where the lesson runs, the
	// district server by default.
	if !h.shows(i18n.T("classroom.venue_district")) {
		t.Fatal("the schedule form does not offer the district server")
	}
	test.Type(h.entryWithHint(i18n.T("classroom.subject_hint")), "数学")
	test.Type(h.entryWithHint(i18n.T("classroom.title_hint")), "分数的初步认识")
	h.selectWith(gradeName(3)).SetSelected(gradeName(3))
	h.entryWithHint(startLayout).SetText(time.Now().Format(startLayout))
	test.Tap(h.button(i18n.T("classroom.schedule_do")))
	h.settle()
	test.Tap(h.button(i18n.T("classroom.start")))
	hc := h.w.classroom
	until(t, "host live through the district", func() bool { return hc.live != nil && (hc.live.state == live.Live || hc.live.failed) }, h)
	ll := hc.live
	if ll.failed {
		t.Fatalf("the host could not start: %v", ll.err)
	}
	if ll.lan != nil || !h.shows(i18n.T("classroom.via_district")) {
		t.Fatal("the lesson runs on the LAN relay, or the screen does not say it runs through the district")
	}

	// School B joins by the code alone.
	test.Type(r.entryWithHint(i18n.T("classroom.code_hint")), ll.code)
	test.Tap(r.button(i18n.T("classroom.join_do")))
	rc := r.w.classroom
	until(t, "remote live", func() bool { return rc.live != nil && (rc.live.state == live.Live || rc.live.failed) }, h, r)
	if rc.live.failed {
		t.Fatalf("school B could not join: %v", rc.live.err)
	}
	until(t, "the host lists school B", func() bool { return h.shows("草原小学") }, h, r)

	// B's link drops: it redials with a fresh signature and is live again.
	rc.live.sess.Drop()
	until(t, "school B reconnected", func() bool { return rc.live.sess.Reconnects() >= 1 && rc.live.state == live.Live }, h, r)

	// 下课: both end; B's stay is under A's lesson.
	test.Tap(h.button(i18n.T("classroom.end")))
	until(t, "both ended", func() bool {
		return h.hasButton(i18n.T("classroom.back")) && r.hasButton(i18n.T("classroom.back"))
	}, h, r)
	var lessonID, hostSchool, subject string
	var grade int
	until(t, "school B's stay closed", func() bool {
		err := r.st.DB.QueryRowContext(ctx, `SELECT lesson_id, host_school, subject, grade FROM classroom_attendance
			WHERE role='remote' AND left_at>0 AND deleted=0`).Scan(&lessonID, &hostSchool, &subject, &grade)
		return err == nil
	}, h, r)
	if lessonID != ll.lesson.ID || hostSchool != schoolA || subject != "数学" || grade != 3 {
		t.Errorf("school B's stay: lesson %q of %q, %s grade %d; want %q of %q", lessonID, hostSchool, subject, grade, ll.lesson.ID, schoolA)
	}

	// After a sync, the district has both schools' attendance of the
	// lesson (read from its database beside the running server).
	for _, st := range []*store.Store{h.st, r.st} {
		rp, err := replica.Open(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rp.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	db, err := district.Open(ctx, d.data, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range []struct{ device, school, role string }{{idA.DeviceID, schoolA, "host"}, {idB.DeviceID, schoolB, "remote"}} {
		dev, err := db.Device(ctx, c.device)
		if err != nil {
			t.Fatal(err)
		}
		page, err := db.Pull(ctx, dev, 0, 1000, true, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, ch := range page.Changes {
			var f struct {
				LessonID string `json:"lesson_id"`
				Role     string `json:"role"`
			}
			if ch.Table == "classroom_attendance" && json.Unmarshal(ch.Data, &f) == nil && f.LessonID == ll.lesson.ID &&
				f.Role == c.role && ch.SchoolID == c.school {
				found = true
			}
		}
		if !found {
			t.Errorf("the district has no %s attendance of the lesson for school %s", c.role, c.school)
		}
	}

	// The ended lesson's code is refused.
	test.Tap(r.button(i18n.T("classroom.back")))
	r.settle()
	test.Type(r.entryWithHint(i18n.T("classroom.code_hint")), ll.code)
	test.Tap(r.button(i18n.T("classroom.join_do")))
	until(t, "the code is refused", func() bool { return r.w.classroom.live != nil && r.w.classroom.live.failed }, h, r)
	if !r.visible(i18n.T("classroom.err.lesson_ended")) {
		t.Errorf("a join after the end does not say the lesson ended: %v", r.w.classroom.live.err)
	}
}
