package library

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"

	"qiao/content"
	"qiao/replica"
	"qiao/store"
)

// The disk quota for district library files: files of district-wide
// catalogue entries, which can always be fetched again. When they need
// more room than the budget, the least recently used (library_local.used_at)
// go first. Never evicted: a file any school or teacher entry, research
// attachment or output, or lesson recording names (the user's own), and a
// file being opened (Use).

// keyQuota is the device-local budget in bytes (0 or absent: none).
const keyQuota = "library.quota_bytes"

// Quota keeps district library files within a disk budget. It is safe for
// use by several goroutines.
type Quota struct {
	st    *store.Store
	files *content.Store

	mu    sync.Mutex // held while evicting, so Use and eviction never interleave
	inUse map[string]int
}

// NewQuota returns the quota of the library files in files.
func NewQuota(st *store.Store, files *content.Store) *Quota {
	return &Quota{st: st, files: files, inUse: map[string]int{}}
}

// Budget returns the budget in bytes; 0 means none.
func (q *Quota) Budget(ctx context.Context) (int64, error) {
	v, err := q.st.Setting(ctx, keyQuota, "0")
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, nil
	}
	return n, nil
}

// SetBudget sets the budget (0: none) and evicts what no longer fits.
func (q *Quota) SetBudget(ctx context.Context, bytes int64) (EvictReport, error) {
	if bytes < 0 {
		return EvictReport{}, &FetchError{Code: CodeBadSetting, Err: errors.New("the library's disk budget must be 0 (none) or more bytes")}
	}
	if err := q.st.SetSetting(ctx, keyQuota, strconv.FormatInt(bytes, 10)); err != nil {
		return EvictReport{}, err
	}
	return q.Enforce(ctx)
}

// Use marks hash as being opened until release is called: it is never
// evicted meanwhile.
func (q *Quota) Use(hash string) (release func()) {
	q.mu.Lock()
	q.inUse[hash]++
	q.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			q.mu.Lock()
			defer q.mu.Unlock()
			if q.inUse[hash]--; q.inUse[hash] <= 0 {
				delete(q.inUse, hash)
			}
		})
	}
}

// QuotaUsage is how much of the budget district files take.
type QuotaUsage struct {
	Budget int64 // 0: none
	Used   int64 // bytes of district library files on this device
	Files  int
}

// EvictReport says what eviction removed.
type EvictReport struct {
	Evicted      int   // files removed
	EvictedBytes int64 // their bytes
	After        QuotaUsage
}

// districtFile is a district library file present on this device.
type districtFile struct {
	hash   string
	size   int64
	usedAt int64
}

// present lists the district library files on this device that are not
// the user's own, least recently used first.
func (q *Quota) present(ctx context.Context) ([]districtFile, error) {
	own, err := q.ownFiles(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := q.st.DB.QueryContext(ctx, `SELECT e.hash, max(coalesce(l.used_at, 0)) FROM library_entries e
		LEFT JOIN library_local l ON l.entry_id = e.id
		WHERE e.deleted = 0 AND e.school_id = '' GROUP BY e.hash ORDER BY 2, 1`)
	if err != nil {
		return nil, fmt.Errorf("library: district files: %w", err)
	}
	defer rows.Close()
	var out []districtFile
	for rows.Next() {
		var f districtFile
		if err := rows.Scan(&f.hash, &f.usedAt); err != nil {
			return nil, err
		}
		if own[f.hash] {
			continue
		}
		p, err := q.files.Path(f.hash)
		if err != nil {
			continue // not on this device (or not a hash)
		}
		info, err := os.Stat(p)
		if err != nil {
			continue
		}
		f.size = info.Size()
		out = append(out, f)
	}
	return out, rows.Err()
}

// ownFiles are the hashes the user's own rows name: school and teacher
// catalogue entries and every column of replica.FileColumns.
func (q *Quota) ownFiles(ctx context.Context) (map[string]bool, error) {
	queries := []string{`SELECT DISTINCT hash FROM library_entries WHERE deleted = 0 AND school_id <> ''`}
	tables := make([]string, 0, len(replica.FileColumns))
	for t := range replica.FileColumns {
		tables = append(tables, t)
	}
	slices.Sort(tables)
	for _, t := range tables {
		for _, c := range replica.FileColumns[t] {
			queries = append(queries, `SELECT DISTINCT `+c+` FROM `+t+` WHERE deleted = 0 AND `+c+` <> ''`)
		}
	}
	own := map[string]bool{}
	for _, qs := range queries {
		rows, err := q.st.DB.QueryContext(ctx, qs)
		if err != nil {
			return nil, fmt.Errorf("library: the user's own files: %w", err)
		}
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				rows.Close()
				return nil, err
			}
			own[h] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return own, nil
}

// Usage returns how much of the budget district files take.
func (q *Quota) Usage(ctx context.Context) (QuotaUsage, error) {
	var u QuotaUsage
	var err error
	if u.Budget, err = q.Budget(ctx); err != nil {
		return u, err
	}
	fs, err := q.present(ctx)
	for _, f := range fs {
		u.Used += f.size
		u.Files++
	}
	return u, err
}

// Enforce evicts least recently used district files until they fit the budget.
func (q *Quota) Enforce(ctx context.Context) (EvictReport, error) {
	return q.evict(ctx, 0, nil)
}

// MakeRoom evicts least recently used district files, except those keep
// says to keep (nil: none), until need more bytes fit the budget; it
// fails with CodeNoRoom (evicting nothing) if they cannot.
func (q *Quota) MakeRoom(ctx context.Context, need int64, keep func(string) bool) error {
	_, err := q.evict(ctx, need, keep)
	return err
}

func (q *Quota) evict(ctx context.Context, need int64, keep func(string) bool) (EvictReport, error) {
	var rep EvictReport
	budget, err := q.Budget(ctx)
	if err != nil || budget == 0 {
		rep.After.Budget = budget
		return rep, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	fs, err := q.present(ctx)
	if err != nil {
		return rep, err
	}
	var used, freeable int64
	for _, f := range fs {
		used += f.size
		if q.inUse[f.hash] == 0 && (keep == nil || !keep(f.hash)) {
			freeable += f.size
		}
	}
	rep.After = QuotaUsage{Budget: budget, Used: used, Files: len(fs)}
	if used+need <= budget {
		return rep, nil
	}
	if used-freeable+need > budget {
		return rep, &FetchError{Code: CodeNoRoom, Err: fmt.Errorf("%d bytes do not fit the library's budget of %d bytes (%d in use by files that must stay)", need, budget, used-freeable)}
	}
	for _, f := range fs {
		if used+need <= budget {
			break
		}
		if q.inUse[f.hash] > 0 || (keep != nil && keep(f.hash)) {
			continue
		}
		if err := q.files.Remove(f.hash); err != nil {
			return rep, err
		}
		used -= f.size
		rep.Evicted++
		rep.EvictedBytes += f.size
	}
	rep.After.Used, rep.After.Files = used, len(fs)-rep.Evicted
	return rep, nil
}
