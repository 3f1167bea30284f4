package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"qiao/classroom/relay"
	"qiao/district"
)

func TestRTCPorts(t *testing.T) {
	for _, tc := range []struct {
		listen, udp, tcp, ips string
		wantUDP, wantTCP      int
		wantIPs               []string
		bad                   bool
	}{
		{listen: "127.0.0.1:8443", wantUDP: 8443, wantTCP: 8444},
		{listen: "127.0.0.1:0", wantUDP: 0, wantTCP: 0},
		{listen: "0.0.0.0:443", udp: "3478", tcp: "off", ips: "203.0.113.7, 2001:db8::1", wantUDP: 3478, wantTCP: -1, wantIPs: []string{"203.0.113.7", "2001:db8::1"}},
		{listen: "127.0.0.1:8443", udp: "70000", bad: true},
		{listen: "127.0.0.1:8443", tcp: "-1", bad: true},
		{listen: "127.0.0.1:8443", ips: "district.example", bad: true},
		{listen: "nohost", bad: true},
	} {
		u, p, ips, err := rtcPorts(tc.listen, tc.udp, tc.tcp, tc.ips)
		if tc.bad {
			if err == nil {
				t.Errorf("%+v: no error", tc)
			}
			continue
		}
		if err != nil || u != tc.wantUDP || p != tc.wantTCP || !slices.Equal(ips, tc.wantIPs) {
			t.Errorf("%+v: %d %d %v %v", tc, u, p, ips, err)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"serve", "--rtc-udp", "x"}, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), "--rtc-udp") {
		t.Errorf("bad --rtc-udp: exit %d, %q", code, stderr.String())
	}
}

// TestBinaryLessonAcrossSchools: the real binary over HTTPS with its pinned
// certificate; a teacher of school A opens a lesson, a classroom of school B
// joins through the signed WebSocket, voice and a page turn arrive, and
// SIGTERM still stops the server cleanly with the lesson running.
func TestBinaryLessonAcrossSchools(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM on Windows")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	bin := buildBinary(t, "")
	data := filepath.Join(t.TempDir(), "data")
	admin := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), append(args, "--data", data), &stdout, &stderr); code != exitOK {
			t.Fatalf("%q: exit %d: %s", args, code, stderr.String())
		}
		return strings.TrimSpace(stdout.String())
	}
	schoolA := admin("school", "add", "--name", "实验小学")
	schoolB := admin("school", "add", "--name", "草原小学")
	srv := startServeWith(t, bin, data)
	// The upgrade client: the pinned transport, and no Client.Timeout (it
	// would cut the WebSocket).
	wsClient := &http.Client{Transport: srv.client.Transport}

	type dev struct {
		id  string
		key ed25519.PrivateKey
	}
	enrol := func(school string) dev {
		t.Helper()
		code := admin("code", "issue", "--school", school, "--role", "teacher")
		pub, key, _ := ed25519.GenerateKey(nil)
		b, _ := json.Marshal(district.EnrolRequest{Code: code, PublicKey: base64.StdEncoding.EncodeToString(pub), DeviceName: "教室电脑"})
		resp, err := srv.client.Post(srv.base+"/v1/enrol", "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var res district.EnrolResponse
		if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("enrol: %d %v", resp.StatusCode, err)
		}
		return dev{res.DeviceID, key}
	}
	a, b := enrol(schoolA), enrol(schoolB)

	body, _ := json.Marshal(district.OpenLessonRequest{Subject: "数学", Grade: 4, Title: "面积", Remote: []string{schoolB}})
	req, _ := http.NewRequest("POST", srv.base+"/v1/lessons", bytes.NewReader(body))
	district.SignRequest(req, a.id, a.key, body)
	resp, err := srv.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var lesson district.LessonResponse
	json.NewDecoder(resp.Body).Decode(&lesson)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || lesson.HostKey == "" {
		t.Fatalf("open lesson: %d %+v", resp.StatusCode, lesson)
	}

	url := "wss://" + srv.addr + lesson.WS
	var heard atomic.Int64
	dial := func(d dev, role relay.Role, key string) *relay.Client {
		t.Helper()
		h, err := district.LessonDialHeader(url, d.id, d.key)
		if err != nil {
			t.Fatal(err)
		}
		api, _, err := relay.NewAPI(relay.NetConfig{IncludeLoopback: true, UDPOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		c, err := relay.Dial(ctx, relay.ClientConfig{URL: url, HTTPHeader: h, HTTPClient: wsClient, Lesson: lesson.Code,
			Role: role, Name: string(role), Key: key, API: api, OnTrack: func(tr *webrtc.TrackRemote) {
				for {
					if _, _, err := tr.ReadRTP(); err != nil {
						return
					}
					heard.Add(1)
				}
			}})
		if err != nil {
			t.Fatalf("%s joins over wss: %v", role, err)
		}
		t.Cleanup(c.Close)
		return c
	}
	host := dial(a, relay.RoleHost, lesson.HostKey)
	remote := dial(b, relay.RoleRemote, "")
	for _, c := range []*relay.Client{host, remote} {
		if err := c.WaitSynced(ctx); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for remote.PeerConnection().ConnectionState() != webrtc.PeerConnectionStateConnected ||
		host.PeerConnection().ConnectionState() != webrtc.PeerConnectionStateConnected {
		if time.Now().After(deadline) {
			t.Fatal("PeerConnections did not connect")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i := 0; i < 30; i++ {
		if err := host.Mic.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: uint16(i), Timestamp: uint32(i) * 960, SSRC: 9}, Payload: make([]byte, 40)}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	page := 2
	if err := host.Send(relay.Event{Type: relay.EvPage, Page: &page}); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for heard.Load() < 30 || remote.View().Page != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("school B heard %d packets, page %d", heard.Load(), remote.View().Page)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// SIGTERM with the lesson running: a clean exit, and the classrooms are told.
	srv.client.CloseIdleConnections()
	if err := srv.stop(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v; stderr:\n%s", err, srv.stderr)
	}
	for _, c := range []*relay.Client{host, remote} {
		select {
		case <-c.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("a classroom is still connected after the server stopped")
		}
	}
	if log := srv.stderr.String(); !strings.Contains(log, "rtc_udp=127.0.0.1:") || !strings.Contains(log, "lessons left open for the next start") {
		t.Errorf("serve log lacks the relay's ports or its shutdown:\n%s", log)
	}
}
