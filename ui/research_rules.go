package ui

import (
	"regexp"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/i18n"
	"qiao/research"
)

// rulesPage sets the credit rules: what each activity kind and output kind
// earns, the built-in kinds and the district's own.
type rulesPage struct {
	r    *researchUI
	gen  int
	acts *rulesSection
	outs *rulesSection
	msg  *widget.Label
	save *widget.Button
	body *container.Scroll
}

// rulesSection is the rules of one target (activities or outputs), with a
// way to add a district kind.
type rulesSection struct {
	p       *rulesPage
	target  string
	cells   rsCells
	rows    []*ruleRow
	box     *fyne.Container
	name    *widget.Entry
	credits *widget.Entry
	perHour *widget.Check // activities only
	addBtn  *widget.Button
	msg     *widget.Label
}

// ruleRow is one kind's rule as read, and as being edited.
type ruleRow struct {
	kind    string
	orig    research.Rule
	credits *widget.Entry
	perHour *widget.Check // activities only
	err     *widget.Label
}

func (r *researchUI) buildRules() (fyne.CanvasObject, func()) {
	p := &rulesPage{r: r}
	r.rules = p
	p.acts = p.newSection(research.TargetActivity)
	p.outs = p.newSection(research.TargetOutput)
	note := rsWrapped(i18n.T("research.rules.note"))
	note.SizeName = theme.SizeNameCaptionText
	p.msg = rsWrapped("")
	p.save = widget.NewButtonWithIcon(i18n.T("research.rules.save"), theme.DocumentSaveIcon(), p.submit)
	p.save.Importance = widget.HighImportance
	body := container.NewGridWithColumns(2,
		container.NewVBox(p.acts.card(i18n.T("research.rules.activities"), i18n.T("research.rules.add_activity"))),
		container.NewVBox(p.outs.card(i18n.T("research.rules.outputs"), i18n.T("research.rules.add_output"))))
	bar := container.NewBorder(nil, nil, container.NewStack(minSize(160, rsTouch), p.save), nil, p.msg)
	p.body = container.NewVScroll(container.NewPadded(body))
	return container.NewBorder(note, container.NewVBox(widget.NewSeparator(), bar), nil, nil, p.body), p.reload
}

func (p *rulesPage) newSection(target string) *rulesSection {
	s := &rulesSection{p: p, target: target, cells: rsCells{1, -5}, box: container.NewVBox()}
	s.name = entry("", i18n.T("research.rules.name_hint"))
	s.credits = entry("", i18n.T("research.rules.credits_hint"))
	if target == research.TargetActivity {
		s.cells = rsCells{1, -5, -7}
		s.perHour = widget.NewCheck(i18n.T("research.rules.per_hour"), nil)
	}
	s.msg = rsWrapped("")
	s.msg.Hide()
	return s
}

// card is the section: a header, a row per kind and the add form.
func (s *rulesSection) card(title, addTitle string) fyne.CanvasObject {
	keys := []string{"research.rules.kind", "research.rules.credits"}
	extra := []fyne.CanvasObject{s.credits}
	if s.perHour != nil {
		keys = append(keys, "research.rules.basis")
		extra = append(extra, s.perHour)
	}
	s.addBtn = widget.NewButtonWithIcon(i18n.T("research.rules.add"), theme.ContentAddIcon(), s.add)
	addRow := rsRow(s.cells, append([]fyne.CanvasObject{s.name}, extra...)...)
	return rsCard(title, container.NewVBox(rsHeader(s.cells, keys...), s.box, widget.NewSeparator(),
		rsHeading(addTitle, theme.SizeNameText), addRow, container.NewHBox(s.addBtn), s.msg))
}

// reload reads the rules in force and the district's kinds off the UI goroutine.
func (p *rulesPage) reload() {
	r := p.r
	p.gen++
	gen := p.gen
	var rules map[string]map[string]research.Rule
	var acts, outs []string
	p.say(widget.MediumImportance, i18n.T("research.rules.loading"))
	r.async(func() (err error) {
		if rules, err = r.svc.Rules(r.w.ctx); err != nil {
			return err
		}
		if acts, err = r.svc.CustomKinds(r.w.ctx, research.TargetActivity); err != nil {
			return err
		}
		outs, err = r.svc.CustomKinds(r.w.ctx, research.TargetOutput)
		return err
	}, func(err error) {
		if gen != p.gen {
			return
		}
		if err != nil {
			p.say(widget.DangerImportance, researchErr(err))
			return
		}
		p.acts.fill(rules, append(append([]string{}, research.ActivityKinds...), acts...))
		p.outs.fill(rules, append(append([]string{}, research.OutputKinds...), outs...))
		p.relayout()
		p.say(widget.MediumImportance, "")
	})
}

// relayout lays the page out again after rows come or go.
func (p *rulesPage) relayout() {
	p.body.Content.Refresh()
	p.body.Refresh()
}

func (p *rulesPage) say(imp widget.Importance, text string) {
	p.msg.Importance = imp
	p.msg.SetText(text)
}

// fill shows a row for each of kinds.
func (s *rulesSection) fill(rules map[string]map[string]research.Rule, kinds []string) {
	s.rows = nil
	s.box.Objects = nil
	for _, k := range kinds {
		s.addRow(k, rules[s.target][k])
	}
	s.box.Refresh()
}

