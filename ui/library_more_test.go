package ui

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/go-pdf/fpdf"

	"qiao/classroom"
	"qiao/district"
	"qiao/i18n"
	"qiao/library"
	"qiao/replica"
)

// pickFile makes the add form's file chooser pick path.
func pickFile(t *testing.T, path string) {
	old := chooseLibraryFile
	chooseLibraryFile = func(_ fyne.Window, picked func(fyne.URI)) { picked(storage.NewFileURI(path)) }
	t.Cleanup(func() { chooseLibraryFile = old })
}

// overlayEntry is the entry of the top dialog whose text or hint is s.
func (h *harness) overlayEntry(s string) *widget.Entry {
	h.t.Helper()
	for _, o := range h.overlayObjects() {
		if e, ok := o.(*widget.Entry); ok && (e.Text == s || (e.Text == "" && e.PlaceHolder == s)) {
			return e
		}
	}
	h.t.Fatalf("no entry %q in the dialog", s)
	return nil
}

// overlaySelect is the select of the top dialog offering option.
func (h *harness) overlaySelect(option string) *widget.Select {
	h.t.Helper()
	for _, o := range h.overlayObjects() {
		if s, ok := o.(*widget.Select); ok {
			for _, opt := range s.Options {
				if opt == option {
					return s
				}
			}
		}
	}
	h.t.Fatalf("no select offering %q in the dialog", option)
	return nil
}

// writeFile writes data at dir/name.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// addOwn catalogues the file at path as the teacher's entry e through the
// section, and returns it as the catalogue has it.
func (h *harness) addOwn(e library.Entry, path string) library.Entry {
	h.t.Helper()
	var err error = errNotYet
	h.lib().addFile(e, path, func(e error) { err = e })
	h.settle()
	if err != nil {
		h.t.Fatal(err)
	}
	h.typeSearch(e.Title)
	for _, r := range h.lib().results {
		if r.Title == e.Title {
			return r
		}
	}
	h.t.Fatalf("%q is not in the catalogue: %v", e.Title, h.titles())
	return library.Entry{}
}

// openFromList opens the first result of a search for title with 打开.
func (h *harness) openFromList(title string) {
	h.t.Helper()
	h.typeSearch(title)
	h.lib().list.Select(0)
	h.settle()
	test.Tap(h.overlayButton(i18n.T("library.open")))
	h.settle()
}

