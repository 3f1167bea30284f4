package ui

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/i18n"
	"qiao/library"
)

// libraryPollEvery is how often the download progress is redrawn while
// files are downloading.
const libraryPollEvery = 500 * time.Millisecond

// downloading reports whether any file is queued or downloading.
func downloading(p library.Progress) bool {
	for _, f := range p.Files {
		if f.State == library.StateQueued || f.State == library.StateDownloading {
			return true
		}
	}
	return false
}

// pollProgress redraws the download progress until downloads stop.
func (l *libraryState) pollProgress() {
	if l.fetch == nil {
		return
	}
	l.showProgress()
	if l.polling || l.stopBG == nil {
		return
	}
	l.polling = true
	f := l.fetch
	go func() {
		t := time.NewTicker(libraryPollEvery)
		defer t.Stop()
		idle := 0
		for idle < 2 { // a download just asked for may not have begun yet
			if downloading(f.Progress()) {
				idle = 0
			} else {
				idle++
			}
			select {
			case <-l.bgDone:
				return
			case <-t.C:
			}
			l.w.jobs.do(l.showProgress)
		}
		l.w.jobs.do(func() { l.polling = false })
	}()
}

// showProgress shows the downloads in the strip under the results and, if it
// is open, the downloads panel.
func (l *libraryState) showProgress() {
	if l.fetch == nil {
		return
	}
	p := l.fetch.Progress()
	if l.dlStrip != nil {
		if len(p.Files) == 0 {
			l.dlStrip.Hide()
		} else {
			l.dlText.SetText(progressText(p))
			l.dlBar.SetValue(fraction(p.Have, p.Size))
			l.dlStrip.Show()
		}
	}
	if l.dlDialog != nil {
		l.dlDialog.show(p)
	}
}

// progressText is the downloads in one line: the current file and the total.
func progressText(p library.Progress) string {
	total := i18n.T("library.dl.total", p.FilesDone, p.FilesTotal, sizeText(p.Have), sizeText(p.Size))
	switch {
	case p.Paused:
		return i18n.T("library.dl.paused") + " · " + total
	case !downloading(p):
		return i18n.T("library.dl.finished") + " · " + total
	}
	for _, f := range p.Files {
		if f.State == library.StateDownloading {
			return i18n.T("library.dl.current", f.Title, sizeText(f.Have), sizeText(f.Size)) + " · " + total
		}
	}
	return total
}

func fraction(have, size int64) float64 {
	if size <= 0 {
		return 0
	}
	return float64(have) / float64(size)
}

// libraryDownloads is the downloads panel while it is open.
type libraryDownloads struct {
	total  *widget.Label
	bar    *widget.ProgressBar
	pause  *widget.Button
	files  *fyne.Container
	paused bool
}

func (d *libraryDownloads) show(p library.Progress) {
	d.total.SetText(progressText(p))
	d.bar.SetValue(fraction(p.Have, p.Size))
	d.paused = p.Paused
	if p.Paused {
		d.pause.SetText(i18n.T("library.dl.resume"))
	} else {
		d.pause.SetText(i18n.T("library.dl.pause"))
	}
	d.files.Objects = nil
	for i, f := range p.Files {
		if i == 50 {
			d.files.Add(rsCut(i18n.T("library.dl.more", len(p.Files)-50)))
			break
		}
		bar := widget.NewProgressBar()
		bar.SetValue(fraction(f.Have, f.Size))
		state := i18n.T("library.dl.state." + f.State)
		if f.Err != nil {
			state = libraryErr(f.Err)
		}
		d.files.Add(rsRow(rsCells{3, 2, 2}, rsCut(f.Title), rsCut(state), bar))
	}
	d.files.Refresh()
}

// showDownloads opens the downloads panel: progress per file and overall,
// pause and resume, the cap and window, subscriptions and the quota.
func (l *libraryState) showDownloads() {
	box := container.NewVBox()
	if l.fetch == nil {
		box.Add(rsWrapped(i18n.T("library.not_enrolled")))
	} else {
		dd := &libraryDownloads{total: rsWrapped(""), bar: widget.NewProgressBar(), files: container.NewVBox()}
		dd.pause = widget.NewButton("", func() {
			if dd.paused {
				l.fetch.Resume()
			} else {
				l.fetch.Pause()
			}
			l.showProgress()
		})
		clear := widget.NewButton(i18n.T("library.dl.clear"), func() {
			l.fetch.ClearProgress()
			l.showProgress()
		})
		box.Add(rsCard(i18n.T("library.dl.heading"), container.NewVBox(dd.total, dd.bar,
			container.NewHBox(dd.pause, clear), dd.files)))
		box.Add(l.settingsCard())
		box.Add(l.subscriptionsCard())
		l.dlDialog = dd
	}
	box.Add(l.quotaCard())
	d := dialog.NewCustom(i18n.T("library.downloads"), i18n.T("action.close"), container.NewVScroll(box), l.w.win)
	d.SetOnClosed(func() { l.dlDialog = nil })
	d.Resize(fyne.NewSize(860, 620))
	d.Show()
	l.pollProgress()
}

