//go:build linux

package relay

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// TestFanout measures the relay's CPU per listening classroom: one host
// publishes 50 packets/s of 60-byte Opus-sized RTP; N listeners in a child
// process (so their decryption is not counted) receive it. The relay
// process's CPU time (getrusage) is measured over a fixed window.
//
//	QIAO_FANOUT=50,100,200 go test -run TestFanout -v ./classroom/relay/
func TestFanout(t *testing.T) {
	spec := os.Getenv("QIAO_FANOUT")
	if spec == "" {
		t.Skip("set QIAO_FANOUT=50,100,200 to run the fan-out benchmark")
	}
	window := 20 * time.Second
	if w, err := time.ParseDuration(os.Getenv("QIAO_FANOUT_WINDOW")); err == nil {
		window = w
	}
	for _, f := range strings.Split(spec, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			t.Fatal(err)
		}
		t.Run(fmt.Sprint(n), func(t *testing.T) { fanout(t, n, window) })
	}
}

func fanout(t *testing.T, n int, window time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	r := startRelay(t, NetConfig{})
	info, _ := r.Open("")
	host := join(t, ctx, loopbackAPI(t), r.URL, info.Code, RoleHost, "host", info.HostKey)
	if err := host.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}

	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestFanoutListeners$", "-test.v")
	cmd.Env = append(os.Environ(), fmt.Sprintf("QIAO_FANOUT_CHILD=%s|%s|%d", r.URL, info.Code, n))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	wait := func(prefix string) string {
		for lines.Scan() {
			l := lines.Text()
			if strings.HasPrefix(l, prefix) {
				return l
			}
			if strings.Contains(l, "fanout_test.go") || strings.Contains(l, "FAIL") {
				t.Log("listener process: " + l)
			}
		}
		t.Fatalf("child ended before %s", prefix)
		return ""
	}
	start := time.Now()
	wait("READY")
	t.Logf("%d listeners connected in %v", n, time.Since(start).Round(time.Millisecond))
	time.Sleep(2 * time.Second) // let connection set-up settle

	before := cpuTime()
	t0 := time.Now()
	sent := 0
	tick := time.NewTicker(20 * time.Millisecond)
	for time.Since(t0) < window {
		p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: uint16(sent), Timestamp: uint32(sent) * 960}, Payload: opusLike(uint32(sent))}
		if err := host.Mic.WriteRTP(p); err != nil {
			t.Fatal(err)
		}
		sent++
		<-tick.C
	}
	tick.Stop()
	cpu, wall := cpuTime()-before, time.Since(t0)
	time.Sleep(time.Second)
	stdin.Close()
	var total, lo, hi int
	var childCPU float64
	fmt.Sscanf(strings.TrimPrefix(wait("DELIVERED"), "DELIVERED "), "%d %d %d %f", &total, &lo, &hi, &childCPU)
	_ = cmd.Wait()

	pct := 100 * cpu.Seconds() / wall.Seconds()
	t.Logf("FANOUT listeners=%d sent=%d delivered=%d/%d (min %d, max %d per listener) relay_cpu=%.1f%% of one core, %.3f%% per listener; listener process %.1f%%",
		n, sent, total, sent*n, lo, hi, pct, pct/float64(n), 100*childCPU/wall.Seconds())
}

// cpuTime is this process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestFanoutListeners is the child side of TestFanout: N listening
// classrooms that count the host's packets.
func TestFanoutListeners(t *testing.T) {
	spec := os.Getenv("QIAO_FANOUT_CHILD")
	if spec == "" {
		t.Skip("child of TestFanout")
	}
	parts := strings.Split(spec, "|")
	url, code := parts[0], parts[1]
	n, _ := strconv.Atoi(parts[2])
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	api, _, err := NewAPI(NetConfig{IncludeLoopback: true, UDPOnly: true, InterfaceFilter: func(s string) bool { return s == "lo" }})
	if err != nil {
		t.Fatal(err)
	}
	counts := make([]atomic.Int64, n)
	clients := make([]*Client, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := Dial(ctx, ClientConfig{URL: url, Lesson: code, Role: RoleRemote, Name: fmt.Sprintf("l%d", i), API: api,
				OnTrack: func(tr *webrtc.TrackRemote) {
					buf := make([]byte, 1500)
					for {
						if _, _, err := tr.Read(buf); err != nil {
							return
						}
						if tr.ID() == "host-audio" {
							counts[i].Add(1)
						}
					}
				}})
			if err != nil {
				t.Error(err)
				return
			}
			clients[i] = c
			if err := c.WaitSynced(ctx); err != nil {
				t.Error(err)
			}
			for c.PeerConnection().ConnectionState() != webrtc.PeerConnectionStateConnected {
				time.Sleep(50 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	fmt.Println("READY")
	before := cpuTime()
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until the parent closes stdin
	cpu := cpuTime() - before
	total, lo, hi := 0, int(^uint(0)>>1), 0
	for i := range counts {
		c := int(counts[i].Load())
		total += c
		lo, hi = min(lo, c), max(hi, c)
	}
	fmt.Printf("DELIVERED %d %d %d %f\n", total, lo, hi, cpu.Seconds())
	for _, c := range clients {
		c.Close()
	}
}
