package metrics

import (
	"context"
	"sort"
	"strings"
	"time"

	"qiao/store"
)

// Freshness says how current the numbers are: this device's sync and the
// last change seen from each device of the school.
type Freshness struct {
	Device      string    // this device
	LastSync    time.Time // this device's last completed push and pull (zero: never)
	LastTry     time.Time
	LastError   string
	Pending     int64 // this device's changes the district has not acknowledged
	NeverSynced bool
	Devices     []DeviceSeen // newest first, this device included
}

// DeviceSeen is the last change this file holds from a device: all that
// is known of a device's freshness here (it may have made later changes
// not yet synced).
type DeviceSeen struct {
	Device string
	Last   time.Time
	Rows   int64 // the school's rows it wrote last
}

// SyncState is this device's sync as the app's sync client reports it
// (replica.Status): the caller reads it, so metrics stays below sync and
// the district can use it.
type SyncState struct {
	LastSync, LastTry time.Time
	LastError         string
	Pending           int64
}

// ReadFreshness is this device's sync state s with the last change of
// each device in school's rows of the tables the indicators read.
func ReadFreshness(ctx context.Context, st *store.Store, school string, s SyncState) (Freshness, error) {
	f := Freshness{Device: st.Device, LastSync: s.LastSync, LastTry: s.LastTry, LastError: s.LastError, Pending: s.Pending,
		NeverSynced: s.LastSync.IsZero()}
	var err error
	f.Devices, err = DevicesSeen(ctx, st.DB, school)
	return f, err
}

// DevicesSeen lists, for school's rows of the tables in Tables, each
// device that wrote them last and the time of its latest change. It reads
// every such row (0.3 s for three years of a large school): run it apart
// from the dashboard.
func DevicesSeen(ctx context.Context, q Querier, school string) ([]DeviceSeen, error) {
	parts := make([]string, len(Tables))
	args := make([]any, len(Tables))
	for i, t := range Tables {
		parts[i] = `SELECT origin, max(hlc) AS hlc, count(*) AS n FROM ` + t.Name + ` WHERE school_id = ? GROUP BY origin`
		args[i] = school
	}
	byDevice := map[string]*DeviceSeen{}
	var origin string
	var hlc, n int64
	err := scanAll(ctx, q, `SELECT origin, max(hlc), sum(n) FROM (`+strings.Join(parts, " UNION ALL ")+`) x GROUP BY origin`, args,
		[]any{&origin, &hlc, &n}, func() error {
			byDevice[origin] = &DeviceSeen{Device: origin, Last: store.HLC(hlc).Wall(), Rows: n}
			return nil
		})
	out := make([]DeviceSeen, 0, len(byDevice))
	for _, d := range byDevice {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Last.Equal(out[j].Last) {
			return out[i].Last.After(out[j].Last)
		}
		return out[i].Device < out[j].Device
	})
	return out, err
}
