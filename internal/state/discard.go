package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Discard deletes the store in dir (state.db) while holding the directory's writer lock, so it
// never deletes a store that another reaper has open: then it fails with a *LockedError and
// changes nothing. A missing dir or store is not an error. Discard refuses a dir that is a
// symbolic link or not a directory, so it can only delete what lies where the caller looked.
func Discard(dir string) error {
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("discard state: %w", err)
	case !fi.IsDir():
		return fmt.Errorf("discard state: %s is not a directory", dir)
	}
	lock, err := lockDir(dir, "")
	if err != nil {
		return err
	}
	err = os.Remove(filepath.Join(dir, dbFile))
	if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	if err != nil {
		err = fmt.Errorf("discard state: %w", err)
	}
	return errors.Join(err, lock.release())
}
