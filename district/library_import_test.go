package district

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"qiao/syncproto"
)

// packFiles is a pack's files by hash, as ImportLibrary's open reads them.
type packFiles map[string][]byte

func (p packFiles) open(hash string) (io.ReadCloser, error) {
	b, ok := p[hash]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// importEntries makes n district-wide entries with their files, one
// file shared by two entries, and one school entry.
func importEntries(n int) ([]LibraryEntry, packFiles) {
	files := packFiles{}
	var es []LibraryEntry
	for i := range n {
		data := []byte(strings.Repeat(fmt.Sprintf("一师一优课 第%d课 ", i), 200+i))
		h := sha(data)
		files[h] = data
		es = append(es, LibraryEntry{ID: fmt.Sprintf("01930000-0000-7000-8000-%012d", i), CreatedAt: 1_790_000_000 + int64(i),
			LibraryFields: LibraryFields{Title: fmt.Sprintf("《秋天的雨》第%d课时 课件", i+1), Stage: "小学", Subject: "语文",
				Edition: "部编版", Grade: 3, Unit: "第二单元", Kind: "courseware", FileName: fmt.Sprintf("秋天的雨%d.pptx", i),
				Size: int64(len(data)), Hash: h, Tags: []string{"一师一优课"}, UploadedBy: "区教研室", Licence: "CC BY-NC"}})
	}
	shared := es[0]
	shared.ID, shared.Title, shared.Kind = "01930000-0000-7000-8000-100000000000", "《秋天的雨》素材", "material"
	school := es[1]
	school.ID, school.SchoolID, school.Title = "01930000-0000-7000-8000-200000000000", "01930000-0000-7000-8000-300000000000", "《秋天的雨》教案（学校）"
	return append(es, shared, school), files
}

func TestImportLibrary(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) { testImportLibrary(t, newFixture(t, cfg)) })
}

