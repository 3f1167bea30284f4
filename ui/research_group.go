package ui

import (
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/i18n"
	"qiao/research"
)

// groupsPage lists the year's groups; the selected one's page is beside it.
type groupsPage struct {
	r       *researchUI
	groups  []research.Group
	years   *yearPicker
	list    *widget.List
	page    *fyne.Container // the group page, the group form, or a hint
	recent  *rsPager[research.ActivityRow]
	members []research.Member // the open group's, for adding members
}

func (r *researchUI) buildGroups() (fyne.CanvasObject, func()) {
	p := &groupsPage{r: r, page: container.NewStack()}
	p.years = newYearPicker(r.st.year, func(y int) {
		if y != r.st.year {
			r.st.year, r.st.groupID = y, ""
			p.reload()
		}
	})
	r.groups = p
	p.list = widget.NewList(func() int { return len(p.groups) }, p.newRow, p.fillRow)
	p.list.OnSelected = func(i widget.ListItemID) {
		if i < len(p.groups) && p.groups[i].ID != r.st.groupID {
			r.st.groupID = p.groups[i].ID
			p.showGroup()
		}
	}
	newGroup := widget.NewButtonWithIcon(i18n.T("research.group.new"), theme.ContentAddIcon(), func() {
		p.list.UnselectAll()
		p.editGroup(research.Group{Kind: research.KindSchoolGroup, Year: r.st.year})
	})
	left := container.NewBorder(container.NewVBox(p.years.sel, rsTall(newGroup)), nil, nil, nil,
		container.New(&fitRows{p: p}, p.list))
	split := container.NewHSplit(left, p.page)
	split.Offset = 0.28
	return split, p.reload
}

// fitRows lays out the group list and, when its width changes, makes
// each row tall enough for its name to wrap onto as many lines as it
// needs (names share long prefixes: the end tells them apart).
type fitRows struct {
	p     *groupsPage
	width float32
}

func (f *fitRows) MinSize(objs []fyne.CanvasObject) fyne.Size { return objs[0].MinSize() }

func (f *fitRows) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(size)
	if size.Width != f.width {
		f.width = size.Width
		f.p.fitHeights()
	}
}

// fitHeights sets each row's height from how many lines its name takes
// at the list's width, by laying out a row with it.
func (p *groupsPage) fitHeights() {
	width := p.list.Size().Width // list items are as wide as the list
	if width <= 0 {
		return
	}
	row := p.newRow()
	for i := range p.groups {
		p.fillRow(i, row)
		row.Resize(fyne.NewSize(width, 1))
		row.Resize(fyne.NewSize(width, row.MinSize().Height)) // the name wraps at the width now known
		p.list.SetItemHeight(i, row.MinSize().Height)
	}
}

// newRow is a row of the group list: the name, wrapping, and its kind.
func (p *groupsPage) newRow() fyne.CanvasObject {
	name := widget.NewLabel("")
	name.TextStyle = fyne.TextStyle{Bold: true}
	name.Wrapping = fyne.TextWrapBreak // long names wrap; fitRows makes room
	sub := rsCut("")
	sub.SizeName = theme.SizeNameCaptionText
	return container.NewVBox(name, sub)
}

func (p *groupsPage) fillRow(i widget.ListItemID, o fyne.CanvasObject) {
	g := p.groups[i]
	box := o.(*fyne.Container).Objects
	box[0].(*widget.Label).SetText(g.Name)
	box[1].(*widget.Label).SetText(strings.Join(nonEmpty(groupKindName(g.Kind), g.Subject), " · "))
}

// nonEmpty keeps the non-blank strings.
func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

