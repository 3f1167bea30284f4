package relay

import (
	"fmt"
)

// Limits of About.
const (
	MaxAboutIDBytes   = 64  // lesson and school ids
	MaxAboutTextBytes = 200 // title, subject, school name
)

// About is what the lesson is, as its host's records say: set when the
// lesson is opened and carried in every snapshot, so each joiner records
// its attendance under the host's lesson at once.
type About struct {
	LessonID   string `json:"lesson_id"`
	Title      string `json:"title,omitempty"`
	Subject    string `json:"subject"`
	Grade      int    `json:"grade,omitempty"` // 1–12, 0 if not given
	SchoolID   string `json:"school_id"`       // the host school
	SchoolName string `json:"school_name,omitempty"`
}

// Validate checks About's bounds: ids of 1..MaxAboutIDBytes URL-safe
// characters, texts of at most MaxAboutTextBytes of printable UTF-8, a
// subject, a grade of 0..12.
func (a About) Validate() error {
	switch {
	case !urlSafe(a.LessonID, 1, MaxAboutIDBytes):
		return fmt.Errorf("relay: lesson id must be 1..%d URL-safe characters", MaxAboutIDBytes)
	case !urlSafe(a.SchoolID, 1, MaxAboutIDBytes):
		return fmt.Errorf("relay: school id must be 1..%d URL-safe characters", MaxAboutIDBytes)
	case a.Subject == "":
		return fmt.Errorf("relay: a lesson needs a subject")
	case a.Grade < 0 || a.Grade > 12:
		return fmt.Errorf("relay: grade must be 0..12")
	}
	for _, s := range []string{a.Title, a.Subject, a.SchoolName} {
		if len(s) > MaxAboutTextBytes || !chatText(s) {
			return fmt.Errorf("relay: title, subject and school name are at most %d bytes of text", MaxAboutTextBytes)
		}
	}
	return nil
}
