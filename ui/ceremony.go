package ui

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/i18n"
	"qiao/messages"
	"qiao/placement"
)

// ceremonyScale enlarges everything in the ceremony view, for a projector
// and a live stream.
const ceremonyScale = 1.8

// revealEvery is the pause between classes revealed one by one.
var revealEvery = 700 * time.Millisecond // a variable so tests can stop the ticker

// startCeremony fills the window with the big-screen ceremony: the list's
// digest, the public entropy typed in, the draw, and the class-by-class
// reveal.
func (f *placementFlow) startCeremony() {
	f.result = nil
	body := container.NewStack()
	f.setCeremony(body, f.ceremonyInput(body))
}

// setCeremony shows o in the ceremony view, in the enlarged theme.
func (f *placementFlow) setCeremony(body *fyne.Container, o fyne.CanvasObject) {
	body.Objects = []fyne.CanvasObject{o}
	big := newTheme(f.w.prefs.Theme, f.w.prefs.FontScale*ceremonyScale)
	f.w.win.SetContent(container.NewThemeOverride(container.NewPadded(body), big))
}

// endCeremony returns to the normal window, on the report when there is a result.
func (f *placementFlow) endCeremony() {
	f.w.win.SetContent(f.w.shell.content)
	if f.result != nil {
		f.showReport()
	} else {
		f.showParams()
	}
}

func (f *placementFlow) ceremonyHeader() fyne.CanvasObject {
	sch, _, _ := f.w.deps.Schools.Current(f.w.ctx)
	title := widget.NewLabel(strings.TrimSpace(sch.Name + " " + f.title))
	title.SizeName = theme.SizeNameHeadingText
	title.TextStyle = fyne.TextStyle{Bold: true}
	title.Alignment = fyne.TextAlignCenter
	balance := []string{}
	if f.params.BalanceScore {
		balance = append(balance, i18n.T("placement.params.score"))
	}
	if f.params.BalanceAge {
		balance = append(balance, i18n.T("placement.params.age"))
	}
	facts := widget.NewLabel(i18n.T("placement.ceremony.facts", len(f.roster.Pupils), f.params.Classes, strings.Join(balance, "、")))
	facts.Alignment = fyne.TextAlignCenter
	return container.NewVBox(title, facts)
}

// ceremonyInput asks for the public entropy (and the secret, with a commitment).
func (f *placementFlow) ceremonyInput(body *fyne.Container) fyne.CanvasObject {
	digestTitle := widget.NewLabel(i18n.T("placement.check.digest"))
	digestTitle.Alignment = fyne.TextAlignCenter
	digest := digestLabel(placement.Digest(f.roster), theme.SizeNameText)
	digest.Alignment = fyne.TextAlignCenter
	entropy := widget.NewEntry()
	entropy.SetPlaceHolder(i18n.T("placement.ceremony.entropy_hint"))
	secret := widget.NewPasswordEntry()
	secret.SetPlaceHolder(i18n.T("placement.ceremony.secret_hint"))
	msg := widget.NewLabel("")
	msg.Importance = widget.DangerImportance
	msg.Wrapping = wrapMode()
	form := widget.NewForm(widget.NewFormItem(i18n.T("placement.ceremony.entropy"), entropy))
	if f.commit != "" {
		form.Append(i18n.T("placement.ceremony.secret"), secret)
	}
	var draw *widget.Button
	draw = widget.NewButtonWithIcon(i18n.T("placement.ceremony.draw"), theme.MediaPlayIcon(), func() {
		if placement.NormalizeEntropy(entropy.Text) == "" {
			msg.SetText(i18n.T("placement.ceremony.need_entropy"))
			return
		}
		if f.commit != "" && placement.Commitment(secret.Text) != f.commit {
			msg.SetText(i18n.T("placement.commitment_mismatch"))
			return
		}
		draw.Disable()
		f.draw(body, entropy.Text, secret.Text, msg, draw)
	})
	draw.Importance = widget.HighImportance
	leave := widget.NewButtonWithIcon(i18n.T("placement.ceremony.leave"), theme.CancelIcon(), f.endCeremony)
	return container.NewVBox(f.ceremonyHeader(), widget.NewSeparator(), digestTitle, digest, widget.NewSeparator(),
		form, msg, container.NewHBox(layout.NewSpacer(), leave, draw, layout.NewSpacer()))
}

