-- Offline bundles (USB sticks). sync_bundles records every push bundle
-- the district imported, so importing one again changes nothing.
CREATE TABLE sync_bundles (
	id          TEXT PRIMARY KEY NOT NULL,
	device_id   TEXT NOT NULL,
	imported_at INTEGER NOT NULL,
	changes     INTEGER NOT NULL,
	through_seq INTEGER NOT NULL
);
CREATE INDEX sync_bundles_device ON sync_bundles(device_id);

-- The key pair the district signs return bundles with: one row, made on
-- first use and shared by every server process of the database. Devices
-- receive the public key at enrolment.
CREATE TABLE server_keys (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	seed       TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
