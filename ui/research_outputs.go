package ui

import (
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

// outputsPage submits outputs and, for the host, reviews the submitted ones.
type outputsPage struct {
	r *researchUI

	// Submitting.
	teacher   research.Teacher
	who       *widget.Label
	kind      *widget.Select
	title     *widget.Entry
	day       *widget.Entry
	activity  *widget.Select
	acts      []research.ActivityRow
	file      *content.Ref
	fileName  string
	fileLabel *widget.Label
	storing   bool
	msg       *widget.Label
	submitBtn *widget.Button

	// Reviewing.
	pending  []research.Output
	names    map[string]string // teacher names by id
	list     *widget.List
	heading  *widget.Label
	groupSel *widget.Select   // whose outputs: all, or a group's members
	groups   []research.Group // the groups groupSel offers after "all"
	groupID  string
	sel      int
	detail   *widget.Label
	fileBtn  *widget.Button
	comment  *widget.Entry
	accept   *widget.Button
	ret      *widget.Button
	reviewed *widget.Label
}

func (r *researchUI) buildOutputs() (fyne.CanvasObject, func()) {
	p := &outputsPage{r: r, sel: -1, names: map[string]string{}}
	r.outputs = p
	return container.NewGridWithColumns(2, p.submitForm(), p.reviewPanel()), p.shown
}

func (p *outputsPage) shown() { p.reload() }

// submitForm records a new output in the submitted state.
func (p *outputsPage) submitForm() fyne.CanvasObject {
	p.who = rsCut(i18n.T("research.outputs.no_teacher"))
	pick := widget.NewButtonWithIcon(i18n.T("research.outputs.pick"), theme.AccountIcon(), p.pickTeacher)
	kinds := make([]string, len(research.OutputKinds))
	for i, k := range research.OutputKinds {
		kinds[i] = outputKindName(k)
	}
	p.kind = widget.NewSelect(kinds, nil)
	p.title = entry("", i18n.T("research.outputs.title_hint"))
	p.day = entry("", i18n.T("research.day_hint"))
	p.activity = widget.NewSelect(nil, nil)
	p.activity.PlaceHolder = i18n.T("research.outputs.no_activity")
	p.fileLabel = rsCut(i18n.T("research.outputs.no_file"))
	fileBtn := widget.NewButtonWithIcon(i18n.T("research.outputs.file"), theme.FileIcon(), p.pickFile)
	if p.r.w.deps.Files == nil {
		fileBtn.Disable()
	}
	form := widget.NewForm(
		widget.NewFormItem(i18n.T("research.outputs.teacher"), container.NewBorder(nil, nil, nil, pick, p.who)),
		widget.NewFormItem(i18n.T("research.outputs.kind"), p.kind),
		widget.NewFormItem(i18n.T("research.outputs.title"), p.title),
		widget.NewFormItem(i18n.T("research.outputs.day"), p.day),
		widget.NewFormItem(i18n.T("research.outputs.activity"), p.activity),
		widget.NewFormItem(i18n.T("research.outputs.file_label"), container.NewBorder(nil, nil, nil, fileBtn, p.fileLabel)),
	)
	p.msg = rsWrapped("")
	p.submitBtn = widget.NewButtonWithIcon(i18n.T("research.outputs.submit"), theme.UploadIcon(), p.submit)
	p.submitBtn.Importance = widget.HighImportance
	p.clearForm()
	return rsCard(i18n.T("research.outputs.submit_title"), container.NewVScroll(
		container.NewVBox(form, rsTall(container.NewHBox(p.submitBtn)), p.msg)))
}

func (p *outputsPage) clearForm() {
	p.kind.SetSelectedIndex(0)
	p.title.SetText("")
	p.day.SetText(research.Day(rsToday()))
	p.file, p.fileName = nil, ""
	p.fileLabel.SetText(i18n.T("research.outputs.no_file"))
	p.activity.ClearSelected()
}

// pickTeacher chooses the author by name.
func (p *outputsPage) pickTeacher() {
	var d dialog.Dialog
	picker := newTeacherPicker(p.r, func(t research.Teacher) {
		p.setTeacher(t)
		d.Hide()
	})
	d = dialog.NewCustom(i18n.T("research.outputs.pick_title"), i18n.T("research.cancel"), picker.content, p.r.w.win)
	d.Resize(fyne.NewSize(560, 480))
	d.Show()
	p.r.w.win.Canvas().Focus(picker.search)
}

// setTeacher makes t the author and offers the activities they attended.
func (p *outputsPage) setTeacher(t research.Teacher) {
	r := p.r
	p.teacher = t
	p.who.SetText(teacherLine(t))
	var acts []research.ActivityRow
	r.async(func() (err error) {
		acts, err = r.svc.Activities(r.w.ctx, research.ActivityFilter{TeacherID: t.ID}, 0, 30)
		return err
	}, func(err error) {
		if err != nil || p.teacher.ID != t.ID {
			return
		}
		p.acts = acts
		opts := []string{i18n.T("research.outputs.no_activity")}
		for _, a := range acts {
			opts = append(opts, strings.Join([]string{a.Day, activityKindName(a.Kind), a.GroupName}, " · "))
		}
		p.activity.Options = opts
		p.activity.SetSelectedIndex(0)
	})
}

// pickFile copies the output's file into the content store.
func (p *outputsPage) pickFile() {
	r := p.r
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil || rc == nil {
			return
		}
		name := rc.URI().Name()
		path := ""
		if rc.URI().Scheme() == "file" {
			path = rc.URI().Path()
		}
		p.storing = true
		p.fileLabel.SetText(i18n.T("research.log.storing"))
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
			p.storing = false
			if err != nil {
				p.file, p.fileName = nil, ""
				p.fileLabel.SetText(i18n.T("research.outputs.no_file"))
				p.fail(i18n.T("research.log.file_failed", name, err))
				return
			}
			p.file, p.fileName = &ref, name
			p.fileLabel.SetText(i18n.T("research.file_value", name, humanSize(ref.Size)))
		})
	}, r.w.win)
	d.Show()
}

