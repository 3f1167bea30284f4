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

	rep, err := f.s.db.ImportLibrary(ctx, store, entries, files.open, time.Now())
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
	rep, err = f.s.db.ImportLibrary(ctx, store, entries, files.open, time.Now())
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
	rep, err = f.s.db.ImportLibrary(ctx, store, entries, files.open, time.Now())
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
	rep, err := f.s.db.ImportLibrary(ctx, store, entries, files.open, time.Now())
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
	if _, err := f.s.db.ImportLibrary(cancelled, store, entries, files.open, time.Now()); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled import: %v", err)
	}
}
