package ui

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/i18n"
	"qiao/messages"
	"qiao/placement"
)

// placementFlow is the sunshine placement screen's state: import → check →
// parameters → ceremony → report. It lives as long as the window, so
// switching sections does not lose a loaded list.
type placementFlow struct {
	w        *window
	box      *fyne.Container // the current step
	roster   *placement.Roster
	source   string   // file name of the list
	problems []string // why the last import was refused
	params   placement.Params
	title    string
	commit   string // commitment published in advance, if any
	result   *placement.Result
	savedID  string
	drawn    time.Time
	step     func() // shows the current step again (after a language change)
}

// placementScreen shows the current step of the flow.
func placementScreen(w *window) fyne.CanvasObject {
	if w.placement == nil {
		w.placement = &placementFlow{w: w, box: container.NewStack(),
			params: placement.Params{BalanceScore: true, BalanceAge: true}, title: i18n.T("placement.default_title")}
		w.placement.step = w.placement.showImport
	}
	w.placement.step()
	return w.placement.box
}

func (f *placementFlow) show(o fyne.CanvasObject) {
	f.box.Objects = []fyne.CanvasObject{o}
	f.box.Refresh()
}

// steps is the row of step names above each step, the current one bold.
func steps(current int) fyne.CanvasObject {
	row := container.NewHBox()
	for i, key := range []string{"placement.step.import", "placement.step.check", "placement.step.params", "placement.step.ceremony", "placement.step.report"} {
		l := widget.NewLabel(fmt.Sprintf("%d %s", i+1, i18n.T(key)))
		if i == current {
			l.TextStyle = fyne.TextStyle{Bold: true}
			l.Importance = widget.HighImportance
		} else {
			l.Importance = widget.LowImportance
		}
		if i > 0 {
			row.Add(widget.NewLabel("›"))
		}
		row.Add(l)
	}
	return row
}

// showImport offers to open an enrolment list or use the sample list.
func (f *placementFlow) showImport() {
	f.step = f.showImport
	intro := widget.NewLabel(i18n.T("placement.import.intro"))
	intro.Wrapping = wrapMode()
	open := widget.NewButtonWithIcon(i18n.T("placement.import.open"), theme.FolderOpenIcon(), f.openList)
	open.Importance = widget.HighImportance
	sample := widget.NewButtonWithIcon(i18n.T("placement.import.sample"), theme.HomeIcon(), func() {
		r := placement.Generate(sampleListSize, 2026)
		for i := 0; i < sampleClasses; i++ {
			r.Teachers = append(r.Teachers, fmt.Sprintf("%s%02d", i18n.T("placement.sample_teacher"), i+1))
		}
		// Through the canonical sort, as an imported list would be.
		f.loaded(r, nil, i18n.T("placement.import.sample_name"))
	})
	f.show(container.NewVBox(steps(0), intro, container.NewHBox(open, sample)))
}

// sampleListSize and sampleClasses make the sample list a realistic first grade.
const (
	sampleListSize = 240
	sampleClasses  = 6
)

// openList asks for a list file and reads it off the UI goroutine.
func (f *placementFlow) openList() {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil || rc == nil {
			return
		}
		name := rc.URI().Name()
		busy := dialog.NewCustomWithoutButtons(i18n.T("placement.import.reading"), widget.NewProgressBarInfinite(), f.w.win)
		busy.Show()
		var r *placement.Roster
		f.w.jobs.async(func() error {
			data, err := io.ReadAll(rc)
			rc.Close()
			if err == nil {
				r, err = placement.Read(name, data)
			}
			return err
		}, func(err error) {
			busy.Hide()
			f.loaded(r, err, name)
		})
	}, f.w.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".xlsx", ".csv"}))
	d.Show()
}

// loaded takes the outcome of an import to the check step.
func (f *placementFlow) loaded(r *placement.Roster, err error, name string) {
	f.roster, f.source, f.problems, f.result = r, name, nil, nil
	if err != nil {
		f.roster = nil
		f.problems = messages.Problems(err)
	}
	if f.roster != nil && f.params.Classes == 0 {
		f.params.Classes = max(1, (len(r.Pupils)+44)/45) // 45 pupils a class is the national limit for primary schools
	}
	f.showCheck()
}

