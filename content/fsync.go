package content

import (
	"os"
	"runtime"
)

// syncDir fsyncs a folder so renames and new entries in it survive a
// crash. Windows cannot open a folder for syncing (NTFS journals its
// metadata), so there it does nothing.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
