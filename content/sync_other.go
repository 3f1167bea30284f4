//go:build !linux

package content

// syncFiles makes the files durable, one fsync each.
func syncFiles(_ string, files []string) error {
	for _, f := range files {
		if err := syncFile(f); err != nil {
			return err
		}
	}
	return nil
}

// syncDirs makes new entries in the folders, and new folders in dir,
// durable: one fsync per folder.
func syncDirs(dir string, dirs map[string]bool) error {
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return err
		}
	}
	return syncDir(dir)
}
