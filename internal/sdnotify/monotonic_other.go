//go:build !linux

package sdnotify

import (
	"errors"
	"time"
)

// monotonicNow is only available on Linux, the one platform with systemd.
func monotonicNow() (time.Duration, error) {
	return 0, errors.New("read monotonic clock: not supported on this platform")
}
