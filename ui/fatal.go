package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/i18n"
)

// fatalContent is a message with a close button.
func fatalContent(msg string, close func()) fyne.CanvasObject {
	text := widget.NewLabel(msg)
	text.Wrapping = wrapMode()
	icon := widget.NewIcon(theme.WarningIcon())
	ok := widget.NewButton(i18n.T("action.close"), close)
	ok.Importance = widget.HighImportance
	// A wrapped label needs a width to wrap at, or it grows into a column.
	body := container.NewStack(minSize(440, 0), text)
	return container.NewPadded(container.NewBorder(nil, container.NewHBox(layout.NewSpacer(), ok), icon, nil, body))
}
