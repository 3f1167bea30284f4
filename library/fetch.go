package library

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"qiao/content"
	"qiao/replica"
	"qiao/store"
)

// Downloads from the district: one entry's file on demand (Fetch), or
// every file a subscription names, kept offline by the background
// fetcher (Run). Files come from the district's GET /v1/files/{hash}
// through replica.Download: resumable (HTTP Range) into a partial file,
// hash-checked before they become visible. A bandwidth cap (token
// bucket) applies to every download; the background fetcher also keeps
// to a daily time window. Pause stops every transfer at once; what
// arrived is kept and the next try resumes after it.

// Error codes of a FetchError; the UI shows "library.fetch.CODE".
const (
	CodePaused      = "paused"         // downloads are paused
	CodeOutside     = "outside_window" // outside the download window
	CodeNotOnServer = "not_on_server"  // the district does not have the file (yet)
	CodeNoEntry     = "no_entry"       // no such catalogue entry
	CodeNoRoom      = "no_room"        // the quota cannot make room for the file
	CodeDamaged     = "damaged"        // the bytes did not match the hash; discarded, will be fetched again
	CodeBadSetting  = "bad_setting"    // a download setting is invalid
	CodeNotEnrolled = "not_enrolled"   // no district to fetch from
)

// FetchCodes are every code of a FetchError (each has a translation key).
var FetchCodes = []string{CodePaused, CodeOutside, CodeNotOnServer, CodeNoEntry, CodeNoRoom, CodeDamaged, CodeBadSetting, CodeNotEnrolled}

// FetchError is a download that did not happen, with a code the UI turns
// into a message.
type FetchError struct {
	Code string
	Err  error
}

func (e *FetchError) Error() string {
	if e.Err != nil {
		return "library: " + e.Code + ": " + e.Err.Error()
	}
	return "library: " + e.Code
}

func (e *FetchError) Unwrap() error { return e.Err }

// Window is a daily time window for background downloads, in minutes
// after local midnight; it may wrap past midnight (22:00–06:00). From ==
// To means all day.
type Window struct{ From, To int }

// Contains reports whether t (local time) falls in the window.
func (w Window) Contains(t time.Time) bool {
	if w.From == w.To {
		return true
	}
	m := t.Hour()*60 + t.Minute()
	if w.From < w.To {
		return w.From <= m && m < w.To
	}
	return m >= w.From || m < w.To
}

// String writes the window as "HH:MM-HH:MM" ("" for all day).
func (w Window) String() string {
	if w.From == w.To {
		return ""
	}
	return fmt.Sprintf("%02d:%02d-%02d:%02d", w.From/60, w.From%60, w.To/60, w.To%60)
}

// ParseWindow reads "HH:MM-HH:MM" (e.g. "22:00-06:00"); "" is all day.
func ParseWindow(s string) (Window, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Window{}, nil
	}
	a, b, ok := strings.Cut(s, "-")
	from, err1 := parseClock(a)
	to, err2 := parseClock(b)
	if !ok || err1 != nil || err2 != nil {
		return Window{}, &FetchError{Code: CodeBadSetting, Err: fmt.Errorf("the download window %q is not HH:MM-HH:MM, e.g. 22:00-06:00", s)}
	}
	return Window{from, to}, nil
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 || len(m) != 2 {
		return 0, errors.New("bad time")
	}
	return hh*60 + mm, nil
}

// FetchSettings are this device's download settings (device-local).
type FetchSettings struct {
	Cap    int64  `json:"cap"`    // bytes per second for all downloads together; 0 = no cap
	Window Window `json:"window"` // when the background fetcher may download
}

// Subscription is a saved filter of the catalogue whose files the
// background fetcher keeps offline ("all 三年级 语文"); empty fields match
// anything. Subscriptions are this device's own.
type Subscription struct {
	ID      string `json:"id"`
	Stage   string `json:"stage,omitempty"`
	Subject string `json:"subject,omitempty"`
	Edition string `json:"edition,omitempty"`
	Grade   int    `json:"grade,omitempty"`
	Unit    string `json:"unit,omitempty"`
	Kind    string `json:"kind,omitempty"`
}

