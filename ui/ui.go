// Package ui is Qiao's Fyne user interface: the main window, its
// navigation rail and status bar, and one screen per section. It calls the
// domain services and holds no SQL or business rules.
package ui

import (
	"context"
	"fmt"
	"os"
	"qiao/classroom/deck"
	"runtime/debug"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"qiao/assets"
	"qiao/content"
	"qiao/i18n"
	"qiao/prefs"
	"qiao/school"
	"qiao/store"
)

// AppID identifies Qiao to the OS (and matches FyneApp.toml).
const AppID = "cn.qiao.app"

// ReadyEnv, when set in the environment, makes the app print ReadyLine
// on stdout once its window is up: `qiao bench startup` waits for it.
const (
	ReadyEnv  = "QIAO_REPORT_READY"
	ReadyLine = "QIAO_READY"
)

// Deps is what the UI needs from the composition root.
type Deps struct {
	Store     *store.Store
	Schools   *school.Service
	Files     *content.Store // attachments and other files, by hash
	Prefs     prefs.Prefs
	Version   string
	UseSample func(context.Context) error // makes the sample school current, with sample records
	StartSync SyncStarter                 // starts background sync once enrolled; nil: no sync
}

// Run opens the main window and blocks until it is closed.
func Run(d Deps) {
	a := fyneapp.NewWithID(AppID)
	a.SetIcon(assets.Icon)
	w := newWindow(a, d)
	ctx, stopPoll := context.WithCancel(context.Background())
	defer stopPoll()
	go w.sync.poll(ctx, syncPollEvery)
	a.Lifecycle().SetOnStarted(func() {
		if os.Getenv(ReadyEnv) != "" {
			go reportReady()
		}
		go returnStartupMemory()
	})
	w.win.ShowAndRun()
	_ = deck.Close() // the PDF renderer, if a deck was opened
}

// returnStartupMemory hands the start-up's garbage back to the operating system once
// the window is up: opening the store and parsing the fonts peak at about
// twice the heap the idle app keeps, and the runtime would otherwise
// return those pages only slowly — memory a 4 GB classroom PC needs.
func returnStartupMemory() {
	time.Sleep(time.Second)
	debug.FreeOSMemory()
}

// syncPollEvery is how often the status bar re-reads the sync status.
const syncPollEvery = 3 * time.Second

// reportReady prints ReadyLine after the event loop has drawn a frame.
func reportReady() {
	time.Sleep(50 * time.Millisecond) // three 60 Hz ticks: the first frame is painted
	fyne.DoAndWait(func() {})
	fmt.Println(ReadyLine)
}

// ShowFatal shows a message in a small window, for errors that stop Qiao
// before its main window can open (such as a second instance).
func ShowFatal(msg string) {
	a := fyneapp.NewWithID(AppID)
	a.Settings().SetTheme(newTheme(prefs.Light, 1))
	w := a.NewWindow(i18n.T("app.title"))
	w.SetContent(fatalContent(msg, w.Close))
	w.SetFixedSize(true)
	w.CenterOnScreen()
	w.ShowAndRun()
}

// window is the main window and the state it shows.
type window struct {
	app   fyne.App
	win   fyne.Window
	deps  Deps
	prefs prefs.Prefs
	ctx   context.Context
	shell *shell // nil while the first-run screen is up
	// placement keeps the placement flow's state across section switches.
	placement *placementFlow
	// research keeps the research section's place across section switches.
	research *researchState
	// classroom keeps the synchronous classroom's live lesson across section switches.
	classroom *classroomState
	// library keeps the resource library's place and downloads across section switches.
	library *libraryState
	// sync is the link to the district server.
	sync *syncLink
	// jobs runs background work (imports, draws, sync) for every screen.
	jobs *jobQueue
}

func newWindow(a fyne.App, d Deps) *window {
	w := &window{app: a, deps: d, prefs: d.Prefs, ctx: context.Background(), jobs: newJobQueue()}
	i18n.Use(w.prefs.Language)
	a.Settings().SetTheme(newTheme(w.prefs.Theme, w.prefs.FontScale))
	w.win = a.NewWindow(i18n.T("app.title"))
	w.win.SetIcon(assets.Icon)
	w.win.Resize(fyne.NewSize(w.prefs.WindowW, w.prefs.WindowH))
	w.win.SetCloseIntercept(w.close)
	w.sync = newSyncLink(w)
	w.refresh()
	w.sync.start()
	return w
}

// close remembers the window size, then closes.
func (w *window) close() {
	size := w.win.Canvas().Size()
	w.prefs.WindowW, w.prefs.WindowH = size.Width, size.Height
	w.savePrefs()
	w.sync.shutdown()
	if w.classroom != nil {
		w.classroom.shutdown()
	}
	if w.library != nil {
		w.library.shutdown()
	}
	w.win.Close()
}

// refresh builds the window's content anew: after first run and after a
// language change.
func (w *window) refresh() {
	w.win.SetTitle(i18n.T("app.title"))
	if _, ok, err := w.deps.Schools.Current(w.ctx); err == nil && !ok {
		w.shell = nil
		w.win.SetContent(w.firstRun())
		return
	}
	w.shell = newShell(w)
	w.win.SetContent(w.shell.content)
}

func (w *window) savePrefs() {
	if err := prefs.Save(w.ctx, w.deps.Store, w.prefs); err != nil {
		fyne.LogError("save preferences", err)
	}
}

// applyDisplay applies changed display preferences at once and keeps them.
func (w *window) applyDisplay(p prefs.Prefs) {
	langChanged := p.Language != w.prefs.Language
	w.prefs.Language, w.prefs.Theme, w.prefs.FontScale = p.Language, p.Theme, p.FontScale
	w.savePrefs()
	w.app.Settings().SetTheme(newTheme(p.Theme, p.FontScale))
	if w.shell != nil {
		w.shell.themeChanged()
	}
	if langChanged {
		i18n.Use(p.Language)
		w.refresh()
	}
}
