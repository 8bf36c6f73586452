package state

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrNoIntent is returned when an intent to complete does not exist.
var ErrNoIntent = errors.New("no such intent")

// ErrIntentCompleted is returned when an intent already has an outcome:
// recorded outcomes are facts and are never overwritten.
var ErrIntentCompleted = errors.New("intent already has an outcome")

// LockedError reports that another reaper holds the state directory.
type LockedError struct {
	Dir    string
	PID    int    // 0 when the holder's PID is unknown
	Holder string // what the holder said it is (see WithHolder); "" when it did not say
}

// Error names the directory and, when known, the holder's PID and what it is.
func (e *LockedError) Error() string {
	switch {
	case e.PID > 0 && e.Holder != "":
		return fmt.Sprintf("state directory %s is in use by another reaper (pid %d, %s)", e.Dir, e.PID, e.Holder)
	case e.PID > 0:
		return fmt.Sprintf("state directory %s is in use by another reaper (pid %d)", e.Dir, e.PID)
	}
	return fmt.Sprintf("state directory %s is in use by another reaper", e.Dir)
}

// SchemaError reports a state database whose schema version this reaper
// cannot use, typically one written by a newer reaper.
type SchemaError struct {
	Path      string
	Found     string
	Supported int
}

// Error says which version was found and which this reaper supports.
func (e *SchemaError) Error() string {
	if v, err := strconv.Atoi(e.Found); err == nil && v > e.Supported {
		return fmt.Sprintf("state database %s has schema version %d, newer than version %d that this reaper supports; upgrade reaper",
			e.Path, v, e.Supported)
	}
	return fmt.Sprintf("state database %s has unsupported schema version %q (this reaper supports version %d)",
		e.Path, e.Found, e.Supported)
}

// CorruptError reports a state database file that cannot be read as one.
type CorruptError struct {
	Path string
	Err  error
}

// Error names the file and the cause.
func (e *CorruptError) Error() string {
	return fmt.Sprintf("state database %s is corrupt or not a reaper state database: %v", e.Path, e.Err)
}

// Unwrap returns the cause.
func (e *CorruptError) Unwrap() error { return e.Err }
