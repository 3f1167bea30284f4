package ui

import (
	"bytes"
	"fmt"
	"io"

	"qiao/classroom/deck"
	"qiao/classroom/relay"
	"qiao/content"
	"qiao/i18n"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"
)

// contentSlides keeps a lesson's slides in the content store, so a
// rejoin, a later lesson with the same deck or a replay never fetches
// them again.
type contentSlides struct{ files *content.Store }

func (c contentSlides) Get(hash string) ([]byte, bool) {
	rc, err := c.files.Open(hash)
	if err != nil {
		return nil, false
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, relay.MaxSlideBytes+1))
	if err != nil || len(data) > relay.MaxSlideBytes {
		return nil, false
	}
	return data, true
}

func (c contentSlides) Put(hash string, data []byte) error {
	if c.files.Has(hash) {
		return nil
	}
	ref, err := c.files.Put(bytes.NewReader(data))
	if err == nil && ref.Hash != hash {
		err = fmt.Errorf("slide stored as %s, expected %s", ref.Hash, hash)
	}
	return err
}

// slide is a slide's image by content hash, once this PC has it.
func (ll *liveLesson) slide(hash string) []byte {
	if ll.sess == nil {
		return nil
	}
	data, _ := ll.sess.Slide(hash)
	return data
}

// deckFileTypes are the files a deck is made from.
var deckFileTypes = []string{".pdf", ".png", ".jpg", ".jpeg", ".gif", ".bmp"}

// chooseDeck asks the host for a PDF or an image and makes it the deck.
func (ll *liveLesson) chooseDeck(msg *widget.Label) {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil || rc == nil {
			return
		}
		ll.loadDeck(func() ([]byte, error) {
			defer rc.Close()
			return io.ReadAll(io.LimitReader(rc, deck.MaxFileBytes+1))
		}, msg)
	}, ll.c.w.win)
	d.SetFilter(storage.NewExtensionFileFilter(deckFileTypes))
	d.Resize(dialogSize(ll.c.w.win))
	d.Show()
	go deck.Warm() // PDFium takes seconds to start on a 2-core PC: start it while the teacher chooses
}

// loadDeck reads and converts a deck off the UI goroutine and puts it to
// the lesson; msg says how it went.
func (ll *liveLesson) loadDeck(read func() ([]byte, error), msg *widget.Label) {
	sess := ll.sess
	if sess == nil {
		return
	}
	msg.SetText(i18n.T("classroom.deck.loading"))
	msg.Show()
	var n int
	ll.c.w.jobs.async(func() error {
		data, err := read()
		if err != nil {
			return &deck.Error{Code: deck.ErrRead, Err: err}
		}
		pages, err := deck.ImportBytes(data)
		if err != nil {
			return err
		}
		slides := make([][]byte, len(pages))
		for i, p := range pages {
			slides[i] = p.Data
		}
		_, err = sess.PutDeck(slides)
		n = len(pages)
		return err
	}, func(err error) {
		if err != nil {
			msg.SetText(deckErrText(err))
			return
		}
		msg.SetText(i18n.T("classroom.deck.loaded", n))
	})
}

// deckErrText says what went wrong with a deck file, and what to do.
func deckErrText(err error) string {
	if c := deck.CodeOf(err); c != "" {
		return i18n.T("classroom.deck.err." + string(c))
	}
	return liveErrText(err)
}

// dialogSize is a file dialog's size: most of the window, so a teacher
// sees the files, not Fyne's small default.
func dialogSize(win fyne.Window) fyne.Size {
	sz := win.Canvas().Size()
	return fyne.NewSize(sz.Width*0.8, sz.Height*0.8)
}
