package app

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"qiao/ui"
)

// runBench runs `qiao bench startup`: it starts the app (on a throw-away
// data dir with the sample school) and optionally a bare Fyne window
// several times, and reports time to a visible window and the idle RSS.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "startup" {
		fmt.Fprintln(stderr, "usage: qiao bench startup [--runs N] [--settle DUR] [--bare PATH]")
		return 2
	}
	fs := flag.NewFlagSet("bench startup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runs := fs.Int("runs", 5, "measured runs per program (after one warm-up)")
	settle := fs.Duration("settle", 3*time.Second, "idle time before reading RSS")
	bare := fs.String("bare", "", "path of the bare Fyne window binary to compare with (cmd/qiao-barewindow)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	dir, err := os.MkdirTemp("", "qiao-bench-")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)

	targets := []struct {
		name string
		argv []string
	}{{"qiao (sample school)", []string{self, "--data", dir, "--sample"}}}
	if *bare != "" {
		targets = append(targets, struct {
			name string
			argv []string
		}{"bare Fyne window", []string{*bare}})
	}
	fmt.Fprintf(stdout, "%-22s %10s %10s   (median of %d runs, %s settle)\n", "program", "visible", "RSS", *runs, *settle)
	for _, t := range targets {
		var times []time.Duration
		var rss []int
		for i := 0; i <= *runs; i++ {
			d, kb, err := startOnce(ctx, t.argv, *settle)
			if err != nil {
				fmt.Fprintf(stderr, "%s: %v\n", t.name, err)
				return 1
			}
			if i > 0 { // run 0 warms the page cache and creates the database
				times, rss = append(times, d), append(rss, kb)
			}
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		sort.Ints(rss)
		fmt.Fprintf(stdout, "%-22s %9.3fs %8.1fMB\n", t.name, times[len(times)/2].Seconds(), float64(rss[len(rss)/2])/1024)
	}
	return 0
}

// startOnce starts argv, waits for its ready line, lets it idle, reads its
// resident memory and stops it.
func startOnce(ctx context.Context, argv []string, settle time.Duration) (time.Duration, int, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), ui.ReadyEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	cmd.Stderr = io.Discard
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	ready := make(chan time.Duration, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == ui.ReadyLine {
				ready <- time.Since(start)
				io.Copy(io.Discard, out)
				return
			}
		}
		close(ready)
	}()
	var d time.Duration
	select {
	case v, ok := <-ready:
		if !ok {
			return 0, 0, fmt.Errorf("exited before its window was visible")
		}
		d = v
	case <-time.After(60 * time.Second):
		return 0, 0, fmt.Errorf("no window after 60 s")
	}
	time.Sleep(settle)
	kb, err := rssKB(cmd.Process.Pid)
	return d, kb, err
}

// rssKB reads a process's resident set size from /proc (Linux).
func rssKB(pid int) (int, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("RSS needs Linux /proc: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			return strconv.Atoi(strings.Fields(line)[1])
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}
