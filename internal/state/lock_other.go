//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package state

import (
	"errors"
	"os"
)

// tryLock is not implemented on this platform: reaper runs on Unix hosts.
func tryLock(*os.File) error { return errors.ErrUnsupported }

// lockWait is not implemented on this platform: reaper runs on Unix hosts.
func lockWait(*os.File) error { return errors.ErrUnsupported }