// TestLibraryAddFormSaysWhatToFix drives the 添加资源 form: it starts at the
// tree node, refuses a missing file and an empty title with a message saying
// what to fix (storing nothing), and saves the fields as typed.
func TestLibraryAddFormSaysWhatToFix(t *testing.T) {
	h := libraryHarness(t)
	l := h.lib()
	ctx := context.Background()
	test.Tap(h.treeButton("小学"))
	h.settle()
	test.Tap(h.treeButton("数学"))
	h.settle()

	test.Tap(h.button(i18n.T("library.add")))
	h.settle()
	if s := h.overlaySelect("初中"); s.Selected != "小学" {
		t.Fatalf("the form starts at stage %q, want the tree's 小学", s.Selected)
	}
	if h.overlayEntry("数学") == nil {
		t.Fatal("the form does not start at the tree's subject")
	}
	save := h.overlayButton(i18n.T("action.save"))
	test.Tap(save)
	h.settle()
	if !h.overlayText(i18n.T("library.add.no_file")) {
		t.Fatal("saving without a file does not say to choose one")
	}

	// Choosing a file titles the entry after it.
	path := writeFile(t, t.TempDir(), "分数的初步认识 教案.txt", []byte("教学目标：认识几分之一。"))
	pickFile(t, path)
	test.Tap(h.overlayButton(i18n.T("library.add.choose")))
	h.settle()
	title := h.overlayEntry("分数的初步认识 教案")
	if h.overlayButton("分数的初步认识 教案.txt") == nil {
		t.Fatal("the chooser does not show the file's name")
	}

	// An empty title is refused, and nothing is stored.
	title.SetText("  ")
	filesBefore, _, _ := h.w.deps.Files.Usage()
	pg, err := l.svc.Search(ctx, "", library.Filter{}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	test.Tap(save)
	h.settle()
	if !h.overlayText(i18n.T("library.err.title")) {
		t.Fatal("an empty title is not refused with what to fix")
	}
	if n, _, _ := h.w.deps.Files.Usage(); n != filesBefore {
		t.Fatalf("a refused entry stored a file: %d files, were %d", n, filesBefore)
	}
	if after, _ := l.svc.Search(ctx, "", library.Filter{}, 0, 1); after.Total != pg.Total {
		t.Fatalf("a refused entry changed the catalogue: %d entries, were %d", after.Total, pg.Total)
	}

	// Filled in, it saves and the dialog closes.
	title.SetText("分数的初步认识 第一课时 教案")
	h.overlaySelect(kindName(library.Plan)).SetSelected(kindName(library.Plan))
	h.overlaySelect(gradeName(3)).SetSelected(gradeName(3))
	h.overlayEntry(i18n.T("library.hint.edition")).SetText("人教版")
	h.overlayEntry(i18n.T("library.hint.unit")).SetText("第八单元")
	var tags *widget.Entry
	for _, o := range h.overlayObjects() {
		if e, ok := o.(*widget.Entry); ok && e.Text == "" && e.PlaceHolder == "" {
			tags = e
		}
	}
	if tags == nil {
		t.Fatal("no tags entry")
	}
	tags.SetText("分数，几分之一 教案")
	test.Tap(save)
	h.settle()
	if h.overlayText(i18n.T("library.add.no_file")) || h.w.win.Canvas().Overlays().Top() != nil {
		t.Fatal("the form stays open after saving")
	}
	h.typeSearch("第一课时")
	if len(l.results) != 1 {
		t.Fatalf("第一课时 finds %v", h.titles())
	}
	e := l.results[0]
	if e.Kind != library.Plan || e.Stage != "小学" || e.Subject != "数学" || e.Edition != "人教版" || e.Grade != 3 ||
		e.Unit != "第八单元" || strings.Join(e.Tags, "|") != "分数|几分之一|教案" || e.Source != library.FromTeacher ||
		e.FileName != "分数的初步认识 教案.txt" || !l.isHere(e) {
		t.Fatalf("saved as %+v", e)
	}
}

// previewShows waits for the preview dialog's body and returns its objects.
func (h *harness) previewObjects() []fyne.CanvasObject {
	h.t.Helper()
	var objs []fyne.CanvasObject
	until(h.t, "the preview", func() bool {
		objs = h.overlayObjects()
		for _, o := range objs {
			if _, ok := o.(*widget.ProgressBarInfinite); ok && o.Visible() {
				return false
			}
		}
		return len(objs) > 0
	}, h)
	return objs
}

// TestLibraryPreviewsTextAndPDF opens a text (longer than the preview, cut
// in the middle of a character) and a real PDF, whose first page shows as a
// picture; a damaged PDF says it cannot be previewed.
func TestLibraryPreviewsTextAndPDF(t *testing.T) {
	h := libraryHarness(t)
	dir := t.TempDir()
	// 3-byte characters: the preview's limit falls inside one.
	text := "《秋天的雨》" + strings.Repeat("秋", previewText/3+100)
	h.addOwn(library.Entry{Title: "秋天的雨 课文", Kind: library.Material, Stage: "小学", Subject: "语文"},
		writeFile(t, dir, "秋天的雨.txt", []byte(text)))
	h.openFromList("秋天的雨 课文")
	var shown string
	for _, o := range h.previewObjects() {
		if lb, ok := o.(*widget.Label); ok && strings.HasPrefix(lb.Text, "《秋天的雨》") {
			shown = lb.Text
		}
	}
	if shown == "" || !utf8.ValidString(shown) || len(shown) > previewText || len(shown) < previewText-3 {
		t.Fatalf("the text preview shows %d bytes (valid %v), want the first %d", len(shown), utf8.ValidString(shown), previewText)
	}
	if ev, _ := h.lib().svc.Events(context.Background(), 0); len(ev) == 0 || ev[len(ev)-1].Action != library.ActionOpened {
		t.Fatal("opening the text recorded no event")
	}
	h.w.win.Canvas().Overlays().Top().Hide()

	f := fpdf.New("L", "mm", "A4", "")
	for i := 0; i < 2; i++ {
		f.AddPage()
		f.SetFillColor(0, 0, 0)
		f.Rect(20, 20, 100, 100, "F")
	}
	var pdf bytes.Buffer
	if err := f.Output(&pdf); err != nil {
		t.Fatal(err)
	}
	h.addOwn(library.Entry{Title: "分数 练习卷", Kind: library.Paper, Stage: "小学", Subject: "数学"},
		writeFile(t, dir, "练习卷.pdf", pdf.Bytes()))
	h.openFromList("分数 练习卷")
	var page *canvas.Image
	for _, o := range h.previewObjects() {
		if im, ok := o.(*canvas.Image); ok && im.Resource != nil {
			page = im
		}
	}
	if page == nil || page.Resource.Name() != "练习卷.pdf" || len(page.Resource.Content()) == 0 {
		t.Fatal("the PDF's first page is not shown")
	}
	if h.overlayText(i18n.T("library.preview_failed")) {
		t.Fatal("a good PDF says it cannot be previewed")
	}
	h.w.win.Canvas().Overlays().Top().Hide()

	h.addOwn(library.Entry{Title: "坏的 试卷", Kind: library.Paper},
		writeFile(t, dir, "坏的.pdf", append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 500)...)))
	h.openFromList("坏的 试卷")
	h.previewObjects()
	if !h.overlayText(i18n.T("library.preview_failed")) {
		t.Fatal("a damaged PDF does not say it cannot be previewed")
	}
}

