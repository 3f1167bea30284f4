package live

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"qiao/audio"
	"qiao/classroom/relay"
)

// childEnv makes the test binary run as a separate participant process
// (value "remote": join, listen, report JSON on stdout; see childMain).
const childEnv = "QIAO_TEST_LIVE_CHILD"

// childReport is what a child remote process heard and saw.
type childReport struct {
	heard
	ID    string `json:"id"`
	Page  int    `json:"page"`
	Quiz  string `json:"quiz"`
	Error string `json:"error,omitempty"`
}

// TestLiveLesson is the end-to-end lesson: a relay, a host and three
// remote classrooms in this process, one more remote in a child process,
// real PeerConnections on loopback and real-time audio devices on
// miniaudio's null backend.
func TestLiveLesson(t *testing.T) {
	ctx := context.Background()
	r := startRelay(t)
	host := mustSession(t, ctx, true, r, "实验小学 王老师", 440)
	r1 := mustSession(t, ctx, false, r, "草原小学三年级", 700)
	r2 := mustSession(t, ctx, false, r, "牧区小学二年级", 1000)
	r3 := mustSession(t, ctx, false, r, "山村教学点", 700)
	remotes := []*participant{r1, r2, r3}

	// 1. The host's voice (440 Hz) reaches every remote classroom.
	time.Sleep(3 * time.Second)
	for i, p := range remotes {
		checkHeard(t, fmt.Sprintf("remote %d", i+1), analyse(p.rec.last(2500*time.Millisecond), toneLevel), 440, toneLevel)
	}
	if v := r1.Voice(); v.FramesSent != 0 {
		t.Errorf("remote 1 sent %d frames without the mic", v.FramesSent)
	}
	t.Logf("host voice: %+v", host.Voice())
	t.Logf("remote 1 voice: %+v", r1.Voice())

	// 2. Board and quiz: the host turns a page and starts a quiz; the remotes answer.
	if err := host.TurnPage(3); err != nil {
		t.Fatal(err)
	}
	if err := host.Stroke(relay.Stroke{ID: "s1", Page: 3, Color: "#e53935", Width: 25, Points: []int{100, 200, 300, 400}}); err != nil {
		t.Fatal(err)
	}
	if err := host.StartQuiz(relay.Quiz{ID: "q1", Kind: relay.QuizSingle, Options: 4}); err != nil {
		t.Fatal(err)
	}
	for _, p := range remotes {
		eventually(t, 5*time.Second, "remote sees page 3 and the quiz", func() bool {
			v := p.View()
			return v.Page == 3 && v.Quiz != nil && v.Quiz.ID == "q1" && v.Strokes["s1"] == 3
		})
	}
	for i, choice := range []int{1, 2, 1} {
		if err := remotes[i].Answer("q1", choice); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 5*time.Second, "host sees the tally [0 2 1 0]", func() bool {
		v := host.View()
		return v.Quiz != nil && slices.Equal(v.Quiz.Counts, []int{0, 2, 1, 0})
	})
	t.Logf("host's tally: %v", host.View().Quiz.Counts)

	// 3. Mic hand-over: remote 2 raises its hand, the host grants it the mic;
	// its 1000 Hz now plays at the host and at remote 1.
	if err := r2.RaiseHand(true); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "host sees remote 2's hand", func() bool { return slices.Contains(host.View().Hands, r2.ID()) })
	if err := host.GrantMic(r2.ID()); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "remote 2 holds the mic", r2.HoldsMic)
	if r1.HoldsMic() || r3.HoldsMic() {
		t.Error("the mic went to someone else too")
	}
	time.Sleep(3 * time.Second)
	checkHeard(t, "host (remote 2 holds the mic)", analyse(host.rec.last(2500*time.Millisecond), toneLevel), 1000, toneLevel)
	checkHeard(t, "remote 1 (remote 2 holds the mic)", analyse(r1.rec.last(2500*time.Millisecond), toneLevel), 1000, toneLevel)
	// Remote 2 never hears itself: the host's voice is ducked by the echo gate
	// while the host plays remote 2, and the relay never sends back its own.
	if got := audio.ToneLevel(r2.rec.last(time.Second), 1000); audio.DBFS(got) > -40 {
		t.Errorf("remote 2 hears itself at %.1f dBFS", audio.DBFS(got))
	}
	if d := host.Voice().Ducked; d == 0 {
		t.Error("the host's echo gate never ducked while remote 2 spoke")
	}
	t.Logf("remote 2 voice: %+v", r2.Voice())

	// 4. Revoke: remote 2 stops sending; everyone hears the host again.
	if err := host.RevokeMic(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "remote 2 loses the mic", func() bool { return !r2.HoldsMic() })
	sent := r2.Voice().FramesSent
	time.Sleep(3 * time.Second)
	if d := r2.Voice().FramesSent - sent; d > 2 {
		t.Errorf("remote 2 sent %d frames after the mic was revoked", d)
	}
	checkHeard(t, "remote 1 (mic revoked)", analyse(r1.rec.last(2500*time.Millisecond), toneLevel), 440, toneLevel)
	if l := audio.DBFS(audio.RMS(host.rec.last(time.Second))); l > -50 {
		t.Errorf("the host still plays %.1f dBFS after the revoke", l)
	}

	// The host sees each remote classroom's link, measured by the relay
	// (the relay's tests check the values over a shaped link); remotes see none.
	eventually(t, 15*relay.LinkInterval, "host sees every remote's link", func() bool {
		ls := host.Links()
		for _, p := range remotes {
			if l, ok := ls[p.ID()]; !ok || l.RTTms == 0 || l.KbpsOut == 0 {
				return false
			}
		}
		return true
	})
	t.Logf("links at the host: %+v", host.Links())
	if len(r1.Links()) != 0 {
		t.Errorf("a remote sees links: %+v", r1.Links())
	}

	// 5. A late joiner gets the page and the quiz at once; so does a remote
	// in a separate process, which also hears the host.
	child := startChild(t, r)
	late := mustSession(t, ctx, false, r, "迟到的教室", 700)
	if v := late.View(); v.Page != 3 || v.Quiz == nil || v.Quiz.ID != "q1" || v.Strokes["s1"] != 3 {
		t.Errorf("late joiner's view at once: page %d, quiz %+v, strokes %v", v.Page, v.Quiz, v.Strokes)
	}
	rep := child.wait(t)
	checkHeard(t, "remote in a child process", rep.heard, 440, toneLevel)
	if rep.Page != 3 || rep.Quiz != "q1" {
		t.Errorf("child process saw page %d, quiz %q; want 3, q1", rep.Page, rep.Quiz)
	}

	// 6. A dropped link: the session reconnects with its resume token, keeps
	// its id and hears the host again.
	id := r3.ID()
	r3.Drop()
	eventually(t, 10*time.Second, "remote 3 reconnects", func() bool { return r3.Reconnects() == 1 && r3.State() == Live })
	// Drop breaks the link without "leave": the relay kept its place for
	// the resume grace, so it comes back as the same participant.
	if got := r3.ID(); got != id {
		t.Errorf("remote 3 came back as %s, was %s", got, id)
	}
	r3.rec.reset()
	time.Sleep(3 * time.Second)
	checkHeard(t, "remote 3 after reconnecting", analyse(r3.rec.last(2500*time.Millisecond), toneLevel), 440, toneLevel)
	if v := r3.View(); v.Page != 3 {
		t.Errorf("remote 3 after reconnecting: page %d", v.Page)
	}

	// 7. Close ends the sessions.
	r1.Close()
	if r1.State() != Ended {
		t.Errorf("remote 1 state after Close: %v", r1.State())
	}
}

