package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

//go:embed icon/qiao.png
var iconPNG []byte

// Icon is the app icon (512×512 PNG).
var Icon = &fyne.StaticResource{StaticName: "qiao.png", StaticContent: iconPNG}
