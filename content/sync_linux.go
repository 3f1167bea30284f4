//go:build linux

package content

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncFiles makes the files (all in the store folder dir) durable: one
// syncfs of dir's file system writes every dirty page and commits the
// journal once, however many files there are.
func syncFiles(dir string, _ []string) error { return syncfs(dir) }

// syncDirs makes new entries in the folders (and in dir, for new folders)
// durable, with one syncfs.
func syncDirs(dir string, _ map[string]bool) error { return syncfs(dir) }

func syncfs(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return unix.Syncfs(int(d.Fd()))
}
