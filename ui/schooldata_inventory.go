package ui

import (
	"io"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/i18n"
	"qiao/messages"
	"qiao/metrics"
)

// inventoryPage is 设备清单: the counts the records cannot know (terminals,
// classrooms, teachers and pupils), entered in place or imported from .xlsx.
type inventoryPage struct {
	w     *window
	env   sdEnv
	gen   int
	rows  []*invRow
	items []metrics.InventoryItem // as entered, in InventoryKinds' order
	known *widget.Label           // what the records already know
	msg   *widget.Label
	box   *fyne.Container // the form, or the problems of a refused import
	main  fyne.CanvasObject
	// problems of the last refused import, for tests.
	problems []string
}

// invRow is one kind: its count and note as being edited.
type invRow struct {
	kind    string
	count   *widget.Entry
	note    *widget.Entry
	state   *widget.Label // 未填写, or what is wrong with the typed count
	save    *widget.Button
	del     *widget.Button
	entered bool
}

// Column weights: kind, count, note, state, save, delete.
var invCols = rsCells{-8, -7, 1, -10, -6, -6}

// The most an inventory count may be, as the importer allows.
const invMost = 1_000_000

func (w *window) newInventoryPage() *inventoryPage {
	p := &inventoryPage{w: w, known: rsWrapped(""), msg: rsWrapped("")}
	p.msg.Hide()
	intro := rsWrapped(i18n.T("schooldata.inventory.intro"))
	imp := widget.NewButtonWithIcon(i18n.T("schooldata.inventory.import"), theme.FolderOpenIcon(), p.pickSheet)
	tmpl := widget.NewButtonWithIcon(i18n.T("schooldata.inventory.template"), theme.DownloadIcon(), p.saveTemplate)
	list := container.NewVBox(rsHeader(invCols, "schooldata.inventory.col.kind", "schooldata.inventory.col.count",
		"schooldata.inventory.col.note", "schooldata.inventory.col.state", "schooldata.col.actions"))
	for _, k := range metrics.InventoryKinds {
		r := &invRow{kind: k.Kind, count: entry("", i18n.T("schooldata.inventory.count_hint")),
			note: entry("", i18n.T("schooldata.inventory.note_hint")), state: rsCut("")}
		r.count.OnSubmitted = func(string) { p.save(r) }
		r.save = widget.NewButtonWithIcon(i18n.T("schooldata.save"), theme.DocumentSaveIcon(), func() { p.save(r) })
		r.del = widget.NewButtonWithIcon(i18n.T("schooldata.delete"), theme.DeleteIcon(), func() { p.confirmRemove(r) })
		p.rows = append(p.rows, r)
		list.Add(rsRow(invCols, rsCut(i18n.T("schooldata.kind."+k.Kind)), r.count, r.note, r.state, r.save, r.del))
	}
	p.known.SizeName = theme.SizeNameCaptionText
	top := container.NewBorder(nil, nil, nil, container.NewHBox(imp, tmpl), intro)
	body := container.NewVBox(list, widget.NewSeparator(), p.known, p.msg)
	p.main = container.NewBorder(top, nil, nil, nil, container.NewVScroll(container.NewPadded(body)))
	p.box = container.NewStack(p.main)
	p.reload()
	return p
}

// reload reads the entered counts and what the records know this term,
// off the UI goroutine.
func (p *inventoryPage) reload() {
	w := p.w
	p.gen++
	gen := p.gen
	var env sdEnv
	var items []metrics.InventoryItem
	var roster, rooms int64
	w.jobs.async(func() (err error) {
		if env, err = w.schoolDataEnv(); err != nil {
			return err
		}
		if items, err = env.svc.InventoryItems(w.ctx); err != nil {
			return err
		}
		roster, rooms, err = recordsKnow(w, env.school, metrics.TermOf(time.Now()))
		return err
	}, func(err error) {
		if gen != p.gen {
			return
		}
		if err != nil {
			sdSay(p.msg, true, sdErr(err))
			return
		}
		p.env, p.items = env, items
		p.fill()
		p.known.SetText(i18n.T("schooldata.inventory.known", roster, rooms))
	})
}

// recordsKnow is what the records say where the inventory is silent: the
// teachers on the research roster and the classroom devices that held
// synchronous lessons in term (docs/INDICATORS.md).
func recordsKnow(w *window, school string, term metrics.Term) (roster, rooms int64, err error) {
	m, err := metrics.Load(w.ctx, w.deps.Store.DB, []string{school}, metrics.Filter{Term: term}, []metrics.Span{term.Span()})
	if err != nil {
		return 0, 0, err
	}
	a := *m[school][0]
	a.Inventory = nil // count the devices, not the entered classrooms
	return a.Teachers, metrics.Classrooms(&a), nil
}

