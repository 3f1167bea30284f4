package library

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qiao/district"
	"qiao/internal/netsim"
	"qiao/store"
)

// A contribution made with no link waits on the device, shows in 我的投稿 as
// waiting, and goes once the link is back; the review states read online
// stay visible offline, with the time they were read.
func TestContributeWithoutALinkWaitsAndGoes(t *testing.T) {
	ctx := context.Background()
	d := startDistrict(t)
	proxy, err := netsim.Start(strings.TrimPrefix(d.url, "https://"), netsim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	teacher := d.device(t, d.school(t, "石桥小学"), district.RoleTeacher, "https://"+proxy.Addr())
	tc := NewContributor(teacher.st, teacher.files, teacher.rep)
	offline := func(on bool) {
		proxy.Pause(on)
		proxy.CutAll()
	}

	offline(true)
	path := filepath.Join(t.TempDir(), "秋天的雨.pptx")
	if err := os.WriteFile(path, randomBytes(200_000, 3), 0o644); err != nil {
		t.Fatal(err)
	}
	fields := ContributionFields{Title: "《秋天的雨》课件", Stage: "小学", Subject: "语文", Grade: 3, Kind: "courseware"}
	entryID, con, err := tc.Contribute(ctx, path, fields)
	if err != nil {
		t.Fatalf("offline contribution: %v", err)
	}
	if con.State != ContributionQueued || entryID == "" {
		t.Fatalf("offline contribution %+v, want queued", con)
	}
	if _, err := tc.ContributeEntry(ctx, entryID); err != nil { // a second tap queues nothing more
		t.Fatal(err)
	}
	mine, err := tc.Mine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !mine.Offline || mine.AsOf != 0 || len(mine.List) != 1 || mine.List[0].State != ContributionQueued {
		t.Fatalf("我的投稿 offline: %+v", mine)
	}
	if n := events(t, teacher.st, ActionContributed); n != 0 {
		t.Fatalf("%d contributed events before it went", n)
	}
	if sent, errs, err := tc.SendQueued(ctx); sent != 0 || len(errs) != 0 || err != nil {
		t.Fatalf("sending with no link: %d sent, %v, %v", sent, errs, err)
	}

	// A second one, whose entry is deleted before the link is back.
	gone := filepath.Join(t.TempDir(), "作业.docx")
	if err := os.WriteFile(gone, randomBytes(1000, 4), 0o644); err != nil {
		t.Fatal(err)
	}
	goneID, _, err := tc.Contribute(ctx, gone, ContributionFields{Title: "第二单元作业", Kind: "homework"})
	if err != nil {
		t.Fatal(err)
	}
	if err := teacher.st.Update(ctx, func(tx *store.Tx) error { return tx.Delete("library_entries", goneID) }); err != nil {
		t.Fatal(err)
	}

	offline(false)
	if sent, errs, err := tc.SendQueued(ctx); sent != 1 || len(errs) != 1 || err != nil {
		t.Fatalf("sending with the link back: %d sent, %v, %v", sent, errs, err)
	}
	if cs, _ := tc.Queued(ctx); len(cs) != 1 || cs[0].State != ContributionRefused || cs[0].Reason == "" || cs[0].Fields.Title != "第二单元作业" {
		t.Fatalf("after sending: %+v, want the one whose entry is gone, refused with its reason", cs)
	}
	if sent, _, _ := tc.SendQueued(ctx); sent != 0 {
		t.Fatal("the contribution went twice")
	}
	queue, err := d.srv.DB().Contributions(ctx, "", ContributionPending)
	if err != nil {
		t.Fatal(err)
	}
	if len(queue) != 1 || queue[0].Fields.Title != fields.Title {
		t.Fatalf("the district's review queue: %+v", queue)
	}
	if n := events(t, teacher.st, ActionContributed); n != 1 {
		t.Fatalf("%d contributed events, want 1", n)
	}
	mine, err = tc.Mine(ctx)
	if err != nil || mine.Offline || len(mine.List) != 2 || mine.List[0].State != ContributionRefused || mine.List[1].State != ContributionPending {
		t.Fatalf("我的投稿 online: %+v, %v", mine, err)
	}

	offline(true)
	later, err := tc.Mine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !later.Offline || later.AsOf != mine.AsOf || len(later.List) != 2 || later.List[1].State != ContributionPending {
		t.Fatalf("我的投稿 offline after a read: %+v", later)
	}
}
