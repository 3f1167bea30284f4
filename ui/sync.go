package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/district"
	"qiao/i18n"
	"qiao/messages"
	"qiao/replica"
)

// SyncStarter starts background sync of the enrolled store. started is
// called when an attempt begins and done after it ends, both on the sync
// goroutine (the runner's Started and Done); stop cancels the sync and
// waits for it to end.
type SyncStarter func(started func(), done func(replica.Report, error)) (ru *replica.Runner, stop func(), err error)

// syncLink is the window's view of the link to the district: the runner,
// the last status read, and the widgets that show it. Its fields are used
// on the UI goroutine only, except the queue and closing.
type syncLink struct {
	w       *window
	runner  *replica.Runner
	stop    func()
	status  replica.Status
	running bool      // a sync attempt is under way
	lastErr error     // of the last attempt this session; nil after a success
	next    time.Time // when the runner tries next; zero if unknown

	card     *fyne.Container // the settings card, while the settings screen is up
	fpDialog dialog.Dialog   // the fingerprint question, while it is up

	mu      sync.Mutex
	closing bool // the window is closing: post nothing more
}

func newSyncLink(w *window) *syncLink {
	l := &syncLink{w: w}
	l.status, _ = replica.ReadStatus(w.ctx, w.deps.Store)
	return l
}

// post runs fn on the UI goroutine, unless the window is closing.
func (l *syncLink) post(fn func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closing {
		return
	}
	l.w.jobs.do(fn)
}

// async runs work off the UI goroutine, then done with its error on it,
// unless the window is closing by then.
func (l *syncLink) async(work func() error, done func(error)) {
	l.w.jobs.async(work, func(err error) {
		l.mu.Lock()
		closing := l.closing
		l.mu.Unlock()
		if !closing {
			done(err)
		}
	})
}

// start starts background sync if the store is enrolled and it is not
// running yet.
func (l *syncLink) start() {
	if l.runner != nil || l.w.deps.StartSync == nil || !l.status.Enrolled {
		return
	}
	st := l.w.deps.Store
	started := func() {
		l.post(func() {
			l.running = true
			l.show()
		})
	}
	ru, stop, err := l.w.deps.StartSync(started, func(_ replica.Report, err error) {
		s, rerr := replica.ReadStatus(context.Background(), st)
		l.post(func() {
			l.running, l.lastErr, l.next = false, err, l.runner.NextAttempt()
			if rerr == nil {
				l.status = s
			}
			l.show()
			if err == nil && l.w.library != nil {
				l.w.library.sendQueued() // the link is there
			}
		})
	})
	if err != nil {
		l.lastErr = err
		l.show()
		return
	}
	l.runner, l.stop, l.running = ru, stop, true // the runner syncs at once
	l.show()
}

// shutdown stops background sync; nothing is posted to the UI afterwards.
func (l *syncLink) shutdown() {
	l.mu.Lock()
	l.closing = true
	l.mu.Unlock()
	if l.stop != nil {
		l.stop()
	}
}

// now asks for a sync at once ("sync now").
func (l *syncLink) now() {
	if l.runner == nil {
		return
	}
	l.running = true
	l.runner.Now()
	l.show()
}

// poll re-reads the status every few seconds, so local edits show as
// pending; the read runs off the UI goroutine.
func (l *syncLink) poll(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s, err := replica.ReadStatus(ctx, l.w.deps.Store)
		if err != nil {
			continue
		}
		l.post(func() {
			if s != l.status {
				l.status = s
				l.show()
			}
		})
	}
}

// show puts the status on the status bar and, while it is up, the settings card.
func (l *syncLink) show() {
	if l.w.shell != nil {
		l.w.shell.showLink()
	}
	if l.card != nil {
		l.fillCard()
	}
}

// showLink puts the sync link's state on the status bar.
func (s *shell) showLink() {
	link, last := s.w.sync.statusTexts(time.Now())
	s.link.SetText(link)
	s.last.SetText(last)
}

