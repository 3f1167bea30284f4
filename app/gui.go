package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"qiao/content"
	"qiao/i18n"
	"qiao/messages"
	"qiao/prefs"
	"qiao/sample"
	"qiao/school"
	"qiao/store"
	"qiao/ui"
)

// runGUI opens the store and the window. With withSample, a first run
// starts on the sample school instead of asking.
func runGUI(ctx context.Context, dir string, withSample bool, stderr io.Writer) int {
	st, err := store.Open(ctx, dir)
	if err != nil {
		msg := messages.Error(err)
		if errors.Is(err, store.ErrLocked) {
			msg = i18n.T("err.locked_gui", dir)
		}
		fmt.Fprintln(stderr, i18n.T("cli.error", msg))
		ui.ShowFatal(msg)
		return 1
	}
	defer st.Close()
	schools := school.NewService(st)
	files, err := content.Open(filepath.Join(dir, "files"))
	if err != nil {
		fmt.Fprintln(stderr, i18n.T("cli.error", err))
		return 1
	}
	useSample := func(ctx context.Context) error { return sample.Use(ctx, st, schools) }
	if withSample {
		if _, ok, err := schools.Current(ctx); err == nil && !ok {
			if err := useSample(ctx); err != nil {
				fmt.Fprintln(stderr, i18n.T("cli.error", err))
				return 1
			}
		}
	}
	p, err := prefs.Load(ctx, st)
	if err != nil {
		fmt.Fprintln(stderr, i18n.T("cli.error", err))
		return 1
	}
	ui.Run(ui.Deps{Store: st, Schools: schools, Files: files, Prefs: p, Version: Version, UseSample: useSample})
	return 0
}
