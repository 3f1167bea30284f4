package audio

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// markDecoder is a fake decoder whose frames say which packet they came from:
// out[0] is the sequence number decoded (+1, so 0 means silence), out[1] says
// how (1 decode, 2 FEC, 3 conceal).
type markDecoder struct{}

func seqPayload(seq uint16) []byte {
	b := make([]byte, 4)
	binary.BigEndian.PutUint16(b, seq)
	return b
}

func (markDecoder) Decode(p []byte, out []int16) (int, error) {
	if len(p) < 2 {
		return 0, errors.New("bad")
	}
	clear(out[:FrameSamples])
	out[0], out[1] = int16(binary.BigEndian.Uint16(p)+1), 1
	return FrameSamples, nil
}

func (markDecoder) DecodeFEC(p []byte, out []int16) (int, error) {
	clear(out[:FrameSamples])
	out[0], out[1] = int16(binary.BigEndian.Uint16(p)), 2 // the frame before p
	return FrameSamples, nil
}

func (markDecoder) Conceal(out []int16) (int, error) {
	clear(out[:FrameSamples])
	out[1] = 3
	return FrameSamples, nil
}

// netSim describes a simulated network for a stream of packets.
type netSim struct {
	frames   int
	firstSeq uint16
	base     time.Duration                  // one-way delay
	jitter   time.Duration                  // extra delay, uniform 0..jitter
	lost     func(i int, r *rand.Rand) bool // is packet i lost?
	delay    func(i int) time.Duration      // extra fixed delay for packet i (outages)
	seed     uint64
}

type popResult struct {
	status FrameStatus
	seq    int // sequence number played (-1 for silence/conceal)
}

// run sends one packet each 20 ms through the simulated network and pops one
// frame each 20 ms (plus extra pops at the end to drain), all on a simulated
// clock, and returns what was played.
func (n netSim) run(t *testing.T, jb *JitterBuffer) []popResult {
	t.Helper()
	r := rand.New(rand.NewPCG(n.seed, 1))
	type arrival struct {
		at time.Duration
		p  Packet
	}
	var arrivals []arrival
	for i := range n.frames {
		if n.lost != nil && n.lost(i, r) {
			continue
		}
		d := n.base
		if n.jitter > 0 {
			d += time.Duration(r.Int64N(int64(n.jitter)))
		}
		if n.delay != nil {
			d += n.delay(i)
		}
		seq := n.firstSeq + uint16(i)
		arrivals = append(arrivals, arrival{time.Duration(i)*FrameDuration + d,
			Packet{Seq: seq, Timestamp: uint32(i) * FrameTicks, Payload: seqPayload(seq)}})
	}
	// Deliver in arrival order (stable: equal times keep sending order).
	for i := 1; i < len(arrivals); i++ {
		for k := i; k > 0 && arrivals[k].at < arrivals[k-1].at; k-- {
			arrivals[k], arrivals[k-1] = arrivals[k-1], arrivals[k]
		}
	}
	epoch := time.Unix(0, 0)
	var out []popResult
	frame := make([]int16, FrameSamples)
	next := 0
	// Pop until everything sent was delivered and played (or given up on).
	for k := 0; k < n.frames+100; k++ {
		if next == len(arrivals) && jb.Stats().Buffered == 0 && k > n.frames {
			break
		}
		now := time.Duration(k)*FrameDuration + n.base // first pop when the first packet is due
		for next < len(arrivals) && arrivals[next].at <= now {
			jb.PushAt(arrivals[next].p, epoch.Add(arrivals[next].at))
			next++
		}
		st := jb.Pop(frame)
		seq := -1
		if st == FrameDecoded || st == FrameFEC {
			seq = int(uint16(frame[0] - 1))
		}
		out = append(out, popResult{st, seq})
	}
	return out
}

// checkOrder fails if frames played out of order or twice.
func checkOrder(t *testing.T, out []popResult, firstSeq uint16) (played int) {
	t.Helper()
	last := -1
	for _, r := range out {
		if r.seq < 0 {
			continue
		}
		rel := int(uint16(uint16(r.seq) - firstSeq))
		if rel <= last {
			t.Fatalf("frame %d played after %d", rel, last)
		}
		last = rel
		played++
	}
	return played
}

