package ui

import (
	"io"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/i18n"
	"qiao/messages"
	"qiao/research"
)

// activitiesPage is the filtered activity list, read a page at a time,
// with export and import.
type activitiesPage struct {
	r      *researchUI
	groups []research.Group
	group  *widget.Select
	kind   *widget.Select
	from   *widget.Entry
	to     *widget.Entry
	text   *widget.Entry
	count  *widget.Label
	msg    *widget.Label
	pager  *rsPager[research.ActivityRow]
	list   *widget.List
	box    *fyne.Container // the list, or the problems of a refused import
	main   fyne.CanvasObject
	// problems of the last refused import, for tests.
	problems []string
}

// Column weights of the activity list: day, group, kind, length, people, place, notes.
var activityCols = rsCells{-6.5, 2, 1.5, -5.5, -4, 1, 1.3}

func (r *researchUI) buildActivities() (fyne.CanvasObject, func()) {
	p := &activitiesPage{r: r, pager: &rsPager[research.ActivityRow]{r: r}}
	r.activities = p
	p.group = widget.NewSelect(nil, func(string) { p.apply() })
	p.group.PlaceHolder = i18n.T("research.filter.all_groups")
	kinds := []string{i18n.T("research.filter.all_kinds")}
	for _, k := range research.ActivityKinds {
		kinds = append(kinds, activityKindName(k))
	}
	p.kind = widget.NewSelect(kinds, func(string) { p.apply() })
	p.from = entry("", i18n.T("research.filter.from_hint"))
	p.to = entry("", i18n.T("research.filter.to_hint"))
	p.text = entry("", i18n.T("research.filter.text_hint"))
	for _, e := range []*widget.Entry{p.from, p.to, p.text} {
		e.OnSubmitted = func(string) { p.apply() }
	}
	find := widget.NewButtonWithIcon(i18n.T("research.filter.apply"), theme.SearchIcon(), p.apply)
	find.Importance = widget.HighImportance
	clear := widget.NewButtonWithIcon(i18n.T("research.filter.clear"), theme.ContentClearIcon(), func() {
		p.r.st.filter = research.ActivityFilter{}
		p.sync()
	})
	p.count = widget.NewLabel("")
	p.msg = rsWrapped("")
	p.msg.Importance = widget.DangerImportance
	p.msg.Hide()
	imp := widget.NewButtonWithIcon(i18n.T("research.activities.import"), theme.FolderOpenIcon(), p.importLog)
	exp := widget.NewButtonWithIcon(i18n.T("research.activities.export"), theme.DocumentSaveIcon(), p.export)

	p.list = widget.NewList(func() int { return p.pager.n },
		func() fyne.CanvasObject { return rsLabels(activityCols, 7) },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			a, ok := p.pager.item(i)
			if !ok {
				rsSet(o, "…", "", "", "", "", "", "")
				return
			}
			rsSet(o, a.Day, a.GroupName, activityKindName(a.Kind), i18n.T("research.minutes_value", a.Minutes),
				i18n.T("research.people", a.Attendees), placeText(a.Place, a.Online), a.Notes)
		})
	p.list.OnSelected = func(i widget.ListItemID) {
		p.list.Unselect(i)
		if a, ok := p.pager.item(i); ok {
			r.showActivity(a)
		}
	}
	p.pager.list = p.list
	p.pager.counted = func(n int, err error) {
		if err != nil {
			p.say(researchErr(err))
		}
		p.count.SetText(i18n.T("research.activities.count", n))
	}
	row1 := rsRow(rsCells{2, 1, 1.4}, p.group, p.kind, p.text)
	dates := container.NewHBox(widget.NewLabel(i18n.T("research.filter.dates")),
		container.NewStack(minSize(130, 0), p.from), widget.NewLabel("–"), container.NewStack(minSize(130, 0), p.to), find, clear)
	row3 := container.NewHBox(p.count, layout.NewSpacer(), imp, exp)
	top := container.NewVBox(row1, dates, p.msg, row3,
		rsHeader(activityCols, "research.col.day", "research.col.group", "research.col.kind", "research.col.minutes",
			"research.col.attendees", "research.col.place", "research.col.notes"))
	p.main = container.NewBorder(top, nil, nil, nil, p.list)
	p.box = container.NewStack(p.main)
	return p.box, p.shown
}

// shown reads the groups for the filter, then the list.
func (p *activitiesPage) shown() {
	r := p.r
	var groups []research.Group
	r.async(func() (err error) {
		groups, err = r.svc.Groups(r.w.ctx, 0)
		return err
	}, func(err error) {
		if err != nil {
			p.say(researchErr(err))
		}
		p.groups = groups
		names := []string{i18n.T("research.filter.all_groups")}
		for _, g := range groups {
			names = append(names, i18n.T("research.log.group_year", g.Name, g.Year))
		}
		p.group.Options = names
		p.sync()
	})
}

