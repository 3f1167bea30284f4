package district

import (
	"encoding/json"
	"testing"

	"qiao/classroom/relay"
)

// FuzzOpenLessonRequest: whatever body POST /v1/lessons gets, the check
// never panics, and a request it accepts opens a valid lesson: its About
// (with a lesson id) validates and the relay opens it.
func FuzzOpenLessonRequest(f *testing.F) {
	f.Add([]byte(`{"lesson_id":"0196a3b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b","code":"48151623","subject":"数学","grade":3,"title":"分数","school_name":"城关一小","remote":["s1"]}`))
	f.Add([]byte(`{"subject":"科学"}`))
	f.Add([]byte(`{"lesson_id":"x","subject":"a\u0000"}`))
	f.Add([]byte(`{"subject":" ","grade":13,"remote":[""]}`))
	r, err := relay.New(relay.Config{NetConfig: relay.NetConfig{UDPOnly: true, IncludeLoopback: true}})
	if err != nil {
		f.Fatal(err)
	}
	defer r.Close()
	f.Fuzz(func(t *testing.T, body []byte) {
		var req OpenLessonRequest
		if json.Unmarshal(body, &req) != nil {
			return
		}
		if checkLessonRequest(&req, "0196a3b2-0000-7000-8000-000000000001") != "" {
			return
		}
		about := (&openLesson{req: req, school: "0196a3b2-0000-7000-8000-000000000001"}).about()
		if about != nil {
			if err := about.Validate(); err != nil {
				t.Fatalf("accepted %q with an invalid about: %v", body, err)
			}
		}
		info, err := r.OpenAbout("", about)
		if err != nil {
			t.Fatalf("accepted %q but the relay refused it: %v", body, err)
		}
		r.CloseLesson(info.Code)
	})
}
