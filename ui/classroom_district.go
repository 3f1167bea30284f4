package ui

import (
	"context"
	"errors"
	"net/http"
	"time"

	"fyne.io/fyne/v2/widget"

	"qiao/classroom"
	"qiao/classroom/live"
	"qiao/classroom/relay"
	"qiao/district"
	"qiao/i18n"
	"qiao/replica"
)

// Lessons across schools run through the district server when this PC is
// enrolled: the host opens the lesson there (POST /v1/lessons) and both
// ends join its signed WebSocket (docs/classroom-protocol.md §8).

// venueDistrict, as the device-local setting venueKey(lesson id), marks a
// lesson scheduled to run through the district server.
const venueDistrict = "district"

func venueKey(lessonID string) string { return "classroom.venue." + lessonID }

// lessonClient is the enrolled device's client of the district's lesson
// endpoints; nil, nil when this PC is not enrolled.
func (c *classroomState) lessonClient() (*district.LessonClient, error) {
	id, err := replica.LoadIdentity(c.w.ctx, c.w.deps.Store)
	if errors.Is(err, replica.ErrNotEnrolled) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return district.NewLessonClient(id.Server, id.Fingerprint, id.DeviceID, id.Key)
}

// enrolled reports whether lessons can run through the district server.
func (c *classroomState) enrolled() bool {
	_, err := replica.LoadIdentity(c.w.ctx, c.w.deps.Store)
	return err == nil
}

// districtHost opens lesson l on the district server if it was scheduled
// to run there: the host's session config, and what ends the lesson there.
// A nil end means the lesson runs on the LAN. Off the UI goroutine.
func (c *classroomState) districtHost(l classroom.Lesson, schoolName string) (live.Config, func(), error) {
	if v, _ := c.w.deps.Store.Setting(c.w.ctx, venueKey(l.ID), ""); v != venueDistrict {
		return live.Config{}, nil, nil
	}
	cl, err := c.lessonClient()
	if err != nil || cl == nil {
		return live.Config{}, nil, errors.Join(errNotEnrolled, err)
	}
	ctx := c.w.ctx
	res, err := cl.Open(ctx, district.OpenLessonRequest{LessonID: l.ID, Code: l.Code, Subject: l.Subject, Grade: l.Grade,
		Title: l.Title, SchoolName: schoolName, Remote: l.Remote})
	var ae *district.APIError
	if errors.As(err, &ae) && ae.Code == "lesson_exists" {
		res, err = cl.Lesson(ctx, l.Code) // still open from before the app stopped: its host key
		if err == nil && res.HostKey == "" {
			err = &district.APIError{Status: http.StatusConflict, Code: "lesson_exists", Message: "the code is in use by another lesson"}
		}
	}
	if err != nil {
		return live.Config{}, nil, districtErr(err)
	}
	code := res.Code
	end := func() { // also as the window closes: never hang it on an unreachable server
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = cl.End(ctx, code)
	}
	return live.Config{URL: cl.WSURL(code), Lesson: code, Key: res.HostKey, HTTPClient: cl.HTTP(),
		DialHeader: func() (http.Header, error) { return cl.DialHeader(code) }}, end, nil
}

// districtJoin is a remote classroom's session config for lesson code on
// the district server. Off the UI goroutine.
func (c *classroomState) districtJoin(code string) (live.Config, error) {
	cl, err := c.lessonClient()
	if err != nil || cl == nil {
		return live.Config{}, errors.Join(errNotEnrolled, err)
	}
	if _, err := cl.Lesson(c.w.ctx, code); err != nil {
		return live.Config{}, districtErr(err)
	}
	return live.Config{URL: cl.WSURL(code), Lesson: code, HTTPClient: cl.HTTP(),
		DialHeader: func() (http.Header, error) { return cl.DialHeader(code) }}, nil
}

// errNotEnrolled: a district lesson on a PC that is not (or no longer) enrolled.
var errNotEnrolled = errors.New("this PC is not enrolled with a district server")

// districtErr turns the district's refusals that the relay also knows
// (no such lesson, lesson ended) into the relay's errors, which the live
// screen explains.
func districtErr(err error) error {
	var ae *district.APIError
	if errors.As(err, &ae) {
		switch ae.Code {
		case relay.CodeLessonUnknown, relay.CodeLessonEnded:
			return &relay.ProtocolError{Code: ae.Code, Message: ae.Message}
		}
	}
	return err
}

// venueChoice adds 上课方式 to the schedule form when this PC is enrolled:
// the school LAN, or the district server (the default, for lessons with
// other schools). It returns whether the district server is chosen.
func (c *classroomState) venueChoice(form *widget.Form) func() bool {
	if !c.enrolled() {
		return func() bool { return false }
	}
	lan, dist := i18n.T("classroom.venue_lan"), i18n.T("classroom.venue_district")
	venue := widget.NewRadioGroup([]string{lan, dist}, nil)
	venue.Horizontal = true
	venue.Required = true
	venue.SetSelected(dist)
	form.Append(i18n.T("classroom.venue"), venue)
	return func() bool { return venue.Selected == dist }
}
