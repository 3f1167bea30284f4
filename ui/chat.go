package ui

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qiao/classroom/relay"
	"qiao/i18n"
)

// chatPanel is a live screen's text chat: the last messages (sender, time,
// text), newest at the bottom, and an entry with 发送 (Enter sends).
type chatPanel struct {
	list   *fyne.Container
	scroll *container.Scroll
	entry  *widget.Entry
	sendB  *widget.Button
	note   *widget.Label
	none   *widget.Label
	shown  []uint64 // the seq of each message in list, in order
	// send sends a message; nil makes the panel read-only (a replay).
	send func(text string) error
}

func newChatPanel(send func(text string) error) *chatPanel {
	p := &chatPanel{send: send, list: container.NewVBox()}
	p.none = rsWrapped(i18n.T("classroom.chat.none"))
	p.list.Add(p.none)
	p.scroll = container.NewVScroll(p.list)
	p.scroll.SetMinSize(fyne.NewSize(0, theme.TextSize()*6))
	p.entry = widget.NewEntry()
	p.entry.SetPlaceHolder(i18n.T("classroom.chat.hint"))
	p.note = rsWrapped("")
	p.note.Importance = widget.DangerImportance
	p.note.Hide()
	p.sendB = widget.NewButtonWithIcon(i18n.T("classroom.chat.send"), theme.MailSendIcon(), p.submit)
	p.entry.OnSubmitted = func(string) { p.submit() }
	p.entry.OnChanged = func(s string) {
		if len(s) > relay.MaxChatBytes {
			p.say(i18n.T("classroom.chat.too_long", relay.MaxChatBytes, relay.MaxChatBytes/3))
		} else {
			p.say("")
		}
	}
	return p
}

// object is the panel: messages above, the entry below (none when read-only).
func (p *chatPanel) object() fyne.CanvasObject {
	if p.send == nil {
		return p.scroll
	}
	return container.NewBorder(nil, container.NewVBox(p.note, container.NewBorder(nil, nil, nil, p.sendB, p.entry)), nil, nil, p.scroll)
}

func (p *chatPanel) say(text string) {
	p.note.SetText(text)
	p.note.Hidden = text == ""
	p.note.Refresh()
}

// submit sends the entry's text; too long or refused, it stays to be fixed.
func (p *chatPanel) submit() {
	text := strings.TrimSpace(p.entry.Text)
	if text == "" {
		return
	}
	if len(text) > relay.MaxChatBytes {
		p.say(i18n.T("classroom.chat.too_long", relay.MaxChatBytes, relay.MaxChatBytes/3))
		return
	}
	if err := p.send(text); err != nil {
		p.say(i18n.T("classroom.chat.failed", liveErrText(err)))
		return
	}
	p.entry.SetText("")
	p.say("")
}

// setEnabled allows sending while the lesson is live.
func (p *chatPanel) setEnabled(on bool) {
	setEnabled(on, p.sendB)
	if on {
		p.entry.Enable()
	} else {
		p.entry.Disable()
	}
}

// show brings the list up to the view's chat: new messages are added below
// (the list is rebuilt only when older ones changed, as after a reconnect),
// the oldest beyond relay.ChatKept go, and the newest is scrolled to.
func (p *chatPanel) show(v relay.View, at map[uint64]time.Time) {
	chat := v.Chat
	start := 0
	if n := len(p.shown); n > 0 {
		last := p.shown[n-1]
		start = -1
		for i, e := range chat {
			if e.Seq == last {
				start = i + 1
			}
		}
		if start < 0 { // what is shown is no longer there: start over
			p.list.Objects, p.shown, start = nil, nil, 0
		}
	}
	if start == len(chat) && (len(p.shown) > 0 || len(p.list.Objects) == 1 && p.list.Objects[0] == p.none) {
		return // nothing new
	}
	if len(p.shown) == 0 {
		p.list.Objects = nil
	}
	for _, e := range chat[start:] {
		head := e.Name
		if head == "" {
			head = peerName(v, e.From)
		}
		if t, ok := at[e.Seq]; ok {
			head += "  " + t.Format("15:04")
		}
		msg := widget.NewRichText(
			&widget.TextSegment{Text: head, Style: widget.RichTextStyle{ColorName: theme.ColorNamePrimary,
				SizeName: theme.SizeNameCaptionText, TextStyle: fyne.TextStyle{Bold: true}}},
			&widget.TextSegment{Text: e.Text, Style: widget.RichTextStyleParagraph})
		msg.Wrapping = wrapMode()
		p.list.Add(msg)
		p.shown = append(p.shown, e.Seq)
	}
	if over := len(p.shown) - relay.ChatKept; over > 0 {
		p.list.Objects = p.list.Objects[over:]
		p.shown = p.shown[over:]
	}
	if len(p.shown) == 0 {
		p.list.Objects = []fyne.CanvasObject{p.none}
	}
	p.list.Refresh()
	p.scroll.ScrollToBottom()
}
