//go:build linux

package replica

// Sync benchmarks (docs/BENCHMARKS.md, scripts/bench-sync.sh). They run the
// real qiao-district process and sync each measured device in a child
// process (this test binary re-executed), so both sides' peak memory
// (VmHWM) is their own. They run only with QIAO_BENCH=1.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"qiao/internal/netsim"
	"qiao/internal/pgtest"
	"qiao/store"
)

// benchChildEnv makes the test binary sync the store in the directory it
// names once, print a benchResult as JSON and exit.
const benchChildEnv = "QIAO_BENCH_CHILD"

func init() {
	if dir := os.Getenv(benchChildEnv); dir != "" {
		os.Exit(benchChild(dir))
	}
}

// benchResult is what a child sync reports.
type benchResult struct {
	Report
	HWMKiB int64         `json:"hwm_kib"`
	CPU    time.Duration `json:"-"` // the child's user + system time
}

func benchChild(dir string) int {
	ctx := context.Background()
	if f := os.Getenv("QIAO_BENCH_CPUPROFILE"); f != "" {
		out, err := os.Create(f)
		if err == nil {
			pprof.StartCPUProfile(out)
			defer pprof.StopCPUProfile()
		}
	}
	st, err := store.Open(ctx, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	defer st.Close()
	r, err := Open(ctx, st)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	rep, err := r.Sync(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	hwm, _ := vmHWM(os.Getpid())
	json.NewEncoder(os.Stdout).Encode(benchResult{Report: rep, HWMKiB: hwm})
	return 0
}

// vmHWM reads a process's peak resident set in KiB.
func vmHWM(pid int) (int64, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmHWM for process %d", pid)
}

// resetHWM starts a new peak for a process (Linux clear_refs "5").
func resetHWM(t *testing.T, pid int) {
	if err := os.WriteFile("/proc/"+strconv.Itoa(pid)+"/clear_refs", []byte("5"), 0); err != nil {
		t.Fatalf("reset the peak memory of %d: %v", pid, err)
	}
}

func (p *districtProc) hwm(t *testing.T) float64 {
	v, err := vmHWM(p.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	return float64(v) / 1024
}

// cpuTime reads a process's CPU time (user + system) from /proc.
func cpuTime(t *testing.T, pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// childSync syncs the store in dir in a child process.
func childSync(t *testing.T, dir string) benchResult {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchChildEnv+"="+dir)
	if prof := os.Getenv("QIAO_BENCH_PROFILE_DIR"); prof != "" {
		cmd.Env = append(cmd.Env, "QIAO_BENCH_CPUPROFILE="+prof+"/client-"+strconv.FormatInt(time.Now().UnixNano(), 36)+".pprof")
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child sync: %v\n%s", err, stderr.String())
	}
	var res benchResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("child sync printed %q: %v", out, err)
	}
	res.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return res
}

// noteParts are pieces of realistic notes of research activities; a note
// says who chaired it, half of them with one of these, so rows differ as real ones do.
var noteParts = []string{
	"围绕“双减”背景下的作业设计开展集体备课，主备人说课后各成员逐一提出修改意见",
	"观摩七年级数学《一元一次方程的应用》公开课，课后按观课量表议课",
	"重点讨论小组合作学习的有效性和课堂提问的层次",
	"邀请县教研室语文教研员作专题讲座：整本书阅读的任务设计与评价",
	"三所乡村小学的英语教师通过录播教室同步听课，交流自然拼读教学的经验与困惑",
	"青年教师汇报课后，师傅从教学目标、环节设计、板书三方面逐项点评",
	"分析期中质量检测数据，找出计算题失分原因并制定分层辅导计划",
	"课题组汇报开题以来的研究进展，整理课堂观察记录和学生访谈材料",
	"布置下次研讨的阅读任务，每人准备一个教学片段和反思",
	"结合新课标学习任务群，修改第三单元大单元教学设计",
	"科学组分享实验教学中的安全注意事项，演示简易器材的制作",
	"音体美教师讨论课后服务社团的课程安排和期末展示方案",
}

var teacherNames = []string{"王丽华", "李建国", "张晓燕", "刘洋", "陈静", "杨帆", "赵敏", "黄志强", "周婷", "吴海燕", "徐磊", "孙红梅"}

var activityKinds = []string{"集体备课", "观课议课", "专题讲座", "课题研讨", "研课磨课"}

// activityFields returns the columns of the i-th made-up activity.
func activityFields(rng *rand.Rand, group string) store.Fields {
	note := fmt.Sprintf("主持：%s，到会%d人。", teacherNames[rng.IntN(len(teacherNames))], 5+rng.IntN(30))
	if rng.IntN(2) == 0 {
		note = noteParts[rng.IntN(len(noteParts))] + "。" + note
	}
	return store.Fields{
		"group_id": group,
		"kind":     activityKinds[rng.IntN(len(activityKinds))],
		"day":      time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(300)).Format(time.DateOnly),
		"minutes":  45 + rng.IntN(4)*15,
		"place":    fmt.Sprintf("第%d中学%d号录播教室", rng.IntN(37)+1, rng.IntN(5)+1),
		"online":   rng.IntN(5) / 4,
		"notes":    note,
	}
}

// seedActivities writes n research activities of school through the
// store, in transactions of 2,000, as the app would have logged them.
func seedActivities(t *testing.T, st *store.Store, school string, n int) {
	t.Helper()
	ctx := context.Background()
	group := store.NewID()
	h, _ := strconv.ParseUint(school[:8], 16, 64)
	rng := rand.New(rand.NewPCG(uint64(n), h))
	for done := 0; done < n; {
		k := min(2000, n-done)
		err := st.Update(ctx, func(tx *store.Tx) error {
			for range k {
				_, err := tx.Put("research_activities", school, "", activityFields(rng, group))
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		done += k
	}
}

func benchSize(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// row prints one row of the results table (scripts/bench-sync.sh collects them).
func row(cells ...any) {
	var b strings.Builder
	b.WriteString("BENCHROW |")
	if load, err := os.ReadFile("/proc/loadavg"); err == nil {
		cells = append(cells, strings.Fields(string(load))[0])
	}
	for _, c := range cells {
		fmt.Fprintf(&b, " %v |", c)
	}
	fmt.Println(b.String())
}

// mbCPU formats a peak (KiB) and a CPU time.
func mbCPU(kib int64, cpu time.Duration) string {
	return fmt.Sprintf("%.0f MB, %.1f s CPU", float64(kib)/1024, cpu.Seconds())
}

func perChange(bytes int64, n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f B", float64(bytes)/float64(n))
}

// TestSyncBench runs the sync benchmarks; set QIAO_BENCH=1 (sizes:
// QIAO_BENCH_N, QIAO_BENCH_SCHOOLS, QIAO_BENCH_DEVICES, QIAO_BENCH_WEAK).
func TestSyncBench(t *testing.T) {
	if os.Getenv("QIAO_BENCH") == "" {
		t.Skip("benchmark: set QIAO_BENCH=1")
	}
	t.Run("loopback", benchLoopback)
	t.Run("concurrent-sqlite", func(t *testing.T) { benchConcurrent(t, "SQLite", startDistrictProc(t)) })
	t.Run("concurrent-postgres", func(t *testing.T) {
		benchConcurrent(t, "PostgreSQL", startDistrictProcDB(t, pgtest.Start(t), nil))
	})
	t.Run("weaklink", benchWeakLink)
}

// benchLoopback: one device pushes N changes, a second device of the same
// school pulls them.
func benchLoopback(t *testing.T) {
	n := benchSize("QIAO_BENCH_N", 100000)
	p := startDistrictProc(t)
	sch := p.school("石桥镇中心小学")
	a, b := p.device(t, sch, "", p.url()), p.device(t, sch, "", p.url())
	start := time.Now()
	seedActivities(t, a.st, sch, n)
	var avg float64
	a.st.DB.QueryRow(`SELECT avg(length(CAST(data AS BLOB))) FROM changes WHERE tbl='research_activities'`).Scan(&avg)
	t.Logf("seeded %d activities in %v; %.0f bytes of JSON each", n, time.Since(start).Round(time.Millisecond), avg)
	a.st.Close()
	b.st.Close()

	pid := p.cmd.Process.Pid
	resetHWM(t, pid)
	cpu0 := cpuTime(t, pid)
	up := childSync(t, a.dir)
	srvUp, cpuUp := p.hwm(t), cpuTime(t, pid)-cpu0
	if up.Pushed < n {
		t.Fatalf("pushed %d of %d", up.Pushed, n)
	}
	resetHWM(t, pid)
	cpu0 = cpuTime(t, pid)
	down := childSync(t, b.dir)
	srvDown, cpuDown := p.hwm(t), cpuTime(t, pid)-cpu0
	if down.Pulled < n {
		t.Fatalf("pulled %d of %d", down.Pulled, n)
	}
	row(fmt.Sprintf("push %d (loopback)", n), up.Took.Round(10*time.Millisecond), perChange(up.BytesUp, up.Pushed),
		mbCPU(up.HWMKiB, up.CPU), mbCPU(int64(srvUp*1024), cpuUp))
	row(fmt.Sprintf("pull %d (loopback)", n), down.Took.Round(10*time.Millisecond), perChange(down.BytesDown, down.Pulled),
		mbCPU(down.HWMKiB, down.CPU), mbCPU(int64(srvDown*1024), cpuDown))
}

// benchConcurrent: schools × devices sync at once; each device has 50
// changes to push, and each school 500 rows on the server to pull.
// The server's peak is its own process's (PostgreSQL's memory is not in it).
func benchConcurrent(t *testing.T, db string, p *districtProc) {
	schools, per := benchSize("QIAO_BENCH_SCHOOLS", 20), benchSize("QIAO_BENCH_DEVICES", 10)
	const own, existing = 50, 500
	var devs []*device
	for s := range schools {
		sch := p.school(fmt.Sprintf("第%d小学", s+1))
		seed := p.device(t, sch, "", p.url())
		seedActivities(t, seed.st, sch, existing)
		if _, err := seed.r.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		seed.st.Close()
		for range per {
			d := p.device(t, sch, "", p.url())
			seedActivities(t, d.st, sch, own)
			devs = append(devs, d)
		}
	}
	pid := p.cmd.Process.Pid
	resetHWM(t, pid)
	cpu0 := cpuTime(t, pid)
	took := make([]time.Duration, len(devs))
	errs := make([]error, len(devs))
	var wg gosync.WaitGroup
	start := time.Now()
	for i, d := range devs {
		wg.Go(func() {
			rep, err := d.r.Sync(context.Background())
			took[i], errs[i] = rep.Took, err
		})
	}
	wg.Wait()
	total := time.Since(start)
	srv, cpu := p.hwm(t), cpuTime(t, pid)-cpu0
	nerr := 0
	for i, err := range errs {
		if err != nil {
			nerr++
			if nerr <= 3 {
				t.Errorf("device %d: %v", i, err)
			}
		}
	}
	if nerr > 0 {
		t.Errorf("%d of %d syncs failed; the server logged \"database is locked\" %d times", nerr, len(devs),
			strings.Count(p.stderr(), "database is locked"))
	}
	// Two more rounds, one device at a time, bring every device its
	// peers' rows; then each must hold its school's rows exactly.
	settle(t, devs)
	for i, d := range devs {
		var got int
		d.st.DB.QueryRow(`SELECT count(*) FROM research_activities`).Scan(&got)
		if want := existing + own*per; got != want {
			t.Errorf("device %d holds %d activities, want %d", i, got, want)
		}
	}
	slices.Sort(took)
	row(fmt.Sprintf("%d devices at once (%d schools × %d; %d to push, %d+ to pull each), %s", len(devs), schools, per, own, existing, db),
		total.Round(10*time.Millisecond),
		fmt.Sprintf("per device p50 %v, p95 %v", took[len(took)/2].Round(10*time.Millisecond), took[len(took)*95/100].Round(10*time.Millisecond)),
		"(all in the test process)", fmt.Sprintf("%s; **%d errors**", mbCPU(int64(srv*1024), cpu), nerr))
}

// benchWeakLink: a school's day of changes over 64 kbit/s, 5 % loss,
// 300 ms each way: pushed by one device, pulled by another.
func benchWeakLink(t *testing.T) {
	n := benchSize("QIAO_BENCH_WEAK", 2000)
	p := startDistrictProc(t)
	sch := p.school("草原牧区小学")
	proxy, err := netsim.Start(p.addr, netsim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	via := "https://" + proxy.Addr()
	a, b := p.device(t, sch, "", via), p.device(t, sch, "", via)
	seedActivities(t, a.st, sch, n)
	a.st.Close()
	b.st.Close()
	proxy.SetConfig(netsim.Config{Rate: 8000, Loss: 0.05, Latency: 300 * time.Millisecond, Seed: 1})
	for _, c := range []struct {
		name string
		dir  string
	}{{"push", a.dir}, {"pull", b.dir}} {
		before := proxy.Stats()
		res := childSync(t, c.dir)
		after := proxy.Stats()
		moved, wire := res.Pushed, after.BytesUp-before.BytesUp+after.BytesDown-before.BytesDown
		if c.name == "pull" {
			moved = res.Pulled
		}
		if moved < n {
			t.Fatalf("%s moved %d of %d changes", c.name, moved, n)
		}
		row(fmt.Sprintf("%s %d (64 kbit/s, 5%% loss, 300 ms)", c.name, n), res.Took.Round(10*time.Millisecond),
			fmt.Sprintf("%s (%s on the wire, TLS, both ways)", perChange(max(res.BytesUp, res.BytesDown), moved), perChange(wire, moved)),
			mbCPU(res.HWMKiB, res.CPU), fmt.Sprintf("%d segments lost", after.Lost-before.Lost))
	}
}
