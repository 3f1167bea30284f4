-- Sync. sync_rows holds the current version of every synced row of every
-- school; seq is the server's sequence number, taken from sync_counter
-- inside the writing transaction, so sequence numbers commit in order and
-- a pull cursor never skips a row. scope is the partition a row is read
-- in: its school, or '' for district-wide rows (and the list of schools).

CREATE TABLE sync_counter (
	id  INTEGER PRIMARY KEY CHECK (id = 1),
	seq INTEGER NOT NULL
);
INSERT INTO sync_counter(id, seq) VALUES (1, 0);

CREATE TABLE sync_rows (
	tbl         TEXT NOT NULL,
	id          TEXT NOT NULL,
	school_id   TEXT NOT NULL,
	scope       TEXT NOT NULL,
	hlc         INTEGER NOT NULL,
	origin      TEXT NOT NULL,
	deleted     INTEGER NOT NULL,
	base_hlc    INTEGER NOT NULL,
	base_origin TEXT NOT NULL,
	data        TEXT NOT NULL,
	seq         INTEGER NOT NULL,
	PRIMARY KEY (tbl, id)
);
CREATE INDEX sync_rows_scope_seq ON sync_rows(scope, seq);

-- Every version the server has received: a version seen before is a
-- replay and changes nothing.
CREATE TABLE sync_seen (
	tbl    TEXT NOT NULL,
	id     TEXT NOT NULL,
	hlc    INTEGER NOT NULL,
	origin TEXT NOT NULL,
	PRIMARY KEY (tbl, id, hlc, origin)
);

-- The server's checkpoints per device.
CREATE TABLE sync_devices (
	device_id      TEXT PRIMARY KEY NOT NULL,
	pushed_through INTEGER NOT NULL DEFAULT 0,
	pulled_through INTEGER NOT NULL DEFAULT 0,
	last_push      INTEGER,
	last_pull      INTEGER
);

-- Refused batches and other sync errors, for the status page.
CREATE TABLE sync_errors (
	at        INTEGER NOT NULL,
	device_id TEXT NOT NULL,
	code      TEXT NOT NULL,
	message   TEXT NOT NULL
);
CREATE INDEX sync_errors_at ON sync_errors(at);
