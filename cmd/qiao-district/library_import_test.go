package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"qiao/content"
	"qiao/district"
	qlib "qiao/library"
	"qiao/replica"
	qschool "qiao/school"
	"qiao/store"
)

// packSource is a teacher's installation whose catalogue becomes a pack.
type packSource struct {
	packs  *qlib.Packs
	data   map[string][]byte // file bytes by hash
	title  map[string]string // entry title by hash
	hashes []string          // in the order of the entries
}

// newPackSource fills an installation with n district-wide entries of
// realistic titles, each with its own random file, and one more entry
// sharing the first one's file.
func newPackSource(t *testing.T, n int) *packSource {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	files, err := content.Open(filepath.Join(dir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	src := &packSource{packs: &qlib.Packs{DB: st, Files: files}, data: map[string][]byte{}, title: map[string]string{}}
	lessons := []string{"大青树下的小学", "花的学校", "秋天的雨", "去年的树", "富饶的西沙群岛", "美丽的小兴安岭", "司马光", "掌声", "灰雀", "海滨小城"}
	kinds := []string{"courseware", "plan", "video", "paper", "homework"}
	rng := rand.New(rand.NewPCG(7, 11))
	err = st.Update(ctx, func(tx *store.Tx) error {
		var first content.Ref
		for i := range n {
			b := make([]byte, 1000+rng.IntN(200_000))
			for j := range b {
				b[j] = byte(rng.Uint32())
			}
			ref, err := files.Put(bytes.NewReader(b))
			if err != nil {
				return err
			}
			if i == 0 {
				first = ref
			}
			title := fmt.Sprintf("一师一优课《%s》第%d课时 %s", lessons[i%len(lessons)], i/len(lessons)+1, []string{"课件", "教案", "微课", "练习", "作业"}[i%5])
			src.data[ref.Hash], src.title[ref.Hash] = b, title
			src.hashes = append(src.hashes, ref.Hash)
			if _, err := tx.Put("library_entries", "", "", store.Fields{"title": title, "stage": "小学", "subject": "语文",
				"edition": "部编版", "grade": 3, "unit": fmt.Sprintf("第%d单元", i%8+1), "kind": kinds[i%len(kinds)],
				"source": "district", "file_name": fmt.Sprintf("资源%d.bin", i), "size": ref.Size, "hash": ref.Hash,
				"tags": `["一师一优课"]`, "uploaded_by": "区教研室", "licence": "CC BY-NC", "created_at": 1_790_000_000 + i}); err != nil {
				return err
			}
		}
		_, err := tx.Put("library_entries", "", "", store.Fields{"title": "《大青树下的小学》朗读素材", "stage": "小学", "subject": "语文",
			"edition": "部编版", "grade": 3, "kind": "material", "source": "district", "size": first.Size, "hash": first.Hash, "tags": `[]`})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// export writes the whole catalogue as a pack in dir.
func (s *packSource) export(t *testing.T, dir string) {
	t.Helper()
	if _, err := s.packs.Export(context.Background(), qlib.Selection{}, dir, qlib.PackInfo{Title: "一师一优课 三年级语文", Creator: "区教研室"}, nil); err != nil {
		t.Fatal(err)
	}
}

func TestLibraryImportPack(t *testing.T) {
	for _, backend := range importBackends {
		t.Run(backend.name, func(t *testing.T) { testLibraryImportPack(t, backend.url(t)) })
	}
}

func testLibraryImportPack(t *testing.T, dbURL string) {
	ctx := context.Background()
	const n = 12
	src := newPackSource(t, n)
	pack := t.TempDir()
	src.export(t, pack)

	// Damage one file of the pack (same size, one byte changed).
	bad := src.hashes[3]
	damaged := filepath.Join(pack, filepath.FromSlash(qlib.PackPath(bad)))
	os.Chmod(damaged, 0o644)
	b := bytes.Clone(src.data[bad])
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(damaged, b, 0o644); err != nil {
		t.Fatal(err)
	}

	data := t.TempDir()
	db, err := district.Open(ctx, data, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	school, err := db.AddSchool(ctx, "石桥镇中心小学", "")
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	importPack := func(want int) (string, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		args := []string{"library", "import-pack", "--data", data, pack}
		if dbURL != "" {
			args = append(args, "--db", dbURL)
		}
		if code := run(ctx, args, &stdout, &stderr); code != want {
			t.Fatalf("import-pack: exit %d, want %d\n%s%s", code, want, stdout.String(), stderr.String())
		}
		return stdout.String(), stderr.String()
	}

	out, errs := importPack(exitError)
	if !strings.Contains(out, fmt.Sprintf("%d added, 0 updated, 0 unchanged", n)) || !strings.Contains(out, fmt.Sprintf("files: %d copied, 0 already there", n-1)) {
		t.Fatalf("first import:\n%s", out)
	}
	if !strings.Contains(errs, src.title[bad]) || !strings.Contains(errs, qlib.PackPath(bad)) || !strings.Contains(errs, "SHA-256") {
		t.Fatalf("the refusal does not name the entry %q and file %s:\n%s", src.title[bad], qlib.PackPath(bad), errs)
	}
	out, _ = importPack(exitError) // the same pack again: nothing changes
	if !strings.Contains(out, fmt.Sprintf("0 added, 0 updated, %d unchanged", n)) || !strings.Contains(out, fmt.Sprintf("0 copied, %d already there", n-1)) {
		t.Fatalf("second import:\n%s", out)
	}

	// An enrolled school device syncs: it has every imported entry and
	// downloads their files; the refused one is not in its catalogue.
	srv, url, pin := serveDistrict(t, data, dbURL)
	dev := enrolDevice(t, srv, url, pin, school)
	if _, err := dev.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{} // title → hash
	q, err := dev.st.DB.Query(`SELECT title, hash, source FROM library_entries WHERE deleted = 0`)
	if err != nil {
		t.Fatal(err)
	}
	for q.Next() {
		var title, hash, source string
		q.Scan(&title, &hash, &source)
		if source != "district" {
			t.Fatalf("%q has source %q", title, source)
		}
		got[title] = hash
	}
	q.Close()
	if len(got) != n || got[src.title[bad]] != "" {
		t.Fatalf("the device has %d entries (want %d, without %q): %v", len(got), n, src.title[bad], got)
	}
	for title, h := range got {
		if _, err := dev.Download(ctx, h, replica.DownloadOptions{}); err != nil {
			t.Fatalf("download %q: %v", title, err)
		}
		rc, err := dev.Files.Open(h)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(b, src.data[h]) {
			t.Fatalf("downloaded %q differs", title)
		}
	}

	// Exporting again repairs the damaged file; the import adds its entry.
	src.export(t, pack)
	if out, _ := importPack(exitOK); !strings.Contains(out, fmt.Sprintf("1 added, 0 updated, %d unchanged", n)) || !strings.Contains(out, "1 copied") {
		t.Fatalf("import of the repaired pack:\n%s", out)
	}
	if _, err := dev.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := dev.Download(ctx, bad, replica.DownloadOptions{}); err != nil {
		t.Fatalf("download the repaired file: %v", err)
	}
}

// serveDistrict runs a district server on data over HTTPS on loopback.
func serveDistrict(t *testing.T, data, dbURL string) (*district.Server, string, string) {
	t.Helper()
	srv, err := district.New(district.Config{DataDir: data, DatabaseURL: dbURL, Listen: "127.0.0.1:0", RTCTCPPort: -1})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
		srv.Close()
	})
	return srv, "https://" + ln.Addr().(*net.TCPAddr).String(), srv.Fingerprint()
}

// schoolDevice is an enrolled installation: its store and replica.
type schoolDevice struct {
	*replica.Replica
	st *store.Store
}

// enrolDevice enrols a fresh teacher installation of school.
func enrolDevice(t *testing.T, srv *district.Server, url, pin, school string) schoolDevice {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sv := qschool.NewService(st)
	if _, err := sv.Save(ctx, qschool.School{Name: "石桥镇中心小学"}); err != nil {
		t.Fatal(err)
	}
	if err := sv.SaveUser(ctx, qschool.User{Name: "王老师", Role: qschool.Teacher}); err != nil {
		t.Fatal(err)
	}
	code, err := srv.DB().IssueCode(ctx, school, district.RoleTeacher, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := replica.Enrol(ctx, st, replica.EnrolOptions{Server: url, Code: code, DeviceName: "办公室电脑", Fingerprint: pin}); err != nil {
		t.Fatal(err)
	}
	rep, err := replica.Open(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files, err = content.Open(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	return schoolDevice{rep, st}
}

func TestLibraryImportPackRefusesBadInvocations(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	db, err := district.Open(ctx, data, "")
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	notPack := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--data", data}, exitUsage, "give exactly one PACKDIR"},
		{[]string{"--data", data, notPack, notPack}, exitUsage, "give exactly one PACKDIR"},
		{[]string{"--data", filepath.Join(data, "typo"), notPack}, exitError, "no district database"},
		{[]string{"--data", data, notPack}, exitError, "not a resource pack"},
		{[]string{notPack, "--data", data, "--db", "mysql://x"}, exitUsage, "--db"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(ctx, append([]string{"library", "import-pack"}, tc.args...), &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.msg) {
			t.Errorf("%q: exit %d, want %d with %q; %s", tc.args, code, tc.code, tc.msg, stderr.String())
		}
	}
}

func TestLibraryImportPackProgress(t *testing.T) {
	ctx := context.Background()
	src := newPackSource(t, 4)
	pack := t.TempDir()
	src.export(t, pack)
	data := t.TempDir()
	db, err := district.Open(ctx, data, "")
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"library", "import-pack", "--progress", "--data", data, pack}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "files 4/4, ") || !strings.HasPrefix(lines[0], "files 0/4, 0.0 MiB/") {
		t.Fatalf("progress:\n%s", stderr.String())
	}
	// Without --progress and stderr not a terminal: nothing.
	stderr.Reset()
	if code := run(ctx, []string{"library", "import-pack", "--data", data, pack}, &stdout, &stderr); code != exitOK || stderr.Len() != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}

func TestProgressLineAtMostOnceASecond(t *testing.T) {
	for _, term := range []bool{false, true} {
		var out bytes.Buffer
		clock := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
		l := &progressLine{w: &out, term: term, now: func() time.Time { return clock }}
		for i, ms := range []int{0, 300, 999, 1000, 1500, 1900, 2100, 2200} {
			clock = clock.Add(time.Duration(ms)*time.Millisecond - clock.Sub(time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)))
			l.show(district.ImportProgress{Files: 8, FilesDone: i, Bytes: 8 << 20, BytesDone: int64(i) << 20, Current: fmt.Sprintf("第%d课", i)})
		}
		l.end()
		// Printed at 0, 1000 and 2100 ms, and the last state at the end.
		want := []string{"files 0/8, 0.0 MiB/8.0 MiB: 第0课", "files 3/8, 3.0 MiB/8.0 MiB: 第3课", "files 6/8, 6.0 MiB/8.0 MiB: 第6课", "files 7/8, 7.0 MiB/8.0 MiB: 第7课"}
		got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if term {
			if !strings.HasSuffix(out.String(), "\n") || len(got) != 1 {
				t.Fatalf("terminal: %q, want one rewritten line ended by a newline", out.String())
			}
			got = strings.Split(strings.TrimPrefix(got[0], "\r"), "\x1b[K\r")
			got[len(got)-1] = strings.TrimSuffix(got[len(got)-1], "\x1b[K")
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("terminal %v: printed\n%q\nwant\n%q", term, got, want)
		}
	}
}
