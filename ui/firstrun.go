package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/i18n"
	"qiao/school"
)

// firstRun asks for the school and the user's role, or offers the sample
// school, so the app is never empty.
func (w *window) firstRun() fyne.CanvasObject {
	title := widget.NewLabel(i18n.T("firstrun.title"))
	title.SizeName = theme.SizeNameHeadingText
	title.TextStyle = fyne.TextStyle{Bold: true}
	intro := widget.NewLabel(i18n.T("firstrun.intro"))
	intro.Wrapping = wrapMode()
	form := newProfileForm(school.School{}, school.User{Role: school.Teacher})
	msg := widget.NewLabel("")
	msg.Importance = widget.DangerImportance
	msg.Wrapping = wrapMode()
	start := widget.NewButtonWithIcon(i18n.T("firstrun.start"), theme.ConfirmIcon(), func() {
		if err := w.saveProfile(form); err != nil {
			msg.SetText(err.Error())
			return
		}
		w.refresh()
	})
	start.Importance = widget.HighImportance
	sample := widget.NewButtonWithIcon(i18n.T("firstrun.sample"), theme.HomeIcon(), func() {
		if err := w.deps.UseSample(w.ctx); err != nil {
			msg.SetText(i18n.T("settings.save_failed", err))
			return
		}
		w.refresh()
	})
	display := displayForm(w.prefs, w.applyDisplay)
	body := container.NewVBox(title, intro, widget.NewSeparator(), form, msg,
		container.NewHBox(start, sample), widget.NewSeparator(), display)
	return container.NewVScroll(container.New(column{max: 680}, container.NewPadded(body)))
}
