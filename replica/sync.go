package replica

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"qiao/content"
	"qiao/district"
	"qiao/store"
	"qiao/syncproto"
)

// Report says what one sync did.
type Report struct {
	Pulled    int   // rows received
	Applied   int   // received rows that changed this store
	Pushed    int   // changes sent
	Conflicts int   // conflicts the server recorded for what was sent
	Skipped   int   // received rows of tables this version does not have
	BytesUp   int64 // compressed bytes sent in batches
	BytesDown int64 // compressed bytes received in batches
	Took      time.Duration

	// Files (with Replica.Files set): files sent and received whole, files
	// rows name that the server does not have yet, and their bytes.
	FilesUp, FilesDown, FilesWaiting int
	FileBytesUp, FileBytesDown       int64
}

// Batch sizes adapt to the link: a batch should take about batchTarget.
const (
	minBatch    = 20
	firstBatch  = 500
	maxBatch    = 2000
	batchTarget = 8 * time.Second
)

// batcher sizes batches from how long the last one took.
type batcher struct{ n int }

func (b *batcher) size() int {
	if b.n == 0 {
		b.n = firstBatch
	}
	return b.n
}

func (b *batcher) took(d time.Duration) {
	switch {
	case d < batchTarget/4:
		b.n = min(b.size()*2, maxBatch)
	case d > batchTarget:
		b.n = max(b.size()/2, minBatch)
	}
}

func (b *batcher) failed() { b.n = max(b.size()/4, minBatch) }

// Replica syncs one store with its district server.
type Replica struct {
	st   *store.Store
	id   Identity
	c    *client
	push batcher
	pull batcher

	// Files is the app's content store; when set, Sync also moves the
	// files rows name (see FileColumns). Nil syncs rows only.
	Files *content.Store
	chunk batcher // upload chunk size, in chunkUnits
}

// Open returns the replica of an enrolled store; ErrNotEnrolled if it is not.
func Open(ctx context.Context, st *store.Store) (*Replica, error) {
	id, err := LoadIdentity(ctx, st)
	if err != nil {
		return nil, err
	}
	c, err := newClient(id)
	if err != nil {
		return nil, err
	}
	return &Replica{st: st, id: id, c: c}, nil
}

// Identity returns the enrolment this replica syncs as.
func (r *Replica) Identity() Identity { return r.id }

// Sync pulls everything new from the district, then pushes everything the
// district has not acknowledged, then pulls what the push produced
// (conflicts). Each batch commits with its checkpoint, so an interrupted
// sync resumes where it stopped.
func (r *Replica) Sync(ctx context.Context) (Report, error) {
	start := time.Now()
	var rep Report
	err := r.pullAll(ctx, &rep)
	if err == nil {
		err = r.pushAll(ctx, &rep)
	}
	if err == nil && rep.Pushed > 0 {
		err = r.pullAll(ctx, &rep)
	}
	if err == nil && r.Files != nil {
		err = r.syncFiles(ctx, &rep)
	}
	rep.Took = time.Since(start)
	r.record(ctx, start, err)
	return rep, err
}

// record notes the outcome of a sync attempt for the status bar.
func (r *Replica) record(ctx context.Context, at time.Time, syncErr error) {
	err := r.st.Update(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		if err := tx.SetMeta(keyLastTry, strconv.FormatInt(at.Unix(), 10)); err != nil {
			return err
		}
		if syncErr != nil {
			return tx.SetMeta(keyLastError, syncErr.Error())
		}
		if err := tx.SetMeta(keyLastError, ""); err != nil {
			return err
		}
		return tx.SetMeta(keyLastSync, strconv.FormatInt(time.Now().Unix(), 10))
	})
	if err != nil {
		slog.Warn("replica: could not record the sync outcome", "err", err)
	}
}

// bulkRows is how many rows a pull must have brought, with more to come,
// before it drops the secondary indexes and builds them once at the end.
const bulkRows = 5000

