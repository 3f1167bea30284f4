-- Teacher research (校本研修, 项目包, 名师工作室, 联片教研). Rows refer to
-- each other by id without foreign keys: sync may bring a member before
-- its teacher. Money is in whole yuan, credits in hundredths.
CREATE TABLE research_teachers (
	{{synced}},
	name TEXT NOT NULL CHECK (name <> ''),
	code TEXT NOT NULL DEFAULT '',
	school_name TEXT NOT NULL DEFAULT '',
	subject TEXT NOT NULL DEFAULT '',
	stage TEXT NOT NULL DEFAULT '',
	birth_year INTEGER NOT NULL DEFAULT 0,
	title TEXT NOT NULL DEFAULT '',
	rural INTEGER NOT NULL DEFAULT 0 CHECK (rural IN (0, 1))
);
CREATE INDEX research_teachers_by_name ON research_teachers (name);
CREATE INDEX research_teachers_by_code ON research_teachers (code);

CREATE TABLE research_groups (
	{{synced}},
	name TEXT NOT NULL CHECK (name <> ''),
	kind TEXT NOT NULL,
	subject TEXT NOT NULL DEFAULT '',
	base_school TEXT NOT NULL DEFAULT '',
	year INTEGER NOT NULL,
	budget INTEGER NOT NULL DEFAULT 0,
	spent INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX research_groups_by_year ON research_groups (year, name);

CREATE TABLE research_members (
	{{synced}},
	group_id TEXT NOT NULL,
	teacher_id TEXT NOT NULL,
	role TEXT NOT NULL
);
CREATE INDEX research_members_by_group ON research_members (group_id);
CREATE INDEX research_members_by_teacher ON research_members (teacher_id);

CREATE TABLE research_activities (
	{{synced}},
	group_id TEXT NOT NULL,
	kind TEXT NOT NULL,
	day TEXT NOT NULL CHECK (length(day) = 10),
	minutes INTEGER NOT NULL CHECK (minutes >= 0),
	place TEXT NOT NULL DEFAULT '',
	online INTEGER NOT NULL DEFAULT 0 CHECK (online IN (0, 1)),
	notes TEXT NOT NULL DEFAULT '',
	lesson_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX research_activities_by_group ON research_activities (group_id, day);
CREATE INDEX research_activities_by_day ON research_activities (day);
CREATE INDEX research_activities_by_kind ON research_activities (kind, day);

CREATE TABLE research_attendance (
	{{synced}},
	activity_id TEXT NOT NULL,
	teacher_id TEXT NOT NULL
);
CREATE INDEX research_attendance_by_activity ON research_attendance (activity_id);
CREATE INDEX research_attendance_by_teacher ON research_attendance (teacher_id);

CREATE TABLE research_attachments (
	{{synced}},
	activity_id TEXT NOT NULL,
	name TEXT NOT NULL,
	hash TEXT NOT NULL CHECK (length(hash) = 64),
	size INTEGER NOT NULL
);
CREATE INDEX research_attachments_by_activity ON research_attachments (activity_id);

CREATE TABLE research_outputs (
	{{synced}},
	teacher_id TEXT NOT NULL,
	activity_id TEXT NOT NULL DEFAULT '',
	kind TEXT NOT NULL,
	title TEXT NOT NULL CHECK (title <> ''),
	day TEXT NOT NULL CHECK (length(day) = 10),
	state TEXT NOT NULL CHECK (state IN ('submitted', 'accepted', 'returned')),
	comment TEXT NOT NULL DEFAULT '',
	file_hash TEXT NOT NULL DEFAULT ''
);
CREATE INDEX research_outputs_by_teacher ON research_outputs (teacher_id, day);
CREATE INDEX research_outputs_by_activity ON research_outputs (activity_id);

-- Credit rules set by the district (school_id '' = district-wide); the
-- built-in defaults apply where no rule exists.
CREATE TABLE research_credit_rules (
	{{synced}},
	target TEXT NOT NULL CHECK (target IN ('activity', 'output')),
	kind TEXT NOT NULL,
	credits INTEGER NOT NULL CHECK (credits >= 0),
	per_hour INTEGER NOT NULL DEFAULT 0 CHECK (per_hour IN (0, 1))
);
CREATE INDEX research_credit_rules_by_kind ON research_credit_rules (target, kind);
