-- Schools, one-time enrolment codes, enrolled devices and the nonces that
-- guard signed requests against replay. Times are unix seconds (UTC).

CREATE TABLE schools (
	id         TEXT PRIMARY KEY NOT NULL,
	name       TEXT NOT NULL CHECK (name <> ''),
	code       TEXT UNIQUE CHECK (code IS NULL OR code <> ''),
	created_at INTEGER NOT NULL
);

-- Only the SHA-256 of a code is stored; the code itself is shown once.
CREATE TABLE enrolment_codes (
	code_hash  TEXT PRIMARY KEY NOT NULL,
	school_id  TEXT NOT NULL REFERENCES schools(id),
	role       TEXT NOT NULL CHECK (role IN ('teacher', 'principal', 'district_admin')),
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	used_at    INTEGER,
	device_id  TEXT
);

CREATE TABLE devices (
	id          TEXT PRIMARY KEY NOT NULL,
	school_id   TEXT NOT NULL REFERENCES schools(id),
	role        TEXT NOT NULL CHECK (role IN ('teacher', 'principal', 'district_admin')),
	name        TEXT NOT NULL,
	public_key  BLOB NOT NULL UNIQUE CHECK (length(public_key) = 32),
	enrolled_at INTEGER NOT NULL,
	revoked_at  INTEGER,
	last_seen   INTEGER
);
CREATE INDEX devices_school ON devices(school_id);

CREATE TABLE nonces (
	device_id TEXT NOT NULL,
	nonce     TEXT NOT NULL,
	seen_at   INTEGER NOT NULL,
	PRIMARY KEY (device_id, nonce)
) WITHOUT ROWID;
CREATE INDEX nonces_seen ON nonces(seen_at);
