package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"qiao/i18n"
	"qiao/prefs"
	"qiao/school"
)

// profileForm edits the school and the user; the first-run screen and the
// settings screen share it.
type profileForm struct {
	*widget.Form
	id       string
	sample   bool
	name     *widget.Entry
	code     *widget.Entry
	region   *widget.Entry
	rural    *widget.RadioGroup
	userName *widget.Entry
	role     *widget.Select
}

func newProfileForm(s school.School, u school.User) *profileForm {
	f := &profileForm{id: s.ID, sample: s.Sample}
	f.name = entry(s.Name, i18n.T("school.name_hint"))
	f.code = entry(s.Code, i18n.T("school.code_hint"))
	f.region = entry(s.Region, i18n.T("school.region_hint"))
	urban, rural := i18n.T("school.urban"), i18n.T("school.rural")
	f.rural = widget.NewRadioGroup([]string{urban, rural}, nil)
	f.rural.Horizontal = true
	f.rural.Required = true
	f.rural.SetSelected(urban)
	if s.Rural {
		f.rural.SetSelected(rural)
	}
	f.userName = entry(u.Name, i18n.T("user.name_hint"))
	roles := make([]string, len(school.Roles))
	for i, r := range school.Roles {
		roles[i] = i18n.T("role." + string(r))
	}
	f.role = widget.NewSelect(roles, nil)
	f.role.SetSelectedIndex(0)
	for i, r := range school.Roles {
		if r == u.Role {
			f.role.SetSelectedIndex(i)
		}
	}
	f.Form = widget.NewForm(
		widget.NewFormItem(i18n.T("school.name"), f.name),
		widget.NewFormItem(i18n.T("school.code"), f.code),
		widget.NewFormItem(i18n.T("school.region"), f.region),
		widget.NewFormItem(i18n.T("school.kind"), f.rural),
		widget.NewFormItem(i18n.T("user.name"), f.userName),
		widget.NewFormItem(i18n.T("user.role"), f.role),
	)
	return f
}

func entry(text, hint string) *widget.Entry {
	e := widget.NewEntry()
	e.SetText(text)
	e.SetPlaceHolder(hint)
	return e
}

// values reads the form. Editing the sample school makes it the user's own.
func (f *profileForm) values() (school.School, school.User) {
	s := school.School{
		ID: f.id, Name: f.name.Text, Code: f.code.Text, Region: f.region.Text,
		Rural: f.rural.Selected == i18n.T("school.rural"),
	}
	u := school.User{Name: f.userName.Text, Role: school.Roles[max(f.role.SelectedIndex(), 0)]}
	return s, u
}

// displayForm edits language, theme and font scale; each change applies
// at once through onChange.
func displayForm(p prefs.Prefs, onChange func(prefs.Prefs)) *widget.Form {
	langNames := make([]string, len(i18n.Languages))
	for i, l := range i18n.Languages {
		langNames[i] = i18n.T("lang." + l)
	}
	lang := widget.NewSelect(langNames, nil)
	themeNames := make([]string, len(prefs.Themes))
	for i, t := range prefs.Themes {
		themeNames[i] = i18n.T("theme." + t)
	}
	th := widget.NewSelect(themeNames, nil)
	scaleNames := make([]string, len(prefs.FontScales))
	for i := range prefs.FontScales {
		scaleNames[i] = i18n.T("fontscale." + string(rune('0'+i)))
	}
	scale := widget.NewSelect(scaleNames, nil)
	lang.SetSelectedIndex(indexOf(i18n.Languages, p.Language))
	th.SetSelectedIndex(indexOf(prefs.Themes, p.Theme))
	scale.SetSelectedIndex(indexOf(prefs.FontScales, p.FontScale))
	changed := func(string) {
		q := p
		q.Language = i18n.Languages[max(lang.SelectedIndex(), 0)]
		q.Theme = prefs.Themes[max(th.SelectedIndex(), 0)]
		q.FontScale = prefs.FontScales[max(scale.SelectedIndex(), 0)]
		onChange(q)
	}
	lang.OnChanged, th.OnChanged, scale.OnChanged = changed, changed, changed
	return widget.NewForm(
		widget.NewFormItem(i18n.T("settings.language"), lang),
		widget.NewFormItem(i18n.T("settings.theme"), th),
		widget.NewFormItem(i18n.T("settings.font_scale"), scale),
	)
}

func indexOf[T comparable](list []T, v T) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return 0
}

// wrapMode wraps Chinese at any character (it has no spaces between
// words) and other languages at word boundaries.
func wrapMode() fyne.TextWrap {
	if i18n.Current() == i18n.Chinese {
		return fyne.TextWrapBreak
	}
	return fyne.TextWrapWord
}
