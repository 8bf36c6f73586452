// Package sdnotify speaks the systemd service notification protocol
// (sd_notify(3)) without linking libsystemd: it tells systemd that reaper is
// ready, reloading or stopping, pings the watchdog and sets the status line.
//
// A Notifier built from an empty $NOTIFY_SOCKET, and a nil *Notifier, do
// nothing, so the daemon runs the same way outside systemd.
package sdnotify

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// ErrUnsupportedSocket is returned when $NOTIFY_SOCKET is neither an
// absolute path nor an abstract socket name (starting with "@").
var ErrUnsupportedSocket = errors.New("unsupported notify socket address")

// Notifier sends state changes to systemd. The nil *Notifier is a no-op.
type Notifier struct {
	addr      string
	monotonic func() (time.Duration, error)
}

// New returns a Notifier for the socket named by $NOTIFY_SOCKET (pass
// os.Getenv("NOTIFY_SOCKET")). An absolute path is a socket file; a leading
// "@" names an abstract socket. New returns nil, a no-op Notifier, when
// socketEnv is empty.
func New(socketEnv string) *Notifier {
	if socketEnv == "" {
		return nil
	}
	return &Notifier{addr: socketEnv, monotonic: monotonicNow}
}

// Ready tells systemd that start-up, or a reload, has finished (READY=1).
func (n *Notifier) Ready() error { return n.send("READY=1") }

// Reloading tells systemd that a configuration reload has started
// (RELOADING=1 with MONOTONIC_USEC). Call Ready when the reload is done,
// whether it succeeded or not.
func (n *Notifier) Reloading() error {
	if n == nil {
		return nil
	}
	now, err := n.monotonic()
	if err != nil {
		return fmt.Errorf("notify reloading: %w", err)
	}
	return n.send("RELOADING=1\nMONOTONIC_USEC=" + strconv.FormatInt(now.Microseconds(), 10))
}

// Stopping tells systemd that shutdown has begun (STOPPING=1).
func (n *Notifier) Stopping() error { return n.send("STOPPING=1") }

// Watchdog pings the service watchdog (WATCHDOG=1).
func (n *Notifier) Watchdog() error { return n.send("WATCHDOG=1") }

// send writes one datagram to the notify socket.
func (n *Notifier) send(msg string) error {
	if n == nil {
		return nil
	}
	if !strings.HasPrefix(n.addr, "/") && !strings.HasPrefix(n.addr, "@") {
		return fmt.Errorf("notify systemd: %w", ErrUnsupportedSocket)
	}
	// A leading "@" makes Go use the Linux abstract namespace.
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: n.addr, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("notify systemd: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(msg)); err != nil {
		return fmt.Errorf("notify systemd: %w", err)
	}
	return nil
}

// WatchdogInterval returns how often to call Watchdog: half of
// $WATCHDOG_USEC (usecEnv), or 0 when the watchdog is off, the value is not
// a positive integer, or $WATCHDOG_PID (pidEnv) is set and is not pid (pass
// os.Getpid()).
func WatchdogInterval(usecEnv, pidEnv string, pid int) time.Duration {
	usec, err := strconv.ParseInt(usecEnv, 10, 64)
	if err != nil || usec <= 0 {
		return 0
	}
	if pidEnv != "" {
		if p, err := strconv.Atoi(pidEnv); err != nil || p != pid {
			return 0
		}
	}
	return time.Duration(usec) * time.Microsecond / 2
}
