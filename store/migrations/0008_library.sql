-- The resource library (资源库). A catalogue entry is a synced row: the
-- district's entries are district-wide (school_id ''), a school's own are
-- its rows. The file itself lives in the content store by its SHA-256
-- (hash); library files are fetched by the library (on demand or by
-- subscription), never by sync's "every file a row names" rule.
CREATE TABLE library_entries (
	{{synced}},
	title TEXT NOT NULL CHECK (title <> ''),
	stage TEXT NOT NULL DEFAULT '',        -- 小学, 初中, 高中 (prefs keys: primary, junior, senior)
	subject TEXT NOT NULL DEFAULT '',
	edition TEXT NOT NULL DEFAULT '',      -- textbook edition: 人教版, 北师大版 …
	grade INTEGER NOT NULL DEFAULT 0 CHECK (grade BETWEEN 0 AND 12), -- 0: not for one grade
	unit TEXT NOT NULL DEFAULT '',         -- unit or chapter
	kind TEXT NOT NULL CHECK (kind IN ('courseware', 'plan', 'video', 'paper', 'homework', 'material', 'recording')),
	source TEXT NOT NULL CHECK (source IN ('district', 'school', 'teacher')),
	file_name TEXT NOT NULL DEFAULT '',    -- the original name, for its extension and "save as"
	size INTEGER NOT NULL DEFAULT 0 CHECK (size >= 0),
	hash TEXT NOT NULL CHECK (length(hash) = 64),
	tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags)),
	uploaded_by TEXT NOT NULL DEFAULT '',  -- a teacher's name
	licence TEXT NOT NULL DEFAULT '',
	lesson_id TEXT NOT NULL DEFAULT '',    -- a recorded Qiao lesson (kind 'recording')
	created_at INTEGER NOT NULL DEFAULT 0  -- unix seconds
);
CREATE INDEX library_entries_by_tree ON library_entries (stage, subject, edition, grade, unit);
CREATE INDEX library_entries_by_hash ON library_entries (hash);

-- Which catalogue entries changed, in order, however they were written
-- (through the library, by sync's ApplyRemote, by a rekey): the library's
-- in-memory search index catches up from here. One row per entry, its seq
-- renewed at every write. Local, not synced.
CREATE TABLE library_touched (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	entry_id TEXT NOT NULL UNIQUE
);
CREATE TRIGGER library_entries_touched_insert AFTER INSERT ON library_entries BEGIN
	DELETE FROM library_touched WHERE entry_id = NEW.id;
	INSERT INTO library_touched (entry_id) VALUES (NEW.id);
END;
CREATE TRIGGER library_entries_touched_update AFTER UPDATE ON library_entries BEGIN
	DELETE FROM library_touched WHERE entry_id = NEW.id;
	INSERT INTO library_touched (entry_id) VALUES (NEW.id);
END;
CREATE TRIGGER library_entries_touched_delete AFTER DELETE ON library_entries BEGIN
	DELETE FROM library_touched WHERE entry_id = OLD.id;
	INSERT INTO library_touched (entry_id) VALUES (OLD.id);
END;

-- What people did with the library, for the principal's indicators:
-- opened, downloaded, contributed (school rows).
CREATE TABLE library_events (
	{{synced}},
	entry_id TEXT NOT NULL,
	action TEXT NOT NULL CHECK (action IN ('opened', 'downloaded', 'contributed')),
	teacher TEXT NOT NULL DEFAULT '',
	at INTEGER NOT NULL
);
CREATE INDEX library_events_by_at ON library_events (at);

-- This device's own state of the library: favourites, recently opened and
-- last use of a district file (for the quota's least-recently-used
-- eviction), in unix seconds. Local, not synced.
CREATE TABLE library_local (
	entry_id TEXT PRIMARY KEY NOT NULL,
	favourite INTEGER NOT NULL DEFAULT 0 CHECK (favourite IN (0, 1)),
	opened_at INTEGER NOT NULL DEFAULT 0,
	used_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX library_local_by_opened ON library_local (opened_at);
