package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
)

func TestColumnCentresAndCaps(t *testing.T) {
	r := canvas.NewRectangle(nil)
	r.SetMinSize(fyne.NewSize(300, 100))
	c := column{max: 640}
	c.Layout([]fyne.CanvasObject{r}, fyne.NewSize(1000, 500))
	if r.Size().Width != 640 || r.Position().X != 180 {
		t.Fatalf("wide window: %v at %v", r.Size(), r.Position())
	}
	c.Layout([]fyne.CanvasObject{r}, fyne.NewSize(200, 500))
	if r.Size().Width != 300 {
		t.Fatalf("narrow window: child squeezed to %v", r.Size())
	}
	if c.MinSize([]fyne.CanvasObject{r}) != r.MinSize() {
		t.Fatal("min size")
	}
}
