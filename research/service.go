package research

import (
	"context"
	"errors"
	"fmt"

	"qiao/store"
)

// Service reads and writes research records. New rows go into the
// partition of schoolID, the installation's school.
type Service struct {
	st       *store.Store
	schoolID string
}

// New returns a service on st for schoolID.
func New(st *store.Store, schoolID string) *Service { return &Service{st, schoolID} }

// Errors a form can show next to its field.
var (
	ErrNoName      = errors.New("research: a name is required")
	ErrKind        = errors.New("research: unknown kind")
	ErrRole        = errors.New("research: unknown role")
	ErrNoGroup     = errors.New("research: no such group")
	ErrNoTeacher   = errors.New("research: no such teacher")
	ErrDate        = errors.New("research: the date is not valid")
	ErrDuration    = errors.New("research: the duration must be between 1 minute and 24 hours")
	ErrState       = errors.New("research: unknown review state")
	ErrNeedComment = errors.New("research: a returned output needs a comment")
)

// alive reports whether a live row with id exists in table.
func alive(ctx context.Context, tx *store.Tx, table, id string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FROM %s WHERE id=? AND deleted=0`, table), id).Scan(&n)
	return n > 0, err
}

// missing returns sentinel (a row is missing), or err when the check itself failed.
func missing(sentinel, err error) error {
	if err != nil {
		return err
	}
	return sentinel
}