// TestRefusedJoinEnds: a wrong lesson code or a false host key ends the
// session with the relay's refusal instead of retrying for ever.
func TestRefusedJoinEnds(t *testing.T) {
	ctx := context.Background()
	r := startRelay(t)
	api, err := loopbackAPI()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		host        bool
		lesson, key string
		code        string
	}{{false, "99999999", "", relay.CodeLessonUnknown}, {true, r.Code, "wrong-key-wrong-key-wrong-key-00", relay.CodeNotHost}} {
		cfg := Config{URL: r.URL, Lesson: c.lesson, Key: c.key, Name: "x", API: api, Device: audio.DeviceConfig{Null: true}, NoPlayback: true}
		var s *Session
		if c.host {
			s, err = Host(ctx, cfg)
		} else {
			s, err = Join(ctx, cfg)
		}
		if err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = s.WaitLive(wctx)
		cancel()
		var pe *relay.ProtocolError
		if !asProtocolError(err, &pe) || pe.Code != c.code {
			t.Errorf("got %v, want %s", err, c.code)
		}
		if s.State() != Ended {
			t.Errorf("state %v, want ended", s.State())
		}
		s.Close()
	}
}

// child is a remote classroom in a separate process.
type child struct {
	cmd *exec.Cmd
	out *bufio.Reader
}

