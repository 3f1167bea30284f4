-- Files (attachments, resources) travel by content hash; the bytes live in
-- DATA/files (package content). file_scopes records for which partition
-- each file was uploaded: a device reads a file only if it is in its
-- school's partition or district-wide (school_id ''). The same bytes
-- uploaded by two schools have two rows and one file on disk.

CREATE TABLE file_scopes (
	hash        TEXT NOT NULL CHECK (length(hash) = 64),
	school_id   TEXT NOT NULL,
	size        INTEGER NOT NULL,
	device_id   TEXT NOT NULL,
	uploaded_at INTEGER NOT NULL,
	PRIMARY KEY (hash, school_id)
);
