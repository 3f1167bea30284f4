package ui

import (
	"math"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/i18n"
	"qiao/metrics"
)

// targetsPage is 目标: the targets in force per stage and where each comes
// from (the defaults or the district), editable only on a district
// administrator's device.
type targetsPage struct {
	w    *window
	env  sdEnv
	gen  int
	keys []string // the indicators shown, in the dashboard's order
	// cells[i][s] is the label of keys[i] for sdStages[s].
	cells [][]*widget.Label
	// in force, by stage, and the district's own targets by stage and indicator
	inForce map[string]metrics.Targets
	set     map[string]map[string]int64
	note    *widget.Label
	msg     *widget.Label
	// the form of an administrator's device
	form      *fyne.Container
	stage     *widget.Select
	indicator *widget.Select
	value     *widget.Entry
}

// sdStages are the stages the table shows, as metrics names them, and
// the keys of their names.
var (
	sdStages     = []string{metrics.Primary, metrics.Junior, metrics.Senior}
	sdStageNames = []string{"schooldata.targets.col.primary", "schooldata.targets.col.junior", "schooldata.targets.col.senior"}
)

// Column weights: indicator, then one per stage.
var targetCols = rsCells{1.4, 1, 1, 1}

func (w *window) newTargetsPage() *targetsPage {
	p := &targetsPage{w: w, note: rsWrapped(""), msg: rsWrapped("")}
	p.msg.Hide()
	for _, k := range metrics.Indicators {
		if _, ok := metrics.DefaultTargets[k]; ok {
			p.keys = append(p.keys, k)
		}
		if k == metrics.CreditsPerTeacher {
			p.keys = append(p.keys, metrics.GroupActivities)
		}
	}
	stages := []string{i18n.T("schooldata.targets.all_stages")}
	for _, k := range sdStageNames {
		stages = append(stages, i18n.T(k))
	}
	p.stage = widget.NewSelect(stages, nil)
	p.stage.SetSelectedIndex(0)
	names := make([]string, len(p.keys))
	for i, k := range p.keys {
		names[i] = targetName(k)
	}
	p.indicator = widget.NewSelect(names, nil)
	p.indicator.SetSelectedIndex(0)
	p.value = entry("", i18n.T("schooldata.targets.value_hint"))
	p.value.OnSubmitted = func(string) { p.save() }
	save := widget.NewButtonWithIcon(i18n.T("schooldata.save"), theme.DocumentSaveIcon(), p.save)
	save.Importance = widget.HighImportance
	clear := widget.NewButtonWithIcon(i18n.T("schooldata.targets.clear"), theme.ContentUndoIcon(), p.clear)
	p.form = container.NewVBox(widget.NewSeparator(), rsHeading(i18n.T("schooldata.targets.set_title"), theme.SizeNameText),
		rsRow(rsCells{-9, 1, -8, -6, -7}, p.stage, p.indicator, p.value, save, clear))
	p.form.Hide()
	p.reload()
	return p
}

func (p *targetsPage) content() fyne.CanvasObject {
	intro := rsWrapped(i18n.T("schooldata.targets.intro"))
	table := container.NewVBox(rsHeader(targetCols, append([]string{"schooldata.targets.col.indicator"}, sdStageNames...)...))
	for _, k := range p.keys {
		row := []*widget.Label{rsCut(targetName(k))}
		objs := []fyne.CanvasObject{row[0]}
		for range sdStages {
			l := rsCut("")
			row = append(row, l)
			objs = append(objs, l)
		}
		p.cells = append(p.cells, row[1:])
		table.Add(rsRow(targetCols, objs...))
	}
	p.note.SizeName = theme.SizeNameCaptionText
	body := container.NewVBox(intro, table, p.form, p.note, p.msg)
	return container.NewVScroll(container.NewPadded(body))
}

// targetName is an indicator's name as the targets table shows it.
func targetName(key string) string {
	if key == metrics.GroupActivities {
		return i18n.T("schooldata.targets.group_activities")
	}
	return IndicatorName(key)
}

