package ui

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"qiao/classroom/deck"
	"qiao/i18n"

	"fyne.io/fyne/v2/widget"
)

// slidePNG is a w×h image, all one colour.
func slidePNG(t *testing.T, w, h int, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestClassroomSlidesReachTheRemote: the host opens an image as the deck;
// the remote's board shows it from its own content store; a file that is
// not a slide is refused with a message saying what to choose.
func TestClassroomSlidesReachTheRemote(t *testing.T) {
	h, r := liveClassroom(t)
	hl, rl := h.w.classroom.live, r.w.classroom.live
	msg := widget.NewLabel("")

	hl.loadDeck(func() ([]byte, error) { return []byte("这不是课件"), nil }, msg)
	h.w.jobs.run()
	h.settle()
	if want := i18n.T("classroom.deck.err.unknown"); msg.Text != want {
		t.Fatalf("a text file: message %q, want %q", msg.Text, want)
	}
	if v := hl.sess.View(); len(v.Deck) != 0 {
		t.Fatalf("a refused file changed the deck: %v", v.Deck)
	}

	hl.loadDeck(func() ([]byte, error) { return slidePNG(t, 640, 480, color.RGBA{200, 30, 30, 255}), nil }, msg)
	h.w.jobs.run()
	h.settle()
	if want := i18n.T("classroom.deck.loaded", 1); msg.Text != want {
		t.Fatalf("message %q, want %q", msg.Text, want)
	}
	until(t, "the remote has the slide", func() bool {
		v := rl.sess.View()
		return len(v.Deck) == 1 && r.w.deps.Files.Has(v.Deck[0])
	}, h, r)
	hash := rl.sess.View().Deck[0]
	pages, err := deck.ImportBytes(slidePNG(t, 640, 480, color.RGBA{200, 30, 30, 255}))
	if err != nil || pages[0].Hash != hash {
		t.Fatalf("the remote's deck %s is not the host's slide (%v)", hash, err)
	}
	until(t, "the remote's board shows the slide", func() bool {
		rl.showBoard(rl.sess.View())
		img := rl.ink.board.slide()
		if img == nil {
			return false
		}
		cr, cg, cb, _ := img.At(img.Bounds().Dx()/2, img.Bounds().Dy()/2).RGBA()
		return cr>>8 > 150 && cg>>8 < 80 && cb>>8 < 80
	}, h, r)
	if s := hl.ink.board.slide(); s == nil {
		t.Fatal("the host's board does not show its own slide")
	}
	if strings.Contains(msg.Text, "%") {
		t.Fatalf("untranslated message %q", msg.Text)
	}
}

// TestClassroomHostSeesEachRemotesLink: the host's list of classrooms shows
// the remote's link as the relay measures it.
func TestClassroomHostSeesEachRemotesLink(t *testing.T) {
	h, r := liveClassroom(t)
	hl := h.w.classroom.live
	until(t, "the host has the remote's link", func() bool {
		hl.update()
		return len(hl.sess.Links()) == 1 && h.visible(i18n.T("classroom.quality.good"))
	}, h, r)
	if l := r.w.classroom.live.sess.Links(); len(l) != 0 {
		t.Fatalf("a remote sees links: %v", l)
	}
}
