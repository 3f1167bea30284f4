package live

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os/exec"
	"testing"

	"qiao/audio"
)

// lessonSpeech is what a teacher says in the speech measurements: a
// Chinese maths lesson read by espeak-ng's Mandarin voice, with the pauses
// of a teacher who waits for the class (SSML breaks, 0.6–1.5 s).
const lessonSpeech = `<speak>同学们好，请坐。<break time="700ms"/>今天我们学习分数的加法。<break time="900ms"/>` +
	`请大家看黑板上的这张图：一个圆被平均分成了八份，小明吃了其中的三份，小红吃了其中的两份。<break time="1200ms"/>` +
	`他们一共吃了这个圆的几分之几呢？<break time="1500ms"/>好，第三排的同学，你来说一说。<break time="1000ms"/>` +
	`对，是八分之五。<break time="600ms"/>分母相同的分数相加，分母不变，只把分子相加。<break time="1000ms"/>` +
	`我们一起读一遍。<break time="800ms"/>下面请大家打开课本第四十二页，看第一题。<break time="1500ms"/>` +
	`先自己想一想，再和同桌说一说你是怎么想的。<break time="1200ms"/>做完的同学请举手。</speak>`

// The speech is scaled to this RMS over its voiced frames (-20 dBFS, a
// close classroom microphone), and a classroom's background noise at
// -60 dBFS is added so the pauses are not digital silence.
const (
	speechLevel = 0.1
	roomNoise   = 0.001
)

// synthSpeech synthesises lessonSpeech with espeak-ng (Debian package
// espeak-ng) as 16 kHz mono samples. Its command, for listening:
//
//	espeak-ng -v cmn -s 190 -m -w lesson.wav "$lessonSpeech"
//
// It skips the test when espeak-ng is not installed: call it only from
// QIAO_BENCH measurements.
func synthSpeech(t testing.TB) []int16 {
	t.Helper()
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("speech measurement needs espeak-ng (Debian: apt-get install espeak-ng)")
	}
	out, err := exec.Command("espeak-ng", "-v", "cmn", "-s", "190", "-m", "--stdout", lessonSpeech).Output()
	if err != nil {
		t.Fatalf("espeak-ng: %v", err)
	}
	rate, pcm, err := parseWAV(out)
	if err != nil {
		t.Fatalf("espeak-ng output: %v", err)
	}
	s := resample(pcm, rate, audio.SampleRate)
	// Level: the voiced frames' RMS to speechLevel.
	var sum float64
	var n int
	voiced := 0.01 * peakAbs(s)
	for f := 0; f+audio.FrameSamples <= len(s); f += audio.FrameSamples {
		if r := rmsFloat(s[f : f+audio.FrameSamples]); r > voiced {
			sum += r * r
			n++
		}
	}
	if n == 0 {
		t.Fatal("espeak-ng produced silence")
	}
	gain := speechLevel / math.Sqrt(sum/float64(n))
	rng := rand.New(rand.NewPCG(1, 2))
	res := make([]int16, len(s))
	for i, v := range s {
		x := v*gain + roomNoise*math.Sqrt(3)*(2*rng.Float64()-1)
		res[i] = int16(max(-32768, min(32767, math.Round(x*32767))))
	}
	return res
}

// parseWAV reads a 16-bit mono PCM WAV file (what espeak-ng writes): its
// sample rate and samples scaled to -1..1.
func parseWAV(b []byte) (int, []float64, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return 0, nil, errors.New("not a RIFF WAVE file")
	}
	rate := 0
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:p+8]))
		p += 8
		body := b[p:]
		// espeak-ng writing to a pipe cannot seek back to fill in sizes:
		// a data chunk that claims more than there is runs to the end.
		if size >= 0 && size < len(body) {
			body = body[:size]
		}
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return 0, nil, errors.New("short fmt chunk")
			}
			format, channels := binary.LittleEndian.Uint16(body[0:2]), binary.LittleEndian.Uint16(body[2:4])
			bits := binary.LittleEndian.Uint16(body[14:16])
			if format != 1 || channels != 1 || bits != 16 {
				return 0, nil, fmt.Errorf("want 16-bit mono PCM, got format %d, %d channels, %d bits", format, channels, bits)
			}
			rate = int(binary.LittleEndian.Uint32(body[4:8]))
		case "data":
			if rate == 0 {
				return 0, nil, errors.New("data before fmt")
			}
			raw := make([]int16, len(body)/2)
			if err := binary.Read(bytes.NewReader(body[:len(raw)*2]), binary.LittleEndian, raw); err != nil {
				return 0, nil, err
			}
			pcm := make([]float64, len(raw))
			for i, v := range raw {
				pcm[i] = float64(v) / 32768
			}
			return rate, pcm, nil
		}
		p += len(body) + len(body)&1
	}
	return 0, nil, errors.New("no data chunk")
}