func (r *Replica) pullAll(ctx context.Context, rep *Report) (err error) {
	after, err := r.st.Checkpoint(ctx, store.CheckpointPull)
	if err != nil {
		return err
	}
	// A pull from the start is a full pull, which includes this device's
	// own rows, page after page, until it completes even if interrupted.
	full, err := r.st.Checkpoint(ctx, checkpointFull)
	if err != nil {
		return err
	}
	if after == 0 {
		full = 1
	}
	// The next page is fetched while the current one is applied: at most
	// two pages are in memory.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type fetched struct {
		page syncproto.Page
		n    int
		err  error
	}
	fetch := func(after int64, full bool) <-chan fetched {
		ch := make(chan fetched, 1)
		go func() {
			p, n, err := r.pullPage(ctx, after, full)
			ch <- fetched{p, n, err}
		}()
		return ch
	}
	deferred := false
	defer func() {
		if deferred {
			rerr := r.st.Update(context.WithoutCancel(ctx), func(tx *store.Tx) error { return tx.RestoreIndexes() })
			if err == nil {
				err = rerr
			}
		}
	}()
	next, pulled := fetch(after, full == 1), 0
	for {
		f := <-next
		if f.err != nil {
			return f.err
		}
		page := f.page
		rep.BytesDown += int64(f.n)
		rep.Pulled += len(page.Changes)
		pulled += len(page.Changes)
		if page.More {
			next = fetch(page.Next, full == 1)
		} else {
			full = 0
		}
		bulk := page.More && pulled >= bulkRows && !deferred
		err = r.st.Update(ctx, func(tx *store.Tx) error {
			if bulk {
				if err := tx.DeferIndexes(); err != nil {
					return err
				}
			}
			if err := applyRows(tx, r.id.SchoolID, page.Changes, &rep.Applied, &rep.Skipped); err != nil {
				return err
			}
			if err := tx.SetCheckpoint(checkpointFull, full); err != nil {
				return err
			}
			return tx.SetCheckpoint(store.CheckpointPull, page.Next)
		})
		if err != nil {
			return err
		}
		deferred = deferred || bulk
		if !page.More {
			return nil
		}
	}
}

// checkpointFull is 1 while a full pull is under way.
const checkpointFull = "sync.full_pull"

// pullPage fetches one page after the cursor.
func (r *Replica) pullPage(ctx context.Context, after int64, full bool) (syncproto.Page, int, error) {
	u := r.id.Server + "/v1/pull?after=" + strconv.FormatInt(after, 10) + "&limit=" + strconv.Itoa(r.pull.size())
	if full {
		u += "&full=1"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return syncproto.Page{}, 0, err
	}
	t := time.Now()
	body, err := r.c.signed(req, nil, nil)
	if err != nil {
		r.pull.failed()
		return syncproto.Page{}, 0, err
	}
	r.pull.took(time.Since(t))
	page, err := syncproto.DecodePage(body)
	if err != nil {
		return page, len(body), fmt.Errorf("replica: the server's page is not understood: %w", err)
	}
	return page, len(body), nil
}

func (r *Replica) pushAll(ctx context.Context, rep *Report) error {
	through, err := r.st.Checkpoint(ctx, store.CheckpointPush)
	if err != nil {
		return err
	}
	// The next batch is read and compressed while the current one is on
	// the wire and being applied by the server.
	cur := r.prepareBatch(ctx, through)
	for {
		if cur.err != nil || len(cur.cs) == 0 {
			return cur.err
		}
		type answer struct {
			res  syncproto.PushResult
			took time.Duration
			err  error
		}
		ch := make(chan answer, 1)
		go func(body []byte) {
			var a answer
			t := time.Now()
			a.err = r.sendBatch(ctx, body, &a.res)
			a.took = time.Since(t)
			ch <- a
		}(cur.body)
		last := cur.cs[len(cur.cs)-1].Seq
		next := r.prepareBatch(ctx, last)
		a := <-ch
		if a.err != nil {
			r.push.failed()
			return a.err
		}
		r.push.took(a.took)
		if err := r.st.Update(ctx, func(tx *store.Tx) error { return tx.SetCheckpoint(store.CheckpointPush, last) }); err != nil {
			return err
		}
		rep.Pushed += len(cur.cs)
		rep.Conflicts += a.res.Conflicts
		rep.BytesUp += int64(len(cur.body))
		cur = next
	}
}

// batch is a push batch ready to send.
type batch struct {
	cs   []syncproto.Change
	body []byte
	err  error
}

// prepareBatch reads the change-log entries after seq and compresses them.
func (r *Replica) prepareBatch(ctx context.Context, after int64) batch {
	cs, err := r.st.ChangesAfter(ctx, after, r.push.size())
	if err != nil || len(cs) == 0 {
		return batch{err: err}
	}
	body, err := syncproto.Encode(syncproto.Push{Changes: cs})
	return batch{cs: cs, body: body, err: err}
}

// sendBatch posts one compressed batch and decodes the answer into res.
func (r *Replica) sendBatch(ctx context.Context, body []byte, res *syncproto.PushResult) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.id.Server+"/v1/push", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", district.BatchContentType)
	_, err = r.c.signed(req, body, res)
	return err
}
