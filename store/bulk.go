package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// keyDeferred holds the secondary indexes dropped for a bulk apply, as
// JSON [[name, sql], …], until they are built again.
const keyDeferred = "store.deferred_indexes"

// DeferIndexes drops the non-unique secondary indexes of the synced
// tables, so a bulk apply (a first pull of a whole school) writes each
// row once instead of once per index; RestoreIndexes builds them again in
// one pass. The dropped definitions are kept in meta in the same
// transaction, and Open rebuilds them if the app stopped in between.
func (tx *Tx) DeferIndexes() error {
	if v, err := tx.meta(keyDeferred); err != nil || v != "" {
		return err // already deferred
	}
	tables := make([]string, 0, len(tx.s.synced))
	for t := range tx.s.synced {
		tables = append(tables, "'"+t+"'")
	}
	rows, err := tx.QueryContext(tx.ctx, `SELECT name, sql FROM sqlite_schema WHERE type='index' AND sql IS NOT NULL
		AND sql NOT LIKE 'CREATE UNIQUE%' AND tbl_name IN (`+strings.Join(tables, ",")+`) ORDER BY name`)
	if err != nil {
		return err
	}
	var idx [][2]string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return err
		}
		idx = append(idx, [2]string{name, def})
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(idx) == 0 {
		return err
	}
	b, _ := json.Marshal(idx)
	if err := tx.SetMeta(keyDeferred, string(b)); err != nil {
		return err
	}
	for _, i := range idx {
		if _, err := tx.ExecContext(tx.ctx, `DROP INDEX "`+i[0]+`"`); err != nil {
			return fmt.Errorf("store: defer index %s: %w", i[0], err)
		}
	}
	return nil
}

// RestoreIndexes builds the indexes DeferIndexes dropped, if any.
func (tx *Tx) RestoreIndexes() error {
	v, err := tx.meta(keyDeferred)
	if err != nil || v == "" {
		return err
	}
	var idx [][2]string
	if err := json.Unmarshal([]byte(v), &idx); err != nil {
		return fmt.Errorf("store: deferred indexes: %w", err)
	}
	for _, i := range idx {
		if _, err := tx.ExecContext(tx.ctx, i[1]); err != nil {
			return fmt.Errorf("store: rebuild index %s: %w", i[0], err)
		}
	}
	_, err = tx.ExecContext(tx.ctx, `DELETE FROM meta WHERE key=?`, keyDeferred)
	return err
}

// restoreDeferred rebuilds indexes left deferred by a process that
// stopped during a bulk apply; Open calls it before migrating.
func (s *Store) restoreDeferred(ctx context.Context) error {
	var n int
	if err := s.DB.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type='table' AND name='meta'`).Scan(&n); err != nil || n == 0 {
		return err
	}
	var v string
	err := s.DB.QueryRowContext(ctx, `SELECT value FROM meta WHERE key=?`, keyDeferred).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.Update(ctx, func(tx *Tx) error { return tx.RestoreIndexes() })
}

// meta reads a meta value inside the transaction ("" if unset).
func (tx *Tx) meta(key string) (string, error) {
	var v string
	err := tx.QueryRowContext(tx.ctx, `SELECT value FROM meta WHERE key=?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}
