// Package relay is Qiao's selective forwarding unit (SFU) for live lessons and
// its signalling.
//
// A Relay holds lessons by code. Every participant (one host, N remote
// classrooms) has one WebRTC PeerConnection with the relay. The relay forwards
// RTP packets without decoding them: the host's voice to every remote, and the
// voice of the remote that holds the mic to the host and the other remotes.
// Two data channels carry the lesson: "state" (reliable, ordered) for page
// turns, ink, hands, chat and quiz, and "laser" (unordered, no retransmits)
// for the laser pointer. The relay keeps the lesson state, enforces who may
// send what, and gives a late joiner a snapshot at once.
//
// Signalling is JSON over a WebSocket (Handler); docs/classroom-protocol.md is
// the wire contract. The package is pure Go (no cgo): it runs inside the
// host's app and inside qiao-district alike.
package relay
