package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// MkdirDurable creates dir (below root) if needed and, when it was new,
// fsyncs every parent up to root, so that the new directory entries
// survive a crash too (the quarantine's and the mirror's date directories).
func MkdirDurable(root, dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	for d := filepath.Dir(dir); strings.HasPrefix(d, root); d = filepath.Dir(d) {
		if err := SyncDir(d); err != nil {
			return err
		}
	}
	return nil
}

// SyncDir makes a rename or a file creation in dir durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}
