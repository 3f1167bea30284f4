package live

import (
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"qiao/audio"
	"qiao/classroom/relay"

	"github.com/pion/logging"
)

// TestSlidesWeakLink moves a 300 KB slide to a remote behind the weak link
// of TestWeakLinkLesson (256 kbit/s, 600 ms round trip, 5% loss) while the
// host's tone keeps arriving. With QIAO_BENCH=1 it moves a 10-slide deck of
// 1.5 MB instead and reports the time (docs/BENCHMARKS.md).
func TestSlidesWeakLink(t *testing.T) {
	if testing.Short() {
		t.Skip("weak-link slides take about half a minute")
	}
	bench := os.Getenv("QIAO_BENCH") == "1"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	lf := logging.NewDefaultLoggerFactory()
	lf.DefaultLogLevel = logging.LogLevelError
	w := newWeakNet(t, lf)
	relayNet := w.addNet(t, "10.0.0.1", false)
	hostNet := w.addNet(t, "10.0.0.2", false)
	remoteNet := w.addNet(t, "10.0.0.3", true)
	if err := w.router.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.router.Stop() })
	conn, err := relayNet.ListenPacket("udp4", "10.0.0.1:3478")
	if err != nil {
		t.Fatal(err)
	}
	rl, err := relay.New(relay.Config{NetConfig: relay.NetConfig{Net: relayNet, UDPConn: conn, UDPOnly: true, LoggerFactory: lf}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := rl.Open("")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rl.Handler(relay.HandlerOptions{}))
	t.Cleanup(func() { srv.Close(); rl.Close() })
	url := "ws" + strings.TrimPrefix(srv.URL, "http")

	start := func(host bool, api relay.NetConfig, url, name string) *participant {
		t.Helper()
		a, _, err := relay.NewAPI(api)
		if err != nil {
			t.Fatal(err)
		}
		rec := newRecorder(5)
		cfg := Config{URL: url, Lesson: info.Code, Name: name, API: a, Device: audio.DeviceConfig{Null: true},
			Source: (&audio.Tone{Freq: 440, Amplitude: toneAmplitude}).Fill, Tap: rec.tap, MinBackoff: 200 * time.Millisecond}
		var s *Session
		if host {
			cfg.Key = info.HostKey
			s, err = Host(ctx, cfg)
		} else {
			s, err = Join(ctx, cfg)
		}
		if err != nil {
			t.Fatal(err)
		}
		p := &participant{Session: s, rec: rec}
		t.Cleanup(p.Close)
		wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if err := p.WaitLive(wctx); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return p
	}
	host := start(true, relay.NetConfig{Net: hostNet, UDPOnly: true, LoggerFactory: lf}, url, "主讲教室")
	link := newTCPLink(t, srv.Listener.Addr().String(), weakDelay)
	remote := start(false, relay.NetConfig{Net: remoteNet, UDPOnly: true, LoggerFactory: lf}, link.url(), "远端教室")
	waitTone(t, "remote before the slides", remote, 30*time.Second, 440, toneLevel)

	pages := randomSlides(300000)
	if bench {
		pages = randomSlides(150000, 150000, 150000, 150000, 150000, 150000, 150000, 150000, 150000, 150000)
	}
	t0 := time.Now()
	hashes, err := host.PutDeck(pages)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if hasDeck(remote.Session, hashes, pages) {
		t.Fatal("the slides arrived before the tone was checked during the transfer")
	}
	waitTone(t, "remote during the transfer", remote, 30*time.Second, 440, toneLevel)
	if hasDeck(remote.Session, hashes, pages) {
		t.Log("note: the transfer ended while the tone was being checked")
	}
	eventually(t, 4*time.Minute, "the slides reach the weak remote", func() bool { return hasDeck(remote.Session, hashes, pages) })
	total := 0
	for _, p := range pages {
		total += len(p)
	}
	t.Logf("%d slides, %d bytes reached the remote over 256 kbit/s, 600 ms RTT, 5%% loss in %v", len(pages), total, time.Since(t0).Round(100*time.Millisecond))
}