// Device-local settings keys.
const (
	keySubscriptions = "library.subscriptions"
	keyFetch         = "library.fetch"
)

// File states in the progress.
const (
	StateQueued      = "queued"
	StateDownloading = "downloading"
	StateDone        = "done"
	StateFailed      = "failed"
)

// FileProgress is one file's download.
type FileProgress struct {
	EntryID, Hash, Title string
	Have, Size           int64
	State                string
	Err                  error // with StateFailed
}

// Progress is the state of the downloads: per file (this run's, in
// order) and overall.
type Progress struct {
	Files                 []FileProgress
	FilesDone, FilesTotal int
	Have, Size            int64
	Paused                bool
	InWindow              bool
}

// Fetcher downloads library files from the district. It is safe for use
// by several goroutines.
type Fetcher struct {
	st    *store.Store
	files *content.Store
	rep   *replica.Replica // nil when not enrolled
	quota *Quota           // nil: no disk budget

	// Now is the clock (tests set it to test the window).
	Now func() time.Time
	// Interval is how often Run looks for new subscribed files (default 10 min).
	Interval time.Duration

	mu       sync.Mutex
	set      FetchSettings
	paused   bool
	inflight map[*int]context.CancelFunc
	prog     map[string]*FileProgress
	order    []string
	wake     chan struct{}
	bucket   bucket
}

// NewFetcher returns a fetcher for the enrolled replica rep (nil if not
// enrolled: every download then fails with CodeNotEnrolled), whose
// downloads go into files and count against quota (nil: no budget).
func NewFetcher(ctx context.Context, st *store.Store, files *content.Store, rep *replica.Replica, quota *Quota) (*Fetcher, error) {
	f := &Fetcher{st: st, files: files, rep: rep, quota: quota, Now: time.Now, Interval: 10 * time.Minute,
		inflight: map[*int]context.CancelFunc{}, prog: map[string]*FileProgress{}, wake: make(chan struct{}, 1)}
	if rep != nil {
		rep.Files = files
	}
	raw, err := st.Setting(ctx, keyFetch, "")
	if err != nil {
		return nil, err
	}
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &f.set); err != nil {
			slog.Warn("library: unreadable download settings; using none", "err", err)
			f.set = FetchSettings{}
		}
	}
	f.bucket.now = func() time.Time { return time.Now() }
	f.bucket.setRate(f.set.Cap)
	return f, nil
}

// Settings returns the download settings.
func (f *Fetcher) Settings() FetchSettings {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.set
}

// SetSettings stores the download settings; they apply at once, to
// transfers under way too.
func (f *Fetcher) SetSettings(ctx context.Context, s FetchSettings) error {
	if s.Cap < 0 || s.Window.From < 0 || s.Window.From >= 24*60 || s.Window.To < 0 || s.Window.To >= 24*60 {
		return &FetchError{Code: CodeBadSetting, Err: errors.New("the cap must be 0 or more bytes per second and the window within a day")}
	}
	raw, _ := json.Marshal(s)
	if err := f.st.SetSetting(ctx, keyFetch, string(raw)); err != nil {
		return err
	}
	f.mu.Lock()
	f.set = s
	f.mu.Unlock()
	f.bucket.setRate(s.Cap)
	f.Kick()
	return nil
}

// Subscriptions returns this device's subscriptions.
func (f *Fetcher) Subscriptions(ctx context.Context) ([]Subscription, error) {
	raw, err := f.st.Setting(ctx, keySubscriptions, "")
	if err != nil || raw == "" {
		return nil, err
	}
	var subs []Subscription
	if err := json.Unmarshal([]byte(raw), &subs); err != nil {
		return nil, fmt.Errorf("library: unreadable subscriptions: %w", err)
	}
	return subs, nil
}

