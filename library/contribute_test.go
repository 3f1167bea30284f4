package library

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"qiao/district"
	"qiao/replica"
)

func TestContributeAcceptReturn(t *testing.T) {
	ctx := context.Background()
	d := startDistrict(t)
	a, b := d.school(t, "A校"), d.school(t, "B校")
	teacher := d.device(t, a, district.RoleTeacher, "")
	colleague := d.device(t, a, district.RoleTeacher, "")
	other := d.device(t, b, district.RoleTeacher, "")
	admin := d.device(t, b, district.RoleDistrictAdmin, "")
	tc := NewContributor(teacher.st, teacher.files, teacher.rep)
	ac := NewContributor(admin.st, admin.files, admin.rep)

	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := randomBytes(500_000, 21)
	fields := ContributionFields{Title: "三年级语文《秋天的雨》课件", Stage: "小学", Subject: "语文", Edition: "人教版", Grade: 3, Kind: "courseware", Tags: []string{"阅读"}}

	// Bad fields: refused before anything is stored.
	bad := fields
	bad.Kind = "poster"
	if _, _, err := tc.Contribute(ctx, write("x.pptx", good), bad); err == nil {
		t.Fatal("a bad kind was accepted")
	}
	if n, _, _ := teacher.files.Usage(); n != 0 {
		t.Fatalf("a refused contribution stored %d files", n)
	}

	entryID, con, err := tc.Contribute(ctx, write("秋天的雨.pptx", good), fields)
	if err != nil {
		t.Fatal(err)
	}
	if con.State != ContributionPending || con.Fields.FileName != "秋天的雨.pptx" || con.Fields.UploadedBy != "李老师" {
		t.Fatalf("contribution: %+v", con)
	}
	if events(t, teacher.st, ActionContributed) != 1 {
		t.Fatal("no contributed event")
	}
	// Denied to a teacher's device.
	var se *replica.ServerError
	if _, err := tc.Accept(ctx, con.ID); !errors.As(err, &se) || se.Status != 403 {
		t.Fatalf("a teacher accepted: %v", err)
	}
	queue, err := ac.Contributions(ctx, ContributionPending)
	if err != nil || len(queue) != 1 {
		t.Fatalf("review queue: %+v, %v", queue, err)
	}
	acc, err := ac.Accept(ctx, queue[0].ID)
	if err != nil {
		t.Fatal(err)
	}

	// A second one is returned with a reason.
	_, con2, err := tc.Contribute(ctx, write("试卷.pdf", randomBytes(10_000, 22)), ContributionFields{Title: "期中试卷", Kind: "paper"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ac.Return(ctx, con2.ID, "请补充版权说明"); err != nil {
		t.Fatal(err)
	}

	// The school sees the state of its contributions on any device.
	cc := NewContributor(colleague.st, colleague.files, colleague.rep)
	mine, err := cc.Contributions(ctx, "")
	if err != nil || len(mine) != 2 {
		t.Fatalf("the school's contributions: %+v, %v", mine, err)
	}
	for _, c := range mine {
		switch c.ID {
		case con.ID:
			if c.State != ContributionAccepted || c.EntryID != acc.EntryID {
				t.Errorf("accepted one: %+v", c)
			}
		case con2.ID:
			if c.State != ContributionReturned || c.Reason != "请补充版权说明" {
				t.Errorf("returned one: %+v", c)
			}
		}
	}

	// After a sync every school has the accepted entry, not the returned
	// one, and can fetch the file.
	for _, v := range []*dev{other, colleague, teacher} {
		v.sync(t)
		var n int
		v.st.DB.QueryRow(`SELECT count(*) FROM library_entries WHERE school_id = '' AND deleted = 0`).Scan(&n)
		var title string
		err := v.st.DB.QueryRow(`SELECT title FROM library_entries WHERE id = ? AND school_id = ''`, acc.EntryID).Scan(&title)
		if n != 1 || err != nil || title != fields.Title {
			t.Fatalf("district entries after sync: %d, %q, %v", n, title, err)
		}
	}
	f, err := NewFetcher(ctx, other.st, other.files, other.rep, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Fetch(ctx, acc.EntryID); err != nil {
		t.Fatal(err)
	}
	sameFile(t, other, con.Fields.Hash, good)
	// The contributor's own entry keeps the file its own: the quota
	// never evicts it, though a district entry names it now.
	q := NewQuota(teacher.st, teacher.files)
	if _, err := q.SetBudget(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if !teacher.files.Has(con.Fields.Hash) {
		t.Fatalf("the quota evicted the contributor's own file (entry %s)", entryID)
	}
}
