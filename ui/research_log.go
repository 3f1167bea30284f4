package ui

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/content"
	"qiao/i18n"
	"qiao/research"
)

// Defaults of a new activity: the commonest kind and length.
const (
	defaultActivityKind = "lesson_prep" // 集体备课
	defaultMinutes      = 90
)

// logForm records an activity in under a minute: everything has a
// default, attendance starts with every member ticked.
type logForm struct {
	r       *researchUI
	groups  []research.Group
	groupID string
	group   *widget.Select
	kinds   []string // the kinds kind offers: built-in, then the district's own
	kind    *widget.Select
	day     *widget.Entry
	minutes *widget.SelectEntry
	place   *widget.Entry
	online  *widget.Check
	notes   *widget.Entry

	members   []research.Member
	membersOf string // the group members were read for
	checks    []*widget.Check
	attend    *fyne.Container
	count     *widget.Label

	files   []research.Attachment
	filesBx *fyne.Container
	storing int

	msg  *widget.Label
	save *widget.Button
}

func (r *researchUI) buildLog() (fyne.CanvasObject, func()) {
	f := &logForm{r: r}
	r.log = f
	f.group = widget.NewSelect(nil, func(string) {
		if i := f.group.SelectedIndex(); i >= 0 && i < len(f.groups) && f.groups[i].ID != f.groupID {
			f.groupID = f.groups[i].ID
			f.loadMembers()
		}
	})
	f.group.PlaceHolder = i18n.T("research.log.pick_group")
	f.kind = widget.NewSelect(nil, nil)
	f.setKinds(nil)
	f.day = entry("", i18n.T("research.day_hint"))
	f.minutes = widget.NewSelectEntry([]string{"45", "60", "90", "120", "180", "240"})
	f.place = entry("", i18n.T("research.log.place_hint"))
	f.online = widget.NewCheck(i18n.T("research.online"), nil)
	f.notes = widget.NewMultiLineEntry()
	f.notes.SetPlaceHolder(i18n.T("research.log.notes_hint"))
	f.notes.SetMinRowsVisible(3)
	f.notes.Wrapping = fyne.TextWrapWord
	f.filesBx = container.NewVBox()
	addFile := widget.NewButtonWithIcon(i18n.T("research.log.add_file"), theme.FileIcon(), f.addFile)
	if r.w.deps.Files == nil {
		addFile.Disable()
	}
	minutesRow := container.NewBorder(nil, nil, nil, widget.NewLabel(i18n.T("research.minutes_unit")), f.minutes)
	form := widget.NewForm(
		widget.NewFormItem(i18n.T("research.log.group"), f.group),
		widget.NewFormItem(i18n.T("research.log.kind"), f.kind),
		widget.NewFormItem(i18n.T("research.log.day"), f.day),
		widget.NewFormItem(i18n.T("research.log.minutes"), minutesRow),
		widget.NewFormItem(i18n.T("research.log.place"), container.NewBorder(nil, nil, nil, f.online, f.place)),
		widget.NewFormItem(i18n.T("research.log.notes"), f.notes),
		widget.NewFormItem(i18n.T("research.log.files"), container.NewVBox(container.NewHBox(addFile), f.filesBx)),
	)

	f.count = widget.NewLabel("")
	f.count.TextStyle = fyne.TextStyle{Bold: true}
	all := widget.NewButton(i18n.T("research.log.all"), func() { f.tickAll(true) })
	none := widget.NewButton(i18n.T("research.log.none"), func() { f.tickAll(false) })
	f.attend = container.NewGridWrap(rsEms(8, 2.9))
	hint := rsWrapped(i18n.T("research.log.attend_hint"))
	hint.SizeName = theme.SizeNameCaptionText
	attendance := rsCard(i18n.T("research.log.attendance"), container.NewVBox(
		container.NewHBox(f.count, layout.NewSpacer(), all, none), hint, f.attend))

	f.msg = rsWrapped("")
	f.save = widget.NewButtonWithIcon(i18n.T("research.log.save"), theme.DocumentSaveIcon(), f.submit)
	f.save.Importance = widget.HighImportance
	f.reset()
	body := container.NewGridWithColumns(2, container.NewVBox(form), attendance)
	bar := container.NewBorder(nil, nil, container.NewStack(minSize(160, rsTouch), f.save), nil, f.msg)
	return container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), bar), nil, nil,
		container.NewVScroll(container.NewPadded(body))), f.shown
}

