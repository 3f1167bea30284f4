package ui

import (
	"io"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/i18n"
	"qiao/messages"
	"qiao/research"
)

// teachersPage is the searchable roster; a teacher opens their growth archive.
type teachersPage struct {
	r        *researchUI
	search   *widget.Entry
	count    *widget.Label
	list     *widget.List
	found    []research.Teacher
	gen      int
	box      *fyne.Container // the roster, an archive, or the problems of a refused import
	main     fyne.CanvasObject
	problems []string
	// archive is the growth archive on screen, for tests.
	archive *research.Growth
	rules   map[string]map[string]research.Rule
	year    int // the archive's year on screen
}

// Column weights of the roster: name, school, subject, stage, title, rural.
var teacherCols = rsCells{1, 2, 1, 0.7, 1.1, 0.6}

func (r *researchUI) buildTeachers() (fyne.CanvasObject, func()) {
	p := &teachersPage{r: r}
	r.teachers = p
	p.search = widget.NewEntry()
	p.search.SetPlaceHolder(i18n.T("research.teachers.search_hint"))
	p.search.OnChanged = func(string) { p.find() }
	p.count = widget.NewLabel("")
	p.list = widget.NewList(func() int { return len(p.found) },
		func() fyne.CanvasObject { return rsLabels(teacherCols, 6) },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			t := p.found[i]
			rural := ""
			if t.Rural {
				rural = i18n.T("school.rural")
			}
			rsSet(o, t.Name, t.School, t.Subject, t.Stage, t.Title, rural)
		})
	p.list.OnSelected = func(i widget.ListItemID) {
		p.list.Unselect(i)
		if i < len(p.found) {
			p.openArchive(p.found[i].ID)
		}
	}
	imp := widget.NewButtonWithIcon(i18n.T("research.teachers.import"), theme.FolderOpenIcon(), p.importRoster)
	exp := widget.NewButtonWithIcon(i18n.T("research.teachers.export"), theme.DocumentSaveIcon(), p.export)
	top := container.NewVBox(container.NewBorder(nil, nil, nil, container.NewHBox(p.count, imp, exp), p.search),
		rsHeader(teacherCols, "research.col.name", "research.col.school", "research.col.subject", "research.col.stage",
			"research.col.title", "research.col.rural"))
	p.main = container.NewBorder(top, nil, nil, nil, p.list)
	p.box = container.NewStack(p.main)
	return p.box, p.shown
}

// shown reopens the archive left open, or reads the roster.
func (p *teachersPage) shown() {
	if p.r.st.teacher != "" {
		p.openArchive(p.r.st.teacher)
		return
	}
	p.find()
}

// find reads the teachers matching the search off the UI goroutine.
func (p *teachersPage) find() {
	r := p.r
	p.gen++
	gen, text := p.gen, p.search.Text
	var found []research.Teacher
	r.async(func() (err error) {
		found, err = r.svc.Teachers(r.w.ctx, text, 0)
		return err
	}, func(err error) {
		if gen != p.gen {
			return
		}
		if err != nil {
			p.count.SetText(researchErr(err))
			return
		}
		p.found = found
		p.count.SetText(i18n.T("research.teachers.count", len(found)))
		p.list.Refresh()
	})
}

func (p *teachersPage) backToList() {
	p.r.st.teacher, p.archive = "", nil
	p.box.Objects = []fyne.CanvasObject{p.main}
	p.box.Refresh()
	p.find()
}

// importRoster reads a roster; every problem refuses it whole.
func (p *teachersPage) importRoster() {
	r := p.r
	var ts []research.Teacher
	r.w.openSheet(func(name string, data []byte) (err error) {
		ts, err = research.ReadTeachers(name, data)
		return err
	}, func(name string, err error) { p.loaded(name, ts, err) })
}

// loaded shows every problem of a refused roster, or asks to import it.
func (p *teachersPage) loaded(name string, ts []research.Teacher, err error) {
	r := p.r
	if err != nil {
		p.problems = messages.Problems(err)
		p.box.Objects = []fyne.CanvasObject{rsProblemsView(i18n.T("research.teachers.refused", name, len(p.problems)), p.problems, p.backToList)}
		p.box.Refresh()
		return
	}
	p.problems = nil
	dialog.ShowConfirm(i18n.T("research.teachers.import"), i18n.T("research.teachers.confirm", name, len(ts)), func(ok bool) {
		if !ok {
			return
		}
		var added, updated int
		r.async(func() (err error) {
			added, updated, err = r.svc.ImportTeachers(r.w.ctx, ts)
			return err
		}, func(err error) {
			if err != nil {
				dialog.ShowError(errorText(researchErr(err)), r.w.win)
				return
			}
			dialog.ShowInformation(i18n.T("research.teachers.import"), i18n.T("research.teachers.imported", added, updated), r.w.win)
			p.find()
		})
	}, r.w.win)
}

func (p *teachersPage) export() {
	r := p.r
	r.w.saveFile(i18n.T("research.teachers.file", research.Day(rsToday())), func(w io.Writer) error {
		ts, err := r.svc.Teachers(r.w.ctx, "", 0)
		if err != nil {
			return err
		}
		return research.WriteTeachersXLSX(w, ts)
	})
}

