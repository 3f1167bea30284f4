package relay

import (
	"net"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/transport/v5"
	"github.com/pion/webrtc/v4"
)

// Opus as Qiao sends it: 48 kHz RTP clock, mono in practice (the SDP says
// 2 channels, as RFC 7587 requires), in-band FEC on, 10 ms frames allowed.
// Opus FEC is the main loss defence for voice; see NACK below.
var opusCodec = webrtc.RTPCodecParameters{
	RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType:    webrtc.MimeTypeOpus,
		ClockRate:   48000,
		Channels:    2,
		SDPFmtpLine: "minptime=10;useinbandfec=1;stereo=0;sprop-stereo=0",
	},
	PayloadType: 111,
}

// NetConfig are the network settings of one side (the relay or a client).
type NetConfig struct {
	// UDPConn, if set, carries ICE over UDP for every PeerConnection on one
	// port (a school firewall opens one UDP port). The close function
	// NewAPI returns (and Relay.Close) closes it.
	UDPConn net.PacketConn
	// UDPPort, if UDPConn is nil and UDPPort > 0, makes the relay listen on
	// this UDP port on every interface (ice.NewMultiUDPMuxFromPort).
	UDPPort int
	// TCPListener, if set, offers ICE over TCP (passive candidates) on this
	// listener as the fallback where UDP is blocked. The caller owns it.
	TCPListener net.Listener
	// Net replaces the operating system's network (tests use pion vnet).
	Net transport.Net
	// IncludeLoopback offers 127.0.0.1 candidates (tests, one-machine demos).
	IncludeLoopback bool
	// NAT1To1IPs are public addresses to announce instead of the host's own
	// (a district server behind 1:1 NAT).
	NAT1To1IPs []string
	// InterfaceFilter, if set, limits host candidates to interfaces it keeps.
	InterfaceFilter func(name string) bool
	// UDPOnly leaves out ICE over TCP (pion vnet has no TCP).
	UDPOnly bool
	// TCPOnly uses ICE over TCP alone (a classroom whose firewall blocks UDP).
	TCPOnly bool
	// AudioNACK asks for retransmission of lost audio packets. Off by
	// default: on a 600 ms satellite hop a retransmit arrives too late for
	// live voice, and Opus FEC covers single losses.
	AudioNACK bool
	// LoggerFactory for pion; nil is pion's default (warnings and errors).
	LoggerFactory logging.LoggerFactory
}

// ICE timeouts chosen for weak links: a 10 s outage must not fail the
// connection (failed after 30 s), keepalives every 2 s hold NAT bindings.
const (
	iceDisconnectedTimeout = 6 * time.Second
	iceFailedTimeout       = 30 * time.Second
	iceKeepalive           = 2 * time.Second
)

// NewAPI builds a pion API with Qiao's codecs, interceptors and network
// settings. It returns a close function for what it opened (the UDP mux
// made from UDPPort).
func NewAPI(nc NetConfig) (*webrtc.API, func() error, error) {
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(opusCodec, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, nil, err
	}
	// Video (a later issue) registers its codec here; forwarding is codec-blind.

	ir := &interceptor.Registry{}
	// Sender and receiver reports: RTT, loss and jitter per link, for the
	// host's link-quality view.
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, nil, err
	}
	if nc.AudioNACK {
		me.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack"}, webrtc.RTPCodecTypeAudio)
		if err := webrtc.ConfigureNack(me, ir); err != nil {
			return nil, nil, err
		}
	}

	se := webrtc.SettingEngine{}
	se.SetICETimeouts(iceDisconnectedTimeout, iceFailedTimeout, iceKeepalive)
	se.SetIncludeLoopbackCandidate(nc.IncludeLoopback)
	if nc.InterfaceFilter != nil {
		se.SetInterfaceFilter(nc.InterfaceFilter)
	}
	// A data channel's sender must not stall a lesson on a slow link.
	se.SetSCTPMaxReceiveBufferSize(4 << 20)
	if nc.Net != nil {
		se.SetNet(nc.Net)
	}
	// No mDNS candidates: remote classrooms need plain addresses.
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if len(nc.NAT1To1IPs) > 0 {
		se.SetNAT1To1IPs(nc.NAT1To1IPs, webrtc.ICECandidateTypeHost)
	}
	closer := func() error { return nil }
	networks := []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6}
	switch {
	case nc.UDPConn != nil:
		mux := webrtc.NewICEUDPMux(nil, nc.UDPConn)
		se.SetICEUDPMux(mux)
		closer = mux.Close
	case nc.UDPPort > 0:
		mux, err := newMultiUDPMux(nc.UDPPort)
		if err != nil {
			return nil, nil, err
		}
		se.SetICEUDPMux(mux)
		closer = mux.Close
	}
	if nc.TCPListener != nil {
		se.SetICETCPMux(webrtc.NewICETCPMux(nil, nc.TCPListener, 64))
	}
	// TCP candidates: passive ones where a TCP mux listens, active ones
	// (a client dialling the relay's TCP port) everywhere else.
	if !nc.UDPOnly {
		networks = append(networks, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6)
	}
	if nc.TCPOnly {
		networks = []webrtc.NetworkType{webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6}
	}
	se.SetNetworkTypes(networks)
	if nc.LoggerFactory != nil {
		se.LoggerFactory = nc.LoggerFactory
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
	return api, closer, nil
}

// candidateOf is the signalling form of a local ICE candidate; nil (the
// end of gathering) gives the empty candidate.
func candidateOf(ic *webrtc.ICECandidate) Candidate {
	if ic == nil {
		return Candidate{}
	}
	init := ic.ToJSON()
	return Candidate{Candidate: init.Candidate, SDPMid: init.SDPMid, SDPMLineIndex: init.SDPMLineIndex, UsernameFragment: init.UsernameFragment}
}
