package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"qiao/assets"
	"qiao/prefs"
)

// appTheme is Qiao's theme: the bundled Chinese font on every OS, light,
// dark or a high-contrast projector palette, and a font scale.
type appTheme struct {
	name  string  // prefs.Light, prefs.Dark or prefs.Contrast
	scale float32 // multiplies every size
}

func newTheme(name string, scale float64) *appTheme {
	if scale <= 0 {
		scale = 1
	}
	return &appTheme{name: name, scale: float32(scale)}
}

func (t *appTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	switch t.name {
	case prefs.Contrast:
		if c, ok := contrastColors[n]; ok {
			return c
		}
		v = theme.VariantDark
	case prefs.Dark:
		v = theme.VariantDark
	case prefs.Light:
		v = theme.VariantLight
	}
	return theme.DefaultTheme().Color(n, v)
}

func (t *appTheme) Font(s fyne.TextStyle) fyne.Resource {
	switch {
	case s.Symbol:
		return theme.DefaultTheme().Font(s)
	case s.Bold:
		// Bold italic too: every style must carry Chinese glyphs, or Fyne
		// falls back to whatever fonts the OS has.
		return assets.FontBold
	}
	return assets.FontRegular
}

func (t *appTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

func (t *appTheme) Size(n fyne.ThemeSizeName) float32 {
	s := theme.DefaultTheme().Size(n)
	switch n {
	case theme.SizeNameText, theme.SizeNameHeadingText, theme.SizeNameSubHeadingText,
		theme.SizeNameCaptionText, theme.SizeNameInlineIcon, theme.SizeNamePadding,
		theme.SizeNameInnerPadding, theme.SizeNameLineSpacing:
		s *= t.scale
	}
	if t.name == prefs.Contrast && (n == theme.SizeNameInputBorder || n == theme.SizeNameSelectionRadius) {
		s *= 2 // borders that read on a washed-out projector
	}
	return s
}

// contrastColors is the projector palette: white on black, yellow accents,
// every pair at least 7:1 (WCAG AAA).
var contrastColors = map[fyne.ThemeColorName]color.Color{
	theme.ColorNameBackground:          color.Black,
	theme.ColorNameForeground:          color.White,
	theme.ColorNamePrimary:             color.NRGBA{0xFF, 0xD5, 0x00, 0xFF},
	theme.ColorNameForegroundOnPrimary: color.Black,
	theme.ColorNameButton:              color.NRGBA{0x22, 0x22, 0x22, 0xFF},
	theme.ColorNameDisabledButton:      color.NRGBA{0x11, 0x11, 0x11, 0xFF},
	theme.ColorNameDisabled:            color.NRGBA{0xA0, 0xA0, 0xA0, 0xFF},
	theme.ColorNameInputBackground:     color.Black,
	theme.ColorNameInputBorder:         color.White,
	theme.ColorNamePlaceHolder:         color.NRGBA{0xC8, 0xC8, 0xC8, 0xFF},
	theme.ColorNameHover:               color.NRGBA{0x44, 0x44, 0x44, 0xFF},
	theme.ColorNameFocus:               color.NRGBA{0xFF, 0xD5, 0x00, 0xFF},
	theme.ColorNameSelection:           color.NRGBA{0xFF, 0xD5, 0x00, 0x66},
	theme.ColorNamePressed:             color.NRGBA{0x66, 0x66, 0x66, 0xFF},
	theme.ColorNameSeparator:           color.NRGBA{0xDD, 0xDD, 0xDD, 0xFF},
	theme.ColorNameHeaderBackground:    color.NRGBA{0x11, 0x11, 0x11, 0xFF},
	theme.ColorNameMenuBackground:      color.Black,
	theme.ColorNameOverlayBackground:   color.Black,
	theme.ColorNameScrollBar:           color.NRGBA{0xCC, 0xCC, 0xCC, 0xFF},
	theme.ColorNameShadow:              color.Transparent,
	theme.ColorNameError:               color.NRGBA{0xFF, 0x80, 0x80, 0xFF},
	theme.ColorNameSuccess:             color.NRGBA{0x66, 0xFF, 0x66, 0xFF},
	theme.ColorNameWarning:             color.NRGBA{0xFF, 0xB0, 0x40, 0xFF},
	theme.ColorNameHyperlink:           color.NRGBA{0x80, 0xD0, 0xFF, 0xFF},
}
