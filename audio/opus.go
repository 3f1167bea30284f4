package audio

/*
#cgo CFLAGS: -I${SRCDIR}/libopus
#include <opus.h>

// opus_*_ctl are variadic, which cgo cannot call: one small wrapper per request.
static int qiao_enc_set_int(OpusEncoder *e, int request, opus_int32 v) { return opus_encoder_ctl(e, request, v); }
static int qiao_enc_get_int(OpusEncoder *e, int request, opus_int32 *v) { return opus_encoder_ctl(e, request, v); }
static int qiao_dec_get_int(OpusDecoder *d, int request, opus_int32 *v) { return opus_decoder_ctl(d, request, v); }
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// OpusVersion is the version string of the linked libopus.
func OpusVersion() string { return C.GoString(C.opus_get_version_string()) }

// EncoderConfig sets up an Encoder. The zero value gives the classroom
// defaults: 24 kbit/s, in-band FEC on, 10% expected loss, no DTX, complexity 5.
type EncoderConfig struct {
	Bitrate      int  // bits per second, 6000..510000; 0 means 24000
	ExpectedLoss int  // expected packet loss in percent, 0..100; tells the encoder how much FEC to spend; -1 means 0, 0 means 10
	NoFEC        bool // turn in-band FEC (SILK LBRR) off
	DTX          bool // discontinuous transmission: near-silent frames become 1-2 byte packets
	Complexity   int  // 1..10; 0 means 5 (CPU budget of a 2-core classroom PC)
}

// Encoder turns 20 ms frames of 16 kHz mono samples into Opus packets. It is
// not safe for concurrent use.
type Encoder struct {
	e *C.OpusEncoder
}

// NewEncoder makes an Opus VoIP encoder for the classroom format.
func NewEncoder(cfg EncoderConfig) (*Encoder, error) {
	if cfg.Bitrate == 0 {
		cfg.Bitrate = 24000
	}
	switch {
	case cfg.ExpectedLoss == 0:
		cfg.ExpectedLoss = 10
	case cfg.ExpectedLoss < 0:
		cfg.ExpectedLoss = 0
	}
	if cfg.Complexity == 0 {
		cfg.Complexity = 5
	}
	if cfg.Bitrate < 6000 || cfg.Bitrate > 510000 {
		return nil, fmt.Errorf("audio: bitrate %d bit/s outside Opus's 6000..510000", cfg.Bitrate)
	}
	var errc C.int
	e := C.opus_encoder_create(SampleRate, 1, C.OPUS_APPLICATION_VOIP, &errc)
	if errc != C.OPUS_OK {
		return nil, opusError("create encoder", errc)
	}
	enc := &Encoder{e: e}
	fec := 1
	if cfg.NoFEC {
		fec = 0
	}
	dtx := 0
	if cfg.DTX {
		dtx = 1
	}
	for _, s := range []struct {
		name    string
		request C.int
		v       int
	}{
		{"bitrate", C.OPUS_SET_BITRATE_REQUEST, cfg.Bitrate},
		{"inband FEC", C.OPUS_SET_INBAND_FEC_REQUEST, fec},
		{"packet loss", C.OPUS_SET_PACKET_LOSS_PERC_REQUEST, cfg.ExpectedLoss},
		{"DTX", C.OPUS_SET_DTX_REQUEST, dtx},
		{"complexity", C.OPUS_SET_COMPLEXITY_REQUEST, cfg.Complexity},
		{"signal", C.OPUS_SET_SIGNAL_REQUEST, C.OPUS_SIGNAL_VOICE},
		{"max bandwidth", C.OPUS_SET_MAX_BANDWIDTH_REQUEST, C.OPUS_BANDWIDTH_WIDEBAND},
	} {
		if rc := C.qiao_enc_set_int(e, s.request, C.opus_int32(s.v)); rc != C.OPUS_OK {
			enc.Close()
			return nil, opusError("set "+s.name+fmt.Sprintf(" to %d", s.v), rc)
		}
	}
	return enc, nil
}

// Encode encodes one frame (FrameSamples samples) into out and returns the
// packet length. out should have room for MaxPacketSize bytes.
func (e *Encoder) Encode(pcm []int16, out []byte) (int, error) {
	if len(pcm) != FrameSamples {
		return 0, fmt.Errorf("audio: encode needs %d samples, got %d", FrameSamples, len(pcm))
	}
	if len(out) == 0 {
		return 0, errors.New("audio: encode needs an output buffer")
	}
	n := C.opus_encode(e.e, (*C.opus_int16)(unsafe.Pointer(&pcm[0])), FrameSamples,
		(*C.uchar)(unsafe.Pointer(&out[0])), C.opus_int32(len(out)))
	if n < 0 {
		return 0, opusError("encode", C.int(n))
	}
	return int(n), nil
}

// SetBitrate changes the target bit rate (bits per second).
func (e *Encoder) SetBitrate(bps int) error {
	if bps < 6000 || bps > 510000 {
		return fmt.Errorf("audio: bitrate %d bit/s outside Opus's 6000..510000", bps)
	}
	if rc := C.qiao_enc_set_int(e.e, C.OPUS_SET_BITRATE_REQUEST, C.opus_int32(bps)); rc != C.OPUS_OK {
		return opusError(fmt.Sprintf("set bitrate to %d", bps), rc)
	}
	return nil
}

// SetExpectedLoss tells the encoder the loss the receivers report (percent),
// so it spends enough bits on FEC.
func (e *Encoder) SetExpectedLoss(percent int) error {
	if rc := C.qiao_enc_set_int(e.e, C.OPUS_SET_PACKET_LOSS_PERC_REQUEST, C.opus_int32(percent)); rc != C.OPUS_OK {
		return opusError(fmt.Sprintf("set expected loss to %d%%", percent), rc)
	}
	return nil
}

// Bitrate reports the encoder's current target bit rate.
func (e *Encoder) Bitrate() int {
	var v C.opus_int32
	C.qiao_enc_get_int(e.e, C.OPUS_GET_BITRATE_REQUEST, &v)
	return int(v)
}

// Lookahead reports the encoder's algorithmic delay in samples.
func (e *Encoder) Lookahead() int {
	var v C.opus_int32
	C.qiao_enc_get_int(e.e, C.OPUS_GET_LOOKAHEAD_REQUEST, &v)
	return int(v)
}

// Close frees the encoder. It is safe to call more than once.
func (e *Encoder) Close() {
	if e.e != nil {
		C.opus_encoder_destroy(e.e)
		e.e = nil
	}
}

// Decoder turns Opus packets back into 20 ms frames of 16 kHz mono samples,
// and makes up frames that were lost. It is not safe for concurrent use.
type Decoder struct {
	d *C.OpusDecoder
}

// NewDecoder makes an Opus decoder for the classroom format.
func NewDecoder() (*Decoder, error) {
	var errc C.int
	d := C.opus_decoder_create(SampleRate, 1, &errc)
	if errc != C.OPUS_OK {
		return nil, opusError("create decoder", errc)
	}
	return &Decoder{d: d}, nil
}

// Decode decodes one packet into out (at least FrameSamples long) and returns
// the number of samples written.
func (d *Decoder) Decode(packet []byte, out []int16) (int, error) {
	if len(packet) == 0 {
		return 0, errors.New("audio: decode of an empty packet (use Conceal for a lost one)")
	}
	return d.decode(packet, out, 0, "decode")
}

// DecodeFEC recovers the frame before next from the in-band FEC data carried
// in next (the packet that followed the lost one). When next carries no FEC
// data, libopus conceals instead, so the result is never worse than Conceal.
// Decode next itself afterwards as usual.
func (d *Decoder) DecodeFEC(next []byte, out []int16) (int, error) {
	if len(next) == 0 {
		return d.Conceal(out)
	}
	return d.decode(next, out, 1, "decode FEC")
}

// Conceal makes up one lost frame (packet loss concealment) into out.
// Repeated calls fade to silence.
func (d *Decoder) Conceal(out []int16) (int, error) {
	return d.decode(nil, out, 0, "conceal")
}

func (d *Decoder) decode(packet []byte, out []int16, fec C.int, what string) (int, error) {
	if len(out) < FrameSamples {
		return 0, fmt.Errorf("audio: %s needs room for %d samples, got %d", what, FrameSamples, len(out))
	}
	var data *C.uchar
	if len(packet) > 0 {
		data = (*C.uchar)(unsafe.Pointer(&packet[0]))
	}
	// For FEC and concealment the frame size must be exactly the lost
	// duration; for a normal decode it is the room available.
	size := C.int(FrameSamples)
	if packet != nil && fec == 0 {
		size = C.int(len(out))
	}
	n := C.opus_decode(d.d, data, C.opus_int32(len(packet)), (*C.opus_int16)(unsafe.Pointer(&out[0])), size, fec)
	if n < 0 {
		return 0, opusError(what, n)
	}
	return int(n), nil
}

// Close frees the decoder. It is safe to call more than once.
func (d *Decoder) Close() {
	if d.d != nil {
		C.opus_decoder_destroy(d.d)
		d.d = nil
	}
}

func opusError(what string, code C.int) error {
	return fmt.Errorf("audio: opus %s: %s (%d)", what, C.GoString(C.opus_strerror(code)), int(code))
}
