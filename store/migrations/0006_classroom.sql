-- Synchronous lessons (同步课堂). A lesson is a row of its host school.
-- Every school that takes part keeps its own attendance rows (the host's
-- and each remote classroom's), with what the lesson was, so each school's
-- indicators read only its own partition.
CREATE TABLE classroom_lessons (
	{{synced}},
	title TEXT NOT NULL DEFAULT '',
	subject TEXT NOT NULL CHECK (subject <> ''),
	grade INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 12),
	teacher TEXT NOT NULL DEFAULT '',
	remote_schools TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(remote_schools)),
	starts_at INTEGER NOT NULL,
	minutes INTEGER NOT NULL CHECK (minutes BETWEEN 1 AND 240),
	code TEXT NOT NULL,
	state TEXT NOT NULL DEFAULT 'scheduled' CHECK (state IN ('scheduled', 'live', 'ended', 'cancelled')),
	started_at INTEGER NOT NULL DEFAULT 0,
	ended_at INTEGER NOT NULL DEFAULT 0,
	recording TEXT NOT NULL DEFAULT ''
);
CREATE INDEX classroom_lessons_by_start ON classroom_lessons (starts_at);

CREATE TABLE classroom_attendance (
	{{synced}},
	lesson_id TEXT NOT NULL,
	role TEXT NOT NULL CHECK (role IN ('host', 'remote')),
	host_school TEXT NOT NULL,
	title TEXT NOT NULL DEFAULT '',
	subject TEXT NOT NULL,
	grade INTEGER NOT NULL,
	joined_at INTEGER NOT NULL,
	left_at INTEGER NOT NULL DEFAULT 0,
	seconds INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX classroom_attendance_by_lesson ON classroom_attendance (lesson_id);
CREATE INDEX classroom_attendance_by_joined ON classroom_attendance (joined_at);
