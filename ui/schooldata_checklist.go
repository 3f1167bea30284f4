package ui

import (
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/i18n"
	"qiao/metrics"
)

// checklistPage is 数字校园自评: for a term, the items by section with
// their maximum points and the school's points and note; the school's own
// items can be added, changed and deleted, the district's only on a
// district administrator's device.
type checklistPage struct {
	w       *window
	env     sdEnv
	gen     int
	terms   []metrics.Term // newest first, as the picker lists them
	term    metrics.Term
	pick    *widget.Select
	list    *fyne.Container
	total   *widget.Label
	msg     *widget.Label
	note    *widget.Label
	current metrics.Checklist
	rows    map[string]*clRow // by item id
	// the add form
	section, title, most *widget.Entry
	forDistrict          *widget.Check // admin devices only
}

// clRow is one item's points and note as being edited.
type clRow struct {
	entry  metrics.ChecklistEntry
	points *widget.Entry
	note   *widget.Entry
	state  *widget.Label
	save   *widget.Button
}

// Column weights: title, maximum, points, note, state, save, edit, delete.
var clCols = rsCells{1, -4, -5, 0.8, -9, -5, -5, -5}

// checklistTerms is how many terms the picker offers, the current first.
const checklistTerms = 6

// The most points an item may be worth.
const clMost = 1000

func (w *window) newChecklistPage(now time.Time) *checklistPage {
	p := &checklistPage{w: w, list: container.NewVBox(), total: widget.NewLabel(""),
		msg: rsWrapped(""), note: rsWrapped(""), rows: map[string]*clRow{}}
	p.total.TextStyle = fyne.TextStyle{Bold: true}
	p.total.SizeName = theme.SizeNameSubHeadingText
	p.msg.Hide()
	p.note.SizeName = theme.SizeNameCaptionText
	last := metrics.TermOf(now).Last(checklistTerms)
	names := make([]string, len(last))
	for i := range last {
		p.terms = append(p.terms, last[len(last)-1-i])
		names[i] = TermName(p.terms[i])
	}
	p.term = p.terms[0]
	p.pick = widget.NewSelect(names, func(string) {
		p.term = p.terms[max(p.pick.SelectedIndex(), 0)]
		p.reload()
	})
	p.section = entry("", i18n.T("schooldata.checklist.section_hint"))
	p.title = entry("", i18n.T("schooldata.checklist.title_hint"))
	p.most = entry("", i18n.T("schooldata.checklist.max_hint"))
	p.forDistrict = widget.NewCheck(i18n.T("schooldata.checklist.for_district"), nil)
	p.forDistrict.Hide()
	p.pick.SetSelectedIndex(0) // reads the current term
	return p
}

func (p *checklistPage) content() fyne.CanvasObject {
	add := widget.NewButtonWithIcon(i18n.T("schooldata.checklist.add"), theme.ContentAddIcon(), p.add)
	addRow := rsRow(rsCells{-10, 1, -6, -8}, p.section, p.title, p.most, add)
	top := container.NewHBox(widget.NewLabel(i18n.T("schooldata.checklist.term")), container.NewStack(minSize(rsEms(14, 0).Width, 0), p.pick),
		layout.NewSpacer(), p.total)
	form := container.NewVBox(widget.NewSeparator(), rsHeading(i18n.T("schooldata.checklist.add_title"), theme.SizeNameText),
		addRow, p.forDistrict, p.note, p.msg)
	body := container.NewVBox(rsHeader(clCols, "schooldata.checklist.col.title", "schooldata.checklist.col.max",
		"schooldata.checklist.col.points", "schooldata.checklist.col.note", "schooldata.inventory.col.state"), p.list, form)
	return container.NewBorder(container.NewVBox(top, widget.NewSeparator()), nil, nil, nil,
		container.NewVScroll(container.NewPadded(body)))
}

