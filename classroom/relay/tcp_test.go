package relay

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// TestTCPFallback: a classroom whose firewall blocks UDP reaches the relay
// over ICE-TCP (the relay's one TCP port) and hears the host.
func TestTCPFallback(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	r := startRelay(t, NetConfig{UDPConn: udp, TCPListener: tcp, IncludeLoopback: true})
	info, _ := r.Open("")
	host := join(t, ctx, loopbackAPI(t), r.URL, info.Code, RoleHost, "主讲", info.HostKey)
	tcpAPI, _, err := NewAPI(NetConfig{TCPOnly: true, IncludeLoopback: true})
	if err != nil {
		t.Fatal(err)
	}
	rem := join(t, ctx, tcpAPI, r.URL, info.Code, RoleRemote, "只有TCP", "")
	for _, m := range []*member{host, rem} {
		if err := m.WaitSynced(ctx); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 20*time.Second, "connected", func() bool { return connected(host.Client) && connected(rem.Client) })
	pair, err := rem.PeerConnection().SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil || !strings.EqualFold(pair.Local.Protocol.String(), "tcp") {
		t.Fatalf("selected pair %v (%v), want TCP", pair, err)
	}
	speak(t, host.Mic, 0, 50)
	eventually(t, 5*time.Second, "voice over TCP", func() bool { return rem.count("host-audio") == 50 })
}
