//go:build !linux

package district

import "testing"

func benchPG(b *testing.B) string { b.Skip("PostgreSQL tests run on Linux only"); return "" }
