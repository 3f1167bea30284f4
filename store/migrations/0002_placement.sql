-- Sunshine class placement draws. A draw is never changed: a re-draw is a
-- new row. The canonical input is kept so the draw can be verified again
-- from this record alone.
CREATE TABLE placement_draws (
	{{synced}},
	title TEXT NOT NULL,
	algorithm TEXT NOT NULL,
	input_sha256 TEXT NOT NULL CHECK (length(input_sha256) = 64),
	params TEXT NOT NULL,
	entropy TEXT NOT NULL,
	commitment TEXT NOT NULL DEFAULT '',
	secret TEXT NOT NULL DEFAULT '',
	seed TEXT NOT NULL CHECK (length(seed) = 64),
	output_sha256 TEXT NOT NULL CHECK (length(output_sha256) = 64),
	pupils INTEGER NOT NULL,
	classes INTEGER NOT NULL,
	input_canonical TEXT NOT NULL,
	assignment TEXT NOT NULL CHECK (json_valid(assignment)),
	drawn_at TEXT NOT NULL
);
CREATE INDEX placement_draws_by_school ON placement_draws (school_id, drawn_at);