func (f *Fetcher) saveSubscriptions(ctx context.Context, subs []Subscription) error {
	raw, _ := json.Marshal(subs)
	if err := f.st.SetSetting(ctx, keySubscriptions, string(raw)); err != nil {
		return err
	}
	f.Kick()
	return nil
}

// Subscribe adds a subscription (its ID is given here) and wakes the
// background fetcher.
func (f *Fetcher) Subscribe(ctx context.Context, s Subscription) (Subscription, error) {
	if s.Grade < 0 || s.Grade > 12 {
		return s, &FetchError{Code: CodeBadSetting, Err: fmt.Errorf("grade %d is not 0 to 12", s.Grade)}
	}
	subs, err := f.Subscriptions(ctx)
	if err != nil {
		return s, err
	}
	s.ID = store.NewID()
	return s, f.saveSubscriptions(ctx, append(subs, s))
}

// Unsubscribe removes a subscription; its files stay until the quota
// needs the room.
func (f *Fetcher) Unsubscribe(ctx context.Context, id string) error {
	subs, err := f.Subscriptions(ctx)
	if err != nil {
		return err
	}
	out := subs[:0]
	for _, s := range subs {
		if s.ID != id {
			out = append(out, s)
		}
	}
	return f.saveSubscriptions(ctx, out)
}

// Pause stops every download now (on demand and background); the bytes
// received are kept for Resume.
func (f *Fetcher) Pause() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.paused = true
	for _, cancel := range f.inflight {
		cancel()
	}
}

// Resume lets downloads go on.
func (f *Fetcher) Resume() {
	f.mu.Lock()
	f.paused = false
	f.mu.Unlock()
	f.Kick()
}

// Kick wakes the background fetcher (subscriptions or settings changed,
// the link came back).
func (f *Fetcher) Kick() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// Progress returns the state of this run's downloads.
func (f *Fetcher) Progress() Progress {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := Progress{Paused: f.paused, InWindow: f.set.Window.Contains(f.Now())}
	for _, h := range f.order {
		fp := *f.prog[h]
		p.Files = append(p.Files, fp)
		p.FilesTotal++
		p.Have += fp.Have
		p.Size += fp.Size
		if fp.State == StateDone {
			p.FilesDone++
		}
	}
	return p
}

// ClearProgress forgets finished and failed files from the progress.
func (f *Fetcher) ClearProgress() {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.order[:0]
	for _, h := range f.order {
		if s := f.prog[h].State; s == StateDone || s == StateFailed {
			delete(f.prog, h)
			continue
		}
		out = append(out, h)
	}
	f.order = out
}

// track updates the progress of e's file.
func (f *Fetcher) track(e fileEntry, update func(*FileProgress)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.prog[e.Hash]
	if p == nil {
		p = &FileProgress{EntryID: e.ID, Hash: e.Hash, Title: e.Title, Size: e.Size}
		f.prog[e.Hash] = p
		f.order = append(f.order, e.Hash)
	}
	update(p)
}

// Fetch makes the file of catalogue entry id available on this device,
// downloading it now if missing (subject to the cap and Pause, not to
// the window: someone is waiting for it). It records the use.
func (f *Fetcher) Fetch(ctx context.Context, id string) error {
	e, err := entryFile(ctx, f.st.DB, id)
	if err != nil {
		return err
	}
	return f.fetch(ctx, e, false)
}

