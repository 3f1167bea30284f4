package ui

import (
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/i18n"
	"qiao/school"
)

// settingsScreen edits the school, the user and the display.
func settingsScreen(w *window) fyne.CanvasObject {
	sch, _, _ := w.deps.Schools.Current(w.ctx)
	u, _ := w.deps.Schools.User(w.ctx)
	form := newProfileForm(sch, u)
	msg := widget.NewLabel("")
	msg.Wrapping = wrapMode()
	save := widget.NewButtonWithIcon(i18n.T("action.save"), theme.DocumentSaveIcon(), func() {
		if err := w.saveProfile(form); err != nil {
			msg.Importance = widget.DangerImportance
			msg.SetText(err.Error())
			return
		}
		msg.Importance = widget.SuccessImportance
		msg.SetText(i18n.T("settings.saved"))
		if w.shell != nil {
			w.shell.refreshStatus()
		}
	})
	save.Importance = widget.HighImportance
	profile := widget.NewCard(i18n.T("settings.profile"), "", container.NewVBox(form, container.NewHBox(save), msg))
	display := widget.NewCard(i18n.T("settings.display"), "", displayForm(w.prefs, w.applyDisplay))
	return container.NewVBox(profile, w.syncCard(), display)
}

// saveProfile stores the school and user from form, with a message the
// user can act on when something is wrong.
func (w *window) saveProfile(f *profileForm) error {
	s, u := f.values()
	if _, err := w.deps.Schools.Save(w.ctx, s); err != nil {
		if errors.Is(err, school.ErrNoName) {
			return errors.New(i18n.T("school.err_no_name"))
		}
		return errors.New(i18n.T("settings.save_failed", err))
	}
	if err := w.deps.Schools.SaveUser(w.ctx, u); err != nil {
		return errors.New(i18n.T("settings.save_failed", err))
	}
	return nil
}
