// Package store is Qiao's local database: one SQLite file in the data
// directory, opened in WAL mode with a busy timeout and foreign keys on,
// migrated at start-up, and guarded by a lock so one process owns it.
//
// It also defines, once, the convention every synced table follows (see
// record.go) and the change log that sync reads.
package store
