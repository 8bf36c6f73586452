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

// lockDir takes the exclusive lock on dir and records our PID and holder (what we are, see
// WithHolder; may be empty).
func lockDir(dir, holder string) (*dirLock, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := tryLock(f); err != nil {
		f.Close()
		if errors.Is(err, errWouldBlock) {
			pid, by := readHolder(dir)
			return nil, &LockedError{Dir: dir, PID: pid, Holder: by}
		}
		return nil, fmt.Errorf("lock state directory %s: %w", dir, err)
	}
	if err := writePID(dir, os.Getpid(), holder); err != nil {
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

// writePID atomically replaces the PID file, overwriting a stale one: the PID on the first line,
// the holder (when named) on the second.
func writePID(dir string, pid int, holder string) error {
	tmp := filepath.Join(dir, pidFile+".tmp")
	body := strconv.Itoa(pid) + "\n"
	if holder = strings.TrimSpace(holder); holder != "" && !strings.ContainsAny(holder, "\r\n") {
		body += holder + "\n"
	}
	if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
		return fmt.Errorf("write pid file: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, pidFile)); err != nil {
		return fmt.Errorf("write pid file: %w", err)
	}
	return nil
}

// readHolder returns the PID and holder in dir's PID file: 0 when there is no PID, "" when the
// holder is not named (none, or a reaper that did not write one).
func readHolder(dir string) (pid int, holder string) {
	data, err := os.ReadFile(filepath.Join(dir, pidFile))
	if err != nil {
		return 0, ""
	}
	first, rest, _ := strings.Cut(string(data), "\n")
	pid, err = strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return 0, ""
	}
	holder, _, _ = strings.Cut(rest, "\n")
	return pid, strings.TrimSpace(holder)
}
