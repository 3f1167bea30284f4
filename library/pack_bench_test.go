package library

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"qiao/content"
	"qiao/store"
)

// TestPackImportBenchmark (QIAO_BENCH=1) imports a pack of 1,000 random
// files totalling 2 GB and times it against `cp -r` of the same folder,
// in the same run; each import runs in a child process that reports its
// peak resident set (VmHWM from /proc/self/status). Results: docs/BENCHMARKS.md.
func TestPackImportBenchmark(t *testing.T) {
	if os.Getenv("QIAO_BENCH") == "" {
		t.Skip("set QIAO_BENCH=1")
	}
	const files, size = 1000, 2_000_000
	root := t.TempDir()
	var fs syscall.Statfs_t
	if err := syscall.Statfs(root, &fs); err != nil || int64(fs.Bavail)*fs.Bsize < 3*files*size+(1<<30) {
		t.Skipf("needs %d GB free in %s", 3*files*size/1_000_000_000+1, root)
	}
	pack := filepath.Join(root, "pack")
	start := time.Now()
	makeBenchPack(t, pack, files, size)
	t.Logf("pack of %d files, %d bytes written in %v", files, files*size, time.Since(start).Round(time.Millisecond))

	mbps := func(d time.Duration) float64 { return files * size / d.Seconds() / 1e6 }
	for round := 1; round <= 2; round++ {
		dst := filepath.Join(root, "copy")
		t0 := time.Now()
		if out, err := exec.Command("cp", "-r", pack, dst).CombinedOutput(); err != nil {
			t.Fatalf("cp: %v %s", err, out)
		}
		cp := time.Since(t0)
		exec.Command("sync").Run()
		cpSync := time.Since(t0)
		os.RemoveAll(dst)

		data := filepath.Join(root, "data")
		cmd := exec.Command(os.Args[0], "-test.run=^TestPackImportChild$", "-test.v")
		cmd.Env = append(os.Environ(), "QIAO_PACK_CHILD="+pack+string(os.PathListSeparator)+data)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		var imp time.Duration
		var hwm int64
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "PACKBENCH" {
				ns, _ := strconv.ParseInt(f[1], 10, 64)
				imp, hwm = time.Duration(ns), mustInt(t, f[2])
			}
		}
		if imp == 0 {
			t.Fatalf("child reported nothing:\n%s", out)
		}
		os.RemoveAll(data)
		t.Logf("round %d: cp -r %v (%.0f MB/s), cp -r + sync %v (%.0f MB/s), import %v (%.0f MB/s) = %.2f × cp -r, %.2f × cp -r + sync; import VmHWM %.1f MB",
			round, cp.Round(time.Millisecond), mbps(cp), cpSync.Round(time.Millisecond), mbps(cpSync),
			imp.Round(time.Millisecond), mbps(imp), cp.Seconds()/imp.Seconds(), cpSync.Seconds()/imp.Seconds(), float64(hwm)/1024)
	}
}

func mustInt(t *testing.T, s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPackImportChild is the benchmark's child process: it imports the
// pack into a fresh data dir and prints the time and its VmHWM in KiB.
func TestPackImportChild(t *testing.T) {
	arg := os.Getenv("QIAO_PACK_CHILD")
	if arg == "" {
		t.Skip("run by TestPackImportBenchmark")
	}
	pack, data, _ := strings.Cut(arg, string(os.PathListSeparator))
	ctx := context.Background()
	st, err := store.Open(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	files, err := content.Open(filepath.Join(data, "files"))
	if err != nil {
		t.Fatal(err)
	}
	p := &Packs{DB: st, Files: files, SchoolID: schoolA}
	t0 := time.Now()
	rep, err := p.Import(ctx, pack, nil)
	d := time.Since(t0)
	if err != nil || len(rep.Refused) != 0 || rep.Added != rep.Entries {
		t.Fatalf("%+v, %v", rep, err)
	}
	status, _ := os.ReadFile("/proc/self/status")
	var hwm int64
	for _, l := range strings.Split(string(status), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			hwm, _ = strconv.ParseInt(f[1], 10, 64)
		}
	}
	fmt.Printf("PACKBENCH %d %d\n", d.Nanoseconds(), hwm)
}

// makeBenchPack writes a pack of n random files of size bytes.
func makeBenchPack(t *testing.T, dir string, n, size int) {
	rng := rand.NewChaCha8([32]byte{1})
	buf := make([]byte, size)
	m := &Manifest{Title: "基准测试资源包", Creator: "bench", Created: time.Now()}
	for i := range n {
		rng.Read(buf)
		sum := sha256.Sum256(buf)
		h := hex.EncodeToString(sum[:])
		p := filepath.Join(dir, filepath.FromSlash(PackPath(h)))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			t.Fatal(err)
		}
		m.Entries = append(m.Entries, PackEntry{
			ID: fmt.Sprintf("01900000-0000-7000-8000-%012x", i), Title: fmt.Sprintf("第%d课 课件", i+1),
			Stage: "小学", Subject: "语文", Edition: "人教版", Grade: 3, Kind: "courseware", Source: "district",
			FileName: fmt.Sprintf("%d.pptx", i+1), Size: int64(size), Hash: h, Tags: []string{},
		})
	}
	b, err := EncodeManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	exec.Command("sync").Run()
}