// reload reads the term's checklist off the UI goroutine.
func (p *checklistPage) reload() {
	w := p.w
	p.gen++
	gen, term := p.gen, p.term
	var env sdEnv
	var c metrics.Checklist
	w.jobs.async(func() (err error) {
		if env, err = w.schoolDataEnv(); err != nil {
			return err
		}
		c, err = env.svc.Checklist(w.ctx, term)
		return err
	}, func(err error) {
		if gen != p.gen {
			return
		}
		if err != nil {
			sdSay(p.msg, true, sdErr(err))
			return
		}
		p.env, p.current = env, c
		p.fill()
	})
}

// fill lays out the items by section, with the total.
func (p *checklistPage) fill() {
	c := p.current
	p.total.SetText(i18n.T("schooldata.checklist.total", c.Points, c.MaxPoints, strconv.FormatFloat(c.Percent(), 'f', 1, 64)))
	p.rows = map[string]*clRow{}
	p.list.Objects = nil
	section := "\x00"
	for _, e := range c.Entries {
		if e.Item.Section != section {
			section = e.Item.Section
			name := section
			if name == "" {
				name = i18n.T("schooldata.checklist.no_section")
			}
			p.list.Add(rsHeading(name, theme.SizeNameText))
		}
		p.list.Add(p.row(e))
	}
	p.forDistrict.Hidden = !p.env.admin
	p.note.SetText(i18n.T("schooldata.checklist.note_school"))
	if p.env.admin {
		p.note.SetText(i18n.T("schooldata.checklist.note_admin"))
	}
	p.list.Refresh()
}

// editable reports whether this device may change or delete an item: the
// school's own always, the district's on an administrator's device (not
// the built-in ones, which stand while the district has set none).
func (p *checklistPage) editable(it metrics.ChecklistItem) bool {
	if it.SchoolID != "" {
		return true
	}
	return p.env.admin // the built-in items too: a change makes them the district's
}

func (p *checklistPage) row(e metrics.ChecklistEntry) fyne.CanvasObject {
	r := &clRow{entry: e, points: entry("", i18n.T("schooldata.checklist.points_hint", e.Item.MaxPoints)),
		note: entry(e.Note, i18n.T("schooldata.checklist.note_hint")), state: rsCut("")}
	if e.Scored {
		r.points.SetText(strconv.FormatInt(e.Points, 10))
	} else {
		r.state.Importance = widget.LowImportance
		r.state.SetText(i18n.T("schooldata.checklist.not_scored"))
	}
	p.rows[e.Item.ID] = r
	r.points.OnSubmitted = func(string) { p.score(r) }
	r.save = widget.NewButtonWithIcon(i18n.T("schooldata.save"), theme.DocumentSaveIcon(), func() { p.score(r) })
	title := e.Item.Title
	if e.Item.SchoolID != "" {
		title = i18n.T("schooldata.checklist.own", title)
	}
	cells := []fyne.CanvasObject{rsCut(title), rsCut(i18n.T("schooldata.checklist.max", e.Item.MaxPoints)), r.points, r.note, r.state, r.save}
	if p.editable(e.Item) {
		it := e.Item
		cells = append(cells,
			widget.NewButtonWithIcon(i18n.T("schooldata.edit"), theme.DocumentCreateIcon(), func() { p.showEdit(it) }),
			widget.NewButtonWithIcon(i18n.T("schooldata.delete"), theme.DeleteIcon(), func() { p.confirmRemove(it) }))
	}
	return rsRow(clCols, cells...)
}

// score gives an item the typed points (0 up to its maximum), else says
// what to type and writes nothing.
func (p *checklistPage) score(r *clRow) {
	it := r.entry.Item
	n, ok := sdCount(r.points.Text, it.MaxPoints)
	if !ok {
		r.state.Importance = widget.DangerImportance
		r.state.SetText(i18n.T("schooldata.checklist.err_points_short", it.MaxPoints))
		sdSay(p.msg, true, i18n.T("schooldata.checklist.err_points", it.Title, it.MaxPoints))
		return
	}
	term, note := p.term, r.note.Text
	p.write(func() error { return p.env.svc.Score(p.w.ctx, term, it.ID, n, note) },
		i18n.T("schooldata.checklist.scored", it.Title, n, it.MaxPoints))
}

