package app

import (
	"context"
	"errors"
	"fmt"
	"io"

	"qiao/i18n"
	"qiao/messages"
	"qiao/prefs"
	"qiao/school"
	"qiao/store"
	"qiao/ui"
)

// runGUI opens the store and the window. With sample set, a first run
// starts on the sample school instead of asking.
func runGUI(ctx context.Context, dir string, sample bool, stderr io.Writer) int {
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
	if sample {
		if _, ok, err := schools.Current(ctx); err == nil && !ok {
			if _, err := schools.UseSample(ctx); err != nil {
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
	ui.Run(ui.Deps{Store: st, Schools: schools, Prefs: p, Version: Version})
	return 0
}