func (p *outputsPage) fail(text string) {
	p.msg.Importance = widget.DangerImportance
	p.msg.SetText(text)
}

// submit checks the form and records the output.
func (p *outputsPage) submit() {
	r := p.r
	var problems []string
	o := research.Output{TeacherID: p.teacher.ID, Title: strings.TrimSpace(p.title.Text),
		Kind: research.OutputKinds[max(p.kind.SelectedIndex(), 0)]}
	if o.TeacherID == "" {
		problems = append(problems, i18n.T("research.pick_teacher_first"))
	}
	if o.Title == "" {
		problems = append(problems, i18n.T("research.outputs.err_title"))
	}
	day, ok := rsParseDay(p.day.Text)
	if !ok {
		problems = append(problems, i18n.T("research.log.err_day", research.Day(rsToday())))
	}
	o.Day = day
	if i := p.activity.SelectedIndex(); i > 0 && i <= len(p.acts) {
		o.ActivityID = p.acts[i-1].ID
	}
	if p.storing {
		problems = append(problems, i18n.T("research.log.err_storing"))
	}
	if p.file != nil {
		o.FileHash = p.file.Hash
	}
	if len(problems) > 0 {
		p.fail(strings.Join(problems, "\n"))
		return
	}
	p.submitBtn.Disable()
	r.async(func() (err error) {
		o, err = r.svc.SubmitOutput(r.w.ctx, o)
		return err
	}, func(err error) {
		p.submitBtn.Enable()
		if err != nil {
			p.fail(researchErr(err))
			return
		}
		p.msg.Importance = widget.SuccessImportance
		p.msg.SetText(i18n.T("research.outputs.submitted", o.Title, p.teacher.Name))
		p.clearForm()
		p.reload()
	})
}

// reviewPanel lists the submitted outputs; the selected one is accepted,
// or returned with a comment.
func (p *outputsPage) reviewPanel() fyne.CanvasObject {
	p.heading = rsHeading("", theme.SizeNameSubHeadingText)
	p.list = widget.NewList(func() int { return len(p.pending) },
		twoLineItem,
		func(i widget.ListItemID, o fyne.CanvasObject) {
			out := p.pending[i]
			box := o.(*fyne.Container).Objects
			box[0].(*widget.Label).SetText(out.Title)
			box[1].(*widget.Label).SetText(strings.Join(nonEmpty(p.names[out.TeacherID], outputKindName(out.Kind), research.Day(out.Day)), " · "))
		})
	p.list.OnSelected = func(i widget.ListItemID) { p.pick(i) }
	p.list.OnUnselected = func(widget.ListItemID) { p.pick(-1) }
	p.detail = rsWrapped("")
	p.comment = widget.NewMultiLineEntry()
	p.comment.SetPlaceHolder(i18n.T("research.review.comment_hint"))
	p.comment.SetMinRowsVisible(2)
	p.comment.Wrapping = fyne.TextWrapWord
	p.accept = widget.NewButtonWithIcon(i18n.T("research.review.accept"), theme.ConfirmIcon(), func() { p.review(research.Accepted) })
	p.accept.Importance = widget.HighImportance
	p.ret = widget.NewButtonWithIcon(i18n.T("research.review.return"), theme.MailReplyIcon(), func() { p.review(research.Returned) })
	p.fileBtn = widget.NewButtonWithIcon(i18n.T("research.file.save_copy"), theme.DownloadIcon(), nil)
	p.reviewed = rsWrapped("")
	p.pick(-1)
	panel := container.NewVBox(widget.NewSeparator(), p.detail, p.comment,
		rsTall(container.NewHBox(p.accept, p.ret, layout.NewSpacer(), p.fileBtn)), p.reviewed)
	p.groupSel = widget.NewSelect([]string{i18n.T("research.filter.all_groups")}, nil)
	p.groupSel.SetSelectedIndex(0)
	p.groupSel.OnChanged = func(string) {
		id := ""
		if i := p.groupSel.SelectedIndex(); i > 0 && i <= len(p.groups) {
			id = p.groups[i-1].ID
		}
		if id != p.groupID {
			p.groupID = id
			p.reload()
		}
	}
	top := container.NewVBox(p.heading, p.groupSel)
	return widget.NewCard("", "", container.NewBorder(top, panel, nil, nil, p.list))
}