// reload reads the year's groups and shows the selected one.
func (p *groupsPage) reload() {
	r := p.r
	var all, groups []research.Group
	year := r.st.year
	r.async(func() (err error) {
		if all, err = r.svc.Groups(r.w.ctx, 0); err != nil {
			return err
		}
		for _, g := range all {
			if g.Year == year {
				groups = append(groups, g)
			}
		}
		return nil
	}, func(err error) {
		if err != nil {
			p.show(rsWrapped(researchErr(err)))
			return
		}
		p.years.set(rsYears(all), year)
		p.groups = groups
		p.list.UnselectAll()
		p.fitHeights()
		p.list.Refresh()
		sel := -1
		for i, g := range groups {
			if g.ID == r.st.groupID {
				sel = i
			}
		}
		if sel < 0 && len(groups) > 0 {
			sel = 0
		}
		if sel < 0 {
			r.st.groupID = ""
			p.show(container.NewVBox(rsWrapped(i18n.T("research.group.none", year))))
			return
		}
		r.st.groupID = groups[sel].ID
		p.list.Select(sel)
		p.list.ScrollTo(sel)
		p.showGroup()
	})
}

func (p *groupsPage) show(o fyne.CanvasObject) {
	p.page.Objects = []fyne.CanvasObject{o}
	p.page.Refresh()
}

// showGroup reads the selected group's page off the UI goroutine and shows it.
func (p *groupsPage) showGroup() {
	r := p.r
	id := r.st.groupID
	var g research.Group
	var members []research.Member
	var comp research.Composition
	r.async(func() (err error) {
		if g, err = r.svc.Group(r.w.ctx, id); err != nil {
			return err
		}
		if members, err = r.svc.Members(r.w.ctx, id); err != nil {
			return err
		}
		comp, err = r.svc.Composition(r.w.ctx, id, research.DefaultTargets)
		return err
	}, func(err error) {
		if id != r.st.groupID {
			return
		}
		if err != nil {
			p.show(rsWrapped(researchErr(err)))
			return
		}
		p.members = members
		p.show(p.groupView(g, members, comp))
	})
}

// groupView is a group's page: facts, actions, composition, members and
// recent activities.
func (p *groupsPage) groupView(g research.Group, members []research.Member, comp research.Composition) fyne.CanvasObject {
	r := p.r
	title := rsHeading(g.Name, theme.SizeNameHeadingText)
	parts := nonEmpty(groupKindName(g.Kind), g.Subject,
		i18n.T("research.group.base_value", orDash(g.BaseSchool)), i18n.T("research.year", g.Year))
	if g.Budget > 0 || g.Spent > 0 {
		budget := i18n.T("research.group.budget_value", rsYuan(g.Budget), rsYuan(g.Spent))
		if g.Budget > 0 {
			budget += i18n.T("research.group.budget_share", rsPercent(float64(g.Spent)/float64(g.Budget)))
		}
		parts = append(parts, budget)
	}
	top := []fyne.CanvasObject{title, rsWrapped(strings.Join(parts, " · "))}
	logBtn := widget.NewButtonWithIcon(i18n.T("research.group.log"), theme.ContentAddIcon(), func() {
		r.st.logGroup = g.ID
		r.show(tabLog)
	})
	logBtn.Importance = widget.HighImportance
	add := widget.NewButtonWithIcon(i18n.T("research.group.add_member"), theme.AccountIcon(), func() { p.addMember(g) })
	edit := widget.NewButtonWithIcon(i18n.T("research.group.edit"), theme.DocumentCreateIcon(), func() { p.editGroup(g) })
	top = append(top, rsTall(container.NewHBox(logBtn, add, edit)))

	// Recent activities: a virtual list, read a page at a time.
	p.recent = &rsPager[research.ActivityRow]{r: r}
	weights := rsCells{-6.5, 1.4, -5.5, -4, 1.4}
	list := widget.NewList(func() int { return p.recent.n },
		func() fyne.CanvasObject { return rsLabels(weights, 5) },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			a, ok := p.recent.item(i)
			if !ok {
				rsSet(o, "…", "", "", "", "")
				return
			}
			rsSet(o, a.Day, activityKindName(a.Kind), i18n.T("research.minutes_value", a.Minutes),
				i18n.T("research.people", a.Attendees), placeText(a.Place, a.Online))
		})
	list.OnSelected = func(i widget.ListItemID) {
		list.Unselect(i)
		if a, ok := p.recent.item(i); ok {
			r.showActivity(a)
		}
	}
	p.recent.list = list
	count := widget.NewLabel("")
	p.recent.counted = func(n int, err error) { count.SetText(i18n.T("research.group.activity_count", n)) }
	f := research.ActivityFilter{GroupID: g.ID}
	p.recent.reset(func() (int, error) { return r.svc.CountActivities(r.w.ctx, f) },
		func(o, l int) ([]research.ActivityRow, error) { return r.svc.Activities(r.w.ctx, f, o, l) })
	all := widget.NewButtonWithIcon(i18n.T("research.group.all_activities"), theme.ListIcon(), func() {
		r.st.filter = research.ActivityFilter{GroupID: g.ID}
		r.show(tabActivities)
	})
	recent := rsCard(i18n.T("research.group.recent"), container.NewBorder(
		container.NewVBox(container.NewHBox(count, layout.NewSpacer(), all),
			rsHeader(weights, "research.col.day", "research.col.kind", "research.col.minutes", "research.col.attendees", "research.col.place")),
		nil, nil, nil, container.NewStack(minSize(0, 230), list)))

	body := container.NewVBox(append(top,
		p.compositionCard(g, comp),
		p.membersCard(g, members),
		recent)...)
	return container.NewVScroll(container.NewPadded(body))
}

