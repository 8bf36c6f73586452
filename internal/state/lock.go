package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

const (
	lockFile = "reaper.lock"
	pidFile  = "reaper.pid"
)

// errWouldBlock is returned by tryLock when another open file holds the lock.
var errWouldBlock = errors.New("lock held elsewhere")

// dirLock is the single-writer lock on a state directory.
type dirLock struct {
	dir  string
	file *os.File
}

// lockDir takes the exclusive lock on dir and records our PID.
func lockDir(dir string) (*dirLock, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := tryLock(f); err != nil {
		f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, &LockedError{Dir: dir, PID: readPID(dir)}
		}
		return nil, fmt.Errorf("lock state directory %s: %w", dir, err)
	}
	if err := writePID(dir, os.Getpid()); err != nil {
		f.Close()
		return nil, err
	}
	return &dirLock{dir: dir, file: f}, nil
}

// release removes the PID file and drops the lock (closing the file does).
func (l *dirLock) release() error {
	err := os.Remove(filepath.Join(l.dir, pidFile))
	if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	return errors.Join(err, l.file.Close())
}

// writePID atomically replaces the PID file, overwriting a stale one.
func writePID(dir string, pid int) error {
	tmp := filepath.Join(dir, pidFile+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(pid)+"\n"), 0o600); err != nil {
		return fmt.Errorf("write pid file: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, pidFile)); err != nil {
		return fmt.Errorf("write pid file: %w", err)
	}
	return nil
}

// readPID returns the PID in dir's PID file, or 0 when there is none.
func readPID(dir string) int {
	data, err := os.ReadFile(filepath.Join(dir, pidFile))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}