// fetch downloads e's file unless present; background downloads keep to
// the window and never evict subscribed files to make room.
func (f *Fetcher) fetch(ctx context.Context, e fileEntry, background bool) error {
	if f.files.Has(e.Hash) {
		return f.done(ctx, e, false)
	}
	if f.rep == nil {
		return &FetchError{Code: CodeNotEnrolled, Err: replica.ErrNotEnrolled}
	}
	if err := f.gate(background); err != nil {
		return err
	}
	if f.quota != nil {
		var keep func(string) bool
		if background {
			keep = f.subscribedHashes(ctx)
		}
		if err := f.quota.MakeRoom(ctx, e.Size, keep); err != nil {
			f.track(e, func(p *FileProgress) { p.State, p.Err = StateFailed, err })
			return err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	key := new(int)
	f.mu.Lock()
	f.inflight[key] = cancel
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.inflight, key)
		f.mu.Unlock()
	}()
	f.track(e, func(p *FileProgress) { p.State, p.Err = StateDownloading, nil })
	_, err := f.rep.Download(ctx, e.Hash, replica.DownloadOptions{
		Body: func(r io.Reader) io.Reader { return &gatedReader{r: r, f: f, ctx: ctx, background: background} },
		Progress: func(have, size int64) {
			f.track(e, func(p *FileProgress) {
				p.Have = have
				if size >= 0 {
					p.Size = size
				}
			})
		},
	})
	if err != nil {
		err = f.fetchError(err, background)
		f.track(e, func(p *FileProgress) { p.State, p.Err = StateFailed, err })
		return err
	}
	return f.done(ctx, e, true)
}

// fetchError names why a download stopped.
func (f *Fetcher) fetchError(err error, background bool) error {
	var fe *FetchError
	switch {
	case errors.As(err, &fe):
		return fe
	case errors.Is(err, replica.ErrNoFile):
		return &FetchError{Code: CodeNotOnServer, Err: err}
	case errors.Is(err, content.ErrHashMismatch):
		return &FetchError{Code: CodeDamaged, Err: err}
	}
	if g := f.gate(background); g != nil {
		return g // paused (the transfer was cancelled) or the window closed
	}
	return err
}

// gate says whether a download may go on now.
func (f *Fetcher) gate(background bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.paused {
		return &FetchError{Code: CodePaused}
	}
	if background && !f.set.Window.Contains(f.Now()) {
		return &FetchError{Code: CodeOutside, Err: fmt.Errorf("downloads run %s", f.set.Window)}
	}
	return nil
}

// done records a file now present: its use and, if downloaded, the event.
func (f *Fetcher) done(ctx context.Context, e fileEntry, downloaded bool) error {
	who, err := whoAmI(ctx, f.st, f.files)
	if err != nil {
		return err
	}
	if !downloaded {
		return who.svc.Used(ctx, e.ID, f.Now())
	}
	f.track(e, func(p *FileProgress) { p.State, p.Have, p.Err = StateDone, p.Size, nil })
	who.svc.now = f.Now
	return who.svc.Downloaded(ctx, e.ID, who.teacher)
}

// subscribedHashes returns a test for the files subscriptions name.
func (f *Fetcher) subscribedHashes(ctx context.Context) func(string) bool {
	es, err := f.wanted(ctx)
	if err != nil {
		return nil
	}
	set := make(map[string]bool, len(es))
	for _, e := range es {
		set[e.Hash] = true
	}
	return func(h string) bool { return set[h] }
}

// wanted lists the entries subscriptions name, one per file.
func (f *Fetcher) wanted(ctx context.Context) ([]fileEntry, error) {
	subs, err := f.Subscriptions(ctx)
	if err != nil {
		return nil, err
	}
	return subscribedFiles(ctx, f.st.DB, subs)
}

// SubscribedReport says what one pass of the background fetcher did.
type SubscribedReport struct {
	Wanted     int  // files the subscriptions name
	Downloaded int  // files downloaded in this pass
	Missing    int  // files still missing (not on the server yet, no room, failed)
	Stopped    bool // paused or the window closed before the pass ended
}

