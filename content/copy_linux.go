//go:build linux

package content

import (
	"os"
	"syscall"
)

// errDirectRefused is the error of a direct write the file system does
// not take (alignment it does not support).
var errDirectRefused error = syscall.EINVAL

// openDirect opens the file at path for writes that skip the page cache
// (O_DIRECT), or returns nil where the file system does not allow it.
func openDirect(path string) *os.File {
	f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_DIRECT, 0)
	if err != nil {
		return nil
	}
	return f
}
