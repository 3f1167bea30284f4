package district

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"qiao/classroom/relay"
)

// TestLessonClient: a device's LessonClient opens, describes and ends a
// lesson on a real server and dials its WebSocket with fresh signatures;
// refusals come back as *APIError with their status.
func TestLessonClient(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w := newLessonWorld(t, Config{})
	a := w.device(w.school("实验小学"), RoleTeacher)
	c, err := NewLessonClient(w.base, "", a.ID, a.key)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Open(ctx, OpenLessonRequest{Subject: "数学", Grade: 3, Code: "731905"})
	if err != nil || res.Code != "731905" || res.HostKey == "" {
		t.Fatalf("open: %+v %v", res, err)
	}
	var ae *APIError
	if _, err := c.Open(ctx, OpenLessonRequest{Subject: "数学", Code: "731905"}); !errors.As(err, &ae) || ae.Status != http.StatusConflict || ae.Code != "lesson_exists" {
		t.Errorf("opening the code twice: %v", err)
	}
	if got, err := c.Lesson(ctx, res.Code); err != nil || got.HostKey != res.HostKey {
		t.Errorf("lesson: %+v %v", got, err)
	}
	// Two dials, each with its own signature.
	api, _, _ := relay.NewAPI(relay.NetConfig{IncludeLoopback: true, UDPOnly: true})
	for i := 0; i < 2; i++ {
		h, err := c.DialHeader(res.Code)
		if err != nil {
			t.Fatal(err)
		}
		cl, err := relay.Dial(ctx, relay.ClientConfig{URL: c.WSURL(res.Code), HTTPHeader: h, HTTPClient: c.HTTP(), Lesson: res.Code,
			Role: relay.RoleHost, Key: res.HostKey, Name: "host", API: api})
		if err != nil {
			t.Fatalf("dial %d: %v", i+1, err)
		}
		cl.Close()
	}
	if err := c.End(ctx, res.Code); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Lesson(ctx, res.Code); !errors.As(err, &ae) || ae.Status != http.StatusGone || ae.Code != "lesson_ended" {
		t.Errorf("an ended lesson: %v", err)
	}
}
