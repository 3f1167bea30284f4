package replica

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"qiao/district"
	"qiao/store"
	"qiao/syncproto"
)

// Offline bundles: without a network, ExportBundle writes what the
// district has not acknowledged to a file (a USB stick); the district
// imports it and hands back a return bundle, which ImportBundle applies.
// See "Offline bundles" in docs/sync-protocol.md.

// bundleChunk is how many changes are read or applied at a time.
const bundleChunk = 1000

// ErrNoServerKey means this installation does not have the district's
// key, without which it cannot check a return bundle. Enrolments made
// before bundles existed lack it; FetchServerKey gets it.
var ErrNoServerKey = errors.New("replica: this installation does not have the district's key to check return bundles; connect to the district once (qiao replica sync) to get it")

// parseServerKey decodes the district's public key from base64.
func parseServerKey(s string) (ed25519.PublicKey, error) {
	k, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(k) != ed25519.PublicKeySize {
		return nil, errors.New("replica: the district's key is not a 32-byte ed25519 public key in base64")
	}
	return ed25519.PublicKey(k), nil
}

// FetchServerKey asks the district for its key (signed GET
// /v1/server-key) and keeps it with the enrolment.
func (r *Replica) FetchServerKey(ctx context.Context) (ed25519.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.id.Server+"/v1/server-key", nil)
	if err != nil {
		return nil, err
	}
	var res district.ServerKeyResponse
	if _, err := r.c.signed(req, nil, &res); err != nil {
		return nil, err
	}
	key, err := parseServerKey(res.ServerKey)
	if err != nil {
		return nil, err
	}
	if err := r.st.Update(ctx, func(tx *store.Tx) error { return tx.SetMeta(keyServerKey, res.ServerKey) }); err != nil {
		return nil, err
	}
	r.id.ServerKey = key
	return key, nil
}

// ExportBundle writes to path, signed with the device key, every change
// the district has not acknowledged, with this device's pull cursor. It
// moves no checkpoint: the district has not acknowledged anything yet.
func ExportBundle(ctx context.Context, st *store.Store, path string) (syncproto.BundleHeader, error) {
	id, err := LoadIdentity(ctx, st)
	if err != nil {
		return syncproto.BundleHeader{}, err
	}
	from, err := st.Checkpoint(ctx, store.CheckpointPush)
	if err != nil {
		return syncproto.BundleHeader{}, err
	}
	pulled, err := st.Checkpoint(ctx, store.CheckpointPull)
	if err != nil {
		return syncproto.BundleHeader{}, err
	}
	return syncproto.WriteBundle(path, id.Key, func(add func([]syncproto.Change) error) (syncproto.BundleHeader, error) {
		cur := from
		for {
			cs, err := st.ChangesAfter(ctx, cur, bundleChunk)
			if err != nil || len(cs) == 0 {
				return syncproto.BundleHeader{Kind: syncproto.BundlePush, ID: store.NewID(), Device: id.DeviceID, School: id.SchoolID,
					Created: time.Now().UTC(), From: from, Through: cur, PulledThrough: pulled}, err
			}
			if err := add(cs); err != nil {
				return syncproto.BundleHeader{}, err
			}
			cur = cs[len(cs)-1].Seq
		}
	})
}

// BundleReport says what importing a return bundle did.
type BundleReport struct {
	Header   syncproto.BundleHeader
	Received int // rows in the bundle
	Applied  int // rows that changed this store
	Skipped  int // rows of tables this version does not have
}

// ImportBundle applies the district's return bundle in the file at path:
// it must be signed by the district's key and made for this device. All
// its rows and the checkpoints it moves commit in one transaction, or
// nothing does. The checkpoints only move forward, so an older return
// bundle after a newer one changes nothing.
func ImportBundle(ctx context.Context, st *store.Store, path string) (BundleReport, error) {
	var rep BundleReport
	id, err := LoadIdentity(ctx, st)
	if err != nil {
		return rep, err
	}
	if id.ServerKey == nil {
		return rep, ErrNoServerKey
	}
	b, f, err := syncproto.OpenBundleFile(path, func(h syncproto.BundleHeader) (ed25519.PublicKey, error) {
		switch {
		case h.Kind != syncproto.BundleReturn:
			return nil, fmt.Errorf("this is a %s bundle made by a device; it is imported on the district server (qiao-district import-bundle)", h.Kind)
		case h.Device != id.DeviceID:
			return nil, fmt.Errorf("this return bundle is for device %s, not for this one (%s)", h.Device, id.DeviceID)
		}
		return id.ServerKey, nil
	})
	if err != nil {
		return rep, fmt.Errorf("replica: bundle %s refused: %w", path, err)
	}
	defer f.Close()
	rep.Header = b.Header
	err = st.Update(ctx, func(tx *store.Tx) error {
		err := b.Changes(bundleChunk, func(cs []syncproto.Change) error {
			rep.Received += len(cs)
			return applyRows(tx, id.SchoolID, cs, &rep.Applied, &rep.Skipped)
		})
		if err != nil {
			return err
		}
		pull, err := txCheckpoint(ctx, tx, store.CheckpointPull)
		if err != nil {
			return err
		}
		// A bundle that starts after this device's cursor would skip rows.
		if pull >= b.Header.From && b.Header.Through > pull {
			if err := tx.SetCheckpoint(store.CheckpointPull, b.Header.Through); err != nil {
				return err
			}
		}
		push, err := txCheckpoint(ctx, tx, store.CheckpointPush)
		if err != nil || b.Header.PushedThrough <= push {
			return err
		}
		return tx.SetCheckpoint(store.CheckpointPush, b.Header.PushedThrough)
	})
	if err != nil {
		return BundleReport{Header: b.Header}, fmt.Errorf("replica: bundle %s refused, nothing was applied: %w", path, err)
	}
	return rep, nil
}

// applyRows applies rows received from the district in tx, refusing rows
// of another school; it counts the rows applied and those skipped as
// tables this version does not have, and remembers the clock they advanced.
func applyRows(tx *store.Tx, schoolID string, cs []syncproto.Change, applied, skipped *int) error {
	for _, c := range cs {
		if c.SchoolID != "" && c.SchoolID != schoolID && c.Table != "schools" {
			return fmt.Errorf("replica: the district sent a row of another school (%s %s)", c.Table, c.ID)
		}
		ok, err := tx.ApplyRemote(c)
		if errors.Is(err, store.ErrUnknownTable) {
			*skipped++
			continue
		}
		if err != nil {
			return err
		}
		if ok {
			*applied++
		}
	}
	return tx.RememberClock()
}

// txCheckpoint reads a sync checkpoint inside tx; 0 if never set.
func txCheckpoint(ctx context.Context, tx *store.Tx, name string) (int64, error) {
	var v string
	err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key=?`, name).Scan(&v)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil
		}
		return 0, err
	}
	return strconv.ParseInt(v, 10, 64)
}