// settingsCard sets the bandwidth cap and the time window.
func (l *libraryState) settingsCard() fyne.CanvasObject {
	s := l.fetch.Settings()
	capKB := entry(strconv.FormatInt(s.Cap>>10, 10), "0")
	window := entry(s.Window.String(), "22:00-06:00")
	msg := rsWrapped("")
	save := widget.NewButton(i18n.T("action.save"), func() {
		kb, err := strconv.ParseInt(strings.TrimSpace(capKB.Text), 10, 64)
		if err != nil || kb < 0 {
			msg.SetText(i18n.T("library.fetch.bad_setting"))
			return
		}
		win, err := library.ParseWindow(strings.TrimSpace(window.Text))
		if err != nil {
			msg.SetText(i18n.T("library.fetch.bad_setting"))
			return
		}
		set := library.FetchSettings{Cap: kb << 10, Window: win}
		l.w.jobs.async(func() error { return l.fetch.SetSettings(l.w.ctx, set) }, func(err error) {
			if err != nil {
				msg.SetText(libraryErr(err))
				return
			}
			msg.SetText(i18n.T("library.saved"))
		})
	})
	form := widget.NewForm(widget.NewFormItem(i18n.T("library.dl.cap"), capKB), widget.NewFormItem(i18n.T("library.dl.window"), window))
	return rsCard(i18n.T("library.dl.settings"), container.NewVBox(form, container.NewHBox(save), msg))
}

// subscriptionsCard lists the subscriptions and subscribes to the current
// tree node ("keep 三年级 语文 offline").
func (l *libraryState) subscriptionsCard() fyne.CanvasObject {
	list := container.NewVBox()
	msg := rsWrapped("")
	var reload func()
	reload = func() {
		var subs []library.Subscription
		l.w.jobs.async(func() (err error) {
			subs, err = l.fetch.Subscriptions(l.w.ctx)
			return err
		}, func(err error) {
			list.Objects = nil
			if err != nil {
				msg.SetText(libraryErr(err))
			}
			if len(subs) == 0 {
				list.Add(rsWrapped(i18n.T("library.sub.none")))
			}
			for _, s := range subs {
				s := s
				remove := widget.NewButtonWithIcon(i18n.T("library.sub.remove"), theme.DeleteIcon(), func() {
					l.w.jobs.async(func() error { return l.fetch.Unsubscribe(l.w.ctx, s.ID) }, func(err error) {
						if err != nil {
							msg.SetText(libraryErr(err))
						}
						reload()
					})
				})
				list.Add(container.NewBorder(nil, nil, nil, remove, rsCut(subscriptionName(s))))
			}
			list.Refresh()
		})
	}
	sub := l.subscription()
	add := widget.NewButtonWithIcon(i18n.T("library.sub.add", subscriptionName(sub)), theme.ContentAddIcon(), func() {
		l.w.jobs.async(func() error {
			_, err := l.fetch.Subscribe(l.w.ctx, sub)
			return err
		}, func(err error) {
			if err != nil {
				msg.SetText(libraryErr(err))
			}
			reload()
			l.pollProgress()
		})
	})
	reload()
	return rsCard(i18n.T("library.sub.heading"), container.NewVBox(rsWrapped(i18n.T("library.sub.hint")), list, container.NewHBox(add), msg))
}

// subscription is the current tree node and kind as a subscription.
func (l *libraryState) subscription() library.Subscription {
	s := library.Subscription{Kind: string(l.kind)}
	for i, v := range l.path {
		switch i {
		case 0:
			s.Stage = v
		case 1:
			s.Subject = v
		case 2:
			s.Edition = v
		case 3:
			s.Grade, _ = strconv.Atoi(v)
		case 4:
			s.Unit = v
		}
	}
	return s
}

// subscriptionName names a subscription: 小学 语文 三年级 课件, or 全部资源.
func subscriptionName(s library.Subscription) string {
	var parts []string
	for _, v := range []string{s.Stage, s.Subject, s.Edition, gradeText(s.Grade), s.Unit} {
		if v != "" {
			parts = append(parts, v)
		}
	}
	if s.Kind != "" {
		parts = append(parts, kindName(library.Kind(s.Kind)))
	}
	if len(parts) == 0 {
		return i18n.T("library.all")
	}
	return strings.Join(parts, " ")
}

