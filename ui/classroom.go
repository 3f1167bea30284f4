package ui

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/classroom"
	"qiao/i18n"
)

// classroomState is the synchronous classroom section's state, kept across
// section switches: the live lesson (if any) goes on while another section
// is shown. Its fields are used on the UI goroutine only.
type classroomState struct {
	w    *window
	svc  *classroom.Service
	root *fyne.Container // the section's content: the lesson list or a live screen
	live *liveLesson     // the lesson this classroom takes part in, nil if none
	lan  *lanRelay       // the relay of this PC's LAN lessons, once one has started
	recs *classroom.Recordings
	rp   *replay // the recording being replayed, nil if none
}

// classroomScreen is the 同步课堂 section: this week's lessons, scheduling,
// joining a lesson of another classroom, and the live lesson screens.
func classroomScreen(w *window) fyne.CanvasObject {
	sch, _, _ := w.deps.Schools.Current(w.ctx)
	if w.classroom == nil {
		w.classroom = &classroomState{w: w, svc: classroom.New(w.deps.Store, sch.ID)}
		w.classroom.recoverRecordings()
	} else if w.classroom.live == nil && w.classroom.svc.SchoolID() != sch.ID {
		w.classroom.svc = classroom.New(w.deps.Store, sch.ID) // enrolment gave the school its district id
		w.classroom.recs = nil                                // it keeps recordings for the old service
	}
	c := w.classroom
	c.root = container.NewStack()
	if c.live != nil {
		c.showLive()
	} else if c.rp != nil {
		c.set(c.rp.object)
	} else {
		c.showLessons()
	}
	return c.root
}

func (c *classroomState) set(o fyne.CanvasObject) {
	c.root.Objects = []fyne.CanvasObject{o}
	c.root.Refresh()
}

// weekRange returns this week, Monday 00:00 to the next Monday.
func weekRange(now time.Time) (time.Time, time.Time) {
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	off := (int(day.Weekday()) + 6) % 7
	from := day.AddDate(0, 0, -off)
	return from, from.AddDate(0, 0, 7)
}

// showLessons shows the lesson list with the schedule and join forms.
func (c *classroomState) showLessons() {
	list := container.NewVBox()
	msg := rsWrapped("")
	msg.Hide()
	var reload func()
	reload = func() {
		var lessons []classroom.Lesson
		from, to := weekRange(time.Now())
		c.w.jobs.async(func() error {
			var err error
			lessons, err = c.svc.Lessons(c.w.ctx, from, to)
			return err
		}, func(err error) {
			list.Objects = nil
			if err != nil {
				list.Add(rsWrapped(i18n.T("classroom.err.load", err)))
			} else if len(lessons) == 0 {
				list.Add(rsWrapped(i18n.T("classroom.none")))
			}
			for _, l := range lessons {
				list.Add(c.lessonRow(l, reload, msg))
			}
			list.Refresh()
		})
	}
	reload()
	schedule := c.scheduleForm(reload)
	join := c.joinForm()
	openRec := widget.NewButtonWithIcon(i18n.T("classroom.replay.open_file"), theme.FolderOpenIcon(), func() { c.chooseRecording(msg) })
	lessons := rsCard(i18n.T("classroom.week"), container.NewVBox(msg, list, container.NewHBox(openRec)))
	right := container.NewVBox(rsCard(i18n.T("classroom.join"), join))
	c.set(container.NewVBox(
		container.NewGridWithColumns(2, rsCard(i18n.T("classroom.schedule"), schedule), right),
		lessons))
}

