package library

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"qiao/content"
	"qiao/store"
)

// install is one data directory: its store, its content store and packs.
func install(t testing.TB, schoolID string) *Packs {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	files, err := content.Open(filepath.Join(dir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	return &Packs{DB: st, Files: files, SchoolID: schoolID}
}

const (
	schoolA = "01900000-0000-7000-8000-00000000000a"
	schoolB = "01900000-0000-7000-8000-00000000000b"
)

// seedEntry adds a catalogue entry of school (""; district-wide) with a
// random file of size bytes (stored unless keepFile is false).
func seedEntry(t testing.TB, p *Packs, rng *rand.Rand, school string, e PackEntry, size int, keepFile bool) PackEntry {
	t.Helper()
	if e.Hash == "" {
		b := make([]byte, size)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		sum := sha256.Sum256(b)
		e.Hash, e.Size = hex.EncodeToString(sum[:]), int64(size)
		if keepFile {
			if _, err := p.Files.Put(bytes.NewReader(b)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if e.Tags == nil {
		e.Tags = []string{}
	}
	tags, _ := json.Marshal(e.Tags)
	err := p.DB.Update(context.Background(), func(tx *store.Tx) error {
		rec, err := tx.Put(entriesTable, school, "", store.Fields{
			"title": e.Title, "stage": e.Stage, "subject": e.Subject, "edition": e.Edition, "grade": e.Grade,
			"unit": e.Unit, "kind": e.Kind, "source": e.Source, "file_name": e.FileName, "size": e.Size,
			"hash": e.Hash, "tags": string(tags), "uploaded_by": e.UploadedBy, "licence": e.Licence,
			"lesson_id": e.LessonID, "created_at": e.CreatedAt,
		})
		e.ID, e.SchoolID = rec.ID, school
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// seedGrade3Chinese fills p with a realistic slice of a catalogue: Grade 3
// Chinese (人教版) from the district and the school, one entry sharing
// another's file, one whose file is not on this computer, and entries of
// other grades and subjects.
func seedGrade3Chinese(t testing.TB, p *Packs, rng *rand.Rand, sizes []int) (picked []PackEntry, missing PackEntry) {
	t.Helper()
	g3 := PackEntry{Stage: "小学", Subject: "语文", Edition: "人教版", Grade: 3, Source: "district", Licence: "CC BY-NC"}
	titles := []string{"《燕子》课件", "《古诗三首》教案", "第一单元 习作：猜猜他是谁", "《荷花》微课", "期中测试卷",
		"《赵州桥》课堂作业", "《守株待兔》朗读素材", "《花钟》录播课", "《海滨小城》导学案", "《一幅名扬中外的画》"}
	kinds := []string{"courseware", "plan", "plan", "video", "paper", "homework", "material", "recording", "plan", "courseware"}
	for i, title := range titles {
		e := g3
		e.Title, e.Kind, e.Unit = title, kinds[i], "第"+string([]rune("一二三四")[i%4])+"单元"
		e.FileName = "资源" + string(rune('A'+i)) + ".pptx"
		e.Tags = []string{"三年级", "语文"}
		e.UploadedBy, e.CreatedAt = "王老师", 1_790_000_000+int64(i)
		school := ""
		if i%3 == 1 {
			school, e.Source = schoolA, "teacher"
		}
		picked = append(picked, seedEntry(t, p, rng, school, e, sizes[i%len(sizes)], true))
	}
	same := picked[0]
	same.ID, same.Title, same.Kind = "", "《燕子》课件（另一份目录）", "material"
	picked = append(picked, seedEntry(t, p, rng, "", same, 0, true))
	m := g3
	m.Title, m.Kind = "《美丽的小兴安岭》视频（未下载）", "video"
	missing = seedEntry(t, p, rng, "", m, 1000, false)
	other := PackEntry{Stage: "小学", Subject: "数学", Edition: "北师大版", Grade: 3, Kind: "paper", Source: "district", Title: "分数的初步认识 练习"}
	seedEntry(t, p, rng, "", other, 500, true)
	other.Subject, other.Grade, other.Title = "语文", 4, "四年级《观潮》课件"
	seedEntry(t, p, rng, "", other, 500, true)
	return picked, missing
}

var grade3Chinese = Selection{Stage: "小学", Subject: "语文", Edition: "人教版", Grade: 3}

func exportGrade3(t testing.TB, sizes []int) (src *Packs, dir string, picked []PackEntry) {
	t.Helper()
	src = install(t, schoolA)
	picked, missing := seedGrade3Chinese(t, src, rand.New(rand.NewPCG(1, 2)), sizes)
	dir = t.TempDir()
	rep, err := src.Export(context.Background(), grade3Chinese, dir, PackInfo{Title: "三年级语文 人教版", Creator: "石桥镇中心小学 王老师"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if files := len(distinct(picked)); rep.Entries != len(picked) || rep.Files != files || rep.Copied != files {
		t.Fatalf("export report %+v, want %d entries, %d files copied", rep, len(picked), files)
	}
	if !reflect.DeepEqual(rep.Missing, []string{missing.Title}) {
		t.Fatalf("missing %q, want %q", rep.Missing, missing.Title)
	}
	return src, dir, picked
}

// catalogue returns p's live entries by id.
func catalogue(t testing.TB, p *Packs) map[string]PackEntry {
	t.Helper()
	es, err := selectEntries(context.Background(), p.DB, Selection{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]PackEntry{}
	for _, e := range es {
		out[e.ID] = e
	}
	return out
}

// sameFiles fails unless dst holds every entry's file with the same bytes as src.
func sameFiles(t testing.TB, src, dst *Packs, entries []PackEntry) {
	t.Helper()
	for _, e := range entries {
		a, _ := src.Files.Path(e.Hash)
		b, err := dst.Files.Path(e.Hash)
		if err != nil {
			t.Fatalf("%s: %v", e.Title, err)
		}
		ab, _ := os.ReadFile(a)
		bb, _ := os.ReadFile(b)
		if !bytes.Equal(ab, bb) {
			t.Fatalf("%s: file differs", e.Title)
		}
	}
}

func changes(t testing.TB, p *Packs) int64 {
	n, err := p.DB.LastChange(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPackRoundTrip(t *testing.T) {
	ctx := context.Background()
	src, dir, picked := exportGrade3(t, []int{1, 70_000, 300_000, 0})

	// Another computer of the same school: the school's rows keep their
	// ids, the district's get ids in the school's partition.
	dst := install(t, schoolA)
	var last PackProgress
	rep, err := dst.Import(ctx, dir, func(p PackProgress) { last = p })
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != len(picked) || rep.Copied != rep.Files || len(rep.Refused) != 0 || rep.Pack != "三年级语文 人教版" {
		t.Fatalf("import report %+v", rep)
	}
	if last.FilesDone != last.Files || last.BytesDone != last.Bytes || last.Files != len(distinct(picked)) {
		t.Fatalf("last progress %+v", last)
	}
	got := catalogue(t, dst)
	for _, e := range picked {
		want := e
		want.ID, want.SchoolID = importedID(e, schoolA), schoolA
		if (e.SchoolID == schoolA) != (want.ID == e.ID) {
			t.Fatalf("%s: id %s imported as %s", e.Title, e.ID, want.ID)
		}
		if g := got[want.ID]; !reflect.DeepEqual(g, want) {
			t.Fatalf("imported entry\n%+v\nwant\n%+v", g, want)
		}
	}
	if len(got) != len(picked) {
		t.Fatalf("%d entries imported, want %d", len(got), len(picked))
	}
	sameFiles(t, src, dst, picked)

	// Importing again changes nothing: no row, no change-log entry.
	before := changes(t, dst)
	rep, err = dst.Import(ctx, dir, nil)
	if err != nil || rep.Added != 0 || rep.Copied != 0 || rep.Present != rep.Files {
		t.Fatalf("second import %+v, %v", rep, err)
	}
	if changes(t, dst) != before {
		t.Fatal("a second import wrote changes")
	}

	// Another school: the rows go into its own partition under ids derived
	// from the pack's, so importing twice still changes nothing.
	other := install(t, schoolB)
	for range 2 {
		if rep, err = other.Import(ctx, dir, nil); err != nil {
			t.Fatal(err)
		}
	}
	got = catalogue(t, other)
	if len(got) != len(picked) {
		t.Fatalf("school B has %d entries, want %d", len(got), len(picked))
	}
	for _, e := range picked {
		g := got[importedID(e, schoolB)]
		want := e
		want.ID, want.SchoolID = g.ID, schoolB
		if !reflect.DeepEqual(g, want) {
			t.Fatalf("school B entry\n%+v\nwant\n%+v", g, want)
		}
	}

	// Exporting again into the same folder copies nothing.
	var last2 PackProgress
	again, err := src.Export(ctx, grade3Chinese, dir, PackInfo{Title: "三年级语文 人教版"}, func(p PackProgress) { last2 = p })
	if err != nil || again.Copied != 0 {
		t.Fatalf("re-export %+v, %v", again, err)
	}
	if last2.BytesDone != last2.Bytes || last2.FilesDone != last2.Files {
		t.Fatalf("re-export's last progress %+v", last2)
	}
	// A fresh export counts every byte once.
	var last3 PackProgress
	if _, err := src.Export(ctx, grade3Chinese, t.TempDir(), PackInfo{Title: "三年级语文 人教版"}, func(p PackProgress) { last3 = p }); err != nil {
		t.Fatal(err)
	}
	if last3.BytesDone != last3.Bytes || last3.FilesDone != last3.Files || last3.Bytes == 0 {
		t.Fatalf("export's last progress %+v", last3)
	}
}

func TestPackExportByIDs(t *testing.T) {
	src, _, picked := exportGrade3(t, []int{100})
	dir := t.TempDir()
	rep, err := src.Export(context.Background(), Selection{IDs: []string{picked[2].ID, picked[4].ID}}, dir, PackInfo{Title: "两份资源"}, nil)
	if err != nil || rep.Entries != 2 {
		t.Fatalf("%+v, %v", rep, err)
	}
	if _, err := src.Export(context.Background(), Selection{Kind: "video", Grade: 9}, t.TempDir(), PackInfo{Title: "空"}, nil); PackCodeOf(err) != PackEmpty {
		t.Fatalf("empty selection: %v", err)
	}
}

// cutFS is a pack on a drive that is pulled out after budget bytes of
// file content have been read; it counts every byte it hands out.
type cutFS struct {
	fs.FS
	budget int64 // < 0: never cut
	read   *atomic.Int64
}

var errPulled = errors.New("input/output error (the drive was removed)")

func (c cutFS) Open(name string) (fs.File, error) {
	f, err := c.FS.Open(name)
	if err != nil || name == ManifestFile {
		return f, err
	}
	return &cutFile{File: f, fs: c}, nil
}

type cutFile struct {
	fs.File
	fs cutFS
}

func (f *cutFile) Read(p []byte) (int, error) {
	if f.fs.budget >= 0 {
		left := f.fs.budget - f.fs.read.Load()
		if left <= 0 {
			return 0, errPulled
		}
		if int64(len(p)) > left {
			p = p[:left]
		}
	}
	n, err := f.File.Read(p)
	f.fs.read.Add(int64(n))
	return n, err
}

func (f *cutFile) Seek(off int64, whence int) (int64, error) {
	return f.File.(io.Seeker).Seek(off, whence)
}

func TestPackImportInterruptedResumes(t *testing.T) {
	ctx := context.Background()
	_, dir, picked := exportGrade3(t, []int{3 << 20, 900_000, 2_500_000, 10})
	ref := install(t, schoolA)
	if _, err := ref.Import(ctx, dir, nil); err != nil {
		t.Fatal(err)
	}
	want := catalogue(t, ref)
	var total int64
	for _, f := range distinct(picked) {
		total += f.Size
	}
	rng := rand.New(rand.NewPCG(7, uint64(len(picked))))
	for trial := range 4 {
		dst := install(t, schoolA)
		read := &atomic.Int64{}
		interruptions := 0
		for attempt := 0; ; attempt++ {
			if attempt > 50 {
				t.Fatal("import never finished")
			}
			pack := cutFS{FS: os.DirFS(dir), budget: -1, read: read}
			actx, cancel := context.WithCancel(ctx)
			var progress func(PackProgress)
			if attempt < 4 {
				at := read.Load() + 1 + rng.Int64N(total/3)
				if (trial+attempt)%2 == 0 {
					pack.budget = at // the drive is pulled out
				} else {
					progress = func(p PackProgress) { // the user presses cancel
						if read.Load() >= at {
							cancel()
						}
					}
				}
			}
			rep, err := dst.ImportFS(actx, pack, progress)
			cancel()
			if err == nil {
				if attempt < 4 && rep.Copied == 0 {
					t.Fatalf("trial %d: an import that should be cut was not", trial)
				}
				break
			}
			interruptions++
			if c := PackCodeOf(err); c != PackRead && c != PackCancelled {
				t.Fatalf("trial %d: interrupted import: %v", trial, err)
			}
			if rep.Added != 0 || len(catalogue(t, dst)) != 0 {
				t.Fatalf("trial %d: an interrupted import added entries", trial)
			}
			for _, e := range picked { // nothing half-copied is visible
				if path, err := dst.Files.Path(e.Hash); err == nil {
					if ok, _ := fileHasHash(path, e.Hash, e.Size); !ok {
						t.Fatalf("trial %d: %s is visible but not whole", trial, e.Title)
					}
				}
			}
		}
		if interruptions == 0 {
			t.Fatalf("trial %d: never interrupted", trial)
		}
		if got := catalogue(t, dst); !reflect.DeepEqual(got, want) {
			t.Fatalf("trial %d: catalogue after resumed import differs", trial)
		}
		sameFiles(t, ref, dst, picked)
		// Resumed, not restarted: each byte of the pack was read once.
		if read.Load() != total {
			t.Fatalf("trial %d: read %d bytes from the pack over %d imports, the pack has %d", trial, read.Load(), interruptions+1, total)
		}
	}
}

// distinct returns one entry per file.
func distinct(es []PackEntry) []PackEntry {
	seen := map[string]bool{}
	var out []PackEntry
	for _, e := range es {
		if !seen[e.Hash] {
			seen[e.Hash] = true
			out = append(out, e)
		}
	}
	return out
}

func TestPackRefusesCorruptFileKeepsTheRest(t *testing.T) {
	ctx := context.Background()
	_, dir, picked := exportGrade3(t, []int{40_000, 5_000})
	bad, short, gone := picked[3], picked[5], picked[6]
	flip := filepath.Join(dir, filepath.FromSlash(PackPath(bad.Hash)))
	b, _ := os.ReadFile(flip)
	b[len(b)/2] ^= 0x40
	os.Chmod(flip, 0o644)
	if err := os.WriteFile(flip, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(dir, filepath.FromSlash(PackPath(short.Hash))), short.Size-1); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, filepath.FromSlash(PackPath(gone.Hash)))); err != nil {
		t.Fatal(err)
	}

	dst := install(t, schoolA)
	rep, err := dst.Import(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]PackCode{}
	for _, r := range rep.Refused {
		codes[r.Entry] = r.Code
		if r.Pack != "三年级语文 人教版" || !strings.Contains(r.Error(), r.Entry) || !strings.Contains(r.Error(), r.Pack) {
			t.Fatalf("refusal does not name the entry and the pack: %v", r)
		}
	}
	if want := map[string]PackCode{bad.Title: PackCorrupt, short.Title: PackCorrupt, gone.Title: PackMissing}; !reflect.DeepEqual(codes, want) {
		t.Fatalf("refused %v, want %v", codes, want)
	}
	got := catalogue(t, dst)
	for _, e := range picked {
		refused := e.Hash == bad.Hash || e.Hash == short.Hash || e.Hash == gone.Hash
		if _, ok := got[importedID(e, schoolA)]; ok == refused {
			t.Fatalf("%s: in catalogue %v, refused %v", e.Title, ok, refused)
		}
		if dst.Files.Has(e.Hash) == refused {
			t.Fatalf("%s: file present %v, refused %v", e.Title, !refused, refused)
		}
	}
	if rep.Added != len(picked)-3 {
		t.Fatalf("added %d, want %d", rep.Added, len(picked)-3)
	}
	if n, _ := filepath.Glob(filepath.Join(dst.DB.Dir, "files", "partial", bad.Hash+"*")); len(n) != 0 {
		t.Fatalf("the corrupt file's partial copy was kept: %v", n)
	}
}

// rewrap builds manifest.json around body with a correct checksum.
func rewrap(body []byte) []byte {
	sum := sha256.Sum256(body)
	return []byte(`{"checksum":"sha256:` + hex.EncodeToString(sum[:]) + `","pack":` + string(body) + "}")
}

func validManifest(t testing.TB) []byte {
	m := &Manifest{Title: "三年级语文 人教版", Creator: "王老师", Entries: []PackEntry{{
		ID: "01900000-0000-7000-8000-000000000001", Title: "《燕子》课件", Stage: "小学", Subject: "语文",
		Edition: "人教版", Grade: 3, Unit: "第一单元", Kind: "courseware", Source: "district", FileName: "燕子.pptx",
		Size: 12, Hash: strings.Repeat("ab", 32), Tags: []string{"三年级"}, CreatedAt: 1_790_000_000,
	}}}
	m.Created = m.Created.AddDate(2026, 10, 26)
	b, err := EncodeManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestManifestErrors(t *testing.T) {
	good := validManifest(t)
	if _, err := ParseManifest(good); err != nil {
		t.Fatalf("valid manifest refused: %v", err)
	}
	var env struct {
		Pack json.RawMessage `json:"pack"`
	}
	json.Unmarshal(good, &env)
	// edit changes one field of the pack (path: "title" or "entries.0.hash").
	edit := func(path string, v any) []byte {
		var m map[string]any
		json.Unmarshal(env.Pack, &m)
		parts := strings.Split(path, ".")
		var cur any = m
		for _, p := range parts[:len(parts)-1] {
			switch c := cur.(type) {
			case map[string]any:
				cur = c[p]
			case []any:
				cur = c[0]
			}
		}
		cur.(map[string]any)[parts[len(parts)-1]] = v
		b, _ := json.Marshal(m)
		return rewrap(b)
	}
	long := strings.Repeat("长", 200)
	cases := []struct {
		name string
		b    []byte
		code PackCode
	}{
		{"not JSON", []byte("PK\x03\x04"), PackDamaged},
		{"empty", nil, PackDamaged},
		{"one byte changed", bytes.Replace(good, []byte("燕子.pptx"), []byte("燕子.pptX"), 1), PackDamaged},
		{"no pack", []byte(`{"checksum":"sha256:00"}`), PackDamaged},
		{"trailing data", append(append([]byte{}, good...), []byte("{}")...), PackDamaged},
		{"unknown envelope field", []byte(`{"checksum":"x","pack":{},"signed":true}`), PackDamaged},
		{"invalid UTF-8", append(append([]byte{}, good[:len(good)-3]...), 0xff, '}', '\n'), PackDamaged},
		{"newer version", edit("version", 2), PackNewer},
		{"version 0", edit("version", 0), PackInvalid},
		{"other format", edit("format", "zip"), PackInvalid},
		{"unknown field", edit("entries.0.rating", 5), PackDamaged},
		{"no title", edit("title", " "), PackInvalid},
		{"long title", edit("title", long), PackInvalid},
		{"no created", edit("created", "0001-01-01T00:00:00Z"), PackInvalid},
		{"bad created", edit("created", "yesterday"), PackDamaged},
		{"bad hash", edit("entries.0.hash", strings.Repeat("AB", 32)), PackInvalid},
		{"path hash", edit("entries.0.hash", "../../etc/passwd"), PackInvalid},
		{"bad id", edit("entries.0.id", "1"), PackInvalid},
		{"bad school", edit("entries.0.school_id", "学校"), PackInvalid},
		{"grade 13", edit("entries.0.grade", 13), PackInvalid},
		{"grade 3.5", edit("entries.0.grade", 3.5), PackDamaged},
		{"kind", edit("entries.0.kind", "film"), PackInvalid},
		{"source", edit("entries.0.source", "internet"), PackInvalid},
		{"negative size", edit("entries.0.size", -1), PackInvalid},
		{"huge size", edit("entries.0.size", int64(1)<<50), PackTooLarge},
		{"file name with folder", edit("entries.0.file_name", "../燕子.pptx"), PackInvalid},
		{"control character", edit("entries.0.unit", "第一\x00单元"), PackInvalid},
		{"no tags", edit("entries.0.tags", nil), PackInvalid},
		{"too many tags", edit("entries.0.tags", make([]string, 33)), PackInvalid},
		{"empty tag", edit("entries.0.tags", []string{""}), PackInvalid},
		{"bad lesson", edit("entries.0.lesson_id", "x"), PackInvalid},
		{"too large", make([]byte, MaxManifestBytes+1), PackTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := ParseManifest(c.b)
			if PackCodeOf(err) != c.code {
				t.Fatalf("got %v (%v), want code %s", err, m, c.code)
			}
		})
	}
	// Two entries with one id, or one file with two sizes.
	var m map[string]any
	json.Unmarshal(env.Pack, &m)
	es := m["entries"].([]any)
	e2 := map[string]any{}
	for k, v := range es[0].(map[string]any) {
		e2[k] = v
	}
	m["entries"] = []any{es[0], e2}
	b, _ := json.Marshal(m)
	if _, err := ParseManifest(rewrap(b)); PackCodeOf(err) != PackInvalid || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("duplicate id: %v", err)
	}
	e2["id"], e2["size"] = "01900000-0000-7000-8000-000000000002", 13
	b, _ = json.Marshal(m)
	if _, err := ParseManifest(rewrap(b)); PackCodeOf(err) != PackInvalid || !strings.Contains(err.Error(), "two sizes") {
		t.Fatalf("two sizes: %v", err)
	}
}

func TestImportOfBadPackChangesNothing(t *testing.T) {
	ctx := context.Background()
	_, dir, _ := exportGrade3(t, []int{1000})
	dst := install(t, schoolA)
	if _, err := dst.Import(ctx, t.TempDir(), nil); PackCodeOf(err) != PackNoManifest {
		t.Fatalf("empty folder: %v", err)
	}
	path := filepath.Join(dir, ManifestFile)
	b, _ := os.ReadFile(path)
	os.WriteFile(path, bytes.Replace(b, []byte("《燕子》"), []byte("《燕 子》"), 1), 0o644)
	if _, err := dst.Import(ctx, dir, nil); PackCodeOf(err) != PackDamaged {
		t.Fatalf("edited manifest: %v", err)
	}
	if n, _, _ := dst.Files.Usage(); n != 0 || len(catalogue(t, dst)) != 0 || changes(t, dst) != 0 {
		t.Fatal("a refused pack changed the library")
	}
}

func TestPackCodesHaveTranslations(t *testing.T) {
	for _, lang := range []string{"zh-Hans", "en"} {
		b, err := os.ReadFile(filepath.Join("..", "assets", "translations", lang+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var tr map[string]string
		if err := json.Unmarshal(b, &tr); err != nil {
			t.Fatal(err)
		}
		for _, c := range PackCodes {
			if tr["library.pack.err."+string(c)] == "" {
				t.Errorf("%s: no translation for library.pack.err.%s", lang, c)
			}
		}
	}
}

func FuzzParseManifest(f *testing.F) {
	f.Add(validManifest(f))
	f.Add([]byte(`{"checksum":"sha256:","pack":{}}`))
	f.Add(rewrap([]byte(`{"format":"qiao-resource-pack","version":1,"title":"t","created":"2026-01-01T00:00:00Z","creator":"","entries":[]}`)))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest(b)
		if err != nil {
			if PackCodeOf(err) == "" {
				t.Fatalf("error without a code: %v", err)
			}
			return
		}
		// What parses encodes and parses back to the same manifest.
		out, err := EncodeManifest(m)
		if err != nil {
			t.Fatalf("parsed manifest does not encode: %v", err)
		}
		m2, err := ParseManifest(out)
		if err != nil || !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, m, m2)
		}
	})
}
