package district_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"qiao/classroom"
	"qiao/content"
	"qiao/internal/districtproc"
	"qiao/library"
	"qiao/metrics"
	"qiao/replica"
	"qiao/research"
	"qiao/store"
)

// e2eSchool is one school's app: its own store, enrolled with the server.
type e2eSchool struct {
	id    string
	st    *store.Store
	files *content.Store
	r     *replica.Replica
}

// TestIndicatorsEndToEnd: two schools record lessons, research and
// library use through the domain packages, sync to a real qiao-district
// process, and the numbers each school's dashboard computes on its own
// store equal the district's for that school (the rank endpoint, computed
// over the server's mirror) and what qiao-district metrics rollup prints.
func TestIndicatorsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs qiao-district")
	}
	ctx := context.Background()
	bin := districtproc.Binary(t)
	t.Cleanup(districtproc.RemoveBinary)
	data := t.TempDir()
	srv := districtproc.Serve(t, bin, "--data", data, "--listen", "127.0.0.1:0")
	admin := func(args ...string) string {
		return districtproc.Admin(t, bin, append(append(args[:2:2], "--data", data), args[2:]...)...)
	}
	term := metrics.TermOf(time.Now())
	enrol := func(name string) *e2eSchool {
		id := admin("school", "add", "--name", name)
		dir := t.TempDir()
		st, err := store.Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		code := admin("code", "issue", "--school", id, "--role", "principal")
		if _, err := replica.Enrol(ctx, st, replica.EnrolOptions{Server: "https://" + srv.Addr, Code: code,
			DeviceName: name + " classroom", Fingerprint: srv.Pin}); err != nil {
			t.Fatal(err)
		}
		r, err := replica.Open(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		files, err := content.Open(filepath.Join(dir, "files"))
		if err != nil {
			t.Fatal(err)
		}
		return &e2eSchool{id: id, st: st, files: files, r: r}
	}
	a, b := enrol("城关中学"), enrol("山口小学")

	// Lessons: A hosts two (inviting B), B hosts one and receives one of A's.
	var aLessons []classroom.Lesson
	host := func(s *e2eSchool, subject string, grade int, remote ...string) classroom.Lesson {
		svc := classroom.New(s.st, s.id)
		l, err := svc.Schedule(ctx, classroom.Lesson{Title: subject + "同步课", Subject: subject, Grade: grade,
			Teacher: "王老师", Remote: remote, Starts: time.Now(), Minutes: 40})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Start(ctx, l.ID); err != nil {
			t.Fatal(err)
		}
		if l, err = svc.End(ctx, l.ID); err != nil {
			t.Fatal(err)
		}
		return l
	}
	aLessons = append(aLessons, host(a, "数学", 5, b.id), host(a, "英语", 8, b.id))
	host(b, "音乐", 3)
	bClass := classroom.New(b.st, b.id)
	if _, err := bClass.Joined(ctx, aLessons[0]); err != nil {
		t.Fatal(err)
	}
	if err := bClass.Left(ctx, aLessons[0].ID); err != nil {
		t.Fatal(err)
	}
	cancelled, err := classroom.New(a.st, a.id).Schedule(ctx, classroom.Lesson{Subject: "物理", Grade: 9, Starts: time.Now(), Minutes: 40})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := classroom.New(a.st, a.id).Cancel(ctx, cancelled.ID); err != nil {
		t.Fatal(err)
	}

	// Research: teachers in a group; an activity attended by some of them.
	for i, s := range []*e2eSchool{a, b} {
		svc := research.New(s.st, s.id)
		var ids []string
		for _, n := range []string{"李明", "张华", "陈静"}[:2+i] {
			tc, err := svc.SaveTeacher(ctx, research.Teacher{Name: n, School: "x", Subject: "数学", Stage: "小学"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, tc.ID)
		}
		g, err := svc.SaveGroup(ctx, research.Group{Name: "数学组", Kind: research.KindSchoolGroup, Subject: "数学", Year: time.Now().Year()})
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if err := svc.SetMember(ctx, g.ID, id, "member"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.LogActivity(ctx, research.Activity{GroupID: g.ID, Kind: "lesson_prep", Day: time.Now(), Minutes: 90,
			Attendees: ids[:1+i]}, nil); err != nil {
			t.Fatal(err)
		}
	}

	// Library: an entry of each school's, opened, downloaded, contributed.
	for i, s := range []*e2eSchool{a, b} {
		svc := library.New(s.st, s.files, s.id)
		e, err := svc.Add(ctx, library.Entry{Title: "分数的意义", Subject: "数学", Grade: 5, Kind: library.Courseware,
			Source: library.FromSchool, FileName: "fractions.pptx"}, strings.NewReader("slides "+s.id))
		if err != nil {
			t.Fatal(err)
		}
		for range 1 + i {
			if err := svc.Opened(ctx, e.ID, "李明"); err != nil {
				t.Fatal(err)
			}
		}
		if err := svc.Downloaded(ctx, e.ID, "张华"); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := svc.Contributed(ctx, e.ID, "李明"); err != nil {
				t.Fatal(err)
			}
		}
	}

	// The inventory and the checklist, entered at A only.
	inv := metrics.NewService(a.st, a.id)
	if err := inv.PutInventory(ctx, metrics.InventoryItem{Kind: metrics.TeacherTerminals, Count: 30},
		metrics.InventoryItem{Kind: metrics.TeacherCount, Count: 40}, metrics.InventoryItem{Kind: metrics.SmartClassrooms, Count: 2}); err != nil {
		t.Fatal(err)
	}
	cl, err := inv.Checklist(ctx, term)
	if err != nil {
		t.Fatal(err)
	}
	if err := inv.Score(ctx, term, cl.Entries[0].Item.ID, 8, ""); err != nil {
		t.Fatal(err)
	}

	for _, s := range []*e2eSchool{a, b} {
		if _, err := s.r.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}

	var rollupText bytes.Buffer
	rollupText.WriteString(admin("metrics", "rollup", "--term", term.Key()))
	for _, s := range []*e2eSchool{a, b} {
		dash, err := metrics.Build(ctx, s.st.DB, s.id, metrics.Filter{Term: term})
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.r.FetchRank(ctx, term.Key())
		if err != nil {
			t.Fatal(err)
		}
		if info.School != s.id || info.Schools != 2 {
			t.Errorf("rank info %+v", info)
		}
		nonzero := 0
		for _, h := range dash.Headlines {
			got, ok := info.Values[h.Key]
			switch {
			case ok != h.Known:
				t.Errorf("school %s, %s: known at the school %v, at the district %v", s.id, h.Key, h.Known, ok)
			case ok && got != h.Value:
				t.Errorf("school %s, %s: the school's dashboard says %v, the district %v", s.id, h.Key, h.Value, got)
			}
			if h.Value != 0 {
				nonzero++
			}
			if below := contains(info.Below, h.Key); below != (h.HasTarget && h.Known && !h.OK) {
				t.Errorf("school %s, %s: below target at the district %v, dashboard OK %v", s.id, h.Key, below, h.OK)
			}
		}
		if nonzero < 8 {
			t.Errorf("school %s: only %d indicators are not zero: the fixture does not exercise them", s.id, nonzero)
		}
		t.Logf("school %s: %d headlines compared; rank %d of %d", s.id, len(dash.Headlines), info.Rank, info.Schools)
	}
	// The two schools' lesson counts, as the test made them.
	aDash, _ := metrics.Build(ctx, a.st.DB, a.id, metrics.Filter{Term: term})
	bDash, _ := metrics.Build(ctx, b.st.DB, b.id, metrics.Filter{Term: term})
	for _, c := range []struct {
		d    *metrics.Dashboard
		key  string
		want float64
	}{
		{aDash, metrics.LessonsHosted, 2}, {aDash, metrics.RemoteServed, 1}, {aDash, metrics.ResourcesContributed, 1},
		{bDash, metrics.LessonsHosted, 1}, {bDash, metrics.LessonsReceived, 1}, {bDash, metrics.RemoteReached, 1},
		{bDash, metrics.ResourcesOpened, 2},
	} {
		if got := metrics.Find(c.d.Headlines, c.key).Value; got != c.want {
			t.Errorf("%s of school %s = %v, want %v", c.key, c.d.School, got, c.want)
		}
	}
	for _, name := range []string{"城关中学", "山口小学", "District average"} {
		if !strings.Contains(rollupText.String(), name) {
			t.Errorf("metrics rollup output lacks %q:\n%s", name, rollupText.String())
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
