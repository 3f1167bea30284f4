-- Server settings, one value per name; written by the admin commands
-- (e.g. status_password: the status page's password as a salted PBKDF2
-- hash, see district/statusdb.go).

CREATE TABLE settings (
	name  TEXT PRIMARY KEY NOT NULL,
	value TEXT NOT NULL
);