// setKinds offers the built-in kinds, then the district's own (custom),
// keeping the kind selected.
func (f *logForm) setKinds(custom []string) {
	was := ""
	if i := f.kind.SelectedIndex(); i >= 0 && i < len(f.kinds) {
		was = f.kinds[i]
	}
	f.kinds = append(append([]string{}, research.ActivityKinds...), custom...)
	names := make([]string, len(f.kinds))
	for i, k := range f.kinds {
		names[i] = activityKindName(k)
	}
	f.kind.Options = names
	if was == "" || !slices.Contains(f.kinds, was) {
		was = defaultActivityKind
	}
	f.kind.SetSelectedIndex(indexOf(f.kinds, was))
	f.kind.Refresh()
}

// reset clears the form for the next activity of the same group.
func (f *logForm) reset() {
	f.kind.SetSelectedIndex(indexOf(f.kinds, defaultActivityKind))
	f.day.SetText(research.Day(rsToday()))
	f.minutes.SetText(strconv.Itoa(defaultMinutes))
	f.place.SetText("")
	f.online.SetChecked(false)
	f.notes.SetText("")
	f.files = nil
	f.showFiles()
	f.tickAll(true)
}

// shown reads the groups and picks one: the group asked for, else the
// last group used on this computer, else the first.
func (f *logForm) shown() {
	r := f.r
	var groups []research.Group
	var custom []string
	var last string
	want := r.st.logGroup
	r.st.logGroup = ""
	r.async(func() (err error) {
		all, err := r.svc.Groups(r.w.ctx, 0)
		if err != nil {
			return err
		}
		if custom, err = r.svc.CustomKinds(r.w.ctx, research.TargetActivity); err != nil {
			return err
		}
		last, _ = r.w.deps.Store.Setting(r.w.ctx, lastGroupSetting, "")
		groups = logGroups(all, time.Now().Year(), want, last, f.groupID)
		return nil
	}, func(err error) {
		if err != nil {
			f.fail(researchErr(err))
			return
		}
		f.setKinds(custom)
		f.groups = groups
		names := make([]string, len(groups))
		for i, g := range groups {
			names[i] = g.Name
			if g.Year != time.Now().Year() {
				names[i] = i18n.T("research.log.group_year", g.Name, g.Year)
			}
		}
		pick := f.groupID
		if want != "" {
			pick = want
		} else if pick == "" {
			pick = last
		}
		f.group.Options = names
		idx := -1
		for i, g := range groups {
			if g.ID == pick {
				idx = i
			}
		}
		if idx < 0 && len(groups) > 0 {
			idx = 0
		}
		if idx < 0 {
			f.group.ClearSelected()
			f.fail(i18n.T("research.log.no_groups"))
			return
		}
		if groups[idx].ID != f.groupID {
			f.group.SetSelectedIndex(idx) // loads the members
		} else {
			f.group.Refresh()
			f.loadMembers() // members may have joined or left meanwhile
		}
	})
}

// logGroups offers this year's groups (all groups when there are none yet),
// and the groups asked for, last used or selected even from other years.
func logGroups(all []research.Group, year int, keep ...string) []research.Group {
	var out []research.Group
	for _, g := range all {
		if g.Year == year {
			out = append(out, g)
		}
	}
	if len(out) == 0 {
		return all
	}
	for _, id := range keep {
		if id == "" {
			continue
		}
		found := false
		for _, g := range out {
			found = found || g.ID == id
		}
		for _, g := range all {
			if !found && g.ID == id {
				out = append(out, g)
				found = true
			}
		}
	}
	return out
}

// loadMembers fills the attendance with the group's members, all ticked;
// reloading the same group keeps the ticks already changed.
func (f *logForm) loadMembers() {
	r := f.r
	id := f.groupID
	var members []research.Member
	r.async(func() (err error) {
		members, err = r.svc.Members(r.w.ctx, id)
		return err
	}, func(err error) {
		if id != f.groupID {
			return
		}
		if err != nil {
			f.fail(researchErr(err))
			return
		}
		ticked := map[string]bool{}
		if f.membersOf == id {
			for i, c := range f.checks {
				ticked[f.members[i].Teacher.ID] = c.Checked
			}
		}
		f.members, f.membersOf = members, id
		f.checks = make([]*widget.Check, len(members))
		objs := make([]fyne.CanvasObject, len(members))
		for i, m := range members {
			c := widget.NewCheck(m.Teacher.Name, func(bool) { f.showCount() })
			on, known := ticked[m.Teacher.ID]
			c.Checked = on || !known
			f.checks[i], objs[i] = c, c
		}
		f.attend.Objects = objs
		f.attend.Refresh()
		f.showCount()
	})
}

func (f *logForm) tickAll(on bool) {
	for _, c := range f.checks {
		c.Checked = on
		c.Refresh()
	}
	f.showCount()
}