// quotaCard shows the disk budget of district files and sets it.
func (l *libraryState) quotaCard() fyne.CanvasObject {
	used := rsWrapped("")
	budget := entry("", "0")
	msg := rsWrapped("")
	show := func(u library.QuotaUsage) {
		b := i18n.T("library.quota.none")
		if u.Budget > 0 {
			b = sizeText(u.Budget)
		}
		used.SetText(i18n.T("library.quota.used", sizeText(u.Used), b, u.Files))
		budget.SetText(strconv.FormatInt(u.Budget>>20, 10))
	}
	var u library.QuotaUsage
	l.w.jobs.async(func() (err error) {
		u, err = l.quota.Usage(l.w.ctx)
		return err
	}, func(err error) {
		if err != nil {
			msg.SetText(libraryErr(err))
			return
		}
		show(u)
	})
	set := widget.NewButton(i18n.T("library.quota.set"), func() {
		mb, err := strconv.ParseInt(strings.TrimSpace(budget.Text), 10, 64)
		if err != nil || mb < 0 {
			msg.SetText(i18n.T("library.quota.bad"))
			return
		}
		var rep library.EvictReport
		l.w.jobs.async(func() (err error) {
			rep, err = l.quota.SetBudget(l.w.ctx, mb<<20)
			return err
		}, func(err error) {
			if err != nil {
				msg.SetText(libraryErr(err))
				return
			}
			show(rep.After)
			msg.SetText(i18n.T("library.quota.evicted", rep.Evicted, sizeText(rep.EvictedBytes)))
			l.list.Refresh()
		})
	})
	form := widget.NewForm(widget.NewFormItem(i18n.T("library.quota.budget"), budget))
	return rsCard(i18n.T("library.quota.heading"), container.NewVBox(used, form, container.NewHBox(set), msg))
}

// packRun is a running export or import under its progress dialog; the
// progress arrives from the job's goroutines and is drawn on the UI one.
type packRun struct {
	l       *libraryState
	d       dialog.Dialog
	bar     *widget.ProgressBar
	files   *widget.Label
	current *widget.Label
	cancel  context.CancelFunc

	mu     sync.Mutex
	latest library.PackProgress
	posted bool
	shown  library.PackProgress // the last progress drawn (tests read it)
}

func (l *libraryState) newPackRun(title string) (*packRun, context.Context) {
	ctx, cancel := context.WithCancel(l.w.ctx)
	r := &packRun{l: l, bar: widget.NewProgressBar(), files: rsWrapped(""), current: rsCut(""), cancel: cancel}
	stop := widget.NewButton(i18n.T("library.cancel"), cancel)
	r.d = dialog.NewCustomWithoutButtons(title, container.NewVBox(r.files, r.bar, r.current, container.NewCenter(stop)), l.w.win)
	r.d.Resize(fyne.NewSize(560, 0))
	r.d.Show()
	l.packRun = r
	return r, ctx
}

// progress is the export's or import's progress callback (any goroutine).
func (r *packRun) progress(p library.PackProgress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.latest = p
	if !r.posted {
		r.posted = true
		r.l.w.jobs.do(r.draw)
	}
}

func (r *packRun) draw() {
	r.mu.Lock()
	p := r.latest
	r.posted = false
	r.mu.Unlock()
	r.shown = p
	r.files.SetText(i18n.T("library.pack.progress", p.FilesDone, p.Files, sizeText(p.BytesDone), sizeText(p.Bytes)))
	r.bar.SetValue(fraction(p.BytesDone, p.Bytes))
	if p.Current != "" {
		r.current.SetText(i18n.T("library.pack.current", p.Current, sizeText(p.CurrentDone), sizeText(p.CurrentBytes)))
	} else {
		r.current.SetText("")
	}
}

// exportPack exports the current tree node (and kind) to a folder.
func (l *libraryState) exportPack() { l.pickFolder(l.exportTo) }

// pickFolder asks for a folder and gives its path to then.
func (l *libraryState) pickFolder(then func(path string)) {
	d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if err == nil && u != nil {
			then(u.Path())
		}
	}, l.w.win)
	d.Resize(dialogSize(l.w.win))
	d.Show()
}

// selection is the current tree node and kind as a pack selection.
func (l *libraryState) selection() library.Selection {
	s := l.subscription()
	return library.Selection{Stage: s.Stage, Subject: s.Subject, Edition: s.Edition, Grade: s.Grade, Unit: s.Unit, Kind: s.Kind}
}