// lessonRow is one lesson of the week with its actions.
func (c *classroomState) lessonRow(l classroom.Lesson, reload func(), msg *widget.Label) fyne.CanvasObject {
	when := l.Starts.Format("01-02 15:04")
	what := i18n.T("classroom.lesson_line", l.Subject, gradeName(l.Grade), l.Title, l.Minutes)
	info := container.NewVBox(rsCut(when+"  "+what),
		rsCut(i18n.T("classroom.code_line", l.Code, i18n.T("classroom.state."+l.State))))
	if rec := c.recordingLine(l); rec != nil {
		info.Add(rec)
	}
	var actions []fyne.CanvasObject
	if l.State == classroom.Scheduled {
		start := widget.NewButtonWithIcon(i18n.T("classroom.start"), theme.MediaPlayIcon(), func() { c.startHost(l) })
		start.Importance = widget.HighImportance
		cancel := widget.NewButton(i18n.T("classroom.cancel"), func() {
			c.w.jobs.async(func() error { _, err := c.svc.Cancel(c.w.ctx, l.ID); return err }, func(err error) {
				if err != nil {
					msg.SetText(classroomErr(err))
					msg.Show()
				}
				reload()
			})
		})
		actions = append(actions, cancel, start)
	}
	if l.State == classroom.Ended && l.Recording != "" {
		actions = append(actions, widget.NewButtonWithIcon(i18n.T("classroom.replay.open"), theme.MediaVideoIcon(), func() { c.openRecordingOf(l, msg) }))
	}
	actions = append(actions, c.moreActions(l, reload, msg)...)
	return container.NewVBox(container.NewBorder(nil, nil, nil, container.NewCenter(container.NewHBox(actions...)), info), widget.NewSeparator())
}

// gradeName names grade g (1–12).
func gradeName(g int) string {
	if g >= 1 && g <= len(gradeKeys) {
		return i18n.T(gradeKeys[g-1])
	}
	return i18n.T("classroom.grade_n", g)
}

// gradeKeys name grades as teachers say them: 三年级, 高一 ….
var gradeKeys = [...]string{"grade.1", "grade.2", "grade.3", "grade.4", "grade.5", "grade.6",
	"grade.7", "grade.8", "grade.9", "grade.10", "grade.11", "grade.12"}

// classroomErr turns a classroom error into a translated message.
func classroomErr(err error) string {
	switch {
	case errors.Is(err, classroom.ErrSubject):
		return i18n.T("classroom.err.subject")
	case errors.Is(err, classroom.ErrGrade):
		return i18n.T("classroom.err.grade")
	case errors.Is(err, classroom.ErrMinutes):
		return i18n.T("classroom.err.minutes")
	case errors.Is(err, classroom.ErrStarts):
		return i18n.T("classroom.err.starts")
	case errors.Is(err, classroom.ErrState):
		return i18n.T("classroom.err.state")
	case errors.Is(err, classroom.ErrNotFound):
		return i18n.T("classroom.err.not_found")
	}
	return i18n.T("classroom.err.other", err)
}

// startLayout is how a start time is typed.
const startLayout = "2006-01-02 15:04"

// fieldErr is a red message under a form field, hidden while there is none.
func fieldErr() *widget.Label {
	l := rsWrapped("")
	l.Importance = widget.DangerImportance
	l.Hide()
	return l
}

func showErr(l *widget.Label, text string) {
	l.SetText(text)
	l.Show()
}