// sync shows the remembered filter in the filter bar and reads the list.
func (p *activitiesPage) sync() {
	f := p.r.st.filter
	on := p.group.OnChanged
	p.group.OnChanged, p.kind.OnChanged = nil, nil
	p.group.SetSelectedIndex(0)
	for i, g := range p.groups {
		if g.ID == f.GroupID {
			p.group.SetSelectedIndex(i + 1)
		}
	}
	p.kind.SetSelectedIndex(0)
	for i, k := range research.ActivityKinds {
		if k == f.Kind {
			p.kind.SetSelectedIndex(i + 1)
		}
	}
	day := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return research.Day(t)
	}
	p.from.SetText(day(f.From))
	p.to.SetText(day(f.To))
	p.text.SetText(f.Text)
	p.group.OnChanged, p.kind.OnChanged = on, on
	p.box.Objects = []fyne.CanvasObject{p.main}
	p.box.Refresh()
	p.reload()
}

// apply reads the filter bar; a date it cannot read is said, not ignored.
func (p *activitiesPage) apply() {
	var f research.ActivityFilter
	if i := p.group.SelectedIndex(); i > 0 && i <= len(p.groups) {
		f.GroupID = p.groups[i-1].ID
	}
	if i := p.kind.SelectedIndex(); i > 0 {
		f.Kind = research.ActivityKinds[i-1]
	}
	var problems []string
	for _, d := range []struct {
		e   *widget.Entry
		t   *time.Time
		key string
	}{{p.from, &f.From, "research.filter.err_from"}, {p.to, &f.To, "research.filter.err_to"}} {
		if strings.TrimSpace(d.e.Text) == "" {
			continue
		}
		t, ok := rsParseDay(d.e.Text)
		if !ok {
			problems = append(problems, i18n.T(d.key, research.Day(rsToday())))
		}
		*d.t = t
	}
	f.Text = strings.TrimSpace(p.text.Text)
	if len(problems) > 0 {
		p.say(strings.Join(problems, "\n"))
		return
	}
	p.say("")
	p.r.st.filter = f
	p.reload()
}

// say shows a problem above the list, or hides the line when there is none.
func (p *activitiesPage) say(text string) {
	p.msg.SetText(text)
	p.msg.Hidden = text == ""
	p.msg.Refresh()
}

// reload reads the count and the first rows of the filtered list.
func (p *activitiesPage) reload() {
	r, f := p.r, p.r.st.filter
	p.list.ScrollToTop()
	p.pager.reset(func() (int, error) { return r.svc.CountActivities(r.w.ctx, f) },
		func(o, l int) ([]research.ActivityRow, error) { return r.svc.Activities(r.w.ctx, f, o, l) })
}

// export writes the filtered list to a workbook.
func (p *activitiesPage) export() {
	r, f := p.r, p.r.st.filter
	r.w.saveFile(i18n.T("research.activities.file", research.Day(rsToday())), func(w io.Writer) error {
		return r.svc.WriteActivitiesXLSX(r.w.ctx, w, f)
	})
}

// importLog reads an activity log; every problem refuses it whole.
func (p *activitiesPage) importLog() {
	r := p.r
	var acts []research.Activity
	r.w.openSheet(func(name string, data []byte) (err error) {
		acts, err = r.svc.ReadActivities(r.w.ctx, name, data)
		return err
	}, func(name string, err error) { p.loaded(name, acts, err) })
}

// loaded shows every problem of a refused log, or asks to import it.
func (p *activitiesPage) loaded(name string, acts []research.Activity, err error) {
	r := p.r
	if err != nil {
		p.problems = messages.Problems(err)
		p.box.Objects = []fyne.CanvasObject{rsProblemsView(i18n.T("research.activities.refused", name, len(p.problems)), p.problems, p.sync)}
		p.box.Refresh()
		return
	}
	p.problems = nil
	dialog.ShowConfirm(i18n.T("research.activities.import"), i18n.T("research.activities.confirm", name, len(acts)), func(ok bool) {
		if !ok {
			return
		}
		r.async(func() error { return r.svc.ImportActivities(r.w.ctx, acts) }, func(err error) {
			if err != nil {
				dialog.ShowError(errorText(researchErr(err)), r.w.win)
				return
			}
			dialog.ShowInformation(i18n.T("research.activities.import"), i18n.T("research.activities.imported", len(acts)), r.w.win)
			p.reload()
		})
	}, r.w.win)
}