// placeText says where an activity was.
func placeText(place string, online bool) string {
	switch {
	case online && place != "":
		return i18n.T("research.online") + " · " + place
	case online:
		return i18n.T("research.online")
	}
	return place
}

// compositionCard reports who is in the group, unmet district targets in
// the danger colour.
func (p *groupsPage) compositionCard(g research.Group, c research.Composition) fyne.CanvasObject {
	t := research.DefaultTargets
	unmet := map[string]bool{}
	for _, f := range c.Unmet {
		unmet[f] = true
	}
	line := func(text string, bad bool) *widget.Label {
		l := rsWrapped(text)
		if bad {
			l.Importance = widget.DangerImportance
			l.TextStyle = fyne.TextStyle{Bold: true}
		}
		return l
	}
	size := i18n.T("research.comp.members_value", c.Members)
	switch lo, hi := t.MinMembers[g.Kind], t.MaxMembers[g.Kind]; {
	case lo > 0 && hi > 0:
		size += i18n.T("research.comp.target_range", lo, hi)
	case lo > 0:
		size += i18n.T("research.comp.target_min", lo)
	}
	rural := i18n.T("research.comp.rural_value", c.Rural, rsPercent(c.RuralShare)) +
		i18n.T("research.comp.target_rural", rsPercent(t.MinRuralShare))
	ages := []string{
		i18n.T("research.comp.age_young", c.AgeTiers[research.TierYoung]),
		i18n.T("research.comp.age_middle", c.AgeTiers[research.TierMiddle]),
		i18n.T("research.comp.age_senior", c.AgeTiers[research.TierSenior]),
	}
	if n := c.AgeTiers[research.TierUnknown]; n > 0 {
		ages = append(ages, i18n.T("research.comp.age_unknown", n))
	}
	counts := func(m map[string]int) string {
		var parts []string
		for _, k := range research.SortedKeys(m) {
			parts = append(parts, i18n.T("research.comp.count", k, m[k]))
		}
		if len(parts) == 0 {
			return "—"
		}
		return strings.Join(parts, i18n.T("research.sep"))
	}
	form := widget.NewForm(
		widget.NewFormItem(i18n.T("research.comp.members"), line(size, unmet[research.FlagTooFew] || unmet[research.FlagTooMany])),
		widget.NewFormItem(i18n.T("research.comp.rural"), line(rural, unmet[research.FlagRuralShare])),
		widget.NewFormItem(i18n.T("research.comp.ages"), line(strings.Join(ages, i18n.T("research.sep")), unmet[research.FlagAgeTier])),
		widget.NewFormItem(i18n.T("research.comp.stages"), line(counts(c.Stages), false)),
		widget.NewFormItem(i18n.T("research.comp.subjects"), line(counts(c.Subjects), false)),
	)
	var verdict *widget.Label
	if len(c.Unmet) == 0 {
		verdict = rsWrapped(i18n.T("research.comp.ok"))
		verdict.Importance = widget.SuccessImportance
	} else {
		names := make([]string, len(c.Unmet))
		for i, f := range c.Unmet {
			names[i] = i18n.T("research.flag." + f)
		}
		verdict = line(i18n.T("research.comp.unmet", strings.Join(names, i18n.T("research.sep"))), true)
	}
	return rsCard(i18n.T("research.comp.title"), container.NewVBox(verdict, form))
}

