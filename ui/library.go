package ui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/i18n"
	"qiao/library"
	"qiao/messages"
	"qiao/replica"
)

// The resource library section (资源库): the textbook tree and shortcuts on
// the left; search, filters and the results on the right; opening, downloads,
// packs and contributions in dialogs (library_open.go, library_jobs.go).

// libraryDebounce is how long typing must pause before a search starts
// (tests set 0: search at once).
var libraryDebounce = 150 * time.Millisecond

// libraryPage is how many results a search reads at a time; the list reads
// the next page when it shows the last row.
const libraryPage = 200

// Shortcuts in place of the tree.
const (
	libAll       = ""
	libRecent    = "recent"
	libFavourite = "favourites"
	libOffline   = "offline"
)

// libraryState is the library section's services and place, kept across
// section switches. Its fields are used on the UI goroutine only, except
// the services (safe for concurrent use).
type libraryState struct {
	w       *window
	school  string
	teacher string
	svc     *library.Service
	packs   *library.Packs
	quota   *library.Quota
	fetch   *library.Fetcher     // nil when not enrolled
	contrib *library.Contributor // nil when not enrolled
	stopBG  context.CancelFunc   // stops the background fetcher
	bgDone  chan struct{}

	// Where the teacher is.
	path     []string // textbook tree path
	shortcut string
	query    string
	kind     library.Kind
	grade    int
	offline  bool

	// The results of the latest search; seq drops stale ones.
	seq     int
	results []library.Entry
	total   int
	more    bool
	reading bool // the next page is being read
	favs    map[string]bool

	inUse map[string]func() // Quota.Use releases of files opened outside a dialog

	// Widgets of the current screen.
	treeBox  *fyne.Container
	crumbs   *fyne.Container
	search   *widget.Entry
	list     *widget.List
	count    *widget.Label
	dlBar    *widget.ProgressBar
	dlText   *widget.Label
	dlStrip  *fyne.Container
	timer    *time.Timer
	timerMu  sync.Mutex
	polling  bool // a progress poll is running
	dlDialog *libraryDownloads
	packRun  *packRun          // the latest pack job (tests read its progress)
	summary  fyne.CanvasObject // the latest pack job's summary
}

// libraryScreen is the 资源库 section.
func libraryScreen(w *window) fyne.CanvasObject {
	sch, _, _ := w.deps.Schools.Current(w.ctx)
	if w.library == nil || w.library.school != sch.ID {
		if w.library != nil {
			w.library.shutdown()
		}
		w.library = newLibraryState(w, sch.ID)
	}
	return w.library.screen()
}

func newLibraryState(w *window, schoolID string) *libraryState {
	st, files := w.deps.Store, w.deps.Files
	l := &libraryState{w: w, school: schoolID, svc: library.New(st, files, schoolID),
		packs: &library.Packs{DB: st, Files: files, SchoolID: schoolID},
		quota: library.NewQuota(st, files), favs: map[string]bool{}, inUse: map[string]func(){}}
	if u, err := w.deps.Schools.User(w.ctx); err == nil {
		l.teacher = u.Name
	}
	if files == nil {
		return l
	}
	// The district's services exist only on an enrolled device.
	if rep, err := replica.Open(w.ctx, st); err == nil {
		rep.Files = files
		if f, err := library.NewFetcher(w.ctx, st, files, rep, l.quota); err == nil {
			l.fetch = f
			l.contrib = library.NewContributor(st, files, rep)
			ctx, cancel := context.WithCancel(context.Background())
			l.stopBG, l.bgDone = cancel, make(chan struct{})
			go func() {
				defer close(l.bgDone)
				f.Run(ctx)
			}()
		} else {
			fyne.LogError("library: downloads", err)
		}
	} else if !errors.Is(err, replica.ErrNotEnrolled) {
		fyne.LogError("library: district link", err)
	}
	return l
}

// shutdown stops the background fetcher and releases open files.
func (l *libraryState) shutdown() {
	if l.stopBG != nil {
		l.stopBG()
		<-l.bgDone
		l.stopBG = nil
	}
	for h, release := range l.inUse {
		release()
		delete(l.inUse, h)
	}
}

