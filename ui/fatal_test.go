package ui

import (
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func TestFatalContentShowsMessageAndCloses(t *testing.T) {
	test.NewTempApp(t)
	closed := false
	c := fatalContent("已经在运行", func() { closed = true })
	var seen bool
	for _, o := range test.LaidOutObjects(c) {
		if l, ok := o.(*widget.Label); ok && l.Text == "已经在运行" {
			seen = true
		}
		if b, ok := o.(*widget.Button); ok {
			test.Tap(b)
		}
	}
	if !seen || !closed {
		t.Fatalf("seen=%v closed=%v", seen, closed)
	}
}
