package ui

import (
	"context"
	"image/color"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/content"
	"qiao/i18n"
	"qiao/prefs"
	"qiao/sample"
	"qiao/school"
	"qiao/store"
)

// harness is a main window on a real store in a temp dir, on Fyne's test driver.
type harness struct {
	t   *testing.T
	st  *store.Store
	sv  *school.Service
	app fyne.App
	w   *window
}

func newHarness(t *testing.T, dir string) *harness {
	t.Helper()
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p, _ := prefs.Load(context.Background(), st)
	h := &harness{t: t, st: st, sv: school.NewService(st), app: test.NewTempApp(t)}
	files, err := content.Open(filepath.Join(dir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	useSample := func(ctx context.Context) error { return sample.Use(ctx, st, h.sv) }
	h.w = newWindow(h.app, Deps{Store: st, Schools: h.sv, Files: files, Prefs: p, Version: "test", UseSample: useSample})
	h.w.win.Resize(fyne.NewSize(1100, 700))
	t.Cleanup(func() { i18n.Use(i18n.Chinese) })
	return h
}

func (h *harness) objects() []fyne.CanvasObject { return test.LaidOutObjects(h.w.win.Content()) }

func (h *harness) button(text string) *widget.Button {
	h.t.Helper()
	for _, o := range h.objects() {
		if b, ok := o.(*widget.Button); ok && b.Text == text && b.Visible() {
			return b
		}
	}
	h.t.Fatalf("no button %q on screen", text)
	return nil
}

func (h *harness) hasText(text string) bool {
	for _, o := range h.objects() {
		if l, ok := o.(*widget.Label); ok && strings.Contains(l.Text, text) {
			return true
		}
	}
	return false
}

func (h *harness) entries() []*widget.Entry {
	var out []*widget.Entry
	for _, o := range h.objects() {
		if e, ok := o.(*widget.Entry); ok {
			out = append(out, e)
		}
	}
	return out
}

func TestFirstRunOffersSampleSchool(t *testing.T) {
	h := newHarness(t, t.TempDir())
	if h.w.shell != nil {
		t.Fatal("first run went straight to the shell")
	}
	test.Tap(h.button(i18n.T("firstrun.sample")))
	if h.w.shell == nil {
		t.Fatal("sample school did not open the shell")
	}
	if !h.hasText(school.SampleSchool.Name) || !h.hasText(i18n.T("home.sample_note")) {
		t.Fatal("sample school not shown on the overview")
	}
}

func TestFirstRunRefusesEmptySchoolName(t *testing.T) {
	h := newHarness(t, t.TempDir())
	test.Tap(h.button(i18n.T("firstrun.start")))
	if h.w.shell != nil {
		t.Fatal("started without a school name")
	}
	if !h.hasText(i18n.T("school.err_no_name")) {
		t.Fatal("no message saying what to fix")
	}
}

func TestFirstRunCreatesOwnSchool(t *testing.T) {
	h := newHarness(t, t.TempDir())
	e := h.entries()
	test.Type(e[0], "城关第一小学")
	test.Type(e[3], "赵老师")
	for _, o := range h.objects() {
		if r, ok := o.(*widget.RadioGroup); ok {
			r.SetSelected(i18n.T("school.rural"))
		}
		if s, ok := o.(*widget.Select); ok && len(s.Options) == len(school.Roles) {
			s.SetSelectedIndex(1)
		}
	}
	test.Tap(h.button(i18n.T("firstrun.start")))
	sch, ok, _ := h.sv.Current(context.Background())
	u, _ := h.sv.User(context.Background())
	if !ok || sch.Name != "城关第一小学" || !sch.Rural || sch.Sample {
		t.Fatalf("school %+v", sch)
	}
	if u.Name != "赵老师" || u.Role != school.Principal {
		t.Fatalf("user %+v", u)
	}
	if !h.hasText("赵老师") {
		t.Fatal("status bar does not show the user")
	}
}

func TestSectionAndWindowSizeAreRemembered(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, dir)
	h.sv.UseSample(context.Background())
	h.w.refresh()
	test.Tap(h.button(i18n.T("nav.settings")))
	if h.w.shell.current != "settings" {
		t.Fatalf("on %q", h.w.shell.current)
	}
	h.w.win.Resize(fyne.NewSize(900, 640))
	h.w.close()
	p, _ := prefs.Load(context.Background(), h.st)
	if p.LastSection != "settings" || p.WindowW != 900 || p.WindowH != 640 {
		t.Fatalf("prefs %+v", p)
	}
	w2 := newWindow(h.app, Deps{Store: h.st, Schools: h.sv, Prefs: p})
	if w2.shell.current != "settings" {
		t.Fatalf("reopened on %q", w2.shell.current)
	}
}

func TestSettingsSaveUpdatesSchoolAndStatus(t *testing.T) {
	h := newHarness(t, t.TempDir())
	h.sv.UseSample(context.Background())
	h.w.refresh()
	h.w.shell.show("settings")
	name := h.entries()[0]
	name.SetText("")
	test.Type(name, "石桥镇第二小学")
	test.Tap(h.button(i18n.T("action.save")))
	if !h.hasText(i18n.T("settings.saved")) {
		t.Fatal("no confirmation")
	}
	sch, _, _ := h.sv.Current(context.Background())
	if sch.Name != "石桥镇第二小学" || sch.Sample {
		t.Fatalf("school %+v: edited sample should become the user's own", sch)
	}
	if !h.hasText("石桥镇第二小学") {
		t.Fatal("status bar not refreshed")
	}
	name.SetText(" ")
	test.Tap(h.button(i18n.T("action.save")))
	if !h.hasText(i18n.T("school.err_no_name")) {
		t.Fatal("empty name saved without a message")
	}
}

func TestLanguageSwitchRebuildsWindow(t *testing.T) {
	h := newHarness(t, t.TempDir())
	h.sv.UseSample(context.Background())
	h.w.refresh()
	p := h.w.prefs
	p.Language = i18n.English
	h.w.applyDisplay(p)
	h.button("Overview")
	h.button("Settings")
	if h.w.win.Title() != "Qiao · bridging city and rural schools" {
		t.Fatalf("title %q", h.w.win.Title())
	}
	saved, _ := prefs.Load(context.Background(), h.st)
	if saved.Language != i18n.English {
		t.Fatal("language not kept")
	}
}

func TestThemes(t *testing.T) {
	c := newTheme(prefs.Contrast, 1)
	if c.Color(theme.ColorNameBackground, theme.VariantLight) != color.Black ||
		c.Color(theme.ColorNameForeground, theme.VariantLight) != color.White {
		t.Fatal("contrast theme is not white on black")
	}
	dark := newTheme(prefs.Dark, 1).Color(theme.ColorNameBackground, theme.VariantLight)
	light := newTheme(prefs.Light, 1).Color(theme.ColorNameBackground, theme.VariantDark)
	if dark == light {
		t.Fatal("light and dark themes share a background")
	}
	big := newTheme(prefs.Light, 1.5).Size(theme.SizeNameText)
	if normal := newTheme(prefs.Light, 1).Size(theme.SizeNameText); big != normal*1.5 {
		t.Fatalf("font scale: %v vs %v", big, normal)
	}
	for _, s := range []fyne.TextStyle{{}, {Bold: true}, {Italic: true}, {Monospace: true}} {
		if f := c.Font(s); f == nil || !strings.Contains(f.Name(), "Qiao") {
			t.Fatalf("style %+v uses %v, not the bundled CJK font", s, f)
		}
	}
}

// keyLike matches a translation key shown as if it were text.
var keyLike = regexp.MustCompile(`^[a-z]+\.[a-z0-9_.-]+$`)

func TestAllScreensRenderInBothLanguagesAndThemes(t *testing.T) {
	h := newHarness(t, t.TempDir())
	h.sv.UseSample(context.Background())
	for _, lang := range i18n.Languages {
		for _, th := range prefs.Themes {
			p := h.w.prefs
			p.Language, p.Theme, p.FontScale = lang, th, 1.5
			h.w.applyDisplay(p)
			h.w.refresh()
			for _, sec := range sections() {
				h.w.shell.show(sec.id)
				img := h.w.win.Canvas().Capture()
				if img.Bounds().Dx() == 0 {
					t.Fatalf("%s/%s/%s: empty capture", lang, th, sec.id)
				}
				for _, o := range h.objects() {
					if l, ok := o.(*widget.Label); ok && keyLike.MatchString(l.Text) {
						t.Fatalf("%s: untranslated key on screen: %q", lang, l.Text)
					}
				}
			}
		}
	}
}

func TestRailFollowsThemeChange(t *testing.T) {
	h := newHarness(t, t.TempDir())
	h.w.deps.UseSample(context.Background())
	h.w.refresh()
	before := h.w.shell.railBG.FillColor
	p := h.w.prefs
	p.Theme = prefs.Contrast
	h.w.applyDisplay(p)
	if h.w.shell.railBG.FillColor == before {
		t.Fatal("rail background kept the old theme's colour")
	}
}