// FetchSubscribed downloads, in the window and unless paused, every
// file the subscriptions name that this device lacks: one pass of Run.
// Files the district does not have yet, or that do not fit the quota,
// are skipped; the first other error ends the pass.
func (f *Fetcher) FetchSubscribed(ctx context.Context) (SubscribedReport, error) {
	var rep SubscribedReport
	es, err := f.wanted(ctx)
	if err != nil {
		return rep, err
	}
	rep.Wanted = len(es)
	var missing []fileEntry
	for _, e := range es {
		if !f.files.Has(e.Hash) {
			missing = append(missing, e)
			f.track(e, func(p *FileProgress) {
				if p.State != StateDownloading {
					p.State = StateQueued
				}
			})
		}
	}
	rep.Missing = len(missing)
	for _, e := range missing {
		err := f.fetch(ctx, e, true)
		var fe *FetchError
		switch {
		case err == nil:
			rep.Downloaded++
			rep.Missing--
		case errors.As(err, &fe) && (fe.Code == CodePaused || fe.Code == CodeOutside):
			rep.Stopped = true
			return rep, nil
		case errors.As(err, &fe) && (fe.Code == CodeNotOnServer || fe.Code == CodeNoRoom || fe.Code == CodeDamaged):
			slog.Info("library: subscribed file skipped", "entry", e.ID, "why", fe.Code)
		default:
			return rep, err
		}
	}
	return rep, nil
}

// Run keeps the subscriptions satisfied until ctx is done: a pass now,
// then whenever kicked, every Interval, and when the window opens; after
// a failure (no link) it waits a minute.
func (f *Fetcher) Run(ctx context.Context) {
	for {
		wait := f.Interval
		rep, err := f.FetchSubscribed(ctx)
		if err != nil && ctx.Err() == nil {
			slog.Warn("library: background download", "err", err)
			wait = min(wait, time.Minute)
		}
		if rep.Stopped {
			if w := f.untilWindow(); w > 0 {
				wait = min(wait, w)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-f.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// untilWindow is how long until the window next opens (0 if open).
func (f *Fetcher) untilWindow() time.Duration {
	f.mu.Lock()
	w, now := f.set.Window, f.Now()
	f.mu.Unlock()
	if w.Contains(now) {
		return 0
	}
	m := now.Hour()*60 + now.Minute()
	d := (w.From - m + 24*60) % (24 * 60)
	return time.Duration(d)*time.Minute - time.Duration(now.Second())*time.Second
}

// gatedReader is a download's body under the cap: it stops the transfer
// when paused or, in the background, when the window closes.
type gatedReader struct {
	r          io.Reader
	f          *Fetcher
	ctx        context.Context
	background bool
}

// capChunk bounds one read, so the cap paces smoothly.
const capChunk = 16 << 10

func (g *gatedReader) Read(b []byte) (int, error) {
	if err := g.f.gate(g.background); err != nil {
		return 0, err
	}
	if len(b) > capChunk {
		b = b[:capChunk]
	}
	n, err := g.r.Read(b)
	if n > 0 {
		if werr := g.f.bucket.wait(g.ctx, n); werr != nil && err == nil {
			err = werr
		}
	}
	return n, err
}

// bucket is a token bucket shared by every download: rate bytes per
// second, with a burst of a quarter second (at least one read).
type bucket struct {
	mu     sync.Mutex
	rate   int64
	tokens float64
	last   time.Time
	now    func() time.Time
}

func (b *bucket) setRate(rate int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rate, b.tokens, b.last = rate, 0, time.Time{}
}

// wait takes n bytes' worth of tokens, sleeping while the bucket is in debt.
func (b *bucket) wait(ctx context.Context, n int) error {
	b.mu.Lock()
	if b.rate <= 0 {
		b.mu.Unlock()
		return nil
	}
	now := b.now()
	if !b.last.IsZero() {
		burst := max(float64(b.rate)/4, capChunk)
		b.tokens = min(burst, b.tokens+now.Sub(b.last).Seconds()*float64(b.rate))
	}
	b.last = now
	b.tokens -= float64(n)
	debt := time.Duration(-b.tokens / float64(b.rate) * float64(time.Second))
	b.mu.Unlock()
	if debt <= 0 {
		return nil
	}
	t := time.NewTimer(debt)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
