//go:build linux

package district

import (
	"testing"

	"qiao/internal/pgtest"
)

func benchPG(b *testing.B) string { return pgtest.NewDatabase(b) }
