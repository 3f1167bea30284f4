-- Device-local facts (device id, …). Never synced.
CREATE TABLE meta (
	key TEXT PRIMARY KEY NOT NULL,
	value TEXT NOT NULL
);

-- Device-local preferences (language, theme, window size, …). Never synced.
CREATE TABLE settings (
	key TEXT PRIMARY KEY NOT NULL,
	value TEXT NOT NULL
);

-- The change log: one entry per write to a synced table, written in the
-- same transaction as the write. data is the whole row after the change.
CREATE TABLE changes (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	tbl TEXT NOT NULL,
	row_id TEXT NOT NULL,
	school_id TEXT NOT NULL,
	hlc INTEGER NOT NULL,
	origin TEXT NOT NULL,
	deleted INTEGER NOT NULL,
	data TEXT NOT NULL CHECK (json_valid(data))
);
CREATE INDEX changes_by_row ON changes (tbl, row_id);

-- Schools. A school's own row is in its own partition: school_id = id.
CREATE TABLE schools (
	{{synced}},
	name TEXT NOT NULL CHECK (name <> ''),
	code TEXT NOT NULL DEFAULT '',
	rural INTEGER NOT NULL DEFAULT 0 CHECK (rural IN (0, 1)),
	region TEXT NOT NULL DEFAULT '',
	sample INTEGER NOT NULL DEFAULT 0 CHECK (sample IN (0, 1))
);
