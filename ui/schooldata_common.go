package ui

import (
	"errors"
	"strconv"
	"strings"

	"fyne.io/fyne/v2/widget"

	"qiao/i18n"
	"qiao/messages"
	"qiao/metrics"
	"qiao/replica"
	"qiao/school"
)

// sdEnv is what the 学校数据 tabs that enter data need: the school's
// metrics service and whether this device may change district-wide rows.
type sdEnv struct {
	svc      *metrics.Service
	district *metrics.Service // the district-wide rows (school_id ''); used only when admin
	school   string
	// admin: this device is enrolled as a district administrator's; the
	// district accepts district-wide rows (checklist items, targets) only
	// from such a device, so only there are they editable.
	admin bool
}

// schoolDataEnv reads the current school and the device's role (off the
// UI goroutine).
func (w *window) schoolDataEnv() (sdEnv, error) {
	s, _, err := w.deps.Schools.Current(w.ctx)
	if err != nil {
		return sdEnv{}, err
	}
	env := sdEnv{svc: metrics.NewService(w.deps.Store, s.ID), district: metrics.NewService(w.deps.Store, ""), school: s.ID}
	id, err := replica.LoadIdentity(w.ctx, w.deps.Store)
	switch {
	case errors.Is(err, replica.ErrNotEnrolled):
	case err != nil:
		return env, err
	default:
		env.admin = id.Role == string(school.DistrictAdmin)
	}
	return env, nil
}

// sdErr says what went wrong in the user's language: a metrics error by
// its code, anything else as messages explains it.
func sdErr(err error) string {
	var me metrics.Error
	if errors.As(err, &me) {
		return i18n.T("metrics.error." + me.Code)
	}
	return i18n.T("schooldata.failed", messages.Error(err))
}

// sdCount reads a whole number from 0 to most typed in an entry
// (surrounding spaces allowed); ok is false for anything else.
func sdCount(text string, most int64) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
	if err != nil || n < 0 || n > most {
		return 0, false
	}
	return n, true
}

// sdSay shows a message in l: red for a problem, plain otherwise; an
// empty message hides l.
func sdSay(l *widget.Label, problem bool, text string) {
	l.Importance = widget.MediumImportance
	if problem {
		l.Importance = widget.DangerImportance
	}
	l.SetText(text)
	l.Hidden = text == ""
	l.Refresh()
}

// sdWrite runs a change off the UI goroutine, then on it says in msg how
// it went (done, or what went wrong) and, if it was written, reloads.
func (w *window) sdWrite(msg *widget.Label, change func() error, done string, reload func()) {
	w.jobs.async(change, func(err error) {
		if err != nil {
			sdSay(msg, true, sdErr(err))
			return
		}
		sdSay(msg, false, done)
		reload()
	})
}
