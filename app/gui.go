package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"qiao/content"
	"qiao/i18n"
	"qiao/messages"
	"qiao/prefs"
	"qiao/replica"
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
	files, err := openFiles(dir)
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
	bg := &syncLoop{st: st, files: files}
	defer bg.stop()
	ui.Run(ui.Deps{Store: st, Schools: schools, Files: files, Prefs: p, Version: Version, UseSample: useSample,
		StartSync: bg.start})
	return 0
}

// syncInterval is how often the app syncs while the district is reachable.
const syncInterval = 5 * time.Minute

// syncLoop runs background sync with the district for the window's life.
type syncLoop struct {
	st     *store.Store
	files  *content.Store // attachments travel with the rows
	mu     sync.Mutex
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// start opens the replica of the enrolled store and syncs it in the
// background until stop; started is called when an attempt begins, done
// after it ends. It is what the window calls when it opens enrolled, and
// after enrolling.
func (l *syncLoop) start(started func(), done func(replica.Report, error)) (*replica.Runner, func(), error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cancel != nil {
		return nil, nil, errors.New("sync is already running")
	}
	ctx, cancel := context.WithCancel(context.Background())
	r, err := replica.Open(ctx, l.st)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	r.Files = l.files
	ru := replica.NewRunner(r, syncInterval)
	ru.Started, ru.Done = started, done
	l.cancel = cancel
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		ru.Run(ctx)
	}()
	return ru, l.stop, nil
}

// stop cancels background sync and waits for it to end; the store may
// then be closed.
func (l *syncLoop) stop() {
	l.mu.Lock()
	if l.cancel != nil {
		l.cancel()
	}
	l.mu.Unlock()
	l.wg.Wait()
}