func count(out []popResult, st FrameStatus) int {
	n := 0
	for _, r := range out {
		if r.status == st {
			n++
		}
	}
	return n
}

func TestJitterInOrder(t *testing.T) {
	jb := NewJitterBuffer(markDecoder{}, JitterConfig{})
	out := netSim{frames: 500, base: 30 * time.Millisecond}.run(t, jb)
	if got := checkOrder(t, out, 0); got != 500 {
		t.Fatalf("played %d of 500 frames", got)
	}
	s := jb.Stats()
	if s.Lost != 0 || s.Late != 0 || s.Concealed != 0 || s.Target != 40*time.Millisecond {
		t.Fatalf("clean link: %+v", s)
	}
	// It starts after building up the minimum delay: 2 frames of silence, not more.
	if out[0].status != FrameSilence || out[2].status != FrameDecoded {
		t.Fatalf("start: %v %v %v", out[0], out[1], out[2])
	}
}

func TestJitterReorders(t *testing.T) {
	jb := NewJitterBuffer(markDecoder{}, JitterConfig{})
	// Every 4th packet is overtaken by the next one (arrives 25 ms late).
	out := netSim{frames: 500, base: 30 * time.Millisecond,
		delay: func(i int) time.Duration {
			if i%4 == 1 {
				return 25 * time.Millisecond
			}
			return 0
		}}.run(t, jb)
	played := checkOrder(t, out, 0)
	s := jb.Stats()
	t.Logf("reorder: played %d, %+v", played, s)
	if played != 500 || s.Lost != 0 {
		t.Fatalf("reordered stream lost frames: played %d, %+v", played, s)
	}
}

func TestJitterRandomLossUsesFEC(t *testing.T) {
	jb := NewJitterBuffer(markDecoder{}, JitterConfig{})
	lostSet := map[int]bool{}
	out := netSim{frames: 3000, base: 40 * time.Millisecond, jitter: 30 * time.Millisecond, seed: 7,
		lost: func(i int, r *rand.Rand) bool {
			if r.Float64() < 0.05 {
				lostSet[i] = true
			}
			return lostSet[i]
		}}.run(t, jb)
	played := checkOrder(t, out, 0)
	s := jb.Stats()
	t.Logf("5%% loss, 30 ms jitter: %d lost on the wire, played %d, %+v", len(lostSet), played, s)
	// A lost frame whose successor arrived is rebuilt by FEC: it is "played".
	want := 0
	for i := range 3000 {
		if !lostSet[i] || !lostSet[i+1] && i+1 < 3000 {
			want++
		}
	}
	if played < want-int(s.Late)-3 { // a late packet costs its frame; the end of the stream has no successor
		t.Errorf("played %d frames, want about %d", played, want)
	}
	if s.RecoveredFEC < uint64(len(lostSet))*8/10 {
		t.Errorf("FEC recovered %d of %d lost frames", s.RecoveredFEC, len(lostSet))
	}
	if s.Target < 60*time.Millisecond || s.Target > 200*time.Millisecond {
		t.Errorf("target delay %v for 30 ms of jitter, want 60..200 ms", s.Target)
	}
}

func TestJitterBurstIsConcealed(t *testing.T) {
	jb := NewJitterBuffer(markDecoder{}, JitterConfig{})
	out := netSim{frames: 200, base: 30 * time.Millisecond,
		lost: func(i int, _ *rand.Rand) bool { return i >= 100 && i < 105 }}.run(t, jb)
	checkOrder(t, out, 0)
	s := jb.Stats()
	if s.Lost != 5 || s.RecoveredFEC != 1 || s.Concealed != 4 {
		t.Fatalf("burst of 5: %+v, want 5 lost, 1 by FEC, 4 concealed", s)
	}
	if got := count(out, FrameDecoded); got != 195 {
		t.Fatalf("decoded %d, want 195", got)
	}
}