// openArchive reads a teacher's growth archive off the UI goroutine (a
// busy teacher has hundreds of activities) and shows it.
func (p *teachersPage) openArchive(id string) {
	r := p.r
	r.st.teacher = id
	loading := container.NewCenter(container.NewVBox(widget.NewProgressBarInfinite(), widget.NewLabel(i18n.T("research.archive.loading"))))
	p.box.Objects = []fyne.CanvasObject{loading}
	p.box.Refresh()
	var g research.Growth
	var rules map[string]map[string]research.Rule
	r.async(func() (err error) {
		if g, err = r.svc.GrowthArchive(r.w.ctx, id); err != nil {
			return err
		}
		rules, err = r.svc.Rules(r.w.ctx)
		return err
	}, func(err error) {
		if r.st.teacher != id {
			return
		}
		if err != nil {
			back := widget.NewButtonWithIcon(i18n.T("research.back"), theme.NavigateBackIcon(), p.backToList)
			p.box.Objects = []fyne.CanvasObject{container.NewVBox(rsWrapped(researchErr(err)), container.NewHBox(back))}
			p.box.Refresh()
			return
		}
		p.archive, p.rules = &g, rules
		p.year = 0
		if len(g.Years) > 0 {
			p.year = g.Years[0].Year
		}
		p.showArchive()
	})
}

// showArchive lays out the growth archive: the teacher and their credits,
// a button per year (newest first), and the year's activities and outputs.
func (p *teachersPage) showArchive() {
	r, g := p.r, p.archive
	t := g.Teacher
	back := widget.NewButtonWithIcon(i18n.T("research.archive.back"), theme.NavigateBackIcon(), p.backToList)
	exp := widget.NewButtonWithIcon(i18n.T("research.archive.export"), theme.DocumentSaveIcon(), func() {
		r.w.saveFile(i18n.T("research.archive.file", t.Name), func(w io.Writer) error { return research.WriteGrowthXLSX(w, *g) })
	})
	exp.Importance = widget.HighImportance
	name := rsHeading(i18n.T("research.archive.title", t.Name), theme.SizeNameHeadingText)
	kind := i18n.T("school.urban")
	if t.Rural {
		kind = i18n.T("school.rural")
	}
	facts := rsWrapped(strings.Join(nonEmpty(t.School, t.Stage, t.Subject, t.Title, kind, t.Code), " · "))
	total := rsHeading(i18n.T("research.archive.total", research.FormatCredits(g.Credits)), theme.SizeNameSubHeadingText)
	total.Importance = widget.HighImportance
	total.Wrapping = fyne.TextWrapOff // it sits beside the year buttons
	top := []fyne.CanvasObject{container.NewBorder(nil, nil, back, exp, name), facts}
	if len(g.Years) == 0 {
		top = append(top, total, rsWrapped(i18n.T("research.archive.empty")))
		p.box.Objects = []fyne.CanvasObject{container.NewVScroll(container.NewVBox(top...))}
		p.box.Refresh()
		return
	}
	years := container.NewHBox()
	var y research.GrowthYear
	for _, gy := range g.Years {
		gy := gy
		b := widget.NewButton(i18n.T("research.archive.year_button", gy.Year, research.FormatCredits(gy.ActivityCredits+gy.OutputCredits)), func() {
			p.year = gy.Year
			p.showArchive()
		})
		if gy.Year == p.year {
			b.Importance = widget.HighImportance
			y = gy
		}
		years.Add(rsTall(b))
	}
	accepted := 0
	for _, o := range y.Outputs {
		if o.State == research.Accepted {
			accepted++
		}
	}
	summary := rsWrapped(i18n.T("research.archive.year_summary", y.Year,
		len(y.Activities), research.FormatCredits(y.ActivityCredits),
		len(y.Outputs), accepted, research.FormatCredits(y.OutputCredits),
		research.FormatCredits(y.ActivityCredits+y.OutputCredits)))
	summary.TextStyle = fyne.TextStyle{Bold: true}
	top = append(top, container.NewBorder(nil, nil, total, nil, container.NewHScroll(years)), summary)

	actCols := rsCells{-6.5, 2.2, 1.2, -5.5, -6}
	acts := widget.NewList(func() int { return len(y.Activities) },
		func() fyne.CanvasObject { return rsLabels(actCols, 5) },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			a := y.Activities[i]
			rsSet(o, a.Day, a.Group, activityKindName(a.Kind), i18n.T("research.minutes_value", a.Minutes), creditsText(a.Credits))
		})
	outs := widget.NewList(func() int { return len(y.Outputs) },
		twoLineItem,
		func(i widget.ListItemID, o fyne.CanvasObject) {
			out := y.Outputs[i]
			box := o.(*fyne.Container).Objects
			box[0].(*widget.Label).SetText(out.Title)
			state := stateName(out.State)
			if out.State == research.Accepted {
				state += " · " + creditsText(research.OutputCredits(p.rules, out.Kind, out.State))
			}
			if out.Comment != "" {
				state += " · " + out.Comment
			}
			sub := box[1].(*widget.Label)
			sub.SetText(strings.Join([]string{research.Day(out.Day), outputKindName(out.Kind), state}, " · "))
			sub.Importance = widget.MediumImportance
			if out.State == research.Returned {
				sub.Importance = widget.DangerImportance
			}
			sub.Refresh()
		})
	actCard := container.NewBorder(container.NewVBox(
		rsHeading(i18n.T("research.archive.activities", len(y.Activities), research.FormatCredits(y.ActivityCredits)), theme.SizeNameText),
		rsHeader(actCols, "research.col.day", "research.col.group", "research.col.kind", "research.col.minutes", "research.col.credits")),
		nil, nil, nil, acts)
	outCard := container.NewBorder(
		rsHeading(i18n.T("research.archive.outputs", len(y.Outputs), research.FormatCredits(y.OutputCredits)), theme.SizeNameText),
		nil, nil, nil, outs)
	split := container.NewHSplit(actCard, outCard)
	split.Offset = 0.64
	p.box.Objects = []fyne.CanvasObject{container.NewBorder(container.NewVBox(top...), nil, nil, nil, split)}
	p.box.Refresh()
}