func (f *logForm) showCount() {
	f.count.SetText(i18n.T("research.log.present", len(f.attendees()), len(f.checks)))
}

// attendees are the ticked members.
func (f *logForm) attendees() []string {
	var out []string
	for i, c := range f.checks {
		if c.Checked {
			out = append(out, f.members[i].Teacher.ID)
		}
	}
	return out
}

// addFile asks for a file and copies it into the content store off the
// UI goroutine.
func (f *logForm) addFile() {
	r := f.r
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil || rc == nil {
			return
		}
		f.storing++
		f.showFiles()
		name := rc.URI().Name()
		path := ""
		if rc.URI().Scheme() == "file" {
			path = rc.URI().Path()
		}
		var ref content.Ref
		r.async(func() (err error) {
			defer rc.Close()
			if path != "" {
				ref, err = r.w.deps.Files.PutFile(path)
			} else {
				ref, err = r.w.deps.Files.Put(rc)
			}
			return err
		}, func(err error) {
			f.storing--
			if err != nil {
				f.fail(i18n.T("research.log.file_failed", name, err))
			} else {
				f.files = append(f.files, research.Attachment{Name: name, Hash: ref.Hash, Size: ref.Size})
			}
			f.showFiles()
		})
	}, r.w.win)
	d.Show()
}

// showFiles lists the attachments, each with a way to drop it.
func (f *logForm) showFiles() {
	objs := []fyne.CanvasObject{}
	for i, a := range f.files {
		i := i
		drop := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() {
			f.files = append(f.files[:i:i], f.files[i+1:]...)
			f.showFiles()
		})
		drop.Importance = widget.LowImportance
		objs = append(objs, container.NewBorder(nil, nil, nil, drop, rsCut(i18n.T("research.file_value", a.Name, humanSize(a.Size)))))
	}
	if f.storing > 0 {
		objs = append(objs, container.NewHBox(widget.NewActivity(), widget.NewLabel(i18n.T("research.log.storing"))))
		objs[len(objs)-1].(*fyne.Container).Objects[0].(*widget.Activity).Start()
	}
	f.filesBx.Objects = objs
	f.filesBx.Refresh()
}

func (f *logForm) fail(text string) {
	f.msg.Importance = widget.DangerImportance
	f.msg.SetText(text)
}

// activity reads the form; problems say what to fix.
func (f *logForm) activity() (research.Activity, []string) {
	var problems []string
	a := research.Activity{GroupID: f.groupID, Place: strings.TrimSpace(f.place.Text), Online: f.online.Checked,
		Notes: strings.TrimSpace(f.notes.Text), Attendees: f.attendees()}
	if a.GroupID == "" {
		problems = append(problems, i18n.T("research.log.err_group"))
	}
	a.Kind = f.kinds[min(max(f.kind.SelectedIndex(), 0), len(f.kinds)-1)]
	day, ok := rsParseDay(f.day.Text)
	switch {
	case !ok:
		problems = append(problems, i18n.T("research.log.err_day", research.Day(rsToday())))
	case day.After(rsToday()):
		problems = append(problems, i18n.T("research.log.err_future", research.Day(rsToday())))
	}
	a.Day = day
	m, err := strconv.Atoi(strings.TrimSpace(f.minutes.Text))
	if err != nil || m < 1 || m > 24*60 {
		problems = append(problems, i18n.T("research.log.err_minutes"))
	}
	a.Minutes = m
	if len(a.Attendees) == 0 && a.GroupID != "" {
		problems = append(problems, i18n.T("research.log.err_attendees"))
	}
	if f.storing > 0 {
		problems = append(problems, i18n.T("research.log.err_storing"))
	}
	return a, problems
}

// submit saves the activity, confirms it and clears the form for the
// next one of the same group, which it remembers on this computer.
func (f *logForm) submit() {
	r := f.r
	a, problems := f.activity()
	if len(problems) > 0 {
		f.fail(strings.Join(problems, "\n"))
		return
	}
	files := f.files
	f.save.Disable()
	f.msg.Importance = widget.MediumImportance
	f.msg.SetText(i18n.T("research.saving"))
	r.async(func() (err error) {
		if a, err = r.svc.LogActivity(r.w.ctx, a, files); err != nil {
			return err
		}
		return r.w.deps.Store.SetSetting(r.w.ctx, lastGroupSetting, a.GroupID)
	}, func(err error) {
		f.save.Enable()
		if err != nil {
			f.fail(researchErr(err))
			return
		}
		f.reset()
		f.msg.Importance = widget.SuccessImportance
		f.msg.SetText(i18n.T("research.log.saved", activityKindName(a.Kind), research.Day(a.Day), f.group.Selected, len(a.Attendees)))
	})
}