func TestJitterOutageThenResume(t *testing.T) {
	jb := NewJitterBuffer(markDecoder{}, JitterConfig{})
	// 10 s outage: frames 250..749 never arrive; the sender keeps counting.
	out := netSim{frames: 1250, base: 40 * time.Millisecond, jitter: 10 * time.Millisecond, seed: 3,
		lost: func(i int, _ *rand.Rand) bool { return i >= 250 && i < 750 }}.run(t, jb)
	checkOrder(t, out, 0)
	s := jb.Stats()
	t.Logf("outage: %+v", s)
	// During the outage: a few concealed frames, then silence, never a stall.
	during := out[260:740]
	if c := count(during, FrameConcealed); c > concealFrames {
		t.Errorf("%d concealed frames in the outage, want at most %d", c, concealFrames)
	}
	if c := count(during, FrameSilence); c < len(during)-concealFrames {
		t.Errorf("outage: %d silent of %d", c, len(during))
	}
	// After it: playing again within the target delay, every frame decoded.
	after := out[760:1250]
	if c := count(after, FrameDecoded); c != len(after) {
		t.Errorf("after the outage %d of %d frames decoded", c, len(after))
	}
	if s.Lost != 500 || s.Resyncs != 1 {
		t.Errorf("lost %d (want 500), resyncs %d (want 1)", s.Lost, s.Resyncs)
	}
	if s.Buffered > s.Target+FrameDuration {
		t.Errorf("after the outage %v buffered, target %v: delay grew", s.Buffered, s.Target)
	}
}

func TestJitterShortOutageDoesNotAddDelay(t *testing.T) {
	jb := NewJitterBuffer(markDecoder{}, JitterConfig{})
	// 600 ms outage (shorter than the buffer's 64 slots): everything sent in it is lost.
	out := netSim{frames: 600, base: 40 * time.Millisecond,
		lost: func(i int, _ *rand.Rand) bool { return i >= 200 && i < 230 }}.run(t, jb)
	checkOrder(t, out, 0)
	s := jb.Stats()
	t.Logf("short outage: %+v", s)
	if s.Lost != 30 {
		t.Errorf("lost %d, want 30", s.Lost)
	}
	if s.Buffered > s.Target+FrameDuration {
		t.Errorf("after the outage %v buffered, target %v", s.Buffered, s.Target)
	}
	// Frame 599 is played about 600 frames after frame 0, not 30 frames later.
	for k, r := range out {
		if r.seq == 599 && k > 599+int(s.Target/FrameDuration)+3 {
			t.Errorf("last frame played at pop %d: the outage added delay", k)
		}
	}
}

func TestJitterLatePacketsRaiseTheDelay(t *testing.T) {
	jb := NewJitterBuffer(markDecoder{}, JitterConfig{})
	// Every 50th packet is 120 ms late: too late for 40 ms of delay.
	out := netSim{frames: 1000, base: 20 * time.Millisecond,
		delay: func(i int) time.Duration {
			if i%50 == 25 {
				return 120 * time.Millisecond
			}
			return 0
		}}.run(t, jb)
	checkOrder(t, out, 0)
	s := jb.Stats()
	t.Logf("late: %+v", s)
	if s.Late == 0 {
		t.Fatal("no late packet counted")
	}
	if s.Target <= 40*time.Millisecond {
		t.Errorf("target stayed at %v despite late packets", s.Target)
	}
	if s.Target > 200*time.Millisecond {
		t.Errorf("target %v above the 200 ms bound", s.Target)
	}
	if s.Late > 20/2 {
		t.Errorf("%d of 20 delayed packets were late: the delay did not adapt", s.Late)
	}
}

