package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/i18n"
	"qiao/school"
)

// section is one entry of the navigation rail.
type section struct {
	id    string
	icon  fyne.Resource
	title string // translation key
	build func(*window) fyne.CanvasObject
}

// sections lists the sections that exist, in rail order. A section is
// added here only when it works.
func sections() []section {
	return []section{
		{"home", theme.HomeIcon(), "nav.home", homeScreen},
		{"placement", theme.GridIcon(), "nav.placement", placementScreen},
		{"research", theme.AccountIcon(), "nav.research", researchScreen},
		{"classroom", theme.MediaVideoIcon(), "nav.classroom", classroomScreen},
		{"library", theme.StorageIcon(), "nav.library", libraryScreen},
		{"schooldata", chartIcon, "nav.schooldata", dashboardScreen},
		{"settings", theme.SettingsIcon(), "nav.settings", settingsScreen},
	}
}

// chartIcon is a bar chart in the theme's colour (Fyne's icons have none),
// for 学校数据.
var chartIcon = theme.NewThemedResource(fyne.NewStaticResource("chart.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24"><path d="M3 20h18v1.5H3z M5 12h3v7H5z M10.5 7h3v12h-3z M16 3h3v16h-3z" fill="#000"/></svg>`)))

// shell is the main layout: navigation rail, the current section, and
// the status bar.
type shell struct {
	w       *window
	content fyne.CanvasObject
	buttons map[string]*widget.Button
	body    *fyne.Container
	status  *fyne.Container
	link    *widget.Label     // the district link's state
	last    *widget.Label     // last sync, pending changes
	railBG  *canvas.Rectangle // a plain colour: repainted when the theme changes
	current string
}

// themeChanged repaints what does not follow the theme by itself.
func (s *shell) themeChanged() {
	s.railBG.FillColor = theme.Color(theme.ColorNameHeaderBackground)
	s.railBG.Refresh()
}

func newShell(w *window) *shell {
	s := &shell{w: w, buttons: map[string]*widget.Button{}}
	rail := container.NewVBox()
	for _, sec := range sections() {
		sec := sec
		b := widget.NewButtonWithIcon(i18n.T(sec.title), sec.icon, func() { s.show(sec.id) })
		b.Alignment = widget.ButtonAlignLeading
		s.buttons[sec.id] = b
		rail.Add(container.NewStack(minSize(railWidth, railButtonHeight), b))
	}
	s.railBG = canvas.NewRectangle(theme.Color(theme.ColorNameHeaderBackground))
	railBox := container.NewStack(s.railBG, container.NewPadded(container.NewBorder(brand(), nil, nil, nil, rail)))
	s.body = container.NewStack()
	s.status = container.NewHBox()
	s.content = container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), s.status), railBox, nil, s.body)
	s.refreshStatus()
	start := w.prefs.LastSection
	if _, ok := s.buttons[start]; !ok {
		start = sections()[0].id
	}
	s.show(start)
	return s
}

// Rail sizes: big targets for a touch screen or a projector remote.
const (
	railWidth        = 150
	railButtonHeight = 52
)

// minSize is an invisible object that holds a container open to w×h.
func minSize(w, h float32) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(w, h))
	return r
}

// brand is the name at the top of the rail.
func brand() fyne.CanvasObject {
	name := widget.NewLabel(i18n.T("app.brand"))
	name.TextStyle = fyne.TextStyle{Bold: true}
	name.SizeName = theme.SizeNameHeadingText
	name.Alignment = fyne.TextAlignCenter
	return container.NewVBox(name, widget.NewSeparator())
}

// show switches to section id and remembers it.
func (s *shell) show(id string) {
	for _, sec := range sections() {
		if sec.id != id {
			continue
		}
		for bid, b := range s.buttons {
			if bid == id {
				b.Importance = widget.HighImportance
			} else {
				b.Importance = widget.LowImportance
			}
			b.Refresh()
		}
		title := widget.NewLabel(i18n.T(sec.title))
		title.SizeName = theme.SizeNameHeadingText
		title.TextStyle = fyne.TextStyle{Bold: true}
		s.body.Objects = []fyne.CanvasObject{container.NewBorder(container.NewPadded(title), nil, nil, nil,
			container.NewVScroll(container.NewPadded(sec.build(s.w))))}
		s.body.Refresh()
		s.current = id
		if s.w.prefs.LastSection != id {
			s.w.prefs.LastSection = id
			s.w.savePrefs()
		}
		return
	}
}

// refreshStatus fills the status bar: school, user, link, last sync.
func (s *shell) refreshStatus() {
	ctx := s.w.ctx
	sch, _, _ := s.w.deps.Schools.Current(ctx)
	u, _ := s.w.deps.Schools.User(ctx)
	item := func(icon fyne.Resource, l *widget.Label) fyne.CanvasObject {
		return container.NewHBox(widget.NewIcon(icon), l)
	}
	// The link's state is the sync link's to say: offline until enrolled.
	s.link, s.last = widget.NewLabel(""), widget.NewLabel("")
	s.status.Objects = []fyne.CanvasObject{
		item(theme.HomeIcon(), widget.NewLabel(schoolLabel(sch))),
		widget.NewSeparator(),
		item(theme.AccountIcon(), widget.NewLabel(userText(u.Name, string(u.Role)))),
		widget.NewSeparator(),
		item(theme.MediaRecordIcon(), s.link),
		widget.NewSeparator(),
		item(theme.ViewRefreshIcon(), s.last),
	}
	s.showLink()
	s.status.Refresh()
}

// schoolLabel names a school, marking the sample school.
func schoolLabel(sch school.School) string {
	if sch.Sample {
		return i18n.T("school.sample_label", sch.Name)
	}
	return sch.Name
}
