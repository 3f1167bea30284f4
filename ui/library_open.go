package ui

import (
	"bytes"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/classroom/deck"
	"qiao/i18n"
	"qiao/library"
)

// How an entry's file opens, by its file name's extension.
const (
	openImage    = "image"
	openText     = "text"
	openPDF      = "pdf"
	openReplay   = "replay"
	openExternal = "external"
)

// previewText is how much of a text file the preview shows.
const previewText = 64 << 10

// openKind says how entry e opens: in-app for images, text, PDF (first page)
// and recorded lessons, the OS's default program otherwise.
func openKind(e library.Entry) string {
	ext := strings.ToLower(filepath.Ext(e.FileName))
	switch {
	case e.Kind == library.Recording || ext == ".qrec":
		return openReplay
	case ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".gif" || ext == ".bmp":
		return openImage
	case ext == ".txt" || ext == ".md" || ext == ".csv":
		return openText
	case ext == ".pdf":
		return openPDF
	}
	return openExternal
}

// openEntry shows an entry: its fields and what can be done with it.
func (l *libraryState) openEntry(e library.Entry) {
	info := rsWrapped(entryMeta(e))
	var tags string
	if len(e.Tags) > 0 {
		tags = i18n.T("library.tags", strings.Join(e.Tags, "、"))
	}
	msg := rsWrapped("")
	msg.Hide()
	box := container.NewVBox(rsHeading(e.Title, theme.SizeNameSubHeadingText), info)
	if tags != "" {
		box.Add(rsWrapped(tags))
	}
	if e.UploadedBy != "" {
		box.Add(rsWrapped(i18n.T("library.uploaded_by", e.UploadedBy)))
	}
	var d dialog.Dialog
	buttons := container.NewHBox()
	fav := widget.NewButton(starText(l.favs[e.ID])+" "+i18n.T("library.favourite"), nil)
	fav.OnTapped = func() {
		l.toggleFavourite(e.ID)
		fav.SetText(starText(!l.favs[e.ID]) + " " + i18n.T("library.favourite"))
	}
	switch {
	case l.isHere(e):
		box.Add(rsWrapped(i18n.T("library.here")))
		buttons.Add(widget.NewButtonWithIcon(i18n.T("library.open"), theme.FileIcon(), func() {
			d.Hide()
			l.open(e)
		}))
	case l.fetch != nil:
		box.Add(rsWrapped(i18n.T("library.not_here")))
		buttons.Add(widget.NewButtonWithIcon(i18n.T("library.download"), theme.DownloadIcon(), func() {
			d.Hide()
			l.download(e)
		}))
	default:
		box.Add(rsWrapped(i18n.T("library.only_catalogue")))
	}
	buttons.Add(fav)
	if l.contrib != nil && e.Source != library.FromDistrict && e.SchoolID == l.school && l.isHere(e) {
		var send *widget.Button
		send = widget.NewButtonWithIcon(i18n.T("library.contribute"), theme.MailSendIcon(), func() {
			l.contribute(e, msg, send)
		})
		buttons.Add(send)
	}
	box.Add(buttons)
	box.Add(msg)
	d = dialog.NewCustom(i18n.T("library.entry"), i18n.T("action.close"), container.NewPadded(box), l.w.win)
	d.Resize(fyne.NewSize(640, 0))
	d.Show()
}

// open opens a file that is on this PC and records the use; the file is
// kept from eviction while it is open.
func (l *libraryState) open(e library.Entry) {
	path, err := l.w.deps.Files.Path(e.Hash)
	if err != nil {
		dialog.ShowError(errText(libraryErr(err)), l.w.win)
		return
	}
	release := l.quota.Use(e.Hash)
	teacher := l.teacher
	l.w.jobs.async(func() error { return l.svc.Opened(l.w.ctx, e.ID, teacher) }, func(err error) {
		if err != nil {
			fyne.LogError("library: record opened", err)
		}
	})
	switch openKind(e) {
	case openImage, openText, openPDF:
		l.preview(e, path, release)
	case openReplay:
		l.keep(e.Hash, release)
		l.w.shell.show("classroom")
		l.w.classroom.replayPath(path, func(err error) {
			if err != nil {
				dialog.ShowError(errText(replayErrText(err)), l.w.win)
			}
		})
	default:
		l.keep(e.Hash, release)
		l.openExternally(e, path)
	}
}