// statusTexts are the status bar's link and last-sync texts.
func (l *syncLink) statusTexts(now time.Time) (link, last string) {
	s := l.status
	if !s.Enrolled {
		return i18n.T("status.offline"), i18n.T("status.never_synced")
	}
	switch {
	case l.running:
		link = i18n.T("sync.status.syncing")
	case l.lastErr != nil:
		link = failedText(l.lastErr, l.next, now)
	case s.LastError != "":
		link = i18n.T("sync.status.failed")
	default:
		link = i18n.T("sync.status.online")
	}
	last = i18n.T("status.never_synced")
	if !s.LastSync.IsZero() {
		last = i18n.T("sync.status.synced", clock(s.LastSync, now))
	}
	if s.Pending > 0 {
		last += " · " + i18n.T("sync.status.pending", s.Pending)
	}
	if s.Conflicts > 0 {
		last += " · " + i18n.T("sync.status.conflicts", s.Conflicts)
	}
	return link, last
}

// failedText says in short why the last attempt failed and, where the
// user need not act, when the next one is due.
func failedText(err error, next, now time.Time) string {
	brief := messages.SyncBrief(err)
	if next.IsZero() {
		return brief
	}
	switch brief {
	case i18n.T("sync.brief.offline"):
		return i18n.T("sync.brief.offline_at", clock(next, now))
	case i18n.T("sync.brief.failed"):
		return i18n.T("sync.brief.failed_at", clock(next, now))
	}
	return brief
}

// clock shows t as a time of day if it is today, else with its date.
func clock(t, now time.Time) string {
	t = t.Local()
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15:04")
	}
	return t.Format("2006-01-02 15:04")
}

// syncCard is the settings screen's district sync section.
func (w *window) syncCard() fyne.CanvasObject {
	l := w.sync
	if s, err := replica.ReadStatus(w.ctx, w.deps.Store); err == nil {
		l.status = s // a few small reads
	}
	l.card = container.NewVBox()
	l.fillCard()
	return widget.NewCard(i18n.T("sync.title"), "", l.card)
}

// fillCard fills the card for the current status: the enrolment form, or
// the link's details and actions.
func (l *syncLink) fillCard() {
	if l.status.Enrolled {
		l.card.Objects = []fyne.CanvasObject{l.details()}
	} else {
		l.card.Objects = []fyne.CanvasObject{l.enrolForm()}
	}
	l.card.Refresh()
}

// details shows an enrolled installation's link.
func (l *syncLink) details() fyne.CanvasObject {
	s := l.status
	sch, _, _ := l.w.deps.Schools.Current(l.w.ctx)
	last := i18n.T("status.never_synced")
	if !s.LastSync.IsZero() {
		last = s.LastSync.Local().Format("2006-01-02 15:04")
	}
	lastErr := "—"
	if l.lastErr != nil {
		lastErr = messages.Error(l.lastErr)
	} else if s.LastError != "" {
		lastErr = s.LastError
	}
	state, _ := l.statusTexts(time.Now())
	form := widget.NewForm(
		row("sync.server", s.Server),
		row("sync.school", orDash(sch.Name)),
		row("sync.role", trOr("role."+s.Role, s.Role)),
		row("sync.state", state),
		row("sync.last_sync", last),
		row("sync.pending", i18n.T("sync.count", s.Pending)),
		row("sync.last_error", lastErr),
	)
	now := widget.NewButtonWithIcon(i18n.T("sync.now"), theme.ViewRefreshIcon(), l.now)
	now.Importance = widget.HighImportance
	if l.running || l.runner == nil {
		now.Disable()
	}
	conflicts := widget.NewButtonWithIcon(i18n.T("sync.conflicts", s.Conflicts), theme.WarningIcon(), l.w.showConflicts)
	if s.Conflicts == 0 {
		conflicts.Importance = widget.LowImportance
	} else {
		conflicts.Importance = widget.WarningImportance
	}
	hint := widget.NewLabel(i18n.T("sync.auto_hint"))
	hint.Wrapping = wrapMode()
	return container.NewVBox(form, container.NewHBox(now, conflicts), hint)
}