// screen builds the section: tree and shortcuts | search, filters, results.
func (l *libraryState) screen() fyne.CanvasObject {
	l.crumbs = container.NewHBox()
	l.treeBox = container.NewVBox()
	shortcuts := container.NewVBox()
	for _, sc := range []struct {
		id, key string
		icon    fyne.Resource
	}{{libRecent, "library.recent", theme.HistoryIcon()}, {libFavourite, "library.favourites", theme.ContentAddIcon()},
		{libOffline, "library.offline", theme.ComputerIcon()}} {
		sc := sc
		b := widget.NewButtonWithIcon(i18n.T(sc.key), sc.icon, func() { l.showShortcut(sc.id) })
		b.Alignment = widget.ButtonAlignLeading
		shortcuts.Add(b)
	}
	left := container.NewBorder(container.NewVBox(shortcuts, widget.NewSeparator(), l.crumbs), nil, nil, nil,
		container.NewVScroll(l.treeBox))

	l.search = widget.NewEntry()
	l.search.SetPlaceHolder(i18n.T("library.search_hint"))
	l.search.SetText(l.query)
	l.search.OnChanged = func(s string) {
		l.query = s
		if l.shortcut == libRecent || l.shortcut == libFavourite {
			l.shortcut = libAll // a search looks through the catalogue
		}
		l.searchSoon()
	}
	kinds := []string{i18n.T("library.kind.any")}
	for _, k := range library.Kinds {
		kinds = append(kinds, kindName(k))
	}
	kindSel := widget.NewSelect(kinds, nil)
	kindSel.SetSelectedIndex(0)
	for i, k := range library.Kinds {
		if k == l.kind {
			kindSel.SetSelectedIndex(i + 1)
		}
	}
	kindSel.OnChanged = func(string) {
		l.kind = ""
		if i := kindSel.SelectedIndex(); i > 0 {
			l.kind = library.Kinds[i-1]
		}
		l.searchNow()
	}
	grades := []string{i18n.T("library.grade.any")}
	for g := 1; g <= 12; g++ {
		grades = append(grades, gradeName(g))
	}
	gradeSel := widget.NewSelect(grades, nil)
	gradeSel.SetSelectedIndex(l.grade)
	gradeSel.OnChanged = func(string) {
		l.grade = gradeSel.SelectedIndex()
		l.searchNow()
	}
	offline := widget.NewCheck(i18n.T("library.offline_only"), nil)
	offline.SetChecked(l.offline)
	offline.OnChanged = func(on bool) {
		l.offline = on
		l.searchNow()
	}
	filters := container.NewHBox(kindSel, gradeSel, offline)

	l.count = widget.NewLabel("")
	l.list = widget.NewList(func() int { return len(l.results) }, l.newRow, l.updateRow)
	l.list.OnSelected = func(i widget.ListItemID) {
		l.list.UnselectAll()
		if i < len(l.results) {
			l.openEntry(l.results[i])
		}
	}
	actions := container.NewHBox(
		widget.NewButtonWithIcon(i18n.T("library.add"), theme.ContentAddIcon(), l.addDialog),
		widget.NewButtonWithIcon(i18n.T("library.export"), theme.UploadIcon(), l.exportPack),
		widget.NewButtonWithIcon(i18n.T("library.import"), theme.DownloadIcon(), l.importPack),
		widget.NewButtonWithIcon(i18n.T("library.downloads"), theme.ViewRefreshIcon(), l.showDownloads))
	if l.contrib != nil {
		actions.Add(widget.NewButtonWithIcon(i18n.T("library.my_contributions"), theme.MailSendIcon(), l.showContributions))
	}
	l.dlBar = widget.NewProgressBar()
	l.dlText = rsCut("")
	l.dlStrip = container.NewBorder(nil, nil, widget.NewIcon(theme.DownloadIcon()), nil, container.NewGridWithColumns(2, l.dlText, l.dlBar))
	l.dlStrip.Hide()
	top := container.NewVBox(actions, l.search, container.NewBorder(nil, nil, nil, l.count, filters))
	right := container.NewBorder(top, l.dlStrip, nil, nil, l.list)
	split := container.NewHSplit(left, right)
	split.Offset = 0.26
	l.showTree()
	l.searchNow()
	l.pollProgress()
	// The shell scrolls its sections: hold the list open to the window's height.
	return container.NewStack(minSize(0, libraryHeight), split)
}

// libraryHeight is the least height of the section, so its list is never
// squeezed by the shell's scroller (about a 700-pixel-high window).
const libraryHeight = 540

// kindName is a kind in the user's words.
func kindName(k library.Kind) string { return i18n.T("library.kind." + string(k)) }

// sizeText is a file size in B, KB, MB or GB.
func sizeText(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.2f GB", float64(n)/(1<<30))
}

// nodeName is a tree node in the user's words: grades as 三年级.
func nodeName(level int, n library.Node) string {
	if level == 3 {
		if n.Grade == 0 {
			return i18n.T("library.grade.none")
		}
		return gradeName(n.Grade)
	}
	return n.Value
}