// TestLibraryOpensARecordedLessonInTheReplay opens a 录播课 entry (a .qrec
// file): the classroom section shows the replay of that lesson, and the
// file is kept from eviction.
func TestLibraryOpensARecordedLessonInTheReplay(t *testing.T) {
	h := libraryHarness(t)
	t.Cleanup(func() {
		if h.w.classroom != nil {
			h.w.classroom.shutdown()
		}
	})
	path := filepath.Join(t.TempDir(), "分数的初步认识"+classroom.RecordingExt)
	writeReplayRecording(t, path, replayHeader("school-x"))
	e := h.addOwn(library.Entry{Title: "录播 分数的初步认识", Kind: library.Recording, Stage: "小学", Subject: "数学", Grade: 3}, path)
	h.openFromList(e.Title)
	until(t, "the replay screen", func() bool { return h.w.classroom != nil && h.w.classroom.rp != nil }, h)
	if !h.visible("分数的初步认识") || !h.visible("王老师") || !h.hasButton(i18n.T("classroom.replay.play")) {
		t.Fatal("the replay does not show the recorded lesson")
	}
	if _, ok := h.lib().inUse[e.Hash]; !ok {
		t.Fatal("the recording is not kept from eviction while it plays")
	}
}

// urlApp is the test app, recording the URLs it is asked to open with the
// OS's default program.
type urlApp struct {
	fyne.App
	opened chan *url.URL
}

func (a urlApp) OpenURL(u *url.URL) error { a.opened <- u; return nil }

// TestLibraryOpensOtherFilesWithTheDefaultProgram opens a .pptx entry: the
// OS's default program gets a file under the entry's own name (the store
// names files by hash) with the same bytes, and the file is kept from
// eviction.
func TestLibraryOpensOtherFilesWithTheDefaultProgram(t *testing.T) {
	h := libraryHarness(t)
	opened := make(chan *url.URL, 1)
	h.w.app = urlApp{h.w.app, opened}
	data := bytes.Repeat([]byte("PK\x03\x04 燕子 课件 "), 200)
	e := h.addOwn(library.Entry{Title: "《燕子》课件", Kind: library.Courseware, Stage: "小学", Subject: "语文", Grade: 3},
		writeFile(t, t.TempDir(), "燕子 第一课时.pptx", data))
	h.openFromList(e.Title)
	var u *url.URL
	until(t, "the default program is asked to open the file", func() bool {
		select {
		case u = <-opened:
			return true
		default:
			return false
		}
	}, h)
	if u.Scheme != "file" || filepath.Base(u.Path) != "燕子 第一课时.pptx" {
		t.Fatalf("opened %s, want a file URL named like the entry's file", u)
	}
	got, err := os.ReadFile(filepath.FromSlash(u.Path))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the file handed over differs from the entry's (%v)", err)
	}
	if _, ok := h.lib().inUse[e.Hash]; !ok {
		t.Fatal("the file is not kept from eviction while another program has it")
	}
}