// membersCard lists the members, hosts first, each with a way out.
func (p *groupsPage) membersCard(g research.Group, members []research.Member) fyne.CanvasObject {
	cellsBox := make([]fyne.CanvasObject, len(members))
	for i, m := range members {
		m := m
		name := rsCut(i18n.T("research.member_value", m.Teacher.Name, roleName(m.Role)))
		name.TextStyle = fyne.TextStyle{Bold: m.Role == research.RoleHost}
		sub := rsCut(strings.Join(nonEmpty(m.Teacher.School, m.Teacher.Subject), " · "))
		sub.SizeName = theme.SizeNameCaptionText
		remove := widget.NewButtonWithIcon("", theme.ContentClearIcon(), func() { p.removeMember(g, m) })
		remove.Importance = widget.LowImportance
		cellsBox[i] = container.NewBorder(nil, nil, nil, remove, container.NewVBox(name, sub))
	}
	var body fyne.CanvasObject = container.NewGridWrap(rsEms(14.3, 4.6), cellsBox...)
	if len(members) == 0 {
		body = rsWrapped(i18n.T("research.group.no_members"))
	}
	return rsCard(i18n.T("research.group.members", len(members)), body)
}

// removeMember asks, then takes a teacher out of the group.
func (p *groupsPage) removeMember(g research.Group, m research.Member) {
	r := p.r
	dialog.ShowConfirm(i18n.T("research.group.remove_title"), i18n.T("research.group.remove_ask", m.Teacher.Name, g.Name), func(ok bool) {
		if !ok {
			return
		}
		r.async(func() error { return r.svc.RemoveMember(r.w.ctx, g.ID, m.Teacher.ID) }, func(err error) {
			if err != nil {
				dialog.ShowError(errorText(researchErr(err)), r.w.win)
				return
			}
			p.showGroup()
		})
	}, r.w.win)
}

// addMember picks a teacher by name and a role, and adds them.
func (p *groupsPage) addMember(g research.Group) {
	r := p.r
	roles := make([]string, len(research.Roles))
	for i, k := range research.Roles {
		roles[i] = roleName(k)
	}
	role := widget.NewSelect(roles, nil)
	role.SetSelectedIndex(1) // member
	msg := rsWrapped("")
	picker := newTeacherPicker(r, nil)
	roleOf := map[string]string{}
	for _, m := range p.members {
		roleOf[m.Teacher.ID] = m.Role
	}
	picker.note = func(t research.Teacher) string {
		if role, ok := roleOf[t.ID]; ok {
			return i18n.T("research.group.already", roleName(role))
		}
		return ""
	}
	var d dialog.Dialog
	add := widget.NewButtonWithIcon(i18n.T("research.group.add"), theme.ContentAddIcon(), func() {
		t, ok := picker.selected()
		if !ok {
			msg.Importance = widget.DangerImportance
			msg.SetText(i18n.T("research.pick_teacher_first"))
			return
		}
		rk := research.Roles[max(role.SelectedIndex(), 0)]
		r.async(func() error { return r.svc.SetMember(r.w.ctx, g.ID, t.ID, rk) }, func(err error) {
			if err != nil {
				msg.Importance = widget.DangerImportance
				msg.SetText(researchErr(err))
				return
			}
			msg.Importance = widget.SuccessImportance
			if _, was := roleOf[t.ID]; was {
				msg.SetText(i18n.T("research.group.role_changed", t.Name, roleName(rk)))
			} else {
				msg.SetText(i18n.T("research.group.added", t.Name))
			}
			roleOf[t.ID] = rk
			picker.list.Refresh()
			p.showGroup()
		})
	})
	add.Importance = widget.HighImportance
	done := widget.NewButton(i18n.T("action.close"), func() { d.Hide() })
	form := widget.NewForm(widget.NewFormItem(i18n.T("research.member.role"), role))
	content := container.NewBorder(nil, container.NewVBox(form, msg, container.NewHBox(layout.NewSpacer(), done, add)), nil, nil, picker.content)
	d = dialog.NewCustomWithoutButtons(i18n.T("research.group.add_member_title", g.Name), content, r.w.win)
	d.Resize(fyne.NewSize(560, 520))
	d.Show()
	r.w.win.Canvas().Focus(picker.search)
}