// resample converts from one sample rate to another with a Hann-windowed
// sinc low-pass at 0.9 of the lower Nyquist frequency (espeak-ng writes
// 22 050 Hz; the classroom runs at 16 kHz). The filter's phases repeat
// every to/gcd outputs, so their taps are computed once.
func resample(in []float64, from, to int) []float64 {
	const half = 24 // taps each side
	cut := 0.9 * math.Min(1, float64(to)/float64(from))
	g := gcd(from, to)
	up, down := to/g, from/g // output i sits at input i*down/up
	taps := make([][2 * half]float64, up)
	for ph := range taps {
		frac := float64(ph*down%up) / float64(up)
		for j := range taps[ph] {
			x := frac - float64(j-half+1)
			taps[ph][j] = cut * sinc(cut*x) * (0.5 + 0.5*math.Cos(math.Pi*x/half))
		}
	}
	out := make([]float64, int(int64(len(in))*int64(up)/int64(down)))
	for i := range out {
		k0 := i * down / up
		var acc float64
		for j, w := range taps[i%up] {
			if k := k0 - half + 1 + j; k >= 0 && k < len(in) {
				acc += in[k] * w
			}
		}
		out[i] = acc
	}
	return out
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

func rmsFloat(s []float64) float64 {
	var sum float64
	for _, v := range s {
		sum += v * v
	}
	return math.Sqrt(sum / float64(len(s)))
}

func peakAbs(s []float64) float64 {
	var p float64
	for _, v := range s {
		p = max(p, math.Abs(v))
	}
	return p
}

// pauseShare is the share of 20 ms frames quieter than -45 dBFS.
func pauseShare(s []int16) float64 {
	var quiet, all int
	for f := 0; f+audio.FrameSamples <= len(s); f += audio.FrameSamples {
		all++
		if audio.RMS(s[f:f+audio.FrameSamples]) < math.Pow(10, -45.0/20) {
			quiet++
		}
	}
	return float64(quiet) / float64(all)
}

// speechSource plays samples in a loop as a capture Source (called only
// from the capture device's thread).
type speechSource struct {
	s   []int16
	pos int
}

func (p *speechSource) fill(buf []int16) {
	for i := range buf {
		buf[i] = p.s[p.pos]
		p.pos = (p.pos + 1) % len(p.s)
	}
}

// TestSpeechSample checks the speech the bit-rate measurement sends: its
// length, level and pauses (QIAO_BENCH only, as it needs espeak-ng).
func TestSpeechSample(t *testing.T) {
	benchOnly(t)
	s := synthSpeech(t)
	secs := float64(len(s)) / audio.SampleRate
	ps := pauseShare(s)
	t.Logf("speech: %.1f s, %.1f dBFS overall, pauses (frames under -45 dBFS) %.0f %%", secs, audio.DBFS(audio.RMS(s)), 100*ps)
	if secs < 40 || secs > 90 {
		t.Errorf("speech lasts %.1f s, want about a minute", secs)
	}
	if ps < 0.1 || ps > 0.4 {
		t.Errorf("pauses %.0f %% of the time, want a teacher's 20-30 %%", 100*ps)
	}
}

// TestSpeechDTXEstimate encodes the lesson's speech at the default rate
// with and without Opus DTX (no network) and estimates what DTX would save
// on the wire: packets of 2 bytes or less are DTX frames a sender need not
// send, and every packet sent costs 50 bytes of headers (RTP 12, SRTP tag
// 10, IPv4+UDP 28). QIAO_BENCH only: it needs espeak-ng.
func TestSpeechDTXEstimate(t *testing.T) {
	benchOnly(t)
	speech := synthSpeech(t)
	secs := float64(len(speech)/audio.FrameSamples) * audio.FrameDuration.Seconds()
	rates := map[bool]float64{}
	for _, dtx := range []bool{false, true} {
		enc, err := audio.NewEncoder(audio.EncoderConfig{Bitrate: DefaultBitrate, DTX: dtx})
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, audio.MaxPacketSize)
		var sent, size int
		for f := 0; f+audio.FrameSamples <= len(speech); f += audio.FrameSamples {
			n, err := enc.Encode(speech[f:f+audio.FrameSamples], buf)
			if err != nil {
				t.Fatal(err)
			}
			if n > 2 {
				sent++
				size += n
			}
		}
		enc.Close()
		payload := float64(size) * 8 / secs / 1000
		wire := float64(size+50*sent) * 8 / secs / 1000
		rates[dtx] = wire
		t.Logf("DTX %v: %.1f packets/s sent, Opus payload %.1f kbit/s, voice on the wire %.1f kbit/s", dtx, float64(sent)/secs, payload, wire)
	}
	if rates[true] >= rates[false] {
		t.Errorf("DTX saves nothing: %.1f kbit/s against %.1f", rates[true], rates[false])
	}
}
