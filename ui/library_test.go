package ui

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"qiao/content"
	"qiao/district"
	"qiao/i18n"
	"qiao/library"
	"qiao/replica"
	"qiao/school"
	"qiao/store"
)

func init() { libraryDebounce = 0 }

// libraryHarness is a main window on the sample school (with its generated
// catalogue) showing the library.
func libraryHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, t.TempDir())
	if err := h.w.deps.UseSample(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.w.refresh()
	h.showLibrary()
	return h
}

func (h *harness) showLibrary() {
	h.w.shell.show("library")
	h.settle()
	h.t.Cleanup(func() {
		if h.w.library != nil {
			h.w.library.shutdown()
		}
	})
}

func (h *harness) lib() *libraryState { return h.w.library }

// titles are the results' titles.
func (h *harness) titles() []string {
	var out []string
	for _, e := range h.lib().results {
		out = append(out, e.Title)
	}
	return out
}

// typeSearch types text into the search entry as a user would.
func (h *harness) typeSearch(text string) {
	h.lib().search.SetText("")
	test.Type(h.lib().search, text)
	h.settle()
}

// overlayObjects are the objects of the topmost dialog.
func (h *harness) overlayObjects() []fyne.CanvasObject {
	top := h.w.win.Canvas().Overlays().Top()
	if top == nil {
		return nil
	}
	return test.LaidOutObjects(top)
}

func TestLibrarySearchAsYouTypeAndTree(t *testing.T) {
	h := libraryHarness(t)
	l := h.lib()
	all := l.total
	if all != library.SampleScale.Entries || len(l.results) == 0 {
		t.Fatalf("the library lists %d (%d read), want the sample's %d", all, len(l.results), library.SampleScale.Entries)
	}
	h.typeSearch("分数")
	if len(l.results) == 0 || l.total >= all {
		t.Fatalf("分数 finds %d of %d", l.total, all)
	}
	for _, e := range l.results {
		text := e.Title + e.Unit + strings.Join(e.Tags, "")
		if !strings.Contains(text, "分数") {
			t.Fatalf("分数 finds %q", e.Title)
		}
	}
	if !strings.Contains(l.count.Text, "共") {
		t.Fatalf("count %q", l.count.Text)
	}
	// A stale search's results are dropped: the newest wins.
	l.query = "数学"
	l.searchNow()
	l.query = "语文"
	l.searchNow()
	h.settle()
	for _, e := range l.results {
		if e.Subject != "语文" && !strings.Contains(e.Title, "语文") {
			t.Fatalf("语文 shows %q (%s)", e.Title, e.Subject)
		}
	}

	// The tree narrows: stage, then subject.
	h.typeSearch("")
	if l.total != all {
		t.Fatalf("clearing the search lists %d, want %d", l.total, all)
	}
	stage := h.treeButton("小学")
	test.Tap(stage)
	h.settle()
	primary := l.total
	if primary == 0 || primary >= all {
		t.Fatalf("小学 lists %d of %d", primary, all)
	}
	for _, e := range l.results {
		if e.Stage != "小学" {
			t.Fatalf("小学 lists %q (%s)", e.Title, e.Stage)
		}
	}
	test.Tap(h.treeButton("数学"))
	h.settle()
	if l.total == 0 || l.total >= primary {
		t.Fatalf("小学 数学 lists %d of %d", l.total, primary)
	}
	for _, e := range l.results {
		if e.Stage != "小学" || e.Subject != "数学" {
			t.Fatalf("小学 数学 lists %q", e.Title)
		}
	}
	// The kind filter narrows further; search within the node.
	n := l.total
	l.kind = library.Courseware
	l.searchNow()
	h.settle()
	if l.total == 0 || l.total >= n {
		t.Fatalf("课件 lists %d of %d", l.total, n)
	}
	// Back to everything.
	l.kind = ""
	test.Tap(h.button(i18n.T("library.all")))
	h.settle()
	if l.total != all {
		t.Fatalf("全部 lists %d", l.total)
	}
}

// treeButton is the tree's button for a node whose name starts with name.
func (h *harness) treeButton(name string) *widget.Button {
	h.t.Helper()
	for _, o := range h.lib().treeBox.Objects {
		if b, ok := o.(*widget.Button); ok && strings.HasPrefix(b.Text, name+"（") {
			return b
		}
	}
	h.t.Fatalf("no tree node %q", name)
	return nil
}