// reload reads the outputs waiting for review (of one group's members,
// when a group is chosen) and their authors' names.
func (p *outputsPage) reload() {
	r := p.r
	var pending []research.Output
	var groups []research.Group
	names := map[string]string{}
	groupID := p.groupID
	r.async(func() (err error) {
		if groups, err = r.svc.Groups(r.w.ctx, 0); err != nil {
			return err
		}
		groups = logGroups(groups, time.Now().Year(), groupID)
		if pending, err = r.svc.Outputs(r.w.ctx, "", research.Submitted); err != nil {
			return err
		}
		if groupID != "" {
			members, err := r.svc.Members(r.w.ctx, groupID)
			if err != nil {
				return err
			}
			in := map[string]bool{}
			for _, m := range members {
				in[m.Teacher.ID] = true
			}
			mine := pending[:0]
			for _, o := range pending {
				if in[o.TeacherID] {
					mine = append(mine, o)
				}
			}
			pending = mine
		}
		for _, o := range pending {
			if _, ok := names[o.TeacherID]; !ok {
				if t, err := r.svc.Teacher(r.w.ctx, o.TeacherID); err == nil {
					names[o.TeacherID] = t.Name
				}
			}
		}
		return nil
	}, func(err error) {
		if groupID != p.groupID {
			return
		}
		if err != nil {
			p.reviewed.Importance = widget.DangerImportance
			p.reviewed.SetText(researchErr(err))
			return
		}
		p.groups = groups
		opts := []string{i18n.T("research.filter.all_groups")}
		sel := 0
		for i, g := range groups {
			opts = append(opts, g.Name)
			if g.ID == groupID {
				sel = i + 1
			}
		}
		on := p.groupSel.OnChanged
		p.groupSel.OnChanged = nil
		p.groupSel.Options = opts
		p.groupSel.SetSelectedIndex(sel)
		p.groupSel.OnChanged = on
		p.pending, p.names = pending, names
		p.heading.SetText(i18n.T("research.review.title", len(pending)))
		p.list.UnselectAll()
		p.pick(-1)
		p.list.Refresh()
	})
}

// pick shows output i (or none) in the review panel.
func (p *outputsPage) pick(i int) {
	p.sel = i
	p.comment.SetText("")
	if i < 0 || i >= len(p.pending) {
		p.sel = -1
		p.detail.SetText(i18n.T("research.review.pick"))
		p.accept.Disable()
		p.ret.Disable()
		p.comment.Disable()
		p.fileBtn.Hide()
		return
	}
	o := p.pending[i]
	p.detail.SetText(i18n.T("research.review.detail", o.Title, p.names[o.TeacherID], outputKindName(o.Kind), research.Day(o.Day)))
	p.accept.Enable()
	p.ret.Enable()
	p.comment.Enable()
	if o.FileHash != "" && p.r.w.deps.Files != nil {
		p.fileBtn.OnTapped = func() { p.r.saveCopy(o.Title, o.FileHash) }
		p.fileBtn.Show()
	} else {
		p.fileBtn.Hide()
	}
}

// review accepts or returns the selected output; a return needs a comment
// saying what to improve.
func (p *outputsPage) review(state string) {
	r := p.r
	if p.sel < 0 || p.sel >= len(p.pending) {
		return
	}
	o := p.pending[p.sel]
	comment := strings.TrimSpace(p.comment.Text)
	if state == research.Returned && comment == "" {
		p.reviewed.Importance = widget.DangerImportance
		p.reviewed.SetText(i18n.T("research.err.need_comment"))
		r.w.win.Canvas().Focus(p.comment)
		return
	}
	p.accept.Disable()
	p.ret.Disable()
	r.async(func() error { return r.svc.ReviewOutput(r.w.ctx, o.ID, state, comment) }, func(err error) {
		if err != nil {
			p.accept.Enable()
			p.ret.Enable()
			p.reviewed.Importance = widget.DangerImportance
			p.reviewed.SetText(researchErr(err))
			return
		}
		p.reviewed.Importance = widget.SuccessImportance
		key := "research.review.accepted"
		if state == research.Returned {
			key = "research.review.returned"
		}
		p.reviewed.SetText(i18n.T(key, o.Title, p.names[o.TeacherID]))
		p.reload()
	})
}

// twoLineItem is a list row with a bold title over a caption line.
func twoLineItem() fyne.CanvasObject {
	head := rsCut("")
	head.TextStyle = fyne.TextStyle{Bold: true}
	sub := rsCut("")
	sub.SizeName = theme.SizeNameCaptionText
	return container.NewVBox(head, sub)
}
