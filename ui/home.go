package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/i18n"
	"qiao/store"
)

// homeScreen is the overview: this school and this computer.
func homeScreen(w *window) fyne.CanvasObject {
	sch, _, _ := w.deps.Schools.Current(w.ctx)
	u, _ := w.deps.Schools.User(w.ctx)
	kind := i18n.T("school.urban")
	if sch.Rural {
		kind = i18n.T("school.rural")
	}
	schoolCard := widget.NewCard(sch.Name, "", widget.NewForm(
		row("school.code", orDash(sch.Code)),
		row("school.region", orDash(sch.Region)),
		row("school.kind", kind),
	))
	var top []fyne.CanvasObject
	if sch.Sample {
		note := widget.NewLabel(i18n.T("home.sample_note"))
		note.Wrapping = wrapMode()
		note.Importance = widget.WarningImportance
		top = append(top, note)
	}

	st := w.deps.Store
	backup := widget.NewButtonWithIcon(i18n.T("home.backup"), theme.DocumentSaveIcon(), func() { w.backup() })
	backup.Importance = widget.HighImportance
	restoreHint := widget.NewLabel(i18n.T("home.restore_hint"))
	restoreHint.Wrapping = wrapMode()
	deviceCard := widget.NewCard(i18n.T("home.device"), "", container.NewVBox(
		widget.NewForm(
			row("home.user", userText(u.Name, string(u.Role))),
			row("home.data_dir", st.Dir),
			row("home.db_size", humanSize(dbSize(st.Dir))),
			row("home.device_id", shortID(st.Device)),
			row("home.version", fmt.Sprintf("%s · schema %d", w.deps.Version, store.SchemaVersion())),
		),
		container.NewHBox(backup),
		restoreHint,
	))
	return container.NewVBox(append(top, schoolCard, deviceCard)...)
}

// backup asks where to write a backup and writes it off the UI goroutine.
func (w *window) backup() {
	d := dialog.NewFileSave(func(uc fyne.URIWriteCloser, err error) {
		if err != nil || uc == nil {
			return
		}
		path := uc.URI().Path()
		uc.Close()
		os.Remove(path) // the dialog created it empty; the backup is written beside and renamed in
		busy := dialog.NewCustomWithoutButtons(i18n.T("home.backup"), widget.NewProgressBarInfinite(), w.win)
		busy.Show()
		w.jobs.async(func() error { return w.deps.Store.Backup(w.ctx, path) }, func(err error) {
			busy.Hide()
			if err != nil {
				dialog.ShowError(fmt.Errorf("%s", i18n.T("home.backup_failed", err)), w.win)
				return
			}
			dialog.ShowInformation(i18n.T("home.backup"), i18n.T("home.backup_done", path), w.win)
		})
	}, w.win)
	d.SetFileName("qiao-backup-" + time.Now().Format("20060102-1504") + ".db")
	d.Show()
}

func row(key, value string) *widget.FormItem {
	l := widget.NewLabel(value)
	l.Wrapping = fyne.TextWrapBreak
	return widget.NewFormItem(i18n.T(key), l)
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

func userText(name, role string) string {
	r := i18n.T("role." + role)
	if name == "" {
		return r
	}
	return name + " · " + r
}

func shortID(id string) string {
	if len(id) > 13 {
		return id[len(id)-12:]
	}
	return id
}

// dbSize is the size of the database and its write-ahead log.
func dbSize(dir string) int64 {
	var n int64
	for _, f := range []string{store.DBFile, store.DBFile + "-wal"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
