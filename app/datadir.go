package app

import (
	"os"
	"path/filepath"

	"qiao/content"
)

// DataDir picks the data directory: the --data flag, else $QIAO_DATA,
// else the OS's per-user config folder + "Qiao".
func DataDir(flagValue string) (string, error) {
	if flagValue != "" {
		return filepath.Abs(flagValue)
	}
	if env := os.Getenv("QIAO_DATA"); env != "" {
		return filepath.Abs(env)
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "Qiao"), nil
}

// openFiles opens the content store of the data directory, where
// attachments and other files are kept by hash.
func openFiles(dir string) (*content.Store, error) { return content.Open(filepath.Join(dir, "files")) }
