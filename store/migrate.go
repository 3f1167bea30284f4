package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// SyncedColumns is the column list every synced table starts with. A
// migration writes the marker {{synced}} where these columns go, so the
// convention is defined here once:
//
//   - id: UUIDv7 text, unique across all devices and schools
//   - school_id: the partition the row belongs to ("" for district-wide rows)
//   - hlc: hybrid logical clock stamp of the last change (see HLC)
//   - origin: device id that made the last change
//   - deleted: tombstone; deleted rows stay so the delete can sync
const SyncedColumns = `id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
	school_id TEXT NOT NULL,
	hlc INTEGER NOT NULL,
	origin TEXT NOT NULL,
	deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1))`

var syncedMeta = []string{"id", "school_id", "hlc", "origin", "deleted"}

type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists the embedded migrations in order. File names are
// NNNN_name.sql; numbers start at 1 and have no gaps.
func migrations() ([]migration, error) {
	entries, err := migrationFiles.ReadDir("migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("store: migration %q is not named NNNN_name.sql", e.Name())
		}
		body, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{v, name, strings.ReplaceAll(string(body), "{{synced}}", SyncedColumns)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("store: migration numbers must run 1,2,3… without gaps; found %d at position %d", m.version, i+1)
		}
	}
	return ms, nil
}

// ErrTooNew means the database was written by a newer Qiao.
type ErrTooNew struct{ Have, Know int }

func (e ErrTooNew) Error() string {
	return fmt.Sprintf("store: database is at schema version %d but this Qiao knows only up to %d: install the newer Qiao", e.Have, e.Know)
}

// migrate applies every pending migration in one transaction: either the
// database reaches the newest schema or it stays exactly as it was.
func migrate(ctx context.Context, db *sql.DB, ms []migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin migration: %w", err)
	}
	defer tx.Rollback()
	var appID int
	if err := tx.QueryRowContext(ctx, `PRAGMA application_id`).Scan(&appID); err != nil {
		return err
	}
	var have int
	if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&have); err != nil {
		return err
	}
	if appID != 0 && appID != applicationID {
		return fmt.Errorf("store: %w", errNotQiao)
	}
	if appID == 0 && have != 0 {
		return fmt.Errorf("store: %w", errNotQiao)
	}
	if have > len(ms) {
		return ErrTooNew{have, len(ms)}
	}
	if have == len(ms) {
		return nil
	}
	for _, m := range ms[have:] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("store: migration %d (%s): %w", m.version, m.name, err)
		}
	}
	// PRAGMAs take no bound parameters; both values are integers we control.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d; PRAGMA application_id = %d`, len(ms), applicationID)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit migrations: %w", err)
	}
	return nil
}

// SchemaVersion reports the schema version this build migrates to.
func SchemaVersion() int {
	ms, _ := migrations()
	return len(ms)
}

// syncedTables finds the tables that follow the synced-record convention
// and remembers their columns.
func syncedTables(ctx context.Context, db *sql.DB) (map[string][]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type='table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		return nil, err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	out := map[string][]string{}
	for _, n := range names {
		cols, err := tableColumns(ctx, db, n)
		if err != nil {
			return nil, err
		}
		if len(cols) >= len(syncedMeta) && strings.Join(cols[:len(syncedMeta)], ",") == strings.Join(syncedMeta, ",") {
			out[n] = cols
		}
	}
	return out, nil
}

func tableColumns(ctx context.Context, db *sql.DB, table string) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}