// showCheck lists every problem, or the list's summary and digest.
func (f *placementFlow) showCheck() {
	f.step = f.showCheck
	again := widget.NewButtonWithIcon(i18n.T("placement.check.again"), theme.FolderOpenIcon(), f.showImport)
	if f.roster == nil {
		head := widget.NewLabel(i18n.T("placement.check.refused", f.source, len(f.problems)))
		head.Importance = widget.DangerImportance
		head.Wrapping = wrapMode()
		list := widget.NewList(func() int { return len(f.problems) },
			func() fyne.CanvasObject {
				l := widget.NewLabel("")
				l.Wrapping = wrapMode()
				return l
			},
			func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(f.problems[i]) })
		f.show(container.NewBorder(container.NewVBox(steps(1), head, container.NewHBox(again)), nil, nil, nil, list))
		return
	}
	s := summarize(f.roster)
	form := widget.NewForm(
		row("placement.check.file", f.source),
		row("placement.check.pupils", i18n.T("placement.check.pupils_value", s.pupils, s.boys, s.girls)),
		row("placement.check.scores", i18n.T("placement.check.count", s.scored)),
		row("placement.check.groups", i18n.T("placement.check.groups_value", s.together, s.apart, s.special, s.fixed)),
		row("placement.check.teachers", i18n.T("placement.check.count", len(f.roster.Teachers))),
	)
	digest := digestLabel(placement.Digest(f.roster), theme.SizeNameSubHeadingText)
	copyBtn := widget.NewButtonWithIcon(i18n.T("placement.check.copy"), theme.ContentCopyIcon(), func() {
		f.w.app.Clipboard().SetContent(placement.Digest(f.roster))
	})
	printable := widget.NewButtonWithIcon(i18n.T("placement.check.save_digest"), theme.DocumentPrintIcon(), f.saveDigest)
	teachers := widget.NewButtonWithIcon(i18n.T("placement.check.teachers_file"), theme.AccountIcon(), f.openTeachers)
	next := widget.NewButtonWithIcon(i18n.T("placement.check.next"), theme.NavigateNextIcon(), f.showParams)
	next.Importance = widget.HighImportance
	note := widget.NewLabel(i18n.T("placement.check.digest_note"))
	note.Wrapping = wrapMode()
	f.show(container.NewVBox(steps(1), form,
		widget.NewCard(i18n.T("placement.check.digest"), "", container.NewVBox(digest, note)),
		container.NewHBox(again, teachers), container.NewHBox(copyBtn, printable), container.NewHBox(next)))
}

type rosterSummary struct{ pupils, boys, girls, scored, together, apart, special, fixed int }

func summarize(r *placement.Roster) rosterSummary {
	s := rosterSummary{pupils: len(r.Pupils)}
	groups := map[string]bool{}
	for _, p := range r.Pupils {
		if p.Gender == placement.Male {
			s.boys++
		} else {
			s.girls++
		}
		if p.HasScore {
			s.scored++
		}
		if p.Special {
			s.special++
		}
		if p.Fixed > 0 {
			s.fixed++
		}
		if p.Together != "" && !groups["T"+p.Together] {
			groups["T"+p.Together] = true
			s.together++
		}
		if p.Apart != "" && !groups["A"+p.Apart] {
			groups["A"+p.Apart] = true
			s.apart++
		}
	}
	return s
}

// digestLabel shows a SHA-256 in groups of eight hex digits, for reading aloud.
func digestLabel(hex string, size fyne.ThemeSizeName) *widget.Label {
	var groups []string
	for i := 0; i < len(hex); i += 8 {
		groups = append(groups, hex[i:min(i+8, len(hex))])
	}
	l := widget.NewLabel(strings.Join(groups[:len(groups)/2], " ") + "\n" + strings.Join(groups[len(groups)/2:], " "))
	l.TextStyle = fyne.TextStyle{Monospace: true, Bold: true}
	l.SizeName = size
	l.Selectable = true
	return l
}

// openTeachers reads a separate head-teacher list into the roster; the
// list's digest changes with it, as it must.
func (f *placementFlow) openTeachers() {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil || rc == nil {
			return
		}
		name := rc.URI().Name()
		data, err := io.ReadAll(rc)
		rc.Close()
		var teachers []string
		if err == nil {
			teachers, err = placement.ReadTeachersData(name, data)
		}
		if err != nil {
			dialog.ShowError(fmt.Errorf("%s", strings.Join(messages.Problems(err), "\n")), f.w.win)
			return
		}
		f.roster.Teachers = teachers
		f.showCheck()
	}, f.w.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".xlsx", ".csv"}))
	d.Show()
}

// saveDigest writes a one-page text to print and post before the draw:
// the school, the list's size and its digest.
func (f *placementFlow) saveDigest() {
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil || wc == nil {
			return
		}
		sch, _, _ := f.w.deps.Schools.Current(f.w.ctx)
		s := summarize(f.roster)
		text := i18n.T("placement.check.digest_sheet", sch.Name, f.title, time.Now().Format("2006-01-02 15:04"),
			s.pupils, s.boys, s.girls, len(f.roster.Teachers), placement.Digest(f.roster))
		_, err = io.WriteString(wc, strings.ReplaceAll(text, "\n", "\r\n")) // Notepad on older Windows needs CRLF
		if cerr := wc.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			dialog.ShowError(err, f.w.win)
		}
	}, f.w.win)
	d.SetFileName(i18n.T("placement.check.digest_file") + ".txt")
	d.Show()
}