// pathName names a tree path, 小学 › 语文 › 人教版 › 三年级.
func pathName(path []string) string {
	parts := make([]string, len(path))
	for i, v := range path {
		parts[i] = v
		if i == 3 {
			g, _ := strconv.Atoi(v)
			parts[i] = nodeName(3, library.Node{Grade: g})
		}
	}
	return strings.Join(parts, " › ")
}

// showTree shows the children of the current path, read off the UI goroutine.
func (l *libraryState) showTree() {
	l.crumbs.Objects = nil
	all := widget.NewButton(i18n.T("library.all"), func() { l.goTo(nil) })
	all.Importance = widget.LowImportance
	l.crumbs.Add(all)
	if len(l.path) > 0 {
		up := widget.NewButtonWithIcon("", theme.NavigateBackIcon(), func() { l.goTo(l.path[:len(l.path)-1]) })
		l.crumbs.Add(up)
	}
	l.crumbs.Refresh()
	path := append([]string(nil), l.path...)
	var nodes []library.Node
	l.w.jobs.async(func() (err error) {
		nodes, err = l.svc.Tree(l.w.ctx, path)
		return err
	}, func(err error) {
		if !equalPath(path, l.path) {
			return
		}
		l.treeBox.Objects = nil
		if len(path) > 0 {
			here := rsHeading(pathName(path), theme.SizeNameText)
			l.treeBox.Add(here)
		}
		if err != nil {
			l.treeBox.Add(rsWrapped(i18n.T("library.err.failed", messages.Error(err))))
		}
		for _, n := range nodes {
			n := n
			b := widget.NewButton(i18n.T("library.node", nodeName(len(path), n), n.Count), func() {
				l.goTo(append(append([]string(nil), path...), n.Value))
			})
			b.Alignment = widget.ButtonAlignLeading
			if l.shortcut == libAll && len(path) > 0 {
				b.Importance = widget.LowImportance
			}
			l.treeBox.Add(b)
		}
		l.treeBox.Refresh()
	})
}

func equalPath(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// goTo narrows the results to a tree path.
func (l *libraryState) goTo(path []string) {
	l.path, l.shortcut = path, libAll
	l.showTree()
	l.searchNow()
}

// showShortcut lists recent, favourite or offline entries.
func (l *libraryState) showShortcut(id string) {
	l.shortcut = id
	l.searchNow()
}

// filter is the search filter of the current place.
func (l *libraryState) filter() library.Filter {
	f := library.Filter{Path: l.path, Kind: l.kind, Grade: l.grade, Offline: l.offline}
	if l.shortcut == libOffline {
		f.Path, f.Offline = nil, true
	}
	return f
}

// searchSoon searches once typing pauses.
func (l *libraryState) searchSoon() {
	if libraryDebounce <= 0 {
		l.searchNow()
		return
	}
	l.timerMu.Lock()
	defer l.timerMu.Unlock()
	if l.timer != nil {
		l.timer.Stop()
	}
	l.timer = time.AfterFunc(libraryDebounce, func() { l.w.jobs.do(l.searchNow) })
}

// searchNow reads the first page of results off the UI goroutine; a newer
// search drops the results of older ones.
func (l *libraryState) searchNow() {
	l.seq++
	seq, query, f, shortcut := l.seq, l.query, l.filter(), l.shortcut
	ctx := l.w.ctx
	var pg library.Page
	var favs []library.Entry
	l.w.jobs.async(func() (err error) {
		switch shortcut {
		case libRecent:
			pg.Entries, err = l.svc.Recent(ctx, libraryPage)
			pg.Total = len(pg.Entries)
		case libFavourite:
			pg.Entries, err = l.svc.Favourites(ctx)
			pg.Total = len(pg.Entries)
		default:
			pg, err = l.svc.Search(ctx, query, f, 0, libraryPage)
		}
		if err == nil {
			favs, err = l.svc.Favourites(ctx)
		}
		return err
	}, func(err error) {
		if seq != l.seq {
			return // a newer search is under way
		}
		if err != nil {
			l.count.SetText(i18n.T("library.err.failed", messages.Error(err)))
			return
		}
		l.favs = map[string]bool{}
		for _, e := range favs {
			l.favs[e.ID] = true
		}
		l.results, l.total, l.more, l.reading = pg.Entries, pg.Total, pg.More, false
		l.showCount()
		l.list.ScrollToTop()
		l.list.Refresh()
	})
}

func (l *libraryState) showCount() {
	switch {
	case l.total >= 0:
		l.count.SetText(i18n.T("library.count", l.total))
	case l.more:
		l.count.SetText(i18n.T("library.count_more", len(l.results)))
	default:
		l.count.SetText(i18n.T("library.count", len(l.results)))
	}
}

// readMore reads the next page when the list reaches the last row.
func (l *libraryState) readMore() {
	if !l.more || l.reading || l.shortcut == libRecent || l.shortcut == libFavourite {
		return
	}
	l.reading = true
	seq, query, f, offset := l.seq, l.query, l.filter(), len(l.results)
	var pg library.Page
	l.w.jobs.async(func() (err error) {
		pg, err = l.svc.Search(l.w.ctx, query, f, offset, libraryPage)
		return err
	}, func(err error) {
		if seq != l.seq {
			return
		}
		l.reading = false
		if err != nil {
			fyne.LogError("library: read more", err)
			return
		}
		l.results, l.more = append(l.results, pg.Entries...), pg.More
		l.showCount()
		l.list.Refresh()
	})
}

// libraryRow is one result: title, details, the here mark and the star.
type libraryRow struct {
	title, meta *widget.Label
	here        *widget.Icon
	fav         *widget.Button
}

func (l *libraryState) newRow() fyne.CanvasObject {
	title, meta := rsCut(""), rsCut("")
	title.TextStyle = fyne.TextStyle{Bold: true}
	meta.SizeName = theme.SizeNameCaptionText
	here := widget.NewIcon(theme.ComputerIcon())
	fav := widget.NewButton("☆", nil)
	fav.Importance = widget.LowImportance
	right := container.NewHBox(here, fav)
	c := container.NewBorder(nil, nil, nil, right, container.NewVBox(title, meta))
	return c
}

func (l *libraryState) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	if i >= len(l.results) {
		return
	}
	if i == len(l.results)-1 {
		l.readMore()
	}
	e := l.results[i]
	c := o.(*fyne.Container)
	body, right := c.Objects[0].(*fyne.Container), c.Objects[1].(*fyne.Container)
	body.Objects[0].(*widget.Label).SetText(e.Title)
	body.Objects[1].(*widget.Label).SetText(entryMeta(e))
	here := right.Objects[0].(*widget.Icon)
	if l.isHere(e) {
		here.Show()
	} else {
		here.Hide()
	}
	fav := right.Objects[1].(*widget.Button)
	fav.SetText(starText(l.favs[e.ID]))
	fav.OnTapped = func() { l.toggleFavourite(e.ID) }
}