func TestLibraryFavouritesAndRecentAndImagePreview(t *testing.T) {
	h := libraryHarness(t)
	l := h.lib()
	ctx := context.Background()
	// A teacher's own picture, added through the form's function.
	img := pngFile(t, filepath.Join(t.TempDir(), "分数墙.png"), 0)
	var added error = errNotYet
	l.addFile(library.Entry{Title: "分数墙 挂图", Kind: library.Material, Stage: "小学", Subject: "数学", Grade: 3,
		Unit: "第八单元", Tags: []string{"分数"}}, img, func(err error) { added = err })
	h.settle()
	if added != nil {
		t.Fatal(added)
	}
	h.typeSearch("分数墙")
	if len(l.results) != 1 {
		t.Fatalf("分数墙 finds %v", h.titles())
	}
	e := l.results[0]
	if !l.isHere(e) {
		t.Fatal("the added picture is not marked as on this PC")
	}
	// Star it: 我的收藏 lists it.
	l.toggleFavourite(e.ID)
	h.settle()
	test.Tap(h.button(i18n.T("library.favourites")))
	h.settle()
	if got := h.titles(); len(got) != 1 || got[0] != e.Title {
		t.Fatalf("favourites: %v", got)
	}
	// Nothing was opened yet.
	test.Tap(h.button(i18n.T("library.recent")))
	h.settle()
	if len(l.results) != 0 {
		t.Fatalf("recent before opening: %v", h.titles())
	}
	// Open it from the list: the entry dialog, then 打开 shows the picture.
	h.typeSearch("分数墙")
	l.list.Select(0)
	h.settle()
	test.Tap(h.overlayButton(i18n.T("library.open")))
	h.settle()
	var shown *canvas.Image
	for _, o := range h.overlayObjects() {
		if im, ok := o.(*canvas.Image); ok && im.File != "" {
			shown = im
		}
	}
	if shown == nil {
		t.Fatal("opening the picture shows no preview")
	}
	if ev, err := l.svc.Events(ctx, 0); err != nil || len(ev) == 0 || ev[len(ev)-1].Action != library.ActionOpened || ev[len(ev)-1].EntryID != e.ID {
		t.Fatalf("opened event: %+v %v", ev, err)
	}
	test.Tap(h.button(i18n.T("library.recent")))
	h.settle()
	if got := h.titles(); len(got) != 1 || got[0] != e.Title {
		t.Fatalf("recent: %v", got)
	}
}

var errNotYet = errText("not done")