// showParams asks for the number of classes, the balances, the title and
// an optional commitment.
func (f *placementFlow) showParams() {
	f.step = f.showParams
	classes := widget.NewEntry()
	classes.SetText(fmt.Sprint(f.params.Classes))
	score := widget.NewCheck(i18n.T("placement.params.score"), nil)
	score.SetChecked(f.params.BalanceScore)
	age := widget.NewCheck(i18n.T("placement.params.age"), nil)
	age.SetChecked(f.params.BalanceAge)
	title := entry(f.title, i18n.T("placement.default_title"))
	commit := entry(f.commit, i18n.T("placement.params.commitment_hint"))
	msg := widget.NewLabel("")
	msg.Importance = widget.DangerImportance
	msg.Wrapping = wrapMode()
	back := widget.NewButtonWithIcon(i18n.T("placement.back"), theme.NavigateBackIcon(), f.showCheck)
	next := widget.NewButtonWithIcon(i18n.T("placement.params.next"), theme.MediaPlayIcon(), func() {
		var k int
		if _, err := fmt.Sscan(strings.TrimSpace(classes.Text), &k); err != nil || k < 1 || k > len(f.roster.Pupils) {
			msg.SetText(i18n.T("placement.params.bad_classes", len(f.roster.Pupils)))
			return
		}
		c := strings.ToLower(strings.TrimSpace(commit.Text))
		if c != "" && len(c) != 64 {
			msg.SetText(i18n.T("placement.params.bad_commitment"))
			return
		}
		f.params = placement.Params{Classes: k, BalanceScore: score.Checked, BalanceAge: age.Checked}
		f.title, f.commit = strings.TrimSpace(title.Text), c
		if f.title == "" {
			f.title = i18n.T("placement.default_title")
		}
		f.startCeremony()
	})
	next.Importance = widget.HighImportance
	form := widget.NewForm(
		widget.NewFormItem(i18n.T("placement.params.classes"), classes),
		widget.NewFormItem(i18n.T("placement.params.balance"), container.NewHBox(score, age)),
		widget.NewFormItem(i18n.T("placement.params.title"), title),
		widget.NewFormItem(i18n.T("placement.params.commitment"), commit),
	)
	hint := widget.NewLabel(i18n.T("placement.params.rules"))
	hint.Wrapping = wrapMode()
	f.show(container.NewVBox(steps(2), form, hint, msg, container.NewHBox(back, next)))
}

// showReport shows the balance report, the audit figures and export.
func (f *placementFlow) showReport() {
	f.step = f.showReport
	res := f.result
	head, rows := messages.ReportTable(placement.Balance(f.roster, res))
	table := widget.NewTableWithHeaders(func() (int, int) { return len(rows), len(head) },
		func() fyne.CanvasObject { return widget.NewLabel("2026-12-31 ") },
		func(id widget.TableCellID, o fyne.CanvasObject) {
			l := o.(*widget.Label)
			l.SetText(rows[id.Row][id.Col])
			l.TextStyle.Bold = id.Row == len(rows)-1
		})
	table.ShowHeaderColumn = false
	table.CreateHeader = func() fyne.CanvasObject { return widget.NewLabel("") }
	table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		l := o.(*widget.Label)
		l.TextStyle.Bold = true
		if id.Col >= 0 {
			l.SetText(head[id.Col])
		}
	}
	for i := range head {
		table.SetColumnWidth(i, float32(max(70, 14*len([]rune(head[i]))+24)))
	}
	audit := widget.NewForm(
		row("placement.report.input_digest", res.InputDigest),
		row("placement.report.entropy", res.Entropy),
		row("placement.report.seed", res.Seed),
		row("placement.report.output_digest", res.OutputDigest),
		row("placement.report.algorithm", res.Algorithm),
	)
	export := widget.NewButtonWithIcon(i18n.T("placement.report.export"), theme.DocumentSaveIcon(), f.export)
	export.Importance = widget.HighImportance
	redraw := widget.NewButtonWithIcon(i18n.T("placement.report.redraw"), theme.ViewRefreshIcon(), f.startCeremony)
	newList := widget.NewButtonWithIcon(i18n.T("placement.check.again"), theme.FolderOpenIcon(), f.showImport)
	saved := widget.NewLabel(i18n.T("placement.report.saved"))
	saved.Wrapping = wrapMode()
	top := container.NewVBox(steps(4), container.NewHBox(export, redraw, newList), saved)
	f.show(container.NewBorder(top, audit, nil, nil, table))
}

// export writes the result workbook where the user chooses.
func (f *placementFlow) export() {
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil || wc == nil {
			return
		}
		path := wc.URI().Path()
		sch, _, _ := f.w.deps.Schools.Current(f.w.ctx)
		meta := placement.Meta{School: sch.Name, Title: f.title, QiaoVersion: f.w.deps.Version, Created: f.drawn, Commitment: f.commit}
		f.w.jobs.async(func() error {
			err := placement.WriteXLSX(wc, f.roster, f.result, meta)
			if cerr := wc.Close(); err == nil {
				err = cerr
			}
			return err
		}, func(err error) {
			if err != nil {
				dialog.ShowError(fmt.Errorf("%s", i18n.T("placement.report.export_failed", err)), f.w.win)
				return
			}
			dialog.ShowInformation(i18n.T("placement.report.export"), i18n.T("placement.report.exported", path), f.w.win)
		})
	}, f.w.win)
	d.SetFileName(strings.ReplaceAll(f.title, string(filepath.Separator), "-") + "-" + f.result.OutputDigest[:8] + ".xlsx")
	d.SetFilter(storage.NewExtensionFileFilter([]string{".xlsx"}))
	d.Show()
}