func startChild(t *testing.T, r *lessonRelay) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=remote", "QIAO_TEST_LIVE_URL="+r.URL, "QIAO_TEST_LIVE_LESSON="+r.Code)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return &child{cmd: cmd, out: bufio.NewReader(out)}
}

func (c *child) wait(t *testing.T) childReport {
	t.Helper()
	line, err := c.out.ReadBytes('\n')
	if err != nil {
		t.Fatalf("child process: %v", err)
	}
	var rep childReport
	if err := json.Unmarshal(line, &rep); err != nil {
		t.Fatalf("child process said %q: %v", line, err)
	}
	if rep.Error != "" {
		t.Fatalf("child process: %s", rep.Error)
	}
	t.Logf("child process (participant %s) reports %s", rep.ID, line)
	return rep
}

// childMain runs in the child process.
func childMain(mode string) int {
	switch mode {
	case "remote":
		rep := childRemote()
		b, _ := json.Marshal(rep)
		os.Stdout.Write(append(b, '\n'))
		if rep.Error != "" {
			return 1
		}
		return 0
	case "host", "host-embedded":
		return childHost(mode)
	}
	fmt.Fprintln(os.Stderr, "unknown child mode", mode)
	return 2
}

func childRemote() childReport {
	ctx := context.Background()
	r := &lessonRelay{URL: os.Getenv("QIAO_TEST_LIVE_URL")}
	r.Code = os.Getenv("QIAO_TEST_LIVE_LESSON")
	p, err := startSession(ctx, false, r, "另一个进程的教室", 700)
	if err != nil {
		return childReport{Error: err.Error()}
	}
	defer p.Close()
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := p.WaitLive(wctx); err != nil {
		return childReport{Error: err.Error()}
	}
	v := p.View()
	rep := childReport{ID: p.ID(), Page: v.Page}
	if v.Quiz != nil {
		rep.Quiz = v.Quiz.ID
	}
	time.Sleep(3 * time.Second)
	rep.heard = analyse(p.rec.last(2500*time.Millisecond), toneLevel)
	return rep
}

func asProtocolError(err error, pe **relay.ProtocolError) bool { return errors.As(err, pe) }

func TestEndedLessonEndsTheSessions(t *testing.T) {
	ctx := context.Background()
	r := startRelay(t)
	api, err := loopbackAPI()
	if err != nil {
		t.Fatal(err)
	}
	var retried atomic.Bool
	cfg := Config{URL: r.URL, Lesson: r.Code, Name: "x", API: api, Device: audio.DeviceConfig{Null: true}, NoPlayback: true,
		OnState: func(st State) { retried.Store(retried.Load() || st == Reconnecting) }}
	remote, err := Join(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer remote.Close()
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := remote.WaitLive(wctx); err != nil {
		t.Fatal(err)
	}
	r.CloseLesson(r.Code)
	for remote.State() != Ended {
		select {
		case <-remote.Changed():
		case <-wctx.Done():
			t.Fatalf("the session did not end when the lesson ended (state %v)", remote.State())
		}
	}
	var pe *relay.ProtocolError
	if remote.State() != Ended || !asProtocolError(remote.Err(), &pe) || pe.Code != relay.CodeLessonEnded {
		t.Fatalf("state %v, err %v; want ended with lesson_ended", remote.State(), remote.Err())
	}
	if retried.Load() {
		t.Fatal("the session tried to reconnect to a lesson its host had ended")
	}
}
