-- Sync: each change-log entry remembers the version it overwrote (its
-- base), so the district can tell a plain edit from a concurrent one.
ALTER TABLE changes ADD COLUMN base_hlc INTEGER NOT NULL DEFAULT 0;
ALTER TABLE changes ADD COLUMN base_origin TEXT NOT NULL DEFAULT '';

-- A losing version of a row, kept when two devices edited it concurrently.
-- Written by the district server, synced to the school's devices, shown to
-- the user, who marks it resolved.
CREATE TABLE sync_conflicts (
	{{synced}},
	tbl TEXT NOT NULL,
	row_id TEXT NOT NULL,
	winner_hlc INTEGER NOT NULL,
	winner_origin TEXT NOT NULL,
	loser_hlc INTEGER NOT NULL,
	loser_origin TEXT NOT NULL,
	loser_deleted INTEGER NOT NULL DEFAULT 0 CHECK (loser_deleted IN (0, 1)),
	loser_data TEXT NOT NULL,
	resolved INTEGER NOT NULL DEFAULT 0 CHECK (resolved IN (0, 1))
);
CREATE INDEX sync_conflicts_open ON sync_conflicts (resolved, tbl, row_id);