// scheduleForm schedules a lesson of this school.
func (c *classroomState) scheduleForm(reload func()) fyne.CanvasObject {
	subject := entry("", i18n.T("classroom.subject_hint"))
	title := entry("", i18n.T("classroom.title_hint"))
	grades := make([]string, 12)
	for i := range grades {
		grades[i] = gradeName(i + 1)
	}
	grade := widget.NewSelect(grades, nil)
	grade.PlaceHolder = i18n.T("classroom.grade_pick")
	next := time.Now().Truncate(time.Hour).Add(time.Hour)
	starts := entry(next.Format(startLayout), startLayout)
	minutes := entry("40", "")
	eSubject, eGrade, eStarts, eMinutes := fieldErr(), fieldErr(), fieldErr(), fieldErr()
	done := rsWrapped("")
	done.Hide()
	form := widget.NewForm(
		widget.NewFormItem(i18n.T("classroom.subject"), container.NewVBox(subject, eSubject)),
		widget.NewFormItem(i18n.T("classroom.grade"), container.NewVBox(grade, eGrade)),
		widget.NewFormItem(i18n.T("classroom.title"), title),
		widget.NewFormItem(i18n.T("classroom.starts"), container.NewVBox(starts, eStarts)),
		widget.NewFormItem(i18n.T("classroom.minutes"), container.NewVBox(minutes, eMinutes)),
	)
	viaDistrict := c.venueChoice(form)
	save := widget.NewButtonWithIcon(i18n.T("classroom.schedule_do"), theme.ContentAddIcon(), nil)
	save.Importance = widget.HighImportance
	save.OnTapped = func() {
		for _, l := range []*widget.Label{eSubject, eGrade, eStarts, eMinutes} {
			l.Hide()
		}
		done.Hide()
		u, _ := c.w.deps.Schools.User(c.w.ctx)
		l := classroom.Lesson{Subject: subject.Text, Title: title.Text, Grade: grade.SelectedIndex() + 1, Teacher: u.Name}
		bad := false
		if t, err := time.ParseInLocation(startLayout, strings.TrimSpace(starts.Text), time.Local); err == nil {
			l.Starts = t
		} else {
			showErr(eStarts, i18n.T("classroom.err.starts_format", startLayout))
			bad = true
		}
		if n, err := strconv.Atoi(strings.TrimSpace(minutes.Text)); err == nil {
			l.Minutes = n
		}
		// The service's own checks, each shown next to its field.
		if strings.TrimSpace(l.Subject) == "" {
			showErr(eSubject, i18n.T("classroom.err.subject"))
			bad = true
		}
		if l.Grade < 1 {
			showErr(eGrade, i18n.T("classroom.err.grade"))
			bad = true
		}
		if l.Minutes < 1 || l.Minutes > 240 {
			showErr(eMinutes, i18n.T("classroom.err.minutes"))
			bad = true
		}
		if bad {
			return
		}
		var saved classroom.Lesson
		c.w.jobs.async(func() error {
			var err error
			saved, err = c.svc.Schedule(c.w.ctx, l)
			if err == nil && viaDistrict() {
				err = c.w.deps.Store.SetSetting(c.w.ctx, venueKey(saved.ID), venueDistrict)
			}
			return err
		}, func(err error) {
			switch {
			case errors.Is(err, classroom.ErrSubject):
				showErr(eSubject, classroomErr(err))
			case errors.Is(err, classroom.ErrGrade):
				showErr(eGrade, classroomErr(err))
			case errors.Is(err, classroom.ErrMinutes):
				showErr(eMinutes, classroomErr(err))
			case errors.Is(err, classroom.ErrStarts):
				showErr(eStarts, classroomErr(err))
			case err != nil:
				showErr(done, classroomErr(err))
			default:
				showErr(done, i18n.T("classroom.scheduled", saved.Code))
				subject.SetText("")
				title.SetText("")
				reload()
			}
		})
	}
	return container.NewVBox(form, done, container.NewHBox(save))
}

// joinForm joins a lesson hosted by another classroom on the LAN.
func (c *classroomState) joinForm() fyne.CanvasObject {
	enrolled := c.enrolled() // a code alone joins through the district server
	addr := entry("", i18n.T("classroom.addr_hint"))
	if enrolled {
		addr.SetPlaceHolder(i18n.T("classroom.addr_hint_district"))
	}
	code := entry("", i18n.T("classroom.code_hint"))
	eAddr, eCode := fieldErr(), fieldErr()
	form := widget.NewForm(
		widget.NewFormItem(i18n.T("classroom.addr"), container.NewVBox(addr, eAddr)),
		widget.NewFormItem(i18n.T("classroom.code"), container.NewVBox(code, eCode)),
	)
	join := widget.NewButtonWithIcon(i18n.T("classroom.join_do"), theme.LoginIcon(), func() {
		eAddr.Hide()
		eCode.Hide()
		a, k := strings.TrimSpace(addr.Text), strings.TrimSpace(code.Text)
		bad := false
		if (a == "" && !enrolled) || strings.ContainsAny(a, " /") {
			showErr(eAddr, i18n.T("classroom.err.addr"))
			bad = true
		}
		if len(k) < classroom.CodeLen || strings.Trim(k, "0123456789") != "" {
			showErr(eCode, i18n.T("classroom.err.code"))
			bad = true
		}
		if !bad {
			c.startRemote(a, k)
		}
	})
	join.Importance = widget.HighImportance
	note := rsWrapped(i18n.T("classroom.join_note"))
	return container.NewVBox(note, form, container.NewHBox(join))
}
