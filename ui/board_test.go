package ui

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"qiao/classroom/live"
	"qiao/classroom/relay"
	"qiao/i18n"
)

// boardWindow shows b alone in a test window of size w×h.
func boardWindow(t *testing.T, b *board, w, h float32) fyne.Window {
	t.Helper()
	win := test.NewTempWindow(t, b)
	win.SetPadded(false)
	win.Resize(fyne.NewSize(w, h))
	return win
}

// randomStrokes are n short strokes on page 1 in the pen colours.
func randomStrokes(n int) []relay.Stroke {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]relay.Stroke, n)
	for i := range out {
		k := relay.Stroke{ID: "s" + itoa(i), Page: 1, Color: penColors[i%len(penColors)], Width: penThin + rng.IntN(50)}
		x, y := rng.IntN(relay.CoordMax), rng.IntN(relay.CoordMax)
		for j := 0; j < 20; j++ {
			x = min(max(x+rng.IntN(301)-150, 0), relay.CoordMax)
			y = min(max(y+rng.IntN(301)-150, 0), relay.CoordMax)
			k.Points = append(k.Points, x, y)
		}
		out[i] = k
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// penButton is the toolbar's button of pen colour c.
func (h *harness) penButton(c string) *widget.Button {
	h.t.Helper()
	for _, o := range h.objects() {
		if b, ok := o.(*widget.Button); ok && b.Icon != nil && b.Icon.Name() == "pen"+c[1:]+".svg" {
			return b
		}
	}
	h.t.Fatalf("no pen button %s", c)
	return nil
}

// pixelAt is the board's ink at page coordinates x,y (CoordMax units).
func pixelAt(b *board, x, y int) (r, g, bl, a uint8) {
	img := b.img
	px := x * img.Bounds().Dx() / relay.CoordMax
	py := y * img.Bounds().Dy() / relay.CoordMax
	o := img.PixOffset(min(px, img.Bounds().Dx()-1), min(py, img.Bounds().Dy()-1))
	return img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3]
}

// TestBoardPaintsManyStrokesIncrementally paints 5,000 strokes, then one
// more incrementally: the cache must equal a full repaint; undo repaints.
func TestBoardPaintsManyStrokesIncrementally(t *testing.T) {
	b := newBoard(nil)
	win := boardWindow(t, b, 800, 600)
	all := randomStrokes(5001)
	b.show(1, "", all[:5000])
	win.Canvas().Capture()
	if b.img == nil || b.img.Bounds().Dx() < 700 {
		t.Fatalf("no ink raster at the board's size: %v", b.img)
	}
	inked := 0
	for i := 3; i < len(b.img.Pix); i += 4 {
		if b.img.Pix[i] > 0 {
			inked++
		}
	}
	if inked < len(b.img.Pix)/4/10 {
		t.Fatalf("5000 strokes inked only %d pixels", inked)
	}
	if len(test.LaidOutObjects(b)) > 10 {
		t.Fatalf("the board has %d canvas objects: ink must not be one per segment", len(test.LaidOutObjects(b)))
	}

	b.show(1, "", all) // one more: painted into the cache
	if b.dirty {
		t.Fatal("one new stroke made the whole board repaint")
	}
	inc := bytes.Clone(b.img.Pix)
	b.dirty = true
	win.Canvas().Capture()
	if !bytes.Equal(inc, b.img.Pix) {
		t.Fatal("the incremental paint differs from a full repaint")
	}

	// Undo the last: repainted without it.
	b.show(1, "", all[:5000])
	if !b.dirty {
		t.Fatal("a stroke went away but the cache was kept")
	}
	if !b.baseValid(b.img.Bounds().Dx(), b.img.Bounds().Dy()) {
		t.Fatal("undoing the last stroke cannot repaint from the base image")
	}
	win.Canvas().Capture()
	full := bytes.Clone(b.img.Pix)
	b.dirty, b.baseIDs = true, nil // from scratch
	win.Canvas().Capture()
	if !bytes.Equal(full, b.img.Pix) {
		t.Fatal("the repaint from the base image differs from one from scratch")
	}
	b.show(1, "", nil)
	win.Canvas().Capture()
	if bytes.Equal(full, b.img.Pix) {
		t.Fatal("clearing left the ink")
	}
	for _, p := range b.img.Pix {
		if p != 0 {
			t.Fatal("a cleared page still has ink")
		}
	}
}

