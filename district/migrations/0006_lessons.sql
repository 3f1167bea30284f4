-- Lessons opened on the district relay (district/classroom.go), kept so
-- that an open lesson survives a restart of the server and the code of an
-- ended one is refused. host_key is the lesson's host capability: only the
-- opening device receives it. remote is a JSON array of invited school ids.

CREATE TABLE lessons (
	code        TEXT PRIMARY KEY NOT NULL,
	host_key    TEXT NOT NULL,
	lesson_id   TEXT NOT NULL DEFAULT '',
	school_id   TEXT NOT NULL,
	device_id   TEXT NOT NULL,
	subject     TEXT NOT NULL,
	grade       INTEGER NOT NULL DEFAULT 0,
	title       TEXT NOT NULL DEFAULT '',
	school_name TEXT NOT NULL DEFAULT '',
	remote      TEXT NOT NULL DEFAULT '[]',
	opened_at   INTEGER NOT NULL,
	ended_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX lessons_open ON lessons (ended_at);
