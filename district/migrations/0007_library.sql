-- The resource library's review queue (district/library.go): a teacher's
-- contribution waits here until the district administrator accepts it
-- (it then becomes a district-wide library_entries row, entry_id) or
-- returns it with a reason. fields is the catalogue fields as JSON text;
-- the file (hash) was uploaded for the contributor's school.

CREATE TABLE library_contributions (
	id          TEXT PRIMARY KEY NOT NULL,
	school_id   TEXT NOT NULL,
	device_id   TEXT NOT NULL,
	hash        TEXT NOT NULL CHECK (length(hash) = 64),
	title       TEXT NOT NULL,
	fields      TEXT NOT NULL,
	state       TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'returned')),
	reason      TEXT NOT NULL DEFAULT '',
	entry_id    TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	decided_at  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX library_contributions_by_school ON library_contributions (school_id, created_at);
CREATE INDEX library_contributions_by_state ON library_contributions (state, created_at);