// pngFile writes a small picture at path.
func pngFile(t *testing.T, path string, seed uint8) string {
	t.Helper()
	im := image.NewRGBA(image.Rect(0, 0, 120, 80))
	for y := 0; y < 80; y++ {
		for x := 0; x < 120; x++ {
			im.Set(x, y, color.RGBA{uint8(x * 2), 120 + seed, uint8(y * 3), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, im); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLibraryPackExportImportThroughTheScreen(t *testing.T) {
	h := libraryHarness(t)
	l := h.lib()
	dir := t.TempDir()
	for i, name := range []string{"秋天的雨.png", "几分之一.png"} {
		var err error = errNotYet
		l.addFile(library.Entry{Title: strings.TrimSuffix(name, ".png") + " 挂图", Kind: library.Material, Stage: "小学",
			Subject: "语文", Edition: "人教版", Grade: 3, Unit: "第" + []string{"一", "二"}[i] + "单元"},
			pngFile(t, filepath.Join(dir, name), uint8(i)), func(e error) { err = e })
		h.settle()
		if err != nil {
			t.Fatal(err)
		}
	}
	// Export the 小学 node: only the two entries with a file go into the pack.
	test.Tap(h.treeButton("小学"))
	h.settle()
	pack := filepath.Join(t.TempDir(), "三年级语文")
	l.exportTo(pack)
	h.settle()
	if p := l.packRun.shown; p.Files != 2 || p.FilesDone != 2 || l.packRun.bar.Value != 1 || !strings.Contains(l.packRun.files.Text, "文件 2 / 2") {
		t.Fatalf("export progress %+v, shown %q %v", p, l.packRun.files.Text, l.packRun.bar.Value)
	}
	if !summaryHas(l, "已导出 2 项资源") {
		t.Fatalf("export summary: %v", summaryTexts(l))
	}

	// A second PC imports it.
	h2 := libraryWindow(t, h, "石桥镇中心小学")
	l2 := h2.lib()
	l2.importFrom(pack)
	h2.settle()
	if p := l2.packRun.shown; p.Files != 2 || p.FilesDone != 2 || p.BytesDone != p.Bytes || p.Bytes == 0 || l2.packRun.bar.Value != 1 {
		t.Fatalf("import progress %+v", p)
	}
	if !summaryHas(l2, "新增 2 项") {
		t.Fatalf("import summary: %v", summaryTexts(l2))
	}
	h2.typeSearch("挂图")
	if len(l2.results) != 2 || !l2.isHere(l2.results[0]) || !l2.isHere(l2.results[1]) {
		t.Fatalf("after import: %v", h2.titles())
	}
	// Importing again adds nothing; a damaged file is refused by name.
	l2.importFrom(pack)
	h2.settle()
	if !summaryHas(l2, "新增 0 项") {
		t.Fatalf("second import: %v", summaryTexts(l2))
	}
	h3 := libraryWindow(t, h, "东坡小学")
	// Damage one file of the pack (files/ab/cdef…, named by hash).
	var victim string
	filepath.WalkDir(pack, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != library.ManifestFile && victim == "" {
			victim = p
		}
		return nil
	})
	if victim == "" {
		t.Fatal("the pack has no files")
	}
	if err := os.WriteFile(victim, []byte("broken"), 0o644); err != nil {
		t.Fatal(err)
	}
	h3.lib().importFrom(pack)
	h3.settle()
	if !summaryHas(h3.lib(), "新增 1 项") || !summaryHas(h3.lib(), "已损坏") {
		t.Fatalf("import of a damaged pack: %v", summaryTexts(h3.lib()))
	}
}

// summaryTexts are the labels of the latest pack job's summary.
func summaryTexts(l *libraryState) []string {
	var out []string
	if l.summary == nil {
		return nil
	}
	for _, o := range test.LaidOutObjects(l.summary) {
		if lb, ok := o.(*widget.Label); ok {
			out = append(out, lb.Text)
		}
	}
	return out
}

func summaryHas(l *libraryState, text string) bool {
	for _, s := range summaryTexts(l) {
		if strings.Contains(s, text) {
			return true
		}
	}
	return false
}

// libraryWindow is another main window of the same test app on its own data
// dir and school, showing the library.
func libraryWindow(t *testing.T, h *harness, schoolName string) *harness {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	files, err := content.Open(filepath.Join(dir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	h2 := &harness{t: t, st: st, sv: school.NewService(st), app: h.app}
	if _, err := h2.sv.Save(context.Background(), school.School{Name: schoolName}); err != nil {
		t.Fatal(err)
	}
	h2.w = newWindow(h.app, Deps{Store: st, Schools: h2.sv, Files: files, Version: "test"})
	h2.w.win.Resize(fyne.NewSize(1100, 700))
	h2.showLibrary()
	return h2
}

// adminDevice is a district administrator's device enrolled at url: its
// replica, store and file store.
func adminDevice(t *testing.T, srv *district.Server, url string) (*replica.Replica, *store.Store, *content.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := school.NewService(st).Save(ctx, school.School{Name: "教育局"}); err != nil {
		t.Fatal(err)
	}
	sid, err := srv.DB().AddSchool(ctx, "教研室", "")
	if err != nil {
		t.Fatal(err)
	}
	code, err := srv.DB().IssueCode(ctx, sid, district.RoleDistrictAdmin, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := replica.Enrol(ctx, st, replica.EnrolOptions{Server: url, Code: code, DeviceName: "admin", Fingerprint: srv.Fingerprint()}); err != nil {
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
	return rep, st, files
}

// publishEntry writes a district-wide entry with its file from a district
// administrator's device, uploads the file and syncs; it returns the entry's id.
func publishEntry(t *testing.T, srv *district.Server, url, title string, data []byte) string {
	t.Helper()
	ctx := context.Background()
	rep, st, files := adminDevice(t, srv, url)
	ref, err := files.Put(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var id string
	err = st.Update(ctx, func(tx *store.Tx) error {
		rec, err := tx.Put("library_entries", "", "", store.Fields{"title": title, "stage": "小学", "subject": "语文",
			"edition": "人教版", "grade": 3, "unit": "第三单元", "kind": "video", "source": "district", "file_name": "秋天的雨.mp4",
			"size": ref.Size, "hash": ref.Hash})
		id = rec.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Upload(ctx, ref.Hash, true); err != nil {
		t.Fatal(err)
	}
	if _, err := rep.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	return id
}

// enrolSynced enrols h's store in a new district school named school at
// url as device, and syncs once.
func (h *harness) enrolSynced(srv *district.Server, url, school, device string) *replica.Replica {
	h.t.Helper()
	ctx := context.Background()
	sid, err := srv.DB().AddSchool(ctx, school, "")
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := replica.Enrol(ctx, h.st, replica.EnrolOptions{Server: url, Code: newCode(h.t, srv, sid), DeviceName: device,
		Fingerprint: srv.Fingerprint()}); err != nil {
		h.t.Fatal(err)
	}
	rep, err := replica.Open(ctx, h.st)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := rep.Sync(ctx); err != nil {
		h.t.Fatal(err)
	}
	return rep
}

// enrolledLibrary is a window on a school enrolled in the district at url,
// synced, showing the library.
func enrolledLibrary(t *testing.T, srv *district.Server, url string) *harness {
	t.Helper()
	ctx := context.Background()
	h := newHarness(t, t.TempDir())
	if _, err := h.sv.Save(ctx, school.School{Name: "城关一小"}); err != nil {
		t.Fatal(err)
	}
	if err := h.sv.SaveUser(ctx, school.User{Name: "王老师", Role: school.Teacher}); err != nil {
		t.Fatal(err)
	}
	h.enrolSynced(srv, url, "城关一小", "教室一体机")
	h.w.refresh()
	h.showLibrary()
	return h
}

func TestLibraryDownloadFromTheDistrict(t *testing.T) {
	srv, url := startDistrict(t)
	data := bytes.Repeat([]byte("秋天的雨，有一把钥匙。"), 100_000) // 3 MB
	publishEntry(t, srv, url, "一师一优课《秋天的雨》", data)
	h := enrolledLibrary(t, srv, url)
	l := h.lib()
	if l.fetch == nil {
		t.Fatal("an enrolled PC has no downloads")
	}
	h.typeSearch("秋天的雨")
	if len(l.results) != 1 || l.isHere(l.results[0]) {
		t.Fatalf("秋天的雨: %v", h.titles())
	}
	l.list.Select(0)
	h.settle()
	if !h.overlayText(i18n.T("library.not_here")) {
		t.Fatal("the entry does not say its file is not here")
	}
	test.Tap(h.overlayButton(i18n.T("library.download")))
	h.settle()
	p := l.fetch.Progress()
	if p.FilesDone != 1 || p.FilesTotal != 1 || p.Have != int64(len(data)) || !strings.Contains(l.dlText.Text, "1 / 1") || !l.dlStrip.Visible() {
		t.Fatalf("progress %+v, strip %q", p, l.dlText.Text)
	}
	if !l.isHere(l.results[0]) {
		t.Fatal("the downloaded file is not marked as here")
	}
	// The downloads panel shows it, with the quota.
	l.showDownloads()
	h.settle()
	if l.dlDialog == nil || len(l.dlDialog.files.Objects) != 1 || !h.overlayText("已完成") {
		t.Fatal("the downloads panel does not list the download")
	}
}

func TestLibraryNotEnrolledSaysHowToGetAFile(t *testing.T) {
	h := libraryHarness(t)
	l := h.lib()
	if l.fetch != nil || len(l.results) == 0 {
		t.Fatal("a sample school has downloads, or no catalogue")
	}
	l.list.Select(0)
	h.settle()
	if !h.overlayText(i18n.T("library.only_catalogue")) {
		t.Fatal("no word on how to get the file")
	}
}

// TestLibraryScreenshot writes the library in Chinese at 1100×700 (the
// textbook tree, search results and a download in progress) into $QIAO_SHOTS:
//
//	QIAO_SHOTS=$PWD/docs/screenshots go test -run TestLibraryScreenshot ./ui/
func TestLibraryScreenshot(t *testing.T) {
	dir := os.Getenv("QIAO_SHOTS")
	if dir == "" {
		t.Skip("QIAO_SHOTS not set")
	}
	srv, url := startDistrict(t)
	data := bytes.Repeat([]byte("秋天的雨，有一把钥匙。"), 400_000) // 13 MB
	publishEntry(t, srv, url, "一师一优课《秋天的雨》 三年级上册 第三单元", data)
	h := enrolledLibrary(t, srv, url)
	l := h.lib()
	ctx, cancel := context.WithCancel(context.Background())
	if err := l.svc.Generate(ctx, library.Scale{Entries: 3000, School: 0.2, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	// A slow link: the download is under way when the picture is taken.
	if err := l.fetch.SetSettings(ctx, library.FetchSettings{Cap: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	h.typeSearch("秋天的雨")
	id := ""
	for _, e := range l.results {
		if e.Source == library.FromDistrict && e.Size == int64(len(data)) {
			id = e.ID
		}
	}
	done := make(chan error, 1)
	go func() { done <- l.fetch.Fetch(ctx, id) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	until(t, "the download is under way", func() bool { return l.fetch.Progress().Have > 2<<20 }, h)
	for _, node := range []string{"小学", "语文"} {
		test.Tap(h.treeButton(node))
		h.settle()
	}
	h.typeSearch("秋天")
	l.showProgress()
	h.w.win.Resize(fyne.NewSize(1000, 600))
	h.w.win.Resize(fyne.NewSize(1100, 700))
	f, err := os.Create(filepath.Join(dir, "library-zh.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, h.w.win.Canvas().Capture()); err != nil {
		t.Fatal(err)
	}
}
