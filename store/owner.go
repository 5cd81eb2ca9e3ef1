package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// An admin runs the CLI as root while the daemon runs as the unprivileged
// `mailtower` user. Files and directories that root creates under the
// data directory (the database on first use, its WAL and shared-memory
// files, the quarantine and spool directories) are therefore handed to the
// owner of the data directory, or the daemon could no longer write them.

// MkdirOwned creates dir (inside dataDir) like os.MkdirAll and gives every
// directory it created to dataDir's owner.
func MkdirOwned(dataDir, dir string, perm fs.FileMode) error {
	var created []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || d == filepath.Dir(d) {
			break
		}
		created = append(created, d)
	}
	if err := os.MkdirAll(dir, perm); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return ownLike(dataDir, created...)
}

// ownLike chowns paths to the owner of ref when running as root and ref is
// owned by someone else; paths that do not exist are skipped.
func ownLike(ref string, paths ...string) error {
	if os.Geteuid() != 0 || len(paths) == 0 {
		return nil
	}
	fi, err := os.Stat(ref)
	if err != nil {
		return fmt.Errorf("stat %s: %w", ref, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid == 0 {
		return nil
	}
	for _, p := range paths {
		if err := os.Lchown(p, int(st.Uid), int(st.Gid)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("give %s to uid %d: %w", p, st.Uid, err)
		}
	}
	return nil
}
