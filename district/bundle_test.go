package district

import (
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"qiao/syncproto"
)

// bundleDevice enrols a device of school and returns it with its private key.
func bundleDevice(t *testing.T, db *DB, school string) (Device, ed25519.PrivateKey) {
	t.Helper()
	ctx := context.Background()
	code, err := db.IssueCode(ctx, school, RoleTeacher, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	pub, key, _ := ed25519.GenerateKey(nil)
	dev, err := db.Enrol(ctx, code, pub, "offline laptop", "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return dev, key
}

// pushBundle writes a push bundle of cs by dev, signed with key, and
// returns its path.
func pushBundle(t *testing.T, dev Device, key ed25519.PrivateKey, pulled int64, cs ...syncproto.Change) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "push.qiao")
	through := int64(0)
	if len(cs) > 0 {
		through = cs[len(cs)-1].Seq
	}
	_, err := syncproto.WriteBundle(path, key, func(add func([]syncproto.Change) error) (syncproto.BundleHeader, error) {
		return syncproto.BundleHeader{Kind: syncproto.BundlePush, ID: newID(), Device: dev.ID, School: dev.SchoolID,
			Created: time.Now(), From: cs[0].Seq - 1, Through: through, PulledThrough: pulled}, add(cs)
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// dbSnapshot is what an import may change: the counter, the rows, the
// versions seen, the device checkpoints and the bundles imported.
func dbSnapshot(t *testing.T, db *DB) [5]int64 {
	t.Helper()
	var s [5]int64
	for i, q := range []string{`SELECT seq FROM sync_counter`, `SELECT count(*) FROM sync_rows`, `SELECT count(*) FROM sync_seen`,
		`SELECT coalesce(sum(pushed_through + pulled_through), 0) FROM sync_devices`, `SELECT count(*) FROM sync_bundles`} {
		if err := db.queryRow(context.Background(), q).Scan(&s[i]); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestImportBundleOnceAndAgain(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		w := newSyncWorld(t, cfg)
		ctx := context.Background()
		dev, key := bundleDevice(t, w.db, w.a)
		var cs []syncproto.Change
		for _, id := range []string{newID(), newID(), newID()} {
			cs = append(cs, w.change(dev, "research_teachers", id, w.a, `1`))
		}
		path := pushBundle(t, dev, key, 0, cs...)
		imp, err := w.db.ImportBundle(ctx, path, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if imp.Already || imp.Result.Applied != 3 || imp.Result.Through != 3 || imp.Device.ID != dev.ID {
			t.Fatalf("first import: %+v", imp)
		}
		before := dbSnapshot(t, w.db)
		again, err := w.db.ImportBundle(ctx, path, time.Now())
		if err != nil || !again.Already || again.Result.Applied != 0 {
			t.Fatalf("second import: %+v %v", again, err)
		}
		if after := dbSnapshot(t, w.db); after != before {
			t.Fatalf("second import changed the database: %v -> %v", before, after)
		}
		// Without the record of the bundle, the versions seen still make
		// a repeat change nothing but that record.
		if _, err := w.db.exec(ctx, `DELETE FROM sync_bundles`); err != nil {
			t.Fatal(err)
		}
		before = dbSnapshot(t, w.db)
		third, err := w.db.ImportBundle(ctx, path, time.Now())
		if err != nil || third.Already || third.Result.Applied != 0 || third.Result.Stale != 3 {
			t.Fatalf("import after forgetting the bundle: %+v %v", third, err)
		}
		if after := dbSnapshot(t, w.db); after[0] != before[0] || after[1] != before[1] || after[2] != before[2] || after[3] != before[3] {
			t.Fatalf("re-import changed the rows: %v -> %v", before, after)
		}
	})
}

func TestImportBundleRefusedWhole(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		w := newSyncWorld(t, cfg)
		ctx := context.Background()
		dev, key := bundleDevice(t, w.db, w.a)
		other, otherKey := bundleDevice(t, w.db, w.a)
		good := w.change(dev, "research_teachers", newID(), w.a, `1`)
		valid := pushBundle(t, dev, key, 0, good)
		valid2 := pushBundle(t, other, otherKey, 0, w.change(other, "research_teachers", newID(), w.a, `1`))
		data, err := os.ReadFile(valid)
		if err != nil {
			t.Fatal(err)
		}
		write := func(b []byte) string {
			p := filepath.Join(t.TempDir(), "bad.qiao")
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
		flip := func(i int) string {
			b := append([]byte(nil), data...)
			b[i] ^= 0x20
			return write(b)
		}
		// Device dev's header, signed by another device's key.
		forged := filepath.Join(t.TempDir(), "forged.qiao")
		if _, err := syncproto.WriteBundle(forged, otherKey, func(add func([]syncproto.Change) error) (syncproto.BundleHeader, error) {
			return syncproto.BundleHeader{Kind: syncproto.BundlePush, ID: newID(), Device: dev.ID, School: w.a, Created: time.Now(), From: 0, Through: good.Seq}, add([]syncproto.Change{good})
		}); err != nil {
			t.Fatal(err)
		}
		unknownKey := ed25519.NewKeyFromSeed(make([]byte, 32))
		stranger := Device{ID: newID(), SchoolID: w.a}
		before := dbSnapshot(t, w.db)
		cases := []struct {
			name, path, want string
		}{
			{"header byte flipped", flip(len(syncproto.BundleMagic) + 10), "bundle"},
			{"body byte flipped", flip(len(data) / 2), "checksum"},
			{"trailer byte flipped", flip(len(data) - 20), "bundle"},
			{"truncated", write(data[:len(data)-30]), "truncated"},
			{"row of school B", pushBundle(t, dev, key, 0, w.change(dev, "research_teachers", newID(), w.a, `1`),
				w.change(dev, "research_teachers", newID(), w.b, `2`)), "belongs to school " + w.b},
			{"signed by another device", forged, "signature"},
			{"unknown device", pushBundle(t, stranger, unknownKey, 0, w.change(stranger, "research_teachers", newID(), w.a, `1`)), "not enrolled"},
			{"not a bundle", write([]byte("hello")), "not a valid Qiao bundle"},
		}
		for _, c := range cases {
			_, err := w.db.ImportBundle(ctx, c.path, time.Now())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: err %v, want one mentioning %q", c.name, err, c.want)
			}
		}
		if after := dbSnapshot(t, w.db); after != before {
			t.Fatalf("refused bundles changed the database: %v -> %v", before, after)
		}
		var logged int
		if err := w.db.queryRow(ctx, `SELECT count(*) FROM sync_errors WHERE code = 'partition' AND message LIKE 'offline bundle %'`).Scan(&logged); err != nil || logged != 1 {
			t.Fatalf("%d partition refusals logged for the status page (%v), want 1", logged, err)
		}
		// A revoked device's bundle is refused; its colleague's still goes in.
		if err := w.db.RevokeDevice(ctx, dev.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.db.ImportBundle(ctx, valid, time.Now()); err == nil || !strings.Contains(err.Error(), "revoked") {
			t.Fatalf("revoked device: %v", err)
		}
		if _, err := w.db.ImportBundle(ctx, valid2, time.Now()); err != nil {
			t.Fatalf("colleague's bundle: %v", err)
		}
	})
}

func TestReturnBundle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		w := newSyncWorld(t, cfg)
		ctx := context.Background()
		dev, key := bundleDevice(t, w.db, w.a)
		colleague := w.device(w.a, RoleTeacher)
		outsider := w.device(w.b, RoleTeacher)
		mine := w.change(dev, "research_teachers", newID(), w.a, `1`)
		theirs := w.change(colleague, "research_teachers", newID(), w.a, `2`)
		foreign := w.change(outsider, "research_teachers", newID(), w.b, `3`)
		for _, p := range []struct {
			d Device
			c syncproto.Change
		}{{colleague, theirs}, {outsider, foreign}} {
			if _, err := w.push(p.d, p.c); err != nil {
				t.Fatal(err)
			}
		}
		imp, err := w.db.ImportBundle(ctx, pushBundle(t, dev, key, 0, mine), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		pulledBefore := dbSnapshot(t, w.db)[3]
		out := filepath.Join(t.TempDir(), "return.qiao")
		h, err := w.db.WriteReturnBundle(ctx, imp.Device, imp.Header.PulledThrough, out, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if dbSnapshot(t, w.db)[3] != pulledBefore {
			t.Fatal("writing the return bundle moved a checkpoint")
		}
		serverKey, err := w.db.ServerKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b, f, err := syncproto.OpenBundleFile(out, func(syncproto.BundleHeader) (ed25519.PublicKey, error) {
			return serverKey.Public().(ed25519.PublicKey), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		got := map[string]bool{}
		if err := b.Changes(2, func(cs []syncproto.Change) error {
			for _, c := range cs {
				got[c.Table+"/"+c.ID] = true
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		st := w.state(dev)
		if h.Kind != syncproto.BundleReturn || h.Device != dev.ID || h.PushedThrough != mine.Seq || h.Through != st.ServerSeq {
			t.Fatalf("return header %+v, state %+v", h, st)
		}
		if !got["research_teachers/"+theirs.ID] || !got["schools/"+w.a] || !got["schools/"+w.b] || got["research_teachers/"+foreign.ID] {
			t.Fatalf("return bundle rows %v", got)
		}
		// The key is made once and kept.
		again, err := w.db.ServerKey(ctx)
		if err != nil || !again.Equal(serverKey) {
			t.Fatalf("server key changed: %v", err)
		}
	})
}

func TestImportBundleWrongKind(t *testing.T) {
	w := newSyncWorld(t, Config{DataDir: t.TempDir(), Insecure: true})
	dev, _ := bundleDevice(t, w.db, w.a)
	out := filepath.Join(t.TempDir(), "return.qiao")
	if _, err := w.db.WriteReturnBundle(context.Background(), dev, 0, out, time.Now()); err != nil {
		t.Fatal(err)
	}
	_, err := w.db.ImportBundle(context.Background(), out, time.Now())
	if err == nil || !strings.Contains(err.Error(), "return bundle") || errors.Is(err, syncproto.ErrBundleSignature) {
		t.Fatalf("return bundle imported at the district: %v", err)
	}
}
