-- School indicators (学校数据): targets, the school's inventory and the
-- 数字校园 self-assessment checklist. docs/INDICATORS.md explains them.

-- Targets set by the district (school_id ''), per stage (小学, 初中, 高中;
-- '' for all stages). The defaults in metrics/targets.go apply where no
-- row exists.
CREATE TABLE metrics_targets (
	{{synced}},
	stage TEXT NOT NULL DEFAULT '' CHECK (stage IN ('', '小学', '初中', '高中')),
	indicator TEXT NOT NULL CHECK (indicator <> ''),
	value INTEGER NOT NULL CHECK (value >= 0)      -- in the indicator's unit (hundredths for credits)
);
CREATE INDEX metrics_targets_by_indicator ON metrics_targets (indicator, stage);

-- What the school has (its own rows), one row per kind: the id is derived
-- from school and kind, so two devices editing it converge on one row.
CREATE TABLE school_inventory (
	{{synced}},
	kind TEXT NOT NULL CHECK (kind IN ('teacher_terminals', 'pupil_terminals', 'multimedia_classrooms',
		'smart_classrooms', 'teachers', 'pupils')),
	count INTEGER NOT NULL CHECK (count >= 0),
	note TEXT NOT NULL DEFAULT ''
);

-- 数字校园 self-assessment: items (district-wide defaults, school_id '',
-- and a school's own), and the school's points per item and term (the id
-- derived from school, item and term).
CREATE TABLE metrics_checklist_items (
	{{synced}},
	section TEXT NOT NULL DEFAULT '',
	title TEXT NOT NULL CHECK (title <> ''),
	max_points INTEGER NOT NULL CHECK (max_points > 0),
	position INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE metrics_checklist_scores (
	{{synced}},
	item_id TEXT NOT NULL,
	term TEXT NOT NULL,                             -- metrics.Term key: 2025-autumn, 2026-spring
	points INTEGER NOT NULL CHECK (points >= 0),
	note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX metrics_checklist_scores_by_term ON metrics_checklist_scores (term, item_id);

-- The indicators read one school's rows of one term: these let each
-- aggregate walk only that school's range.
CREATE INDEX classroom_attendance_by_school ON classroom_attendance (school_id, joined_at);
CREATE INDEX classroom_lessons_by_school ON classroom_lessons (school_id, starts_at);
CREATE INDEX library_events_by_school ON library_events (school_id, at);
CREATE INDEX research_activities_by_school ON research_activities (school_id, day);
CREATE INDEX research_outputs_by_school ON research_outputs (school_id, day);