// fill shows the entered counts; a kind not entered is blank.
func (p *inventoryPage) fill() {
	by := map[string]metrics.InventoryItem{}
	for _, it := range p.items {
		by[it.Kind] = it
	}
	for _, r := range p.rows {
		it, ok := by[r.kind]
		r.entered = ok
		r.count.SetText("")
		r.note.SetText(it.Note)
		if ok {
			r.count.SetText(strconv.FormatInt(it.Count, 10))
		}
		p.rowState(r, "")
	}
}

// rowState shows a row's problem, or 未填写 for a kind not entered.
func (p *inventoryPage) rowState(r *invRow, problem string) {
	r.state.Importance = widget.DangerImportance
	if problem == "" {
		r.state.Importance = widget.LowImportance
		if !r.entered {
			problem = i18n.T("schooldata.inventory.not_entered")
		}
	}
	r.state.SetText(problem)
	r.del.Disable()
	if r.entered {
		r.del.Enable()
	}
}

// save enters a row's count: a whole number from 0, else the row says
// what to type and nothing is written.
func (p *inventoryPage) save(r *invRow) {
	if p.env.svc == nil {
		return
	}
	n, ok := sdCount(r.count.Text, invMost)
	if !ok {
		p.rowState(r, i18n.T("schooldata.inventory.err_count"))
		sdSay(p.msg, true, i18n.T("schooldata.inventory.err_count_long", i18n.T("schooldata.kind."+r.kind), strings.TrimSpace(r.count.Text)))
		return
	}
	it := metrics.InventoryItem{Kind: r.kind, Count: n, Note: r.note.Text}
	p.write(func() error { return p.env.svc.PutInventory(p.w.ctx, it) },
		i18n.T("schooldata.inventory.saved", i18n.T("schooldata.kind."+r.kind), n))
}

func (p *inventoryPage) confirmRemove(r *invRow) {
	name := i18n.T("schooldata.kind." + r.kind)
	dialog.ShowConfirm(i18n.T("schooldata.delete"), i18n.T("schooldata.inventory.confirm_delete", name), func(ok bool) {
		if ok {
			p.remove(r.kind)
		}
	}, p.w.win)
}

// remove forgets an entered count: the indicators fall back to what the
// records know, or show no value.
func (p *inventoryPage) remove(kind string) {
	if p.env.svc == nil {
		return
	}
	p.write(func() error { return p.env.svc.DeleteInventory(p.w.ctx, kind) },
		i18n.T("schooldata.inventory.deleted", i18n.T("schooldata.kind."+kind)))
}

// write runs a change off the UI goroutine, says how it went and reloads.
func (p *inventoryPage) write(change func() error, done string) {
	p.w.sdWrite(p.msg, change, done, p.reload)
}

// pickSheet asks for an .xlsx or .csv inventory and imports it.
func (p *inventoryPage) pickSheet() {
	if p.env.svc != nil {
		p.w.openSheet(p.importer())
	}
}

// importSheet imports the sheet name with its bytes, off the UI goroutine
// (what pickSheet does once a file is chosen).
func (p *inventoryPage) importSheet(name string, data []byte) {
	read, done := p.importer()
	p.w.jobs.async(func() error { return read(name, data) }, func(err error) { done(name, err) })
}

// importer is an import's two halves: read enters a sheet (all or
// nothing), off the UI goroutine; done shows the outcome on it.
func (p *inventoryPage) importer() (read func(name string, data []byte) error, done func(name string, err error)) {
	var items []metrics.InventoryItem
	svc := p.env.svc
	return func(name string, data []byte) (err error) {
			items, err = svc.ImportInventory(p.w.ctx, name, data)
			return err
		}, func(name string, err error) {
			p.imported(name, items, err)
		}
}

// imported shows every problem of a refused sheet (nothing was entered),
// or what was entered.
func (p *inventoryPage) imported(name string, items []metrics.InventoryItem, err error) {
	if err != nil {
		p.problems = messages.Problems(err)
		p.box.Objects = []fyne.CanvasObject{rsProblemsView(i18n.T("schooldata.inventory.refused", name, len(p.problems)), p.problems, p.back)}
		p.box.Refresh()
		return
	}
	p.problems = nil
	names := make([]string, len(items))
	for i, it := range items {
		names[i] = i18n.T("schooldata.inventory.item", i18n.T("schooldata.kind."+it.Kind), it.Count)
	}
	sdSay(p.msg, false, i18n.T("schooldata.inventory.imported", name, len(items), strings.Join(names, i18n.T("schooldata.list_sep"))))
	p.reload()
}

// back leaves a refused import's problems for the form.
func (p *inventoryPage) back() {
	p.box.Objects = []fyne.CanvasObject{p.main}
	p.box.Refresh()
}

// saveTemplate writes the import template, with the counts entered so far.
func (p *inventoryPage) saveTemplate() {
	items := p.items
	p.w.saveFile(i18n.T("schooldata.inventory.template_file"), func(wr io.Writer) error {
		return metrics.WriteInventoryTemplate(wr, items...)
	})
}