// TestBoardPenDecimatesAndSplits drags a long scribble on an editable board:
// close points are skipped, long strokes are split at MaxStrokePoints into
// parts that join, and one undo takes all parts.
func TestBoardPenDecimatesAndSplits(t *testing.T) {
	b := newBoard(nil)
	var sent []relay.Stroke
	b.editable(func(k relay.Stroke) error {
		if _, err := relay.DecodeEvent(mustJSON(t, relay.Event{Type: relay.EvStroke, Stroke: &k}), false); err != nil {
			t.Errorf("stroke the relay would refuse: %v", err)
		}
		sent = append(sent, k)
		return nil
	}, func(int, int, bool) error { return nil })
	boardWindow(t, b, 800, 600)
	at, sz := b.pageRect(b.Size())
	// 4000 moves of 0.5 px: hardly any kept.
	p := at.AddXY(sz.Width/4, sz.Height/2)
	for i := 0; i < 40; i++ {
		q := p.AddXY(0.5, 0)
		b.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: q}, Dragged: fyne.NewDelta(0.5, 0)})
		p = q
	}
	b.DragEnd()
	if len(sent) != 1 || float64(len(sent[0].Points)) > 2*(1+40*0.5/(minStep*float64(sz.Width))+1) {
		t.Fatalf("close points were not skipped: %d strokes, %v", len(sent), sent)
	}
	sent = nil
	// 2500 moves of 10 px back and forth: 2500 points, three parts.
	p = at.AddXY(sz.Width/4, sz.Height/4)
	for i := 0; i < 2500; i++ {
		d := float32(10)
		if i/30%2 == 1 {
			d = -10
		}
		q := p.AddXY(d, 0.05)
		b.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: q}, Dragged: fyne.NewDelta(d, 0.05)})
		p = q
	}
	b.DragEnd()
	if len(sent) != 3 {
		t.Fatalf("a stroke of 2500 points went out as %d strokes", len(sent))
	}
	for i, k := range sent {
		if len(k.Points) > relay.MaxStrokePoints || k.Page != 1 || k.Color != penColors[0] {
			t.Fatalf("part %d: %d ints, page %d, colour %s", i, len(k.Points), k.Page, k.Color)
		}
		if i > 0 {
			prev := sent[i-1].Points
			if prev[len(prev)-2] != k.Points[0] || prev[len(prev)-1] != k.Points[1] {
				t.Fatalf("part %d does not start where part %d ended", i, i-1)
			}
		}
	}
	ids := b.undoIDs()
	if len(ids) != 3 || ids[0] != sent[0].ID || ids[2] != sent[2].ID {
		t.Fatalf("undo takes %v, want the three parts", ids)
	}
	if len(b.pending) != 1 {
		t.Fatalf("undo left %d strokes drawn here", len(b.pending))
	}
}

// liveClassroom starts a lesson on h and joins it from a second window.
func liveClassroom(t *testing.T) (h, r *harness) {
	t.Helper()
	h = classroomHarness(t)
	test.Type(h.entryWithHint(i18n.T("classroom.subject_hint")), "数学")
	test.Type(h.entryWithHint(i18n.T("classroom.title_hint")), "分数的初步认识")
	h.selectWith(gradeName(3)).SetSelected(gradeName(3))
	h.entryWithHint(startLayout).SetText(time.Now().Format(startLayout))
	test.Tap(h.button(i18n.T("classroom.schedule_do")))
	h.settle()
	test.Tap(h.button(i18n.T("classroom.start")))
	hc := h.w.classroom
	until(t, "host live", func() bool { return hc.live != nil && hc.live.state == live.Live }, h)
	r = secondWindow(t, h, "草原小学")
	test.Type(r.entryWithHint(i18n.T("classroom.addr_hint")), hc.live.addrs[0])
	test.Type(r.entryWithHint(i18n.T("classroom.code_hint")), hc.live.code)
	test.Tap(r.button(i18n.T("classroom.join_do")))
	rc := r.w.classroom
	until(t, "remote live", func() bool { return rc.live != nil && rc.live.state == live.Live }, h, r)
	return h, r
}

// drag draws a line on b from a to b2 (fractions of the page) in steps.
func drag(b *board, ax, ay, bx, by float32) {
	at, sz := b.pageRect(b.Size())
	p := at.AddXY(ax*sz.Width, ay*sz.Height)
	for i := 1; i <= 20; i++ {
		q := at.AddXY((ax+(bx-ax)*float32(i)/20)*sz.Width, (ay+(by-ay)*float32(i)/20)*sz.Height)
		b.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: q}, Dragged: fyne.NewDelta(q.X-p.X, q.Y-p.Y)})
		p = q
	}
	b.DragEnd()
}