// reload reads the targets in force and the district's own off the UI
// goroutine.
func (p *targetsPage) reload() {
	w := p.w
	p.gen++
	gen := p.gen
	var env sdEnv
	inForce := map[string]metrics.Targets{}
	set := map[string]map[string]int64{}
	w.jobs.async(func() (err error) {
		if env, err = w.schoolDataEnv(); err != nil {
			return err
		}
		for _, s := range sdStages {
			if inForce[s], err = metrics.LoadTargets(w.ctx, w.deps.Store.DB, s); err != nil {
				return err
			}
		}
		ts, err := metrics.DistrictTargets(w.ctx, w.deps.Store.DB)
		for _, t := range ts {
			if set[t.Stage] == nil {
				set[t.Stage] = map[string]int64{}
			}
			set[t.Stage][t.Indicator] = t.Value
		}
		return err
	}, func(err error) {
		if gen != p.gen {
			return
		}
		if err != nil {
			sdSay(p.msg, true, sdErr(err))
			return
		}
		p.env, p.inForce, p.set = env, inForce, set
		p.fill()
	})
}

// fill shows each target with where it comes from.
func (p *targetsPage) fill() {
	for i, k := range p.keys {
		for s, stage := range sdStages {
			p.cells[i][s].SetText(i18n.T("schooldata.targets.cell", targetValue(k, p.inForce[stage][k]), p.source(stage, k)))
		}
	}
	p.form.Hidden = !p.env.admin
	p.note.SetText(i18n.T("schooldata.targets.note_school"))
	if p.env.admin {
		p.note.SetText(i18n.T("schooldata.targets.note_admin"))
	}
	p.form.Refresh()
}

// source says where the target of key in force for stage comes from.
func (p *targetsPage) source(stage, key string) string {
	if _, ok := p.set[stage][key]; ok {
		return i18n.T("schooldata.targets.from_district")
	}
	if _, ok := p.set[""][key]; ok {
		return i18n.T("schooldata.targets.from_district_all")
	}
	return i18n.T("schooldata.targets.from_default")
}

// targetValue writes a target in its indicator's unit: credits from
// hundredths, percentages with %.
func targetValue(key string, v int64) string {
	switch key {
	case metrics.CreditsPerTeacher:
		return strconv.FormatFloat(float64(v)/100, 'f', 2, 64)
	case metrics.Participation, metrics.ChecklistScore, metrics.SubjectRate, metrics.LessonRate:
		return strconv.FormatInt(v, 10) + "%"
	}
	return strconv.FormatInt(v, 10)
}

// parseTarget reads a typed target in its indicator's unit (credits with
// up to two decimals); ok is false for anything else.
func parseTarget(key, text string) (int64, bool) {
	text = strings.TrimSuffix(strings.TrimSpace(text), "%")
	if key != metrics.CreditsPerTeacher {
		return sdCount(text, invMost)
	}
	f, err := strconv.ParseFloat(text, 64)
	c := f * 100
	if err != nil || !(f >= 0 && f <= invMost) || math.Abs(c-math.Round(c)) > 1e-6 { // !(…) refuses NaN too
		return 0, false
	}
	return int64(math.Round(c)), true
}

// save sets the target the form names (an administrator's device only).
// picked is the indicator and stage ("" for all) the form names.
func (p *targetsPage) picked() (key, stage string) {
	key = p.keys[max(p.indicator.SelectedIndex(), 0)]
	if i := p.stage.SelectedIndex(); i > 0 {
		stage = sdStages[i-1]
	}
	return key, stage
}

// clear takes the district's target of the form's indicator and stage
// away, so the one underneath (the district's all-stages one, or the
// default) applies again.
func (p *targetsPage) clear() {
	if !p.env.admin {
		return
	}
	key, stage := p.picked()
	p.w.sdWrite(p.msg, func() error { return metrics.ClearTarget(p.w.ctx, p.w.deps.Store, stage, key) },
		i18n.T("schooldata.targets.cleared", p.stage.Selected, targetName(key)), p.reload)
}

func (p *targetsPage) save() {
	if !p.env.admin {
		return
	}
	key, stage := p.picked()
	v, ok := parseTarget(key, p.value.Text)
	if !ok {
		hint := "schooldata.targets.err_value"
		if key == metrics.CreditsPerTeacher {
			hint = "schooldata.targets.err_credits"
		}
		sdSay(p.msg, true, i18n.T(hint))
		return
	}
	t := metrics.Target{Stage: stage, Indicator: key, Value: v}
	p.w.sdWrite(p.msg, func() error { return metrics.SetTarget(p.w.ctx, p.w.deps.Store, t) },
		i18n.T("schooldata.targets.saved", p.stage.Selected, targetName(key), targetValue(key, v)), func() {
			p.value.SetText("")
			p.reload()
		})
}
