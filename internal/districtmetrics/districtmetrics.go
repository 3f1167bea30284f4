// Package districtmetrics installs the metrics package (the school
// indicators) in the district server. qiao/district cannot import
// qiao/metrics, which reaches the district through qiao/replica, so
// qiao-district and the district's tests call Install.
package districtmetrics

import (
	"context"
	"time"

	"qiao/district"
	"qiao/metrics"
)

// Install makes the district mirror metrics.Tables and compute its
// roll-up with metrics.SchoolHeadlines.
func Install() { district.UseIndicators(source{}) }

type source struct{}

func (source) Tables() []district.MirrorTable {
	out := make([]district.MirrorTable, len(metrics.Tables))
	for i, t := range metrics.Tables {
		out[i].Name = t.Name
		for _, c := range t.Columns {
			out[i].Columns = append(out[i].Columns, district.MirrorColumn{Name: c.Name, Type: c.Type})
		}
	}
	return out
}

func (source) ParseTerm(term string) (string, error) {
	t, err := metrics.ParseTerm(term)
	if err != nil {
		return "", err
	}
	return t.Key(), nil
}

func (source) CurrentTerm(now time.Time) string { return metrics.TermOf(now).Key() }

// The roll-up ranks schools by 课时达标率, the share of the required
// lesson hours held, which provinces rank schools on.
func (source) Headline() string { return metrics.LessonRate }

func (source) Indicators() []district.RollupIndicator {
	out := make([]district.RollupIndicator, len(metrics.Indicators))
	for i, k := range metrics.Indicators {
		out[i] = district.RollupIndicator{Key: k, Label: labels[k]}
		if out[i].Label == "" {
			out[i].Label = k
		}
	}
	return out
}

// labels are the English names of the indicators on the district's pages
// (docs/INDICATORS.md defines them).
var labels = map[string]string{
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

func (source) Compute(ctx context.Context, q district.Querier, schools []string, term string) (map[string][]district.Indicator, error) {
	t, err := metrics.ParseTerm(term)
	if err != nil {
		return nil, err
	}
	hs, err := metrics.SchoolHeadlines(ctx, q, schools, metrics.Filter{Term: t})
	if err != nil {
		return nil, err
	}
	out := make(map[string][]district.Indicator, len(hs))
	for s, list := range hs {
		for _, h := range list {
			out[s] = append(out[s], district.Indicator{Key: h.Key, Value: h.Value, Known: h.Known,
				Target: h.Target, HasTarget: h.HasTarget, OK: h.OK})
		}
	}
	return out, nil
}
