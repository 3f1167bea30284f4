package ui

import (
	"fmt"
	"io"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/i18n"
	"qiao/research"
)

// assessPage is the yearly assessment of groups, ranked.
type assessPage struct {
	r      *researchUI
	year   int
	years  *yearPicker
	note   *widget.Label
	table  *widget.Table
	scores []research.Score
	rows   [][]string
}

// assessCols are the table's columns: title key and width in ems; the
// group's column (0 ems) takes the width the others leave.
var assessCols = []struct {
	key string
	ems float32
}{
	{"research.assess.rank", 2.8}, {"research.assess.group", 0}, {"research.assess.kind", 6},
	{"research.assess.members", 3}, {"research.assess.activities", 3}, {"research.assess.outputs", 4.8},
	{"research.assess.participation", 4}, {"research.assess.rural", 4.4}, {"research.assess.budget", 4.4},
	{"research.assess.points", 3.6},
}

// assessGroupMin is the least width of the group column, in ems.
const assessGroupMin = 8

// fillTable lays a table out at full size, first sizing its columns from
// assessCols so the group's column fills what is left: no sideways
// scrolling at 1100 px, a scroll bar only when the font is very large.
type fillTable struct{ table *widget.Table }

func (f fillTable) MinSize(objs []fyne.CanvasObject) fyne.Size { return objs[0].MinSize() }

func (f fillTable) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	em, pad := theme.TextSize(), 2*theme.InnerPadding()
	used := theme.ScrollBarSize() + float32(len(assessCols))*theme.SeparatorThicknessSize()
	fill := -1
	for i, c := range assessCols {
		if c.ems == 0 {
			fill = i
			continue
		}
		f.table.SetColumnWidth(i, c.ems*em+pad)
		used += c.ems*em + pad
	}
	if fill >= 0 {
		f.table.SetColumnWidth(fill, fyne.Max(assessGroupMin*em+pad, size.Width-used))
	}
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(size)
}

func (r *researchUI) buildAssess() (fyne.CanvasObject, func()) {
	p := &assessPage{r: r, year: r.st.year}
	p.years = newYearPicker(p.year, func(y int) {
		if y != p.year {
			p.year = y
			p.reload()
		}
	})
	r.assess = p
	p.note = rsWrapped("")
	exp := widget.NewButtonWithIcon(i18n.T("research.assess.export"), theme.DocumentSaveIcon(), func() {
		scores, year := p.scores, p.year
		r.w.saveFile(i18n.T("research.assess.file", year), func(w io.Writer) error { return research.WriteAssessmentXLSX(w, year, scores) })
	})
	p.table = widget.NewTableWithHeaders(func() (int, int) { return len(p.rows), len(assessCols) },
		func() fyne.CanvasObject { return rsCut("") },
		func(id widget.TableCellID, o fyne.CanvasObject) {
			l := o.(*widget.Label)
			l.TextStyle = fyne.TextStyle{Bold: id.Col == 0 || id.Col == len(assessCols)-1}
			l.SetText(p.rows[id.Row][id.Col])
		})
	p.table.ShowHeaderColumn = false
	p.table.CreateHeader = func() fyne.CanvasObject {
		l := rsCut("")
		l.TextStyle = fyne.TextStyle{Bold: true}
		return l
	}
	p.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 {
			o.(*widget.Label).SetText(i18n.T(assessCols[id.Col].key))
		}
	}
	weights := research.DefaultWeights
	how := rsWrapped(i18n.T("research.assess.how", fmtW(weights.Activities), weights.ActivityTarget, fmtW(weights.Outputs),
		fmtW(weights.OutputsPerMember), fmtW(weights.Quality), fmtW(weights.Participation), fmtW(weights.Rural), fmtW(weights.Budget)))
	how.SizeName = theme.SizeNameCaptionText
	top := container.NewVBox(container.NewHBox(p.years.sel, layout.NewSpacer(), exp), p.note)
	return container.NewBorder(top, how, nil, nil, container.New(fillTable{p.table}, p.table)), p.reload
}

func fmtW(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// reload scores the year's groups off the UI goroutine.
func (p *assessPage) reload() {
	r := p.r
	year := p.year
	var all []research.Group
	var scores []research.Score
	p.note.Importance = widget.MediumImportance
	p.note.SetText(i18n.T("research.assess.working"))
	r.async(func() (err error) {
		if all, err = r.svc.Groups(r.w.ctx, 0); err != nil {
			return err
		}
		scores, err = r.svc.Assess(r.w.ctx, year, research.DefaultWeights)
		return err
	}, func(err error) {
		if year != p.year {
			return
		}
		p.years.set(rsYears(all), year)
		if err != nil {
			p.note.Importance = widget.DangerImportance
			p.note.SetText(researchErr(err))
			return
		}
		p.scores = scores
		p.rows = make([][]string, len(scores))
		for i, s := range scores {
			budget := "—"
			if s.Group.Budget > 0 {
				budget = rsPercent(float64(s.Group.Spent) / float64(s.Group.Budget))
			}
			rural := "—"
			if s.RuralMembers > 0 {
				rural = fmt.Sprintf("%d/%d", s.RuralActive, s.RuralMembers)
			}
			p.rows[i] = []string{strconv.Itoa(s.Rank), s.Group.Name, groupKindName(s.Group.Kind), strconv.Itoa(s.Members),
				strconv.Itoa(s.Activities), fmt.Sprintf("%d/%d", s.Accepted, s.Returned), rsPercent(s.Participation),
				rural, budget, strconv.FormatFloat(s.Points, 'f', 1, 64)}
		}
		if len(scores) == 0 {
			p.note.SetText(i18n.T("research.assess.none", year))
		} else {
			p.note.SetText(i18n.T("research.assess.note", year, len(scores)))
		}
		p.table.Refresh()
	})
}
