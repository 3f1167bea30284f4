package district

import "qiao/metrics"

// RollupHeadline is the indicator schools are ranked by: 课时达标率, the
// share of the required lesson hours held, which provinces rank schools on.
const RollupHeadline = metrics.LessonRate

// rollupIndicators are the roll-up's columns: every indicator, in the
// metrics package's order, with its English label.
func rollupIndicators() []RollupIndicator {
	out := make([]RollupIndicator, len(metrics.Indicators))
	for i, k := range metrics.Indicators {
		out[i] = RollupIndicator{Key: k, Label: rollupLabels[k]}
		if out[i].Label == "" {
			out[i].Label = k
		}
	}
	return out
}

// rollupLabels are the indicators' English names on the district's pages
// and workbook (docs/INDICATORS.md defines them).
var rollupLabels = map[string]string{
	metrics.LessonsHosted:        "Lessons hosted",
	metrics.LessonsReceived:      "Lessons received",
	metrics.LessonHours:          "Lesson hours",
	metrics.SubjectsPerClassroom: "Subjects per classroom",
	metrics.SubjectRate:          "Subject rate % (学科达标率)",
	metrics.LessonsPerClassroom:  "Lessons per classroom",
	metrics.LessonRate:           "Lesson rate % (课时达标率)",
	metrics.RemoteServed:         "Remote classrooms served",
	metrics.RemoteReached:        "Lead schools reached",
	metrics.ResearchActivities:   "Research activities",
	metrics.ActivitiesPerTeacher: "Research activities per teacher",
	metrics.Participation:        "Research participation %",
	metrics.Outputs:              "Research outputs",
	metrics.CreditsPerTeacher:    "Credits per teacher (1/100)",
	metrics.GroupsMeeting:        "Groups meeting target",
	metrics.ResourcesOpened:      "Resources opened",
	metrics.ResourcesDownloaded:  "Resources downloaded",
	metrics.ResourcesContributed: "Resources contributed",
	metrics.TeacherTerminals100:  "Teacher terminals per 100 teachers",
	metrics.PupilTerminals100:    "Pupil terminals per 100 pupils",
	metrics.MultimediaRooms:      "Multimedia classrooms",
	metrics.ChecklistScore:       "Digital campus checklist %",
}
