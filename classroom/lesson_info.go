package classroom

import "qiao/classroom/relay"

// About is what the relay tells every joiner of lesson l, hosted by the
// school named schoolName.
func (l Lesson) About(schoolName string) relay.About {
	return relay.About{LessonID: l.ID, Title: l.Title, Subject: l.Subject, Grade: l.Grade,
		SchoolID: l.SchoolID, SchoolName: schoolName}
}

// FromAbout is the host's lesson as a remote classroom knows it from the
// relay: what its attendance is recorded under.
func FromAbout(a relay.About) Lesson {
	return Lesson{ID: a.LessonID, SchoolID: a.SchoolID, Title: a.Title, Subject: a.Subject, Grade: a.Grade}
}