func (s *rulesSection) addRow(kind string, rule research.Rule) {
	row := &ruleRow{kind: kind, orig: rule, credits: widget.NewEntry(), err: rsWrapped("")}
	row.credits.SetText(research.FormatCredits(rule.Credits))
	row.err.Importance = widget.DangerImportance
	row.err.SizeName = theme.SizeNameCaptionText
	row.err.Hide()
	objs := []fyne.CanvasObject{rsCut(s.kindName(kind)), row.credits}
	if s.perHour != nil {
		row.perHour = widget.NewCheck(i18n.T("research.rules.per_hour"), nil)
		row.perHour.SetChecked(rule.PerHour)
		objs = append(objs, row.perHour)
	}
	s.rows = append(s.rows, row)
	s.box.Add(container.NewVBox(rsRow(s.cells, objs...), row.err))
}

func (s *rulesSection) kindName(kind string) string {
	if s.target == research.TargetActivity {
		return activityKindName(kind)
	}
	return outputKindName(kind)
}

// rule reads a row; false when its credits are not valid.
func (row *ruleRow) rule() (research.Rule, bool) {
	c, ok := parseCredits(row.credits.Text)
	out := research.Rule{Credits: c, PerHour: row.perHour != nil && row.perHour.Checked}
	if ok {
		row.err.Hide()
	} else {
		row.err.SetText(i18n.T("research.rules.err_credits"))
		row.err.Show()
	}
	return out, ok
}

// credited matches credits as people type them: 1, 1.5, 0.25.
var credited = regexp.MustCompile(`^[0-9]{1,4}(\.[0-9]{1,2})?$`)

// parseCredits reads credits written as a decimal into hundredths;
// negative, non-numeric or finer than a hundredth is refused.
func parseCredits(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if !credited.MatchString(s) {
		return 0, false
	}
	whole, frac, _ := strings.Cut(s, ".")
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt((frac + "00")[:2], 10, 64)
	return w*100 + f, true
}

// changed is a rule to write.
type changedRule struct {
	row    *ruleRow
	target string
	rule   research.Rule
}

// submit writes the changed rules off the UI goroutine; nothing is written
// while any row is not valid.
func (p *rulesPage) submit() {
	r := p.r
	var changed []changedRule
	bad := 0
	for _, s := range []*rulesSection{p.acts, p.outs} {
		for _, row := range s.rows {
			rule, ok := row.rule()
			if !ok {
				bad++
			} else if rule != row.orig {
				changed = append(changed, changedRule{row, s.target, rule})
			}
		}
	}
	p.relayout() // notes came or went
	if bad > 0 {
		p.say(widget.DangerImportance, i18n.T("research.rules.err_rows", bad))
		return
	}
	if len(changed) == 0 {
		p.say(widget.MediumImportance, i18n.T("research.rules.unchanged"))
		return
	}
	p.save.Disable()
	p.say(widget.MediumImportance, i18n.T("research.saving"))
	r.async(func() error {
		for _, c := range changed {
			if err := r.svc.SetRule(r.w.ctx, c.target, c.row.kind, c.rule); err != nil {
				return err
			}
		}
		return nil
	}, func(err error) {
		p.save.Enable()
		if err != nil {
			p.say(widget.DangerImportance, researchErr(err))
			return
		}
		for _, c := range changed {
			c.row.orig = c.rule
		}
		p.say(widget.SuccessImportance, i18n.T("research.rules.saved", len(changed)))
	})
}

// add writes the rule of a new district kind off the UI goroutine and
// lists it.
func (s *rulesSection) add() {
	r := s.p.r
	fail := func(text string) {
		s.msg.Importance = widget.DangerImportance
		s.msg.SetText(text)
		s.msg.Show()
		s.p.relayout()
	}
	name := strings.TrimSpace(s.name.Text)
	kind := research.Custom(name)
	var problems []string
	if name == "" {
		problems = append(problems, i18n.T("research.rules.err_name"))
	}
	for _, row := range s.rows {
		if name != "" && (row.kind == kind || s.kindName(row.kind) == name) {
			problems = append(problems, i18n.T("research.rules.err_exists", name))
			break
		}
	}
	c, ok := parseCredits(s.credits.Text)
	if !ok {
		problems = append(problems, i18n.T("research.rules.err_credits"))
	}
	if len(problems) > 0 {
		fail(strings.Join(problems, "\n"))
		return
	}
	rule := research.Rule{Credits: c, PerHour: s.perHour != nil && s.perHour.Checked}
	s.msg.Importance = widget.MediumImportance
	s.msg.SetText(i18n.T("research.saving"))
	s.msg.Show()
	s.p.relayout()
	r.async(func() error { return r.svc.SetRule(r.w.ctx, s.target, kind, rule) }, func(err error) {
		if err != nil {
			fail(researchErr(err))
			return
		}
		s.addRow(kind, rule)
		s.box.Refresh()
		s.p.relayout()
		s.name.SetText("")
		s.credits.SetText("")
		if s.perHour != nil {
			s.perHour.SetChecked(false)
		}
		s.msg.Importance = widget.SuccessImportance
		s.msg.SetText(i18n.T("research.rules.added", name, research.FormatCredits(c)))
	})
}
