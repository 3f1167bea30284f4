// Package prefs holds this device's display preferences: language, theme,
// font scale, window size and the last section shown. They never sync.
package prefs

import (
	"context"
	"strconv"

	"qiao/store"
)

// Themes.
const (
	Light    = "light"
	Dark     = "dark"
	Contrast = "contrast" // high contrast, for classroom projectors
)

// Themes lists the themes in the order the UI offers them.
var Themes = []string{Light, Dark, Contrast}

// Font scales offered; 1 is Fyne's normal size.
var FontScales = []float64{1, 1.15, 1.3, 1.5}

// Prefs are the display preferences.
type Prefs struct {
	Language    string
	Theme       string
	FontScale   float64
	WindowW     float32
	WindowH     float32
	LastSection string
}

// Defaults suit a classroom PC: Chinese, light theme, a window that fits
// a 1366×768 screen.
var Defaults = Prefs{Language: "zh-Hans", Theme: Light, FontScale: 1, WindowW: 1100, WindowH: 700, LastSection: "home"}

var keys = struct{ lang, theme, scale, w, h, section string }{
	"ui.language", "ui.theme", "ui.font_scale", "ui.window_w", "ui.window_h", "ui.section"}

// Load reads the preferences, with Defaults for anything unset or unreadable.
func Load(ctx context.Context, st *store.Store) (Prefs, error) {
	p := Defaults
	get := func(key, def string) string {
		v, err := st.Setting(ctx, key, def)
		if err != nil {
			return def
		}
		return v
	}
	num := func(key string, def float64) float64 {
		f, err := strconv.ParseFloat(get(key, ""), 64)
		if err != nil || f <= 0 {
			return def
		}
		return f
	}
	p.Language = get(keys.lang, p.Language)
	p.Theme = get(keys.theme, p.Theme)
	p.FontScale = num(keys.scale, p.FontScale)
	p.WindowW = float32(num(keys.w, float64(p.WindowW)))
	p.WindowH = float32(num(keys.h, float64(p.WindowH)))
	p.LastSection = get(keys.section, p.LastSection)
	return p, nil
}

// Save writes every preference.
func Save(ctx context.Context, st *store.Store, p Prefs) error {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	return st.Update(ctx, func(tx *store.Tx) error {
		for k, v := range map[string]string{
			keys.lang: p.Language, keys.theme: p.Theme, keys.scale: f(p.FontScale),
			keys.w: f(float64(p.WindowW)), keys.h: f(float64(p.WindowH)), keys.section: p.LastSection,
		} {
			if err := tx.SetSetting(k, v); err != nil {
				return err
			}
		}
		return nil
	})
}
