package relay

import "github.com/pion/ice/v4"

// newMultiUDPMux listens on port on every interface and serves ICE over UDP
// for all PeerConnections there.
func newMultiUDPMux(port int) (*ice.MultiUDPMuxDefault, error) {
	return ice.NewMultiUDPMuxFromPort(port)
}
