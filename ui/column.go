package ui

import "fyne.io/fyne/v2"

// column lays out one object centred, no wider than max (but never
// narrower than it needs): a readable column in a wide window.
type column struct{ max float32 }

func (c column) MinSize(objs []fyne.CanvasObject) fyne.Size {
	if len(objs) == 0 {
		return fyne.Size{}
	}
	return objs[0].MinSize()
}

func (c column) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if len(objs) == 0 {
		return
	}
	w := fyne.Max(fyne.Min(size.Width, c.max), objs[0].MinSize().Width)
	objs[0].Move(fyne.NewPos((size.Width-w)/2, 0))
	objs[0].Resize(fyne.NewSize(w, size.Height))
}