// exportTo writes the pack of the current selection into dir.
func (l *libraryState) exportTo(dir string) {
	sel := l.selection()
	title := subscriptionName(l.subscription())
	sch, _, _ := l.w.deps.Schools.Current(l.w.ctx)
	info := library.PackInfo{Title: title, Creator: strings.TrimSpace(sch.Name + " " + l.teacher)}
	r, ctx := l.newPackRun(i18n.T("library.exporting", title))
	var rep library.ExportReport
	l.w.jobs.async(func() (err error) {
		rep, err = l.packs.Export(ctx, sel, dir, info, r.progress)
		return err
	}, func(err error) {
		r.cancel()
		r.d.Hide()
		box := container.NewVBox()
		if err != nil {
			box.Add(rsWrapped(libraryErr(err)))
		} else {
			box.Add(rsWrapped(i18n.T("library.exported", rep.Entries, rep.Files, sizeText(rep.Bytes), dir)))
			if len(rep.Missing) > 0 {
				box.Add(rsWrapped(i18n.T("library.export_missing", len(rep.Missing))))
				for _, t := range rep.Missing {
					box.Add(rsCut("· " + t))
				}
			}
		}
		l.showSummary(i18n.T("library.export"), box)
	})
}

// importPack imports a pack from a folder.
func (l *libraryState) importPack() { l.pickFolder(l.importFrom) }

// importFrom imports the pack in dir; importing again resumes a stopped import.
func (l *libraryState) importFrom(dir string) {
	r, ctx := l.newPackRun(i18n.T("library.importing"))
	var rep library.ImportReport
	l.w.jobs.async(func() (err error) {
		rep, err = l.packs.Import(ctx, dir, r.progress)
		return err
	}, func(err error) {
		r.cancel()
		r.d.Hide()
		box := container.NewVBox()
		if err != nil {
			box.Add(rsWrapped(libraryErr(err)))
		} else {
			box.Add(rsWrapped(i18n.T("library.imported", rep.Pack, rep.Added, rep.Entries, rep.Copied, rep.Present)))
			if len(rep.Refused) > 0 {
				box.Add(rsWrapped(i18n.T("library.import_refused", len(rep.Refused))))
				for _, pe := range rep.Refused {
					box.Add(rsWrapped("· " + packErrText(pe)))
				}
			}
		}
		l.showSummary(i18n.T("library.import"), box)
		l.showTree()
		l.searchNow()
	})
}

// showSummary shows what a pack job did.
func (l *libraryState) showSummary(title string, body fyne.CanvasObject) {
	l.summary = body
	d := dialog.NewCustom(title, i18n.T("action.close"), container.NewVScroll(body), l.w.win)
	d.Resize(fyne.NewSize(620, 360))
	d.Show()
}

// sendQueued sends the contributions made with no link, off the UI
// goroutine; a refused one is logged (我的投稿 no longer lists it as waiting).
func (l *libraryState) sendQueued() {
	if l.contrib == nil {
		return
	}
	l.w.jobs.async(func() error {
		_, errs, err := l.contrib.SendQueued(l.w.ctx)
		for _, e := range errs {
			fyne.LogError("library: a waiting contribution was refused", e)
		}
		return err
	}, func(err error) {
		if err != nil {
			fyne.LogError("library: send waiting contributions", err)
		}
	})
}

// showContributions lists this school's contributions and their review state.
func (l *libraryState) showContributions() {
	box := container.NewVBox(widget.NewProgressBarInfinite())
	d := dialog.NewCustom(i18n.T("library.my_contributions"), i18n.T("action.close"), container.NewVScroll(box), l.w.win)
	d.Resize(fyne.NewSize(720, 480))
	d.Show()
	var mine library.MyContributions
	l.w.jobs.async(func() (err error) {
		mine, err = l.contrib.Mine(l.w.ctx)
		return err
	}, func(err error) {
		box.Objects = nil
		switch {
		case err != nil:
			box.Add(rsWrapped(libraryErr(err)))
		case mine.Offline && mine.AsOf == 0:
			box.Add(rsWrapped(i18n.T("library.contrib.offline_never")))
		case mine.Offline:
			box.Add(rsWrapped(i18n.T("library.contrib.offline_as_of", clock(time.Unix(mine.AsOf, 0), time.Now()))))
		}
		if err == nil && len(mine.List) == 0 && !mine.Offline {
			box.Add(rsWrapped(i18n.T("library.contrib.none")))
		}
		for _, c := range mine.List {
			state := i18n.T("library.contrib." + c.State)
			switch {
			case c.State == library.ContributionReturned && c.Reason != "":
				state = i18n.T("library.contrib.returned_reason", c.Reason)
			case c.State == library.ContributionRefused:
				state = i18n.T("library.contrib.refused_reason", c.Reason)
			}
			box.Add(container.NewVBox(rsHeading(c.Fields.Title, theme.SizeNameText), rsWrapped(state), widget.NewSeparator()))
		}
		box.Refresh()
	})
}

