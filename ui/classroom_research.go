package ui

import (
	"errors"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/classroom"
	"qiao/i18n"
	"qiao/research"
)

// moreActions are a lesson row's actions beyond scheduling: resume or end
// a lesson left live, log an ended one as a research activity.
func (c *classroomState) moreActions(l classroom.Lesson, reload func(), msg *widget.Label) []fyne.CanvasObject {
	return append(c.staleActions(l, reload, msg), c.researchAction(l)...)
}

// lessonMinutes is how long lesson l really lasted, in whole minutes (at least 1).
func lessonMinutes(l classroom.Lesson) int {
	return max(1, int((l.Ended.Sub(l.Started)+time.Minute-1)/time.Minute))
}

// research is the school's research service.
func (c *classroomState) research() *research.Service {
	sch, _, _ := c.w.deps.Schools.Current(c.w.ctx)
	return research.New(c.w.deps.Store, sch.ID)
}

// researchAction is 记为教研活动 for an ended lesson, or that it is logged.
func (c *classroomState) researchAction(l classroom.Lesson) []fyne.CanvasObject {
	if l.State != classroom.Ended || l.Started.IsZero() {
		return nil
	}
	// The button holds the row's width until the lookup says which to show.
	logB := widget.NewButtonWithIcon(i18n.T("classroom.log_research"), theme.DocumentCreateIcon(), func() { c.showLogResearch(l) })
	logB.Disable()
	done := widget.NewLabelWithStyle(i18n.T("classroom.logged"), fyne.TextAlignTrailing, fyne.TextStyle{Italic: true})
	done.Hide()
	box := container.NewStack(logB, done)
	var logged string
	c.w.jobs.async(func() (err error) {
		logged, err = c.research().LessonActivity(c.w.ctx, l.ID)
		return err
	}, func(err error) {
		switch {
		case err != nil:
			fyne.LogError("classroom: lesson's research activity", err)
		case logged != "":
			logB.Hide()
			done.Show()
		default:
			logB.Enable()
		}
		box.Refresh()
	})
	return []fyne.CanvasObject{box}
}

// showLogResearch is the form that logs ended lesson l as an 观课议课
// activity of a research group: the group, and who took part (its members,
// all ticked).
func (c *classroomState) showLogResearch(l classroom.Lesson) {
	svc := c.research()
	var groups []research.Group
	var members []research.Member
	var checks []*widget.Check
	groupSel := widget.NewSelect(nil, nil)
	groupSel.PlaceHolder = i18n.T("research.log.pick_group")
	attend := container.NewGridWrap(rsEms(8, 2.9))
	msg := rsWrapped("")
	msg.Importance = widget.DangerImportance
	msg.Hide()
	fail := func(text string) {
		msg.SetText(text)
		msg.Show()
	}
	logB := widget.NewButtonWithIcon(i18n.T("classroom.log_do"), theme.DocumentSaveIcon(), nil)
	logB.Importance = widget.HighImportance
	logB.Disable()
	groupSel.OnChanged = func(string) {
		i := groupSel.SelectedIndex()
		if i < 0 || i >= len(groups) {
			return
		}
		id := groups[i].ID
		var ms []research.Member
		logB.Disable()
		c.w.jobs.async(func() (err error) { ms, err = svc.Members(c.w.ctx, id); return err }, func(err error) {
			if groupSel.SelectedIndex() != i {
				return
			}
			if err != nil {
				fail(researchErr(err))
				return
			}
			members, checks = ms, make([]*widget.Check, len(ms))
			attend.Objects = nil
			for k, m := range ms {
				checks[k] = widget.NewCheck(m.Teacher.Name, nil)
				checks[k].Checked = true
				attend.Add(checks[k])
			}
			attend.Refresh()
			logB.Enable()
		})
	}
	logB.OnTapped = func() {
		i := groupSel.SelectedIndex()
		if i < 0 || i >= len(groups) {
			return
		}
		var who []string
		for k, ch := range checks {
			if ch.Checked {
				who = append(who, members[k].Teacher.ID)
			}
		}
		groupID := groups[i].ID
		logB.Disable()
		c.w.jobs.async(func() error {
			_, err := svc.LogLesson(c.w.ctx, groupID, l.ID, l.Started, lessonMinutes(l), who)
			if err == nil {
				_ = c.w.deps.Store.SetSetting(c.w.ctx, lastGroupSetting, groupID)
			}
			return err
		}, func(err error) {
			if err != nil {
				if errors.Is(err, research.ErrLessonLogged) {
					fail(i18n.T("classroom.err.logged"))
				} else {
					fail(researchErr(err))
					logB.Enable()
				}
				return
			}
			c.showLessons()
		})
	}
	back := widget.NewButtonWithIcon(i18n.T("classroom.back"), theme.NavigateBackIcon(), c.showLessons)

	what := i18n.T("classroom.lesson_line", l.Subject, gradeName(l.Grade), l.Title, lessonMinutes(l))
	form := widget.NewForm(widget.NewFormItem(i18n.T("research.log.group"), groupSel))
	c.set(container.NewVBox(
		rsHeading(i18n.T("classroom.log_research"), theme.SizeNameSubHeadingText),
		rsCut(l.Started.Format("2006-01-02 15:04")+"  "+what),
		form,
		rsCard(i18n.T("research.log.attendance"), attend),
		msg,
		container.NewHBox(back, logB)))

	var last string
	c.w.jobs.async(func() error {
		all, err := svc.Groups(c.w.ctx, 0)
		if err != nil {
			return err
		}
		last, _ = c.w.deps.Store.Setting(c.w.ctx, lastGroupSetting, "")
		groups = logGroups(all, time.Now().Year(), last)
		return nil
	}, func(err error) {
		if err != nil {
			fail(researchErr(err))
			return
		}
		if len(groups) == 0 {
			fail(i18n.T("research.log.no_groups"))
			return
		}
		names := make([]string, len(groups))
		pick := 0
		for i, g := range groups {
			names[i] = g.Name
			if g.ID == last {
				pick = i
			}
		}
		groupSel.Options = names
		groupSel.SetSelectedIndex(pick)
	})
}
