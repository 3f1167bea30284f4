-- The indicators' mirror (district/mirror.go): typed copies of the synced
-- rows the indicators read, one table per table of metrics.Tables, with
-- the same name and columns. The mirror tables themselves are made by the
-- server from metrics.Tables at start-up; this table lists the ones it
-- made, so a rebuild drops only its own tables and a table of Tables that
-- collides with one of the district's own is refused. The fingerprint of
-- the mirror's definition is the settings row metrics_mirror.

CREATE TABLE mirror_tables (
	name    TEXT PRIMARY KEY NOT NULL,
	created INTEGER NOT NULL
);