// addDialog adds a file on this PC to the catalogue as the teacher's own.
func (l *libraryState) addDialog() {
	path := ""
	file := widget.NewButtonWithIcon(i18n.T("library.add.choose"), theme.FolderOpenIcon(), nil)
	title := entry("", "")
	kinds := make([]string, len(library.Kinds))
	for i, k := range library.Kinds {
		kinds[i] = kindName(k)
	}
	kind := widget.NewSelect(kinds, nil)
	kind.SetSelectedIndex(0)
	stage := widget.NewSelect(append([]string{""}, library.Stages...), nil)
	subject, edition, unit, tags := entry("", i18n.T("library.hint.subject")), entry("", i18n.T("library.hint.edition")),
		entry("", i18n.T("library.hint.unit")), entry("", "")
	grades := []string{i18n.T("library.grade.none")}
	for g := 1; g <= 12; g++ {
		grades = append(grades, gradeName(g))
	}
	grade := widget.NewSelect(grades, nil)
	grade.SetSelectedIndex(0)
	// The form starts at the current tree node.
	s := l.subscription()
	stage.SetSelected(s.Stage)
	subject.SetText(s.Subject)
	edition.SetText(s.Edition)
	grade.SetSelectedIndex(s.Grade)
	unit.SetText(s.Unit)
	file.OnTapped = func() {
		chooseLibraryFile(l.w.win, func(u fyne.URI) {
			path = u.Path()
			file.SetText(u.Name())
			if title.Text == "" {
				title.SetText(strings.TrimSuffix(u.Name(), u.Extension()))
			}
		})
	}
	msg := rsWrapped("")
	form := widget.NewForm(
		widget.NewFormItem(i18n.T("library.add.file"), file),
		widget.NewFormItem(i18n.T("library.field.title"), title),
		widget.NewFormItem(i18n.T("library.field.kind"), kind),
		widget.NewFormItem(i18n.T("library.field.stage"), stage),
		widget.NewFormItem(i18n.T("library.field.subject"), subject),
		widget.NewFormItem(i18n.T("library.field.edition"), edition),
		widget.NewFormItem(i18n.T("library.field.grade"), grade),
		widget.NewFormItem(i18n.T("library.field.unit"), unit),
		widget.NewFormItem(i18n.T("library.field.tags"), tags))
	var d dialog.Dialog
	save := widget.NewButton(i18n.T("action.save"), func() {
		if path == "" {
			msg.SetText(i18n.T("library.add.no_file"))
			return
		}
		e := library.Entry{Title: strings.TrimSpace(title.Text), Kind: library.Kinds[kind.SelectedIndex()], Stage: stage.Selected,
			Subject: strings.TrimSpace(subject.Text), Edition: strings.TrimSpace(edition.Text), Grade: grade.SelectedIndex(),
			Unit: strings.TrimSpace(unit.Text), Tags: splitTags(tags.Text)}
		l.addFile(e, path, func(err error) {
			if err != nil {
				msg.SetText(libraryErr(err))
				return
			}
			d.Hide()
		})
	})
	d = dialog.NewCustom(i18n.T("library.add"), i18n.T("library.cancel"), container.NewVBox(form, container.NewHBox(save), msg), l.w.win)
	d.Resize(fyne.NewSize(620, 0))
	d.Show()
}

// chooseLibraryFile asks for a file on this PC and passes it to picked
// (tests replace it: Fyne's test driver cannot drive the file dialog).
var chooseLibraryFile = func(win fyne.Window, picked func(fyne.URI)) {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil || rc == nil {
			return
		}
		rc.Close()
		picked(rc.URI())
	}, win)
	d.Resize(dialogSize(win))
	d.Show()
}

// splitTags reads tags separated by spaces, commas or 、.
func splitTags(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == ',' || r == '，' || r == '、' || r == ';' || r == '；'
	})
}

// addFile catalogues the file at path as the teacher's entry e.
func (l *libraryState) addFile(e library.Entry, path string, done func(error)) {
	e.Source, e.UploadedBy = library.FromTeacher, l.teacher
	l.w.jobs.async(func() error {
		_, err := l.svc.AddFile(l.w.ctx, e, path)
		return err
	}, func(err error) {
		done(err)
		if err == nil {
			l.showTree()
			l.searchNow()
		}
	})
}