// enrolForm asks for the server and the enrolment code.
func (l *syncLink) enrolForm() fyne.CanvasObject {
	intro := widget.NewLabel(i18n.T("sync.enrol.intro"))
	intro.Wrapping = wrapMode()
	server := entry("", i18n.T("sync.enrol.server_hint"))
	code := entry("", i18n.T("sync.enrol.code_hint"))
	host, _ := os.Hostname()
	name := entry(host, "")
	msg := widget.NewLabel("")
	msg.Wrapping = wrapMode()
	progress := widget.NewProgressBarInfinite()
	progress.Hide()
	var enrol *widget.Button
	fail := func(text string) {
		progress.Hide()
		enrol.Enable()
		msg.Importance = widget.DangerImportance
		msg.SetText(text)
	}
	enrol = widget.NewButtonWithIcon(i18n.T("sync.enrol"), theme.LoginIcon(), func() {
		opt, err := l.checkEnrol(server.Text, code.Text, name.Text)
		if err != nil {
			fail(err.Error())
			return
		}
		enrol.Disable()
		progress.Show()
		msg.Importance = widget.MediumImportance
		msg.SetText(i18n.T("sync.enrol.checking"))
		l.enrol(opt, fail)
	})
	enrol.Importance = widget.HighImportance
	form := widget.NewForm(
		widget.NewFormItem(i18n.T("sync.enrol.server"), server),
		widget.NewFormItem(i18n.T("sync.enrol.code"), code),
		widget.NewFormItem(i18n.T("sync.enrol.name"), name),
	)
	return container.NewVBox(intro, form, container.NewHBox(enrol), progress, msg)
}

// checkEnrol checks the form before anything goes on the network.
func (l *syncLink) checkEnrol(server, code, name string) (replica.EnrolOptions, error) {
	var opt replica.EnrolOptions
	if sch, _, _ := l.w.deps.Schools.Current(l.w.ctx); sch.Sample {
		return opt, errors.New(i18n.T("sync.err.sample"))
	}
	if strings.TrimSpace(server) == "" {
		return opt, errors.New(i18n.T("sync.err.no_server"))
	}
	base, err := replica.NormalizeServer(server)
	if err != nil {
		return opt, errors.New(i18n.T("sync.err.server_address", strings.TrimSpace(server)))
	}
	if strings.TrimSpace(code) == "" {
		return opt, errors.New(i18n.T("sync.err.no_code"))
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name, _ = os.Hostname()
	}
	return replica.EnrolOptions{Server: base, Code: strings.TrimSpace(code), DeviceName: name}, nil
}

// enrol fetches the server's certificate fingerprint, has the user compare
// it with the administrator's, then enrols and starts background sync.
func (l *syncLink) enrol(opt replica.EnrolOptions, fail func(string)) {
	l.async(func() error {
		if !strings.HasPrefix(opt.Server, "https://") {
			return nil
		}
		ctx, cancel := context.WithTimeout(l.w.ctx, 30*time.Second)
		defer cancel()
		fp, err := district.FetchFingerprint(ctx, strings.TrimPrefix(opt.Server, "https://"))
		opt.Fingerprint = fp
		return err
	}, func(err error) {
		if err != nil {
			fail(messages.Error(err))
			return
		}
		if opt.Fingerprint == "" {
			l.finishEnrol(opt, fail)
			return
		}
		l.confirmFingerprint(opt.Fingerprint, func(ok bool) {
			if !ok {
				fail(i18n.T("sync.enrol.cancelled"))
				return
			}
			l.finishEnrol(opt, fail)
		})
	})
}

// finishEnrol spends the code with the pinned fingerprint.
func (l *syncLink) finishEnrol(opt replica.EnrolOptions, fail func(string)) {
	st := l.w.deps.Store
	var s replica.Status
	l.async(func() error {
		ctx, cancel := context.WithTimeout(l.w.ctx, 2*time.Minute)
		defer cancel()
		if _, err := replica.Enrol(ctx, st, opt); err != nil {
			return err
		}
		var err error
		s, err = replica.ReadStatus(l.w.ctx, st)
		return err
	}, func(err error) {
		if err != nil {
			fail(messages.Error(err))
			return
		}
		l.status = s
		if l.w.shell != nil {
			l.w.shell.refreshStatus() // the role may have changed
		}
		l.start()
		l.show()
	})
}

