package metrics

// Column is one column the indicators read. Type is "TEXT" or "INTEGER".
type Column struct{ Name, Type string }

// Table is a synced table the indicators read, with the columns they need
// besides the synced ones (id, school_id, hlc, origin, deleted), which
// every table has. The district keeps a typed mirror of exactly these
// tables and columns from its synced rows, so one SQL text serves both.
type Table struct {
	Name    string
	Columns []Column
}

func text(names ...string) []Column { return cols("TEXT", names) }
func ints(names ...string) []Column { return cols("INTEGER", names) }

func cols(typ string, names []string) []Column {
	out := make([]Column, len(names))
	for i, n := range names {
		out[i] = Column{n, typ}
	}
	return out
}

// Tables lists what the indicators read. Changing it changes the
// district's mirror, which rebuilds itself from the synced rows.
var Tables = []Table{
	{"classroom_lessons", append(text("subject", "teacher", "remote_schools", "state", "title"),
		ints("grade", "starts_at", "minutes", "started_at", "ended_at")...)},
	{"classroom_attendance", append(text("lesson_id", "role", "host_school", "title", "subject"),
		ints("grade", "joined_at", "left_at", "seconds")...)},
	{"research_teachers", append(text("name", "school_name", "subject", "stage"), ints("rural")...)},
	{"research_groups", append(text("name", "kind", "subject", "base_school"), ints("year")...)},
	{"research_members", text("group_id", "teacher_id", "role")},
	{"research_activities", append(text("group_id", "kind", "day", "lesson_id"), ints("minutes", "online")...)},
	{"research_attendance", text("activity_id", "teacher_id")},
	{"research_outputs", text("teacher_id", "activity_id", "kind", "title", "day", "state")},
	{"research_credit_rules", append(text("target", "kind"), ints("credits", "per_hour")...)},
	{"library_entries", append(text("title", "kind", "source", "subject", "stage"), ints("grade")...)},
	{"library_events", append(text("entry_id", "action", "teacher"), ints("at")...)},
	{"metrics_targets", append(text("stage", "indicator"), ints("value")...)},
	{"school_inventory", append(text("kind", "note"), ints("count")...)},
	{"metrics_checklist_items", append(text("section", "title"), ints("max_points", "position")...)},
	{"metrics_checklist_scores", append(text("item_id", "term", "note"), ints("points")...)},
}