// clItem reads an item's section, title and maximum from entries; problem
// says what to fix.
func clItem(section, title, most string) (it metrics.ChecklistItem, problem string) {
	it.Section, it.Title = strings.TrimSpace(section), strings.TrimSpace(title)
	n, ok := sdCount(most, clMost)
	switch {
	case it.Title == "":
		return it, i18n.T("schooldata.checklist.err_title")
	case !ok || n == 0:
		return it, i18n.T("schooldata.checklist.err_max", clMost)
	}
	it.MaxPoints = n
	return it, ""
}

// add adds an item from the form: the school's own, or the district's
// when an administrator ticks it.
func (p *checklistPage) add() {
	if p.env.svc == nil {
		return
	}
	it, problem := clItem(p.section.Text, p.title.Text, p.most.Text)
	if problem != "" {
		sdSay(p.msg, true, problem)
		return
	}
	svc, owner := p.env.svc, p.env.school
	if p.env.admin && p.forDistrict.Checked {
		svc, owner = p.env.district, ""
	}
	for _, e := range p.current.Entries {
		if e.Item.SchoolID == owner {
			it.Position = max(it.Position, e.Item.Position+1)
		}
	}
	p.write(func() error { _, err := svc.PutItem(p.w.ctx, it); return err }, i18n.T("schooldata.checklist.added", it.Title))
	p.section.SetText("")
	p.title.SetText("")
	p.most.SetText("")
}

// owner is the service that writes an item's rows.
func (p *checklistPage) owner(it metrics.ChecklistItem) *metrics.Service {
	if it.SchoolID == "" {
		return p.env.district
	}
	return p.env.svc
}

// showEdit changes an item's section, title and maximum in a dialog.
func (p *checklistPage) showEdit(it metrics.ChecklistItem) {
	section := entry(it.Section, i18n.T("schooldata.checklist.section_hint"))
	title := entry(it.Title, i18n.T("schooldata.checklist.title_hint"))
	most := entry(strconv.FormatInt(it.MaxPoints, 10), i18n.T("schooldata.checklist.max_hint"))
	problem := rsWrapped("")
	problem.Importance = widget.DangerImportance
	var d dialog.Dialog
	save := widget.NewButtonWithIcon(i18n.T("schooldata.save"), theme.DocumentSaveIcon(), func() {
		changed, msg := clItem(section.Text, title.Text, most.Text)
		if msg != "" {
			problem.SetText(msg)
			return
		}
		changed.ID, changed.Position = it.ID, it.Position
		d.Hide()
		p.edit(p.owner(it), changed)
	})
	save.Importance = widget.HighImportance
	form := widget.NewForm(widget.NewFormItem(i18n.T("schooldata.checklist.col.section"), section),
		widget.NewFormItem(i18n.T("schooldata.checklist.col.title"), title),
		widget.NewFormItem(i18n.T("schooldata.checklist.col.max"), most))
	d = dialog.NewCustomWithoutButtons(i18n.T("schooldata.edit"), container.NewVBox(form, problem,
		container.NewHBox(save, widget.NewButton(i18n.T("schooldata.cancel"), func() { d.Hide() }))), p.w.win)
	d.Resize(rsEms(32, 16))
	d.Show()
}

// edit writes a changed item.
func (p *checklistPage) edit(svc *metrics.Service, it metrics.ChecklistItem) {
	p.write(func() error { _, err := svc.PutItem(p.w.ctx, it); return err }, i18n.T("schooldata.checklist.changed", it.Title))
}

func (p *checklistPage) confirmRemove(it metrics.ChecklistItem) {
	dialog.ShowConfirm(i18n.T("schooldata.delete"), i18n.T("schooldata.checklist.confirm_delete", it.Title), func(ok bool) {
		if ok {
			p.remove(it)
		}
	}, p.w.win)
}

// remove deletes an item (its points no longer count).
func (p *checklistPage) remove(it metrics.ChecklistItem) {
	svc := p.owner(it)
	p.write(func() error { return svc.DeleteItem(p.w.ctx, it.ID) }, i18n.T("schooldata.checklist.deleted", it.Title))
}

// write runs a change off the UI goroutine, says how it went and reloads.
func (p *checklistPage) write(change func() error, done string) {
	p.w.sdWrite(p.msg, change, done, p.reload)
}