// draw runs the draw off the UI goroutine, archives it, then reveals it.
func (f *placementFlow) draw(body *fyne.Container, entropy, secret string, msg *widget.Label, btn *widget.Button) {
	progress := widget.NewProgressBarInfinite()
	msg.SetText(i18n.T("placement.ceremony.drawing"))
	msg.Importance = widget.MediumImportance
	body.Objects = append(body.Objects[:1:1], container.NewVBox(layout.NewSpacer(), progress))
	body.Refresh()
	sch, _, _ := f.w.deps.Schools.Current(f.w.ctx)
	var res *placement.Result
	var id string
	var at time.Time
	f.w.jobs.async(func() (err error) {
		res, err = placement.Draw(f.roster, f.params, entropy, secret)
		at = time.Now()
		if err == nil {
			id, err = placement.NewArchive(f.w.deps.Store).Save(f.w.ctx, sch.ID, f.title, f.roster, res, f.commit, at)
		}
		return err
	}, func(err error) {
		if err != nil {
			body.Objects = body.Objects[:1]
			body.Refresh()
			msg.Importance = widget.DangerImportance
			msg.SetText(strings.Join(messages.Problems(err), "\n"))
			btn.Enable()
			return
		}
		f.result, f.savedID, f.drawn = res, id, at
		view, fit := f.reveal()
		f.setCeremony(body, view)
		fit()
	})
}

// reveal shows the classes one by one, each with its head teacher and
// make-up. Call fit once the view is on screen: it sizes the cards in the
// enlarged theme, as many to a row as the window holds.
func (f *placementFlow) reveal() (view fyne.CanvasObject, fit func()) {
	rep := placement.Balance(f.roster, f.result)
	// Every card is in the tree from the start, hidden, so the enlarged
	// theme reaches it; the reveal only shows them.
	cards := make([]fyne.CanvasObject, len(rep.Classes))
	for i, c := range rep.Classes {
		name := widget.NewLabel(i18n.T("placement.class_name", c.Class))
		name.TextStyle = fyne.TextStyle{Bold: true}
		name.SizeName = theme.SizeNameSubHeadingText
		name.Alignment = fyne.TextAlignCenter
		lines := []string{i18n.T("placement.ceremony.card", c.Size, c.Boys, c.Girls)}
		if c.Teacher != "" {
			lines = append([]string{c.Teacher}, lines...)
		}
		info := widget.NewLabel(strings.Join(lines, "\n"))
		info.Alignment = fyne.TextAlignCenter
		cards[i] = widget.NewCard("", "", container.NewVBox(name, info))
		cards[i].Hide()
	}
	grid := container.NewGridWrap(fyne.NewSize(1, 1), cards...)
	shown := 0
	done := make(chan struct{})
	stop := func() {
		select {
		case <-done:
		default:
			close(done)
		}
	}
	var all, report *widget.Button
	showAll := func() {
		for ; shown < len(cards); shown++ {
			cards[shown].Show()
		}
		all.Disable()
		report.Enable()
	}
	all = widget.NewButtonWithIcon(i18n.T("placement.ceremony.show_all"), theme.MediaFastForwardIcon(), func() {
		stop()
		showAll()
	})
	report = widget.NewButtonWithIcon(i18n.T("placement.ceremony.report"), theme.DocumentIcon(), func() {
		stop()
		f.endCeremony()
	})
	report.Importance = widget.HighImportance
	report.Disable()
	go func() {
		t := time.NewTicker(revealEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			fin := false
			fyne.DoAndWait(func() {
				if shown < len(cards) {
					cards[shown].Show()
					shown++
				}
				if fin = shown == len(cards); fin {
					showAll()
				}
			})
			if fin {
				return
			}
		}
	}()
	seed := widget.NewLabel(i18n.T("placement.ceremony.seed", f.result.Seed[:16], f.result.OutputDigest[:16]))
	seed.Alignment = fyne.TextAlignCenter
	seed.TextStyle = fyne.TextStyle{Monospace: true}
	fit = func() {
		var size fyne.Size
		for _, c := range cards {
			size = size.Max(c.MinSize())
		}
		grid.Layout = layout.NewGridWrapLayout(size.AddWidthHeight(theme.Padding()*4, 0))
		grid.Refresh()
	}
	return container.NewBorder(f.ceremonyHeader(), container.NewVBox(seed, container.NewHBox(layout.NewSpacer(), all, report, layout.NewSpacer())),
		nil, nil, container.NewVScroll(grid)), fit
}