// editGroup shows the group form in place of the group page.
func (p *groupsPage) editGroup(g research.Group) {
	r := p.r
	name := entry(g.Name, i18n.T("research.group.name_hint"))
	kinds := make([]string, len(research.GroupKinds))
	for i, k := range research.GroupKinds {
		kinds[i] = groupKindName(k)
	}
	kind := widget.NewSelect(kinds, nil)
	kind.SetSelectedIndex(indexOf(research.GroupKinds, g.Kind))
	subject := entry(g.Subject, i18n.T("research.group.subject_hint"))
	base := entry(g.BaseSchool, i18n.T("research.group.base_hint"))
	year := entry(strconv.Itoa(g.Year), "")
	budget := entry(strconv.FormatInt(g.Budget, 10), "")
	spent := entry(strconv.FormatInt(g.Spent, 10), "")
	msg := rsWrapped("")
	msg.Importance = widget.DangerImportance
	form := widget.NewForm(
		widget.NewFormItem(i18n.T("research.group.name"), name),
		widget.NewFormItem(i18n.T("research.group.kind"), kind),
		widget.NewFormItem(i18n.T("research.group.subject"), subject),
		widget.NewFormItem(i18n.T("research.group.base"), base),
		widget.NewFormItem(i18n.T("research.group.year"), year),
		widget.NewFormItem(i18n.T("research.group.budget"), budget),
		widget.NewFormItem(i18n.T("research.group.spent"), spent),
	)
	save := widget.NewButtonWithIcon(i18n.T("action.save"), theme.DocumentSaveIcon(), nil)
	save.Importance = widget.HighImportance
	save.OnTapped = func() {
		var problems []string
		out := g
		out.Name, out.Subject, out.BaseSchool = name.Text, subject.Text, base.Text
		out.Kind = research.GroupKinds[max(kind.SelectedIndex(), 0)]
		if strings.TrimSpace(out.Name) == "" {
			problems = append(problems, i18n.T("research.group.err_name"))
		}
		y, err := strconv.Atoi(strings.TrimSpace(year.Text))
		if err != nil || y < 2000 || y > 2100 {
			problems = append(problems, i18n.T("research.group.err_year"))
		}
		out.Year = y
		money := func(e *widget.Entry, key string) int64 {
			t := strings.TrimSpace(strings.ReplaceAll(e.Text, ",", ""))
			if t == "" {
				return 0
			}
			v, err := strconv.ParseInt(t, 10, 64)
			if err != nil || v < 0 {
				problems = append(problems, i18n.T(key))
			}
			return v
		}
		out.Budget = money(budget, "research.group.err_budget")
		out.Spent = money(spent, "research.group.err_spent")
		if len(problems) > 0 {
			msg.SetText(strings.Join(problems, "\n"))
			return
		}
		save.Disable()
		r.async(func() (err error) {
			out, err = r.svc.SaveGroup(r.w.ctx, out)
			return err
		}, func(err error) {
			save.Enable()
			if err != nil {
				msg.SetText(researchErr(err))
				return
			}
			r.st.year, r.st.groupID = out.Year, out.ID
			p.reload()
		})
	}
	cancel := widget.NewButtonWithIcon(i18n.T("research.cancel"), theme.CancelIcon(), func() {
		if g.ID == "" {
			p.reload()
			return
		}
		p.showGroup()
	})
	titleKey := "research.group.edit_title"
	if g.ID == "" {
		titleKey = "research.group.new_title"
	}
	body := container.NewVBox(rsHeading(i18n.T(titleKey), theme.SizeNameSubHeadingText), form, msg,
		rsTall(container.NewHBox(save, cancel)))
	p.show(container.NewVScroll(container.NewPadded(body)))
	r.w.win.Canvas().Focus(name)
}

// errorText makes an error of a message already in the user's words.
type errorText string

func (e errorText) Error() string { return string(e) }
