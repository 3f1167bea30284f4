package syncproto

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testKey is a fixed signing key, so fuzz seeds are reproducible.
var testKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

const (
	testDevice = "01964b1c-0000-7000-8000-000000000001"
	testSchool = "01964b1c-0000-7000-8000-0000000000a1"
)

func testChange(seq int64) Change {
	return Change{Seq: seq, Table: "research_teachers", ID: fmt.Sprintf("01964b1c-0000-7000-8000-%012d", seq),
		SchoolID: testSchool, HLC: uint64(1e15 + seq), Origin: testDevice, Data: json.RawMessage(`{"name":"张老师"}`)}
}

// writeTestBundle writes a push bundle of n changes and returns its path.
func writeTestBundle(t testing.TB, dir string, n int) string {
	t.Helper()
	path := filepath.Join(dir, "push.qiao")
	_, err := WriteBundle(path, testKey, func(add func([]Change) error) (BundleHeader, error) {
		for i := 1; i <= n; {
			var cs []Change
			for ; i <= n && len(cs) < 100; i++ {
				cs = append(cs, testChange(int64(i)))
			}
			if err := add(cs); err != nil {
				return BundleHeader{}, err
			}
		}
		return BundleHeader{Kind: BundlePush, ID: "01964b1c-0000-7000-8000-0000000000b1", Device: testDevice, School: testSchool,
			Created: time.Unix(1_750_000_000, 0).UTC(), From: 0, Through: int64(n), PulledThrough: 5}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func fixedKey(BundleHeader) (ed25519.PublicKey, error) {
	return testKey.Public().(ed25519.PublicKey), nil
}

// readAll verifies data and reads all its changes.
func readAll(data []byte, keyFor func(BundleHeader) (ed25519.PublicKey, error)) (BundleHeader, []Change, error) {
	b, err := ReadBundle(bytes.NewReader(data), int64(len(data)), keyFor)
	if err != nil {
		return BundleHeader{}, nil, err
	}
	var all []Change
	err = b.Changes(7, func(cs []Change) error {
		if len(cs) > 7 {
			return errors.New("chunk too large")
		}
		all = append(all, cs...)
		return nil
	})
	return b.Header, all, err
}

func TestBundleRoundTrip(t *testing.T) {
	path := writeTestBundle(t, t.TempDir(), 250)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h, cs, err := readAll(data, fixedKey)
	if err != nil {
		t.Fatal(err)
	}
	if h.Changes != 250 || len(cs) != 250 || h.PulledThrough != 5 || h.Version != BundleVersion {
		t.Fatalf("header %+v with %d changes", h, len(cs))
	}
	for i, c := range cs {
		want := testChange(int64(i + 1))
		if c.Seq != want.Seq || c.ID != want.ID || string(c.Data) != string(want.Data) {
			t.Fatalf("change %d = %+v, want %+v", i, c, want)
		}
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
}

func TestBundleEmpty(t *testing.T) {
	data, err := os.ReadFile(writeTestBundle(t, t.TempDir(), 0))
	if err != nil {
		t.Fatal(err)
	}
	if h, cs, err := readAll(data, fixedKey); err != nil || h.Changes != 0 || len(cs) != 0 {
		t.Fatalf("empty bundle: %+v %d %v", h, len(cs), err)
	}
}

// TestBundleTamperedRefused flips one byte at a time across the whole
// file (header, compressed changes, trailer): every flip is refused.
func TestBundleTamperedRefused(t *testing.T) {
	data, err := os.ReadFile(writeTestBundle(t, t.TempDir(), 20))
	if err != nil {
		t.Fatal(err)
	}
	for i := range data {
		bad := bytes.Clone(data)
		bad[i] ^= 0x01
		_, _, err := readAll(bad, fixedKey)
		if !errors.Is(err, ErrBundleFormat) && !errors.Is(err, ErrBundleChecksum) && !errors.Is(err, ErrBundleSignature) {
			t.Fatalf("byte %d of %d flipped: err %v, want a bundle error", i, len(data), err)
		}
	}
	// Truncated anywhere: refused.
	for _, n := range []int{0, 5, len(BundleMagic) + 10, len(data) / 2, len(data) - trailerLen, len(data) - 1} {
		if _, _, err := readAll(data[:n], fixedKey); !errors.Is(err, ErrBundleFormat) && !errors.Is(err, ErrBundleChecksum) {
			t.Fatalf("truncated to %d bytes: %v", n, err)
		}
	}
}

func TestBundleWrongSigner(t *testing.T) {
	data, err := os.ReadFile(writeTestBundle(t, t.TempDir(), 3))
	if err != nil {
		t.Fatal(err)
	}
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, ed25519.SeedSize))
	_, _, err = readAll(data, func(BundleHeader) (ed25519.PublicKey, error) { return other.Public().(ed25519.PublicKey), nil })
	if !errors.Is(err, ErrBundleSignature) {
		t.Fatalf("another key: %v", err)
	}
	refuse := errors.New("unknown device")
	if _, _, err := readAll(data, func(BundleHeader) (ed25519.PublicKey, error) { return nil, refuse }); err != refuse {
		t.Fatalf("refused header: %v", err)
	}
}

// TestBundleSignedButMalformed re-signs altered content, as a device with
// a valid key could: the content checks still refuse it.
func TestBundleSignedButMalformed(t *testing.T) {
	good := signed(t, BundleMagic+`{"kind":"push","version":1,"id":"01964b1c-0000-7000-8000-0000000000b1","device":"`+testDevice+
		`","school":"`+testSchool+`","created":"2026-01-01T00:00:00Z","changes":0,"from":0,"through":0}`+"\n"+string(gz(t, "")))
	if _, _, err := readAll(good, fixedKey); err != nil {
		t.Fatalf("hand-made bundle: %v", err)
	}
	line, _ := json.Marshal(testChange(1))
	for name, tc := range map[string]struct{ header, body string }{
		"count too high":   {`"changes":2,"from":0,"through":1`, string(line) + "\n"},
		"count too low":    {`"changes":0,"from":0,"through":1`, string(line) + "\n"},
		"seq out of range": {`"changes":1,"from":1,"through":2`, string(line) + "\n"},
		"invalid change":   {`"changes":1,"from":0,"through":1`, strings.Replace(string(line), `"tbl":"research_teachers"`, `"tbl":"Bad Table"`, 1) + "\n"},
		"unknown field":    {`"changes":1,"from":0,"through":1`, strings.Replace(string(line), `{`, `{"x":1,`, 1) + "\n"},
		"cut line":         {`"changes":1,"from":0,"through":1`, string(line)},
		"two on a line":    {`"changes":1,"from":0,"through":1`, string(line) + string(line) + "\n"},
		"blank line":       {`"changes":1,"from":0,"through":1`, "\n" + string(line) + "\n"},
		"negative range":   {`"changes":0,"from":3,"through":1`, ""},
		"too many changes": {`"changes":10000001,"from":0,"through":1`, ""},
	} {
		data := signed(t, BundleMagic+`{"kind":"push","version":1,"id":"01964b1c-0000-7000-8000-0000000000b1","device":"`+testDevice+
			`","school":"`+testSchool+`","created":"2026-01-01T00:00:00Z",`+tc.header+"}\n"+string(gz(t, tc.body)))
		if _, _, err := readAll(data, fixedKey); !errors.Is(err, ErrBundleFormat) {
			t.Errorf("%s: err %v, want ErrBundleFormat", name, err)
		}
	}
}

func gz(t testing.TB, s string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(s))
	zw.Close()
	return buf.Bytes()
}

// signed appends a valid trailer (by testKey) to content.
func signed(t testing.TB, content string) []byte {
	sum := sha256.Sum256([]byte(content))
	return append([]byte(content), signTrailer(testKey, sum[:])...)
}

// TestBundleLarge streams 120,000 changes through a bundle in chunks.
func TestBundleLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large bundle")
	}
	const n = 120_000
	f, err := os.Open(writeTestBundle(t, t.TempDir(), n))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	b, err := ReadBundle(f, fi.Size(), fixedKey)
	if err != nil {
		t.Fatal(err)
	}
	var got, chunks int64
	err = b.Changes(1000, func(cs []Change) error {
		if len(cs) > 1000 || cs[0].Seq != got+1 {
			return fmt.Errorf("chunk of %d starting at seq %d after %d", len(cs), cs[0].Seq, got)
		}
		got += int64(len(cs))
		chunks++
		return nil
	})
	if err != nil || got != n || chunks != n/1000 {
		t.Fatalf("read %d changes in %d chunks: %v", got, chunks, err)
	}
	t.Logf("%d changes in %d bytes", n, fi.Size())
}
