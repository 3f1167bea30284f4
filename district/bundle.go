package district

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"qiao/syncproto"
)

// Offline bundles: a school without a network exports its changes to a
// USB stick (a push bundle, signed with its device key); the district
// imports it here in one transaction and writes a return bundle, signed
// with the server key (serverkey.go), with what the device has still to
// receive. The format is syncproto's; docs/sync-protocol.md describes the
// whole exchange.

// bundleChunk is how many changes of a bundle are applied at a time.
const bundleChunk = 1000

// BundleImport says what importing a push bundle did.
type BundleImport struct {
	Header syncproto.BundleHeader
	Device Device
	// Already is set if the bundle was imported before, at ImportedAt:
	// nothing was applied this time.
	Already    bool
	ImportedAt time.Time
	Result     syncproto.PushResult // Through is the device's pushed_through
}

// ImportBundle verifies the push bundle in the file at path — signed by
// an enrolled, unrevoked device, unaltered — and applies all its changes
// in one transaction, with the same partition checks as an online push:
// any refused change refuses the whole bundle and nothing is applied. A
// bundle imported before changes nothing.
func (d *DB) ImportBundle(ctx context.Context, path string, now time.Time) (BundleImport, error) {
	var imp BundleImport
	b, f, err := syncproto.OpenBundleFile(path, func(h syncproto.BundleHeader) (ed25519.PublicKey, error) {
		if h.Kind != syncproto.BundlePush {
			return nil, fmt.Errorf("this is a %s bundle, made by the district for a device; import it in the app, not here", h.Kind)
		}
		dev, err := d.Device(ctx, h.Device)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil, fmt.Errorf("the bundle was made by device %s, which is not enrolled with this district", h.Device)
		case err != nil:
			return nil, err
		case !dev.Revoked.IsZero():
			return nil, fmt.Errorf("the bundle was made by device %s (%s), which the district revoked on %s", dev.ID, dev.Name, dev.Revoked.UTC().Format(time.DateOnly))
		case dev.SchoolID != h.School:
			return nil, fmt.Errorf("the bundle names school %s, but device %s is enrolled for school %s", h.School, dev.ID, dev.SchoolID)
		}
		imp.Device = dev
		return dev.PublicKey, nil
	})
	if err != nil {
		return imp, fmt.Errorf("district: bundle %s refused: %w", path, err)
	}
	defer f.Close()
	imp.Header = b.Header
	dev := imp.Device

	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return imp, err
	}
	defer tx.Rollback()
	ap, err := d.newApplier(ctx, tx) // takes the counter: imports of one bundle queue here
	if err != nil {
		return imp, err
	}
	defer ap.close()
	var at int64
	err = d.txQueryRow(ctx, tx, `SELECT imported_at FROM sync_bundles WHERE id = ?`, b.Header.ID).Scan(&at)
	if err == nil {
		imp.Already, imp.ImportedAt = true, time.Unix(at, 0)
		return imp, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return imp, err
	}
	done := 0
	err = b.Changes(bundleChunk, func(cs []syncproto.Change) error {
		if err := ap.apply(dev, cs, now, &imp.Result); err != nil {
			return fmt.Errorf("in changes %d to %d: %w", done+1, done+len(cs), err)
		}
		done += len(cs)
		return nil
	})
	if err != nil {
		ap.close()
		tx.Rollback()
		var apiErr *APIError
		if errors.As(err, &apiErr) { // after the rollback, which frees SQLite's write lock
			d.LogSyncError(context.WithoutCancel(ctx), dev.ID, apiErr.Code, "offline bundle "+b.Header.ID+": "+apiErr.Message, now)
		}
		return imp, fmt.Errorf("district: bundle %s refused, nothing was applied: %w", path, err)
	}
	if imp.Result.Through, err = ap.finish(dev, now); err != nil {
		return imp, err
	}
	// What the device had received when it made the bundle: its return
	// bundle starts there.
	if _, err := d.txExec(ctx, tx, `INSERT INTO sync_devices(device_id, pulled_through, last_pull) VALUES (?,?,?)
		ON CONFLICT(device_id) DO UPDATE SET pulled_through = CASE WHEN excluded.pulled_through > sync_devices.pulled_through
		THEN excluded.pulled_through ELSE sync_devices.pulled_through END`, dev.ID, b.Header.PulledThrough, now.Unix()); err != nil {
		return imp, err
	}
	if _, err := d.txExec(ctx, tx, `INSERT INTO sync_bundles(id, device_id, imported_at, changes, through_seq) VALUES (?,?,?,?,?)`,
		b.Header.ID, dev.ID, now.Unix(), b.Header.Changes, b.Header.Through); err != nil {
		return imp, err
	}
	return imp, tx.Commit()
}

// WriteReturnBundle writes to path the return bundle for dev: every row
// dev may read with a sequence number after the cursor after (the pull
// cursor its push bundle carried), read page by page, and the device's
// push checkpoint. It does not move the device's pull checkpoint: the
// device proves it received the rows with its next pull or push bundle.
func (d *DB) WriteReturnBundle(ctx context.Context, dev Device, after int64, path string, now time.Time) (syncproto.BundleHeader, error) {
	key, err := d.ServerKey(ctx)
	if err != nil {
		return syncproto.BundleHeader{}, err
	}
	st, err := d.SyncState(ctx, dev)
	if err != nil {
		return syncproto.BundleHeader{}, err
	}
	if after > st.ServerSeq {
		// The device has rows the server has not (its database was
		// restored from a backup): send everything.
		after = 0
	}
	return syncproto.WriteBundle(path, key, func(add func([]syncproto.Change) error) (syncproto.BundleHeader, error) {
		cur, full := after, after == 0
		for {
			page, err := d.readPage(ctx, dev, cur, DefaultPullLimit, full)
			if err != nil {
				return syncproto.BundleHeader{}, err
			}
			if err := add(page.Changes); err != nil {
				return syncproto.BundleHeader{}, err
			}
			cur = page.Next
			if !page.More {
				break
			}
		}
		return syncproto.BundleHeader{Kind: syncproto.BundleReturn, ID: newID(), Device: dev.ID, School: dev.SchoolID,
			Created: now.UTC(), From: after, Through: cur, PushedThrough: st.PushedThrough}, nil
	})
}