func testImportLibrary(t *testing.T, f *fixture) {
	ctx := context.Background()
	store, err := OpenFiles(f.s.cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	entries, files := importEntries(4)
	// A damaged file: same size, one byte changed; and one missing file.
	bad := entries[2]
	files[bad.Hash] = append([]byte("X"), files[bad.Hash][1:]...)
	missing := entries[3]
	delete(files, missing.Hash)
	pull := func() []syncproto.Change {
		t.Helper()
		page, err := f.s.db.Pull(ctx, Device{ID: "01930000-0000-7000-8000-400000000000", SchoolID: f.school, Role: RoleTeacher}, 0, 1000, true, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		var out []syncproto.Change
		for _, c := range page.Changes {
			if c.Table == "library_entries" {
				out = append(out, c)
			}
		}
		return out
	}

	rep, err := f.s.db.ImportLibrary(ctx, store, entries, files.open, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 4 || rep.Copied != 2 || rep.Present != 0 || len(rep.Refused) != 2 {
		t.Fatalf("first import: %+v", rep)
	}
	for i, want := range []LibraryEntry{bad, missing} {
		r := rep.Refused[i]
		if r.Title != want.Title || r.Hash != want.Hash || r.ID != want.ID {
			t.Fatalf("refusal %d names %q %s, want %q %s", i, r.Title, r.Hash, want.Title, want.Hash)
		}
	}
	if !strings.Contains(rep.Refused[0].Reason, "SHA-256") || !strings.Contains(rep.Refused[1].Reason, "missing") {
		t.Fatalf("reasons: %v", rep.Refused)
	}
	for _, h := range []string{bad.Hash, missing.Hash} {
		if ok, parts := f.stored(h); ok || parts != 0 {
			t.Fatalf("refused file %s: stored %v, %d partial files left", h, ok, parts)
		}
	}

	rows := pull()
	if len(rows) != 4 {
		t.Fatalf("a school device pulls %d library rows, want 4", len(rows))
	}
	ids := map[string]bool{}
	for _, c := range rows {
		var row map[string]any
		json.Unmarshal(c.Data, &row)
		if c.SchoolID != "" || c.Origin != syncproto.DistrictOrigin || row["source"] != "district" {
			t.Fatalf("row %s: school %q origin %q source %v", c.ID, c.SchoolID, c.Origin, row["source"])
		}
		ids[c.ID] = true
	}
	schoolEntry := entries[len(entries)-1]
	if !ids[entries[0].ID] || !ids[entries[1].ID] || ids[schoolEntry.ID] || !ids[importID(schoolEntry)] {
		t.Fatalf("ids %v: district entries keep theirs, the school's is derived (%s)", ids, importID(schoolEntry))
	}

	// A school device reads the imported files.
	teacher := f.enrol(f.code(f.school, RoleTeacher, time.Hour))
	if st, _, body := f.file(teacher, "GET", entries[1].Hash, nil, nil); st != http.StatusOK || !bytes.Equal(body, files[entries[1].Hash]) {
		t.Fatalf("GET imported file: %d, %d bytes", st, len(body))
	}
	if st, _, _ := f.file(teacher, "GET", bad.Hash, nil, nil); st != http.StatusNotFound {
		t.Fatalf("GET refused file: %d", st)
	}

	// Again: nothing changes (no new row versions).
	rep, err = f.s.db.ImportLibrary(ctx, store, entries, files.open, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 0 || rep.Updated != 0 || rep.Unchanged != 4 || rep.Copied != 0 || rep.Present != 2 || len(rep.Refused) != 2 {
		t.Fatalf("second import: %+v", rep)
	}
	again := pull()
	for i := range rows {
		if again[i].ID != rows[i].ID || again[i].HLC != rows[i].HLC || again[i].Seq != rows[i].Seq {
			t.Fatalf("importing twice changed row %s", rows[i].ID)
		}
	}

	// A newer pack: the damaged file fixed, one title changed.
	entries[0].Title = "《秋天的雨》第1课时 课件（修订）"
	files[bad.Hash] = []byte(strings.Repeat(fmt.Sprintf("一师一优课 第%d课 ", 2), 202))
	rep, err = f.s.db.ImportLibrary(ctx, store, entries, files.open, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 1 || rep.Updated != 1 || rep.Unchanged != 3 || rep.Copied != 1 || len(rep.Refused) != 1 {
		t.Fatalf("newer pack: %+v", rep)
	}
	if st, _, _ := f.file(teacher, "GET", bad.Hash, nil, nil); st != http.StatusOK {
		t.Fatalf("GET repaired file: %d", st)
	}
}

func TestImportLibraryRefusesBadEntries(t *testing.T) {
	f := newFixture(t, Config{DataDir: t.TempDir(), Insecure: true})
	ctx := context.Background()
	store, err := OpenFiles(f.s.cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	entries, files := importEntries(3)
	entries[0].Kind = "poster"
	entries[2].Size++ // the file is one byte shorter than the entry says
	rep, err := f.s.db.ImportLibrary(ctx, store, entries, files.open, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 3 || len(rep.Refused) != 2 || !strings.Contains(rep.Refused[0].Reason, "kind") || !strings.Contains(rep.Refused[1].Reason, "bytes") {
		t.Fatalf("report %+v", rep)
	}
	// The entry sharing entries[0]'s file lands: the file is fine.
	if ok, parts := f.stored(entries[0].Hash); !ok || parts != 0 {
		t.Fatalf("shared file stored %v, %d partials", ok, parts)
	}
	if ok, _ := f.stored(entries[2].Hash); ok {
		t.Fatal("a file of the wrong size was stored")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := f.s.db.ImportLibrary(cancelled, store, entries, files.open, time.Now(), nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled import: %v", err)
	}
}

// cutPack is a pack whose reads are cut once budget bytes of file content
// have been read in all (budget < 0: never): the drive is pulled out (a
// read error), or, with cancel set, the import is cancelled. It counts
// every byte it hands out.
type cutPack struct {
	files  packFiles
	budget int64
	cancel context.CancelFunc
	read   *int64
}

var errPulled = errors.New("input/output error (the drive was removed)")

func (c cutPack) open(hash string) (io.ReadCloser, error) {
	b, ok := c.files[hash]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return &cutReader{Reader: bytes.NewReader(b), pack: c}, nil
}

type cutReader struct {
	*bytes.Reader // Seek skips without reading
	pack          cutPack
}

func (r *cutReader) Read(p []byte) (int, error) {
	if len(p) > 1000 {
		p = p[:1000] // small reads: cuts land mid-file
	}
	if c := r.pack; c.budget >= 0 {
		left := c.budget - *c.read
		if left <= 0 {
			if c.cancel != nil {
				c.cancel()
				return 0, context.Canceled // what a cancelling source would say; the import must stop without reading on
			}
			return 0, errPulled
		}
		if int64(len(p)) > left {
			p = p[:left]
		}
	}
	n, err := r.Reader.Read(p)
	*r.pack.read += int64(n)
	return n, err
}

func (r *cutReader) Close() error { return nil }

func TestImportLibraryResumesCutImport(t *testing.T) {
	f := newFixture(t, Config{DataDir: t.TempDir(), Insecure: true})
	store, err := OpenFiles(f.s.cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	entries, files := importEntries(4)
	var total int64
	for _, b := range files {
		total += int64(len(b))
	}
	var read int64
	cuts := 0
	var last ImportProgress
	for attempt := 0; ; attempt++ {
		if attempt > 20 {
			t.Fatal("the import never finished")
		}
		ctx, cancel := context.WithCancel(context.Background())
		pack := cutPack{files: files, budget: -1, read: &read}
		if attempt < 4 {
			pack.budget = read + 1 + total/5
			if attempt%2 == 1 {
				pack.cancel = cancel
			}
		}
		rep, err := f.s.db.ImportLibrary(ctx, store, entries, pack.open, time.Now(), func(p ImportProgress) { last = p })
		cancel()
		if err == nil {
			if len(rep.Refused) != 0 {
				t.Fatalf("refused: %v", rep.Refused)
			}
			break
		}
		cuts++
		var re *ReadError
		if !errors.As(err, &re) && !errors.Is(err, context.Canceled) {
			t.Fatalf("attempt %d: a cut import says %v", attempt, err)
		}
		if errors.As(err, &re) && (!errors.Is(err, errPulled) || re.Done <= 0 || re.Done >= re.Size) {
			t.Fatalf("attempt %d: read error %v: want the drive's error, mid-file", attempt, err)
		}
		for h, b := range files { // nothing half-copied is visible
			if path, err := store.Path(h); err == nil {
				got, _ := os.ReadFile(path)
				if !bytes.Equal(got, b) {
					t.Fatalf("attempt %d: %s is visible but not whole", attempt, h)
				}
			}
		}
	}
	if cuts != 4 {
		t.Fatalf("%d imports were cut, want 4", cuts)
	}
	// Resumed, not restarted: each byte of the pack was read once.
	if read != total {
		t.Fatalf("read %d bytes over %d imports; the pack has %d", read, cuts+1, total)
	}
	for h, b := range files {
		path, err := store.Path(h)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, b) {
			t.Fatalf("%s differs from the pack", h)
		}
		if ok, parts := f.stored(h); !ok || parts != 0 {
			t.Fatalf("%s: stored %v, %d partial files left", h, ok, parts)
		}
	}
	if last.FilesDone != 4 || last.Files != 4 || last.BytesDone != total || last.Bytes != total || last.Current != "" {
		t.Fatalf("last progress %+v, want 4 files and %d bytes done", last, total)
	}
	rep, err := f.s.db.ImportLibrary(context.Background(), store, entries, files.open, time.Now(), nil)
	if err != nil || rep.Added != 0 || rep.Unchanged != len(entries) || rep.Present != 4 {
		t.Fatalf("after the resumed import every entry is there: %+v, %v", rep, err)
	}
}

// TestImportLibraryRedoesDamagedPartial: a kept part whose bytes are
// wrong (damaged on disk) is copied once more from the start; a pack file
// that is itself wrong is then refused, leaving nothing behind.
func TestImportLibraryRedoesDamagedPartial(t *testing.T) {
	f := newFixture(t, Config{DataDir: t.TempDir(), Insecure: true})
	store, err := OpenFiles(f.s.cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	entries, files := importEntries(2)
	entries = entries[:2]
	good, bad := entries[0], entries[1]
	files[bad.Hash] = append([]byte("X"), files[bad.Hash][1:]...) // the pack's copy is damaged
	for _, e := range entries {
		var read int64
		half := e.Size / 2
		pack := cutPack{files: packFiles{e.Hash: files[e.Hash]}, budget: half, read: &read}
		if _, err := f.s.db.ImportLibrary(context.Background(), store, []LibraryEntry{e}, pack.open, time.Now(), nil); !errors.Is(err, errPulled) {
			t.Fatalf("cut import of %q: %v", e.Title, err)
		}
		part, err := store.Partial(e.Hash, importTag)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := part.Size(); n != half {
			t.Fatalf("%q: %d bytes kept, want %d", e.Title, n, half)
		}
	}
	// A power cut damaged the good file's kept part. (Removing it first
	// drops what this process knows of it, as a restart would.)
	path := filepath.Join(f.s.cfg.DataDir, FilesDir, "partial", good.Hash+"."+importTag)
	kept, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	kept[10] ^= 0xff
	if part, err := store.Partial(good.Hash, importTag); err != nil || part.Remove() != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, kept, 0o644); err != nil {
		t.Fatal(err)
	}
	var read int64
	pack := cutPack{files: files, budget: -1, read: &read}
	rep, err := f.s.db.ImportLibrary(context.Background(), store, entries, pack.open, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 1 || rep.Copied != 1 || len(rep.Refused) != 1 || rep.Refused[0].Hash != bad.Hash || !strings.Contains(rep.Refused[0].Reason, "SHA-256") {
		t.Fatalf("report %+v", rep)
	}
	// Each file: its second half, then (the hash wrong) all of it again.
	if want := good.Size - good.Size/2 + good.Size + bad.Size - bad.Size/2 + bad.Size; read != want {
		t.Fatalf("read %d bytes, want %d", read, want)
	}
	if got, err := os.ReadFile(filepath.Join(f.s.cfg.DataDir, FilesDir, good.Hash[:2], good.Hash[2:])); err != nil || !bytes.Equal(got, files[good.Hash]) {
		t.Fatalf("the redone file differs: %v", err)
	}
	if ok, parts := f.stored(bad.Hash); ok || parts != 0 {
		t.Fatalf("the damaged file: stored %v, %d partial files left", ok, parts)
	}
}