// TestClassroomBoardInkLaserAndChat: the host draws, undoes, clears and
// points; the remote's board follows; chat goes both ways.
func TestClassroomBoardInkLaserAndChat(t *testing.T) {
	h, r := liveClassroom(t)
	hl, rl := h.w.classroom.live, r.w.classroom.live
	hb, rb := hl.ink.board, rl.ink.board
	if hb == nil || rb == nil || hb.send == nil || rb.send != nil {
		t.Fatal("the host's board must take input and the remote's must not")
	}
	test.Tap(h.penButton(penColors[1])) // blue

	// A blue line across the middle of page 1. The host sees it at once.
	drag(hb, 0.2, 0.5, 0.8, 0.5)
	h.w.win.Canvas().Capture()
	isBlue := func(b *board, x, y int) bool {
		rr, g, bb, a := pixelAt(b, x, y)
		return a > 200 && bb > 150 && rr < 80 && g < 140
	}
	if !isBlue(hb, 5000, 5000) {
		t.Fatal("the host does not see its own stroke while the relay has not answered")
	}
	until(t, "the remote has the stroke", func() bool {
		return len(rl.sess.View().Strokes) == 1 && len(rl.ink.pageStrokes(1)) == 1
	}, h, r)
	r.w.win.Canvas().Capture()
	if !isBlue(rb, 5000, 5000) {
		t.Fatal("the remote's board has no blue ink on the line")
	}
	if _, _, _, a := pixelAt(rb, 5000, 2000); a != 0 {
		t.Fatal("the remote's board has ink off the line")
	}
	until(t, "the host's stroke comes back", func() bool { return len(hb.strokes) == 1 && len(hb.pending) == 0 }, h, r)

	// Undo on the host: gone on both.
	test.Tap(h.button(i18n.T("classroom.board.undo")))
	until(t, "undone on both", func() bool {
		return len(rl.sess.View().Strokes) == 0 && len(rb.strokes) == 0 && len(hb.strokes) == 0
	}, h, r)
	r.w.win.Canvas().Capture()
	if _, _, _, a := pixelAt(rb, 5000, 5000); a != 0 {
		t.Fatal("the undone stroke is still on the remote's board")
	}

	// Two strokes, then 清屏 after the confirm.
	drag(hb, 0.1, 0.1, 0.9, 0.9)
	drag(hb, 0.1, 0.9, 0.9, 0.1)
	until(t, "two strokes on the remote", func() bool { return len(rb.strokes) == 2 }, h, r)
	test.Tap(h.button(i18n.T("classroom.board.clear")))
	test.Tap(h.overlayButton(i18n.T("classroom.board.clear_do")))
	until(t, "cleared on both", func() bool { return len(rb.strokes) == 0 && len(hb.strokes) == 0 }, h, r)
	r.w.win.Canvas().Capture()
	for _, p := range rb.img.Pix {
		if p != 0 {
			t.Fatal("ink left on the remote's board after 清屏")
		}
	}

	// The laser.
	test.Tap(h.button(i18n.T("classroom.board.laser")))
	at, sz := hb.pageRect(hb.Size())
	hb.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: at.AddXY(sz.Width*0.3, sz.Height*0.6)}})
	until(t, "the remote shows the laser", func() bool {
		return rb.laserOn && abs(rb.laserX-3000) < 30 && abs(rb.laserY-6000) < 30 && rb.r.laser.Visible()
	}, h, r)
	hb.MouseOut()
	until(t, "the laser is hidden", func() bool { return !rb.laserOn && !rb.r.laser.Visible() }, h, r)
	test.Tap(h.button(i18n.T("classroom.board.laser")))

	// Chat: the remote greets (Enter), the host answers (发送).
	e := r.entryWithHint(i18n.T("classroom.chat.hint"))
	e.SetText("老师好")
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	until(t, "the host's chat shows the remote's message", func() bool { return h.visible("老师好") && h.visible("草原小学") }, h, r)
	if e.Text != "" {
		t.Fatal("the sent message stayed in the entry")
	}
	h.entryWithHint(i18n.T("classroom.chat.hint")).SetText("同学们好")
	test.Tap(h.button(i18n.T("classroom.chat.send")))
	until(t, "the remote's chat shows the host's message", func() bool { return r.visible("同学们好") }, h, r)

	// Too long: said, not sent.
	long := strings.Repeat("长", relay.MaxChatBytes/3+1)
	e.SetText(long)
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	tooLong := i18n.T("classroom.chat.too_long", relay.MaxChatBytes, relay.MaxChatBytes/3)
	if !r.visible(tooLong) || e.Text != long {
		t.Fatal("a too long message is not explained, or was dropped")
	}
	n := len(rl.sess.View().Chat)

	// 50 at once: the newest is shown, the panel keeps ChatKept.
	for i := 0; i < 50; i++ {
		if err := hl.sess.Chat("消息" + itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	until(t, "the remote shows the 50th", func() bool { return r.visible("消息" + itoa(49)) }, h, r)
	if got := len(rl.ink.chat.list.Objects); got != relay.ChatKept || len(rl.ink.chat.shown) != relay.ChatKept {
		t.Fatalf("the remote's panel holds %d messages, want %d", got, relay.ChatKept)
	}
	for _, m := range rl.sess.View().Chat {
		if m.Text == long {
			t.Fatal("the too long message went out")
		}
	}
	if n != 2 {
		t.Fatalf("the remote's view has %d messages before the burst, want 2", n)
	}
}

func abs(x int) int { return max(x, -x) }

// BenchmarkBoardRedraw paints 5,000 strokes at 800×600 pixels: in full
// (what a resize costs), after undoing the last (repainted from the base
// image) and one more stroke into the cache (each stroke from the relay).
func BenchmarkBoardRedraw(b *testing.B) {
	bd := newBoard(nil)
	bd.strokes = randomStrokes(5001)
	bd.img = image.NewRGBA(image.Rect(0, 0, 800, 600))
	b.Run("full", func(b *testing.B) {
		for b.Loop() {
			bd.dirty, bd.baseIDs = true, nil
			bd.raster(800, 600)
		}
	})
	b.Run("undo", func(b *testing.B) {
		for b.Loop() {
			bd.strokes = bd.strokes[:5000]
			bd.dirty = true
			bd.raster(800, 600)
			b.StopTimer()
			bd.strokes = bd.strokes[:5001]
			bd.dirty = true
			bd.raster(800, 600)
			b.StartTimer()
		}
	})
	b.Run("one", func(b *testing.B) {
		for b.Loop() {
			bd.paint.stroke(bd.img, bd.strokes[5000], 0)
		}
	})
}

// TestInkPainterMatchesReference compares the painter's coverage with a
// plain one that measures every pixel's distance to every segment.
func TestInkPainterMatchesReference(t *testing.T) {
	const W, H = 240, 180
	strokes := randomStrokes(40)
	strokes = append(strokes, relay.Stroke{ID: "dot", Color: "#000000", Width: 200, Points: []int{5000, 5000}},
		relay.Stroke{ID: "steep", Color: "#000000", Width: 150, Points: []int{100, 0, 300, 10000, 9000, 9990}})
	var p inkPainter
	for _, k := range strokes {
		img := image.NewRGBA(image.Rect(0, 0, W, H))
		p.stroke(img, k, 0)
		sx, sy := float64(W)/relay.CoordMax, float64(H)/relay.CoordMax
		r := max(float64(k.Width)*sx/2, minInkR)
		for y := 0; y < H; y++ {
			for x := 0; x < W; x++ {
				px, py := float64(x)+0.5, float64(y)+0.5
				best := math.Inf(1)
				n := len(k.Points) / 2
				for i := 0; i < n; i++ {
					j := min(i+1, n-1)
					ax, ay := float64(k.Points[2*i])*sx, float64(k.Points[2*i+1])*sy
					bx, by := float64(k.Points[2*j])*sx, float64(k.Points[2*j+1])*sy
					dx, dy := bx-ax, by-ay
					tt := 0.0
					if l2 := dx*dx + dy*dy; l2 > 0 {
						tt = min(max(((px-ax)*dx+(py-ay)*dy)/l2, 0), 1)
					}
					best = min(best, math.Hypot(px-ax-tt*dx, py-ay-tt*dy))
				}
				want := uint8(min(max(r+0.5-best, 0), 1) * 255)
				got := img.Pix[img.PixOffset(x, y)+3]
				if d := int(got) - int(want); d > 1 || d < -1 {
					t.Fatalf("stroke %s: alpha %d at %d,%d, want %d", k.ID, got, x, y, want)
				}
			}
		}
	}
	for _, v := range p.mask {
		if v != 0 {
			t.Fatal("the painter's mask is not clear after a stroke")
		}
	}
}

// TestClassroomBoardScreenshots writes the host's and the remote's lesson
// screens, with ink, the laser and some chat, as PNGs into $QIAO_SHOTS:
//
//	QIAO_SHOTS=$PWD/docs/screenshots go test -run TestClassroomBoardScreenshots ./ui/
func TestClassroomBoardScreenshots(t *testing.T) {
	dir := os.Getenv("QIAO_SHOTS")
	if dir == "" {
		t.Skip("QIAO_SHOTS not set")
	}
	h, r := liveClassroom(t)
	hl, rl := h.w.classroom.live, r.w.classroom.live
	hb, rb := hl.ink.board, rl.ink.board
	// A slide: a coloured title band over squared paper.
	msg := widget.NewLabel("")
	hl.loadDeck(func() ([]byte, error) { return squaredSlide(t), nil }, msg)
	h.w.jobs.run()
	until(t, "the remote shows the slide", func() bool {
		rl.showBoard(rl.sess.View())
		return rb.slide() != nil
	}, h, r)
	// A fraction bar: ¾ shaded, and a circled answer.
	test.Tap(h.penButton(penColors[2]))
	drag(hb, 0.15, 0.3, 0.85, 0.3)
	drag(hb, 0.15, 0.45, 0.85, 0.45)
	for _, x := range []float32{0.15, 0.325, 0.5, 0.675, 0.85} {
		drag(hb, x, 0.3, x, 0.45)
	}
	test.Tap(h.penButton(penColors[1]))
	test.Tap(h.button(i18n.T("classroom.board.thick")))
	for i := 0; i < 3; i++ {
		x := 0.175 + float32(i)*0.175
		drag(hb, x, 0.32, x+0.13, 0.43)
	}
	test.Tap(h.penButton(penColors[0]))
	circle(hb, 0.5, 0.7, 0.08)
	until(t, "the remote has the ink", func() bool { return len(rb.strokes) == 11 }, h, r)
	test.Tap(h.button(i18n.T("classroom.board.laser")))
	at, sz := hb.pageRect(hb.Size())
	hb.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: at.AddXY(sz.Width*0.6, sz.Height*0.38)}})
	until(t, "the remote shows the laser", func() bool { return rb.laserOn }, h, r)
	_ = rl.sess.Chat("老师，第三格也要涂吗？")
	until(t, "chat", func() bool { return len(hl.sess.View().Chat) == 1 }, h, r)
	_ = hl.sess.Chat("要的，一共涂三格，就是四分之三。")
	until(t, "chat", func() bool { return len(rl.sess.View().Chat) == 2 }, h, r)
	_ = rl.sess.Chat("明白了！")
	until(t, "chat", func() bool { return len(hl.sess.View().Chat) == 3 && len(rl.sess.View().Chat) == 3 }, h, r)
	until(t, "the host sees the remote's link", func() bool {
		hl.update()
		for _, l := range hl.sess.Links() {
			return l.KbpsOut > 0 && hl.linkOK
		}
		return false
	}, h, r)
	for name, hh := range map[string]*harness{"classroom-host-zh.png": h, "classroom-remote-zh.png": r} {
		// A full layout, as the GL driver does when a minimum size changes.
		hh.w.win.Resize(fyne.NewSize(1000, 600))
		hh.w.win.Resize(fyne.NewSize(1100, 700))
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, hh.w.win.Canvas().Capture()); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
}

// circle draws a circle of radius rad (of the page width) around cx,cy.
func circle(b *board, cx, cy, rad float32) {
	at, sz := b.pageRect(b.Size())
	pos := func(a float64) fyne.Position {
		return at.AddXY((cx+rad*float32(math.Cos(a)))*sz.Width, cy*sz.Height+rad*sz.Width*float32(math.Sin(a)))
	}
	p := pos(0)
	for i := 1; i <= 40; i++ {
		q := pos(2 * math.Pi * float64(i) / 40)
		b.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: q}, Dragged: fyne.NewDelta(q.X-p.X, q.Y-p.Y)})
		p = q
	}
	b.DragEnd()
}

// squaredSlide is a 1280×960 slide: a title band over squared paper.
func squaredSlide(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 1280, 960))
	for y := 0; y < 960; y++ {
		for x := 0; x < 1280; x++ {
			c := color.RGBA{255, 255, 250, 255}
			switch {
			case y < 120:
				c = color.RGBA{46, 125, 50, 255}
			case x%64 == 0 || y%64 == 0:
				c = color.RGBA{200, 225, 240, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