func TestJitterDelayShrinksBack(t *testing.T) {
	jb := NewJitterBuffer(markDecoder{}, JitterConfig{})
	// A 300 ms stall at frame 100 delivers a bunch at once; afterwards the link is clean.
	out := netSim{frames: 800, base: 20 * time.Millisecond,
		delay: func(i int) time.Duration {
			if i >= 100 && i < 115 {
				return time.Duration(115-i) * FrameDuration
			}
			return 0
		}}.run(t, jb)
	checkOrder(t, out, 0)
	s := jb.Stats()
	t.Logf("stall: %+v", s)
	if s.Discarded == 0 {
		t.Error("no frame dropped to bring the delay back down")
	}
	if s.Buffered > s.Target+FrameDuration {
		t.Errorf("%v still buffered 13 s after the stall, target %v", s.Buffered, s.Target)
	}
}

func TestJitterSequenceWraps(t *testing.T) {
	jb := NewJitterBuffer(markDecoder{}, JitterConfig{})
	out := netSim{frames: 300, firstSeq: 65400, base: 30 * time.Millisecond, jitter: 15 * time.Millisecond, seed: 5}.run(t, jb)
	if got := checkOrder(t, out, 65400); got < 290 {
		t.Fatalf("played %d of 300 across the wrap", got)
	}
}

func TestJitterBoundedMemory(t *testing.T) {
	jb := NewJitterBuffer(markDecoder{}, JitterConfig{})
	now := time.Unix(0, 0)
	// A flood with nobody popping, and garbage sizes.
	for i := range 10000 {
		jb.PushAt(Packet{Seq: uint16(i), Timestamp: uint32(i) * FrameTicks, Payload: seqPayload(uint16(i))}, now)
	}
	jb.PushAt(Packet{Seq: 1, Payload: make([]byte, MaxPacketSize+1)}, now)
	jb.PushAt(Packet{Seq: 2}, now)
	if s := jb.Stats(); s.Buffered > jitterSlots*FrameDuration {
		t.Fatalf("%v buffered, more than the %d slots", s.Buffered, jitterSlots)
	}
	frame := make([]int16, FrameSamples)
	for range 100 {
		jb.Pop(frame)
	}
	if s := jb.Stats(); s.Buffered > s.Target+FrameDuration {
		t.Fatalf("after the flood %v buffered, target %v", s.Buffered, s.Target)
	}
}

func TestJitterConcurrentPushPop(t *testing.T) {
	jb := NewJitterBuffer(markDecoder{}, JitterConfig{})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i < 5000; i++ {
			jb.Push(Packet{Seq: uint16(i), Timestamp: uint32(i) * FrameTicks, Payload: seqPayload(uint16(i))})
		}
		close(stop)
	}()
	go func() {
		defer wg.Done()
		frame := make([]int16, FrameSamples)
		for {
			select {
			case <-stop:
				return
			default:
				jb.Pop(frame)
				_ = jb.Stats()
			}
		}
	}()
	wg.Wait()
}

func TestJitterCorruptPacketIsConcealed(t *testing.T) {
	jb := NewJitterBuffer(markDecoder{}, JitterConfig{})
	now := time.Unix(0, 0)
	for i := range 5 {
		p := seqPayload(uint16(i))
		if i == 3 {
			p = []byte{1} // markDecoder rejects it
		}
		jb.PushAt(Packet{Seq: uint16(i), Timestamp: uint32(i) * FrameTicks, Payload: p}, now.Add(time.Duration(i)*FrameDuration))
	}
	frame := make([]int16, FrameSamples)
	var got []FrameStatus
	for range 5 {
		got = append(got, jb.Pop(frame))
	}
	if got[3] != FrameConcealed {
		t.Fatalf("statuses %v: the corrupt 4th frame should be concealed", got)
	}
}

func TestJitterPopAllocatesNothing(t *testing.T) {
	jb := NewJitterBuffer(markDecoder{}, JitterConfig{})
	frame := make([]int16, FrameSamples)
	p := Packet{Payload: seqPayload(0)}
	now := time.Unix(0, 0)
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		p.Seq, p.Timestamp = uint16(i), uint32(i)*FrameTicks
		binary.BigEndian.PutUint16(p.Payload, uint16(i))
		jb.PushAt(p, now.Add(time.Duration(i)*FrameDuration))
		jb.Pop(frame)
		i++
	})
	if allocs > 0 {
		t.Fatalf("%v allocations per push+pop", allocs)
	}
}