// showActivity shows one activity: who took part and its files.
func (r *researchUI) showActivity(a research.ActivityRow) {
	var names []string
	var files []research.Attachment
	r.async(func() error {
		ids, err := r.svc.Attendees(r.w.ctx, a.ID)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if t, err := r.svc.Teacher(r.w.ctx, id); err == nil {
				names = append(names, t.Name)
			}
		}
		files, err = r.svc.Attachments(r.w.ctx, a.ID)
		return err
	}, func(err error) {
		if err != nil {
			dialog.ShowError(errorText(researchErr(err)), r.w.win)
			return
		}
		people := rsWrapped(i18n.T("research.people_names", len(names), strings.Join(names, i18n.T("research.sep"))))
		form := widget.NewForm(
			row("research.col.group", a.GroupName),
			row("research.col.kind", activityKindName(a.Kind)),
			row("research.col.day", a.Day),
			row("research.col.minutes", i18n.T("research.minutes_value", a.Minutes)),
			row("research.col.place", orDash(placeText(a.Place, a.Online))),
			row("research.col.notes", orDash(a.Notes)),
			widget.NewFormItem(i18n.T("research.col.attendees"), people),
		)
		box := container.NewVBox(form)
		if len(files) > 0 {
			box.Add(widget.NewLabel(i18n.T("research.log.files")))
			for _, fl := range files {
				fl := fl
				saveCopy := widget.NewButtonWithIcon(i18n.T("research.file.save_copy"), theme.DownloadIcon(), func() { r.saveCopy(fl.Name, fl.Hash) })
				box.Add(container.NewBorder(nil, nil, nil, saveCopy, rsCut(i18n.T("research.file_value", fl.Name, humanSize(fl.Size)))))
			}
		}
		d := dialog.NewCustom(i18n.T("research.activity.title"), i18n.T("action.close"), container.NewVScroll(box), r.w.win)
		d.Resize(fyne.NewSize(620, 520))
		d.Show()
	})
}

// saveCopy writes a stored file where the user chooses.
func (r *researchUI) saveCopy(name, hash string) {
	if r.w.deps.Files == nil {
		return
	}
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil || wc == nil {
			return
		}
		r.async(func() error {
			src, err := r.w.deps.Files.Open(hash)
			if err == nil {
				_, err = io.Copy(wc, src)
				src.Close()
			}
			if cerr := wc.Close(); err == nil {
				err = cerr
			}
			return err
		}, func(err error) {
			if err != nil {
				dialog.ShowError(errorText(i18n.T("research.export_failed", err)), r.w.win)
			}
		})
	}, r.w.win)
	d.SetFileName(fileSafe.Replace(name))
	d.Show()
}

// teacherPicker finds a teacher by typing part of a name (or code,
// school, subject) and picking from the matches.
type teacherPicker struct {
	r       *researchUI
	search  *widget.Entry
	list    *widget.List
	found   []research.Teacher
	sel     int
	gen     int
	content fyne.CanvasObject
	// note adds what the caller knows about a teacher to their line.
	note func(research.Teacher) string
}

// pickLimit is how many matches the picker lists.
const pickLimit = 60

func newTeacherPicker(r *researchUI, onPick func(research.Teacher)) *teacherPicker {
	tp := &teacherPicker{r: r, sel: -1}
	tp.search = widget.NewEntry()
	tp.search.SetPlaceHolder(i18n.T("research.pick.hint"))
	tp.search.OnChanged = func(string) { tp.find() }
	tp.list = widget.NewList(func() int { return len(tp.found) },
		func() fyne.CanvasObject { return rsCut("") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			t := tp.found[i]
			line := teacherLine(t)
			if tp.note != nil {
				if n := tp.note(t); n != "" {
					line += " · " + n
				}
			}
			o.(*widget.Label).SetText(line)
		})
	tp.list.OnSelected = func(i widget.ListItemID) {
		tp.sel = i
		if onPick != nil && i < len(tp.found) {
			onPick(tp.found[i])
		}
	}
	tp.content = container.NewBorder(tp.search, nil, nil, nil, tp.list)
	tp.find()
	return tp
}

// teacherLine names a teacher with what tells two of a name apart.
func teacherLine(t research.Teacher) string {
	return strings.Join(nonEmpty(t.Name, t.School, t.Subject, t.Stage, t.Code), " · ")
}

func (tp *teacherPicker) find() {
	tp.gen++
	gen, text := tp.gen, tp.search.Text
	var found []research.Teacher
	tp.r.async(func() (err error) {
		found, err = tp.r.svc.Teachers(tp.r.w.ctx, text, pickLimit)
		return err
	}, func(err error) {
		if gen != tp.gen || err != nil {
			return
		}
		tp.found, tp.sel = found, -1
		tp.list.UnselectAll()
		tp.list.Refresh()
	})
}

func (tp *teacherPicker) selected() (research.Teacher, bool) {
	if tp.sel < 0 || tp.sel >= len(tp.found) {
		return research.Teacher{}, false
	}
	return tp.found[tp.sel], true
}