// keep holds a file from eviction until the section is rebuilt for another
// school or the window closes: another program or the replay has it.
func (l *libraryState) keep(hash string, release func()) {
	if old, ok := l.inUse[hash]; ok {
		old()
	}
	l.inUse[hash] = release
}

// preview shows an image, the start of a text or a PDF's first page in a
// dialog; release is called when it closes.
func (l *libraryState) preview(e library.Entry, path string, release func()) {
	body := container.NewStack(widget.NewProgressBarInfinite())
	d := dialog.NewCustom(e.Title, i18n.T("action.close"), body, l.w.win)
	d.SetOnClosed(release)
	d.Resize(fyne.NewSize(820, 600))
	d.Show()
	var obj func() fyne.CanvasObject
	l.w.jobs.async(func() error {
		switch openKind(e) {
		case openImage:
			obj = func() fyne.CanvasObject {
				img := canvas.NewImageFromFile(path)
				img.FillMode = canvas.ImageFillContain
				return img
			}
		case openPDF:
			page, err := deck.FirstPage(path)
			if err != nil {
				return err
			}
			data := page.Data
			obj = func() fyne.CanvasObject {
				img := canvas.NewImageFromReader(bytes.NewReader(data), e.FileName)
				img.FillMode = canvas.ImageFillContain
				return img
			}
		case openText:
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			b, err := io.ReadAll(io.LimitReader(f, previewText))
			if err != nil {
				return err
			}
			for len(b) > 0 && !utf8.Valid(b) { // cut at a character boundary
				b = b[:len(b)-1]
			}
			text := string(b)
			obj = func() fyne.CanvasObject { return container.NewScroll(rsWrapped(text)) }
		}
		return nil
	}, func(err error) {
		if err != nil {
			body.Objects = []fyne.CanvasObject{rsWrapped(i18n.T("library.preview_failed"))}
		} else {
			body.Objects = []fyne.CanvasObject{obj()}
		}
		body.Refresh()
	})
}

// openExternally hands the file to the OS's default program, under its own
// file name (the content store names files by hash): a hard link in the
// temp folder, or a copy where links are not possible.
func (l *libraryState) openExternally(e library.Entry, path string) {
	l.w.jobs.async(func() error {
		name := filepath.Base(e.FileName)
		if name == "." || name == string(filepath.Separator) || name == "" {
			name = e.Hash
		}
		dir := filepath.Join(os.TempDir(), "qiao-library", e.Hash[:16])
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		target := filepath.Join(dir, name)
		if _, err := os.Stat(target); err != nil {
			if err := os.Link(path, target); err != nil {
				if err := copyFile(path, target); err != nil {
					return err
				}
			}
		}
		u, err := url.Parse("file://" + filepath.ToSlash(target))
		if err != nil {
			return err
		}
		return l.w.app.OpenURL(u)
	}, func(err error) {
		if err != nil {
			dialog.ShowError(errText(i18n.T("library.open_failed", err.Error())), l.w.win)
		}
	})
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := to + ".part"
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(tmp)
		return err
	}
	if err := out.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, to)
}

// download fetches an entry's file from the district, showing progress in
// the strip under the results.
func (l *libraryState) download(e library.Entry) {
	l.pollProgress()
	l.w.jobs.async(func() error { return l.fetch.Fetch(l.w.ctx, e.ID) }, func(err error) {
		l.showProgress()
		if err != nil {
			dialog.ShowError(errText(libraryErr(err)), l.w.win)
			return
		}
		l.list.Refresh() // the here mark
	})
}

// contribute sends a school's or teacher's entry to the district's review;
// its button is off while it goes and once it went (the district would
// queue every tap as another contribution).
func (l *libraryState) contribute(e library.Entry, msg *widget.Label, send *widget.Button) {
	send.Disable()
	msg.SetText(i18n.T("library.contributing"))
	msg.Show()
	var con library.Contribution
	l.w.jobs.async(func() (err error) {
		con, err = l.contrib.ContributeEntry(l.w.ctx, e.ID)
		return err
	}, func(err error) {
		switch {
		case err != nil:
			msg.SetText(libraryErr(err))
			send.Enable()
		case con.State == library.ContributionQueued:
			msg.SetText(i18n.T("library.contrib_queued"))
		default:
			msg.SetText(i18n.T("library.contributed"))
		}
	})
}

// errText is a message as an error, for dialog.ShowError.
type errText string

func (e errText) Error() string { return string(e) }