// confirmFingerprint shows the server's fingerprint large, in groups, and
// asks whether it matches the one the district administrator gave.
func (l *syncLink) confirmFingerprint(fp string, answer func(bool)) {
	ask := widget.NewLabel(i18n.T("sync.enrol.fp_ask"))
	ask.Wrapping = wrapMode()
	box := container.NewVBox(ask)
	for _, line := range fingerprintLines(fp) {
		t := widget.NewLabel(line)
		t.TextStyle = fyne.TextStyle{Monospace: true, Bold: true}
		t.SizeName = theme.SizeNameSubHeadingText
		t.Alignment = fyne.TextAlignCenter
		box.Add(t)
	}
	warn := widget.NewLabel(i18n.T("sync.enrol.fp_warn"))
	warn.Wrapping = wrapMode()
	warn.Importance = widget.WarningImportance
	box.Add(warn)
	d := dialog.NewCustomConfirm(i18n.T("sync.enrol.fp_title"), i18n.T("sync.enrol.fp_yes"), i18n.T("sync.enrol.fp_no"),
		box, answer, l.w.win)
	d.Resize(fyne.NewSize(560, 0))
	l.fpDialog = d
	d.Show()
}

// fingerprintLines splits "AB:CD:…" into lines of two groups of four bytes.
func fingerprintLines(fp string) []string {
	parts := strings.Split(fp, ":")
	var groups, lines []string
	for i := 0; i < len(parts); i += 4 {
		groups = append(groups, strings.Join(parts[i:min(i+4, len(parts))], ":"))
	}
	for i := 0; i < len(groups); i += 2 {
		lines = append(lines, strings.Join(groups[i:min(i+2, len(groups))], "   "))
	}
	return lines
}

// trOr translates key, or returns fallback if there is no such key.
func trOr(key, fallback string) string {
	if t := i18n.T(key); t != key {
		return t
	}
	return fallback
}

// conflictName is the name of the row a conflict is about, from the
// losing version.
func conflictName(c replica.Conflict) string {
	for _, k := range []string{"name", "title", "topic", "day"} {
		if v, ok := c.Loser[k].(string); ok && v != "" {
			return v
		}
	}
	return shortID(c.RowID)
}

// conflictsPage lists the open conflicts and shows one beside the current row.
type conflictsPage struct {
	w        *window
	list     []replica.Conflict
	selected int
	detail   *fyne.Container
	msg      *widget.Label
}

// showConflicts replaces the settings screen with the conflicts page.
func (w *window) showConflicts() {
	sh := w.shell
	if sh == nil {
		return
	}
	p := &conflictsPage{w: w, selected: -1, detail: container.NewStack(), msg: widget.NewLabel("")}
	p.msg.Wrapping = wrapMode()
	var err error
	if p.list, err = replica.OpenConflicts(w.ctx, w.deps.Store); err != nil {
		p.msg.SetText(messages.Error(err))
	}
	back := widget.NewButtonWithIcon(i18n.T("sync.conflicts.back"), theme.NavigateBackIcon(), func() { sh.show("settings") })
	title := widget.NewLabel(i18n.T("sync.conflicts.title", len(p.list)))
	title.SizeName = theme.SizeNameHeadingText
	title.TextStyle = fyne.TextStyle{Bold: true}
	intro := widget.NewLabel(i18n.T("sync.conflicts.intro"))
	intro.Wrapping = wrapMode()
	top := container.NewVBox(container.NewBorder(nil, nil, back, nil, title), intro, p.msg)
	var body fyne.CanvasObject
	if len(p.list) == 0 {
		none := widget.NewLabel(i18n.T("sync.conflicts.none"))
		none.Wrapping = wrapMode()
		body = none
	} else {
		list := widget.NewList(func() int { return len(p.list) }, func() fyne.CanvasObject {
			a := widget.NewLabel("")
			a.TextStyle = fyne.TextStyle{Bold: true}
			a.Truncation = fyne.TextTruncateEllipsis
			b := widget.NewLabel("")
			b.Truncation = fyne.TextTruncateEllipsis
			return container.NewVBox(a, b)
		}, func(i widget.ListItemID, o fyne.CanvasObject) {
			c := p.list[i]
			box := o.(*fyne.Container)
			box.Objects[0].(*widget.Label).SetText(tableName(c.Table) + " · " + conflictName(c))
			box.Objects[1].(*widget.Label).SetText(clock(c.LoserHLC.Wall(), time.Now()) + " · " + winnerText(c, w.deps.Store.Device))
		})
		list.OnSelected = func(i widget.ListItemID) { p.show(i) }
		split := container.NewHSplit(list, p.detail)
		split.Offset = 0.34
		body = split
		defer list.Select(0)
	}
	sh.body.Objects = []fyne.CanvasObject{container.NewBorder(container.NewPadded(top), nil, nil, nil, container.NewPadded(body))}
	sh.body.Refresh()
	sh.current = "settings"
}