func starText(on bool) string {
	if on {
		return "★"
	}
	return "☆"
}

// entryMeta is an entry's second line: kind, place in the textbook, size, source.
func entryMeta(e library.Entry) string {
	parts := []string{kindName(e.Kind)}
	var book []string
	for _, s := range []string{e.Edition, gradeText(e.Grade), e.Unit} {
		if s != "" {
			book = append(book, s)
		}
	}
	if len(book) > 0 {
		parts = append(parts, strings.Join(book, " "))
	}
	parts = append(parts, sizeText(e.Size), i18n.T("library.source."+string(e.Source)))
	return strings.Join(parts, " · ")
}

func gradeText(g int) string {
	if g == 0 {
		return ""
	}
	return gradeName(g)
}

// isHere reports whether the entry's file is on this PC.
func (l *libraryState) isHere(e library.Entry) bool {
	return l.w.deps.Files != nil && e.Hash != "" && l.w.deps.Files.Has(e.Hash)
}

// toggleFavourite stars or unstars an entry.
func (l *libraryState) toggleFavourite(id string) {
	on := !l.favs[id]
	l.w.jobs.async(func() error { return l.svc.SetFavourite(l.w.ctx, id, on) }, func(err error) {
		if err != nil {
			l.count.SetText(i18n.T("library.err.failed", messages.Error(err)))
			return
		}
		l.favs[id] = on
		if l.shortcut == libFavourite {
			l.searchNow()
			return
		}
		l.list.Refresh()
	})
}

// libraryErr explains a library error in words the user can act on.
func libraryErr(err error) string {
	var fe *library.FetchError
	switch {
	case errors.As(err, &fe):
		return i18n.T("library.fetch." + fe.Code)
	case library.CodeOf(err) != "":
		return i18n.T("library.err." + string(library.CodeOf(err)))
	case library.PackCodeOf(err) != "":
		var pe *library.PackError
		errors.As(err, &pe)
		return packErrText(pe)
	}
	return i18n.T("library.err.failed", messages.Error(err))
}

// packErrText is a refused pack or file; file messages name their entry.
func packErrText(pe *library.PackError) string {
	key := "library.pack.err." + string(pe.Code)
	if pe.Code == library.PackMissing || pe.Code == library.PackCorrupt {
		return i18n.T(key, pe.Entry)
	}
	return i18n.T(key)
}
