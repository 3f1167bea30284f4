package app

import (
	"os"
	"path/filepath"
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