// tableName is a human word for a synced table.
func tableName(t string) string { return trOr("sync.table."+t, t) }

// winnerText says which version was kept.
func winnerText(c replica.Conflict, device string) string {
	if c.WinnerOrigin == device {
		return i18n.T("sync.conflicts.kept_mine")
	}
	return i18n.T("sync.conflicts.kept_other")
}

// show shows conflict i beside the row as it is now.
func (p *conflictsPage) show(i int) {
	p.selected = i
	c := p.list[i]
	cur, have, err := replica.CurrentRow(p.w.ctx, p.w.deps.Store, c)
	if err != nil {
		p.msg.SetText(messages.Error(err))
	}
	cols := map[string]bool{}
	for k := range c.Loser {
		cols[k] = true
	}
	for k := range cur.Fields {
		cols[k] = true
	}
	names := make([]string, 0, len(cols))
	for k := range cols {
		names = append(names, k)
	}
	sort.Strings(names)
	grid := container.NewGridWithColumns(3,
		rsHeading(i18n.T("sync.conflicts.field"), theme.SizeNameText),
		rsHeading(i18n.T("sync.conflicts.theirs"), theme.SizeNameText),
		rsHeading(i18n.T("sync.conflicts.current"), theme.SizeNameText))
	for _, k := range names {
		lv, cv := fieldText(c.Loser[k]), fieldText(cur.Fields[k])
		if c.LoserDeleted {
			lv = i18n.T("sync.conflicts.deleted")
		}
		if !have {
			cv = i18n.T("sync.conflicts.missing")
		} else if cur.Deleted {
			cv = i18n.T("sync.conflicts.deleted")
		}
		a, b := rsWrapped(lv), rsWrapped(cv)
		if lv != cv {
			a.Importance, b.Importance = widget.WarningImportance, widget.HighImportance
			a.TextStyle.Bold = true
		}
		grid.Add(rsWrapped(fieldName(k)))
		grid.Add(a)
		grid.Add(b)
	}
	who := widget.NewLabel(i18n.T("sync.conflicts.when", tableName(c.Table), conflictName(c),
		c.LoserHLC.Wall().Local().Format("2006-01-02 15:04"), winnerText(c, p.w.deps.Store.Device)))
	who.Wrapping = wrapMode()
	keep := widget.NewButtonWithIcon(i18n.T("sync.conflicts.keep"), theme.ConfirmIcon(), func() { p.resolve(false) })
	keep.Importance = widget.HighImportance
	restore := widget.NewButtonWithIcon(i18n.T("sync.conflicts.restore"), theme.HistoryIcon(), func() { p.resolve(true) })
	p.detail.Objects = []fyne.CanvasObject{container.NewBorder(who, container.NewHBox(keep, restore), nil, nil,
		container.NewVScroll(grid))}
	p.detail.Refresh()
}

// resolve keeps the current version or restores the losing one, then
// shows the page again.
func (p *conflictsPage) resolve(restore bool) {
	if p.selected < 0 {
		return
	}
	resolve := replica.KeepCurrent
	if restore {
		resolve = replica.RestoreLoser
	}
	if err := resolve(p.w.ctx, p.w.deps.Store, p.list[p.selected]); err != nil {
		p.msg.Importance = widget.DangerImportance
		p.msg.SetText(i18n.T("sync.conflicts.failed", messages.Error(err)))
		return
	}
	if s, err := replica.ReadStatus(p.w.ctx, p.w.deps.Store); err == nil {
		p.w.sync.status = s
	}
	p.w.sync.show()
	p.w.showConflicts()
}

// fieldName is a human word for a column, where one is known.
func fieldName(col string) string {
	if col == "school_name" {
		col = "school"
	}
	return trOr("sync.field."+col, trOr("research.col."+col, col))
}

// fieldText shows a column value.
func fieldText(v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case string:
		if x == "" {
			return "—"
		}
		return x
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}