// districtAdmin is the contributor of a district administrator's device
// enrolled at url: it reviews the queue.
func districtAdmin(t *testing.T, srv *district.Server, url string) *library.Contributor {
	t.Helper()
	rep, st, files := adminDevice(t, srv, url)
	return library.NewContributor(st, files, rep)
}

// TestLibraryContributeAndMyContributions: a teacher sends two of her
// resources to the district with 上传到区县; the district administrator
// accepts one and returns the other with a reason; 我的投稿 shows 已采纳
// and 已退回 with the reason, and the accepted one reaches the catalogue
// as the district's.
func TestLibraryContributeAndMyContributions(t *testing.T) {
	srv, url := startDistrict(t)
	h := enrolledLibrary(t, srv, url)
	l := h.lib()
	if l.contrib == nil {
		t.Fatal("an enrolled PC cannot contribute")
	}
	dir := t.TempDir()
	titles := []string{"《秋天的雨》朗读课件", "三年级期中试卷"}
	for i, title := range titles {
		e := h.addOwn(library.Entry{Title: title, Kind: library.Courseware, Stage: "小学", Subject: "语文", Grade: 3},
			pngFile(t, filepath.Join(dir, title+".png"), uint8(i)))
		h.typeSearch(e.Title)
		l.list.Select(0)
		h.settle()
		// A second tap while it goes, or after, sends nothing more.
		send := h.overlayButton(i18n.T("library.contribute"))
		test.Tap(send)
		test.Tap(send)
		h.settle()
		test.Tap(send)
		h.settle()
		if !h.overlayText(i18n.T("library.contributed")) || !send.Disabled() {
			t.Fatalf("contributing %q does not say it was sent, or can be sent again", title)
		}
		h.w.win.Canvas().Overlays().Top().Hide()
	}
	ev, err := l.svc.Events(context.Background(), 0)
	n := 0
	for _, e := range ev {
		if e.Action == library.ActionContributed {
			n++
		}
	}
	if err != nil || n != 2 {
		t.Fatalf("%d contributed events, %v", n, err)
	}

	// Before review: both wait.
	test.Tap(h.button(i18n.T("library.my_contributions")))
	h.settle()
	for _, title := range titles {
		if !h.overlayText(title) {
			t.Fatalf("我的投稿 does not list %q", title)
		}
	}
	if !h.overlayText(i18n.T("library.contrib.pending")) {
		t.Fatal("我的投稿 does not say the contributions wait for review")
	}
	h.w.win.Canvas().Overlays().Top().Hide()

	// The district administrator reviews the queue.
	ctx := context.Background()
	admin := districtAdmin(t, srv, url)
	queue, err := admin.Contributions(ctx, library.ContributionPending)
	if err != nil || len(queue) != 2 {
		t.Fatalf("review queue %+v, %v", queue, err)
	}
	reason := "请补充版权说明"
	for _, c := range queue {
		if c.Fields.Title == titles[0] {
			_, err = admin.Accept(ctx, c.ID)
		} else {
			_, err = admin.Return(ctx, c.ID, reason)
		}
		if err != nil {
			t.Fatal(err)
		}
	}

	test.Tap(h.button(i18n.T("library.my_contributions")))
	h.settle()
	if !h.overlayText(i18n.T("library.contrib.accepted")) {
		t.Fatal("我的投稿 does not show 已采纳")
	}
	if !h.overlayText(i18n.T("library.contrib.returned_reason", reason)) {
		t.Fatal("我的投稿 does not show 已退回 with the reason")
	}
	if h.overlayText(i18n.T("library.contrib.pending")) {
		t.Fatal("a reviewed contribution still waits")
	}
	h.w.win.Canvas().Overlays().Top().Hide()

	// The accepted one comes back by sync as the district's.
	school, err := replica.Open(ctx, h.st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := school.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	h.typeSearch("朗读课件")
	var fromDistrict bool
	for _, e := range l.results {
		fromDistrict = fromDistrict || e.Source == library.FromDistrict
	}
	if !fromDistrict {
		t.Fatalf("the accepted resource is not in the catalogue as the district's: %+v", l.results)
	}
}
